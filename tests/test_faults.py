"""Faults: a dead worker, a killed or terminated command, corrupt task files."""

import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from simulator.cli.main import main

from .conftest import BASELINE, ROOT

SWEEP = ["sweep", str(BASELINE), "--param", "theatres.coupling=0:1:24", "--runs", "400", "--block", "100",
         "--seed", "5", "--no-charts"]


def _start(argv, **kw):
    return subprocess.Popen([sys.executable, str(ROOT / "run.py"), *argv], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def _workers(pid):
    """The pool's worker processes: children of the fork server, itself a child of ``pid``."""
    out = []
    for child in psutil.Process(pid).children(recursive=True):
        try:
            if child.parent() is not None and child.parent().pid != pid:
                out.append(child)
        except psutil.NoSuchProcess:
            pass
    return out


def _wait_for(cond, timeout=60.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_a_killed_worker_is_replaced_and_the_sweep_completes_identically(tmp_path):
    undisturbed = tmp_path / "calm"
    assert main([*SWEEP, "--out", str(undisturbed)]) == 0
    out = tmp_path / "hit"
    proc = _start([*SWEEP, "--out", str(out), "--workers", "2"])
    try:
        assert _wait_for(lambda: len(list((out / "tasks").glob("p*.parquet"))) >= 3 if (out / "tasks").is_dir()
                         else False)
        victims = _workers(proc.pid)
        assert victims, "no worker process found"
        os.kill(victims[0].pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "a worker process died 1 time(s); the pool was restarted" in err, err
    assert not list((out / "tasks").glob("*.failed.json")), err
    assert (out / "points.parquet").read_bytes() == (undisturbed / "points.parquet").read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_no_child_outlives_the_command(tmp_path, sig):
    long = [a.replace("0:1:24", "0:1:400") for a in SWEEP]
    proc = _start([*long, "--out", str(tmp_path / "s"), "--workers", "2"], start_new_session=True)
    try:
        assert _wait_for(lambda: len(_workers(proc.pid)) == 2)
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 3
        os.kill(proc.pid, sig)
        proc.wait(timeout=30)
        if sig == signal.SIGTERM:
            assert proc.returncode == 130 and "interrupted" in proc.stderr.read()
        gone, alive = psutil.wait_procs(children, timeout=10)
        assert not alive, [p.cmdline()[:3] for p in alive]
    finally:
        proc.kill()
        proc.wait()


FAST = ["sweep", str(BASELINE), "--param", "theatres.coupling=0:1:3", "--runs", "60", "--block", "30",
        "--seed", "3", "--no-charts"]


@pytest.mark.parametrize("damage", ["truncate", "empty", "flip"])
def test_resume_sets_corrupt_task_files_aside_and_reruns_them(tmp_path, capsys, damage):
    out = tmp_path / "s"
    assert main([*FAST, "--out", str(out)]) == 0
    reference = (out / "points.parquet").read_bytes()
    victim = sorted((out / "tasks").glob("p*.parquet"))[2]
    data = victim.read_bytes()
    if damage == "truncate":
        victim.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        victim.write_bytes(b"")
    else:                                 # one bit in the middle of the file
        i = len(data) // 2
        victim.write_bytes(data[:i] + bytes([data[i] ^ 0x10]) + data[i + 1:])
    capsys.readouterr()
    assert main([*FAST, "--out", str(out), "--resume"]) == 0
    captured = capsys.readouterr()
    assert "failed their checksum" in captured.err and victim.name in captured.err
    assert "1 task run" in captured.out
    assert (out / "tasks" / f"{victim.name}.bad-1").exists()
    assert (out / "points.parquet").read_bytes() == reference


def test_a_good_aggregate_survives_a_failed_resume(tmp_path, capsys):
    out = tmp_path / "s"
    assert main([*FAST, "--out", str(out)]) == 0
    reference = (out / "points.parquet").read_bytes()
    assert main([*FAST, "--out", str(out), "--resume", "--runs", "61"]) == 2     # refused: another sweep
    assert (out / "points.parquet").read_bytes() == reference
    victim = sorted((out / "tasks").glob("p*.parquet"))[0]
    victim.write_bytes(b"")                           # damaged after the sweep finished
    assert main(["plot", str(out)]) == 0              # the aggregate is still the good one
    assert (out / "points.parquet").read_bytes() == reference


def test_resume_after_a_code_change_needs_allow_code_change(tmp_path, capsys):
    out = tmp_path / "s"
    assert main([*FAST, "--out", str(out)]) == 0
    for name in sorted((out / "tasks").glob("p*.parquet"))[:2]:
        name.unlink()
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["code"] = "0" * 16                          # the source digest of another version
    (out / "manifest.json").write_text(json.dumps(manifest))
    capsys.readouterr()
    assert main([*FAST, "--out", str(out), "--resume"]) == 2
    err = capsys.readouterr().err
    assert "the code changed since the sweep began" in err and "--allow-code-change" in err
    assert len(list((out / "tasks").glob("p*.parquet"))) == 4          # nothing ran
    assert main([*FAST, "--out", str(out), "--resume", "--allow-code-change"]) == 0
    assert "resumed with --allow-code-change" in capsys.readouterr().err
    assert len(list((out / "tasks").glob("p*.parquet"))) == 6
    assert json.loads((out / "manifest.json").read_text())["code_changed"] is True



def test_a_peer_that_is_not_a_dask_scheduler_fails_in_time(tmp_path, capsys):
    import socket
    import threading
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held = []

    def accept():
        while True:
            try:
                held.append(server.accept()[0])       # accept, then say nothing
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    out = tmp_path / "s"
    try:
        t0 = time.perf_counter()
        code = main([*FAST, "--out", str(out), f"--dask={address}", "--dask-timeout", "2"])
        elapsed = time.perf_counter() - t0
    finally:
        server.close()
        for conn in held:
            conn.close()
    err = capsys.readouterr().err.strip()
    assert code == 2 and address in err and "within 2 s" in err
    assert elapsed < 15
    assert not out.exists()                            # the store is not created before the executor is up


def test_dask_timeout_must_be_positive(tmp_path, capsys):
    assert main([*FAST, "--out", str(tmp_path / "s"), "--dask-timeout", "0"]) == 2
    assert "--dask-timeout" in capsys.readouterr().err


def test_a_task_that_kills_its_worker_again_after_the_restart_is_recorded_failed_and_the_sweep_finishes(
        tmp_path, capsys):
    """One task kills the worker process that runs it, every time.  The pool is restarted, the tasks
    in flight run again (the suspects one at a time), the task kills its worker a second time and is
    recorded failed; every other task -- including those that shared the pool with it -- finishes,
    with the numbers of an undisturbed sweep, and the command exits 1 naming the task.

    The workers fork from a fresh interpreter (so that they see the patched task function): forking
    this test process, which earlier tests may have left with threads (Dask's event loop), can
    deadlock the child."""
    import pandas as pd

    argv = ["sweep", str(BASELINE), "--param", "theatres.coupling=0:1:5", "--runs", "120", "--block", "40",
            "--seed", "5", "--no-charts", "--set", "horizon_months=12"]
    calm = tmp_path / "calm"
    assert main([*argv, "--out", str(calm), "--quiet"]) == 0
    capsys.readouterr()

    out = tmp_path / "hit"
    script = tmp_path / "deadly_sweep.py"
    script.write_text(f"""
import multiprocessing, os, sys
sys.path.insert(0, {str(ROOT)!r})
from simulator.cli.main import main
from simulator.experiment import executors

class ForkedPool(executors.ProcessExecutor):     # workers fork from this process: they see the patch
    def _context(self):
        return multiprocessing.get_context("fork")

original = executors.execute

def deadly(ctx, task):
    if (task.point, task.block) == (2, 1):
        os._exit(3)                               # the worker dies, as under SIGKILL or the OOM killer
    return original(ctx, task)

executors.execute = deadly
executors.make_executor = lambda workers=1, dask=None, **kw: ForkedPool(workers)
sys.exit(main({[*argv, "--out", str(out), "--workers", "2"]!r}))
""", encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 1, proc.stderr
    err = proc.stderr
    assert "1 of 15 tasks failed (points 2)" in err and "died twice" in err, err
    assert "a worker process died 2 time(s)" in err, err
    failures = [json.loads(line) for line in (out / "failures.jsonl").read_text().splitlines()]
    assert [(f["point"], f["block"]) for f in failures] == [(2, 1)]
    assert len(list((out / "tasks").glob("p*.parquet"))) == 14
    hit, ref = pd.read_parquet(out / "points.parquet"), pd.read_parquet(calm / "points.parquet")
    assert hit["complete"].tolist() == [True, True, False, True, True]
    others = hit["point"] != 2
    pd.testing.assert_frame_equal(hit[others].drop(columns="complete"), ref[others].drop(columns="complete"))
    assert hit.loc[2, "runs"] == 80 and ref.loc[2, "runs"] == 120
