"""Commands agree: a sweep point is `run --set` with the same seed and runs; worker counts
do not change a byte of a run's outputs."""

import json

import numpy as np
import pandas as pd
import pytest

from simulator.cli.main import main

from .conftest import BASELINE

PATH = "policies.secondary_sanctions.intensity"
LEVELS = [0.0, 0.5, 1.0]


def _sweep(out, *extra):
    argv = ["sweep", str(BASELINE), "--param", f"{PATH}=0:1:3", "--runs", "300", "--block", "128",
            "--seed", "11", "--set", "horizon_months=12", "--no-charts", "--quiet", "--out", str(out), *extra]
    assert main(argv) == 0
    return pd.read_parquet(out / "points.parquet")


def _run(out, value):
    argv = ["run", str(BASELINE), "--set", f"{PATH}={value}", "--set", "horizon_months=12", "--runs", "300",
            "--seed", "11", "--no-charts", "--quiet", "--out", str(out)]
    assert main(argv) == 0
    return pd.read_parquet(out / "runs.parquet"), json.loads((out / "summary.json").read_text())


def test_sweep_points_are_run_set_with_the_same_seed(tmp_path, capsys):
    points = _sweep(tmp_path / "s")
    for i, value in enumerate(LEVELS):
        runs, summary = _run(tmp_path / f"r{i}", value)
        row = points.iloc[i]
        assert row[PATH] == value
        assert row["p_stays"] == summary["outcomes"]["china_stays"]["probability"]
        assert row["p_stays"] == runs["china_stays"].mean()
        for k in range(5):
            assert row[f"china_rung_share_{k}"] == np.count_nonzero(runs["china_rung"] == k) / 300
        assert row["china_cost_mean"] == pytest.approx(runs["china_cost"].mean(), rel=1e-12)
        assert row["axis_cohesion_sd"] == pytest.approx(runs["axis_cohesion"].std(ddof=1), rel=1e-9)


def test_independent_streams_keep_each_point_its_own_numbers(tmp_path, capsys):
    common = _sweep(tmp_path / "c")
    independent = _sweep(tmp_path / "i", "--independent-streams")
    assert json.loads((tmp_path / "i" / "manifest.json").read_text())["sweep"]["streams"] == "independent"
    assert "--independent-streams" in json.loads((tmp_path / "i" / "manifest.json").read_text())["reproduce"]
    # the same points, other random numbers: the estimates differ somewhere
    assert not np.array_equal(common["china_cost_mean"].to_numpy(), independent["china_cost_mean"].to_numpy())
    runs, _ = _run(tmp_path / "r", LEVELS[1])
    assert independent.iloc[1]["china_cost_mean"] != pytest.approx(runs["china_cost"].mean(), rel=1e-12)
    # and --resume refuses to mix the two kinds of streams
    capsys.readouterr()
    argv = ["sweep", str(BASELINE), "--param", f"{PATH}=0:1:3", "--runs", "300", "--block", "128", "--seed", "11",
            "--set", "horizon_months=12", "--no-charts", "--quiet", "--out", str(tmp_path / "i"), "--resume"]
    assert main(argv) == 2 and "streams" in capsys.readouterr().err


def test_common_random_numbers_make_differences_between_points_less_noisy(tmp_path):
    """Replicate i of every point draws the same uniforms, so the parameters that are not swept
    take the same values at every point."""
    from simulator.experiment.sweep import SweepSpec, plan_sweep
    from simulator.experiment.designs import ParamRange
    from simulator.scenario import load_scenario
    plan = plan_sweep(load_scenario(BASELINE), SweepSpec(params=[ParamRange(PATH, 0, 1, 3)], runs=300, seed=11,
                                                          block=128))
    by_point = {}
    for t in plan.tasks:
        by_point.setdefault(t.point, []).append((t.seed, t.offset, t.replicates))
    assert by_point[0] == by_point[1] == by_point[2] == [(11, 0, 128), (11, 128, 128), (11, 256, 44)]


@pytest.mark.slow
def test_run_outputs_are_byte_identical_for_one_and_two_workers(tmp_path):
    outs = {}
    for w in (1, 2):
        out = tmp_path / f"w{w}"
        assert main(["run", str(BASELINE), "--runs", "5000", "--seed", "3", "--workers", str(w), "--no-charts",
                     "--quiet", "--out", str(out)]) == 0
        outs[w] = out
    names = sorted(p.name for p in outs[1].iterdir() if p.suffix == ".parquet")
    assert {"runs.parquet", "bands.parquet", "terms.parquet", "terms_by_outcome.parquet", "links.parquet"} <= set(names)
    for name in names:
        assert (outs[1] / name).read_bytes() == (outs[2] / name).read_bytes(), name
    s1, s2 = (json.loads((outs[w] / "summary.json").read_text()) for w in (1, 2))
    assert s1 == s2


def test_sweep_block_can_ask_for_independent_streams(tmp_path, write_yaml):
    path = write_yaml(f"extends: BASELINE\nname: s\nhorizon_months: 6\nsweep:\n  param: ['{PATH}=0:1:2']\n"
                      f"  runs: 40\n  independent_streams: true\n")
    out = tmp_path / "s"
    assert main(["sweep", str(path), "--out", str(out), "--no-charts", "--quiet"]) == 0
    assert json.loads((out / "manifest.json").read_text())["sweep"]["streams"] == "independent"
    seeds = set(pd.read_parquet(out / "tasks" / "p0000000-b00000.parquet")["seed"]) | \
        set(pd.read_parquet(out / "tasks" / "p0000001-b00000.parquet")["seed"])
    assert len(seeds) == 2                                  # each point its own stream
