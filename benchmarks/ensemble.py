#!/usr/bin/env python3
"""Speed of Monte Carlo ensembles: mesa.batch_run (one replicate per run) vs the vectorised
ensemble, same scenario, same number of runs; then 1k / 10k / 100k vectorised runs.

    python benchmarks/ensemble.py [--mesa-runs 200] [--sizes 1000 10000 100000]

Prints runs per second and the ratio.  A benchmark, not a test: numbers depend on the machine.
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mesa  # noqa: E402

from simulator.experiment.ensemble import run_ensemble  # noqa: E402
from simulator.experiment.mesa_compat import batch_run_seeds  # noqa: E402
from simulator.model.model import AxisModel  # noqa: E402
from simulator.scenario import load_scenario  # noqa: E402


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.yaml"))
    ap.add_argument("--mesa-runs", type=int, default=200)
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 100000])
    args = ap.parse_args()
    resolved = load_scenario(args.scenario)
    n = args.mesa_runs
    months = resolved.scenario.horizon_months
    print(f"scenario {resolved.name}, {months} months, mesa {mesa.__version__}")

    t_mesa = timed(lambda: batch_run_seeds(AxisModel, {"scenario": resolved}, range(n), max_steps=months + 1,
                                           number_processes=1, data_collection_period=-1,
                                           display_progress=False))
    run_ensemble(resolved, runs=min(n, 100), seed=1)   # warm-up (imports, caches)
    # same work as batch_run: n independent runs, each with its own seed -> vectorised: n replicates
    t_vec = timed(lambda: run_ensemble(resolved, runs=n, seed=1))
    mesa_rate = n / t_mesa
    print(f"{'method':<38}{'runs':>9}{'seconds':>10}{'runs/s':>12}{'x mesa':>9}")
    print(f"{'mesa.batch_run (1 replicate/run)':<38}{n:>9}{t_mesa:>10.2f}{mesa_rate:>12.0f}{1:>9.0f}")
    print(f"{'vectorised ensemble':<38}{n:>9}{t_vec:>10.3f}{n / t_vec:>12.0f}{n / t_vec / mesa_rate:>9.0f}")
    best = 0.0
    for size in args.sizes:
        for workers in (1, 2):
            t = timed(lambda: run_ensemble(resolved, runs=size, seed=1, workers=workers))
            label = f"vectorised ensemble, {workers} process{'es' if workers > 1 else ''}"
            print(f"{label:<38}{size:>9}{t:>10.2f}{size / t:>12.0f}{size / t / mesa_rate:>9.0f}")
            if size == max(args.sizes):
                best = max(best, size / t)
    print(f"\nratio at {n} runs, same runs both ways (vectorised / mesa.batch_run): {n / t_vec / mesa_rate:.0f}x")
    print(f"best throughput at {max(args.sizes)} runs vs mesa.batch_run: {best / mesa_rate:.0f}x "
          f"(mesa's runs/s does not grow with the number of runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
