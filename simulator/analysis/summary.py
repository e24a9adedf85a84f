"""Summary statistics of an ensemble: probabilities with confidence intervals, bands."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..experiment.ensemble import BAND_QUANTILES, Ensemble
from ..model.decisions import N_RUNGS, TERMS

Z95 = 1.959963984540054


def wilson(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion."""
    if n <= 0:
        return (math.nan, math.nan)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes <= 0 else max(0.0, centre - half)
    high = 1.0 if successes >= n else min(1.0, centre + half)
    return (low, high)


def mean_ci(values: np.ndarray, z: float = Z95) -> tuple[float, float, float]:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return (math.nan, math.nan, math.nan)
    m = float(v.mean())
    se = float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else 0.0
    return (m, m - z * se, m + z * se)


def probability(flags: np.ndarray) -> dict:
    flags = np.asarray(flags)
    n = int(flags.size)
    k = float(flags.sum())
    low, high = wilson(k, n)
    return {"probability": k / n if n else math.nan, "ci95": [low, high], "count": int(k), "runs": n}


def summarize(ens: Ensemble) -> dict:
    """The summary.json content (stable keys; see docs/outputs.md)."""
    o = ens.outcomes
    sc = ens.resolved.scenario
    drop = o["first_drop_month"].to_numpy()
    dropped = drop[drop >= 0]
    rung = o["china_rung"].to_numpy()
    dist = np.bincount(rung, minlength=N_RUNGS) / max(len(rung), 1)

    def stat(col):
        m, lo, hi = mean_ci(o[col].to_numpy())
        q = np.quantile(o[col].to_numpy(), [0.1, 0.5, 0.9]) if len(o) else [math.nan] * 3
        return {"mean": m, "ci95": [lo, hi], "p10": float(q[0]), "median": float(q[1]), "p90": float(q[2])}

    extra = {}
    if getattr(ens, "posterior", None) is not None:
        extra["posterior"] = ens.posterior.record(ens.resolved, ens.fixed)
    stays = probability(o["china_stays"].to_numpy())
    if ens.parameter_spread is not None:     # a separate, separately seeded computation (spread.py)
        stays["parameter_spread"] = {k: v for k, v in ens.parameter_spread.items()}
    return {
        "scenario": sc.name,
        "description": sc.description,
        "runs": ens.runs,
        "seed": ens.seed,
        "fixed": ens.fixed,
        "horizon_months": sc.horizon_months,
        "start": sc.start,
        "stay_threshold": sc.outcome.stay_threshold,
        "events": [{"month": ev.month, "path": ev.path, "note": ev.note} for ev in sc.events],
        "outcomes": {
            "china_stays": stays,
            "china_weapons": probability(o["china_weapons"].to_numpy()),
            "china_weapons_ever": probability(o["china_weapons_ever"].to_numpy()),
            "broad_sanctions": probability(o["broad_sanctions"].to_numpy()),
            "china_rung": {"median": float(np.median(rung)) if len(rung) else math.nan,
                           "mean": float(rung.mean()) if len(rung) else math.nan,
                           "distribution": {str(k): float(v) for k, v in enumerate(dist)}},
            "first_drop_month": {"probability_of_drop": probability(drop >= 0),
                                 "median_month": float(np.median(dropped)) if dropped.size else None},
            "axis_cohesion": stat("axis_cohesion"),
            "front": stat("front"),
            "escalation": stat("escalation"),
            "tension": stat("tension"),
            "china_cost": stat("china_cost"),
            "china_iran_rung": {"mean": float(o["china_iran_rung"].mean())},
            "china_nk_rung": {"mean": float(o["china_nk_rung"].mean())},
            **{name: probability(o[name].to_numpy()) for name in horizon_outcome_names(ens)
               if not name.endswith("_months_below")},
            **{name: stat(name) for name in horizon_outcome_names(ens) if name.endswith("_months_below")},
            **{name: probability(o[name].to_numpy()) for name in policy_outcome_names(ens)},
        },
        "policies": policies_summary(ens),
        **extra,
    }


