"""The measurement layer: mappings from model state to observables, and the observer that
steps a model month by month."""

import numpy as np
import pytest

from simulator.measurement.mapping import (OBSERVABLES, PARAMS, Observer, draw_measurement, friction,
                                           observe, observe_episode)
from simulator.model.model import AxisModel
from simulator.model.sampling import draw_parameters
from simulator.scenario import load_scenario

from .conftest import ROOT, SCENARIOS

EO = ROOT / "scenarios" / "history" / "eo14114_2024.yaml"


def test_every_mapping_parameter_has_a_value_in_its_range_and_a_source():
    assert len(PARAMS) >= 10
    for path, spec in PARAMS.items():
        assert path.startswith("measurement.") and spec.source, path
        if spec.range is not None:
            assert spec.range[0] <= spec.value <= spec.range[1], path
    fixed = draw_measurement(5, 1, fixed=True)
    assert all(np.all(fixed[p] == PARAMS[p].value) for p in PARAMS)
    drawn = draw_measurement(500, 1)
    for p, spec in PARAMS.items():
        if spec.range is not None:
            assert spec.range[0] <= drawn[p].min() < drawn[p].max() <= spec.range[1], p


def test_friction_is_a_dip_that_fades_after_a_step_and_nothing_after_a_fall():
    months = 24
    up = np.full((months, 2), 0.2)
    up[5:] = 0.5                                  # a step at month 5, held
    f = friction(up, lag_months=np.array([0.0, 2.0]), adaptation_months=np.array([3.0, 3.0]))
    assert np.all(f[:5] == 0)
    assert f[5, 0] == pytest.approx(0.3) and f[5, 1] == 0 and f[7, 1] == pytest.approx(0.3)   # the lag
    assert np.all(np.diff(f[5:, 0]) < 0) and f[-1, 0] < 0.01                 # it fades while the step stays
    down = np.full((months, 1), 0.5)
    down[5:] = 0.2
    assert np.all(friction(down, np.array([0.0]), np.array([3.0])) == 0)
    slow = friction(up[:, :1], np.array([0.0]), np.array([12.0]))
    assert slow[10, 0] > f[10, 0]                                            # slower adaptation, longer dip


def _state(months=13, n=1, **rungs):
    s = {k: np.full((months, n), 2.0) for k in ("rung_russia", "rung_iran", "rung_nk")}
    s["intensity"] = np.full((months, n), 0.2)
    for k, v in rungs.items():
        s[k] = v
    return s


def test_observables_move_with_rungs_and_sanctions_in_the_documented_directions():
    mp = draw_measurement(1, 1, fixed=True)
    base = observe(_state(), mp)
    assert set(base) == set(OBSERVABLES)
    trend = PARAMS["measurement.trade.trend"].value
    assert base["china_russia_trade"][12, 0] == pytest.approx(np.exp(trend))      # the trend alone
    up = np.full((13, 1), 2.0)
    up[6:] = 3.0
    more = observe(_state(rung_russia=up), mp)["china_russia_trade"]
    assert more[6, 0] / base["china_russia_trade"][6, 0] == pytest.approx(
        np.exp(PARAMS["measurement.trade.rung_elasticity"].value))
    s = _state()
    s["intensity"][3:] = 0.5
    hit = observe(s, mp)
    assert hit["china_russia_trade"][5, 0] < base["china_russia_trade"][5, 0]   # the dip, after the lag
    assert hit["china_russia_trade"][3, 0] == base["china_russia_trade"][3, 0]
    assert hit["china_iran_crude"][5, 0] < base["china_iran_crude"][5, 0]
    down = np.full((13, 1), 2.0)
    down[2:] = 1.0
    nk = observe(_state(rung_nk=down), mp)
    assert nk["china_nk_imports"][5, 0] < nk["china_nk_trade"][5, 0] < nk["china_nk_exports"][5, 0] < 1
    weapons = np.full((13, 1), 2.0)
    weapons[4] = 4.0                                                               # once, then back
    lethal = observe(_state(rung_russia=weapons), mp)["lethal_aid"][:, 0]
    assert list(lethal[:4]) == [0] * 4 and np.all(lethal[4:] == 1)


def test_the_observer_steps_the_model_as_its_own_run_does():
    r = load_scenario(EO)
    n, seed = 64, 3
    params = draw_parameters(r.params, n, seed)
    plain = AxisModel(r, replicates=n, seed=seed, params=params, collect=False).run()
    tr = observe_episode(r, n, seed)
    assert tr.months == r.scenario.horizon_months
    assert np.array_equal(tr.state["rung_russia"][-1], plain.china.support["russia"])
    assert np.array_equal(tr.state["rung_nk"][-1], plain.china.support["north_korea"])
    assert np.all(tr.state["rung_russia"][0] == r.scenario.states["china"].support["russia"])
    # the EO 14114 step of the episode is in the recorded intensity from month 1
    assert tr.state["intensity"][1].mean() > tr.state["intensity"][0].mean()
    # the same seed gives the same observables; another seed other ones
    again = observe_episode(r, n, seed)
    assert all(np.array_equal(tr.observables[k], again.observables[k]) for k in OBSERVABLES)
    other = observe_episode(r, n, seed + 1)
    assert not np.array_equal(tr.observables["china_russia_trade"], other.observables["china_russia_trade"])


