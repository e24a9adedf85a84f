"""run.py calibrate: approximate Bayesian computation against the historical episodes."""

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from simulator.cli.main import main
from simulator.experiment.calibration import calibrated_priors, make_setup, read_posterior, simulate
from simulator.measurement.mapping import PARAMS
from simulator.scenario import load_scenario

from .conftest import BASELINE, ROOT

HISTORY = sorted(str(p) for p in (ROOT / "scenarios" / "history").glob("*.yaml"))
SMALL = ["--particles", "40", "--accept", "0.2", "--no-charts", "--quiet"]


def _cal(out, *extra):
    return main(["calibrate", *HISTORY, "--out", str(out), *SMALL, *extra])


def test_posterior_file_has_the_shared_format_and_is_identical_for_the_same_seed(tmp_path):
    out = tmp_path / "cal"
    assert _cal(out, "--seed", "5") == 0
    first = (out / "posterior.parquet").read_bytes()
    post, meta = read_posterior(out / "posterior.parquet")
    setup = make_setup([load_scenario(p) for p in HISTORY])
    assert list(post.columns) == [*setup.priors, "weight"]
    assert all(dt == np.float64 for dt in post.dtypes) and len(post) == 40
    assert (post["weight"] >= 0).all()
    assert set(meta) == {"scenario", "command", "seed", "version"}
    assert meta["scenario"] == "baseline" and meta["seed"] == 5 and "calibrate" in meta["command"]
    raw = pq.read_schema(out / "posterior.parquet").metadata[b"axis_sim"]
    assert json.loads(raw) == meta
    # every posterior value lies in its prior range; the kept particles are the closest ones
    for path, spec in setup.priors.items():
        assert spec.range[0] <= post[path].min() and post[path].max() <= spec.range[1], path
    parts = pd.read_parquet(out / "particles.parquet")
    assert len(parts) == 200
    kept = parts.nsmallest(40, "distance")
    assert np.allclose(np.sort(kept["decision.temperature"]), np.sort(post["decision.temperature"]))
    # the same seed again: the same bytes; another seed: another posterior
    assert _cal(out, "--seed", "5", "--force") == 0
    assert (out / "posterior.parquet").read_bytes() == first
    assert _cal(tmp_path / "other", "--seed", "6") == 0
    assert not read_posterior(tmp_path / "other" / "posterior.parquet")[0].equals(post)


def test_resume_reuses_finished_blocks_and_gives_the_same_posterior(tmp_path):
    out = tmp_path / "cal"
    args = ["--particles", "60", "--accept", "0.05"]       # 1,200 draws: two blocks
    assert _cal(out, *args) == 0
    want = pd.read_parquet(out / "posterior.parquet")
    blocks = sorted((out / "blocks").glob("block_*.parquet"))
    assert len(blocks) == 2
    blocks[1].unlink()                                      # as if interrupted after the first block
    before = blocks[0].stat().st_mtime_ns
    assert _cal(out, *args, "--resume") == 0
    assert blocks[0].stat().st_mtime_ns == before           # kept, not simulated again
    assert pd.read_parquet(out / "posterior.parquet").equals(want)


def test_particles_do_not_depend_on_the_block_they_run_in():
    setup = make_setup([load_scenario(p) for p in HISTORY])
    from simulator.experiment.calibration import prior_draws
    theta = prior_draws(setup, 30, 11)
    _, whole = simulate(setup, theta, 11)
    _, tail = simulate(setup, {k: v[10:] for k, v in theta.items()}, 11, offset=10)
    assert np.array_equal(whole[10:], tail)


def test_calibrated_parameters_are_the_shared_behavioural_subset_and_the_mappings():
    eps = [load_scenario(p) for p in HISTORY]
    priors = calibrated_priors(eps)
    assert "decision.weights.sanction_cost" in priors and "states.china.risk_tolerance" in priors
    assert set(PARAMS) - {"measurement.nk.export_share"} <= set(priors)      # the fixed one is not drawn
    # an episode's own starting levels are never calibrated
    assert "policies.secondary_sanctions.intensity" not in priors and "theatres.ukraine.front" not in priors
    assert not any(p.startswith("decision.policy_weights.") for p in priors)


