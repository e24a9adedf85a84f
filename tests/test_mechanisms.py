"""Every mechanism of the model, exercised by a test that names it.

Weights and inputs are distinct non-unit numbers, so that a swapped factor, a flipped sign
or a dropped term changes a value these tests compare with a hand computation.  The
model-level tests run a few hundred replicates with point values (``fixed``) and compare
two worlds on common random numbers.
"""

import math

import numpy as np
import pytest

from simulator.model import decisions as rules
from simulator.model import theatres as th
from simulator.model.model import AxisModel

from .conftest import BASELINE

N = 3
X = dict(alignment=0.7, hostility=0.8, leverage=0.37, energy=0.19, bond=0.9, tie_floor=2.0, exposure=0.75,
         west_dep=0.37, intensity=0.2, threat=0.6, redline=3.0, instability=0.45, risk_tolerance=0.35,
         failure=0.7, prestige_stake=0.6, cohesion=0.4, current=2)
W = dict(strategic_gain=1.3, leverage=0.7, energy=2.1, sanction_cost=8.5, instability_cost=3.2,
         prestige_cost=1.7, allies_cost=0.6, tie=1.1)
GAIN_CURV, VIS_CURV = 0.55, 1.7


def link(**kw):
    values = {**X, **kw}
    arrays = {k: np.full(N, float(v)) for k, v in values.items()}
    arrays["current"] = np.full(N, int(values["current"]), dtype=np.int8)
    return rules.LinkInputs(**arrays)


def weights(**kw):
    return rules.Weights(**{k: np.full(N, float(v)) for k, v in {**W, **kw}.items()})


def ladder(x=None, w=None):
    gain, vis = rules.profiles(np.full(N, GAIN_CURV), np.full(N, VIS_CURV))
    return rules.ladder_terms(x or link(), w or weights(), gain, vis)


# ------------------------------------------------------------------ utility terms, by size

def test_strategic_gain_term_size():
    gain = ladder()["strategic_gain"][0]
    coef = 0.7 * (1.3 * 0.8 + 0.7 * 0.37 + 2.1 * 0.19)
    np.testing.assert_allclose(gain, [coef * (k / 4) ** GAIN_CURV for k in range(5)], rtol=1e-12)


def test_sanction_cost_term_size_with_the_threat_from_the_redline():
    cost = ladder()["sanction_cost"][0]
    coef = -8.5 * 0.75 * 0.37
    expected = [coef * (0.2 * (k / 4) ** VIS_CURV + (0.6 if k >= 3 else 0.0)) for k in range(5)]
    np.testing.assert_allclose(cost, expected, rtol=1e-12)


def test_the_redline_rung_itself_carries_the_threat():
    """`rung >= redline`: the first rung that crosses the redline already pays the jump."""
    for redline in (1, 2, 3, 4):
        cost = ladder(link(redline=redline, intensity=0.0))["sanction_cost"][0]
        assert cost[redline] < 0 and cost[redline - 1] == 0


def test_instability_cost_term_size_uses_one_minus_risk_tolerance():
    cost = ladder()["instability_cost"][0]
    np.testing.assert_allclose(cost, [-3.2 * (1 - 0.35) * 0.45 * k / 4 for k in range(5)], rtol=1e-12)


def test_risk_tolerance_lowers_the_instability_cost():
    cautious = ladder(link(risk_tolerance=0.2))["instability_cost"][0, 4]
    bold = ladder(link(risk_tolerance=0.9))["instability_cost"][0, 4]
    assert cautious < bold < 0
    assert cautious / bold == pytest.approx(0.8 / 0.1)


def test_prestige_cost_term_size_and_sign():
    cost = ladder()["prestige_cost"][0]
    np.testing.assert_allclose(cost, [-1.7 * 0.6 * (2 * 0.7 - 1) * k / 4 for k in range(5)], rtol=1e-12)
    assert cost[4] < 0                                        # a failing partner (0.7) costs prestige
    assert ladder(link(failure=0.2))["prestige_cost"][0, 4] > 0   # a succeeding one lends it


def test_allies_cost_term_size():
    cost = ladder()["allies_cost"][0]
    np.testing.assert_allclose(cost, [-0.6 * 0.75 * 0.4 * k / 4 for k in range(5)], rtol=1e-12)


def test_leader_tie_term_size_up_to_its_floor():
    tie = ladder()["leader_tie"][0]
    np.testing.assert_allclose(tie, [1.1 * 0.9 * min(k, 2) / 4 for k in range(5)], rtol=1e-12)


