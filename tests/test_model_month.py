"""One month of the model against the equations of docs/model.md (7.3-7.15), recomputed here from
the state before the month and the decisions taken in it; the agents' and the recorder's
bookkeeping; the declared world; parameter draws."""

import numpy as np
import pytest

from simulator.model import decisions as rules
from simulator.model import theatres as th
from simulator.model.model import AxisModel
from simulator.model.rng import DynamicStreams
from simulator.model.sampling import draw_parameters
from simulator.model.world import POLICY_LINKS, build_world
from simulator.scenario import load_scenario

from .conftest import SCENARIOS

N, SEED = 64, 11


def decided_model(**kw):
    return AxisModel(SCENARIOS / "baseline.yaml", replicates=N, seed=SEED, collect=False, **kw)


def test_one_month_of_the_world_follows_its_equations():
    m = decided_model()
    m.step()                                         # month 1: decisions have been taken before
    p0 = {k: v.copy() for k, v in m.p.items()}
    mom0 = {k: v.copy() for k, v in m.momentum.items()}
    cost0, over0, under0, active0 = m.cost.copy(), m.months_over.copy(), m.months_under.copy(), m.broad_active.copy()
    delivered0 = {k: v.copy() for k, v in m.delivered.items()}
    ctx_before = m._context()
    streams = DynamicStreams(SEED, N)                # each named stream: its second draw is month 1's
    for name in ("front", "escalation", "tension"):
        streams.draw(f"theatre:{name}")
    z = {name: DynamicStreams.normals(streams.draw(f"theatre:{name}")) for name in ("front", "escalation", "tension")}
    m.step()
    c = lambda s, t: rules.COMMIT[m.by_id[s].support[t]]          # commitments chosen this month  # noqa: E731
    lvl = lambda s, k: m.level(next(lk for lk in m.links if lk.source == s and lk.kind == k))  # noqa: E731
    cap = lambda s: p0[f"states.{s}.capability"]                    # noqa: E731
    u, me, k = "theatres.ukraine.", "theatres.middle_east.", "theatres.korea."
    support = sum(p0[f"{u}support_mix.{s}"] * c(s, "russia") for s in ("china", "north_korea", "iran"))
    russia_in = p0[u + "russia_strength"] * (1 + p0[u + "axis_elasticity"] * support)
    # aid reaches the front through its pipeline: 1/n of the gap to this month's decision (7.17)
    months = p0["policies.ukraine_support.delivery_months"]
    got = {s: delivered0[f"{s}->ukraine:aid"] + (lvl(s, "aid") - delivered0[f"{s}->ukraine:aid"]) / months
           for s in ("united_states", "europe")}
    aid = p0[u + "aid_weight"] * (got["united_states"] * cap("united_states") + got["europe"] * cap("europe")) / 2
    held = ((1 - p0[u + "front"]) / (1 - m.drawn[u + "front"])) ** p0[u + "ground_elasticity"]   # ground held
    ukraine_in = (p0[u + "ukraine_strength"] * cap("ukraine") * lvl("ukraine", "resistance") * held + aid
                  + p0[u + "arms_weight"] * cap("south_korea") * c("south_korea", "ukraine"))
    front = np.clip(p0[u + "front"] + p0[u + "rate"] * (russia_in - ukraine_in) + p0[u + "noise"] * z["front"], 0, 1)
    np.testing.assert_allclose(m.p[u + "front"], front, rtol=1e-12)
    rate = p0["decision.perception_rate"]
    np.testing.assert_allclose(m.momentum["russia"], mom0["russia"] + rate * ((front - p0[u + "front"]) - mom0["russia"]))

    deterrence_me = lvl("israel", "strikes") * cap("israel")
    revenue = p0[me + "revenue_mix.china"] * c("china", "iran") + p0[me + "revenue_mix.russia"] * c("russia", "iran")
    iran_cap = np.clip(cap("iran") + p0[me + "capability_rate"]
                       * (revenue - p0[me + "attrition"] * deterrence_me * p0[me + "escalation"]), 0, 1)
    np.testing.assert_allclose(m.p["states.iran.capability"], iran_cap, rtol=1e-12)
    chi = p0["theatres.coupling"] * p0["theatres.coupling_scale"]
    damp = p0["theatres.deterrence_damping"]
    moved = {x: p0[x] - m.drawn[x] for x in (u + "front", me + "escalation", k + "tension")}
    target_e = (p0[me + "iran_drive"] * p0["states.iran.risk_tolerance"] * iran_cap * (1 - damp * deterrence_me)
                + chi * (moved[k + "tension"] + moved[u + "front"]))
    escalation = np.clip(p0[me + "escalation"] + p0[me + "rate"] * (target_e - p0[me + "escalation"])
                         + p0[me + "noise"] * z["escalation"], 0, 1)
    np.testing.assert_allclose(m.p[me + "escalation"], escalation, rtol=1e-12)

    deterrence_ip = (lvl("japan", "deterrence") * cap("japan") + lvl("south_korea", "deterrence") * cap("south_korea")) / 2
    nk_cap = cap("north_korea") * (1 + p0[k + "russia_tech"] * c("russia", "north_korea"))
    target_t = (p0[k + "nk_drive"] * p0["states.north_korea.risk_tolerance"] * nk_cap * (1 - damp * deterrence_ip)
                + chi * (moved[me + "escalation"] + moved[u + "front"]))
    tension = np.clip(p0[k + "tension"] + p0[k + "rate"] * (target_t - p0[k + "tension"])
                      + p0[k + "noise"] * z["tension"], 0, 1)
    np.testing.assert_allclose(m.p[k + "tension"], tension, rtol=1e-12)
    np.testing.assert_allclose(m.momentum["north_korea"], mom0["north_korea"] * (1 - rate))  # capability unchanged

    axis = (c("china", "russia") + c("north_korea", "russia") + c("iran", "russia")) / 3
    ac = "policies.allied_cohesion."
    regional = (escalation - m.drawn[me + "escalation"]) + (tension - m.drawn[k + "tension"])
    target_a = np.clip(m.drawn[ac + "level"] + p0[ac + "response"]
                       * ((axis - m._escalation0) + p0[ac + "arms_weight"] * (c("south_korea", "ukraine") - m._sk0))
                       + p0[ac + "theatre_response"] * regional, 0, 1)
    cohesion = p0["policies.allied_cohesion.level"]
    np.testing.assert_allclose(m.p["policies.allied_cohesion.level"],
                               cohesion + p0["decision.cohesion_rate"] * (target_a - cohesion), rtol=1e-12)

    rung = m.china.support["russia"]
    top = np.maximum(rung, np.maximum(m.china.support["iran"], m.china.support["north_korea"]))
    active, over, under = th.enforcement_step(top, p0["policies.secondary_sanctions.redline_rung"], over0, under0,
                                              active0, p0["policies.secondary_sanctions.lag_months"])
    np.testing.assert_array_equal(m.broad_active, active)
    west = sum(p0[f"states.china.dependency.{x}"] for x in ("united_states", "europe", "japan"))
    vis = (rung / 4) ** p0["decision.visibility_curvature"]
    hit = p0["states.china.sanction_exposure"] * west * np.maximum(
        ctx_before["intensity"] * vis, active * p0["policies.secondary_sanctions.broad_intensity"])
    energy = p0["states.china.gulf_oil_dependency"] * th.hormuz_disruption(
        escalation, p0[me + "hormuz_threshold"], p0[me + "disruption_width"])
    np.testing.assert_allclose(m.cost, cost0 + hit + p0[me + "energy_hit_weight"] * energy, rtol=1e-12)
    for x in ("united_states", "europe", "japan"):                # China decouples from coalition markets
        key = f"states.china.dependency.{x}"
        np.testing.assert_allclose(m.p[key], p0[key] * (1 - p0["states.china.decoupling_rate"] / 12))
    np.testing.assert_allclose(m.p["states.china.dependency.russia"], p0["states.china.dependency.russia"])


