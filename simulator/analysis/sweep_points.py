"""Per-point results of a sweep (``points.parquet``): probabilities with Wilson 95% CIs,
means with normal 95% CIs, from the merged task aggregates."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..experiment.sweep import BINARY, CONTINUOUS, SweepResult
from ..model.decisions import N_RUNGS
from .summary import Z95, wilson

#: points.parquet probability columns: outcome -> column stem.
PROBABILITIES = {"china_stays": "p_stays", "china_weapons": "p_weapons",
                 "china_weapons_ever": "p_weapons_ever", "broad_sanctions": "p_broad_sanctions",
                 "dropped": "p_drop", "china_stays_throughout": "p_stays_throughout",
                 "china_breaks_ever": "p_breaks_ever", "china_iran_stays": "p_iran_stays",
                 "china_nk_stays": "p_nk_stays"}
assert set(PROBABILITIES) == set(BINARY)


def points_table(result: SweepResult) -> pd.DataFrame:
    """One row per design point, in design order (row i is point i, as SALib.analyze expects).

    Columns: ``point``, the swept parameters (dotted paths), ``runs`` (replicates
    finished), ``complete``; ``p_stays``, ``p_stays_ci95_low``, ``p_stays_ci95_high`` and
    the same for ``p_weapons``, ``p_weapons_ever``, ``p_broad_sanctions``, ``p_drop``;
    ``china_rung_share_0..4``; ``<outcome>_mean``, ``_sd``, ``_ci95_low``, ``_ci95_high``
    for the continuous outcomes; ``first_drop_month_mean`` (among runs that dropped).
    Statistics are NaN for points without finished runs.
    """
    plan, c = result.plan, result.combined
    design = plan.design
    out: dict = {"point": np.arange(plan.points, dtype=np.int64)}    # columns, framed at the end
    for p in design.params:
        col = design.points[p.path].to_numpy()
        out[p.path] = col.astype(np.int64) if p.integer else col.astype(np.float64)
    n = c["replicates"].to_numpy(dtype=np.int64)
    out["runs"] = n
    out["complete"] = result.complete
    for name, stem in PROBABILITIES.items():
        k = c[f"{name}_count"].to_numpy(dtype=np.int64)
        p, lo, hi = _proportions(k, n)
        out[stem], out[f"{stem}_ci95_low"], out[f"{stem}_ci95_high"] = p, lo, hi
    for r in range(N_RUNGS):
        out[f"china_rung_share_{r}"] = _ratio(c[f"china_rung_{r}_count"].to_numpy(np.float64), n)
    for name in CONTINUOUS:
        mean = c[f"{name}_mean"].to_numpy(dtype=np.float64)
        m2 = c[f"{name}_m2"].to_numpy(dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            sd = np.where(n > 1, np.sqrt(np.maximum(m2, 0.0) / np.maximum(n - 1, 1)), np.where(n == 1, 0.0, np.nan))
            half = Z95 * sd / np.sqrt(np.where(n > 0, n, np.nan))
        out[f"{name}_mean"] = np.where(n > 0, mean, np.nan)
        out[f"{name}_sd"] = sd
        out[f"{name}_ci95_low"] = out[f"{name}_mean"] - half
        out[f"{name}_ci95_high"] = out[f"{name}_mean"] + half
    dropped = c["dropped_count"].to_numpy(np.float64)
    out["first_drop_month_mean"] = _ratio(c["first_drop_month_sum"].to_numpy(np.float64), dropped)
    return pd.DataFrame(out)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    den = np.asarray(den, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _proportions(k: np.ndarray, n: np.ndarray):
    p = _ratio(k.astype(np.float64), n)
    lo = np.full(len(k), math.nan)
    hi = np.full(len(k), math.nan)
    for i in range(len(k)):
        if n[i] > 0:
            lo[i], hi[i] = wilson(float(k[i]), int(n[i]))
    return p, lo, hi


def describe_response(points: pd.DataFrame, paths: list[str]) -> list[str]:
    """Plain-language lines about where P(stays) is lowest and highest."""
    ok = points[points["runs"] > 0]
    if ok.empty:
        return ["no point finished"]
    lines = []
    for label, row in (("lowest", ok.loc[ok["p_stays"].idxmin()]), ("highest", ok.loc[ok["p_stays"].idxmax()])):
        where = ", ".join(f"{p}={row[p]:g}" for p in paths)
        lines.append(f"{label} P(stays) = {row['p_stays']:.3f} [{row['p_stays_ci95_low']:.3f}, "
                     f"{row['p_stays_ci95_high']:.3f}] at {where}")
    return lines
