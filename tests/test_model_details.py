"""Details of the model that the behavioural tests reach only indirectly: the inputs of each
kind of Western decision, the month bookkeeping, events on state variables, outcomes, the
random streams' definition and the parameter draws at their edges."""

import zlib

import numpy as np
import pytest

from simulator.experiment.ensemble import run_ensemble
from simulator.model import decisions as rules
from simulator.model.model import SANCTIONS_LEADER, AxisModel
from simulator.model.rng import CHUNK, param_uniforms
from simulator.model.sampling import is_drawn, triangular_ppf
from simulator.model.world import build_world, policy_outcomes
from simulator.scenario.schema import ParamSpec

from .conftest import SCENARIOS

DECIDED = SCENARIOS / "baseline.yaml"


def model(path=DECIDED, n=6, *overrides):
    m = AxisModel(path, replicates=n, seed=2, fixed=True, overrides=list(overrides), collect=False)
    m.ctx = m._context()
    return m


def inputs(m, sid, target):
    return m.link_inputs(m.by_id[sid], target)


# ------------------------------------------------------------------ inputs of each kind

def test_sanctions_inputs_of_the_leader_and_of_a_member():
    m = model()
    p, china = m.p, m.china
    us = inputs(m, SANCTIONS_LEADER, "china")
    np.testing.assert_allclose(us.exposure, p["states.united_states.dependency.china"]
                               + p["states.united_states.sanction_exposure"])
    np.testing.assert_allclose(us.instability, china.hostility * china.capability)
    np.testing.assert_allclose(us.prestige_stake, p["states.united_states.prestige_stake"])
    np.testing.assert_allclose(us.cohesion, -m.ctx["cohesion"])
    np.testing.assert_allclose(us.hostility, p["states.united_states.hostility"] * m._axis_escalation())
    assert us.intensity is None and us.threat is None and np.all(us.redline == rules.N_RUNGS) and us.west_dep is None   # None: 1
    eu = inputs(m, "europe", "china")
    level = m.ctx["us_level"]
    np.testing.assert_allclose(eu.exposure, (p["states.europe.dependency.china"]
                                             + p["states.europe.sanction_exposure"]) * level)
    np.testing.assert_allclose(eu.instability, china.hostility * china.capability * level)
    # the West reads Russia's war by the ground held (its position), neutral at the November 2024 line
    np.testing.assert_allclose(eu.failure, m.ctx["failure_west"]["russia"])
    np.testing.assert_allclose(eu.failure, 0.5)
    assert eu.neutral is None


def test_the_west_reads_the_war_by_the_ground_not_by_a_months_momentum():
    """Russia's perceived momentum moves China's reading of its failure, not the West's; ground
    gained since November 2024 moves both the same way (Russia succeeding: failure below 0.5)."""
    m = model()
    m.momentum["russia"] = m.momentum["russia"] + 0.01          # a month's burst of momentum
    ctx = m._context()
    assert np.all(ctx["failure"]["russia"] < 0.45)
    np.testing.assert_allclose(ctx["failure_west"]["russia"], 0.5)
    m.p["theatres.ukraine.front"] = m.p["theatres.ukraine.front"] + 0.1   # ground gained
    ctx = m._context()
    scale = m.p["decision.position_scale"]
    np.testing.assert_allclose(ctx["failure_west"]["russia"], 1.0 / (1.0 + np.exp(0.1 / scale)))
    assert np.all(ctx["failure_west"]["russia"] < 0.5)