def horizon_outcome_names(ens: Ensemble) -> list[str]:
    """Outcomes over the whole horizon (model.HORIZON_LINKS): china_stays_throughout,
    china_breaks_ever, china_months_below, and the same for China's links to Iran and North Korea."""
    from ..model.model import HORIZON_LINKS
    names = []
    for stem in HORIZON_LINKS.values():
        for suffix in ("_stays", "_stays_throughout", "_breaks_ever", "_months_below"):
            if stem + suffix != "china_stays" and stem + suffix in ens.outcomes.columns:
                names.append(stem + suffix)
    return names


def policy_outcome_names(ens: Ensemble) -> list[str]:
    """The binary outcome of every Western/regional decision (world.py), e.g. europe_joins_sanctions."""
    from ..model.world import build_world, policy_outcomes
    world = build_world([{"id": k, **v.model_dump()} for k, v in ens.resolved.scenario.world.states.items()],
                        [link.model_dump() for link in ens.resolved.scenario.world.links])
    return [name for name in policy_outcomes(world) if name in ens.outcomes.columns]


def policies_summary(ens: Ensemble) -> dict:
    """Per Western/regional decision: who controls it, the rung distribution and mean level at the
    horizon, and the median rung and mean level month by month."""
    sc = ens.resolved.scenario
    out = {}
    for name, counts in ens.policy_rungs.items():
        source, rest = name.split("->", 1)
        kind = rest.split(":", 1)[1]
        policy = f"{source}.{kind}"
        ctl = sc.policies.control.get(policy)
        mode = "decided" if ctl is None or ctl.mode == "decided" else \
            ("fixed" if ctl.from_month == 0 else f"fixed from month {ctl.from_month}")
        totals = counts.sum(axis=1).clip(min=1)
        cum = counts.cumsum(axis=1) / totals[:, None]
        median_path = [int(np.argmax(row >= 0.5)) for row in cum]
        horizon = counts[-1] / totals[-1]
        levels = ens.policy_levels.get(name)
        out[policy] = {
            "mode": mode,
            "rung_distribution": {str(k): float(v) for k, v in enumerate(horizon)},
            "mean_level": float(levels[-1]) if levels is not None else math.nan,
            "median_rung_path": median_path,
            "mean_level_path": [float(x) for x in levels] if levels is not None else [],
        }
    return out


def bands(ens: Ensemble) -> pd.DataFrame:
    """Per-month quantiles of every series (long table: month, series, mean, p10..p90, n)."""
    rows = []
    for name, arr in ens.series.items():
        if arr.shape[1] == 0:
            continue
        qs = np.quantile(arr, BAND_QUANTILES, axis=1)
        means = arr.mean(axis=1)
        for month in range(arr.shape[0]):
            rows.append({"month": month, "series": name, "mean": float(means[month]),
                         **{f"p{int(q * 100)}": float(qs[i, month]) for i, q in enumerate(BAND_QUANTILES)},
                         "n": int(arr.shape[1])})
    for link, counts in ens.rung_counts.items():
        totals = counts.sum(axis=1, keepdims=True).clip(min=1)
        shares = counts / totals
        for month in range(counts.shape[0]):
            for k in range(N_RUNGS):
                rows.append({"month": month, "series": f"share_{link}_rung{k}", "mean": float(shares[month, k]),
                             "n": int(totals[month, 0])})
    return pd.DataFrame(rows)


def terms_table(ens: Ensemble) -> pd.DataFrame:
    """Mean of each named utility term of China's Russia decision, per month and rung.

    Means (not medians) so that the terms add up exactly to the mean utility.
    """
    rows = []
    for month in range(1, ens.term_means.shape[0]):
        for i, term in enumerate(TERMS):
            for k in range(N_RUNGS):
                rows.append({"month": month, "term": term, "rung": k, "mean": float(ens.term_means[month, i, k])})
            rows.append({"month": month, "term": term, "rung": -1, "mean": float(ens.term_held_means[month, i])})
    return pd.DataFrame(rows)


