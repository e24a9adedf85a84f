#!/usr/bin/env python3
"""The support level that scenarios/ukraine_stalemate.yaml commits from month 1.

The scenario is Hadley's "enough sustained Western ... support" to stop the Russian advance and
hold a stable line of contact (M26, M26b): by construction, the level of Western support at which
the front at month 36 is back at its November 2024 position, in the mean over the baseline's
parameter draws (the prior; 2,000 runs, seed 20241105).  This script finds it by bisection and
prints it, with the front it gives at the two ends of the search.  The scenario file rounds it to
two decimals, and its source gives the figure and the settings it was derived with.

    python scripts/stalemate_level.py [--runs N] [--seed S]
"""

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.experiment.ensemble import run_ensemble  # noqa: E402
from simulator.scenario import load_scenario  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.yaml"


def front_at_horizon(level: float, runs: int, seed: int, folder: Path) -> float:
    path = folder / "stalemate_probe.yaml"
    path.write_text(f"name: stalemate_probe\nextends: {BASELINE}\nevents:\n"
                    f"  - {{month: 1, path: policies.ukraine_support.level, set: {level}}}\n", encoding="utf-8")
    return float(run_ensemble(load_scenario(path), runs=runs, seed=seed).outcomes["front"].mean())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=20241105)
    args = ap.parse_args(argv)
    start = load_scenario(BASELINE).params["theatres.ukraine.front"].value
    lo, hi = 0.5, 1.0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        f_lo, f_hi = front_at_horizon(lo, args.runs, args.seed, folder), front_at_horizon(hi, args.runs, args.seed, folder)
        print(f"front at month 36: {f_lo:.4f} at support {lo}, {f_hi:.4f} at {hi}; start {start}")
        if not f_hi < start < f_lo:
            print("the start is not bracketed: no level in the search holds the line")
            return 1
        for _ in range(12):
            mid = (lo + hi) / 2
            if front_at_horizon(mid, args.runs, args.seed, folder) > start:
                lo = mid
            else:
                hi = mid
    level = (lo + hi) / 2
    print(f"support level that holds the line: {level:.4f} (scenario: {level:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
