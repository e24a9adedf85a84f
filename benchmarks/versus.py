#!/usr/bin/env python3
"""Per-core speed of this version against an earlier revision of the model, in one process.

    python benchmarks/versus.py                          # against 953efbe^ (before every state decided)
    python benchmarks/versus.py --against HEAD~3 --batch 4096 8192 --rounds 6

The earlier revision is exported with ``git archive`` into a temporary folder (git and the
repository's history are needed; nothing in the working tree changes).  Both versions are
imported into this one process and run the same ensemble of the baseline scenario
(``run_ensemble`` on one process, the same runs, seed and batch size) in alternating rounds, so
that a slow spell of the machine falls on both.  For each batch size it prints runs per second
of each version (best round) and the ratio of their times, best against best and the median and
range of the per-round ratios.  On a shared or virtual machine single timings vary by 5-10%:
read the median and the range, not one round.

A benchmark, not a test: the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE_EVERY_STATE_DECIDED = "953efbe^"


def export(rev: str, into: Path) -> Path:
    """The tree of ``rev`` (simulator/ and scenarios/) extracted into ``into``."""
    archive = into / "rev.tar"
    with archive.open("wb") as fh:
        subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev, "simulator", "scenarios"],
                       stdout=fh, check=True)
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):          # Python >= 3.11.4: refuse links out of the folder
            tar.extractall(into / "tree", filter="data")
        else:
            tar.extractall(into / "tree")
    return into / "tree"


def runner(root: Path, runs: int, batch: int):
    """A no-argument function that runs the baseline ensemble with the code under ``root``."""
    for name in [m for m in sys.modules if m == "simulator" or m.startswith("simulator.")]:
        del sys.modules[name]                   # the other version's modules stay alive in its functions
    sys.path.insert(0, str(root))
    try:
        from simulator.experiment.ensemble import run_ensemble
        from simulator.scenario.loader import load_scenario
        scenario = load_scenario(root / "scenarios" / "baseline.yaml")
    finally:
        sys.path.pop(0)
    return lambda: run_ensemble(scenario, runs=runs, seed=7, batch=batch)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--against", default=BEFORE_EVERY_STATE_DECIDED, help="git revision to compare with")
    ap.add_argument("--batch", type=int, nargs="*", default=[4096, 8192, 20000])
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds per batch size")
    ap.add_argument("--batches", type=int, default=4, help="batches per round (runs = batches x batch)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        other = export(args.against, Path(tmp))
        print(f"this version ({ROOT}) against {args.against}: baseline, one process, seed 7")
        print(f"{'batch':>7} {args.against + ' runs/s':>18} {'this runs/s':>12} {'best/best':>10} "
              f"{'per-round median [range]':>26}")
        for batch in args.batch:
            runs = batch * args.batches
            old, new = runner(other, runs, batch), runner(ROOT, runs, batch)
            old(), new()                                    # warm up both
            t_old, t_new = [], []
            for _ in range(args.rounds):
                for fn, times in ((old, t_old), (new, t_new)):
                    t0 = time.perf_counter()
                    fn()
                    times.append(time.perf_counter() - t0)
            ratios = [b / a for a, b in zip(t_old, t_new)]
            print(f"{batch:>7,} {runs / min(t_old):>18,.0f} {runs / min(t_new):>12,.0f} "
                  f"{min(t_new) / min(t_old):>9.3f}x {statistics.median(ratios):>11.3f}x "
                  f"[{min(ratios):.3f}-{max(ratios):.3f}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
