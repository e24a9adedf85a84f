#!/usr/bin/env python3
"""Revealed-preference check, and fit, of the Western and regional decisions.

At the point values of a world where every policy is decided (month 0), print for every
Western/regional decision link the utility of each rung (its named terms summed, inertia left
out), the best rung and the rung it starts at.  The policy weights in scenarios/baseline.yaml
are set so that the November 2024 level is every decider's best reply; this script shows that
it is.  A start that is not the best rung but is held by inertia (no rung gains more than the
switching cost of moving to it) is reported as "held"; it exits 1 if any decision would move.

It also prints each policy kind's *robust margin*: over the kind's deciders and the rungs next
to each one's November 2024 level, the smallest of (utility of the start - utility of the
neighbour) / (the sum of the absolute term differences behind it).  A robust margin m means
that no change of the kind's weights by less than the share m, each in any direction, can move a
decider off its start: the start sits m inside its revealed-preference region.  The weights are
fitted to the centre of that region, where the drawn +-25% weights move the best reply up as
often as down (docs/model.md 7.17).

    python scripts/policy_equilibrium.py [SCENARIO]     (default: scenarios/baseline.yaml)
    python scripts/policy_equilibrium.py --fit KIND WEIGHT [SCENARIO]
        the value of one weight (the others held) that maximises the kind's robust margin
"""

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.model import decisions as rules  # noqa: E402
from simulator.model.model import AxisModel  # noqa: E402

TERMS = ("strategic_gain", "sanction_cost", "instability_cost", "prestige_cost", "allies_cost")


def _decisions(m):
    for link in m.links:
        if link.kind == "support" or m.is_fixed(link) or (link.kind == "sanctions" and link.source not in m.coalition):
            continue
        yield link


def table(scenario) -> list[tuple]:
    m = AxisModel(scenario, replicates=1, seed=1, fixed=True, collect=False)
    rows = []
    for link in _decisions(m):
        agent = m.by_id[link.source]
        x = m.link_inputs(agent, link)
        terms = rules.ladder_terms(x, m.weights_for(link), m.gain, m.visibility)
        utility = rules.cap(rules.total(terms), agent.top[link.target])[0]
        start = int(agent.support[link.target][0])
        moved = np.abs(np.arange(rules.N_RUNGS) - start) * float(m.p["decision.switching_cost"][0])
        held = bool(np.all(utility - moved <= utility[start] + 1e-12))
        rows.append((link.policy, start, int(np.argmax(utility)), held, utility,
                     {k: float(v[0, 4]) for k, v in terms.items()}))
    return rows


def term_differences(scenario, kind: str) -> list[tuple[str, int, int, np.ndarray]]:
    """Per decider of ``kind`` and per neighbour j of its start s: the per-unit-weight term
    differences u_s - u_j (one entry per weight in TERMS), at the point values, month 0."""
    unit = [f"decision.policy_weights.{kind}.{t}=1" for t in TERMS]
    m = AxisModel(scenario, replicates=1, seed=1, fixed=True, collect=False, overrides=unit)
    out = []
    for link in _decisions(m):
        if link.kind != kind:
            continue
        agent = m.by_id[link.source]
        terms = rules.ladder_terms(m.link_inputs(agent, link), m.weights_for(link), m.gain, m.visibility)
        per_unit = np.array([terms[t][0] for t in TERMS])                 # (terms, rungs)
        start, top = int(agent.support[link.target][0]), agent.top[link.target]
        for j in (start - 1, start + 1):
            if 0 <= j <= top:
                out.append((link.policy, start, j, per_unit[:, start] - per_unit[:, j]))
    return out


def robust_margin(diffs, w: np.ndarray) -> float:
    """The smallest (margin / sum of |term differences|) over the deciders and neighbours."""
    return min(float(w @ a) / float(np.abs(w * a).sum()) for *_, a in diffs)


def weights_of(scenario, kind: str) -> np.ndarray:
    m = AxisModel(scenario, replicates=1, seed=1, fixed=True, collect=False)
    return np.array([float(m.p[f"decision.policy_weights.{kind}.{t}"][0]) for t in TERMS])


def fit(scenario, kind: str, weight: str, grid=np.arange(0.0, 20.0001, 0.05)) -> tuple[float, float]:
    """The value of ``weight`` in [0, 20] (the others held) with the largest robust margin."""
    diffs, w = term_differences(scenario, kind), weights_of(scenario, kind)
    i = TERMS.index(weight)
    best = (-np.inf, float(w[i]))
    for v in grid:
        w[i] = v
        r = robust_margin(diffs, w)
        if r > best[0] + 1e-12:
            best = (r, float(v))
    return best[1], best[0]


def main() -> int:
    args = sys.argv[1:]
    if args[:1] == ["--fit"]:
        kind, weight = args[1], args[2]
        scenario = args[3] if len(args) > 3 else ROOT / "scenarios" / "baseline.yaml"
        now = weights_of(scenario, kind)
        now_margin = robust_margin(term_differences(scenario, kind), now)
        value, margin = fit(scenario, kind, weight)
        print(f"{kind}.{weight}: now {now[TERMS.index(weight)]:g} (robust margin {now_margin:.4f}); "
              f"centre {value:g} (robust margin {margin:.4f})")
        return 0
    scenario = args[0] if args else ROOT / "scenarios" / "baseline.yaml"
    ok = True
    rows = table(scenario)
    for policy, start, best, held, utility, top_terms in rows:
        flag = "best" if best == start else "held" if held else "MOVES"
        ok &= held
        print(f"{policy:28s} start {start} best {best} {flag:5s} utility by rung "
              + " ".join(f"{u:+.3f}" for u in utility))
        print(" " * 30 + "terms at rung 4: " + ", ".join(f"{k} {v:+.3f}" for k, v in top_terms.items() if v))
    print("robust margin by kind (the share by which every weight can move before a start moves):")
    for kind in ("sanctions", "aid", "deterrence", "strikes", "resistance"):
        diffs = term_differences(scenario, kind)
        if diffs:
            print(f"  {kind:11s} {robust_margin(diffs, weights_of(scenario, kind)):.4f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
