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
from ..model.sampling import is_drawn
from ..scenario import Resolved

DEFAULT_BATCH = 20_000
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

    @property
    def months(self) -> int:
        return self.resolved.scenario.horizon_months


def run_ensemble(scenario, runs: int | None = None, seed: int | None = None, *, fixed: bool = False,
                 overrides=None, batch: int = DEFAULT_BATCH, series_limit: int = DEFAULT_SERIES_LIMIT,
                 offset: int = 0, progress: Callable[[int], None] | None = None) -> Ensemble:
    """Run ``runs`` replicates (default: the scenario's ``runs``) starting at replicate ``offset``."""
    resolved = resolve(scenario, overrides)
    sc = resolved.scenario
    runs = int(sc.runs if runs is None else runs)
    seed = int(sc.seed if seed is None else seed)
    months = sc.horizon_months
    drawn_paths = [p for p, spec in resolved.params.items() if is_drawn(spec, fixed)]

    frames, series_parts = [], {name: [] for name in SERIES}
    rung_counts = {link: np.zeros((months + 1, N_RUNGS), dtype=np.int64) for link in ("russia", "iran", "north_korea")}
    term_sums = np.zeros((months + 1, len(TERMS), N_RUNGS))
    held_sums = np.zeros((months + 1, len(TERMS)))
    kept = 0
    for start in range(0, runs, batch):
        n = min(batch, runs - start)
        keep = max(0, min(n, series_limit - kept))
        model = AxisModel(resolved, replicates=n, seed=seed, fixed=fixed, offset=offset + start,
                          series_limit=keep, collect=False)
        model.run()
        out = model.outcomes()
        columns = {"replicate": np.arange(offset + start, offset + start + n), **out}
        columns.update({path: model.drawn[path] for path in drawn_paths})
        frames.append(pd.DataFrame(columns))
        rec = model.recorder
        if keep:
            for name in SERIES:
                series_parts[name].append(rec.series[name])
            kept += keep
        for link in rung_counts:
            rung_counts[link] += rec.rung_counts[link]
        term_sums += rec.term_sums
        held_sums += rec.term_held_sums
        if progress is not None:
            progress(n)
    outcomes = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    series = {name: (np.concatenate(parts, axis=1) if parts else np.empty((months + 1, 0), np.float32))
              for name, parts in series_parts.items()}
    return Ensemble(resolved=resolved, runs=runs, seed=seed, fixed=fixed, outcomes=outcomes,
                    series=series, rung_counts=rung_counts, term_means=term_sums / max(runs, 1),
                    term_held_means=held_sums / max(runs, 1), drawn_columns=drawn_paths)
