"""`run.py run`, `validate`, `schema`: outputs, contracts, exit codes."""

import json

import pandas as pd
import pytest

from simulator.cli.main import main
from simulator.scenario import load_scenario

from .conftest import BASELINE, SCENARIOS, run_cli


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "base"
    code = main(["run", str(BASELINE), "--runs", "300", "--seed", "5", "--out", str(out), "--quiet"])
    assert code == 0
    return out


def test_run_writes_every_output(run_dir):
    import xml.etree.ElementTree as ET

    import matplotlib.image as mpimg

    from simulator.model.decisions import N_RUNGS, TERMS
    from simulator.scenario import load_scenario
    manifest = json.loads((run_dir / "manifest.json").read_text())
    # the resolved scenario is complete: loading it alone gives the same scenario, hash and parameters
    again = load_scenario(run_dir / "scenario.resolved.yaml")
    original = load_scenario(BASELINE)
    assert again.digest() == original.digest() == manifest["scenario_hash"]
    assert again.params == original.params
    assert json.loads((run_dir / "summary.json").read_text())["runs"] == 300
    assert len(pd.read_parquet(run_dir / "runs.parquet")) == 300
    assert set(pd.read_parquet(run_dir / "bands.parquet")["month"]) == set(range(37))
    terms = pd.read_parquet(run_dir / "terms.parquet")
    assert set(terms["month"]) == set(range(1, 37)) and set(terms["term"]) == set(TERMS)
    assert set(terms["rung"]) == set(range(-1, N_RUNGS)) and len(terms) == 36 * len(TERMS) * (N_RUNGS + 1)
    for chart in ("china_rung", "theatres"):
        height, width, _ = mpimg.imread(run_dir / f"{chart}.png").shape
        assert height > 300 and width > 300, chart
        assert ET.parse(run_dir / f"{chart}.svg").getroot().tag == "{http://www.w3.org/2000/svg}svg", chart


def test_summary_json_contract(run_dir):
    s = json.loads((run_dir / "summary.json").read_text())
    assert s["runs"] == 300 and s["seed"] == 5
    stays = s["outcomes"]["china_stays"]
    lo, hi = stays["ci95"]
    assert 0 <= lo <= stays["probability"] <= hi <= 1
    assert 0 <= s["outcomes"]["china_weapons"]["probability"] <= 1
    runs = pd.read_parquet(run_dir / "runs.parquet")
    assert stays["probability"] == pytest.approx(runs["china_stays"].mean())
    assert abs(sum(s["outcomes"]["china_rung"]["distribution"].values()) - 1) < 1e-9


def test_runs_parquet_has_outcomes_and_drawn_parameters(run_dir):
    runs = pd.read_parquet(run_dir / "runs.parquet")
    assert len(runs) == 300 and runs["replicate"].tolist() == list(range(300))
    assert {"china_stays", "china_weapons", "china_rung", "front", "china_cost"} <= set(runs.columns)
    assert "states.china.sanction_exposure" in runs.columns
    assert runs["states.china.sanction_exposure"].between(0.65, 0.85).all()


def test_bands_have_quantiles_per_month(run_dir):
    bands = pd.read_parquet(run_dir / "bands.parquet")
    rung = bands[bands["series"] == "china_rung"].sort_values("month")
    assert rung["month"].tolist() == list(range(37))
    assert (rung["p10"] <= rung["p50"]).all() and (rung["p50"] <= rung["p90"]).all()
    assert rung["p50"].iloc[0] == load_scenario(BASELINE).scenario.states["china"].support["russia"]


def test_manifest_records_provenance(run_dir):
    m = json.loads((run_dir / "manifest.json").read_text())
    assert m["seed"] == 5 and m["runs"] == 300 and m["scenario"] == "baseline"
    assert {"mesa", "numpy", "pandas", "python", "axis-sim"} <= set(m["versions"])
    assert m["git"] and m["time"] and "command" in m and len(m["scenario_hash"]) == 16