def test_inertia_term_size_and_waiver():
    held = np.array([2, 0, 4], dtype=np.int8)
    switching = np.array([0.3, 0.45, 0.2])
    kept = rules.inertia_term(held, switching, np.zeros(3))
    np.testing.assert_allclose(kept[0], [-0.6, -0.3, 0, -0.3, -0.6])
    np.testing.assert_allclose(kept[1], [0, -0.45, -0.9, -1.35, -1.8])
    np.testing.assert_allclose(kept[2], [-0.8, -0.6, -0.4, -0.2, 0])
    assert np.all(rules.inertia_term(held, switching, np.ones(3)) == 0)   # a re-decision waives it


def test_fast_path_applies_inertia():
    """With a high switching cost and no pressure, the fast path keeps the rung held."""
    n = 2000
    rng = np.random.default_rng(11)
    x = rules.LinkInputs(**{k: np.full(n, float(v)) for k, v in X.items() if k != "current"},
                         current=np.full(n, 1, dtype=np.int8))
    w = rules.Weights(**{k: np.full(n, float(v)) for k, v in W.items()})
    gain, vis = rules.profiles(np.full(n, GAIN_CURV), np.full(n, VIS_CURV))
    tie_t = np.minimum(rules.COMMIT[:, None], np.full((1, n), 0.5))
    args = dict(x=x, w=w, gain_t=np.ascontiguousarray(gain.T), visibility_t=np.ascontiguousarray(vis.T),
                tie_t=tie_t, stock=np.zeros(n), decay=np.full(n, 0.7), threshold=np.full(n, 50.0),
                temperature=np.full(n, 0.08), u=rng.random(n))
    sticky, _, _ = rules.fast_decide(switching_cost=np.full(n, 5.0), **args)
    free, _, _ = rules.fast_decide(switching_cost=np.zeros(n), **args)
    assert (sticky == 1).mean() > 0.99
    assert (free == 1).mean() < 0.5


# ------------------------------------------------------------------ theatre functions

def test_front_step_moves_with_the_balance_and_clips():
    out = th.front_step(np.array([0.4, 0.98, 0.01]), np.array([0.9, 0.9, 0.2]), np.array([0.5, 0.1, 0.9]),
                        np.array([0.05, 0.1, 0.1]), np.array([0.01, 0.0, 0.0]), np.array([-1.2, 0.0, 0.0]))
    np.testing.assert_allclose(out, [0.4 + 0.05 * 0.4 - 0.012, 1.0, 0.0])


def test_relax_step_moves_a_share_of_the_way_to_its_target():
    out = th.relax_step(np.array([0.3, 0.9]), np.array([0.8, 0.1]), np.array([0.2, 0.5]),
                        np.array([0.03, 0.0]), np.array([0.5, 0.0]))
    np.testing.assert_allclose(out, [0.3 + 0.2 * 0.5 + 0.015, 0.5])


def test_hormuz_disruption_is_half_at_its_threshold_and_steep():
    esc = np.array([0.75, 0.65, 0.85])
    d = th.hormuz_disruption(esc, 0.75, 0.05)
    np.testing.assert_allclose(d, [0.5, 1 / (1 + math.e ** 2), 1 / (1 + math.e ** -2)], rtol=1e-12)


def test_ema_moves_by_its_rate():
    assert th.ema(0.2, 1.0, 0.25) == pytest.approx(0.4)


def test_perceived_failure_reads_shortfall_as_failure():
    assert th.perceived_failure(0.0, 0.004, 0.0, 0.15) == pytest.approx(0.5)
    assert th.perceived_failure(-0.008, 0.004, 0.0, 0.15) == pytest.approx(1 / (1 + math.e ** -2))
    assert th.perceived_failure(0.008, 0.004, 0.0, 0.15) == pytest.approx(1 / (1 + math.e ** 2))


def test_perceived_failure_reads_position_gained_or_lost():
    # a partner that has won (large gain, no momentum left) reads as succeeding although it falls
    # short of its ambition; one that has collapsed reads as failing although its losses stopped
    won = th.perceived_failure(-0.003, 0.004, 0.6, 0.15)
    collapsed = th.perceived_failure(0.0, 0.004, -0.3, 0.15)
    assert won == pytest.approx(1 / (1 + math.e ** (-0.75 + 4.0)))
    assert collapsed == pytest.approx(1 / (1 + math.e ** -2.0))
    assert won < 0.1 < 0.5 < collapsed


def test_driven_target_size():
    t = th.driven_target(1.5, 0.7, 0.6, 0.48, 0.4, 0.09, 0.2)
    assert t == pytest.approx(1.5 * 0.7 * 0.6 * (1 - 0.4 * 0.48) + 0.09 * 0.2)


def test_capability_step_grows_with_revenue_and_wears_under_strikes():
    cap = th.capability_step(np.array([0.6, 0.6, 0.99]), 0.02, np.array([0.5, 0.5, 1.0]), 1.8,
                             np.array([0.48, 0.0, 0.0]), np.array([0.5, 0.5, 0.5]))
    np.testing.assert_allclose(cap, [0.6 + 0.02 * (0.5 - 1.8 * 0.48 * 0.5), 0.61, 1.0])


