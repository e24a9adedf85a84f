"""``run.py sweep``: executors give identical results, a killed sweep resumes bit for bit,
failing points are recorded while the rest complete, bad input exits 2."""

import gc
import json
import math
import os
import random
import shlex
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from simulator.analysis.summary import wilson
from simulator.analysis.sweep_points import points_table
from simulator.cli.main import main
from simulator.experiment.designs import ParamRange
from simulator.experiment.sweep import SweepSpec, execute, plan_sweep, resolve_point, run_sweep
from simulator.model.model import AxisModel
from simulator.scenario import load_scenario

from .conftest import BASELINE, ROOT, run_cli

INTENSITY = "policies.secondary_sanctions.intensity"
CREDIBILITY = "policies.secondary_sanctions.credibility"
EUROPE = "states.china.dependency.europe"
SHORT = ["--set", "horizon_months=12"]
QUIET = ["--quiet", "--no-charts"]


def sweep(out, *args):
    """Run the sweep command in this process; return its exit status."""
    return main(["sweep", str(BASELINE), *SHORT, "--out", str(out), *map(str, args)])


def grid_args(runs=150, block=50):
    return ["--param", f"{INTENSITY}=0.2:1:3", "--param", f"{CREDIBILITY}=0.2:0.8:2",
            "--runs", runs, "--block", block, "--seed", 42]


def task_files(out):
    return sorted(p.name for p in (out / "tasks").glob("*.parquet"))


def same_bytes(a, b):
    return a.read_bytes() == b.read_bytes()


# ----------------------------------------------------------------------------- executors

@pytest.mark.slow
def test_points_identical_for_one_and_two_workers_and_dask(tmp_path):
    from dask.distributed import LocalCluster

    outs = {name: tmp_path / name for name in ("w1", "w2", "dask", "scheduler")}
    assert sweep(outs["w1"], *grid_args(), "--workers", 1, *QUIET) == 0
    assert sweep(outs["w2"], *grid_args(), "--workers", 2, *QUIET) == 0
    assert sweep(outs["dask"], *grid_args(), "--workers", 2, "--dask", *QUIET) == 0   # LocalCluster, 127.0.0.1
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:                          # an existing scheduler
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        assert sweep(outs["scheduler"], *grid_args(), f"--dask={cluster.scheduler_address}", *QUIET) == 0
    ref = pd.read_parquet(outs["w1"] / "points.parquet")
    assert len(ref) == 6 and (ref["runs"] == 150).all() and ref["complete"].all()
    for name in ("w2", "dask", "scheduler"):
        assert same_bytes(outs["w1"] / "points.parquet", outs[name] / "points.parquet"), name
        assert task_files(outs[name]) == task_files(outs["w1"])
        for f in task_files(outs["w1"]):
            pd.testing.assert_frame_equal(pd.read_parquet(outs["w1"] / "tasks" / f),
                                          pd.read_parquet(outs[name] / "tasks" / f), check_exact=True)
    manifests = [json.loads((o / "manifest.json").read_text())["executor"] for o in outs.values()]
    assert manifests[0] == "in-process" and "2 workers" in manifests[1] and "LocalCluster" in manifests[2]
    assert manifests[3] == f"dask scheduler {cluster.scheduler_address}"


def test_task_order_does_not_change_results(tmp_path):
    resolved = load_scenario(BASELINE, ["horizon_months=12"])
    spec = SweepSpec(params=[ParamRange(INTENSITY, 0.2, 1.0, 3)], runs=120, seed=9, block=40)
    plan = plan_sweep(resolved, spec)
    a = points_table(run_sweep(plan, tmp_path / "a"))
    shuffled = plan_sweep(resolved, spec)
    random.Random(1).shuffle(shuffled.tasks)
    assert [t.name for t in shuffled.tasks] != [t.name for t in plan.tasks]
    b = points_table(run_sweep(shuffled, tmp_path / "b"))
    pd.testing.assert_frame_equal(a, b, check_exact=True)


# ----------------------------------------------------------------------------- statistics

