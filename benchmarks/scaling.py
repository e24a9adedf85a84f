#!/usr/bin/env python3
"""Parallel scaling: wall time and speed-up for 1, 2, 4, 8 and 16 workers (capped at this
machine's cores), for the three ways work runs in parallel:

* ensemble -- ``run_ensemble(workers=K)`` (what ``run --workers K`` does);
* sweep, local processes -- ``run_sweep(workers=K)``;
* sweep, Dask LocalCluster -- ``run_sweep(workers=K, dask="local")``.

    python benchmarks/scaling.py                          # default sizes
    python benchmarks/scaling.py --ensemble-runs 320000 --points 64 --runs 20000
    python benchmarks/scaling.py --max-workers 2 --skip dask

Wall times include starting the workers (and the cluster), except in the row "Dask, cluster
up", which times the same sweep on a LocalCluster started beforehand.  The local pools fork their workers
from one forkserver per program (with the simulator preloaded); the script starts it once,
before the timings, and prints what that one-time start cost.  Each configuration is timed
``--repeat`` times and the best is kept (as ``timeit`` does).  Every configuration must give
the same results as one worker (the script checks it), so a speed-up is never bought with a
different answer.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.experiment.designs import ParamRange  # noqa: E402
from simulator.experiment.ensemble import run_ensemble  # noqa: E402
from simulator.experiment.sweep import SweepSpec, plan_sweep, run_sweep  # noqa: E402
from simulator.scenario import load_scenario  # noqa: E402

PARAM = "policies.secondary_sanctions.intensity"
SCENARIO = ROOT / "scenarios" / "baseline.yaml"


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _started() -> float:
    return time.perf_counter()


def start_forkserver() -> float:
    """Start the local pools' forkserver (and its preload) and return how long that took."""
    from concurrent.futures import ProcessPoolExecutor

    from simulator.experiment.processes import process_context
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=1, mp_context=process_context()) as pool:
        pool.submit(_started).result()
    return time.perf_counter() - t0


def time_ensemble(resolved, runs: int, workers: int):
    t0 = time.perf_counter()
    ens = run_ensemble(resolved, runs=runs, seed=1, workers=workers, series_limit=0)
    seconds = time.perf_counter() - t0
    return seconds, (ens.outcomes["china_stays"].sum(), float(ens.term_means.sum()))


def time_sweep(plan, workers: int, dask):
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = run_sweep(plan, Path(tmp) / "s", workers=workers, dask=dask)
        seconds = time.perf_counter() - t0
    assert not result.failures, result.failures[:1]
    return seconds, result.combined.to_csv(index=False)


def time_sweep_on_running_cluster(plan, workers: int):
    """The Dask sweep on a LocalCluster of ``workers`` processes started (each worker having
    imported the simulator) before the clock starts: what a long-lived cluster gives."""
    from dask.distributed import Client, LocalCluster
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.run(_import_simulator)                 # each worker imports the simulator once
        return time_sweep(plan, workers, cluster.scheduler_address)


def _import_simulator() -> None:
    import simulator.experiment.sweep  # noqa: F401


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ensemble-runs", type=int, default=80_000)
    ap.add_argument("--points", type=int, default=16)
    ap.add_argument("--runs", type=int, default=5_000, help="runs per sweep point")
    ap.add_argument("--block", type=int, default=4096)
    ap.add_argument("--max-workers", type=int, default=None, help="default: this machine's cores")
    ap.add_argument("--skip", action="append", default=[], choices=["ensemble", "processes", "dask"])
    ap.add_argument("--repeat", type=int, default=3, help="timings per configuration; the best is kept")
    args = ap.parse_args()

    n_cores = cores()
    top = min(args.max_workers or n_cores, n_cores)
    counts = [k for k in (1, 2, 4, 8, 16) if k <= top]
    resolved = load_scenario(SCENARIO)
    spec = SweepSpec(params=[ParamRange(PARAM, 0.0, 1.0, args.points)], runs=args.runs, seed=1, block=args.block)
    plan = plan_sweep(resolved, spec)
    print(f"{n_cores} cores; workers {counts}; ensemble {args.ensemble_runs:,} runs; sweep {args.points} points x "
          f"{args.runs:,} runs = {plan.total_runs:,} runs in {len(plan.tasks)} tasks (block {args.block})",
          flush=True)

    print(f"forkserver start (once per program, simulator preloaded): {start_forkserver():.2f} s", flush=True)
    rows = []
    benches = [("ensemble (run_ensemble)", "ensemble", args.ensemble_runs,
                lambda k: time_ensemble(resolved, args.ensemble_runs, k)),
               ("sweep, local processes", "processes", plan.total_runs, lambda k: time_sweep(plan, k, None)),
               ("sweep, Dask LocalCluster", "dask", plan.total_runs, lambda k: time_sweep(plan, k, "local")),
               ("sweep, Dask, cluster up", "dask", plan.total_runs, lambda k: time_sweep_on_running_cluster(plan, k))]
    for label, key, total, bench in benches:
        if key in args.skip:
            continue
        base_time, base_result = None, None
        for k in counts:
            seconds, result = bench(k)
            for _ in range(args.repeat - 1):
                again, result_again = bench(k)
                assert result_again == result, "a repeat gave other results"
                seconds = min(seconds, again)
            if base_result is None:
                base_time, base_result = seconds, result
            same = "yes" if result == base_result else "NO"
            rows.append((label, k, seconds, total / seconds, base_time / seconds, same))
            print(f"  {label:<26} {k:>2} workers  {seconds:8.2f} s  {total / seconds:9.0f} runs/s  "
                  f"x{base_time / seconds:5.2f}  same results: {same}", flush=True)

    print()
    print("| work | workers | wall time | runs/s | speed-up vs 1 | same results as 1 worker |")
    print("|---|---|---|---|---|---|")
    for label, k, seconds, rate, speedup, same in rows:
        print(f"| {label} | {k} | {seconds:.2f} s | {rate:,.0f} | {speedup:.2f}x | {same} |")
    return 0 if all(r[5] == "yes" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
