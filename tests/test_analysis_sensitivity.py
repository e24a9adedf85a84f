"""sensitivity: the SALib wiring (design from the sweep machinery -> points in design order ->
indices) recovers known indices, and the command runs through the sweep store."""

import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer

from simulator.analysis.sensitivity import AnalysisError, ranking, sensitivity_table
from simulator.charts.sensitivity_charts import sensitivity_figure
from simulator.cli.main import main
from simulator.experiment.designs import ParamRange, build_design

from .conftest import BASELINE

PI = np.pi
# Ishigami (a=7, b=0.1) on [-pi, pi]^3: analytic first- and total-order Sobol' indices.
ISHIGAMI_S1 = [0.3139, 0.4424, 0.0]
ISHIGAMI_ST = [0.5576, 0.4424, 0.2437]


def ishigami(x):
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def _points(design, values):
    """A points.parquet-like table: point, the swept parameters, the outcome column."""
    pts = design.points.copy()
    pts.insert(0, "point", np.arange(len(design)))
    pts["p_stays"] = values
    return pts


def test_sobol_recovers_the_ishigami_indices():
    params = [ParamRange(f"x.x{i}", -PI, PI) for i in (1, 2, 3)]
    design = build_design(params, "sobol", samples=2048, seed=11)
    x = design.points[design.paths].to_numpy()
    table, notes = sensitivity_table(design, _points(design, ishigami(x)), seed=1)
    assert notes == []
    t = table.set_index("parameter")
    for i, name in enumerate(design.paths):
        assert t.loc[name, "S1"] == pytest.approx(ISHIGAMI_S1[i], abs=0.06)
        assert t.loc[name, "ST"] == pytest.approx(ISHIGAMI_ST[i], abs=0.06)
        assert 0 < t.loc[name, "ST_conf"] < 0.1
    assert list(ranking(table)["parameter"]) == ["x.x1", "x.x2", "x.x3"]


def test_morris_recovers_the_effects_of_a_linear_function():
    params = [ParamRange("x.a", 0, 1), ParamRange("x.b", 10, 20), ParamRange("x.c", -1, 1)]
    design = build_design(params, "morris", samples=20, seed=3)
    x = design.points[design.paths].to_numpy()
    y = 2.0 * x[:, 0] + 0.0 * x[:, 1] + 5.0 * x[:, 2]       # effect per full range: 2, 0, 10
    t = sensitivity_table(design, _points(design, y))[0].set_index("parameter")
    assert t["mu_star"].to_numpy() == pytest.approx([2.0, 0.0, 10.0], abs=1e-9)
    assert t["sigma"].to_numpy() == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)


def test_missing_results_and_constant_outputs():
    params = [ParamRange("x.a", 0, 1), ParamRange("x.b", 0, 1)]
    design = build_design(params, "sobol", samples=8, seed=1)
    y = design.points["x.a"].to_numpy().copy()
    pts = _points(design, y)
    pts["p_weapons_ever"] = 0.0
    table, notes = sensitivity_table(design, pts)
    assert set(table["output"]) == {"p_stays"} and "no variance" in notes[0]
    y[3] = np.nan
    with pytest.raises(AnalysisError, match="no result"):
        sensitivity_table(design, _points(design, y))
    with pytest.raises(AnalysisError, match="rows"):
        sensitivity_table(design, _points(design, design.points["x.a"].to_numpy())[:-1])


def test_sensitivity_chart_has_bars_with_whiskers_and_labels():
    params = [ParamRange(f"x.x{i}", -PI, PI) for i in (1, 2, 3)]
    design = build_design(params, "sobol", samples=256, seed=2)
    table, _ = sensitivity_table(design, _points(design, ishigami(design.points[design.paths].to_numpy())))
    fig = sensitivity_figure(table, {"scenario": "ishigami", "runs": 1, "seed": 2})
    ax = fig.axes[0]
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(bars) == 2 and all(len(b.patches) == 3 for b in bars)
    assert len([line for line in ax.lines if line.get_gid() == "whisker"]) == 6   # the 95% CIs
    labels = ax.get_legend_handles_labels()[1]
    assert any("first order" in x for x in labels) and any("total order" in x for x in labels)
    assert "95% CI" in ax.get_xlabel()
    assert "Which assumptions decide" in fig._suptitle.get_text()


