#!/usr/bin/env python3
"""The baseline through mesa.batch_run (one model, one replicate, one seed per run) and through
simulator.run (all replicates at once), with the time each takes.

    python docs/examples/batch_run.py [--runs 100]

Both estimate P(China stays): the share of runs in which China's rung to Russia is at or above
the scenario's threshold at the horizon.  They use different random numbers, so the two
estimates differ by Monte Carlo noise; their 95% intervals overlap.  See docs/api.md.
"""

import argparse
import time

import simulator
from simulator.analysis.summary import wilson
from simulator.experiment.mesa_compat import batch_run_seeds
from simulator.model.model import AxisModel


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=100)
    args = ap.parse_args()

    scenario = simulator.load("baseline")              # validated once, shared by every run
    months = scenario.scenario.horizon_months
    threshold = scenario.scenario.outcome.stay_threshold

    # mesa.batch_run: one AxisModel per seed; the DataCollector's reporters at the last step
    # (the model stops itself at the horizon).
    # With one replicate, the model reporter "china_rung" is China's rung to Russia.
    t0 = time.perf_counter()
    records = batch_run_seeds(AxisModel, {"scenario": scenario}, seeds=range(args.runs), max_steps=months + 1,
                              number_processes=1, data_collection_period=-1, display_progress=False)
    t_mesa = time.perf_counter() - t0
    stays = sum(1 for r in records if r["china_rung"] >= threshold)
    lo, hi = wilson(stays, len(records))
    print(f"mesa.batch_run: {len(records)} runs, P(stays) {stays / len(records):.3f} [{lo:.3f}, {hi:.3f}] "
          f"in {t_mesa:.2f} s")

    # simulator.run: the same number of runs as one vectorised ensemble.
    t0 = time.perf_counter()
    result = simulator.run(scenario, runs=args.runs, seed=1)
    t_vec = time.perf_counter() - t0
    entry = result.summary["outcomes"]["china_stays"]
    lo, hi = entry["ci95"]
    print(f"simulator.run:  {result.ensemble.runs} runs, P(stays) {entry['probability']:.3f} [{lo:.3f}, {hi:.3f}] "
          f"in {t_vec:.2f} s")
    print(f"columns of a batch_run record: {', '.join(k for k in records[0] if k != 'scenario')}")


if __name__ == "__main__":
    main()
