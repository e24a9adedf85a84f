#!/usr/bin/env python3
"""Time of one explorer update: the ensemble of a view recomputed (same code path as
``run.py run``) and its three figures redrawn, as the page's worker thread does after a
slider move.

    python benchmarks/explorer.py [--runs 2000] [--repeats 7]

Prints each update's seconds and the median.  A benchmark, not a test: numbers depend on the
machine and on what else runs on it.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.cli.explore import core  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=core.DEFAULT_RUNS)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    sliders = core.sliders(core.load(core.View()))
    s = sliders[0]
    times = []
    for i in range(args.repeats + 1):
        value = s.low + (s.high - s.low) * (i % 5) / 4      # a slider moving over its range
        view = core.View(runs=args.runs).with_value(s.path, value)
        t0 = time.perf_counter()
        num = core.compute(core.load(view), view.runs, view.seed, view.fixed)
        core.figures(num)
        if i:                                               # the first one warms caches and fonts
            times.append(time.perf_counter() - t0)
    print(f"explorer update ({args.runs} runs of baseline recomputed, 3 figures redrawn): "
          + ", ".join(f"{t:.2f}" for t in times) + f" s; median {statistics.median(times):.2f} s "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
