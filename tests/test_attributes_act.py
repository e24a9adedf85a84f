"""Every attribute drawn for a state acts on something: setting it to the low and then the high
end of its range (point values, same seed) changes at least one number of summary.json.

The list of attributes is generated from the scenario's parameters, so a new attribute is
covered automatically.  It is checked in the worlds where every state decides
(baseline.yaml), where Europe and Japan weigh following broad US sanctions
(secondary_sanctions_us_led.yaml), and where every state decides while the Middle East war widens
(baseline.yaml with the escalation events of middle_east_escalation.yaml, but not its
deterrence event, which would fix Israel's strikes), in the stress test (stress_break.yaml), where
the partners collapse and their links leave their caps, and where the donors cut their aid to 0.2
at month 1 (baseline.yaml plus that event, which commits it): Ukraine's resistance, at its
November 2024 level before the cut, then falls, and its drivers show.  KNOWN_INERT lists, with the reason, the attributes that
still act on nothing there; the test fails when one of them starts acting (remove it) as well
as when another stops.

An attribute whose whole range is small moves few choices (China's dependency on North Korea,
0.05-0.1% of its exports, flips none in 150 runs); one that moves nothing at RUNS runs is checked
again at RECHECK_RUNS before it is called inert.
"""

import json

import pytest
import yaml

from simulator.analysis.summary import summarize
from simulator.experiment.ensemble import run_ensemble
from simulator.scenario import load_scenario

from .conftest import SCENARIOS

WORLDS = ("baseline", "secondary_sanctions_us_led", "baseline_middle_east_war", "stress_break",
          "aid_cut")
#: A world built here from a bundled one plus events (name -> (extends, events)).
BUILT = {"baseline_middle_east_war": ("baseline.yaml", [
    {"month": 2, "path": "theatres.middle_east.escalation", "set": 0.85},
    {"month": 2, "path": "theatres.middle_east.iran_drive", "multiply": 1.5}]),
    "aid_cut": ("baseline.yaml", [{"month": 1, "path": "policies.ukraine_support.level", "set": 0.2}])}
RUNS = 150
RECHECK_RUNS = 600

SATURATED = "this partner's support to the other sits at its cap (or at its floor) in every run, so the " \
            "leaders' tie never changes a choice (model.md section 9)"
KNOWN_INERT = {
    **{f"states.{a}.leader_bond.{b}": SATURATED for a, b in (
        ("russia", "china"), ("iran", "china"), ("north_korea", "china"), ("north_korea", "russia"))},
}


def drawn_state_attributes() -> list[str]:
    res = load_scenario(SCENARIOS / f"{WORLDS[0]}.yaml")
    return [p for p, s in res.params.items() if p.startswith("states.") and s.range and s.range[0] < s.range[1]]


def world_file(world: str, folder) -> str:
    if world not in BUILT:
        return str(SCENARIOS / f"{world}.yaml")
    base, events = BUILT[world]
    path = folder / f"{world}.yaml"
    if not path.exists():
        path.write_text(yaml.safe_dump({"name": world, "extends": str(SCENARIOS / base), "events": events}),
                        encoding="utf-8")
    return str(path)


def acts(world: str, path: str, lo: float, hi: float, folder=None, runs: int = RUNS) -> bool:
    file = world_file(world, folder)

    def summary(value):
        ens = run_ensemble(file, runs=runs, seed=1, fixed=True, overrides=[f"{path}={value}"])
        return json.dumps(summarize(ens), sort_keys=True, default=str)
    return summary(lo) != summary(hi)


@pytest.mark.slow
def test_every_drawn_state_attribute_acts_on_the_summary(tmp_path):
    paths = drawn_state_attributes()
    assert len(paths) > 60
    res = load_scenario(SCENARIOS / f"{WORLDS[0]}.yaml")
    inert = []
    for path in paths:
        lo, hi = res.params[path].range
        if not any(acts(world, path, lo, hi, tmp_path, runs) for runs in (RUNS, RECHECK_RUNS)
                   for world in WORLDS):
            inert.append(path)
    assert sorted(set(inert) - set(KNOWN_INERT)) == [], "attributes that act on nothing"
    assert sorted(set(KNOWN_INERT) - set(inert)) == [], "now acting: remove from KNOWN_INERT"