def test_sensitivity_command_runs_through_the_sweep_store_and_resumes(tmp_path, capsys):
    out = tmp_path / "sens"
    args = ["sensitivity", str(BASELINE), "--param", "decision.weights.sanction_cost=4:12",
            "--param", "policies.secondary_sanctions.credibility=0.2:1", "--method", "morris",
            "--samples", "4", "--runs", "60", "--out", str(out), "--quiet", "--set", "horizon_months=12"]
    assert main(args) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert "mu*" in printed and "decision.weights.sanction_cost" in printed
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "sweep" and manifest["points"] == 12          # 4 x (2 + 1)
    points = pd.read_parquet(out / "points.parquet")
    assert len(points) == 12 and points["runs"].eq(60).all()
    table = pd.read_parquet(out / "sensitivity.parquet")
    assert set(table["parameter"]) == {"decision.weights.sanction_cost",
                                       "policies.secondary_sanctions.credibility"}
    for name in ("sensitivity.png", "sensitivity.svg", "sensitivity.json", "report.md", "report.html"):
        assert (out / name).exists(), name
    assert "Sensitivity" in (out / "report.md").read_text()
    assert main(["discover", str(out), "--target", "china_stays == 0"]) == 2      # per-run column
    assert "p_stays < 0.5" in capsys.readouterr().err
    # a per-point outcome: the points below its largest value are the cases (counted here; with
    # common random numbers several points share a value)
    values = sorted(points["front_mean"].unique())
    assert len(values) >= 2
    threshold = float(values[-1])
    cases = int((points["front_mean"] < threshold).sum())
    assert 0 < cases < 12
    assert main(["discover", str(out), "--target", f"front_mean < {threshold}"]) == 0
    found = json.loads((out / "discovery.json").read_text())
    assert found["source"] == "points" and found["rows"] == 12 and found["cases"] == cases
    assert found["base_rate"] == pytest.approx(cases / 12)
    assert set(found["parameters_searched"]) <= set(table["parameter"])
    before = table.copy()
    assert main([*args, "--resume"]) == 0                  # nothing left to run: same indices
    pd.testing.assert_frame_equal(pd.read_parquet(out / "sensitivity.parquet"), before)
    # plot redraws the sensitivity chart from the folder (the same pixels) and the report shows
    # the indices of sensitivity.parquet
    chart = (out / "sensitivity.png").read_bytes()
    (out / "sensitivity.png").unlink()
    (out / "report.html").unlink()
    capsys.readouterr()
    assert main(["plot", str(out)]) == 0
    assert str(out / "sensitivity.png") in capsys.readouterr().out.splitlines()
    assert (out / "sensitivity.png").read_bytes() == chart
    html = (out / "report.html").read_text()
    assert "<h2>Sensitivity</h2>" in html and "<h2>Scenario discovery</h2>" in html
    for _, row in table.iterrows():
        cells = f"<td>{row['parameter']}</td><td>{row['mu_star']:.3f}</td><td>{row['mu_star_conf']:.3f}</td>" \
                f"<td>{row['sigma']:.3f}</td>"
        assert cells in html, cells


def test_sensitivity_bad_input_exits_2(tmp_path, capsys):
    base = ["sensitivity", str(BASELINE), "--out", str(tmp_path / "s"), "--quiet"]
    assert main(base) == 2
    assert "--param" in capsys.readouterr().err
    assert main([*base, "--param", "decision.weights.nope=0:1"]) == 2
    assert "unknown parameter" in capsys.readouterr().err
    assert main([*base, "--param", "decision.weights.tie=1:1"]) == 2
    assert "LOW < HIGH" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_unstable_indices_are_capped_in_words_and_flagged():
    import pandas as pd
    from simulator.analysis.sensitivity import text_lines
    table = pd.DataFrame([{"output": "p_stays", "output_label": "P(China stays)", "parameter": "a",
                           "S1": 1.26, "S1_conf": 24.7, "ST": 2.8, "ST_conf": 13.1},
                          {"output": "p_stays", "output_label": "P(China stays)", "parameter": "b",
                           "S1": -0.3, "S1_conf": 3.0, "ST": 0.2, "ST_conf": 1.0}])
    lines = text_lines(table)
    assert "explains 100% of the variance" in lines[0] and "280%" not in lines[0]
    assert any(line.startswith("Warning: too few samples") for line in lines)


README_SOBOL = ["--method", "sobol", "--param", "theatres.ukraine.axis_elasticity=0.2:1.2",
                "--param", "decision.weights.prestige_cost=1:3"]     # the README's example, smaller


def _sensitivity(out, *extra):
    return main(["sensitivity", str(BASELINE), *README_SOBOL, "--samples", "8", "--runs", "20",
                 "--out", str(out), "--quiet", "--no-charts", "--set", "horizon_months=6", *extra])