def test_the_context_of_a_month():
    m = decided_model()
    m.step()
    ctx = m._context()
    p = m.p
    partners = [ctx["failure"][s] for s in ("russia", "iran", "north_korea")]
    np.testing.assert_allclose(ctx["failure_axis"], sum(partners) / 3)
    np.testing.assert_allclose(ctx["failure"]["russia"], th.perceived_failure(
        m.momentum["russia"] - p["states.russia.ambition"], p["decision.failure_scale"],
        p["theatres.ukraine.front"] - m.drawn["theatres.ukraine.front"], p["decision.position_scale"]))
    np.testing.assert_allclose(ctx["failure"]["iran"], th.perceived_failure(
        m.momentum["iran"], p["decision.failure_scale"],
        p["states.iran.capability"] - m.drawn["states.iran.capability"], p["decision.position_scale"]))
    ss = "policies.secondary_sanctions."
    expected = np.clip(ctx["us_level"] * m._coverage() * (1 + p[ss + "joint_boost"] * (
        p["policies.allied_cohesion.level"] - m.drawn["policies.allied_cohesion.level"])), 0, 1)
    np.testing.assert_allclose(ctx["intensity"], expected)
    np.testing.assert_allclose(ctx["threat"], p[ss + "credibility"] * p[ss + "broad_intensity"] * ~m.broad_active)
    np.testing.assert_allclose(ctx["west_dep"]["china"], sum(m.china.dep(x) for x in ("united_states", "europe", "japan")))


