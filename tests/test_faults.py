"""Faults: a dead worker, a killed or terminated command, corrupt task files."""

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
         "--seed", "5", "--no-charts", "--quiet"]


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
    assert not list((out / "tasks").glob("*.failed.json"))
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
