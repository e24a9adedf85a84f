"""Out-of-sample scores of the historical episodes: proper scoring rules of the predictive
distribution of each pattern (Brier for binary patterns, CRPS for continuous ones; lower is
better), from the prior and from a posterior fitted without the episode."""

from __future__ import annotations

import numpy as np
import pandas as pd
import properscoring as ps

COLUMNS = ["episode", "pattern", "kind", "prior_score", "posterior_score", "observed", "prior_mean",
           "posterior_mean", "score"]


def score(kind: str, simulated: np.ndarray, observed: float) -> float:
    """Brier score of the forecast probability (binary) or the ensemble CRPS (continuous)."""
    x = np.asarray(simulated, dtype=float)
    if kind == "binary":
        return float(ps.brier_score(float(observed), float(np.mean(x))))
    return float(ps.crps_ensemble(float(observed), x))


def score_rows(episode: str, patterns, observed: dict, prior_stats: dict, post_stats: dict) -> list[dict]:
    rows = []
    for p in patterns:
        if p.episode != episode:
            continue
        key = (episode, p.name)
        obs = observed[key]
        rows.append({"episode": episode, "pattern": p.name, "kind": p.kind,
                     "prior_score": score(p.kind, prior_stats[key], obs),
                     "posterior_score": score(p.kind, post_stats[key], obs), "observed": obs,
                     "prior_mean": float(np.mean(prior_stats[key])),
                     "posterior_mean": float(np.mean(post_stats[key])),
                     "score": "Brier" if p.kind == "binary" else "CRPS"})
    return rows


def summary(scores: pd.DataFrame) -> pd.DataFrame:
    """Per episode: patterns, on how many the posterior scores better (lower) or worse than the
    prior, and the mean skill 1 - posterior score / prior score over patterns with a prior score."""
    f = scores.assign(better=scores["posterior_score"] < scores["prior_score"],
                      worse=scores["posterior_score"] > scores["prior_score"],
                      skill=1 - scores["posterior_score"] / scores["prior_score"].where(scores["prior_score"] > 0))
    g = f.groupby("episode", sort=False)
    return pd.DataFrame({"patterns": g.size(), "posterior_better": g["better"].sum().astype(int),
                         "posterior_worse": g["worse"].sum().astype(int),
                         "mean_skill": g["skill"].mean()}).reset_index()
