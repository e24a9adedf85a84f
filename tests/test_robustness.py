"""sensitivity --all: a design over every drawn parameter of a scenario (derived from the resolved
scenario, never a list), run through the sweep store, ranked in robustness.md with sources."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from simulator.analysis.robustness import noise_floor, ranked, robustness_markdown, spread
from simulator.analysis.sensitivity import sensitivity_table
from simulator.cli.main import main
from simulator.experiment.designs import build_design, drawn_params
from simulator.model.sampling import is_drawn
from simulator.scenario import load_scenario

from .conftest import BASELINE, SCENARIOS

#: The parameters a tiny design keeps drawn; every other drawn parameter is fixed with --set.
KEEP = ("theatres.ukraine.russia_strength", "decision.tie_floor_rung", "decision.weights.sanction_cost")


def _fix_all_but(keep, scenario=BASELINE) -> list[str]:
    """--set arguments that fix every drawn parameter of the scenario except ``keep``."""
    resolved = load_scenario(scenario)
    sets = []
    for path, spec in resolved.params.items():
        if is_drawn(spec, False) and path not in keep:
            sets += ["--set", f"{path}={spec.value!r}"]
    return sets


def _tiny(out, *extra, keep=KEEP):
    return ["sensitivity", str(BASELINE), "--all", "--samples", "3", "--runs", "40", "--out", str(out),
            "--quiet", "--no-charts", *_fix_all_but(keep), *extra]


@pytest.mark.parametrize("name", ["baseline.yaml", "secondary_sanctions.yaml"])
def test_drawn_params_are_every_parameter_with_a_range_over_that_range(name):
    resolved = load_scenario(SCENARIOS / name)
    params = drawn_params(resolved)
    expected = [p for p, spec in resolved.params.items() if spec.range is not None and spec.range[0] < spec.range[1]]
    assert [p.path for p in params] == expected
    assert len(params) > 100                       # structural ones included (decision.*)
    assert any(p.path.startswith("decision.weights.") for p in params)
    for p in params:
        lo, hi = resolved.params[p.path].range
        assert (p.low, p.high) == (lo, hi)
        assert p.integer == resolved.bounds[p.path][2]


def test_drawn_params_leave_out_what_set_fixes():
    full = {p.path for p in drawn_params(load_scenario(BASELINE))}
    fixed = load_scenario(BASELINE, ["decision.weights.tie=1.1", "states.china.capability=0.9"])
    assert {p.path for p in drawn_params(fixed)} == full - {"decision.weights.tie", "states.china.capability"}


def test_all_runs_every_drawn_parameter_and_writes_a_ranked_robustness_md(tmp_path, capsys):
    out = tmp_path / "all"
    assert main(_tiny(out)) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    # the design: every parameter left drawn, each over its own range, Morris by default
    design = json.loads((out / "manifest.json").read_text())["design"]
    assert design["name"] == "morris" and design["points"] == 3 * (len(KEEP) + 1)
    resolved = load_scenario(BASELINE)
    assert [(p["path"], p["low"], p["high"]) for p in design["params"]] == \
        [(k, *resolved.params[k].range) for k in resolved.params if k in KEEP]
    assert f"{design['points']} points" in printed
    table = pd.read_parquet(out / "sensitivity.parquet")
    assert set(table["parameter"]) == set(KEEP)
    # robustness.md: the ranking in order of mu*, each with its range and source from the scenario
    text = (out / "robustness.md").read_text()
    r = ranked(table)
    assert list(r["mu_star"]) == sorted(r["mu_star"], reverse=True)
    rows = re.findall(r"^\| (\d+) \| `([^`]+)` \| ([0-9.]+) ± ([0-9.]+) \|.*\| (.*) \| (.*) \|$", text, re.M)
    assert [row[1] for row in rows] == list(r["parameter"])
    assert [int(row[0]) for row in rows] == list(range(1, len(KEEP) + 1))
    for (_, path, mu, conf, rng, source), (_, t) in zip(rows, r.iterrows()):
        spec = resolved.params[path]
        assert (mu, conf) == (f"{t['mu_star']:.3f}", f"{t['mu_star_conf']:.3f}")
        assert rng == f"{spec.range[0]:g} to {spec.range[1]:g}"
        assert source == " ".join(spec.source.split()).replace("|", "\\|")
    points = pd.read_parquet(out / "points.parquet")
    s = spread(points)
    assert f"| {len(points)} | {s['min']:.3f} | {s['p10']:.3f} | {s['p50']:.3f} | {s['p90']:.3f} | {s['max']:.3f} |" in text
    assert s["min"] <= s["p10"] <= s["p50"] <= s["p90"] <= s["max"]
    assert "python run.py sensitivity" in text and "--all --method morris --samples 3 --runs 40" in text
    assert text.splitlines()[2].startswith("Across the ranges of all 3 drawn parameters")
    # the reproducing command in the file gives the same file (no date, no folder in it)
    assert not re.search(r"20\d\d-\d\d-\d\d", text) and str(tmp_path) not in text


def test_all_is_identical_after_an_interruption_and_resume(tmp_path, capsys):
    out = tmp_path / "all"
    assert main(_tiny(out)) == 0, capsys.readouterr().err
    before = {f: (out / f).read_bytes() for f in ("points.parquet", "sensitivity.parquet", "robustness.md")}
    tasks = sorted((out / "tasks").glob("*.parquet"))
    assert len(tasks) == 12
    for path in tasks[::2]:                       # half the tasks lost, as if the sweep had been killed
        path.unlink()
    assert main([*_tiny(out), "--resume"]) == 0, capsys.readouterr().err
    assert len(list((out / "tasks").glob("*.parquet"))) == 12
    for f, data in before.items():
        assert (out / f).read_bytes() == data, f


@pytest.mark.slow
def test_all_is_byte_identical_on_one_and_two_workers(tmp_path, capsys):
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(_tiny(one)) == 0
    assert main([*_tiny(two), "--workers", "2"]) == 0, capsys.readouterr().err
    for f in ("points.parquet", "sensitivity.parquet", "robustness.md"):
        assert (one / f).read_bytes() == (two / f).read_bytes(), f


def test_all_with_sobol_prints_the_point_count_it_implies(tmp_path, capsys):
    out = tmp_path / "sobol"
    keep = KEEP[:2]
    assert main([*_tiny(out, "--method", "sobol", keep=keep)]) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    points = 3 * (2 * len(keep) + 2)
    assert f"sobol design over all {len(keep)} drawn parameters of baseline: {points} points" in printed
    assert f"{points * 40} runs" in printed
    table = pd.read_parquet(out / "sensitivity.parquet")
    assert {"S1", "ST", "S1_conf", "ST_conf"} <= set(table.columns)
    text = (out / "robustness.md").read_text()
    assert "ST ± 95% CI" in text
    order = re.findall(r"^\| \d+ \| `([^`]+)` \|", text, re.M)
    assert order == list(table[table["output"] == "p_stays"].sort_values("ST", ascending=False)["parameter"])


def test_all_bad_input_exits_2_with_one_line(tmp_path, capsys):
    out = tmp_path / "s"
    assert main(["sensitivity", str(BASELINE), "--all", "--param", "decision.weights.tie=0.7:1.3",
                 "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--all and --param" in err and len(err.strip().splitlines()) == 1
    assert main(["sensitivity", str(BASELINE), "--all", "--out", str(out), "--quiet",
                 *_fix_all_but(())]) == 2
    err = capsys.readouterr().err
    assert "--all" in err and "draws no parameter" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_robustness_markdown_ranks_by_the_index_and_reports_other_outcomes():
    from simulator.experiment.designs import ParamRange
    params = [ParamRange("decision.weights.tie", 0.7, 1.3), ParamRange("states.china.capability", 0.8, 1.0),
              ParamRange("decision.weights.energy", 0.5, 1.5)]
    design = build_design(params, "morris", samples=20, seed=3)
    x = design.points[design.paths].to_numpy()
    lo = np.array([p.low for p in params])
    hi = np.array([p.high for p in params])
    u = (x - lo) / (hi - lo)                       # effects per full range: 0.1, 0.4, 0.2
    pts = design.points.copy()
    pts.insert(0, "point", np.arange(len(design)))
    pts["p_stays"] = 0.3 + 0.1 * u[:, 0] + 0.4 * u[:, 1] + 0.2 * u[:, 2]
    pts["front_mean"] = 0.2 + 0.3 * u[:, 0]
    pts["runs"] = 500
    table, notes = sensitivity_table(design, pts)
    data = load_scenario(BASELINE).data
    text = robustness_markdown(table, pts, {"scenario": "x", "method": "morris", "parameters": 3, "data": data})
    order = re.findall(r"^\| \d+ \| `([^`]+)` \|", text, re.M)
    assert order == ["states.china.capability", "decision.weights.energy", "decision.weights.tie"]
    assert "The answer depends most on" in text and "`states.china.capability`" in text.splitlines()[2]
    front = next(line for line in text.splitlines() if line.startswith("- **Ukraine front"))
    assert front.index("decision.weights.tie") < front.index("states.china.capability")
    # the noise floor grows with fewer runs a point
    fewer = pts.assign(runs=50)
    assert noise_floor(fewer, "morris") > noise_floor(pts, "morris") > 0


def test_all_on_the_baseline_varies_every_drawn_parameter(tmp_path, capsys):
    out = tmp_path / "full"
    assert main(["sensitivity", str(BASELINE), "--all", "--samples", "1", "--runs", "10", "--out", str(out),
                 "--quiet", "--no-charts", "--set", "horizon_months=6"]) == 0, capsys.readouterr().err
    resolved = load_scenario(BASELINE, ["horizon_months=6"])
    drawn = [p for p, spec in resolved.params.items() if is_drawn(spec, False)]
    design = pd.read_parquet(out / "design.parquet")
    assert [c for c in design.columns if "." in c] == drawn
    points = pd.read_parquet(out / "points.parquet")
    assert len(points) == len(drawn) + 1 and points["runs"].eq(10).all()
    for path in drawn:                               # each over its own range, and moved in the design
        lo, hi = resolved.params[path].range
        assert lo <= points[path].min() < points[path].max() <= hi, path
    table = pd.read_parquet(out / "sensitivity.parquet")
    for _, rows in table.groupby("output"):
        assert sorted(rows["parameter"]) == sorted(drawn)
    text = (out / "robustness.md").read_text()
    assert f"all {len(drawn)} drawn parameters" in text or f"the {len(drawn)} drawn parameters" in text
    # the sweep's report shows the leaders of each outcome, not every parameter
    from simulator.analysis.report import REPORT_TOP
    report = (out / "report.md").read_text()
    assert f"The {REPORT_TOP} most influential of the {len(drawn)} parameters" in report
    for output, rows in table.groupby("output"):
        shown = re.findall(rf"^\| {output} \| (\S+) \|", report, re.M)
        assert shown == list(rows.sort_values("mu_star", ascending=False, kind="stable")["parameter"][:REPORT_TOP])


def test_charts_of_a_design_over_many_parameters_show_the_most_influential():
    import matplotlib.pyplot as plt

    from simulator.analysis.labels import plain_label
    from simulator.charts.sensitivity_charts import MAX_BARS, sensitivity_figure
    from simulator.charts.sweep_charts import MAX_MULTIPLES, strongest
    paths = [p.path for p in drawn_params(load_scenario(BASELINE))][:MAX_BARS + 10]
    table = pd.DataFrame({"method": "morris", "output": "p_stays", "output_label": "P(China stays)",
                          "parameter": paths, "mu": 0.0, "mu_star": np.arange(len(paths), dtype=float),
                          "mu_star_conf": 0.1, "sigma": 0.2})
    fig = sensitivity_figure(table, {"scenario": "baseline"})
    labels = [t.get_text().replace("\n", " ") for t in fig.axes[0].get_yticklabels()]
    plt.close(fig)
    assert len(labels) == MAX_BARS
    shown = {" ".join(plain_label(p).split()) for p in paths[-MAX_BARS:]}
    assert {" ".join(label.split()) for label in labels} == shown           # the largest mu*, not the first
    # the small multiples keep the parameters whose values go most with P(stays), in design order
    rng = np.random.default_rng(0)
    n = 400
    points = pd.DataFrame({p: rng.uniform(size=n) for p in paths})
    strong = paths[5:5 + MAX_MULTIPLES]
    points["p_stays"] = points[strong].sum(axis=1) / len(strong)
    points["runs"] = 100
    params = [{"path": p} for p in paths]
    assert [p["path"] for p in strongest(points, params)] == strong
    assert strongest(points, params[:MAX_MULTIPLES]) == params[:MAX_MULTIPLES]