def test_points_match_the_replicates_they_summarise(tmp_path):
    resolved = load_scenario(BASELINE, ["horizon_months=12"])
    spec = SweepSpec(params=[ParamRange(INTENSITY, 0.3, 0.9, 2)], runs=250, seed=4, block=100)
    plan = plan_sweep(resolved, spec)
    result = run_sweep(plan, tmp_path / "s")
    points = points_table(result)
    assert list(points["point"]) == [0, 1] and list(points["runs"]) == [250, 250]
    for point in (0, 1):
        tasks = [t for t in plan.tasks if t.point == point]
        assert [t.replicates for t in tasks] == [100, 100, 50]
        outs = []
        for t in tasks:   # the same model runs, by hand, with the tasks' seeds
            m = AxisModel(resolve_point(plan.context(), t.values), replicates=t.replicates, seed=t.seed,
                          offset=t.offset, series_limit=0, collect=False).run()
            outs.append(m.outcomes())
        stays = np.concatenate([o["china_stays"] for o in outs])
        cohesion = np.concatenate([o["axis_cohesion"] for o in outs])
        rung = np.concatenate([o["china_rung"] for o in outs])
        row = points.iloc[point]
        assert row[INTENSITY] == [0.3, 0.9][point]
        assert row["p_stays"] == stays.sum() / 250
        assert (row["p_stays_ci95_low"], row["p_stays_ci95_high"]) == wilson(float(stays.sum()), 250)
        assert row["axis_cohesion_mean"] == pytest.approx(cohesion.mean(), rel=1e-12)
        assert row["axis_cohesion_sd"] == pytest.approx(cohesion.std(ddof=1), rel=1e-9)
        assert row["china_rung_share_2"] == np.count_nonzero(rung == 2) / 250
    # the swept value is fixed in every replicate of its point
    assert resolve_point(plan.context(), plan.tasks[0].values).params[INTENSITY].range is None
    # P(stays) falls as sanctions intensify (the question the sweep answers)
    assert points["p_stays"].iloc[1] < points["p_stays"].iloc[0]
    # tasks stream aggregates: one row per task file, never per-replicate data
    for f in task_files(tmp_path / "s"):
        assert len(pd.read_parquet(tmp_path / "s" / "tasks" / f)) == 1


def test_tasks_do_not_keep_models_alive():
    """A worker runs thousands of tasks: none may keep its model (mesa 3.3 would, through
    Agent._ids), or memory grows with the number of runs."""
    resolved = load_scenario(BASELINE, ["horizon_months=2"])
    plan = plan_sweep(resolved, SweepSpec(params=[ParamRange(INTENSITY, 0, 1, 10)], runs=20, seed=1, block=10))

    def alive():
        gc.collect()
        return sum(issubclass(type(o), AxisModel) for o in gc.get_objects())   # type(): dead weak proxies raise

    before = alive()
    for task in plan.tasks:
        assert execute(plan.context(), task).error is None
    assert len(plan.tasks) == 20 and alive() == before


# ----------------------------------------------------------------------------- resume

@pytest.mark.slow
def test_kill_9_then_resume_equals_uninterrupted_run(tmp_path):
    args = ["--param", f"{INTENSITY}=0:1:15", "--param", f"{CREDIBILITY}=0.2:0.8:2",
            "--runs", 200, "--block", 100, "--seed", 3]
    killed = tmp_path / "killed"
    cmd = [sys.executable, str(ROOT / "run.py"), "sweep", str(BASELINE), *SHORT, "--out", str(killed),
           *map(str, args), "--workers", "2", "--quiet", "--no-charts"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.time() + 120
    try:
        while len(list((killed / "tasks").glob("*.parquet"))) < 4:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.time() < deadline, "no task finished in time"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)      # kill -9 the sweep and its workers
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    done = task_files(killed)
    assert 4 <= len(done) < 60 and not (killed / "points.parquet").exists()

    assert sweep(killed, *args, "--resume", *QUIET) == 0
    full = tmp_path / "full"
    assert sweep(full, *args, *QUIET) == 0
    assert same_bytes(killed / "points.parquet", full / "points.parquet")
    assert task_files(killed) == task_files(full) and len(task_files(full)) == 60
    assert not list((killed / "tasks").glob(".*.tmp"))
    history = json.loads((killed / "manifest.json").read_text())["history"]
    assert [h["resume"] for h in history] == [False, True]


