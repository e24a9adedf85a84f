"""The parameter-uncertainty spread of P(stays) next to the Monte Carlo interval: a separately
seeded nested computation (K parameter draws x M runs each) that changes no other number."""

import json

import numpy as np
import pytest
from scipy import stats

from simulator.analysis.report import spread_text
from simulator.cli.main import main
from simulator.experiment.spread import parameter_spread
from simulator.scenario import load_scenario

from .conftest import BASELINE

K, M = 40, 50


def _run(out, *extra, runs=300):
    argv = ["run", str(BASELINE), "--runs", str(runs), "--no-charts", "--quiet", "--out", str(out),
            "--spread-draws", str(K), "--spread-runs", str(M), *extra]
    assert main(argv) == 0
    return json.loads((out / "summary.json").read_text())


def test_spread_is_in_summary_json_with_ordered_quantiles(tmp_path, capsys):
    summary = _run(tmp_path / "r")
    spread = summary["outcomes"]["china_stays"]["parameter_spread"]
    assert spread["draws"] == K and spread["runs_per_draw"] == M and len(spread["per_draw"]) == K
    assert 0.0 <= spread["p10"] <= spread["p50"] <= spread["p90"] <= 1.0
    assert spread["p10"] == pytest.approx(np.quantile(spread["per_draw"], 0.1))
    assert spread["p90"] == pytest.approx(np.quantile(spread["per_draw"], 0.9))
    resolved = load_scenario(BASELINE)
    assert spread["drawn_parameters"] == sum(1 for s in resolved.params.values()
                                             if s.range is not None and s.range[0] < s.range[1])
    mean = float(np.mean(spread["per_draw"]))
    assert spread["noise_sd"] == pytest.approx(np.sqrt(mean * (1 - mean) / M))
    # every per-draw estimate is a share of M runs
    assert np.allclose(np.array(spread["per_draw"]) * M, np.round(np.array(spread["per_draw"]) * M))
    # printed in the table and the report, next to the Monte Carlo interval
    printed = capsys.readouterr().out
    assert "P(stays) [95% MC CI]" in printed and f"{spread['p10']:.2f}-{spread['p90']:.2f}" in printed
    report = (tmp_path / "r" / "report.md").read_text()
    row = next(line for line in report.splitlines() if line.startswith("| P(China stays)"))
    assert spread_text(spread) in row
    assert "estimate [95% Monte Carlo CI]" in report and "simulation noise only" in report


def test_spread_changes_no_other_number_of_the_run(tmp_path):
    with_spread = _run(tmp_path / "a")
    without = _run(tmp_path / "b", "--no-spread")
    assert "parameter_spread" not in without["outcomes"]["china_stays"]
    with_spread["outcomes"]["china_stays"].pop("parameter_spread")
    assert with_spread == without
    for name in ("runs.parquet", "bands.parquet", "terms.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_spread_is_reproducible_with_the_seed_and_moves_with_it():
    a = parameter_spread(BASELINE, seed=5, draws=20, runs_per_draw=30)
    b = parameter_spread(BASELINE, seed=5, draws=20, runs_per_draw=30)
    c = parameter_spread(BASELINE, seed=6, draws=20, runs_per_draw=30)
    assert a == b
    assert a["per_draw"] != c["per_draw"]
    # the batch a draw falls in does not matter: the first draws of a longer computation are the same
    longer = parameter_spread(BASELINE, seed=5, draws=400, runs_per_draw=30)
    assert longer["per_draw"][:20] == a["per_draw"]


@pytest.mark.slow
def test_spread_is_identical_on_one_and_two_workers(tmp_path):
    one = _run(tmp_path / "one", runs=9000)                       # three batches: the pool is used
    two = _run(tmp_path / "two", "--workers", "2", runs=9000)
    assert one["outcomes"]["china_stays"]["parameter_spread"] == two["outcomes"]["china_stays"]["parameter_spread"]
    assert (tmp_path / "one" / "summary.json").read_bytes() == (tmp_path / "two" / "summary.json").read_bytes()


def test_with_every_range_degenerate_the_spread_is_monte_carlo_noise(tmp_path):
    fixed = _run(tmp_path / "f", "--fixed")["outcomes"]["china_stays"]["parameter_spread"]
    drawn = _run(tmp_path / "d")["outcomes"]["china_stays"]["parameter_spread"]
    assert fixed["drawn_parameters"] == 0 and drawn["drawn_parameters"] > 0
    # the K estimates of one parameter set vary as binomial noise does: their variance is within
    # the 99.9% chi-square bound of noise_sd**2 ...
    bound = stats.chi2.ppf(0.999, K - 1) / (K - 1)
    assert np.var(fixed["per_draw"], ddof=1) <= bound * fixed["noise_sd"] ** 2
    assert fixed["p90"] - fixed["p10"] <= 2 * stats.norm.ppf(0.9) * fixed["noise_sd"] * np.sqrt(bound) + 1 / M
    # ... while drawing the parameters spreads them well beyond it
    assert np.var(drawn["per_draw"], ddof=1) > bound * drawn["noise_sd"] ** 2
    assert drawn["p90"] - drawn["p10"] > fixed["p90"] - fixed["p10"]


def test_spread_flags_are_checked(tmp_path, capsys):
    for flag in ("--spread-draws", "--spread-runs"):
        assert main(["run", str(BASELINE), "--runs", "10", "--out", str(tmp_path / "x"), "--quiet", flag, "0"]) == 2
        err = capsys.readouterr().err
        assert flag in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_with_a_posterior_the_spread_draws_from_its_rows(tmp_path):
    """A posterior of one row holding every drawn parameter's point value leaves the draws nothing
    to vary: the spread equals the --fixed one (same noise streams, same values)."""
    from simulator.experiment.ensemble import posterior_params  # noqa: F401  (the path the run takes)
    from simulator.scenario.posterior import load_posterior

    from .test_posterior import write_posterior
    resolved = load_scenario(BASELINE)
    drawn = {p: [s.value] for p, s in resolved.params.items() if s.range is not None and s.range[0] < s.range[1]}
    path = write_posterior(tmp_path / "post.parquet", drawn, weight=[1.0])
    post = load_posterior(path, resolved)
    with_post = parameter_spread(resolved, seed=5, draws=12, runs_per_draw=40, posterior=post)
    fixed = parameter_spread(resolved, seed=5, draws=12, runs_per_draw=40, fixed=True)
    assert with_post["per_draw"] == fixed["per_draw"]
    prior = parameter_spread(resolved, seed=5, draws=12, runs_per_draw=40)
    assert prior["per_draw"] != fixed["per_draw"]
