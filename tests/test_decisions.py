"""The decision rule as pure numpy: terms, sums, directions, logit choice, pressure."""

import numpy as np
import pytest

from simulator.model import decisions as rules


def inputs(n=4, **kw):
    base = dict(alignment=1.0, hostility=0.8, leverage=0.37, energy=0.19, bond=0.9, tie_floor=2.0,
                exposure=0.75, west_dep=0.37, intensity=0.2, threat=0.6, redline=4.0, instability=0.05,
                risk_tolerance=0.35, failure=0.4, prestige_stake=1.0, cohesion=0.4, current=2)
    base.update(kw)
    arrays = {k: np.full(n, float(v)) for k, v in base.items()}
    arrays["current"] = np.full(n, int(base["current"]), dtype=np.int8)
    return rules.LinkInputs(**arrays)


def weights(n=4, **kw):
    base = dict(strategic_gain=1.0, leverage=1.0, energy=1.0, sanction_cost=8.0, instability_cost=3.0,
                prestige_cost=1.0, allies_cost=1.0, tie=1.0)
    base.update(kw)
    return rules.Weights(**{k: np.full(n, float(v)) for k, v in base.items()})


def utilities(x, w, n=4, switching=0.3, redecide=0.0):
    gain, vis = rules.profiles(np.full(n, 0.5), np.full(n, 1.5))
    terms = rules.ladder_terms(x, w, gain, vis)
    terms["inertia"] = rules.inertia_term(x.current, np.full(n, switching), np.full(n, redecide))
    return terms


def test_terms_are_named_and_sum_to_utility():
    terms = utilities(inputs(), weights())
    assert tuple(terms) == rules.TERMS
    total = rules.total(terms)
    manual = sum(terms[t] for t in rules.TERMS)
    np.testing.assert_allclose(total, manual, rtol=0, atol=1e-15)
    # rung 0 carries no gain and no cost except inertia
    for t in rules.TERMS[:-1]:
        assert np.all(terms[t][:, 0] == 0.0)


def test_signs_of_terms():
    terms = utilities(inputs(), weights())
    assert np.all(np.diff(terms["strategic_gain"], axis=1) > 0)        # more support, more gain
    assert np.all(np.diff(terms["sanction_cost"], axis=1) < 0)         # more support, more sanctions
    assert np.all(terms["instability_cost"][:, 1:] < 0)
    assert np.all(terms["allies_cost"][:, 1:] < 0)
    assert np.all(terms["inertia"][:, 2] == 0) and np.all(terms["inertia"][:, [0, 4]] == -0.6)


def test_sanction_cost_jumps_at_the_redline():
    s = utilities(inputs(redline=3.0), weights())["sanction_cost"][0]
    steps = -np.diff(s)
    assert steps[2] > 3 * steps[1]          # the step into rung 3 (redline) dwarfs the one before


def test_prestige_is_neutral_for_a_frozen_line_and_a_cost_when_failing():
    frozen = utilities(inputs(failure=0.5), weights())["prestige_cost"]
    failing = utilities(inputs(failure=0.9), weights())["prestige_cost"]
    winning = utilities(inputs(failure=0.1), weights())["prestige_cost"]
    assert np.allclose(frozen, 0.0)
    assert np.all(failing[:, 1:] < 0) and np.all(winning[:, 1:] > 0)


def test_leader_tie_rewards_support_only_up_to_its_floor():
    tie = utilities(inputs(tie_floor=2.0), weights())["leader_tie"][0]
    assert tie[1] < tie[2] == tie[3] == tie[4]


def test_leader_tie_rewards_military_support_only_as_far_as_the_war_needs_it():
    """In peace (need 0) the tie rewards trade, as the strategic gain does; at war (need 1) the
    profile is unchanged; in between, what the military rungs add above trade scales with need."""
    at_war = utilities(inputs(tie_floor=3.0), weights())["leader_tie"][0]
    peace = utilities(inputs(tie_floor=3.0, need=0.0), weights())["leader_tie"][0]
    half = utilities(inputs(tie_floor=3.0, need=0.5), weights())["leader_tie"][0]
    np.testing.assert_array_equal(utilities(inputs(tie_floor=3.0, need=1.0), weights())["leader_tie"][0], at_war)
    np.testing.assert_allclose(peace, [0.0, at_war[1], at_war[1], at_war[1], at_war[1]])
    np.testing.assert_allclose(half[2:], at_war[1] + 0.5 * (at_war[2:] - at_war[1]))
    assert peace[2] < half[2] < at_war[2]