def test_resume_runs_only_missing_tasks(tmp_path, capsys):
    out = tmp_path / "s"
    assert sweep(out, *grid_args(), *QUIET) == 0
    reference = (out / "points.parquet").read_bytes()
    names = task_files(out)
    for name in names[::2]:
        (out / "tasks" / name).unlink()
    (out / "tasks" / ".p0000000-b00000.parquet.abc.tmp").write_bytes(b"half-written")
    kept = {n: (out / "tasks" / n).stat().st_mtime_ns for n in names[1::2]}
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["git"] = "0123456789ab"                       # as if the code had changed since
    (out / "manifest.json").write_text(json.dumps(manifest))
    capsys.readouterr()
    assert sweep(out, *grid_args(), "--resume", "--no-charts") == 0
    captured = capsys.readouterr()
    text = captured.out
    assert "note: the stored tasks were computed at git 0123456789ab" in captured.err
    assert f"{len(names[::2])} tasks run" in text and f"{len(kept)} already done" in text
    assert {n: (out / "tasks" / n).stat().st_mtime_ns for n in kept} == kept   # not recomputed
    assert (out / "points.parquet").read_bytes() == reference
    assert not list((out / "tasks").glob(".*.tmp"))


def test_resume_with_a_different_command_is_refused(tmp_path, capsys):
    out = tmp_path / "s"
    assert sweep(out, *grid_args(), *QUIET) == 0
    before = task_files(out)
    capsys.readouterr()
    assert sweep(out, *grid_args(runs=100), "--resume", *QUIET) == 2
    err = capsys.readouterr().err
    assert "refusing to resume" in err and "runs: stored 150, now 100" in err
    assert main(["sweep", str(BASELINE), "--set", "horizon_months=13", "--out", str(out), *map(str, grid_args()),
                 "--resume", *QUIET]) == 2
    assert "scenario_hash" in capsys.readouterr().err
    assert sweep(out, "--param", f"{INTENSITY}=0.2:1:4", "--param", f"{CREDIBILITY}=0.2:0.8:2", "--runs", 150,
                 "--block", 50, "--seed", 42, "--resume", *QUIET) == 2
    assert "params" in capsys.readouterr().err
    assert sweep(out, *grid_args(), "--seed", 43, "--resume", *QUIET) == 2
    assert task_files(out) == before                      # nothing touched
    # a different executor is not a different sweep
    assert sweep(out, *grid_args(), "--workers", 2, "--resume", *QUIET) == 0


def test_existing_store_needs_resume_or_force(tmp_path, capsys):
    out = tmp_path / "s"
    assert sweep(out, *grid_args(), "--resume", *QUIET) == 2
    assert "no sweep to resume" in capsys.readouterr().err
    assert sweep(out, *grid_args(), *QUIET) == 0
    assert sweep(out, *grid_args(), *QUIET) == 2
    assert "--resume" in capsys.readouterr().err
    assert sweep(out, *grid_args(), "--resume", "--force", *QUIET) == 2
    (out / "notes.txt").write_text("mine")
    assert sweep(out, *grid_args(runs=60, block=60), "--force", *QUIET) == 0
    assert len(task_files(out)) == 6                      # the old 18 tasks are gone
    assert (out / "notes.txt").read_text() == "mine"      # other files are left alone


# ----------------------------------------------------------------------------- failures