def test_broad_sanctions_switch_on_after_the_lag_and_off_again():
    """Enforcement: on once the top rung has been at or above the redline for more than `lag`
    months, off once it has been below for more than `lag` months."""
    active, over, under = np.zeros(1, bool), np.zeros(1), np.zeros(1)
    history = []
    for top in [3, 3, 3, 3, 2, 2, 2, 2]:             # redline 3 (at it counts), lag 2
        active, over, under = th.enforcement_step(np.array([top]), 3, over, under, active, 2)
        history.append(bool(active[0]))
    assert history == [False, False, True, True, True, True, False, False]


def test_sanctions_hit_takes_the_larger_of_targeted_and_broad():
    hit = th.sanctions_hit(0.75, 0.37, np.array([0.2, 0.2]), np.array([0.5, 0.5]),
                           np.array([False, True]), np.array([0.9, 0.9]))
    np.testing.assert_allclose(hit, [0.75 * 0.37 * 0.1, 0.75 * 0.37 * 0.9])


# ------------------------------------------------------------------ the model's wiring

def model(*overrides, n=400, seed=7):
    return AxisModel(BASELINE, replicates=n, seed=seed, fixed=True, overrides=list(overrides), collect=False)


def _moved(path, by, *overrides):
    """A model whose ``path`` has moved by ``by`` since month 0 (as an event moves it)."""
    m = model("theatres.coupling=0.6", "theatres.coupling_scale=0.35", *overrides)
    m.p[path] = m.p[path] + by
    return m


def test_escalation_couples_to_the_change_of_korean_tension():
    lo, hi = model("theatres.coupling=0.6", "theatres.coupling_scale=0.35"), _moved("theatres.korea.tension", 0.3)
    lo.step(), hi.step()
    gap = hi.p["theatres.middle_east.escalation"] - lo.p["theatres.middle_east.escalation"]
    expected = 0.15 * 0.6 * 0.35 * 0.3           # rate x coupling x scale x change of tension since month 0
    assert gap.mean() == pytest.approx(expected, rel=0.25)


def test_tension_couples_to_the_change_of_middle_east_escalation():
    lo, hi = model("theatres.coupling=0.6", "theatres.coupling_scale=0.35"), _moved("theatres.middle_east.escalation", 0.3)
    lo.step(), hi.step()
    gap = hi.p["theatres.korea.tension"] - lo.p["theatres.korea.tension"]
    assert gap.mean() == pytest.approx(0.1 * 0.6 * 0.35 * 0.3, rel=0.25)


def test_no_contagion_while_the_other_theatres_hold_their_month_0_levels():
    a = model("theatres.coupling=0.0", "theatres.korea.tension=0.9", "theatres.ukraine.front=0.9")
    b = model("theatres.coupling=0.6", "theatres.korea.tension=0.9", "theatres.ukraine.front=0.9")
    a.step(), b.step()
    np.testing.assert_allclose(a.p["theatres.middle_east.escalation"], b.p["theatres.middle_east.escalation"])


def test_more_western_aid_holds_the_front():
    lo, hi = model("policies.ukraine_support.level=0.3"), model("policies.ukraine_support.level=0.9")
    for _ in range(6):
        lo.step(), hi.step()
    assert (hi.p["theatres.ukraine.front"] < lo.p["theatres.ukraine.front"]).mean() > 0.95


def test_israels_capability_lowers_middle_east_escalation():
    lo, hi = model("states.israel.capability=0.3"), model("states.israel.capability=0.95")
    for _ in range(6):
        lo.step(), hi.step()
    assert hi.p["theatres.middle_east.escalation"].mean() < lo.p["theatres.middle_east.escalation"].mean() - 0.02


def test_china_weighs_each_partners_own_failure():
    """The failure China reads on a link mixes that partner's own failure with the axis's."""
    m = model(n=4)
    m.momentum["russia"] = np.full(4, -0.02)          # Russia clearly failing, the others not
    m.momentum["iran"] = np.zeros(4)
    m.momentum["north_korea"] = np.zeros(4)
    m.ctx = m._context()
    to_russia = m.link_inputs(m.china, "russia").failure
    to_iran = m.link_inputs(m.china, "iran").failure
    assert np.all(to_russia > to_iran + 0.2)
    axis = m.ctx["failure_axis"]
    np.testing.assert_allclose(to_iran, 0.5 * 0.5 + 0.5 * axis)