def test_non_empty_output_is_not_overwritten_without_force(run_dir, capsys):
    before = (run_dir / "summary.json").read_text()
    code = main(["run", str(BASELINE), "--runs", "10", "--out", str(run_dir), "--quiet"])
    assert code == 2 and "--force" in capsys.readouterr().err
    assert (run_dir / "summary.json").read_text() == before


def test_same_seed_same_summary_numbers(tmp_path, run_dir):
    out = tmp_path / "again"
    assert main(["run", str(BASELINE), "--runs", "300", "--seed", "5", "--out", str(out), "--quiet",
                 "--no-charts"]) == 0
    a = json.loads((run_dir / "summary.json").read_text())["outcomes"]
    b = json.loads((out / "summary.json").read_text())["outcomes"]
    assert a == b
    pd.testing.assert_frame_equal(pd.read_parquet(run_dir / "runs.parquet"), pd.read_parquet(out / "runs.parquet"))


def test_several_scenarios_get_subfolders_and_a_table(tmp_path, capsys):
    files = [SCENARIOS / "baseline.yaml", SCENARIOS / "secondary_sanctions.yaml"]
    assert main(["run", *map(str, files), "--runs", "100", "--out", str(tmp_path), "--quiet", "--no-charts"]) == 0
    out = capsys.readouterr().out
    assert "P(stays) [95% MC CI]" in out and "P(stays) over params 10-90%" in out and "secondary_sanctions" in out
    assert (tmp_path / "baseline" / "summary.json").exists()
    assert (tmp_path / "secondary_sanctions" / "summary.json").exists()


def test_set_and_fixed(tmp_path):
    out = tmp_path / "o"
    assert main(["run", str(BASELINE), "--runs", "50", "--out", str(out), "--quiet", "--no-charts", "--fixed",
                 "--set", "policies.secondary_sanctions.intensity=0.9"]) == 0
    runs = pd.read_parquet(out / "runs.parquet")
    assert not any(c.startswith("states.") for c in runs.columns)       # nothing drawn under --fixed
    resolved = (out / "scenario.resolved.yaml").read_text()
    assert "value: 0.9" in resolved and "override (--set)" in resolved


def test_high_sanctions_override_lowers_stay_probability(tmp_path):
    """`--set` on a policy's level sets its November 2024 level; with the coalition's sanctions
    committed (fixed: the US's level, Europe and Japan applying it in full), as a scenario commits
    a policy, the higher level is the level in force."""
    committed = tmp_path / "committed.yaml"
    committed.write_text(f"name: committed\nextends: {BASELINE}\npolicies:\n  control:\n"
                         "    united_states.sanctions: {mode: fixed}\n    europe.sanctions: {mode: fixed}\n"
                         "    japan.sanctions: {mode: fixed}\n", encoding="utf-8")

    def stays(extra):
        out = tmp_path / str(len(extra))
        assert main(["run", str(committed), "--runs", "400", "--out", str(out), "--quiet", "--no-charts",
                     *extra]) == 0
        return json.loads((out / "summary.json").read_text())["outcomes"]["china_stays"]["probability"]
    assert stays(["--set", "policies.secondary_sanctions.intensity=0.9"]) < stays([]) - 0.2


