"""`main()` itself: --version, the last-resort internal error (exit 1, traceback only with
AXIS_SIM_DEBUG), Ctrl-C (exit 130, finished outputs kept)."""

import json
import os
import signal
import subprocess
import sys
import time
from importlib.metadata import version

import pytest

import simulator
import simulator.cli.main as cli_main
from simulator.cli.main import main

from .conftest import BASELINE, ROOT, run_cli


def test_version_is_the_installed_package_version():
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout == f"axis-sim {version('axis-sim')}\n"
    assert version("axis-sim") == simulator.__version__          # pyproject and the package agree


def _boom(*args, **kwargs):
    raise RuntimeError("disk on fire")


def test_an_internal_error_is_one_line_and_exit_1_without_a_traceback(monkeypatch, capsys):
    monkeypatch.delenv("AXIS_SIM_DEBUG", raising=False)
    monkeypatch.setattr(cli_main, "load_scenario", _boom)
    assert main(["validate", str(BASELINE)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == ["internal error: RuntimeError: disk on fire",
                                         "(set AXIS_SIM_DEBUG=1 for the traceback; please report it)"]


def test_axis_sim_debug_shows_the_traceback(monkeypatch, capsys):
    monkeypatch.setenv("AXIS_SIM_DEBUG", "1")
    monkeypatch.setattr(cli_main, "load_scenario", _boom)
    assert main(["validate", str(BASELINE)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "internal error: RuntimeError: disk on fire"
    assert err[1] == "Traceback (most recent call last):"
    assert err[-1] == "RuntimeError: disk on fire"
    assert any("in _boom" in line for line in err)               # the frame that raised
    assert not any("AXIS_SIM_DEBUG" in line for line in err)


def test_bad_input_is_not_an_internal_error(monkeypatch, capsys):
    monkeypatch.setenv("AXIS_SIM_DEBUG", "1")                     # no traceback even when debugging
    assert main(["validate", str(ROOT / "nowhere.yaml")]) == 2
    assert capsys.readouterr().err == f"{ROOT / 'nowhere.yaml'}:1: (top level): file not found\n"


@pytest.mark.slow
def test_ctrl_c_exits_130_and_keeps_finished_outputs(tmp_path):
    """Two scenarios: the first (50 runs) finishes, SIGINT arrives during the second (ten million
    runs, far more than can finish): exit 130, one line, the first folder complete."""
    for name, runs in (("first", 50), ("second", 10_000_000)):
        (tmp_path / f"{name}.yaml").write_text(f"name: {name}\nextends: {BASELINE}\nhorizon_months: 6\n"
                                               f"runs: {runs}\n", encoding="utf-8")
    out = tmp_path / "out"
    env = {**os.environ, "AXIS_SIM_DEBUG": ""}
    proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "run", str(tmp_path / "first.yaml"),
                             str(tmp_path / "second.yaml"), "--out", str(out), "--quiet", "--no-charts"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 120
        while not (out / "first" / "report.html").exists():            # the first scenario is done
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the first scenario did not finish in time"
            time.sleep(0.1)
        time.sleep(1.0)                                                 # well inside the second
        assert proc.poll() is None
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130
    assert stderr.splitlines() == ["interrupted; finished outputs are kept"]
    assert stdout == ""                                                 # no table for a half-done job
    summary = json.loads((out / "first" / "summary.json").read_text())
    assert summary["runs"] == 50 and summary["scenario"] == "first"
    assert not (out / "second" / "summary.json").exists()