def test_support_link_inputs_follow_model_md_7_4():
    m = decided_model()
    m.step()
    m.ctx = m._context()                 # the context read from the state the test sees
    ctx, p = m.ctx, m.p
    for sid, partner in (("china", "russia"), ("china", "iran"), ("china", "north_korea"), ("russia", "iran"),
                         ("iran", "russia")):
        x = m.link_inputs(m.by_id[sid], partner)
        a, b = m.by_id[sid], m.by_id[partner]
        bound = b.dep(sid) + p["decision.weights.pressure_binds"] * ctx["intensity"] * (1 - b.dep(sid))
        np.testing.assert_allclose(x.leverage, bound + a.dep(partner))
        hormuz = (1 - ctx["disruption"]) if partner == "iran" else \
            (1 + p["theatres.middle_east.energy_premium"] * ctx["disruption"])
        np.testing.assert_allclose(x.energy, p.get(f"states.{sid}.energy_imports.{partner}", 0 * m.one) * hormuz)
        np.testing.assert_allclose(x.bond, p.get(f"states.{sid}.leader_bond.{partner}", 0 * m.one))
        np.testing.assert_allclose(x.alignment, p.get(f"states.{sid}.alignment.{partner}", m.one))
        np.testing.assert_allclose(x.hostility, a.hostility)
        np.testing.assert_allclose(x.exposure, a.sanction_exposure)
        np.testing.assert_allclose(x.west_dep, ctx["west_dep"][sid])
        np.testing.assert_allclose(x.tie_floor, p["decision.tie_floor_rung"])
        np.testing.assert_allclose(x.cohesion, ctx["cohesion"])
        np.testing.assert_allclose(x.prestige_stake, p.get(f"states.{sid}.prestige_stake", 0 * m.one))
        own = p["decision.failure_own_share"]
        np.testing.assert_allclose(x.failure, own * ctx["failure"][partner] + (1 - own) * ctx["failure_axis"])
        np.testing.assert_allclose(x.neutral, p["decision.neutral_failure"])
        gulf = p.get(f"states.{sid}.gulf_oil_dependency", 0 * m.one)
        korea = a.dep("south_korea") + a.dep("japan")
        chaos = {"ukraine": a.dep("europe") * p["theatres.ukraine.spillover"], "middle_east": gulf * ctx["disruption"],
                 "korea": korea * ctx["tension"]}
        feeds = {"russia": "ukraine", "iran": "middle_east", "north_korea": "korea"}
        instability = sum(v * (p["decision.instability_own"] if feeds[partner] == t else p["decision.instability_spill"])
                          for t, v in chaos.items())
        np.testing.assert_allclose(x.instability, instability)
        np.testing.assert_array_equal(x.current, a.support[partner])
        if sid == "china":
            np.testing.assert_allclose(x.intensity, ctx["intensity_china"])
            np.testing.assert_allclose(x.threat, ctx["threat"])
            np.testing.assert_allclose(x.redline, ctx["redline"])
        else:
            np.testing.assert_allclose(x.intensity, ctx["intensity"])
            assert x.threat is None and np.all(x.redline == rules.N_RUNGS)     # None: no threat
    arms = m.link_inputs(m.by_id["south_korea"], "ukraine")
    sk = m.by_id["south_korea"]
    np.testing.assert_allclose(arms.hostility, sk.hostility * rules.COMMIT[m.by_id["north_korea"].support["russia"]])
    np.testing.assert_allclose(arms.exposure, sk.sanction_exposure)
    np.testing.assert_allclose(arms.west_dep, sk.dep("china"))
    np.testing.assert_allclose(arms.instability, ctx["tension"])
    np.testing.assert_allclose(arms.cohesion, -ctx["cohesion"])
    np.testing.assert_allclose(arms.risk_tolerance, sk.risk_tolerance)
    # None: full intensity (the cost is not scaled) and no threat
    assert arms.intensity is None and arms.threat is None and arms.prestige_stake is None


