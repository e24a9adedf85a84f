"""Regression baseline: summary numbers of every bundled scenario at a fixed seed.

``scripts/update_baseline.py`` rewrites tests/baseline/regression.json and prints a
readable diff; tests/test_regression.py fails when the model's numbers move.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..experiment.ensemble import run_ensemble

RUNS = 2000
SEED = 20241105
#: tolerances: probabilities may move by 3 replicates in 2,000, means by 0.1%
PROB_TOL = 3 / RUNS
REL_TOL = 1e-3


def scenario_numbers(path: Path, runs: int = RUNS, seed: int = SEED) -> dict[str, float]:
    ens = run_ensemble(path, runs=runs, seed=seed)
    o = ens.outcomes
    rung = o["china_rung"].to_numpy()
    out = {
        "p_stays": float(o["china_stays"].mean()),
        "p_weapons": float(o["china_weapons"].mean()),
        "p_weapons_ever": float(o["china_weapons_ever"].mean()),
        "p_drop": float((o["first_drop_month"] >= 0).mean()),
        "p_broad_sanctions": float(o["broad_sanctions"].mean()),
        **{f"p_rung{k}": float((rung == k).mean()) for k in range(5)},
        "mean_rung": float(rung.mean()),
        "mean_iran_rung": float(o["china_iran_rung"].mean()),
        "mean_nk_rung": float(o["china_nk_rung"].mean()),
        "mean_front": float(o["front"].mean()),
        "mean_escalation": float(o["escalation"].mean()),
        "mean_tension": float(o["tension"].mean()),
        "mean_axis_cohesion": float(o["axis_cohesion"].mean()),
        "mean_china_cost": float(o["china_cost"].mean()),
    }
    return {k: round(v, 6) for k, v in out.items()}


def compute_all(scenario_dir: Path) -> dict[str, dict[str, float]]:
    return {p.stem: scenario_numbers(p) for p in sorted(Path(scenario_dir).glob("*.yaml"))}


def within(key: str, old: float, new: float) -> bool:
    if key.startswith("p_"):
        return abs(old - new) <= PROB_TOL + 1e-12
    return bool(np.isclose(old, new, rtol=REL_TOL, atol=1e-6))


def diff(old: dict, new: dict) -> list[str]:
    """Readable lines: scenario.metric: old -> new (delta), for everything that moved."""
    lines = []
    for name in sorted(set(old) | set(new)):
        if name not in old:
            lines.append(f"+ {name}: new scenario")
            continue
        if name not in new:
            lines.append(f"- {name}: scenario removed")
            continue
        for key in sorted(set(old[name]) | set(new[name])):
            a, b = old[name].get(key), new[name].get(key)
            if a is None or b is None:
                lines.append(f"  {name}.{key}: {a} -> {b}")
            elif not within(key, a, b):
                lines.append(f"  {name}.{key}: {a:.4f} -> {b:.4f} ({b - a:+.4f})")
    return lines