def test_aid_deterrence_strikes_and_resistance_inputs():
    m = model()
    p = m.p
    russia, nk, iran = m.by_id["russia"], m.by_id["north_korea"], m.by_id["iran"]
    aid = inputs(m, "europe", "ukraine")
    np.testing.assert_allclose(aid.hostility, p["states.europe.prestige_stake"])   # the motive: its stake
    np.testing.assert_allclose(aid.exposure, 1 - p["states.europe.capability"])
    np.testing.assert_allclose(aid.instability, russia.risk_tolerance * russia.capability)
    np.testing.assert_allclose(aid.prestige_stake, p["states.europe.prestige_stake"])
    det = inputs(m, "japan", "korea")
    tension = p["theatres.korea.tension"]
    np.testing.assert_allclose(det.hostility, p["states.japan.hostility"] * tension)
    np.testing.assert_allclose(det.instability, nk.risk_tolerance * tension)
    np.testing.assert_allclose(det.cohesion, -m.ctx["cohesion"])
    assert det.prestige_stake is None                   # None: no stake (0)
    strikes = inputs(m, "israel", "iran")
    esc = p["theatres.middle_east.escalation"]
    np.testing.assert_allclose(strikes.exposure, p["states.israel.sanction_exposure"])
    np.testing.assert_allclose(strikes.instability, iran.risk_tolerance * esc)
    assert strikes.cohesion is None and strikes.prestige_stake is None     # None: 0
    res = inputs(m, "ukraine", "russia")
    received = (m.level(m.by_id["united_states"].links["ukraine"]) + m.level(m.by_id["europe"].links["ukraine"])) / 2
    np.testing.assert_allclose(res.exposure, (1 - received) * (1 - p["states.ukraine.capability"]))
    np.testing.assert_allclose(res.instability, russia.risk_tolerance * russia.capability)


def test_levels_of_each_kind_of_decision():
    m = model()
    us, eu, ua = m.by_id[SANCTIONS_LEADER], m.by_id["europe"], m.by_id["ukraine"]
    for rung in range(5):
        us.support["china"][:] = rung
        eu.support["china"][:] = rung
        ua.support["russia"][:] = rung
        np.testing.assert_allclose(m.level(us.links["china"]),
                                   np.minimum(1, m.p["policies.secondary_sanctions.intensity"] * rung / 2))
        np.testing.assert_allclose(m.level(eu.links["china"]), rung / 4)          # how far it joins
        np.testing.assert_allclose(m.level(ua.links["russia"]), rung / 2)          # a multiplier


def test_coverage_weights_each_member_by_chinas_dependency_on_it():
    m = model()
    deps = {c: m.china.dep(c) for c in ("united_states", "europe", "japan")}
    m.by_id["europe"].support["china"][:] = 2          # Europe joins halfway, Japan not at all
    m.by_id["japan"].support["china"][:] = 0
    expected = (deps["united_states"] + 0.5 * deps["europe"]) / sum(deps.values())
    np.testing.assert_allclose(m._coverage(), expected)


# ------------------------------------------------------------------ months, records, outcomes

def test_a_run_stops_at_its_horizon_and_a_further_step_changes_nothing():
    m = AxisModel(SCENARIOS / "baseline.yaml", replicates=4, seed=1, collect=False, overrides=["horizon_months=3"])
    m.run()
    assert m.month == 3 and m.running is False
    rungs = m.china.support["russia"].copy()
    m.step()
    assert m.month == 3 and m.running is False
    np.testing.assert_array_equal(m.china.support["russia"], rungs)


def test_the_recorder_keeps_chinas_terms_and_each_decided_policys_terms_from_month_1():
    ens = run_ensemble(DECIDED, runs=300, seed=4, overrides=["horizon_months=4"])
    assert np.all(ens.term_means[0] == 0) and np.all(np.abs(ens.term_means[1:]).sum(axis=(1, 2)) > 0)
    terms = ens.policy_terms["europe->china:sanctions"]
    assert np.all(terms[0] == 0) and np.all(np.abs(terms[1:]).sum(axis=1) > 0)
    assert terms[1][rules.TERMS.index("strategic_gain")] > 0


def test_policy_outcomes_are_zero_at_level_zero_and_one_above(write_yaml):
    from simulator.scenario.loader import load_scenario, resolve_data
    res = load_scenario(SCENARIOS / "secondary_sanctions.yaml")
    data = dict(res.data)
    data["policies"] = {**data["policies"], "secondary_sanctions": {**data["policies"]["secondary_sanctions"],
                                                                    "coalition": ["united_states", "japan"]}}
    m = AxisModel(resolve_data(data, [], res.file, res.origins), replicates=5, seed=1, fixed=True, collect=False)
    out = m.outcomes()
    assert out["europe_joins_sanctions"].dtype == np.int8 and np.all(out["europe_joins_sanctions"] == 0)
    assert np.all(out["japan_joins_sanctions"] == 1) and np.all(out["united_states_aids_ukraine"] == 1)
    assert out["china_stays"].dtype == np.int8 and out["china_weapons"].dtype == np.int8