def test_observer_refuses_incomplete_mapping_parameters():
    r = load_scenario(EO)
    m = AxisModel(r, replicates=2, seed=1, collect=False)
    with pytest.raises(ValueError, match="missing measurement parameters: .*measurement.iran.base_kbd"):
        Observer(m, {k: v for k, v in draw_measurement(2, 1).items() if k != "measurement.iran.base_kbd"})


def test_patterns_read_their_observed_values_from_the_data_rows_they_name():
    from simulator.measurement.data import load_observations
    from simulator.measurement.patterns import PATTERNS, observed_values
    obs = {(o.series, o.date): o for o in load_observations()}
    values = observed_values()
    assert {p.episode for p in PATTERNS} == {"ukraine_2022", "eo14114_2024", "north_korea_2017", "iran_2018"}
    for p in PATTERNS:
        assert p.rows and all(r in obs for r in p.rows), p.name
        assert all(o.source and o.url for o in p.sources(obs))
    trade = {d: obs[("china_russia_trade_annual", d)].value for d in ("2022-12", "2023-12")}
    assert values[("ukraine_2022", "trade_growth_2023")] == pytest.approx(trade["2023-12"] / trade["2022-12"] - 1)
    assert values[("eo14114_2024", "exports_yoy_2024_03")] == pytest.approx(
        obs[("china_exports_to_russia_yoy", "2024-03")].value / 100)
    assert values[("ukraine_2022", "no_weapons")] == 0 and values[("ukraine_2022", "dual_use_within_a_year")] == 1


def test_episode_calendar_arithmetic_and_discrepancy():
    from simulator.measurement.mapping import Trajectories
    from simulator.measurement.patterns import PATTERNS, Episode, discrepancy
    mp = draw_measurement(1, 1, fixed=True)
    trend = mp["measurement.trade.trend"][0]
    state = _state(months=14)
    traj = Trajectories("2023-12", state, observe(state, mp))
    ep = Episode(traj, mp)
    # before the start the index follows the trend back: a year-on-year change of exp(trend) - 1
    assert ep.at("china_russia_trade", "2023-06")[0] == pytest.approx(np.exp(-trend * 6 / 12))
    assert ep.growth("china_russia_trade", "2024-03", "2024-03")[0] == pytest.approx(np.exp(trend) - 1)
    assert ep.growth("china_russia_trade", "2024-01", "2024-12")[0] == pytest.approx(np.exp(trend) - 1)
    with pytest.raises(ValueError, match="after the episode's horizon"):
        ep.at("china_russia_trade", "2025-03")
    dip = next(p for p in PATTERNS if p.name == "exports_yoy_2024_03")
    assert discrepancy(dip, np.array([-0.16]), -0.16)[0] == 0
    one = np.exp(np.log(0.84) + dip.scale) - 1          # one scale unit above the observed -16%
    assert discrepancy(dip, np.array([one]), -0.16)[0] == pytest.approx(1.0)
    weapons = next(p for p in PATTERNS if p.name == "no_weapons")
    assert list(discrepancy(weapons, np.array([0.0, 1.0]), 0.0)) == [0.0, 1.0]


def test_wartime_substitution_adds_growth_that_fades_as_the_war_goes_on():
    """Chinese goods replace those of the Western suppliers who left Russia: trade gains
    ``substitution`` log points in all, fast at first; an episode that starts 22 months into the
    war (EO 14114, December 2023) sees less of it in its first year than one that starts with the
    war (February 2022); without a war there is none."""
    from simulator.measurement.data import month_index
    from simulator.measurement.mapping import WAR_START
    mp = draw_measurement(1, 1, fixed=True)
    trend = PARAMS["measurement.trade.trend"].value
    sub, tau = PARAMS["measurement.trade.substitution"].value, PARAMS["measurement.trade.substitution_months"].value
    assert sub > 0 and month_index("2023-12") - month_index(WAR_START) == 22
    year = {}
    for w0 in (0, 22):
        s = _state()
        s["war_months"] = (w0 + np.arange(13.0))[:, None]
        trade = observe(s, mp)["china_russia_trade"][:, 0]
        year[w0] = np.log(trade[12]) - trend
        assert year[w0] == pytest.approx(sub * (np.exp(-w0 / tau) - np.exp(-(w0 + 12) / tau)))
    assert year[0] > year[22] > 0
    s = _state()
    s["war_months"] = np.zeros((13, 1))                       # no war: the trend alone
    assert observe(s, mp)["china_russia_trade"][12, 0] == pytest.approx(np.exp(trend))


def test_an_episode_counts_the_months_at_war_from_the_invasion():
    from simulator.measurement.mapping import observe_episode
    eo = observe_episode(SCENARIOS / "history" / "eo14114_2024.yaml", 4, 1, fixed=True)
    assert np.all(eo.state["war_months"][0] == 22) and np.all(eo.state["war_months"][12] == 34)
    nk = observe_episode(SCENARIOS / "history" / "north_korea_2017.yaml", 4, 1, fixed=True)
    assert np.all(nk.state["war_months"] == 0)
