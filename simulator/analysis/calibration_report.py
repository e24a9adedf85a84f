"""What a calibration found: which parameters the data constrain, the predictive coverage of each
episode, and calibration.md."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model.sampling import draw_parameters

#: A parameter "moved" when its posterior sd is below this share of its prior sd, or its mean
#: shifted by more than SHIFT prior sds.
NARROWED = 0.8
SHIFT = 0.5


def parameter_table(priors: dict, posterior: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """Prior and posterior mean and sd of every calibrated parameter, and whether it moved."""
    prior = draw_parameters(priors, 20000, seed)
    w = posterior["weight"].to_numpy(dtype=float)
    w = w / w.sum()
    rows = []
    for path, spec in priors.items():
        pm, ps = float(prior[path].mean()), float(prior[path].std())
        x = posterior[path].to_numpy(dtype=float)
        qm = float(np.sum(w * x))
        qs = float(np.sqrt(np.sum(w * (x - qm) ** 2)))
        ratio = qs / ps if ps > 0 else 1.0
        shift = abs(qm - pm) / ps if ps > 0 else 0.0
        rows.append({"parameter": path, "prior_low": spec.range[0], "prior_high": spec.range[1],
                     "prior_mean": pm, "prior_sd": ps, "posterior_mean": qm, "posterior_sd": qs,
                     "sd_ratio": ratio, "shift_sd": shift, "moved": bool(ratio < NARROWED or shift > SHIFT),
                     "source": spec.source or ""})
    return pd.DataFrame(rows)


def coverage_by_episode(cov: pd.DataFrame) -> pd.DataFrame:
    g = cov.groupby("episode", sort=False)["covered"]
    return pd.DataFrame({"patterns": g.size(), "covered": g.sum(), "coverage": g.mean()}).reset_index()


def _fmt(x: float) -> str:
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    ax = abs(x)
    return f"{x:.3g}" if ax >= 0.001 or x == 0 else f"{x:.2e}"


def markdown_table(frame: pd.DataFrame, columns: list[str]) -> str:
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for _, r in frame.iterrows():
        out.append("| " + " | ".join(_fmt(r[c]) if not isinstance(r[c], str) else r[c] for c in columns) + " |")
    return "\n".join(out)


def calibration_markdown(info: dict, params: pd.DataFrame, cov_prior: pd.DataFrame,
                         cov_post: pd.DataFrame, charts: list[str]) -> str:
    moved = params[params["moved"]].sort_values("sd_ratio")
    free = params[~params["moved"]]
    by_ep = coverage_by_episode(cov_post).merge(
        coverage_by_episode(cov_prior)[["episode", "coverage"]].rename(columns={"coverage": "prior_coverage"}),
        on="episode")
    lines = [
        f"# Calibration to history ({info['method']})", "",
        f"Episodes: {', '.join(info['episodes'])}" + (f"; held out: {info['hold_out']}" if info.get("hold_out") else ""),
        "",
        f"Command: `{info['command']}`  ",
        f"Seed {info['seed']}; axis-sim {info['version']}; git {info['git']}; {info['time']}.  ",
        f"{info['simulations']:,} particle simulations (each runs every episode once) in "
        f"{info['seconds']:.1f} s with {info['workers']} worker(s){' on Dask' if info.get('dask') else ''}; "
        f"{info['particles']:,} posterior particles; final tolerance {info['epsilon']:.3g} "
        f"(root mean square miss, in units of 0.15 log points or one binary miss).", "",
        f"{len(params)} calibrated parameters (China's decision rule and attitudes, the sanctions "
        f"threat, and the measurement mappings); the others are drawn from their priors in every "
        f"simulation.", "",
        "## What the data constrain", "",
        f"A parameter *moved* when its posterior sd is below {NARROWED:g} of its prior sd or its "
        f"mean shifted by more than {SHIFT:g} prior sd.  {len(moved)} moved; {len(free)} stay as free "
        f"as their prior (the data say nothing about them).", "",
        markdown_table(moved, ["parameter", "prior_mean", "prior_sd", "posterior_mean", "posterior_sd",
                               "sd_ratio", "shift_sd"]) if len(moved) else "(none)", "",
        "Left free: " + (", ".join(f"`{p}`" for p in free["parameter"]) if len(free) else "none") + ".", "",
        "## Predictive coverage", "",
        "Share of each episode's patterns whose observed value lies inside the central 80% band of "
        "the predictive distribution (prior: parameters from their ranges; posterior: resampled "
        "particles).", "",
        markdown_table(by_ep.rename(columns={"coverage": "posterior_coverage"}),
                       ["episode", "patterns", "prior_coverage", "posterior_coverage"]), "",
        "Per pattern (posterior predictive):", "",
        markdown_table(cov_post, ["episode", "pattern", "observed", "mean", "low", "high", "covered"]), "",
        "## Charts", "",
        *[f"![{c}]({c})" for c in charts], "",
        "## What this calibration cannot support", "",
        "Four episodes, about twenty patterns: the data constrain what moves the observed dips and "
        "recoveries (the measurement elasticities, the pace at which payments adapt) and little of "
        "China's decision weights, whose effects the episodes barely separate; parameters left free "
        "stay free, and a posterior that narrows is evidence about this model's mapping, not proof "
        "that its mechanisms are right.  The episodes share one model built for November 2024, and "
        "their starting levels and sanctions steps are partly assumptions (docs/scenarios.md "
        "section 9).",
    ]
    return "\n".join(lines) + "\n"