def test_readme_sobol_example_gives_salib_indices_of_a_saltelli_design(tmp_path, capsys):
    from SALib.analyze import sobol
    out = tmp_path / "sobol"
    assert _sensitivity(out) == 0
    printed = capsys.readouterr().out
    assert "48 design points x 20 runs (N x (2D + 2) = 8 x (2*2 + 2) = 48)" in printed
    names = ["theatres.ukraine.axis_elasticity", "decision.weights.prestige_cost"]
    points = pd.read_parquet(out / "points.parquet").sort_values("point")
    assert len(points) == 48 and points["runs"].eq(20).all()
    # Saltelli's layout, block by block: A, A with column i from B (i = 1..D), B with column i
    # from A, B
    x = points[names].to_numpy()
    for block in x.reshape(8, 6, 2):
        a, b = block[0], block[5]
        assert np.array_equal(block[1], [b[0], a[1]]) and np.array_equal(block[2], [a[0], b[1]])
        assert np.array_equal(block[3], [a[0], b[1]]) and np.array_equal(block[4], [b[0], a[1]])
    assert x[:, 0].min() >= 0.2 and x[:, 0].max() <= 1.2 and x[:, 1].min() >= 1 and x[:, 1].max() <= 3
    # the indices are SALib's on P(stays) of each point, computed here directly
    problem = {"num_vars": 2, "names": names, "bounds": [[0.2, 1.2], [1.0, 3.0]]}
    table = pd.read_parquet(out / "sensitivity.parquet")
    # outcomes that hardly vary over so small a design are left out, with the reason, not ranked
    notes = json.loads((out / "sensitivity.json").read_text()).get("notes", [])
    kept = [o for o in ("p_stays", "front_mean") if o in set(table["output"])]
    assert "front_mean" in kept
    assert "p_stays" in kept or any(n.startswith("P(China stays") and "left out" in n for n in notes), notes
    for output in kept:
        expected = sobol.analyze(problem, points[output].to_numpy(), calc_second_order=True, num_resamples=10,
                                 seed=1)
        got = table[table["output"] == output].set_index("parameter").loc[names]
        assert got["S1"].to_numpy() == pytest.approx(expected["S1"], abs=1e-12), output
        assert got["ST"].to_numpy() == pytest.approx(expected["ST"], abs=1e-12), output
    assert json.loads((out / "sensitivity.json").read_text())["method"] == "sobol"


@pytest.mark.slow
def test_sensitivity_on_two_workers_and_on_dask_gives_the_same_indices(tmp_path):
    outs = {name: tmp_path / name for name in ("one", "two", "dask")}
    assert _sensitivity(outs["one"]) == 0
    assert _sensitivity(outs["two"], "--workers", "2") == 0
    assert _sensitivity(outs["dask"], "--workers", "2", "--dask") == 0           # a LocalCluster on 127.0.0.1
    executors = {n: json.loads((o / "manifest.json").read_text())["executor"] for n, o in outs.items()}
    assert executors == {"one": "in-process", "two": "processes (2 workers)",
                         "dask": "dask LocalCluster (2 processes on 127.0.0.1)"}
    for name in ("two", "dask"):
        for f in ("points.parquet", "sensitivity.parquet"):
            pd.testing.assert_frame_equal(pd.read_parquet(outs[name] / f), pd.read_parquet(outs["one"] / f),
                                          check_exact=True)


def test_near_constant_outcomes_are_left_out_with_the_reason():
    params = [ParamRange("x.a", 0, 1), ParamRange("x.b", 0, 1)]
    design = build_design(params, "sobol", samples=16, seed=3)
    pts = _points(design, 0.2 + 0.6 * design.points["x.a"].to_numpy())
    rng = np.random.default_rng(0)
    pts["runs"] = 1000
    pts["p_weapons_ever"] = rng.binomial(1000, 0.001, len(pts)) / 1000      # ~0.001: pure Monte Carlo noise
    table, notes = sensitivity_table(design, pts)
    assert set(table["output"]) == {"p_stays"}
    assert any(n.startswith("P(China gives weapons at some point) left out: it hardly varies") for n in notes)
    fig = sensitivity_figure(table, {"scenario": "s", "runs": 1000, "seed": 3}, notes)
    assert any("left out" in t.get_text() for t in fig.texts if t.get_gid() == "notes")


def test_whiskers_never_leave_the_axis_unlabelled_and_the_legend_is_off_the_data():
    table = pd.DataFrame([{"method": "sobol", "output": "p_stays", "output_label": "P(China stays)",
                           "parameter": "decision.weights.tie", "S1": 0.9, "S1_conf": 0.6, "ST": 1.43,
                           "ST_conf": 0.5},
                          {"method": "sobol", "output": "p_stays", "output_label": "P(China stays)",
                           "parameter": "theatres.coupling", "S1": 0.05, "S1_conf": 0.3, "ST": 0.1,
                           "ST_conf": 0.05}])
    fig = sensitivity_figure(table, {"scenario": "s", "runs": 10, "seed": 1})
    ax = fig.axes[0]
    left, right = ax.get_xlim()
    for line in ax.lines:
        if line.get_gid() == "whisker":
            x = line.get_xdata()
            assert left - 1e-9 <= min(x) and max(x) <= right + 1e-9
    clipped = [t.get_text() for t in ax.texts if t.get_gid() == "clipped"]
    assert {"CI to 1.93", "CI to 1.50", "CI to -0.25"} <= set(clipped)      # both edges, each labelled
    assert "ST = 1.43 (beyond axis; too few samples)" in clipped
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert all("." not in lab.split("\n")[0][:3] for lab in labels)
    assert any(lab.startswith("China's weight on") for lab in labels)             # plain words
    from .test_charts import legends_clear_of_axes
    legends_clear_of_axes(fig)