def test_china_at_the_redline_brings_broad_sanctions_after_the_lag_and_they_cost():
    """Redline at rung 2 (where China starts), lag 1, a threat nobody believes (credibility 0,
    so China does not step down in advance): broad sanctions come into force after the lag,
    cost China, push it below the redline, and lift once it has stayed below for the lag."""
    over = ("policies.secondary_sanctions.redline_rung=2", "policies.secondary_sanctions.lag_months=1",
            "policies.secondary_sanctions.credibility=0")
    on, off = model(*over), model()
    active, rung_under = [], []
    for _ in range(12):
        on.step(), off.step()
        active.append(on.broad_active.mean())
        rung_under.append((on.china.support["russia"] < 2).mean())
    assert active[0] == 0                            # month 1: at the redline for 1 month, lag not passed
    assert max(active) > 0.9                         # then in force in nearly every run
    assert not off.broad_active.any()                # never without the redline being reached
    assert max(rung_under) > 0.5                     # China steps down under broad sanctions ...
    peak = active.index(max(active))
    assert min(active[peak:]) < max(active) - 0.3    # ... and they lift where it stays down
    assert on.cost.mean() > off.cost.mean() + 0.1


# ------------------------------------------------------------------ events

def event_model(write_yaml, path, op, value, month=1, n=50):
    file = write_yaml(f"name: ev\nextends: BASELINE\nevents:\n  - {{month: {month}, path: {path}, {op}: {value}}}\n")
    return AxisModel(file, replicates=n, seed=3, fixed=True, collect=False)


@pytest.mark.parametrize("op,value,expected", [("set", 0.9, 0.9), ("add", 0.15, 0.75), ("multiply", 1.4, 0.84)])
def test_event_kinds_on_a_policy(write_yaml, op, value, expected):
    m = event_model(write_yaml, "policies.ukraine_support.level", op, value)
    m.step()
    assert np.all(m.p["policies.ukraine_support.level"] == 0.6)     # month 0: not yet
    m.step()
    np.testing.assert_allclose(m.p["policies.ukraine_support.level"], expected)


def test_event_values_that_can_leave_the_parameter_bounds_are_refused(write_yaml):
    from simulator.scenario import ScenarioError
    with pytest.raises(ScenarioError, match=r"outside the allowed \[0, 1\]"):
        event_model(write_yaml, "policies.ukraine_support.level", "add", 0.7, month=0)


def test_event_on_a_policy_weight_reaches_the_western_decision(write_yaml):
    m = event_model(write_yaml, "decision.policy_weights.aid.instability_cost", "set", 4.5, month=0)
    m.step()
    np.testing.assert_allclose(m.policy_weights["aid"].instability_cost, 4.5)


def test_events_may_not_reweight_the_support_decisions(write_yaml):
    from simulator.scenario import ScenarioError
    with pytest.raises(ScenarioError, match="events cannot change the weights"):
        event_model(write_yaml, "decision.weights.prestige_cost", "set", 4.5, month=0)


def test_event_on_a_curvature_recomputes_the_profiles(write_yaml):
    m = event_model(write_yaml, "decision.gain_curvature", "set", 1.0, month=0)
    m.step()
    np.testing.assert_allclose(m.gain[0], rules.COMMIT)
    np.testing.assert_allclose(m.gain_t[:, 0], rules.COMMIT)


def test_event_on_the_tie_floor_recomputes_the_tie_profile(write_yaml):
    m = event_model(write_yaml, "decision.tie_floor_rung", "set", 1, month=0)
    m.step()
    np.testing.assert_allclose(m.tie_t[:, 0], [0, 0.25, 0.25, 0.25, 0.25])


def test_event_on_russias_momentum_resets_it(write_yaml):
    m = event_model(write_yaml, "theatres.ukraine.momentum", "set", -0.02, month=0)
    m.step()
    # reset to -0.02 at the start of the month, then smoothed toward this month's front move
    rate = m.p["decision.perception_rate"]
    assert np.all(m.momentum["russia"] < (1 - rate) * -0.02 + rate * 0.05)
    assert np.all(m.momentum["russia"] < 0)


def test_event_on_a_state_attribute_reaches_the_agent(write_yaml):
    m = event_model(write_yaml, "states.china.sanction_exposure", "set", 0.2, month=0)
    m.step()
    np.testing.assert_allclose(m.china.sanction_exposure, 0.2)


@pytest.mark.slow
def test_seven_one_line_mutations_are_each_caught_by_their_named_test():
    import subprocess
    import sys
    from .conftest import ROOT
    res = subprocess.run([sys.executable, str(ROOT / "scripts" / "seven_mutations.py")], capture_output=True,
                         text=True, timeout=900)
    lines = res.stdout.strip().splitlines()
    assert res.returncode == 0, res.stdout + res.stderr
    assert len(lines) == 7 and all(line.startswith("caught: ") for line in lines)
