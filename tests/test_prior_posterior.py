"""scripts/prior_posterior.py: the prior and posterior P(stays) side by side (make run prints it)."""

import importlib.util
import json

from .conftest import ROOT

spec = importlib.util.spec_from_file_location("prior_posterior", ROOT / "scripts" / "prior_posterior.py")
pp = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pp)


def _summary(folder, name, p, lo, hi, thr):
    (folder / name).mkdir(parents=True)
    o = {"china_stays": {"probability": p, "ci95": [lo, hi]}, "china_stays_throughout": {"probability": thr}}
    (folder / name / "summary.json").write_text(json.dumps({"scenario": name, "outcomes": o}))


def test_rows_pair_the_scenarios_run_in_both_folders(tmp_path):
    prior, post = tmp_path / "prior", tmp_path / "post"
    _summary(prior, "baseline", 0.877, 0.862, 0.891, 0.729)
    _summary(post, "baseline", 0.807, 0.790, 0.824, 0.629)
    _summary(prior, "only_prior", 0.5, 0.4, 0.6, 0.3)
    rows = pp.rows(prior, post)
    assert rows == [["baseline", "0.877 [0.862, 0.891]", "0.807 [0.790, 0.824]", "-0.070", "0.729", "0.629"]]
    text = pp.table(prior, post)
    assert text.splitlines()[0].startswith("scenario") and "P(stays) posterior" in text and "only_prior" not in text


def test_no_common_scenario_is_an_error(tmp_path, monkeypatch, capsys):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.setattr("sys.argv", ["prior_posterior.py", str(tmp_path / "a"), str(tmp_path / "b")])
    assert pp.main() == 2
    assert "no scenario run in both" in capsys.readouterr().err


def test_the_shipped_posterior_matches_the_scenarios(tmp_path):
    """data/calibration/posterior.parquet is a posterior of the baseline's parameters (make run uses it)."""
    from simulator.scenario import load_scenario
    from simulator.scenario.posterior import load_posterior
    post = load_posterior(ROOT / "data" / "calibration" / "posterior.parquet", load_scenario(ROOT / "scenarios" / "baseline.yaml"))
    assert post is not None and len(post.columns) > 10
    assert post.metadata["scenario"] == "baseline"