@pytest.mark.parametrize("field,low,high", [("exposure", 0.3, 0.9), ("intensity", 0.1, 0.8),
                                            ("west_dep", 0.2, 0.5)])
def test_more_sanction_pressure_lowers_the_best_rung(field, low, high):
    def best(value):
        u = rules.total(utilities(inputs(**{field: value}), weights(), switching=0.0))
        return rules.logit_probabilities(u, np.full(4, 0.08))[0] @ np.arange(5)
    assert best(high) < best(low)


def test_logit_choice_matches_softmax_frequencies():
    n = 200_000
    rng = np.random.default_rng(1)
    u = np.tile(np.array([[0.0, 0.3, 0.5, 0.45, -0.2]]), (n, 1))
    temp = np.full(n, 0.1)
    choice = rules.logit_choice(u, temp, rng.random(n))
    freq = np.bincount(choice, minlength=5) / n
    expected = rules.logit_probabilities(u[:1], temp[:1])[0]
    np.testing.assert_allclose(freq, expected, atol=0.005)


def test_low_temperature_picks_the_best_rung():
    u = np.array([[0.0, 0.3, 0.5, 0.45, -0.2]])
    assert rules.logit_choice(u, np.array([1e-4]), np.array([0.999]))[0] == 2
    assert rules.logit_choice(u, np.array([1e-4]), np.array([0.0]))[0] == 2


def test_pressure_accumulates_then_triggers_a_redecision():
    stock = np.zeros(1)
    decay, threshold = np.array([0.7]), np.array([0.35])
    flags = []
    for _ in range(4):
        stock, flag = rules.update_pressure(stock, np.array([0.15]), decay, threshold)
        flags.append(flag[0])
    # stock: 0.15, 0.255, 0.3285, 0.37995 -> crosses 0.35 in the fourth month
    assert flags == [0.0, 0.0, 0.0, 1.0]


def test_regret_is_zero_at_the_best_rung_and_positive_elsewhere():
    u = np.array([[0.0, 0.3, 0.5, 0.45, -0.2]] * 2)
    r = rules.regret(u, np.array([2, 4]))
    np.testing.assert_allclose(r, [0.0, 0.7])