def test_agents_start_where_the_scenario_puts_them_and_record_what_they_should():
    m = decided_model()
    assert m.china.partners == ("russia", "iran", "north_korea") and m.china.recorded == {"russia"}
    assert np.all(m.china.support["russia"] == 3)
    assert np.all(m.by_id["europe"].support["china"] == 4) and np.all(m.by_id["united_states"].support["china"] == 2)
    assert np.all(m.by_id["south_korea"].support["ukraine"] == 1)
    assert m.by_id["russia"].top["china"] == 3 and m.by_id["iran"].top["china"] == 2 and m.china.top["russia"] == 4
    assert m.by_id["europe"].recorded == set() and m.by_id["europe"].partners == ("china", "ukraine")
    m.step()
    assert set(m.china.last_terms) == {"russia"} and tuple(m.china.last_terms["russia"]) == rules.TERMS
    assert all(isinstance(v, np.ndarray) for v in m.by_id["europe"].pressure.values())
    moved = m.china.support["russia"] != 3
    assert np.all(m.china.pressure["russia"][moved] == 0)          # a move resets the pressure


def test_the_recorder_keeps_the_state_it_sees():
    m = decided_model(series_limit=10)
    for _ in range(3):
        m.step()
    rec = m.recorder
    np.testing.assert_array_equal(rec.series["china_rung"][3], m.china.support["russia"][:10])
    np.testing.assert_allclose(rec.series["front"][3], m.p["theatres.ukraine.front"][:10], rtol=1e-6)
    np.testing.assert_allclose(rec.series["china_cost"][3], m.cost[:10], rtol=1e-6)
    np.testing.assert_allclose(rec.series["axis_cohesion"][3], m.cohesion_index()[:10], rtol=1e-6)
    assert rec.series["front"].shape == (m.horizon + 1, 10) and np.isnan(rec.series["front"][4:]).all()
    for link in ("russia", "iran", "north_korea"):
        np.testing.assert_array_equal(rec.rung_counts[link][3], np.bincount(m.china.support[link], minlength=5))
    name = "europe->china:sanctions"
    np.testing.assert_array_equal(rec.policy_rungs[name][3], np.bincount(m.by_id["europe"].support["china"],
                                                                         minlength=5))
    np.testing.assert_allclose(rec.policy_level_sums[name][3], m.level(m.by_id["europe"].links["china"]).sum())
    assert (("china", "russia") in rec.links and ("south_korea", "ukraine") in rec.links
            and all(t != "korea" for _, t in rec.links))
    j = rec.links.index(("china", "russia"))
    np.testing.assert_allclose(rec.link_sums[3, j], rules.COMMIT[m.china.support["russia"]].sum())


def test_cohesion_index_and_outcomes_read_the_model():
    m = decided_model()
    for _ in range(2):
        m.step()
    axis = ("china", "russia", "iran", "north_korea")
    expected = sum(rules.COMMIT[m.by_id[a].support[b]] for a in axis for b in axis if a != b) / 12
    np.testing.assert_allclose(m.cohesion_index(), expected)
    out = m.outcomes()
    np.testing.assert_array_equal(out["china_iran_rung"], m.china.support["iran"])
    np.testing.assert_array_equal(out["china_nk_rung"], m.china.support["north_korea"])
    np.testing.assert_array_equal(out["china_stays"], m.china.support["russia"] >= 2)
    np.testing.assert_array_equal(out["china_weapons"], m.china.support["russia"] >= 4)
    np.testing.assert_array_equal(out["broad_sanctions"], m.broad_active)
    np.testing.assert_allclose(out["tension"], m.p["theatres.korea.tension"])
    np.testing.assert_allclose(out["escalation"], m.p["theatres.middle_east.escalation"])
    np.testing.assert_allclose(out["sanction_intensity"], m.ctx["intensity_china"])
    np.testing.assert_allclose(out["europe_sanctions_level"], m.level(m.by_id["europe"].links["china"]))
    assert out["china_rung"].dtype == np.int8 and out["first_drop_month"].dtype == np.int16
    out["front"][:] = -1                                           # outcomes are copies
    assert np.all(m.p["theatres.ukraine.front"] >= 0)


def test_the_datacollector_reports_the_means_each_month():
    m = AxisModel(SCENARIOS / "baseline.yaml", replicates=30, seed=3)
    m.step(), m.step()
    frame = m.datacollector.get_model_vars_dataframe()
    assert len(frame) == 3
    last = frame.iloc[-1]
    assert last["china_rung"] == pytest.approx(m.china.support["russia"].mean())
    assert last["front"] == pytest.approx(m.p["theatres.ukraine.front"].mean())
    assert last["escalation"] == pytest.approx(m.p["theatres.middle_east.escalation"].mean())
    assert last["tension"] == pytest.approx(m.p["theatres.korea.tension"].mean())
    assert last["allied_cohesion"] == pytest.approx(m.p["policies.allied_cohesion.level"].mean())