@pytest.mark.parametrize("extra, message", [
    (["--generations", "2"], "--generations applies to --method abc only"),
    (["--accept", "0"], "--accept 0: must be in (0, 1]"),
    (["--hold-out", "iran_2019"], "--hold-out iran_2019: not one of the episodes given"),
    (["--particles", "0"], "--particles must be at least 1"),
])
def test_bad_options_are_one_line_and_exit_2(tmp_path, capsys, extra, message):
    assert main(["calibrate", *HISTORY, "--out", str(tmp_path / "c"), "--quiet", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
    assert not (tmp_path / "c").exists()


def test_a_scenario_without_observed_patterns_is_refused(tmp_path, capsys):
    assert main(["calibrate", str(BASELINE), "--out", str(tmp_path / "c"), "--quiet"]) == 2
    assert "no observed patterns for an episode named 'baseline'" in capsys.readouterr().err


def test_resume_needs_a_calibration_folder(tmp_path, capsys):
    assert main(["calibrate", *HISTORY, "--out", str(tmp_path / "none"), "--resume", "--quiet"]) == 2
    assert "holds no calibration to continue" in capsys.readouterr().err


def test_report_and_charts(tmp_path):
    out = tmp_path / "cal"
    assert main(["calibrate", *HISTORY, "--out", str(out), "--particles", "40", "--accept", "0.2",
                 "--quiet", "--hold-out", "eo14114_2024"]) == 0
    md = (out / "calibration.md").read_text()
    assert "held out: eo14114_2024" in md and "## What the data constrain" in md
    info = json.loads((out / "calibration.json").read_text())
    assert info["fit"] == ["iran_2018", "north_korea_2017", "ukraine_2022"] and info["simulations"] == 200
    cov = pd.read_parquet(out / "predictive.parquet")
    assert set(cov["episode"]) == {"eo14114_2024", "iran_2018", "north_korea_2017", "ukraine_2022"}
    assert (cov["low"] <= cov["high"]).all() and (cov["low_prior"] <= cov["high_prior"]).all()
    assert cov["covered"].dtype == bool
    assert (cov["covered"] == ((cov["low"] <= cov["observed"]) & (cov["observed"] <= cov["high"]))).all()
    for name in ("posterior_params.png", "episode_iran_2018.png", "episode_eo14114_2024.png"):
        assert (out / name).stat().st_size > 5000
        assert f"]({name})" in md


@pytest.mark.slow
def test_two_workers_give_the_same_posterior_as_one(tmp_path):
    args = ["--particles", "60", "--accept", "0.05", "--seed", "3"]
    assert _cal(tmp_path / "one", *args) == 0
    assert _cal(tmp_path / "two", *args, "--workers", "2") == 0
    assert pd.read_parquet(tmp_path / "one" / "posterior.parquet").equals(
        pd.read_parquet(tmp_path / "two" / "posterior.parquet"))


@pytest.mark.slow
def test_abc_smc_with_pyabc_is_reproducible(tmp_path):
    args = ["--method", "abc", "--particles", "8", "--generations", "2", "--seed", "4"]
    main_args = lambda out: ["calibrate", *HISTORY, "--out", str(out), "--quiet", "--no-charts", *args]  # noqa: E731
    assert main(main_args(tmp_path / "a")) == 0
    assert main(main_args(tmp_path / "b")) == 0
    a = pd.read_parquet(tmp_path / "a" / "posterior.parquet")
    assert len(a) == 8 and a["weight"].gt(0).all()
    assert a.equals(pd.read_parquet(tmp_path / "b" / "posterior.parquet"))
