#!/usr/bin/env python3
"""Recompute the regression baseline (tests/baseline/regression.json) and show what moved.

    python scripts/update_baseline.py          # rewrite the file, print the diff
    python scripts/update_baseline.py --check  # only print the diff; exit 1 if anything moved

Run it after a deliberate model change and commit the JSON with the change.
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.analysis.regression import RUNS, SEED, compute_all, diff  # noqa: E402

FILE = ROOT / "tests" / "baseline" / "regression.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if numbers moved")
    args = parser.parse_args()
    new = compute_all(ROOT / "scenarios")
    old = json.loads(FILE.read_text())["scenarios"] if FILE.exists() else {}
    lines = diff(old, new)
    print(f"regression baseline: {len(new)} scenarios, {RUNS} runs, seed {SEED}")
    print("\n".join(lines) if lines else "no change beyond tolerance")
    if args.check:
        return 1 if lines else 0
    FILE.parent.mkdir(parents=True, exist_ok=True)
    FILE.write_text(json.dumps({"runs": RUNS, "seed": SEED, "scenarios": new}, indent=2, sort_keys=True) + "\n")
    print(f"wrote {FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
