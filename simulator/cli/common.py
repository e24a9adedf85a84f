"""Shared CLI pieces: exit codes, progress bars, tables, error reporting."""

from __future__ import annotations

import sys

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(Exception):
    """Bad command-line input that argparse cannot see (reported with exit status 2)."""


def at_least(value, name: str, minimum: int = 1) -> None:
    """Refuse a count below ``minimum`` (exit 2); None means "not given"."""
    if value is not None and value < minimum:
        raise UsageError(f"{name} must be at least {minimum}, got {value}")


def progress_bar(total: int, desc: str, quiet: bool):
    """A tqdm bar on stderr: only on a terminal, only if the job takes over a second."""
    from tqdm import tqdm
    disable = quiet or not sys.stderr.isatty()
    return tqdm(total=total, desc=desc, unit="run", file=sys.stderr, delay=1.0, disable=disable,
                dynamic_ncols=True, leave=False)


def fmt_p(entry: dict) -> str:
    lo, hi = entry["ci95"]
    return f"{entry['probability']:.3f} [{lo:.3f}, {hi:.3f}]"


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    sep = "  ".join("-" * w for w in widths)
    body = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join([line, sep, *body])


def info(msg: str, quiet: bool = False) -> None:
    if not quiet:
        print(msg, file=sys.stderr)