def test_integer_parameters_are_drawn_as_integers():
    m = AxisModel(SCENARIOS / "baseline.yaml", replicates=500, seed=3, collect=False)
    lag = m.p["policies.secondary_sanctions.lag_months"]
    assert np.all(lag == np.rint(lag)) and len(np.unique(lag)) > 1
    assert not np.all(m.drawn["policies.secondary_sanctions.lag_months"] == np.rint(lag))   # drawn, then rounded


def test_fixed_and_event_controls(write_yaml):
    m = decided_model()
    assert not any(m.is_fixed(lk) for lk in m.links)
    b = AxisModel(SCENARIOS / "aid_held.yaml", replicates=2, seed=1, collect=False)
    assert {lk.policy for lk in b.links if b.is_fixed(lk)} == {"united_states.aid", "europe.aid"}  # committed aid
    assert not any(b.is_fixed(lk) for lk in b.links if lk.kind in ("support", "arms"))
    h = AxisModel(SCENARIOS / "history" / "ukraine_2022.yaml", replicates=2, seed=1, collect=False)
    assert all(h.is_fixed(lk) for lk in h.links if lk.kind not in ("support", "arms"))   # observed levels
    file = write_yaml(f"name: ev\nextends: {SCENARIOS / 'baseline.yaml'}\n"
                      "policies:\n  control:\n    israel.strikes: {mode: fixed, from_month: 2}\n"
                      "events:\n  - {month: 1, path: policies.secondary_sanctions.intensity, set: 0.5}\n")
    s = AxisModel(file, replicates=2, seed=1, collect=False)
    us, eu = s.by_id["united_states"].links["china"], s.by_id["europe"].links["china"]
    israel = s.by_id["israel"].links["iran"]
    assert s._fixed_from == {us.name: 1, israel.name: 2}
    assert not s.is_fixed(us) and not s.is_fixed(israel)
    s.step()
    assert s.is_fixed(us) and not s.is_fixed(eu) and not s.is_fixed(israel)   # members still decide
    s.step()
    assert s.is_fixed(israel)


def test_the_declared_world_and_a_scenarios_additions():
    world = build_world([{"id": "india", "name": "India", "bloc": "neutral"}],
                        [{"source": "india", "target": "russia"}])
    assert world.state_ids[-1] == "india" and world.state("india").bloc == "neutral"
    assert world.axis == ("china", "russia", "iran", "north_korea")
    assert [lk.name for lk in world.links][-1] == "india->russia:support"
    assert len(world.links_of("support")) == 13 and world.links_of("sanctions")[0].source == "united_states"
    assert world.deciders("aid") == ["united_states", "europe"]
    assert [lk for lk in world.links if lk.kind != "support"] == list(POLICY_LINKS)
    assert POLICY_LINKS[0].policy == "united_states.sanctions" and POLICY_LINKS[0].name == "united_states->china:sanctions"


def test_parameter_draws_fixed_uniform_and_triangular():
    res = load_scenario(SCENARIOS / "baseline.yaml")
    fixed = draw_parameters(res.params, 50, 1, fixed=True)
    assert all(np.all(v == res.params[k].value) for k, v in fixed.items())
    drawn = draw_parameters(res.params, 4000, 1)
    spec = res.params["states.china.risk_tolerance"]
    x = drawn["states.china.risk_tolerance"]
    assert spec.range[0] <= x.min() and x.max() <= spec.range[1]
    assert x.mean() == pytest.approx(sum((spec.range[0], spec.value, spec.range[1])) / 3, abs=0.005)
    unranged = [k for k, s in res.params.items() if s.range is None]
    assert unranged and all(np.all(drawn[k] == res.params[k].value) for k in unranged)
    uniform = res.params["states.china.risk_tolerance"].model_copy(update={"distribution": "uniform"})
    u = draw_parameters({"states.china.risk_tolerance": uniform}, 4000, 1)["states.china.risk_tolerance"]
    assert u.mean() == pytest.approx(sum(spec.range) / 2, abs=0.005)
    np.testing.assert_allclose(np.sort(u)[[400, 2000, 3600]], np.quantile(np.linspace(*spec.range, 4000),
                                                                          [0.1, 0.5, 0.9]), atol=0.01)
    later = draw_parameters(res.params, 10, 1, offset=3990)["states.china.risk_tolerance"]
    np.testing.assert_array_equal(later, x[3990:4000])           # replicate i whatever the batch
