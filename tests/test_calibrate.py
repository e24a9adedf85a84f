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
    assert _cal(out, "--seed", "5", "--force") == 0          # --force on a new folder: the same command twice
    first = (out / "posterior.parquet").read_bytes()
    post, meta = read_posterior(out / "posterior.parquet")
    setup = make_setup([load_scenario(p) for p in HISTORY])
    model_paths = [p for p in setup.priors if not p.startswith("measurement.")]
    assert list(post.columns) == [*model_paths, "weight"]
    assert set(model_paths) <= set(load_scenario(BASELINE).params)          # the scenario's own paths
    assert all(dt == np.float64 for dt in post.dtypes) and len(post) == 40
    mpost, mmeta = read_posterior(out / "measurement.parquet")
    assert list(mpost.columns) == [*[p for p in setup.priors if p.startswith("measurement.")], "weight"]
    assert mmeta == meta and len(mpost) == 40
    assert (post["weight"] >= 0).all()
    assert set(meta) == {"scenario", "command", "seed", "version"}
    assert meta["scenario"] == "baseline" and meta["seed"] == 5
    assert meta["command"].startswith("run.py calibrate ") and "--seed 5" in meta["command"]
    raw = pq.read_schema(out / "posterior.parquet").metadata[b"axis_sim"]
    assert json.loads(raw) == meta
    # every posterior value lies in its prior range; the kept particles are the closest ones
    both = pd.concat([post.drop(columns="weight"), mpost], axis=1)
    for path, spec in setup.priors.items():
        assert spec.range[0] <= both[path].min() and both[path].max() <= spec.range[1], path
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


def test_validate_history_scores_each_held_out_episode_with_brier_and_crps(tmp_path, capsys):
    import importlib.util

    from simulator.analysis.history_scores import score
    out = tmp_path / "val"
    eo, ua = [p for p in HISTORY if "eo14114" in p or "ukraine" in p]
    assert main(["validate-history", eo, ua, "--out", str(out), "--particles", "30", "--accept", "0.25",
                 "--quiet"]) == 0
    scores = pd.read_csv(out / "scores.csv")
    assert list(scores.columns[:2]) == ["episode", "pattern"]
    assert {"prior_score", "posterior_score", "observed", "prior_mean", "posterior_mean"} <= set(scores.columns)
    assert set(scores["episode"]) == {"eo14114_2024", "ukraine_2022"}
    assert set(scores.loc[scores["pattern"] == "no_weapons", "score"]) == {"Brier"}
    assert set(scores.loc[scores["pattern"].str.contains("yoy|growth"), "score"]) == {"CRPS"}
    assert (scores[["prior_score", "posterior_score"]] >= 0).all().all()
    info = json.loads((out / "validation.json").read_text())
    assert [f["held_out"] for f in info["folds"]] == ["eo14114_2024", "ukraine_2022"]
    assert info["folds"][0]["fit"] == ["ukraine_2022"]
    assert (out / "scores.png").stat().st_size > 5000
    # the scoring rules: a perfect forecast scores 0, a worse one more
    assert score("binary", np.zeros(10), 0.0) == 0 and score("binary", np.full(10, 1.0), 0.0) == 1
    assert score("continuous", np.full(5, 0.1), 0.1) == 0
    assert score("continuous", np.array([0.0, 0.2]), 0.1) < score("continuous", np.array([0.3, 0.5]), 0.1)
    # docs/validation.md is regenerated from the folder by the script
    spec = importlib.util.spec_from_file_location("validation_doc", ROOT / "scripts" / "validation_doc.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    (tmp_path / "docs" / "img").mkdir(parents=True)
    mod.main(str(out), tmp_path / "docs" / "validation.md")
    doc = (tmp_path / "docs" / "validation.md").read_text()
    n_better = int((scores["posterior_score"] < scores["prior_score"]).sum())
    assert f"better than the prior on {n_better} of {len(scores)} held-out" in doc
    assert (tmp_path / "docs" / "img" / "validation_scores.png").is_file()


def test_validate_history_needs_two_episodes(tmp_path, capsys):
    assert main(["validate-history", HISTORY[0], "--out", str(tmp_path / "v"), "--quiet"]) == 2
    assert "at least two episodes" in capsys.readouterr().err


def test_all_parameters_reports_every_drawn_parameter_and_keeps_the_same_particles(tmp_path):
    assert _cal(tmp_path / "subset", "--seed", "2") == 0
    assert _cal(tmp_path / "all", "--seed", "2", "--parameters", "all") == 0
    sub = pd.read_parquet(tmp_path / "subset" / "posterior.parquet")
    every = pd.read_parquet(tmp_path / "all" / "posterior.parquet")
    assert len(every.columns) > len(sub.columns) + 50
    assert "theatres.ukraine.axis_elasticity" in every and "theatres.ukraine.axis_elasticity" not in sub
    assert "theatres.ukraine.front" not in every            # an episode's own starting level
    # a parameter left out of the subset is drawn from its prior from the same random numbers,
    # so rejection keeps the same particles either way
    assert every[sub.columns].equals(sub)


def test_an_unreachable_dask_scheduler_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["calibrate", *HISTORY, "--out", str(tmp_path / "c"), *SMALL, "--dask", "tcp://127.0.0.1:9",
                 "--dask-timeout", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --dask tcp://127.0.0.1:9: no Dask scheduler answered within 2 s") and "\n" not in err


@pytest.mark.slow
def test_dask_gives_the_same_posterior(tmp_path):
    args = ["--particles", "60", "--accept", "0.05", "--seed", "3"]
    assert _cal(tmp_path / "local", *args) == 0
    assert _cal(tmp_path / "dask", *args, "--dask", "--workers", "2") == 0
    assert pd.read_parquet(tmp_path / "local" / "posterior.parquet").equals(
        pd.read_parquet(tmp_path / "dask" / "posterior.parquet"))