def test_a_failing_point_is_recorded_and_the_rest_complete(tmp_path, capsys):
    """A design point the scenario rejects at run time (China's dependency shares would sum
    above 1) fails in its worker; it is recorded and the other points complete."""
    base = load_scenario(BASELINE)
    others = sum(spec.value for path, spec in base.params.items()
                 if path.startswith("states.china.dependency.") and path != EUROPE)
    levels = [0.1, 0.5, 0.9]
    bad = [i for i, v in enumerate(levels) if others + v > 1]
    assert bad == [2]                                      # the test's premise
    out = tmp_path / "s"
    rc = sweep(out, "--param", f"{EUROPE}=0.1:0.9:3", "--param", f"{INTENSITY}=0.2:0.8:2", "--runs", 80,
               "--block", 40, "--workers", 2, "--quiet")
    assert rc == 1
    err = capsys.readouterr().err
    assert "4 of 12 tasks failed (points 4, 5)" in err and "failures.jsonl" in err
    failures = [json.loads(line) for line in (out / "failures.jsonl").read_text().splitlines()]
    assert [(f["point"], f["block"]) for f in failures] == [(4, 0), (4, 1), (5, 0), (5, 1)]
    assert all(f["params"][EUROPE] == 0.9 and "sum to" in f["error"] and "Traceback" in f["traceback"]
               for f in failures)
    points = pd.read_parquet(out / "points.parquet")
    assert list(points["runs"]) == [80, 80, 80, 80, 0, 0]
    assert list(points["complete"]) == [True] * 4 + [False] * 2
    assert points["p_stays"].iloc[:4].notna().all() and points["p_stays"].iloc[4:].isna().all()
    assert (out / "sweep_heatmap.png").exists()
    # --resume retries the failed tasks only (they fail again: the point is invalid)
    assert sweep(out, "--param", f"{EUROPE}=0.1:0.9:3", "--param", f"{INTENSITY}=0.2:0.8:2", "--runs", 80,
                 "--block", 40, "--resume", *QUIET) == 1
    assert "4 tasks run" in capsys.readouterr().out


# ----------------------------------------------------------------------------- input errors

@pytest.mark.parametrize("args,message", [
    (["--param", "policies.secondary_sanctions.intensty=0:1"], f"did you mean '{INTENSITY}'"),
    (["--param", f"{INTENSITY}=0.8:0.2"], "above HIGH"),
    (["--param", f"{INTENSITY}=0:2"], "outside the allowed [0, 1]"),
    (["--param", "policies.secondary_sanctions.lag_months=0.5:6"], "whole numbers"),
    (["--param", f"{INTENSITY}=0:1", "--param", f"{INTENSITY}=0:1"], "given twice"),
    ([], "nothing to sweep"),
    (["--param", f"{INTENSITY}=0:1", "--runs", "0"], "--runs must be at least 1"),
    (["--param", f"{INTENSITY}=0:1", "--design", "lhs", "--samples", "0"], "--samples must be at least 1"),
    (["--param", f"{INTENSITY}=0.5:0.5", "--design", "sobol"], "LOW < HIGH"),
    (["--param", f"{INTENSITY}=0:1", "--dask", "nowhere"], "not a scheduler address"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, args, message):
    assert sweep(tmp_path / "s", *args, *QUIET) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "s").exists()


def test_cli_subprocess_exit_codes(tmp_path):
    bad = run_cli("sweep", BASELINE, "--param", "policies.secondary_sanctions.intensty=0:1", "--out", tmp_path / "x")
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        f"--param:1: policies.secondary_sanctions.intensty: unknown parameter (did you mean '{INTENSITY}'?)"]
    unknown = run_cli("sweep", BASELINE, "--param", f"{INTENSITY}=0:1", "--design", "factorial",
                      "--out", tmp_path / "y")
    assert unknown.returncode == 2 and unknown.stdout == ""
    [line] = unknown.stderr.strip().splitlines()       # argparse quotes the choices differently by version
    assert line.startswith("run.py sweep: error: argument --design: invalid choice: 'factorial' (choose from ")
    assert line.endswith(" (see run.py sweep --help)") and all(d in line for d in ("grid", "lhs", "sobol", "morris"))
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


# ----------------------------------------------------------------------------- sweep: block, store, charts

