"""compare: common random numbers, paired differences with their own CIs, charts."""

import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.container import ErrorbarContainer

from simulator.analysis.compare import (AnalysisError, compare_folder, compare_table, load_members,
                                        paired_difference, unique_labels)
from simulator.charts.compare_charts import pstays_figure, rung_figure
from simulator.cli.main import main
from simulator.experiment.ensemble import run_ensemble
from simulator.scenario import load_scenario
from simulator.scenario.schema import RUNG_NAMES

from .conftest import BASELINE, SCENARIOS

SHORT = ["--set", "horizon_months=12"]


def test_paired_difference_formula():
    a = np.array([1, 1, 0, 1, 0, 1, 1, 1], dtype=float)
    b = np.array([1, 0, 0, 1, 0, 0, 1, 1], dtype=float)
    d = b - a
    got = paired_difference(a, b)
    half = 1.959963984540054 * d.std(ddof=1) / math.sqrt(d.size)
    assert got["mean"] == pytest.approx(-0.25)
    assert got["ci95"] == pytest.approx([-0.25 - half, -0.25 + half])
    same = paired_difference(a, a)
    assert same["mean"] == 0.0 and same["ci95"] == [0.0, 0.0]


def test_identical_outcomes_give_exactly_zero_differences():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"replicate": np.arange(300), "china_stays": rng.integers(0, 2, 300),
                          "china_weapons_ever": rng.integers(0, 2, 300), "front": rng.random(300),
                          "china_cost": rng.random(300), "axis_cohesion": rng.random(300),
                          "china_rung": rng.integers(0, 5, 300)})
    t = compare_table([("a", frame), ("b", frame.copy())])
    for col in ("china_stays", "china_weapons_ever", "front", "china_cost", "axis_cohesion"):
        assert t[f"{col}_diff"].tolist() == [0.0, 0.0]
        assert t[f"{col}_diff_low"].tolist() == [0.0, 0.0]
        assert t[f"{col}_diff_high"].tolist() == [0.0, 0.0]
    lo, hi = t.loc[0, "china_stays_low"], t.loc[0, "china_stays_high"]
    assert lo < t.loc[0, "china_stays"] < hi


def test_different_replicates_are_refused():
    f = pd.DataFrame({"replicate": np.arange(10), "china_stays": np.ones(10)})
    g = pd.DataFrame({"replicate": np.arange(5, 15), "china_stays": np.ones(10)})
    with pytest.raises(AnalysisError, match="same replicates"):
        compare_table([("a", f), ("b", g)])


def test_unique_labels():
    assert unique_labels(["baseline", "x", "baseline", "baseline"]) == ["baseline", "x", "baseline-2",
                                                                         "baseline-3"]


def test_common_random_numbers_make_the_paired_ci_narrower():
    """Same seed, two scenarios: the paired CI is narrower than an unpaired one.

    With equal variances the width ratio is sqrt(1 - rho), rho the correlation of a replicate's
    outcome in the two scenarios.  Measured (seeds 5-9, 400 runs, horizon 12): P(stays)
    0.75-0.83 (rho 0.35-0.47), front 0.08-0.09 (rho 0.99: the war barely depends on the
    sanctions), China's cost 0.68-0.76 (rho 0.45-0.56).  The limits keep the claim with room
    for the model to change: pairing must remove at least 10% of the P(stays) width (rho >
    0.19), 15% of the cost width (rho > 0.28), and 80% of the front width (rho > 0.96)."""
    a = run_ensemble(load_scenario(BASELINE, ["horizon_months=12"]), runs=400, seed=5).outcomes
    b = run_ensemble(load_scenario(SCENARIOS / "secondary_sanctions.yaml", ["horizon_months=12"]),
                     runs=400, seed=5).outcomes
    shared = [c for c in a.columns if c.startswith("states.china.") and c in b.columns]
    pd.testing.assert_frame_equal(a[shared], b[shared])       # same parameter draws per replicate
    t = compare_table([("base", a), ("sanctions", b)])
    n = len(a)
    assert t.loc[1, "china_stays_diff"] < 0                      # broad sanctions: China steps back
    for col, ratio in (("china_stays", 0.9), ("front", 0.2), ("china_cost", 0.85)):
        width_paired = t.loc[1, f"{col}_diff_high"] - t.loc[1, f"{col}_diff_low"]
        width_unpaired = 2 * 1.959963984540054 * math.sqrt(a[col].var() / n + b[col].var() / n)
        assert width_paired < ratio * width_unpaired, col


@pytest.fixture(scope="module")
def compare_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "c"
    code = main(["compare", str(BASELINE), str(SCENARIOS / "secondary_sanctions.yaml"), str(BASELINE),
                 "--runs", "300", "--out", str(out), "--quiet", *SHORT])
    assert code == 0
    return out


