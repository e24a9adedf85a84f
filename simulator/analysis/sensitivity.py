"""Global sensitivity of P(stays) (and other outcomes) with SALib.

The design points come from the sweep machinery (:mod:`simulator.experiment.designs`:
SALib's Sobol' or Morris samples, in SALib's order) and each point's outcomes from
``points.parquet`` (row i is design point i).  This module only analyses:

* Sobol' (Saltelli/Jansen estimators, ``SALib.analyze.sobol``): first-order index S1
  (the share of the output's variance due to the parameter alone) and total-order ST
  (including all its interactions), with bootstrap 95% confidence intervals;
* Morris (``SALib.analyze.morris``): mu* (mean absolute elementary effect: overall
  influence, in output units per full range of the parameter) with its 95% CI, and
  sigma (spread of the effects: non-linearity or interactions).

Every P(stays) at a design point is itself a Monte Carlo estimate from R runs; its
noise adds a small spurious share of variance, so indices below ~0.02 are noise.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from .inputs import AnalysisError

METHODS = ("sobol", "morris")
#: points.parquet column -> plain label of the outcomes analysed (P(stays) first).
OUTPUTS = {
    "p_stays": "P(China stays)",
    "p_stays_throughout": "P(China stays throughout the horizon)",
    "p_weapons_ever": "P(China gives weapons at some point)",
    "axis_cohesion_mean": "axis cohesion (mean, 0-1)",
    "china_cost_mean": "China's cumulative cost (mean)",
    "front_mean": "Ukraine front: Russia's progress (mean, 0-1)",
}
CONF = 0.95
RESAMPLES = 200


def _raw_morris_x(design, sweep_seed: int | None) -> np.ndarray:
    """Morris needs the sample matrix itself; integer parameters were rounded in the
    design's points, so rebuild SALib's unrounded sample (same problem, N and seed)."""
    from ..experiment import designs as dz
    if not any(p.integer for p in design.params):
        return design.points[design.paths].to_numpy(dtype=float)
    from SALib.sample import morris
    if sweep_seed is None:
        raise AnalysisError("Morris with whole-number parameters needs the sweep seed")
    return np.asarray(morris.sample(design.problem, design.samples, num_levels=dz.MORRIS_LEVELS,
                                    seed=dz.design_seed(sweep_seed)), dtype=float)


def analyze(design, y: np.ndarray, method: str | None = None, seed: int = 0,
            x: np.ndarray | None = None, sweep_seed: int | None = None) -> pd.DataFrame:
    """Indices of one output ``y`` (one value per design point, in design order).

    ``design`` is a :class:`simulator.experiment.designs.Design` (its ``problem`` is the
    SALib problem).  Returns one row per parameter: Sobol' ``S1, S1_conf, ST, ST_conf``
    (conf = half-width of the 95% CI) or Morris ``mu, mu_star, mu_star_conf, sigma``.
    """
    method = method or design.name
    if method not in METHODS:
        raise AnalysisError(f"sensitivity needs a sobol or morris design, not {method!r}")
    y = np.asarray(y, dtype=float)
    if y.shape != (len(design),):
        raise AnalysisError(f"expected one output per design point ({len(design)}), got {y.shape}")
    if not np.all(np.isfinite(y)):
        missing = int((~np.isfinite(y)).sum())
        raise AnalysisError(f"{missing} design point(s) have no result (failed or unfinished); "
                            f"fix the cause and resume the sweep (--resume)")
    problem = design.problem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "sobol":
            from SALib.analyze import sobol
            res = sobol.analyze(problem, y, calc_second_order=True, num_resamples=RESAMPLES,
                                conf_level=CONF, print_to_console=False, seed=seed)
            frame = pd.DataFrame({"parameter": problem["names"], "S1": res["S1"], "S1_conf": res["S1_conf"],
                                  "ST": res["ST"], "ST_conf": res["ST_conf"]})
        else:
            from SALib.analyze import morris
            from ..experiment.designs import MORRIS_LEVELS
            xs = _raw_morris_x(design, sweep_seed) if x is None else np.asarray(x, dtype=float)
            res = morris.analyze(problem, xs, y, num_resamples=RESAMPLES, conf_level=CONF,
                                 print_to_console=False, num_levels=MORRIS_LEVELS, seed=seed)
            frame = pd.DataFrame({"parameter": problem["names"], "mu": np.asarray(res["mu"], dtype=float),
                                  "mu_star": np.asarray(res["mu_star"], dtype=float),
                                  "mu_star_conf": np.asarray(res["mu_star_conf"], dtype=float),
                                  "sigma": np.asarray(res["sigma"], dtype=float)})
    frame.insert(0, "method", method)
    return frame


def near_constant(column: str, y: np.ndarray, runs: np.ndarray | None = None) -> str | None:
    """Why an outcome hardly varies across the design (so its indices would be noise), or None.

    A probability whose spread over the design points is within about twice the Monte Carlo
    noise of one point's estimate (sqrt(p(1-p)/runs)), or under 0.01 in all, has nothing to
    attribute: Sobol' indices of it are pure noise (and can exceed 1).
    """
    y = y[np.isfinite(y)]
    if y.size < 2:
        return None
    sd = float(y.std(ddof=1))
    if column.startswith("p_"):
        p = float(np.clip(y.mean(), 0.0, 1.0))
        n = float(np.nanmean(runs)) if runs is not None and len(runs) else math.nan
        noise = math.sqrt(p * (1 - p) / n) if n and n > 0 else 0.0
        if np.ptp(y) < 0.01 or sd <= 2 * noise:
            return (f"it hardly varies across the design ({y.min():.3g} to {y.max():.3g}; sd {sd:.2g} against "
                    f"Monte Carlo noise {noise:.2g} per point), so its indices would be noise")
        return None
    scale = max(abs(float(y.mean())), 1e-12)
    if sd / scale < 1e-3:
        return f"it hardly varies across the design (sd {sd:.2g} around {y.mean():.3g})"
    return None


def sensitivity_table(design, points: pd.DataFrame, outputs: dict[str, str] | None = None,
                      seed: int = 0, sweep_seed: int | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Indices of every output column present in ``points`` (one row per design point,
    in design order, as the sweep writes points.parquet).  Outputs that do not vary
    across the design are skipped (their indices are undefined) and listed in the notes."""
    outputs = outputs or OUTPUTS
    if len(points) != len(design):
        raise AnalysisError(f"points.parquet has {len(points)} rows for {len(design)} design points")
    if "point" in points:
        order = points["point"].to_numpy()
        if not np.array_equal(order, np.arange(len(design))):
            points = points.set_index("point").reindex(range(len(design))).reset_index()
    for path in design.paths:
        if path in points and not np.allclose(points[path].to_numpy(float),
                                              design.points[path].to_numpy(float)):
            raise AnalysisError(f"points.parquet does not match the design ({path} differs)")
    frames, notes = [], []
    for col, label in outputs.items():
        if col not in points:
            continue
        y = points[col].to_numpy(dtype=float)
        if np.all(np.isfinite(y)) and np.ptp(y) == 0:
            notes.append(f"{label} is {y[0]:g} at every design point: no variance to attribute")
            continue
        flat = near_constant(col, y, points["runs"].to_numpy(dtype=float) if "runs" in points else None)
        if flat:
            notes.append(f"{label} left out: {flat}")
            continue
        f = analyze(design, y, seed=seed, sweep_seed=sweep_seed)
        f.insert(1, "output", col)
        f.insert(2, "output_label", label)
        frames.append(f)
    if not frames:
        raise AnalysisError("no output varies across the design points; nothing to attribute "
                            "(widen the ranges or add runs)")
    return pd.concat(frames, ignore_index=True), notes


