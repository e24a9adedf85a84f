"""Shared CLI pieces: exit codes, progress bars, tables, error reporting."""

from __future__ import annotations

import sys

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(Exception):
    """Bad command-line input that argparse cannot see (reported with exit status 2)."""


def at_least(value, name: str, minimum: int = 1, maximum: int | None = None) -> None:
    """Refuse a count below ``minimum`` or above ``maximum`` (exit 2); None means "not given"."""
    if value is not None and value < minimum:
        raise UsageError(f"{name} must be at least {minimum}, got {value}")
    if value is not None and maximum is not None and value > maximum:
        raise UsageError(f"{name} must be at most {maximum:,}, got {value:,} (the same limit as in "
                         f"scenario files)")


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




def check_limits(args) -> None:
    """The command-line counts, within the limits that scenario files have (exit 2 otherwise)."""
    from ..scenario.schema import MAX_BLOCK, MAX_RUNS, MAX_SAMPLES, MAX_WORKERS
    for attr, name, low, high in (("runs", "--runs", 1, MAX_RUNS), ("samples", "--samples", 1, MAX_SAMPLES),
                                  ("workers", "--workers", 1, MAX_WORKERS), ("block", "--block", 1, MAX_BLOCK),
                                  ("seed", "--seed", 0, 2**63 - 1)):
        at_least(getattr(args, attr, None), name, low, high)