def test_compare_folder_outputs_and_zero_difference_for_identical(compare_dir, capsys):
    for name in ("manifest.json", "compare.parquet", "compare_pstays.png", "compare_pstays.svg",
                 "compare_rung.png", "compare_rung.svg", "report.md", "report.html"):
        assert (compare_dir / name).exists(), name
    for sub in ("baseline", "secondary_sanctions", "baseline-2"):
        assert (compare_dir / sub / "runs.parquet").exists()
        assert (compare_dir / sub / "report.md").exists()
    t = pd.read_parquet(compare_dir / "compare.parquet")
    assert list(t["scenario"]) == ["baseline", "secondary_sanctions", "baseline-2"]
    assert t.loc[2, "china_stays_diff"] == 0.0
    assert (t.loc[2, "china_stays_diff_low"], t.loc[2, "china_stays_diff_high"]) == (0.0, 0.0)
    assert t.loc[2, "china_stays"] == t.loc[0, "china_stays"]
    again = compare_folder(compare_dir)
    pd.testing.assert_frame_equal(again, t, check_dtype=False)
    report = (compare_dir / "report.md").read_text()
    assert "difference vs baseline" in report and "compare_pstays.png" in report


def test_compare_charts_have_dots_whiskers_bands_and_labels(compare_dir):
    t = compare_folder(compare_dir)
    manifest = {"runs": 300, "seed": 1, "git": "abc", "versions": {"axis-sim": "0"}}
    fig = pstays_figure(t, manifest, threshold=2, horizon=12)
    left, right = fig.axes[:2]
    assert sum(isinstance(c, ErrorbarContainer) for c in left.containers) == 3
    assert sum(isinstance(c, ErrorbarContainer) for c in right.containers) == 2   # no CI for the reference
    assert [x.get_text() for x in left.get_yticklabels()] == ["baseline", "secondary_sanctions", "baseline-2"]
    assert "probability" in left.get_xlabel() and "difference" in right.get_xlabel()
    assert "Which scenario keeps China aligned" in fig._suptitle.get_text()
    assert any("git abc" in x.get_text() for x in fig.texts)
    assert all(ax.get_legend() is None for ax in fig.axes) and not fig.legends   # nothing over the dots
    members = load_members(compare_dir)
    fig2 = rung_figure(members, manifest)
    panels = [ax for ax in fig2.axes if ax.get_title() in ("baseline", "secondary_sanctions", "baseline-2")]
    assert [ax.get_title() for ax in panels] == ["baseline", "secondary_sanctions", "baseline-2"]  # small multiples
    for ax, m in zip(panels, members):
        assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 2   # one scenario's bands
        mean = m["bands"][m["bands"]["series"] == "china_rung"].sort_values("month")["mean"].to_numpy()
        assert np.allclose(ax.get_lines()[0].get_ydata(), mean)
    assert [x.get_text() for x in panels[0].get_yticklabels()] == list(RUNG_NAMES)
    bottom = next(ax for ax in fig2.axes if ax.get_title().startswith("Probability China stays"))
    cis = [c for c in bottom.collections if isinstance(c, PolyCollection)]
    assert len(cis) == 3 and len(bottom.get_lines()) == 3                       # a CI band per scenario
    for line, band in zip(bottom.get_lines(), cis):
        y = line.get_ydata()
        lows = band.get_paths()[0].vertices[:, 1]
        assert lows.min() <= y.min() and lows.max() >= y.max()
    assert bottom.get_xticklabels()[0].get_text() == "2024-11"
    from .test_charts import legends_clear_of_axes
    legends_clear_of_axes(fig2)


def test_compare_needs_two_scenarios_and_bad_input_exits_2(tmp_path, capsys):
    assert main(["compare", str(BASELINE), "--out", str(tmp_path / "a")]) == 2
    assert "at least two" in capsys.readouterr().err
    assert main(["compare", str(BASELINE), str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "b")]) == 2
    assert "file not found" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


def test_compare_seed_is_the_common_seed_of_every_scenario(tmp_path, capsys, write_yaml):
    other = write_yaml(f"name: own_seed\nextends: {SCENARIOS / 'secondary_sanctions.yaml'}\nseed: 99\n",
                       name="own_seed.yaml")
    out = tmp_path / "c"
    assert main(["compare", str(BASELINE), str(other), "--seed", "7", "--runs", "40", "--out", str(out),
                 "--no-charts", *SHORT]) == 0
    err = capsys.readouterr().err
    assert ("note: every scenario runs with seed 7 (common random numbers); the file seed of baseline, "
            "own_seed is not used") in err
    manifest = __import__("json").loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["runs"] == 40
    for folder, file in (("baseline", BASELINE), ("own_seed", other)):
        expected = run_ensemble(load_scenario(file, ["horizon_months=12"]), runs=40, seed=7).outcomes
        pd.testing.assert_frame_equal(pd.read_parquet(out / folder / "runs.parquet"), expected)
    # without --seed the first scenario's seed is the common one
    default = tmp_path / "d"
    assert main(["compare", str(other), str(BASELINE), "--runs", "40", "--out", str(default), "--quiet",
                 "--no-charts", *SHORT]) == 0
    expected = run_ensemble(load_scenario(BASELINE, ["horizon_months=12"]), runs=40, seed=99).outcomes
    pd.testing.assert_frame_equal(pd.read_parquet(default / "baseline" / "runs.parquet"), expected)
