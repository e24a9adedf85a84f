"""Results are a pure function of (scenario, seed): same seed, prefix stability, batch
independence, R=1 mesa runs equal the vectorised replicates, mesa.batch_run works."""

import numpy as np
import pandas as pd
import pytest

from simulator.experiment.ensemble import run_ensemble
from simulator.model.model import AxisModel
from simulator.scenario import load_scenario

from .conftest import BASELINE, SCENARIOS

OUTCOME_COLUMNS = ["china_stays", "china_rung", "china_iran_rung", "china_nk_rung", "first_drop_month",
                   "axis_cohesion", "front", "escalation", "tension", "china_cost"]


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(BASELINE)


def test_same_seed_same_results(baseline):
    a = run_ensemble(baseline, runs=600, seed=7).outcomes
    b = run_ensemble(baseline, runs=600, seed=7).outcomes
    pd.testing.assert_frame_equal(a, b)


def test_different_seed_different_results(baseline):
    a = run_ensemble(baseline, runs=600, seed=7).outcomes
    b = run_ensemble(baseline, runs=600, seed=8).outcomes
    assert not a["front"].equals(b["front"])


def test_prefix_stability_first_n_of_2n_equal_n(baseline):
    n = 1500   # crosses a random-stream chunk boundary (1024)
    small = run_ensemble(baseline, runs=n, seed=11).outcomes
    large = run_ensemble(baseline, runs=2 * n, seed=11).outcomes
    pd.testing.assert_frame_equal(small, large.iloc[:n].reset_index(drop=True))


def test_batch_size_does_not_change_results(baseline):
    one = run_ensemble(baseline, runs=2500, seed=3, batch=2500)
    many = run_ensemble(baseline, runs=2500, seed=3, batch=700)
    pd.testing.assert_frame_equal(one.outcomes, many.outcomes)
    for link in one.rung_counts:
        np.testing.assert_array_equal(one.rung_counts[link], many.rung_counts[link])
    np.testing.assert_allclose(one.term_means, many.term_means, rtol=1e-12)


def test_single_replicate_models_equal_vectorised_replicates(baseline):
    vector = run_ensemble(baseline, runs=5, seed=5).outcomes
    for i in range(5):
        m = AxisModel(baseline, replicates=1, seed=5, offset=i).run()
        out = m.outcomes()
        for col in OUTCOME_COLUMNS:
            assert out[col][0] == pytest.approx(vector[col].iloc[i], abs=1e-12), (i, col)


def test_fixed_uses_point_values(baseline):
    ens = run_ensemble(baseline, runs=50, seed=1, fixed=True)
    assert ens.drawn_columns == []
    m = AxisModel(baseline, replicates=3, seed=1, fixed=True)
    assert np.all(m.p["states.china.risk_tolerance"] == 0.35)


def test_parameter_draws_follow_their_distribution(write_yaml):
    """Each drawn parameter follows its declared law: triangular on its range with its mode at the
    point value (mean (lo + mode + hi) / 3), or uniform.  Two planted parameters make the check
    sharp: a strongly skewed triangular one and a uniform one whose point value is off-centre."""
    from scipy import stats
    file = write_yaml("name: draws\nextends: BASELINE\nhorizon_months: 1\nstates:\n  china:\n"
                      "    risk_tolerance: {value: 0.1, range: [0, 1], source: test}\n"
                      "    capability: {value: 0.8, range: [0.2, 0.9], source: test, distribution: uniform}\n")
    scenario = load_scenario(file)
    n = 2000
    ens = run_ensemble(scenario, runs=n, seed=2)
    assert len(ens.drawn_columns) > 100
    assert {"states.china.risk_tolerance", "states.china.capability"} <= set(ens.drawn_columns)
    for path in ens.drawn_columns:
        spec = scenario.params[path]
        lo, hi = spec.range
        col = ens.outcomes[path].to_numpy()
        assert col.min() >= lo - 1e-12 and col.max() <= hi + 1e-12, path
        if spec.distribution == "uniform":
            law = stats.uniform(loc=lo, scale=hi - lo)
        else:
            law = stats.triang((spec.value - lo) / (hi - lo), loc=lo, scale=hi - lo)
            assert law.mean() == pytest.approx((lo + spec.value + hi) / 3)
        # the sample mean within 4 standard errors; the whole distribution (every quantile at once)
        # within the Kolmogorov-Smirnov distance that chance exceeds once in a thousand
        assert abs(col.mean() - law.mean()) < 4 * law.std() / np.sqrt(n), path
        assert stats.kstest(col, law.cdf).statistic < 1.95 / np.sqrt(n), path
    skewed = ens.outcomes["states.china.risk_tolerance"]
    assert skewed.mean() == pytest.approx(1.1 / 3, abs=0.02)
    assert skewed.quantile(0.5) == pytest.approx(1 - np.sqrt(0.5 * 0.9), abs=0.02)    # right of the mode
    assert ens.outcomes["states.china.capability"].mean() == pytest.approx(0.55, abs=0.02)   # not 0.8


def test_fixing_one_parameter_leaves_the_others_draws_unchanged():
    a = run_ensemble(load_scenario(BASELINE), runs=200, seed=4).outcomes
    b = run_ensemble(load_scenario(BASELINE, ["states.china.risk_tolerance=0.3"]), runs=200, seed=4).outcomes
    assert "states.china.risk_tolerance" not in b.columns
    pd.testing.assert_series_equal(a["states.china.sanction_exposure"], b["states.china.sanction_exposure"])