def test_sweep_block_in_yaml_and_command_line_override(tmp_path, write_yaml, capsys):
    scenario = write_yaml(f"""\
extends: BASELINE
name: sanctions_sweep
horizon_months: 12
sweep:
  param:
    - "{INTENSITY}=0.2:0.8:3"
  runs: 60
  seed: 5
""")
    out = tmp_path / "y"
    assert main(["sweep", str(scenario), "--out", str(out), *QUIET]) == 0
    m = json.loads((out / "manifest.json").read_text())
    assert (m["runs"], m["seed"], m["points"], m["design"]["name"]) == (60, 5, 3, "grid")
    out2 = tmp_path / "y2"
    assert main(["sweep", str(scenario), "--out", str(out2), "--runs", "40", "--param", f"{CREDIBILITY}=0:1:2",
                 *QUIET]) == 0
    m2 = json.loads((out2 / "manifest.json").read_text())
    assert (m2["runs"], m2["seed"], [p["path"] for p in m2["design"]["params"]]) == (40, 5, [CREDIBILITY])
    # the sweep: block does not enter the scenario hash, so editing it keeps resumability decisions honest
    assert m["scenario_hash"] == m2["scenario_hash"]

    broken = write_yaml("extends: BASELINE\nname: broken\nsweep:\n  param:\n    - \"policies.nope=0:1\"\n",
                        name="broken.yaml")
    capsys.readouterr()
    assert main(["sweep", str(broken), "--out", str(tmp_path / "z"), *QUIET]) == 2
    assert f"{broken}:5: policies.nope: unknown parameter" in capsys.readouterr().err


def test_store_layout_manifest_and_charts(tmp_path):
    one, three = tmp_path / "one", tmp_path / "three"
    assert sweep(one, "--param", f"{INTENSITY}=0:1:4", "--runs", 60, "--quiet") == 0
    names = {p.name for p in one.iterdir()}
    assert {"manifest.json", "design.parquet", "points.parquet", "failures.jsonl", "scenario.resolved.yaml",
            "tasks", "sweep_response.png", "sweep_response.svg"} <= names
    assert (one / "failures.jsonl").read_text() == ""
    m = json.loads((one / "manifest.json").read_text())
    assert m["kind"] == "sweep" and len(m["scenario_hash"]) == 16 and m["resolved"]["name"] == "baseline"
    assert m["resolved"]["horizon_months"] == 12 and m["overrides"] == ["horizon_months=12"]
    assert {"numpy", "SALib", "dask", "mesa", "axis-sim"} <= set(m["versions"])
    assert m["command"] == m["reproduce"] == (f"run.py sweep {shlex.quote(str(BASELINE))} --set horizon_months=12 --param "
                                              f"{INTENSITY}=0.0:1.0:4 --design grid --runs 60 --seed 20241105 "
                                              f"--block 4096")
    assert m["git"] and m["seed"] == 20241105
    again = tmp_path / "again"                                   # the recorded command reproduces the sweep
    assert main(shlex.split(m["reproduce"])[1:] + ["--out", str(again), *QUIET]) == 0
    assert same_bytes(one / "points.parquet", again / "points.parquet")
    assert m["design"]["points"] == 4 and m["design"]["params"][0]["path"] == INTENSITY
    points = pd.read_parquet(one / "points.parquet")
    for col in ("p_stays", "p_stays_ci95_low", "p_stays_ci95_high", "p_weapons", "p_weapons_ci95_low",
                "axis_cohesion_mean", "front_mean", "china_cost_mean", "china_rung_share_4"):
        assert col in points.columns, col
    assert (points["p_stays_ci95_low"] <= points["p_stays"]).all()
    assert (points["p_stays"] <= points["p_stays_ci95_high"] + 1e-12).all()
    assert (points["p_stays_ci95_high"] - points["p_stays_ci95_low"]).between(0.01, 0.3).all()
    design = pd.read_parquet(one / "design.parquet")
    assert list(design[INTENSITY]) == pytest.approx([0, 1 / 3, 2 / 3, 1])

    assert sweep(three, "--param", f"{INTENSITY}=0:1", "--param", f"{CREDIBILITY}=0:1",
                 "--param", "policies.secondary_sanctions.lag_months=0:12", "--design", "lhs", "--samples", 9,
                 "--runs", 40, "--quiet") == 0
    assert (three / "sweep_params.png").exists() and (three / "sweep_params.svg").exists()
    lags = pd.read_parquet(three / "points.parquet")["policies.secondary_sanctions.lag_months"]
    assert lags.dtype == np.int64 and lags.between(0, 12).all()
    assert math.isclose(pd.read_parquet(three / "points.parquet")["runs"].sum(), 9 * 40)


