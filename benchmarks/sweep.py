#!/usr/bin/env python3
"""Sweep throughput: runs/second in-process (1 worker), with 2 local worker processes and
on a Dask LocalCluster (2 processes on 127.0.0.1), against mesa.batch_run over the same grid.

    python benchmarks/sweep.py                       # throughput table
    python benchmarks/sweep.py --points 8 --runs 4000 --mesa-runs 30
    python benchmarks/sweep.py --memory              # peak RSS of a 1,000,000-run sweep

Wall-clock times include starting the workers (and the Dask cluster).  mesa.batch_run
runs AxisModel with replicates=1, one mesa model per (point, seed), so the ratio is the
gain of the vectorised replicates plus the sweep's parallel execution.
"""

from __future__ import annotations

import argparse
import inspect
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.experiment.designs import ParamRange  # noqa: E402
from simulator.experiment.sweep import SweepSpec, plan_sweep, resolve_point, run_sweep  # noqa: E402
from simulator.scenario import load_scenario  # noqa: E402

PARAM = "policies.secondary_sanctions.intensity"
SCENARIO = ROOT / "scenarios" / "baseline.yaml"


def bench_sweep(plan, label: str, **kwargs) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = run_sweep(plan, Path(tmp) / "s", **kwargs)
        seconds = time.perf_counter() - t0
    assert not result.failures, result.failures[:1]
    rate = plan.total_runs / seconds
    print(f"{label:<34} {plan.total_runs:>9} runs  {seconds:8.2f} s  {rate:10.0f} runs/s", flush=True)
    return rate, seconds


def bench_mesa(plan, runs_per_point: int) -> float:
    import mesa

    from simulator.model.model import AxisModel
    ctx = plan.context()
    scenarios = [resolve_point(ctx, t.values) for t in plan.tasks if t.block == 0]
    horizon = plan.resolved.scenario.horizon_months
    seeds = list(range(runs_per_point))
    kwargs = dict(number_processes=1, data_collection_period=-1, max_steps=horizon + 1, display_progress=False)
    params = {"scenario": scenarios, "replicates": 1}
    t0 = time.perf_counter()
    if "rng" in inspect.signature(mesa.batch_run).parameters:      # mesa >= 3.5: seeds via rng=
        rows = mesa.batch_run(AxisModel, parameters=params, rng=seeds, **kwargs)
    else:                                                          # mesa 3.3: seed as a model parameter
        rows = mesa.batch_run(AxisModel, parameters={**params, "seed": seeds}, iterations=1, **kwargs)
    seconds = time.perf_counter() - t0
    total = len(scenarios) * runs_per_point
    assert len(rows) == total, len(rows)
    rate = total / seconds
    print(f"{'mesa.batch_run (1 process)':<34} {total:>9} runs  {seconds:8.2f} s  {rate:10.0f} runs/s", flush=True)
    return rate


# ----------------------------------------------------------------------------- memory

def _tree_memory(pid: int) -> tuple[int, int, int]:
    """(RSS of pid, RSS summed over pid and its descendants, PSS summed likewise) in bytes.

    The RSS sum counts pages shared between the forked workers once per process; PSS
    (proportional set size, /proc/PID/smaps_rollup) divides shared pages among them.
    """
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    tree, stack = [], [pid]
    while stack:
        p = stack.pop()
        tree.append(p)
        stack.extend(children.get(p, []))
    rss_main = rss_sum = pss_sum = 0
    for p in tree:
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                fields = {k: int(v.split()[0]) * 1024 for k, v in (line.split(":", 1) for line in f if ":" in line)
                          if k in ("Rss", "Pss")}
        except (OSError, ValueError):
            continue
        rss_sum += fields.get("Rss", 0)
        pss_sum += fields.get("Pss", 0)
        if p == pid:
            rss_main = fields.get("Rss", 0)
    return rss_main, rss_sum, pss_sum


def memory(points: int, runs: int, workers: int, horizon: int | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, str(ROOT / "run.py"), "sweep", str(SCENARIO), "--param", f"{PARAM}=0:1:{points}",
               "--runs", str(runs), "--workers", str(workers), "--out", str(Path(tmp) / "s"), "--quiet", "--no-charts"]
        if horizon:
            cmd += ["--set", f"horizon_months={horizon}"]
        print("$", " ".join(cmd[1:]), flush=True)
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        peak_main = peak_rss = peak_pss = 0
        while proc.poll() is None:
            main_rss, rss, pss = _tree_memory(proc.pid)
            peak_main, peak_rss, peak_pss = max(peak_main, main_rss), max(peak_rss, rss), max(peak_pss, pss)
            time.sleep(0.25)
        seconds = time.perf_counter() - t0
        out = proc.stdout.read()
        print(out.splitlines()[0] if out else "(no output)")
        mib = 1024 * 1024
        print(f"{points * runs} runs ({points} points x {runs}), workers={workers}: exit {proc.returncode}, "
              f"wall {seconds:.1f} s ({points * runs / seconds:.0f} runs/s); peak memory: main process "
              f"RSS {peak_main / mib:.0f} MiB; whole process tree PSS {peak_pss / mib:.0f} MiB "
              f"(RSS summed over processes {peak_rss / mib:.0f} MiB)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=6, help="grid points (levels of the sanctions intensity)")
    ap.add_argument("--runs", type=int, default=4000, help="replicates per point for the sweep executors")
    ap.add_argument("--mesa-runs", type=int, default=25, help="replicates per point for mesa.batch_run")
    ap.add_argument("--horizon", type=int, default=None, help="override horizon_months")
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--memory", action="store_true", help="measure a 1,000,000-run sweep instead")
    ap.add_argument("--memory-points", type=int, default=100)
    ap.add_argument("--memory-runs", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2, help="workers of the --memory sweep")
    args = ap.parse_args()
    if args.memory:
        memory(args.memory_points, args.memory_runs, args.workers, args.horizon)
        return 0

    overrides = [f"horizon_months={args.horizon}"] if args.horizon else []
    resolved = load_scenario(SCENARIO, overrides)
    spec = SweepSpec(params=[ParamRange(PARAM, 0.0, 1.0, args.points)], runs=args.runs, seed=1)
    plan = plan_sweep(resolved, spec)
    print(f"grid: {args.points} points of {PARAM}, horizon {resolved.scenario.horizon_months} months, "
          f"{os.cpu_count()} cores")
    rates = {"1 worker": bench_sweep(plan, "sweep, in-process (1 worker)", workers=1)[0],
             "2 workers": bench_sweep(plan, "sweep, 2 local processes", workers=2)[0]}
    if not args.skip_dask:
        rates["dask"] = bench_sweep(plan, "sweep, Dask LocalCluster (2 procs)", workers=2, dask=True)[0]
    mesa_rate = bench_mesa(plan, args.mesa_runs)
    print()
    for name, rate in rates.items():
        print(f"ratio sweep ({name}) / mesa.batch_run: {rate / mesa_rate:8.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
