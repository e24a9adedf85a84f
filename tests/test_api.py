"""The Python API (``import simulator``): the same numbers and folders as the command line,
scenario lookup (bundled names from anywhere, paths relative to the caller), clear errors, and
the documentation's examples (docs/api.md as a doctest, the quickstart notebook, batch_run.py)."""

import doctest
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import simulator
from simulator.cli.main import main
from simulator.experiment.ensemble import run_ensemble
from simulator.scenario import ScenarioError, load_scenario

from .conftest import BASELINE, ROOT, SCENARIOS

INTENSITY = "policies.secondary_sanctions.intensity"
SHORT = {"horizon_months": 12}


def same_folder(a: Path, b: Path) -> None:
    """Two run folders hold the same files with the same tables and summaries."""
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        if name.endswith(".parquet"):
            pd.testing.assert_frame_equal(pd.read_parquet(a / name), pd.read_parquet(b / name))
    assert json.loads((a / "summary.json").read_text()) == json.loads((b / "summary.json").read_text())
    assert (a / "scenario.resolved.yaml").read_text() == (b / "scenario.resolved.yaml").read_text()
    ma, mb = (json.loads((x / "manifest.json").read_text()) for x in (a, b))
    for key in ("kind", "scenario", "scenario_hash", "runs", "seed", "fixed", "overrides"):
        assert ma[key] == mb[key], key


# ----------------------------------------------------------------------------- run

def test_run_matches_the_ensemble_and_its_summary():
    result = simulator.run("baseline", runs=300, seed=11, set=SHORT)
    ens = run_ensemble(load_scenario(BASELINE, ["horizon_months=12"]), runs=300, seed=11)
    pd.testing.assert_frame_equal(result.runs, ens.outcomes)
    assert result.p_stays == pytest.approx(result.runs["china_stays"].mean())
    stays = result.summary["outcomes"]["china_stays"]
    assert stays["runs"] == 300 and stays["ci95"][0] <= result.p_stays <= stays["ci95"][1]
    assert set(result.bands["month"]) == set(range(13))
    assert f"{result.p_stays:.3f}" in repr(result)


def test_save_writes_the_folder_run_writes(tmp_path):
    cli = tmp_path / "cli"
    assert main(["run", str(BASELINE), "--runs", "200", "--seed", "5", "--set", "horizon_months=12",
                 "--out", str(cli), "--quiet"]) == 0
    result = simulator.run(BASELINE, runs=200, seed=5, set=["horizon_months=12"])
    api = result.save(tmp_path / "api")
    same_folder(api, cli)
    assert {"china_rung.png", "network.png", "report.html"} <= {p.name for p in api.iterdir()}
    manifest = json.loads((api / "manifest.json").read_text())
    assert manifest["command"] == (f"python run.py run {BASELINE} --runs 200 --seed 5 "
                                   f"--set horizon_months=12")
    # a non-empty folder needs force=True, as --out needs --force
    with pytest.raises(Exception, match="not empty"):
        result.save(api)
    assert result.save(api, force=True, charts=False) == api


def test_save_csv_and_cli_format_csv_write_the_same_runs(tmp_path):
    cli = tmp_path / "cli"
    assert main(["run", str(BASELINE), "--runs", "100", "--seed", "2", "--set", "horizon_months=12",
                 "--out", str(cli), "--quiet", "--no-charts", "--format", "csv"]) == 0
    api = simulator.run(BASELINE, runs=100, seed=2, set=SHORT).save(tmp_path / "api", charts=False, csv=True)
    a, b = pd.read_csv(api / "runs.csv"), pd.read_csv(cli / "runs.csv")
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, pd.read_parquet(cli / "runs.parquet"), check_dtype=False)


def test_overrides_as_dict_list_or_string_agree():
    by_dict = simulator.run("baseline", runs=200, seed=3, set={INTENSITY: 0.3, **SHORT})
    by_list = simulator.run("baseline", runs=200, seed=3, set=[f"{INTENSITY}=0.3", "horizon_months=12"])
    pd.testing.assert_frame_equal(by_dict.runs, by_list.runs)
    assert by_dict.scenario.params[INTENSITY].value == 0.3
    assert INTENSITY not in by_dict.runs and INTENSITY in simulator.run("baseline", runs=20, set=SHORT).runs


def test_dict_scenario_extends_a_bundled_one():
    data = {"name": "short_baseline", "extends": "baseline", "horizon_months": 12}
    mine = simulator.run(data, runs=200, seed=4)
    same = simulator.run("baseline", runs=200, seed=4, set=SHORT)
    assert mine.name == "short_baseline"
    pd.testing.assert_frame_equal(mine.runs, same.runs)
    assert "scenario given as a dict" in mine.command


def test_bundled_names_work_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert simulator.load("secondary_sanctions").file == str(SCENARIOS / "secondary_sanctions.yaml")
    assert simulator.load("baseline.yaml").name == "baseline"
    assert "baseline" in simulator.bundled() and len(simulator.bundled()) == len(list(SCENARIOS.glob("*.yaml")))


def test_relative_paths_resolve_from_the_calling_script(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "short.yaml").write_text(f"name: short\nextends: {BASELINE}\nhorizon_months: 6\nruns: 50\n")
    (project / "analysis.py").write_text(textwrap.dedent("""
        import simulator
        r = simulator.run("short.yaml", seed=1)
        print(r.name, r.scenario.scenario.horizon_months, len(r.runs))
    """))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, str(project / "analysis.py")], cwd=elsewhere, capture_output=True,
                          text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["short", "6", "50"]