def test_activation_order_does_not_matter(baseline):
    m1 = AxisModel(baseline, replicates=200, seed=9)
    m2 = AxisModel(baseline, replicates=200, seed=9)
    m2.by_id = dict(reversed(list(m2.by_id.items())))   # agents decide in the reverse order
    m1.run()
    m2.run()
    for key in ("china_rung", "front", "axis_cohesion"):
        np.testing.assert_array_equal(m1.outcomes()[key], m2.outcomes()[key])


def test_mesa_batch_run_with_datacollector(baseline):
    from simulator.experiment.mesa_compat import batch_run_seeds
    results = batch_run_seeds(AxisModel, {"scenario": baseline}, [1, 2, 3], max_steps=100,
                              number_processes=1, data_collection_period=1, display_progress=False)
    frame = pd.DataFrame(results)
    assert set(frame["seed"]) == {1, 2, 3}
    # our collector holds month 0 (initial) .. month 36; mesa 3.3 reports Steps 0..35, 3.5 0..36
    assert set(frame.groupby("seed")["Step"].max().astype(int)) <= {35, 36}
    direct = AxisModel(baseline, replicates=1, seed=2).run()
    assert direct.steps == 36 and not direct.running
    series = direct.datacollector.get_model_vars_dataframe()["china_rung"].to_numpy()
    assert len(series) == 37 and series[-1] == direct.china.support["russia"][0]
    rows = frame[frame["seed"] == 2].sort_values("Step")
    assert len(rows) >= 36
    np.testing.assert_array_equal(rows["china_rung"].to_numpy(), series[rows["Step"].astype(int).to_numpy()])


def test_every_bundled_scenario_runs():
    """Every bundled scenario runs, its outcomes are consistent with each other, its events and
    overrides change the outcome, and parameters it shares with the baseline get the same draws."""
    base_resolved = load_scenario(BASELINE)
    base = run_ensemble(base_resolved, runs=64, seed=1).outcomes
    for path in sorted(SCENARIOS.glob("*.yaml")):
        resolved = load_scenario(path)
        out = run_ensemble(resolved, runs=64, seed=1).outcomes
        assert out["replicate"].tolist() == list(range(64)) and not out.isna().any().any(), path.name
        rung, o = out["china_rung"], resolved.scenario.outcome
        assert rung.between(0, 4).all(), path.name
        assert (out["china_stays"] == (rung >= o.stay_threshold)).all(), path.name
        assert (out["china_weapons"] == (rung >= o.weapons_rung)).all(), path.name
        assert (out["china_weapons_ever"] >= out["china_weapons"]).all(), path.name
        assert ((out["first_drop_month"] >= 0) | out["china_stays"].astype(bool)).all(), path.name
        same = [c for c in resolved.params if c in base.columns and c in out.columns
                and resolved.params[c] == base_resolved.params[c]]
        assert same, path.name
        pd.testing.assert_frame_equal(out[same], base[same])
        changed = [c for c in ("front", "escalation", "tension", "china_cost") if not out[c].equals(base[c])]
        assert bool(changed) == (resolved.digest() != base_resolved.digest()), (path.name, changed)


def test_two_processes_equal_one(baseline):
    one = run_ensemble(baseline, runs=900, seed=12)
    two = run_ensemble(baseline, runs=900, seed=12, workers=2)
    pd.testing.assert_frame_equal(one.outcomes, two.outcomes)
    for name in one.series:
        np.testing.assert_array_equal(one.series[name], two.series[name])


def test_models_are_freed_after_an_ensemble(baseline):
    import gc
    import weakref

    import mesa
    from simulator.experiment import ensemble as ens_module

    refs = []
    original = ens_module.AxisModel

    class Tracked(original):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            refs.append(weakref.ref(self))

    ens_module.AxisModel = Tracked
    try:
        run_ensemble(baseline, runs=300, seed=1, batch=100)
    finally:
        ens_module.AxisModel = original
    gc.collect()
    assert len(refs) == 3 and all(r() is None for r in refs)
    assert not any(isinstance(m, Tracked) for m in getattr(mesa.Agent, "_ids", {}))


def test_an_event_on_momentum_acts_from_its_month(write_yaml):
    from simulator.model import theatres as th
    file = write_yaml("name: reversal\nextends: BASELINE\nevents:\n"
                      "  - {month: 5, path: theatres.ukraine.momentum, set: -0.05}\n")
    m = AxisModel(load_scenario(file), replicates=200, seed=3)
    b = AxisModel(load_scenario(BASELINE), replicates=200, seed=3)
    for _ in range(5):
        m.step()
        b.step()
    np.testing.assert_array_equal(m.momentum["russia"], b.momentum["russia"])   # nothing before month 5
    m.step()
    scale = m.p["decision.failure_scale"]
    assert (m.ctx["failure"]["russia"] > 0.99).all()          # the reversal reads as Russia failing
    assert th.perceived_failure(-0.05, scale, 0.0, m.p["decision.position_scale"]).max() > 0.99
    short = ["horizon_months=12"]                               # a year on, China has stepped back
    outcome = run_ensemble(load_scenario(file, short), runs=1000, seed=3).outcomes["china_stays"].mean()
    base = run_ensemble(load_scenario(BASELINE, short), runs=1000, seed=3).outcomes["china_stays"].mean()
    assert outcome < base - 0.1
