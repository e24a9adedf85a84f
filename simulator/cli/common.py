"""Shared CLI pieces: exit codes, progress bars, tables, error reporting."""

from __future__ import annotations

import math
import sys
from typing import Callable

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


def plural(n: int, word: str) -> str:
    """'1 event', '2 events'."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def decimals_for(values) -> Callable[[float], str]:
    """A formatter showing ``values`` with as few decimals as tell them apart at a glance:
    whole numbers without decimals, otherwise three significant digits of the range they span
    (0.1234567 over 0 to 1 shows as 0.123; over 0.1 to 0.2 as 0.1235), fewer when every value
    is exact with fewer (grid levels 0, 0.25, 0.5 show as such)."""
    finite = [float(v) for v in values if v == v and abs(float(v)) != float("inf")]
    if finite and all(v == int(v) for v in finite):
        return lambda v: f"{v:.0f}"
    span = (max(finite) - min(finite)) if finite else 0.0
    if span <= 0:
        span = max((abs(v) for v in finite), default=1.0) or 1.0
    digits = max(0, min(8, 2 - math.floor(math.log10(span))))
    exact = next((d for d in range(digits) if all(abs(round(v, d) - v) < 1e-12 for v in finite)), digits)
    digits = exact                      # grid levels such as 0.25 keep their own decimals
    return lambda v: f"{v:.{digits}f}"


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


def add_posterior_option(p) -> None:
    p.add_argument("--posterior", metavar="FILE",
                   help="draw each replicate's parameters from a posterior (Parquet: a column per parameter "
                        "path and a weight column, as `calibrate` writes) instead of the prior ranges; "
                        "parameters it lacks keep their prior draws, --set still overrides")


def posterior_from_args(args, resolved, fixed: bool | None = None):
    """The posterior of ``--posterior`` checked against every scenario in ``resolved`` (one or a
    list), or None; bad input (exit 2) names the file and the column."""
    file = getattr(args, "posterior", None)
    if file is None:
        return None
    if fixed if fixed is not None else getattr(args, "fixed", False):
        raise UsageError("--posterior and --fixed contradict each other (a posterior draws each replicate's "
                         "values; --fixed uses the point values)")
    from ..scenario.posterior import load_posterior
    return load_posterior(file, resolved)
