"""The world declared once (simulator/model/world.py): terms, states and links; named random
streams; a further state added by a scenario file alone; the structural section."""

import numpy as np
import pytest

from simulator.experiment.ensemble import run_ensemble
from simulator.model import decisions as rules
from simulator.model.model import AxisModel
from simulator.model.rng import DynamicStreams
from simulator.model.world import KINDS, STATES, TERMS, build_world, policy_outcomes
from simulator.scenario import ScenarioError, load_scenario
from simulator.scenario.schema import LINK_KINDS, STATE_IDS

from .conftest import BASELINE

INDIA = """name: with_india
extends: BASELINE
world:
  states:
    india: {name: India, bloc: neutral, role: "buys Russian crude; trades with both blocs"}
  links:
    - {source: india, target: russia}
states:
  india:
    dependency:
      russia: {value: 0.013, source: "test value"}
      united_states: {value: 0.18, source: "test value"}
      europe: {value: 0.17, source: "test value"}
    risk_tolerance: 0.4
    sanction_exposure: 0.5
    capability: 0.6
    hostility: 0.2
    energy_imports: {russia: 0.35}
    support: {russia: 1}
theatres:
  ukraine:
    support_mix: {india: MIX}
"""


def test_every_term_has_a_label_a_colour_and_a_description():
    assert tuple(t.id for t in TERMS) == rules.TERMS
    for t in TERMS:
        assert t.label and t.description and len(t.description.split()) >= 4, t.id
        assert t.colour.startswith("#") and len(t.colour) == 7, t.id
    assert len({t.colour for t in TERMS}) == len(TERMS)


def test_states_and_kinds_are_declared_once_and_agree_with_the_schema():
    assert tuple(s.id for s in STATES) == STATE_IDS
    assert tuple(k.id for k in KINDS) == LINK_KINDS
    world = build_world()
    names = [link.name for link in world.links]
    assert len(names) == len(set(names))
    outcomes = policy_outcomes(world)
    assert "europe_joins_sanctions" in outcomes and "united_states_aids_ukraine" in outcomes
    axis_pairs = [(a, b) for a in world.axis for b in world.axis if a != b]
    assert [(lk.source, lk.target) for lk in world.links_of("support")] == axis_pairs


def test_named_streams_do_not_depend_on_which_other_streams_exist():
    a, b = DynamicStreams(11, 3000, offset=500), DynamicStreams(11, 3000, offset=500)
    first = [a.draw("china->russia:support") for _ in range(3)]
    b.draw("india->russia:support")                      # a new stream drawn before and between
    second = [b.draw("china->russia:support")]
    b.draw("india->russia:support")
    second += [b.draw("china->russia:support") for _ in range(2)]
    for x, y in zip(first, second):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.draw("theatre:front"), b.draw("india->russia:support"))


def test_an_eleventh_state_from_a_scenario_file_alone(write_yaml):
    file = write_yaml(INDIA.replace("MIX", "0.1"))
    model = AxisModel(file, replicates=200, seed=5, collect=False)
    assert "india" in model.by_id and model.by_id["india"].partners == ("russia",)
    model.run()
    assert set(np.unique(model.by_id["india"].support["russia"])) <= set(range(5))
    ens = run_ensemble(file, runs=300, seed=5)
    assert ("india", "russia") in ens.links
    base = run_ensemble(BASELINE, runs=300, seed=5)
    lift = ens.outcomes["front"].to_numpy() - base.outcomes["front"].to_numpy()
    assert lift.mean() > 0 and lift.mean() - 1.96 * lift.std(ddof=1) / np.sqrt(len(lift)) > 0   # India backs Russia


def test_a_new_link_that_carries_no_weight_leaves_every_other_result_unchanged(write_yaml):
    """Named streams: the new state's draws are its own, so with no weight in Russia's strength
    every other outcome of every run is exactly the baseline's."""
    file = write_yaml(INDIA.replace("MIX", "0.0"))
    with_india = run_ensemble(file, runs=400, seed=9)
    base = run_ensemble(BASELINE, runs=400, seed=9)
    for column in ("china_rung", "china_iran_rung", "front", "escalation", "china_cost", "axis_cohesion"):
        np.testing.assert_array_equal(with_india.outcomes[column], base.outcomes[column])


def test_an_undeclared_state_is_named_with_its_line(write_yaml):
    file = write_yaml("name: x\nextends: BASELINE\nworld:\n  links:\n    - {source: indai, target: russia}\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(file)
    assert str(err.value).endswith(":5: world.links[0]: unknown state 'indai' (did you mean 'china'?)")


@pytest.mark.parametrize("block,key,line", [
    ("states:\n  china:\n    max_support: {russia: 2}\n", "states.china.max_support", 5),
    ("states:\n  china:\n    support: {russia: 3}\n", "states.china.support", 5),
    ("decision:\n  weights:\n    prestige_cost: 0.5\n", "decision.weights", 4),
])
def test_a_scenario_may_not_set_chinas_choice_set_or_decision_weights(write_yaml, block, key, line):
    file = write_yaml("name: x\nextends: BASELINE\n" + block)
    with pytest.raises(ScenarioError) as err:
        load_scenario(file)
    message = str(err.value)
    assert message.startswith(f"{file}:{line}: {key}: only the baseline")


def test_the_baseline_and_overrides_may_set_the_structural_section():
    res = load_scenario(BASELINE, ["decision.weights.prestige_cost=2.2"])
    assert res.params["decision.weights.prestige_cost"].value == 2.2
    assert res.scenario.states["china"].max_support == {}
