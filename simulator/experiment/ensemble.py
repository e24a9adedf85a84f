"""Monte Carlo ensembles: run R replicates of a scenario in batches of vectorised models.

Results are a pure function of (scenario, seed): replicate ``i`` is identical whatever
the total number of runs or the batch size (see :mod:`simulator.model.rng`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from ..model.decisions import N_RUNGS, TERMS
from ..model.model import SERIES, AxisModel, resolve
from ..model.rng import CHUNK
from ..model.sampling import draw_parameters, is_drawn, posterior_rows
from ..scenario import Resolved

DEFAULT_BATCH = 8192
#: Runs are cut into at least this many batches when there are enough of them, so that up to
#: this many workers share the work; the cut does not depend on the number of workers, so
#: every sum is taken in the same order and the outputs are identical byte for byte.
PARALLEL_BATCHES = 32
#: ... but no batch is smaller than this: below it the per-month Python overhead of a batch
#: outweighs the vectorised arithmetic (per-core throughput falls by a third at 2,048).
MIN_BATCH = 4096
#: Batches queued per pool worker: a worker that finishes while this process is busy with its own
#: batch starts the next one at once instead of waiting for this process to hand it over.
PREFETCH = 2
DEFAULT_SERIES_LIMIT = 10_000
BAND_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


@dataclass
class Ensemble:
    """Everything one ensemble produced."""

    resolved: Resolved
    runs: int
    seed: int
    fixed: bool
    outcomes: pd.DataFrame            # one row per replicate: outcomes + drawn parameters
    series: dict[str, np.ndarray]     # name -> (months+1, min(runs, series_limit)) per-replicate series
    rung_counts: dict[str, np.ndarray]  # link -> (months+1, rungs) counts over all replicates
    term_means: np.ndarray            # (months+1, terms, rungs): mean of each term for each rung
    term_held_means: np.ndarray       # (months+1, terms): mean of each term at the rung chosen
    drawn_columns: list[str] = field(default_factory=list)
    #: "stays" / "breaks" -> (months+1, terms): mean margin of each term for the 'stays' rung over
    #: the rung below, over the runs in which China does / does not stay at the horizon
    margin_by_outcome: dict[str, np.ndarray] = field(default_factory=dict)
    outcome_counts: dict[str, int] = field(default_factory=dict)
    links: list[tuple[str, str]] = field(default_factory=list)   # directed support links (state, partner)
    link_means: np.ndarray | None = None  # (months+1, links): mean commitment (0-1) of each link
    #: Western/regional decisions, by link name (world.py): (months+1, rungs) rung counts, the
    #: mean level (months+1,) and the mean of each named term at the rung chosen (months+1, terms)
    policy_rungs: dict[str, np.ndarray] = field(default_factory=dict)
    policy_levels: dict[str, np.ndarray] = field(default_factory=dict)
    policy_terms: dict[str, np.ndarray] = field(default_factory=dict)
    link_rungs: np.ndarray | None = None  # (links, rungs): runs at each rung of each link at the horizon
    #: the posterior the parameters were drawn from (simulator.scenario.posterior.Posterior), or None
    posterior: object | None = None
    #: P(stays) across parameter draws (simulator/experiment/spread.py), when it was computed
    parameter_spread: dict | None = None

    @property
    def months(self) -> int:
        return self.resolved.scenario.horizon_months


def posterior_params(resolved: Resolved, posterior, n: int, seed: int, fixed: bool, offset: int):
    """The parameter values of replicates offset..offset+n-1 drawn with ``posterior`` (None: let
    the model draw them from the prior ranges, as always)."""
    if posterior is None:
        return None
    keep = frozenset(p for p in posterior.columns if p not in posterior.applied(resolved))
    return draw_parameters(resolved.params, n, seed, fixed=fixed, offset=offset, posterior=posterior, keep=keep)


def _run_batch(resolved: Resolved, n: int, seed: int, fixed: bool, offset: int, keep: int,
               drawn_paths: list[str], posterior=None):
    """One vectorised model of ``n`` replicates starting at replicate ``offset``."""
    model = AxisModel(resolved, replicates=n, seed=seed, fixed=fixed, offset=offset,
                      series_limit=keep, collect=False,
                      params=posterior_params(resolved, posterior, n, seed, fixed, offset))
    model.run()
    columns = {"replicate": np.arange(offset, offset + n), **model.outcomes()}
    if posterior is not None:
        columns["posterior_row"] = posterior_rows(posterior.cumulative, seed, n, offset)
    columns.update({path: model.drawn[path] for path in drawn_paths})
    rec = model.recorder
    final = np.array([np.bincount(model.by_id[sid].support[partner], minlength=N_RUNGS)[:N_RUNGS]
                      for sid, partner in rec.links], dtype=np.int64).reshape(len(rec.links), N_RUNGS)
    model.release()
    stays = columns["china_stays"].astype(bool)
    grouped = {"stays": rec.term_margin[:, :, stays].sum(axis=2, dtype=np.float64),
               "breaks": rec.term_margin[:, :, ~stays].sum(axis=2, dtype=np.float64)}
    counts = {"stays": int(stays.sum()), "breaks": int((~stays).sum())}
    series = {name: rec.series[name] for name in SERIES} if keep else None
    return (pd.DataFrame(columns), series, rec.rung_counts, rec.term_sums, rec.term_held_sums,
            (rec.links, rec.link_sums, final), (grouped, counts),
            (rec.policy_rungs, rec.policy_level_sums, rec.policy_term_sums))


def default_batch(runs: int) -> int:
    """Replicates per batch: whole random-stream chunks, at most DEFAULT_BATCH, and small enough
    for PARALLEL_BATCHES batches (a function of ``runs`` only, never of the workers)."""
    per = -(-max(runs, 1) // PARALLEL_BATCHES)
    return min(DEFAULT_BATCH, max(MIN_BATCH, -(-per // CHUNK) * CHUNK))


def _run_parallel(jobs: list, workers: int, done: Callable) -> list:
    """Run the batches on ``workers`` processes: this one and a pool of ``workers - 1``.

    This process takes batches from the end of the list while the pool starts and works
    from the front, so the pool's start-up time is not lost; each pool worker has PREFETCH
    batches queued, so it never waits for this process.  Results come back in job order
    whoever ran them."""
    import os
    from concurrent.futures import ProcessPoolExecutor

    from .processes import exit_with_parent, process_context
    pool = ProcessPoolExecutor(max_workers=workers - 1, mp_context=process_context(),
                               initializer=exit_with_parent, initargs=(os.getpid(),))
    results: list = [None] * len(jobs)
    in_flight: dict = {}                       # future -> job index
    front, back = 0, len(jobs) - 1             # the pool takes from the front, this process from the back
    try:
        while front <= back or in_flight:
            for fut in [f for f in in_flight if f.done()]:
                i = in_flight.pop(fut)
                results[i] = fut.result()
                done(jobs[i])
            while len(in_flight) < PREFETCH * (workers - 1) and front <= back:
                in_flight[pool.submit(_run_batch, *jobs[front])] = front
                front += 1
            if front <= back:
                results[back] = _run_batch(*jobs[back])
                done(jobs[back])
                back -= 1
            elif in_flight:
                from concurrent.futures import FIRST_COMPLETED, wait
                wait(list(in_flight), return_when=FIRST_COMPLETED)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return results


def run_ensemble(scenario, runs: int | None = None, seed: int | None = None, *, fixed: bool = False,
                 overrides=None, batch: int | None = None, series_limit: int = DEFAULT_SERIES_LIMIT,
                 offset: int = 0, workers: int = 1,
                 progress: Callable[[int], None] | None = None, posterior=None) -> Ensemble:
    """Run ``runs`` replicates (default: the scenario's ``runs``) starting at replicate ``offset``.

    Batches run in this process or, with ``workers > 1``, in that many local processes;
    the result is the same either way (each replicate's random streams are fixed).
    ``posterior`` (simulator.scenario.posterior.Posterior, checked against the scenario): each
    replicate draws one of its rows by weight and takes its parameters from it (runs.parquet
    gains the column ``posterior_row``); the parameters it lacks keep their prior draws.
    """
    resolved = resolve(scenario, overrides)
    sc = resolved.scenario
    runs = int(sc.runs if runs is None else runs)
    seed = int(sc.seed if seed is None else seed)
    months = sc.horizon_months
    if posterior is not None and fixed:
        raise ValueError("a posterior gives each replicate drawn values; it cannot be combined with fixed")
    from_posterior = set(posterior.applied(resolved)) if posterior is not None else set()
    drawn_paths = [p for p, spec in resolved.params.items() if is_drawn(spec, fixed) or p in from_posterior]
    if batch is None:
        batch = default_batch(runs)
    jobs, kept = [], 0
    for start in range(0, runs, batch):
        n = min(batch, runs - start)
        keep = max(0, min(n, series_limit - kept))
        kept += keep
        jobs.append((resolved, n, seed, fixed, offset + start, keep, drawn_paths, posterior))

    frames, series_parts = [], {name: [] for name in SERIES}
    rung_counts = {link: np.zeros((months + 1, N_RUNGS), dtype=np.int64) for link in ("russia", "iran", "north_korea")}
    term_sums = np.zeros((months + 1, len(TERMS), N_RUNGS))
    held_sums = np.zeros((months + 1, len(TERMS)))
    network: dict = {"links": [], "sums": None, "final": None}        # alignment network: commitment per directed link
    group_sums = {g: np.zeros((months + 1, len(TERMS))) for g in ("stays", "breaks")}
    group_counts = {"stays": 0, "breaks": 0}

    policy: dict = {"rungs": {}, "levels": {}, "terms": {}}

    def collect(job, result):
        frame, series, counts, terms, held, (links, link_sums, final), (grouped, sizes), parts = result
        for key, part in zip(("rungs", "levels", "terms"), parts):
            for name, arr in part.items():
                policy[key][name] = arr.copy() if name not in policy[key] else policy[key][name] + arr
        for g in group_sums:
            group_sums[g] += grouped[g]
            group_counts[g] += sizes[g]
        network["links"] = links
        network["sums"] = link_sums if network["sums"] is None else network["sums"] + link_sums
        network["final"] = final if network["final"] is None else network["final"] + final
        frames.append(frame)
        if series is not None:
            for name in SERIES:
                series_parts[name].append(series[name])
        for link in rung_counts:
            rung_counts[link] += counts[link]
        term_sums[...] += terms
        held_sums[...] += held

    def done(job):
        if progress is not None:
            progress(job[1])

    if workers > 1 and len(jobs) > 1:
        for job, result in zip(jobs, _run_parallel(jobs, workers, done)):
            collect(job, result)                      # in job order: sums never change order
    else:
        for job in jobs:
            collect(job, _run_batch(*job))
            done(job)
    outcomes = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    series = {name: (np.concatenate(parts, axis=1) if parts else np.empty((months + 1, 0), np.float32))
              for name, parts in series_parts.items()}
    return Ensemble(resolved=resolved, runs=runs, seed=seed, fixed=fixed, outcomes=outcomes,
                    series=series, rung_counts=rung_counts, term_means=term_sums / max(runs, 1),
                    term_held_means=held_sums / max(runs, 1), drawn_columns=drawn_paths,
                    margin_by_outcome={g: group_sums[g] / max(group_counts[g], 1) for g in group_sums},
                    outcome_counts=dict(group_counts),
                    links=network["links"],
                    link_means=None if network["sums"] is None else network["sums"] / max(runs, 1),
                    link_rungs=network["final"],
                    policy_rungs=policy["rungs"],
                    policy_levels={k: v / max(runs, 1) for k, v in policy["levels"].items()},
                    policy_terms={k: v / max(runs, 1) for k, v in policy["terms"].items()},
                    posterior=posterior)