def test_an_event_on_a_state_variable_is_clipped_to_its_bounds(write_yaml):
    """The loader checks an event against the variable's range at load; the model may have moved
    a state variable (the front, tension) past it by the event's month, so the event clips."""
    file = write_yaml("name: ev\nextends: BASELINE\nevents:\n"
                      "  - {month: 2, path: theatres.ukraine.front, add: 0.5}\n"
                      "  - {month: 2, path: theatres.korea.tension, add: -0.4}\n")
    m = AxisModel(file, replicates=20, seed=3, fixed=True, collect=False)
    m.p["theatres.ukraine.front"][:] = 0.9            # where the war has taken it by month 2
    m.p["theatres.korea.tension"][:] = 0.1
    m._apply_event(m.events[2][0])
    m._apply_event(m.events[2][1])
    assert np.all(m.p["theatres.ukraine.front"] == 1.0)
    assert np.all(m.p["theatres.korea.tension"] == 0.0)


def test_release_drops_the_model_from_mesas_registry_and_can_be_called_twice():
    import mesa
    m = AxisModel(SCENARIOS / "baseline.yaml", replicates=2, seed=1, collect=False)
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):                     # mesa <= 3.3 keeps every model here
        assert m in ids
    m.release()
    m.release()
    assert not (isinstance(ids, dict) and m in ids)


def test_world_state_and_outcome_texts_name_the_state():
    world = build_world()
    assert world.state("europe").name == "Europe" and world.state("china").name == "China"
    _, text = policy_outcomes(world)["europe_joins_sanctions"]
    assert text.startswith("Europe enforces secondary sanctions")


# ------------------------------------------------------------------ random streams and draws

def test_parameter_streams_follow_their_documented_definition():
    """Replicate i of parameter PATH draws the i-th uniform of a PCG64 seeded with
    SeedSequence(seed, spawn_key=(1, crc32(PATH), chunk))."""
    path = "states.china.risk_tolerance"
    key = zlib.crc32(path.encode())
    g = np.random.Generator(np.random.PCG64(np.random.SeedSequence(7, spawn_key=(1, key, 1))))
    expected = g.random(CHUNK)[:5]
    np.testing.assert_array_equal(param_uniforms(7, path, 5, offset=CHUNK), expected)
    assert not np.array_equal(param_uniforms(8, path, 5, offset=CHUNK), expected)      # the seed matters
    assert param_uniforms(7, path, 0).shape == (0,)


def test_logit_probabilities_row_by_row_even_with_large_and_tiny_utilities():
    u = np.array([[1000.0, 999.0, 0.0, 0.0, 0.0], [0.001, 0.002, 0.0, 0.0, 0.0]])
    t = np.array([0.5, 0.08])
    p = rules.logit_probabilities(u, t)
    z = u / t[:, None]
    expected = np.exp(z - z.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(p, expected, rtol=1e-12)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert p.dtype == np.float64


def test_triangular_draws_at_the_edges_and_degenerate_ranges():
    u = np.array([0.0, 0.25, 1.0])
    np.testing.assert_array_equal(triangular_ppf(u, 0.4, 0.4, 0.4), [0.4, 0.4, 0.4])   # no width: the value
    np.testing.assert_allclose(triangular_ppf(np.array([0.0, 1.0]), 0.1, 0.3, 0.9), [0.1, 0.9])
    assert not is_drawn(ParamSpec(value=0.4, range=(0.4, 0.4)), fixed=False)
    assert is_drawn(ParamSpec(value=0.4, range=(0.3, 0.5)), fixed=False)
    assert not is_drawn(ParamSpec(value=0.4, range=(0.3, 0.5)), fixed=True)
    assert not is_drawn(ParamSpec(value=0.4), fixed=False)
