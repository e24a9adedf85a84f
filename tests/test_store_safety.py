"""--force removes only what this program wrote; a lock keeps a second writer out; an
interrupted folder says so and plot/report refuse it."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from simulator.cli.main import main
from simulator.experiment.store import LOCK, MARKER, read_marker

from .conftest import BASELINE, ROOT, SCENARIOS

QUIET = ["--quiet"]


def cli(capsys, *argv):
    code = main([*map(str, argv)])
    return code, capsys.readouterr().err.strip()


def test_sweep_force_refuses_a_folder_it_did_not_write(tmp_path, capsys):
    out = tmp_path / "d"
    (out / "tasks").mkdir(parents=True)
    (out / "manifest.json").write_text("{}")
    (out / "tasks" / "thesis.txt").write_text("keep")
    code, err = cli(capsys, "sweep", BASELINE, "--param", "theatres.coupling=0:1:2", "--runs", 10,
                    "--out", out, "--force", *QUIET)
    assert code == 2 and "not written by axis-sim" in err and "nothing was removed" in err
    assert (out / "tasks" / "thesis.txt").read_text() == "keep"
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "tasks"]


def test_run_force_refuses_a_user_folder(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "report.md").write_text("my report")
    code, err = cli(capsys, "run", BASELINE, "--runs", 20, "--out", out, "--force", *QUIET)
    assert code == 2 and "not written by axis-sim" in err
    assert (out / "report.md").read_text() == "my report"


def test_run_force_clears_its_old_files_and_keeps_others(tmp_path, capsys):
    out = tmp_path / "r"
    assert cli(capsys, "run", BASELINE, "--runs", 30, "--out", out, *QUIET)[0] == 0
    assert (out / "china_rung.png").exists()
    marker = read_marker(out)
    assert marker["kind"] == "run" and marker["complete"] is True
    assert {"china_rung.png", "report.md", "runs.parquet"} <= set(marker["files"])
    (out / "notes.txt").write_text("mine")
    korea = SCENARIOS / "korea_2017.yaml"
    assert cli(capsys, "run", korea, "--runs", 30, "--out", out, "--force", "--no-charts", *QUIET)[0] == 0
    assert not list(out.glob("*.png")) and not list(out.glob("*.svg"))
    assert ".png" not in (out / "report.md").read_text()
    assert json.loads((out / "summary.json").read_text())["scenario"] == "korea_2017"
    assert (out / "notes.txt").read_text() == "mine"
    assert "notes.txt" not in read_marker(out)["files"]


def test_force_does_not_replace_another_kind(tmp_path, capsys):
    out = tmp_path / "s"
    assert cli(capsys, "sweep", BASELINE, "--param", "theatres.coupling=0:1:2", "--runs", 10, "--out", out,
               "--no-charts", *QUIET)[0] == 0
    before = sorted(p.name for p in out.iterdir())
    code, err = cli(capsys, "run", BASELINE, "--runs", 10, "--out", out, "--force", *QUIET)
    assert code == 2 and "holds a sweep folder, not a run folder" in err
    assert sorted(p.name for p in out.iterdir()) == before
    # a sweep over it with --force removes the sweep's files (tasks included) and keeps a user's
    (out / "tasks" / "mine.txt").write_text("keep")
    assert cli(capsys, "sweep", BASELINE, "--param", "theatres.coupling=0:1:3", "--runs", 10, "--out", out,
               "--no-charts", "--force", *QUIET)[0] == 0
    assert (out / "tasks" / "mine.txt").read_text() == "keep"
    assert len(list((out / "tasks").glob("p*.parquet"))) == 3


def test_a_forged_file_list_cannot_reach_outside(tmp_path, capsys):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    out = tmp_path / "r"
    out.mkdir()
    (out / MARKER).write_text(json.dumps({"program": "axis-sim", "kind": "run", "complete": True,
                                          "files": ["../outside.txt", str(outside), "..", "."],
                                          "dirs": ["..", "../r"]}))
    assert cli(capsys, "run", BASELINE, "--runs", 10, "--out", out, "--force", "--no-charts", *QUIET)[0] == 0
    assert outside.read_text() == "keep"


def _hold_lock(folder):
    code = ("import sys, time; from simulator.experiment.store import lock_folder; "
            f"lock_folder(__import__('pathlib').Path({str(folder)!r})); print('held', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_second_writer_is_refused_and_told_who_holds_the_store(tmp_path, capsys):
    out = tmp_path / "s"
    args = ["sweep", BASELINE, "--param", "theatres.coupling=0:1:2", "--runs", 10, "--out", out, "--no-charts",
            *QUIET]
    assert cli(capsys, *args)[0] == 0
    proc = _hold_lock(out)
    try:
        before = {p.name: p.stat().st_mtime_ns for p in (out / "tasks").iterdir()}
        for extra in (["--force"], ["--resume"]):
            code, err = cli(capsys, *args, *extra)
            assert code == 2 and f"pid {proc.pid}" in err and "in use by another axis-sim process" in err
        code, err = cli(capsys, "run", BASELINE, "--runs", 10, "--out", out, "--force", *QUIET)
        assert code == 2
        assert {p.name: p.stat().st_mtime_ns for p in (out / "tasks").iterdir()} == before
    finally:
        proc.kill()
        proc.wait()
    assert cli(capsys, *args, "--resume")[0] == 0        # the lock goes with its holder


def test_interrupted_run_is_marked_incomplete_and_refused(tmp_path, capsys):
    out = tmp_path / "r"
    proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "run", str(BASELINE), "--runs", "400000",
                             "--out", str(out), "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while read_marker(out) is None and time.time() < deadline:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert read_marker(out)["complete"] is False
    for command in ("plot", "report"):
        code, err = cli(capsys, command, out)
        assert code == 2 and "is incomplete" in err and "--force" in err
    assert not (out / "report.md").exists()
    assert cli(capsys, "run", BASELINE, "--runs", 20, "--out", out, "--force", "--no-charts", *QUIET)[0] == 0
    assert read_marker(out)["complete"] is True
    assert cli(capsys, "report", out)[0] == 0


def test_interrupted_sweep_is_refused_by_plot(tmp_path, capsys):
    out = tmp_path / "s"
    args = ["sweep", BASELINE, "--param", "theatres.coupling=0:1:2", "--runs", 10, "--out", out, "--no-charts",
            *QUIET]
    assert cli(capsys, *args)[0] == 0
    marker = read_marker(out)
    marker["complete"] = False                    # as a killed sweep leaves it
    (out / MARKER).write_text(json.dumps(marker))
    code, err = cli(capsys, "plot", out)
    assert code == 2 and "incomplete" in err and "--resume" in err
    assert cli(capsys, *args, "--resume")[0] == 0
    assert cli(capsys, "plot", out)[0] == 0


def _run_folder(tmp_path, capsys, name="r"):
    out = tmp_path / name
    assert cli(capsys, "run", BASELINE, "--runs", 200, "--set", "horizon_months=12", "--out", out, "--no-charts",
               *QUIET)[0] == 0
    return out


def test_explain_discover_report_and_plot_are_refused_while_a_writer_holds_the_folder(tmp_path, capsys):
    """explain, discover and report hold the folder's lock as writers do: while another process
    writes it (here: holds its lock), each is refused, names the holder and writes nothing."""
    out = _run_folder(tmp_path, capsys)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name != LOCK}
    proc = _hold_lock(out)
    try:
        for argv in (["explain", out], ["explain", out, "--agent", "europe"],
                     ["discover", out, "--target", "china_stays == 0"], ["report", out], ["plot", out]):
            code, err = cli(capsys, *argv)
            assert code == 2 and f"pid {proc.pid}" in err and "in use by another axis-sim process" in err, argv
            assert err.count("\n") == 0
    finally:
        proc.kill()
        proc.wait()
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name != LOCK} == before
    assert cli(capsys, "explain", out)[0] == 0 and (out / "explain.json").exists()


@pytest.mark.parametrize("command", ["explain", "discover"])
def test_a_force_writer_is_refused_while_explain_or_discover_works(tmp_path, capsys, monkeypatch, command):
    """A `run --force` (or `compare --force` on the compare folder around it) started while explain or
    discover reads a folder is refused with exit 2 naming the reader, and the folder stays whole."""
    from simulator.analysis import discovery, explain
    out = _run_folder(tmp_path, capsys)
    runs_before = (out / "runs.parquet").read_bytes()
    seen = {}
    module, name = (explain, "explain_folder") if command == "explain" else (discovery, "discover_folder")
    original = getattr(module, name)

    def reading(folder, *args, **kwargs):          # another process tries to overwrite the folder now
        seen["writer"] = subprocess.run(
            [sys.executable, str(ROOT / "run.py"), "run", str(BASELINE), "--runs", "10", "--out", str(out),
             "--force", "--quiet", "--no-charts"], cwd=ROOT, capture_output=True, text=True, timeout=120)
        return original(folder, *args, **kwargs)

    monkeypatch.setattr(module, name, reading)
    argv = [command, out] + (["--target", "china_stays == 0"] if command == "discover" else [])
    assert cli(capsys, *argv)[0] == 0
    writer = seen["writer"]
    assert writer.returncode == 2, writer.stderr
    assert f"pid {os.getpid()}" in writer.stderr and "in use by another axis-sim process" in writer.stderr
    assert (out / "runs.parquet").read_bytes() == runs_before
    assert (out / ("explain.json" if command == "explain" else "discovery.json")).exists()


def test_explain_on_a_compare_member_holds_the_compare_folder(tmp_path, capsys, monkeypatch):
    from simulator.analysis import explain
    out = tmp_path / "c"
    assert cli(capsys, "compare", BASELINE, SCENARIOS / "secondary_sanctions.yaml", "--runs", 100, "--set",
               "horizon_months=12", "--out", out, "--no-charts", *QUIET)[0] == 0
    member = next(p for p in sorted(out.iterdir()) if p.is_dir())
    seen = {}
    original = explain.explain_folder

    def reading(folder, *args, **kwargs):
        seen["writer"] = subprocess.run(
            [sys.executable, str(ROOT / "run.py"), "compare", str(BASELINE), str(SCENARIOS / "hadley_strategy.yaml"),
             "--runs", "10", "--out", str(out), "--force", "--quiet", "--no-charts"], cwd=ROOT,
            capture_output=True, text=True, timeout=120)
        return original(folder, *args, **kwargs)

    monkeypatch.setattr(explain, "explain_folder", reading)
    assert cli(capsys, "explain", member)[0] == 0
    assert seen["writer"].returncode == 2 and f"pid {os.getpid()}" in seen["writer"].stderr


def test_explain_refuses_an_incomplete_folder(tmp_path, capsys):
    out = _run_folder(tmp_path, capsys)
    marker = read_marker(out)
    marker["complete"] = False                    # as a killed run leaves it
    (out / MARKER).write_text(json.dumps(marker))
    for argv in (["explain", out], ["discover", out, "--target", "china_stays == 0"]):
        code, err = cli(capsys, *argv)
        assert code == 2 and "is incomplete" in err and "--force" in err
    assert not (out / "explain.json").exists() and not (out / "discovery.json").exists()