@pytest.mark.parametrize("threat", [0.0, 0.6])
def test_fast_path_equals_the_sum_of_named_terms(threat):
    rng = np.random.default_rng(3)
    n = 50
    x = inputs(n, threat=threat)
    for field in ("hostility", "exposure", "failure", "cohesion", "instability", "intensity"):
        setattr(x, field, rng.random(n))
    x.current = rng.integers(0, 5, n).astype(np.int8)
    gain, vis = rules.profiles(rng.uniform(0.3, 0.8, n), rng.uniform(1.0, 2.0, n))
    named = rules.total(rules.ladder_terms(x, weights(n), gain, vis))
    fast = rules.intrinsic_utility(x, weights(n), gain, vis)
    np.testing.assert_allclose(fast, named, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("with_need,full", [(False, False), (True, False), (False, True)])
def test_fast_decide_equals_the_recorded_path(with_need, full):
    rng = np.random.default_rng(8)
    n = 4000
    x = inputs(n, threat=0.6, redline=3.0)
    for field in ("hostility", "exposure", "failure", "cohesion", "instability", "intensity"):
        setattr(x, field, rng.random(n))
    x.current = rng.integers(0, 5, n).astype(np.int8)
    if with_need:                                # part of the runs at war, part in peace
        x.need = np.where(rng.random(n) < 0.5, 1.0, rng.random(n))
    absent = {"intensity": 1.0, "threat": 0.0, "alignment": 1.0, "leverage": 0.0, "energy": 0.0, "bond": 0.0,
              "west_dep": 1.0, "prestige_stake": 0.0, "cohesion": 0.0}
    if full:                 # a policy's inputs: full intensity, no threat, no tie, energy or leverage...
        for field in absent:
            setattr(x, field, None)
    w = weights(n)
    gain, vis = rules.profiles(rng.uniform(0.3, 0.8, n), rng.uniform(1.0, 2.0, n))
    tie_t = np.minimum(rules.COMMIT[:, None], x.tie_floor[None, :] / (rules.N_RUNGS - 1))
    switching, decay = np.full(n, 0.3), np.full(n, 0.7)
    threshold, temperature = np.full(n, 0.35), np.full(n, 0.08)
    stock0 = rng.uniform(0, 0.4, n)
    u = rng.random(n)
    terms = rules.ladder_terms(x, w, gain, vis)
    intrinsic = rules.total(terms)
    stock, redecide = rules.update_pressure(stock0, rules.regret(intrinsic, x.current), decay, threshold)
    slow = rules.logit_choice(intrinsic + rules.inertia_term(x.current, switching, redecide), temperature, u)
    fast, fstock, fredecide = rules.fast_decide(x, w, np.ascontiguousarray(gain.T), np.ascontiguousarray(vis.T),
                                                tie_t, switching, stock0, decay, threshold, temperature, u)
    np.testing.assert_allclose(fstock, stock, rtol=1e-12)
    np.testing.assert_array_equal(fredecide, redecide)
    assert (fast != slow).mean() < 1e-3        # identical up to floating-point ties
    assert 0.05 < redecide.mean() < 0.95        # both branches exercised
    if full:        # None reads as a factor 1 or an addend 0: the same terms and decisions exactly
        x1 = rules.LinkInputs(**{**vars(x), **{k: np.full(n, v) for k, v in absent.items()}})
        for a, b in zip(rules.ladder_terms(x, w, gain, vis).values(), rules.ladder_terms(x1, w, gain, vis).values()):
            np.testing.assert_array_equal(a, b)          # equal values (a zero's sign aside)
        again = rules.fast_decide(x1, w, np.ascontiguousarray(gain.T), np.ascontiguousarray(vis.T),
                                  tie_t, switching, stock0, decay, threshold, temperature, u)
        assert fast.tobytes() == again[0].tobytes() and fredecide.tobytes() == again[2].tobytes()
        np.testing.assert_array_equal(fstock, again[1])



def test_rungs_above_the_cap_are_never_chosen():
    n = 3000
    rng = np.random.default_rng(5)
    x = inputs(n, hostility=1.0, exposure=0.0, cohesion=0.0, current=2)
    w = weights(n)
    gain, vis = rules.profiles(np.full(n, 0.5), np.full(n, 1.5))
    args = (x, w, np.ascontiguousarray(gain.T), np.ascontiguousarray(vis.T),
            np.minimum(rules.COMMIT[:, None], np.full((1, n), 0.5)), np.zeros(n), np.zeros(n),
            np.full(n, 0.7), np.full(n, 0.35), np.full(n, 0.08), rng.random(n))
    free, _, _ = rules.fast_decide(*args)
    capped, _, _ = rules.fast_decide(*args, top=2)
    assert (free > 2).mean() > 0.5            # without the cap most replicates go higher ...
    assert capped.max() == 2                  # ... with it none does
    slow = rules.logit_choice(rules.cap(rules.total(rules.ladder_terms(x, w, gain, vis)), 2),
                              np.full(n, 0.08), args[-1])
    assert slow.max() == 2


def test_ladder_terms_into_a_block_fill_every_declared_slot(monkeypatch):
    """With ``out``, the terms land in their slots of one (R, terms, rungs) block, equal to the
    separate arrays; a declared term that ladder_terms does not compute is refused, not left as
    uninitialised memory in the block."""
    n = 6
    x, w = inputs(n), weights(n)
    gain, vis = rules.profiles(np.full(n, 0.5), np.full(n, 1.5))
    block = np.full((n, len(rules.TERMS), rules.N_RUNGS), np.nan)
    into = rules.ladder_terms(x, w, gain, vis, out=block)
    for name, values in rules.ladder_terms(x, w, gain, vis).items():
        assert into[name].base is block and values.tobytes() == np.ascontiguousarray(into[name]).tobytes()
    assert np.isnan(block[:, rules.TERMS.index("inertia"), :]).all()     # left for inertia_term
    monkeypatch.setattr(rules, "TERMS", rules.TERMS + ("new_term",))
    with pytest.raises(ValueError, match="new_term"):
        rules.ladder_terms(x, w, gain, vis, out=np.empty((n, len(rules.TERMS), rules.N_RUNGS)))