def ranking(table: pd.DataFrame, output: str = "p_stays") -> pd.DataFrame:
    """Parameters of one output, most influential first (by ST, or mu* for Morris)."""
    t = table[table["output"] == output]
    if t.empty:                      # the output was left out (it hardly varies): nothing to rank
        return t
    key = "ST" if "ST" in t and t["ST"].notna().any() else "mu_star"
    return t.sort_values(key, ascending=False, kind="stable")


def text_lines(table: pd.DataFrame, output: str = "p_stays") -> list[str]:
    t = ranking(table, output)
    if t.empty:
        return []
    label = t["output_label"].iloc[0]
    lines = []
    if "ST" in t and t["ST"].notna().any():
        top = t.iloc[0]
        share = lambda v: f"{min(max(v, 0.0), 1.0):.0%}"  # noqa: E731 - a share of variance lies in 0-1
        lines.append(f"{label}: '{top['parameter']}' matters most: alone it explains {share(top['S1'])} of the "
                     f"variance (first order, +/- {top['S1_conf']:.2f}), with its interactions "
                     f"{share(top['ST'])} (total order, +/- {top['ST_conf']:.2f}).")
        inter = float(t["ST"].sum() - t["S1"].sum())
        if inter > 0.1:
            lines.append(f"Interactions between the parameters matter (sum of ST minus sum of S1 = {inter:.2f}).")
        outside = ((t[["S1", "ST"]] < -0.05) | (t[["S1", "ST"]] > 1.05)).to_numpy().any()
        wide = float(np.nanmax(t[["S1_conf", "ST_conf"]].to_numpy())) > 0.5
        if outside or wide:
            lines.append("Warning: too few samples for stable estimates (indices outside 0-1 or confidence "
                         "intervals wider than 0.5); raise --samples (and --runs) before trusting the ranking.")
    else:
        top = t.iloc[0]
        lines.append(f"{label}: '{top['parameter']}' matters most (Morris mu* = {top['mu_star']:.3f} +/- "
                     f"{top['mu_star_conf']:.3f} per full range; sigma = {top['sigma']:.3f}).")
    return lines