def test_schema_is_json_schema(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["type"] == "object" and "states" in schema["properties"]
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("cmd", [[], ["run"], ["validate"], ["schema"]])
def test_help(cmd):
    proc = run_cli(*cmd, "--help")
    assert proc.returncode == 0 and "usage:" in proc.stdout


def test_bad_flag_exit_2():
    proc = run_cli("run", str(BASELINE), "--runs", "zero")
    assert proc.returncode == 2 and "invalid int value" in proc.stderr and "Traceback" not in proc.stderr


def test_zero_runs_refused(capsys):
    assert main(["run", str(BASELINE), "--runs", "0", "--quiet"]) == 2
    assert "--runs must be at least 1, got 0" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("quiet", [False, True])
def test_progress_bar_only_on_a_terminal_and_not_with_quiet(tmp_path, quiet):
    import shlex
    import shutil
    import subprocess
    import sys
    from .conftest import ROOT, need
    need(shutil.which("script") is not None, "util-linux `script` (to give the command a terminal)")
    cmd = [sys.executable, str(ROOT / "run.py"), "run", str(BASELINE), "--runs", "30000", "--no-charts",
           "--out", str(tmp_path / "o"), *(["--quiet"] if quiet else [])]
    # `script` gives the command a terminal (of size 0x0: set a width so the bar has room)
    on_tty = subprocess.run(["script", "-qec", "stty cols 120 rows 40; " + shlex.join(cmd), "/dev/null"],
                            capture_output=True, text=True, timeout=300)
    assert on_tty.returncode == 0
    assert ("run/s" in on_tty.stdout) is (not quiet)          # tqdm's rate, drawn on the terminal
    piped = run_cli("run", BASELINE, "--runs", "30000", "--no-charts", "--out", tmp_path / "p")
    assert piped.returncode == 0 and "run/s" not in piped.stderr   # not a terminal: no bar


def test_two_scenarios_with_one_name_are_refused_before_running(tmp_path, write_yaml, capsys):
    twin = write_yaml(f"name: baseline\nextends: {SCENARIOS / 'secondary_sanctions.yaml'}\n", "twin.yaml")
    code = main(["run", str(BASELINE), str(twin), "--runs", "10", "--out", str(tmp_path / "o"), "--quiet"])
    assert code == 2 and "share the name 'baseline'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("out,fragment", [("/dev/null/x", "cannot create the folder"), ("", "--out is empty")])
def test_an_output_folder_that_cannot_be_made_is_bad_input(out, fragment, capsys):
    code = main(["run", str(BASELINE), "--runs", "10", "--out", out, "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and fragment in err and "\n" not in err


def test_output_files_get_the_usual_permissions(run_dir):
    import os
    import stat
    mask = os.umask(0)
    os.umask(mask)
    for name in ("summary.json", "manifest.json", "runs.parquet", "scenario.resolved.yaml", "report.md"):
        mode = stat.S_IMODE((run_dir / name).stat().st_mode)
        assert mode == 0o666 & ~mask, (name, oct(mode))


def test_argparse_errors_are_one_line():
    proc = run_cli("run", str(BASELINE), "--runz", "5")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["run.py: error: unrecognized arguments: --runz 5 (see run.py --help)"]


@pytest.mark.slow
def test_run_workers_reach_the_ensemble_and_change_nothing(tmp_path, monkeypatch):
    """`run --workers 2` runs the ensemble on two processes and writes the same numbers as one."""
    import simulator.experiment.ensemble as ensemble        # run_cmd imports it when the command runs
    real, calls = ensemble.run_ensemble, []

    def spy(*args, **kwargs):
        calls.append(kwargs["workers"])
        return real(*args, **kwargs)

    monkeypatch.setattr(ensemble, "run_ensemble", spy)
    common = [str(BASELINE), "--runs", "300", "--seed", "5", "--quiet", "--no-charts", "--set", "horizon_months=12"]
    assert main(["run", *common, "--out", str(tmp_path / "one")]) == 0
    assert main(["run", *common, "--out", str(tmp_path / "two"), "--workers", "2"]) == 0
    assert calls == [1, 2]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "one" / "runs.parquet"),
                                  pd.read_parquet(tmp_path / "two" / "runs.parquet"), check_exact=True)
    for name in ("bands.parquet", "terms.parquet", "links.parquet"):   # sums in a fixed order: identical
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "one" / name),
                                      pd.read_parquet(tmp_path / "two" / name), check_exact=True)
    one, two = (json.loads((tmp_path / d / "summary.json").read_text()) for d in ("one", "two"))
    assert one["outcomes"] == two["outcomes"]


def test_run_workers_below_one_is_refused(tmp_path, capsys):
    assert main(["run", str(BASELINE), "--workers", "0", "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert capsys.readouterr().err == "error: --workers must be at least 1, got 0\n"
    assert not (tmp_path / "o").exists()