def test_bad_input_raises_the_command_line_message(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError, match="no such scenario file.*bundled scenarios: aid_held, baseline"):
        simulator.run("nope")
    with pytest.raises(ScenarioError, match=r"^--set:1: policies\.secondary_sanctions\.intensity: "):
        simulator.run("baseline", set={INTENSITY: 3})
    with pytest.raises(ScenarioError, match=r"^<dict x>:1: runs: "):
        simulator.run({"name": "x", "extends": "baseline", "runs": 0})
    with pytest.raises(ScenarioError, match="extends: file not found"):
        simulator.run({"name": "x", "extends": "missing.yaml"})
    with pytest.raises(ValueError, match="runs must be a whole number of at least 1"):
        simulator.run("baseline", runs=0)
    with pytest.raises(TypeError, match="path, a bundled name or a dict"):
        simulator.run(42)
    assert list(tmp_path.iterdir()) == []          # nothing written


def test_plot_returns_figures_and_names_the_kinds():
    from matplotlib.figure import Figure
    result = simulator.run("baseline", runs=200, seed=1, set=SHORT)
    for kind in simulator.api.RUN_PLOTS:
        fig = result.plot(kind)
        assert isinstance(fig, Figure) and fig.axes, kind
        assert any("baseline" in t.get_text() for t in fig.texts), kind     # the footer names the scenario
    with pytest.raises(ValueError, match="china_rung, theatres"):
        result.plot("pie")


# ----------------------------------------------------------------------------- compare, sweep, explain

def test_compare_matches_the_command_and_saves_its_folder(tmp_path):
    cli = tmp_path / "cli"
    files = [str(BASELINE), str(SCENARIOS / "secondary_sanctions.yaml")]
    assert main(["compare", *files, "--runs", "200", "--seed", "9", "--set", "horizon_months=12",
                 "--out", str(cli), "--quiet", "--no-charts"]) == 0
    cmp = simulator.compare(["baseline", "secondary_sanctions"], runs=200, seed=9, set=SHORT)
    pd.testing.assert_frame_equal(cmp.table, pd.read_parquet(cli / "compare.parquet"))
    assert list(cmp.results) == ["baseline", "secondary_sanctions"]
    api = cmp.save(tmp_path / "api", charts=False)
    assert sorted(p.name for p in api.iterdir()) == sorted(p.name for p in cli.iterdir())
    same_folder(api / "secondary_sanctions", cli / "secondary_sanctions")
    for kind in simulator.api.COMPARE_PLOTS:
        assert cmp.plot(kind).axes
    with pytest.raises(ValueError, match="at least two"):
        simulator.compare(["baseline"])


def test_sweep_matches_the_command(tmp_path):
    cli = tmp_path / "cli"
    assert main(["sweep", str(BASELINE), "--param", f"{INTENSITY}=0:1:3", "--runs", "60", "--block", "30",
                 "--seed", "2", "--set", "horizon_months=12", "--out", str(cli), "--quiet", "--no-charts"]) == 0
    sw = simulator.sweep("baseline", {INTENSITY: (0, 1, 3)}, runs=60, block=30, seed=2, set=SHORT,
                         out=tmp_path / "api", charts=False)
    pd.testing.assert_frame_equal(sw.points, pd.read_parquet(cli / "points.parquet"))
    assert sw.params == [INTENSITY] and sw.folder == tmp_path / "api"
    assert sw.plot().axes
    with pytest.raises(ScenarioError, match="^--param:1: no_equals_sign: expected PATH=LOW:HIGH"):
        simulator.sweep("baseline", ["no_equals_sign"], runs=10)


def test_explain_matches_the_command(tmp_path, capsys):
    result = simulator.run("secondary_sanctions", runs=300, seed=1, set=SHORT)
    folder = result.save(tmp_path / "ss", charts=False)
    assert main(["explain", str(folder)]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    ex = simulator.explain(result)
    assert ex.text == printed
    assert ex.to_dict() == simulator.explain(folder).to_dict()
    assert ex.push.sum() == pytest.approx(ex.net)
    with pytest.raises(TypeError):
        simulator.explain(3)


# ----------------------------------------------------------------------------- light import, docs

def test_import_simulator_loads_no_heavy_library():
    code = ("import sys, simulator; heavy = {'pandas', 'numpy', 'matplotlib', 'mesa', 'simulator.api'}; "
            "print(sorted(heavy & set(sys.modules)))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr


def test_api_layer_is_imported_by_nobody_below():
    from .test_architecture import imports
    for path in (ROOT / "simulator").rglob("*.py"):
        if "api" in path.relative_to(ROOT / "simulator").parts:
            continue
        assert "api" not in set(imports(path)), path


def test_docs_api_md_examples_run():
    result = doctest.testfile(str(ROOT / "docs" / "api.md"), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 30 and result.failed == 0


@pytest.mark.slow
def test_quickstart_notebook_runs(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient
    nb = nbformat.read(ROOT / "docs" / "examples" / "quickstart.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 2      # each chart shown once
    assert any("<Result baseline: 1000 runs" in o.get("data", {}).get("text/plain", "") for o in outputs)


def test_batch_run_example_runs():
    proc = subprocess.run([sys.executable, str(ROOT / "docs" / "examples" / "batch_run.py"), "--runs", "12"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("mesa.batch_run: 12 runs, P(stays) ") and lines[1].startswith("simulator.run:  12 runs")
    assert "china_rung" in lines[2] and "seed" in lines[2]
