#!/usr/bin/env python3
"""Revealed-preference check of the Western and regional decisions.

At the point values of a world where every policy is decided (month 0), print for every Western/regional decision link
the utility of each rung (its named terms summed, inertia left out), the best rung and the
rung it starts at.  The policy weights in scenarios/baseline.yaml are set so that the
November 2024 level is every decider's best reply; this script shows that it is.  A start
that is not the best rung but is held by inertia (no rung gains more than the switching
cost of moving to it) is reported as "held"; it exits 1 if any decision would move.

    python scripts/policy_equilibrium.py [SCENARIO]     (default: scenarios/west_decides.yaml)
"""

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.model import decisions as rules  # noqa: E402
from simulator.model.model import AxisModel  # noqa: E402


def table(scenario) -> list[tuple]:
    m = AxisModel(scenario, replicates=1, seed=1, fixed=True, collect=False)
    rows = []
    for link in m.links:
        if link.kind == "support" or m.is_fixed(link) or (link.kind == "sanctions" and link.source not in m.coalition):
            continue
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


def main() -> int:
    scenario = sys.argv[1] if len(sys.argv) > 1 else ROOT / "scenarios" / "west_decides.yaml"
    ok = True
    for policy, start, best, held, utility, top_terms in table(scenario):
        flag = "best" if best == start else "held" if held else "MOVES"
        ok &= held
        print(f"{policy:28s} start {start} best {best} {flag:5s} utility by rung "
              + " ".join(f"{u:+.3f}" for u in utility))
        print(" " * 30 + "terms at rung 4: " + ", ".join(f"{k} {v:+.3f}" for k, v in top_terms.items() if v))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