# ----------------------------------------------------------------------------- --fixed, a damaged store

def test_sweep_fixed_uses_point_values_for_the_parameters_not_swept(tmp_path):
    """`sweep --fixed`: every replicate of a point runs the scenario's point values for the
    parameters that are not swept (recomputed here by hand from the tasks' seeds)."""
    out = tmp_path / "fixed"
    args = ["--param", f"{INTENSITY}=0.3:0.9:2", "--runs", 60, "--block", 30, "--seed", 8, *QUIET]
    assert sweep(out, *args, "--fixed") == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["fixed"] is True and manifest["reproduce"].endswith(" --fixed")
    plan = plan_sweep(load_scenario(BASELINE, ["horizon_months=12"]),
                      SweepSpec(params=[ParamRange(INTENSITY, 0.3, 0.9, 2)], runs=60, seed=8, block=30, fixed=True))
    points = pd.read_parquet(out / "points.parquet")
    for point in (0, 1):
        by_hand = {}
        for fixed in (True, False):
            cost = [AxisModel(resolve_point(plan.context(), t.values), replicates=t.replicates, seed=t.seed, offset=t.offset,
                              fixed=fixed, series_limit=0, collect=False).run().outcomes()["china_cost"]
                    for t in plan.tasks if t.point == point]
            by_hand[fixed] = float(np.concatenate(cost).mean())
        assert points.loc[point, "china_cost_mean"] == pytest.approx(by_hand[True], rel=1e-12)
        assert by_hand[False] != pytest.approx(by_hand[True], rel=1e-6)      # --fixed made a difference
    drawn = tmp_path / "drawn"
    assert sweep(drawn, *args) == 0
    assert json.loads((drawn / "manifest.json").read_text())["fixed"] is False
    assert not pd.read_parquet(drawn / "points.parquet")["china_cost_mean"].equals(points["china_cost_mean"])


def test_a_swapped_task_file_is_set_aside_and_rerun_and_a_foreign_one_is_ignored(tmp_path, capsys):
    out = tmp_path / "s"
    args = ["--param", f"{INTENSITY}=0.2:1:2", "--runs", 40, "--block", 20, "--seed", 1, *QUIET]
    assert sweep(out, *args) == 0
    tasks = out / "tasks"
    assert task_files(out) == ["p0000000-b00000.parquet", "p0000000-b00001.parquet",
                               "p0000001-b00000.parquet", "p0000001-b00001.parquet"]
    # a task file from another task (another seed) under this task's name: its checksum fails
    (tasks / "p0000001-b00001.parquet").write_bytes((tasks / "p0000000-b00000.parquet").read_bytes())
    # and a task file that no task of this sweep writes: never read
    (tasks / "p0000009-b00000.parquet").write_bytes((tasks / "p0000000-b00000.parquet").read_bytes())
    capsys.readouterr()
    assert sweep(out, *args, "--resume") == 0
    assert (tasks / "p0000001-b00001.parquet.bad-1").exists()
    clean = tmp_path / "clean"
    assert sweep(clean, *args) == 0
    assert same_bytes(out / "points.parquet", clean / "points.parquet")


def test_resume_in_a_run_folder_is_refused(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["run", str(BASELINE), *SHORT, "--runs", "20", "--out", str(run), "--quiet", "--no-charts"]) == 0
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    capsys.readouterr()
    assert sweep(run, *grid_args(), "--resume", *QUIET) == 2
    assert capsys.readouterr().err == f"error: {run} is not a sweep folder (manifest kind 'run')\n"
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before        # nothing touched