def links_table(ens: Ensemble) -> pd.DataFrame:
    """Mean commitment (0 none .. 1 weapons) of every directed support link per month
    (long table: month, source, target, commitment, mean_rung) for the alignment network."""
    columns = ["month", "source", "target", "commitment", "mean_rung"]
    if ens.link_means is None or not ens.links:
        return pd.DataFrame(columns=columns)
    rows = []
    for month in range(ens.link_means.shape[0]):
        for j, (source, target) in enumerate(ens.links):
            c = float(ens.link_means[month, j])
            rows.append({"month": month, "source": source, "target": target, "commitment": c,
                         "mean_rung": c * (N_RUNGS - 1)})
    return pd.DataFrame(rows, columns=columns)


def link_rungs_table(ens: Ensemble) -> pd.DataFrame:
    """Share of runs at each rung of every directed support link at the horizon
    (long table: month, source, target, rung, share) for the alignment network's uncertainty."""
    columns = ["month", "source", "target", "rung", "share"]
    if ens.link_rungs is None or not ens.links:
        return pd.DataFrame(columns=columns)
    totals = ens.link_rungs.sum(axis=1, keepdims=True).clip(min=1)
    shares = ens.link_rungs / totals
    rows = [{"month": ens.months, "source": s, "target": t, "rung": k, "share": float(shares[j, k])}
            for j, (s, t) in enumerate(ens.links) for k in range(N_RUNGS)]
    return pd.DataFrame(rows, columns=columns)


def terms_by_outcome_table(ens: Ensemble) -> pd.DataFrame:
    """What separates the runs in which China stays from those in which it breaks: per month,
    the mean margin each term gives the 'stays' rung over the rung below it, for each group
    (month, term, group, margin, runs)."""
    columns = ["month", "term", "group", "margin", "runs"]
    rows = []
    for group, means in ens.margin_by_outcome.items():
        for month in range(1, means.shape[0]):
            for i, term in enumerate(TERMS):
                rows.append({"month": month, "term": term, "group": group, "margin": float(means[month, i]),
                             "runs": int(ens.outcome_counts.get(group, 0))})
    return pd.DataFrame(rows, columns=columns)


def policies_table(ens: Ensemble) -> pd.DataFrame:
    """Every Western/regional decision per month: its mean level and the share of runs at each
    rung (long table: month, policy, mean_level, rung, share) -- `explain --agent`."""
    rows = []
    for name, counts in ens.policy_rungs.items():
        source, rest = name.split("->", 1)
        policy = f"{source}.{rest.split(':', 1)[1]}"
        levels = ens.policy_levels.get(name)
        totals = counts.sum(axis=1).clip(min=1)
        for month in range(counts.shape[0]):
            for k in range(N_RUNGS):
                rows.append({"month": month, "policy": policy, "state": source,
                             "mean_level": float(levels[month]) if levels is not None else math.nan,
                             "rung": k, "share": float(counts[month, k] / totals[month])})
    return pd.DataFrame(rows, columns=["month", "policy", "state", "mean_level", "rung", "share"])


def policy_terms_table(ens: Ensemble) -> pd.DataFrame:
    """The mean of each named term at the rung each Western/regional decision chose, per month
    (long table: month, policy, state, term, mean); inertia is left out."""
    rows = []
    for name, sums in ens.policy_terms.items():
        source, rest = name.split("->", 1)
        policy = f"{source}.{rest.split(':', 1)[1]}"
        for month in range(1, sums.shape[0]):
            for i, term in enumerate(TERMS):
                if term != "inertia":
                    rows.append({"month": month, "policy": policy, "state": source, "term": term,
                                 "mean": float(sums[month, i])})
    return pd.DataFrame(rows, columns=["month", "policy", "state", "term", "mean"])
