"""--posterior: replicates draw their parameters from a weighted posterior file instead of the prior
ranges (rows by weight, reproducibly; absent parameters keep their prior draws; --set and sweep
points still override; bad files are refused in one line, exit 2)."""

import hashlib
import json
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import simulator
from simulator.cli.main import main
from simulator.experiment.ensemble import run_ensemble
from simulator.scenario import load_scenario
from simulator.scenario.posterior import load_posterior

from .conftest import BASELINE

SHORT = ["horizon_months=12"]
META = {"scenario": "baseline", "command": "run.py calibrate scenarios/baseline.yaml", "seed": 5,
        "version": "0.1.0"}


@pytest.fixture(scope="module")
def resolved():
    return load_scenario(BASELINE, SHORT)


def drawn(resolved) -> list[str]:
    """The baseline's parameters that draw from a range (no value below is a model number)."""
    return [p for p, s in resolved.params.items() if s.range is not None and s.range[0] < s.range[1]
            and not resolved.bounds[p][2]]


def write_posterior(path, columns: dict, weight=None, metadata=META):
    """A posterior file as `calibrate` writes it: float columns, weight, axis_sim metadata."""
    data = {k: pa.array(np.asarray(v, dtype=np.float64)) for k, v in columns.items()}
    if weight is not None:
        data["weight"] = pa.array(np.asarray(weight, dtype=np.float64))
    table = pa.table(data)
    if metadata is not None:
        table = table.replace_schema_metadata({"axis_sim": json.dumps(metadata)})
    pq.write_table(table, path)
    return path


def two_rows(resolved, k: int = 3):
    """Two rows for the first ``k`` drawn parameters: each range's low end, then its high end."""
    paths = drawn(resolved)[:k]
    return paths, {p: [resolved.params[p].range[0], resolved.params[p].range[1]] for p in paths}


# ----------------------------------------------------------------------------- semantics

def test_one_row_gives_every_replicate_its_values_and_the_rest_their_prior_draws(tmp_path, resolved):
    paths = drawn(resolved)[:4]
    row = {p: resolved.params[p].range[0] + 0.25 * (resolved.params[p].range[1] - resolved.params[p].range[0])
           for p in paths}
    file = write_posterior(tmp_path / "one.parquet", {p: [v] for p, v in row.items()}, weight=[0.2])
    post = simulator.run("baseline", runs=300, seed=4, set=SHORT, posterior=file)
    prior = simulator.run("baseline", runs=300, seed=4, set=SHORT)
    for p, v in row.items():
        assert (post.runs[p] == v).all(), p
        assert prior.runs[p].nunique() > 1           # without the posterior the parameter varies
    assert (post.runs["posterior_row"] == 0).all()
    others = [p for p in drawn(resolved) if p not in row]
    pd.testing.assert_frame_equal(post.runs[others], prior.runs[others])    # the same prior draws
    rec = post.summary["posterior"]
    assert rec["parameters"] == paths and rec["overridden"] == []
    assert set(others) <= set(rec["prior"]) and not set(paths) & set(rec["prior"])
    assert "posterior_row" not in prior.runs and "posterior" not in prior.summary


def test_a_row_of_every_point_value_reproduces_the_fixed_run(tmp_path, resolved):
    """The posterior's values reach the model: one row holding every drawn parameter's point value
    gives the outcomes of a --fixed run replicate by replicate."""
    paths = [p for p, s in resolved.params.items() if s.range is not None and s.range[0] < s.range[1]]
    file = write_posterior(tmp_path / "point.parquet", {p: [resolved.params[p].value] for p in paths}, weight=[1])
    post = run_ensemble(resolved, runs=200, seed=9, posterior=load_posterior(file, resolved))
    fixed = run_ensemble(resolved, runs=200, seed=9, fixed=True)
    free = run_ensemble(resolved, runs=200, seed=9)
    outcomes = ["china_stays", "china_rung", "front", "china_cost", "axis_cohesion"]
    pd.testing.assert_frame_equal(post.outcomes[outcomes], fixed.outcomes[outcomes])
    assert not post.outcomes["china_cost"].equals(free.outcomes["china_cost"])


def test_rows_are_drawn_by_weight(tmp_path, resolved):
    """Weights 3:0:1 (any scale): row 0 in ~75% of replicates (within a 99.9% binomial interval),
    the zero-weight row never, and each replicate carries its row's values."""
    paths, cols = two_rows(resolved)
    cols = {p: [lo, 0.5 * (lo + hi), hi] for p, (lo, hi) in cols.items()}
    file = write_posterior(tmp_path / "w.parquet", cols, weight=[0.3, 0.0, 0.1])
    post = load_posterior(file, resolved)
    n = 4000
    ens = run_ensemble(resolved, runs=n, seed=21, posterior=post)
    rows = ens.outcomes["posterior_row"].to_numpy()
    assert set(np.unique(rows)) == {0, 2}
    share = float(np.mean(rows == 0))
    half = 3.29 * math.sqrt(0.75 * 0.25 / n)
    assert abs(share - 0.75) < half, share
    for p in paths:
        np.testing.assert_array_equal(ens.outcomes[p].to_numpy(), np.asarray(cols[p])[rows])


def test_set_overrides_the_posterior(tmp_path, resolved):
    paths, cols = two_rows(resolved, 2)
    file = write_posterior(tmp_path / "p.parquet", cols, weight=[1, 1])
    without = write_posterior(tmp_path / "q.parquet", {paths[1]: cols[paths[1]]}, weight=[1, 1])
    value = float(np.mean(cols[paths[0]]))
    res = simulator.run("baseline", runs=200, seed=3, set=[*SHORT, f"{paths[0]}={value}"], posterior=file)
    same = simulator.run("baseline", runs=200, seed=3, set=[*SHORT, f"{paths[0]}={value}"], posterior=without)
    pd.testing.assert_frame_equal(res.runs, same.runs)         # the posterior's column of a --set path is unused
    assert set(res.runs[paths[1]]) == set(cols[paths[1]])
    assert res.scenario.params[paths[0]].value == value
    assert res.summary["posterior"]["overridden"] == [paths[0]]
    assert res.summary["posterior"]["parameters"] == [paths[1]]


def test_events_still_apply(tmp_path, resolved, write_yaml):
    """An event that sets a parameter at month 1 overrides the posterior's value: swapping the
    posterior's rows changes the runs without the event and nothing with it."""
    path = "theatres.coupling"
    lo, hi = resolved.params[path].range
    a = write_posterior(tmp_path / "a.parquet", {path: [lo, hi]}, weight=[1, 1])
    b = write_posterior(tmp_path / "b.parquet", {path: [hi, lo]}, weight=[1, 1])
    scenario = write_yaml(f"name: ev\nextends: BASELINE\nhorizon_months: 12\nevents:\n"
                          f"  - month: 1\n    path: {path}\n    set: {resolved.params[path].value}\n")
    plain = [simulator.run("baseline", runs=300, seed=1, set=SHORT, posterior=f).runs for f in (a, b)]
    event = [simulator.run(scenario, runs=300, seed=1, posterior=f).runs for f in (a, b)]
    outcomes = [c for c in plain[0].columns if c not in resolved.params and c != "posterior_row"]
    assert "china_cost" in outcomes and "front" in outcomes
    assert not plain[0][outcomes].equals(plain[1][outcomes])
    pd.testing.assert_frame_equal(event[0][outcomes], event[1][outcomes])
    assert not event[0][path].equals(event[1][path])          # the drawn values did differ


def test_same_seed_same_results_and_batches_workers_do_not_matter(tmp_path, resolved):
    _, cols = two_rows(resolved, 5)
    post = load_posterior(write_posterior(tmp_path / "p.parquet", cols, weight=[2, 1]), resolved)
    one = run_ensemble(resolved, runs=700, seed=8, posterior=post)
    again = run_ensemble(resolved, runs=700, seed=8, posterior=post)
    split = run_ensemble(resolved, runs=700, seed=8, posterior=post, batch=128, workers=2)
    pd.testing.assert_frame_equal(one.outcomes, again.outcomes)
    pd.testing.assert_frame_equal(one.outcomes, split.outcomes)
    tail = run_ensemble(resolved, runs=200, seed=8, posterior=post, offset=500)   # replicate i is replicate i
    pd.testing.assert_frame_equal(one.outcomes.iloc[500:].reset_index(drop=True),
                                  tail.outcomes.reset_index(drop=True))
    other = run_ensemble(resolved, runs=700, seed=9, posterior=post)
    assert not one.outcomes["posterior_row"].equals(other.outcomes["posterior_row"])


def test_run_workers_write_byte_identical_files_and_record_the_posterior(tmp_path, resolved, capsys):
    _, cols = two_rows(resolved, 3)
    file = write_posterior(tmp_path / "p.parquet", cols, weight=[3, 1])
    outs = {}
    for w in (1, 2):
        outs[w] = tmp_path / f"w{w}"
        assert main(["run", str(BASELINE), "--set", SHORT[0], "--runs", "4200", "--seed", "2", "--no-charts",
                     "--quiet", "--posterior", str(file), "--workers", str(w), "--out", str(outs[w])]) == 0
    printed = capsys.readouterr().out
    assert f"Parameters: posterior {file}" in printed and "from their prior ranges" in printed
    for name in ("runs.parquet", "bands.parquet", "terms.parquet", "summary.json"):
        assert (outs[1] / name).read_bytes() == (outs[2] / name).read_bytes(), name
    rec = json.loads((outs[1] / "summary.json").read_text())["posterior"]
    assert rec["file"] == str(file) and rec["metadata"] == META and rec["rows"] == 2
    assert rec["sha256"] == hashlib.sha256(file.read_bytes()).hexdigest()
    assert "posterior" in (outs[1] / "report.md").read_text()


# ----------------------------------------------------------------------------- sweeps

def test_sweep_points_override_the_posterior_and_match_run(tmp_path, resolved):
    """A swept parameter that the posterior also holds takes the point's value; each point equals
    `run --set PATH=VALUE --posterior` with the sweep's seed (common random numbers)."""
    paths, cols = two_rows(resolved, 3)
    swept = paths[0]
    lo, hi = resolved.params[swept].range
    file = write_posterior(tmp_path / "p.parquet", cols, weight=[1, 3])
    sw = simulator.sweep("baseline", {swept: (lo, hi, 2)}, runs=120, seed=6, set=SHORT, block=50,
                         posterior=file, out=tmp_path / "s", charts=False)
    for value in (lo, hi):
        point = sw.points[np.isclose(sw.points[swept], value)].iloc[0]
        run = simulator.run("baseline", runs=120, seed=6, set=[*SHORT, f"{swept}={value}"], posterior=file)
        assert point["runs"] == 120
        assert point["p_stays"] == pytest.approx(run.runs["china_stays"].mean(), abs=1e-12)
    manifest = json.loads((tmp_path / "s" / "manifest.json").read_text())
    assert manifest["sweep"]["posterior"] == hashlib.sha256(file.read_bytes()).hexdigest()
    assert manifest["posterior"]["overridden"] == [swept]
    assert manifest["posterior"]["parameters"] == paths[1:]
    assert f"--posterior {file}" in manifest["reproduce"]


def test_resume_refuses_another_posterior_or_none(tmp_path, resolved, capsys):
    _, cols = two_rows(resolved, 2)
    a = write_posterior(tmp_path / "a.parquet", cols, weight=[1, 1])
    b = write_posterior(tmp_path / "b.parquet", cols, weight=[1, 2])
    out = tmp_path / "s"
    base = ["sweep", str(BASELINE), "--set", SHORT[0], "--param", "theatres.coupling=0:1:2", "--runs", "20",
            "--out", str(out), "--no-charts", "--quiet"]
    assert main([*base, "--posterior", str(a)]) == 0
    capsys.readouterr()
    before = {p.name: p.stat().st_mtime_ns for p in (out / "tasks").iterdir()}
    for extra in (["--posterior", str(b)], []):
        assert main([*base, "--resume", *extra]) == 2
        err = capsys.readouterr().err
        assert "refusing to resume" in err and "posterior" in err
    assert {p.name: p.stat().st_mtime_ns for p in (out / "tasks").iterdir()} == before
    assert main([*base, "--resume", "--posterior", str(a)]) == 0


# ----------------------------------------------------------------------------- bad input

def _bad_cases(tmp_path, resolved):
    paths, cols = two_rows(resolved, 2)
    p = paths[0]
    lo, hi, _ = resolved.bounds[p]
    finite = next(q for q in drawn(resolved) if math.isfinite(resolved.bounds[q][1]))
    over = {finite: [resolved.bounds[finite][1] + 1.0, resolved.params[finite].value]}
    garbage = tmp_path / "garbage.parquet"
    garbage.write_bytes(b"PAR1 this is not parquet")
    return [
        (write_posterior(tmp_path / "unknown.parquet", {**cols, "decision.weights.no_such_term": [0.1, 0.2]},
                         weight=[1, 1]), "decision.weights.no_such_term", "not a parameter"),
        (write_posterior(tmp_path / "bounds.parquet", over, weight=[1, 1]), finite, "outside the parameter's bounds"),
        (write_posterior(tmp_path / "noweight.parquet", cols), "weight", "missing"),
        (write_posterior(tmp_path / "negative.parquet", cols, weight=[1, -0.5]), "weight", "negative"),
        (write_posterior(tmp_path / "zero.parquet", cols, weight=[0, 0]), "weight", "every weight is zero"),
        (write_posterior(tmp_path / "huge.parquet", cols, weight=[1e308, 1e308]), "weight", "rescale"),
        (write_posterior(tmp_path / "inf.parquet", cols, weight=[1, float("inf")]), "weight", "not a finite"),
        (write_posterior(tmp_path / "nan.parquet", {p: [lo if math.isfinite(lo) else 0.0, float("nan")]},
                         weight=[1, 1]), p, "outside the parameter's bounds"),
        (garbage, "(file)", "cannot read it as Parquet"),
        (tmp_path / "absent.parquet", "(file)", "not found"),
    ]


@pytest.mark.parametrize("command", ["run", "compare", "sweep", "sensitivity"])
def test_bad_posteriors_are_one_line_exit_2_naming_file_and_column(tmp_path, resolved, capsys, command):
    for file, column, words in _bad_cases(tmp_path, resolved):
        out = tmp_path / f"out-{file.stem}"
        argv = {"run": ["run", str(BASELINE)],
                "compare": ["compare", str(BASELINE), str(BASELINE)],
                "sweep": ["sweep", str(BASELINE), "--param", "theatres.coupling=0:1:2"],
                "sensitivity": ["sensitivity", str(BASELINE), "--param", "theatres.coupling=0:1"]}[command]
        code = main([*argv, "--runs", "10", "--out", str(out), "--quiet", "--posterior", str(file)])
        err = capsys.readouterr().err
        assert code == 2, (file.name, err)
        assert err.count("\n") == 1 and "Traceback" not in err, err
        assert err.startswith(f"{file}: {column}: ") and words in err, err
        assert not out.exists()


def test_posterior_with_fixed_is_refused_and_api_raises(tmp_path, resolved, capsys):
    _, cols = two_rows(resolved, 1)
    file = write_posterior(tmp_path / "p.parquet", cols, weight=[1, 1])
    assert main(["run", str(BASELINE), "--fixed", "--posterior", str(file), "--out", str(tmp_path / "o"),
                 "--quiet"]) == 2
    assert "--posterior and --fixed contradict" in capsys.readouterr().err
    with pytest.raises(ValueError, match="fixed"):
        simulator.run("baseline", runs=10, fixed=True, posterior=file)
    from simulator.scenario import ScenarioError
    with pytest.raises(ScenarioError, match="weight"):
        simulator.run("baseline", runs=10, posterior=write_posterior(tmp_path / "z.parquet", cols, weight=[0, 0]))


def test_sweep_on_two_workers_and_after_resume_gives_the_same_bytes(tmp_path, resolved, capsys):
    _, cols = two_rows(resolved, 4)
    file = write_posterior(tmp_path / "p.parquet", cols, weight=[3, 1])
    base = ["sweep", str(BASELINE), "--set", SHORT[0], "--param", "theatres.coupling=0:0.6:3", "--runs", "90",
            "--block", "30", "--seed", "4", "--no-charts", "--quiet", "--posterior", str(file)]
    one, two = tmp_path / "one", tmp_path / "two"
    assert main([*base, "--out", str(one)]) == 0
    assert main([*base, "--out", str(two), "--workers", "2"]) == 0
    assert (one / "points.parquet").read_bytes() == (two / "points.parquet").read_bytes()
    for task in sorted((two / "tasks").glob("p*.parquet"))[::2]:      # as if interrupted
        task.unlink()
    assert main([*base, "--out", str(two), "--resume"]) == 0
    assert (one / "points.parquet").read_bytes() == (two / "points.parquet").read_bytes()
    prior = tmp_path / "prior"
    assert main([*base[:-2], "--out", str(prior)]) == 0
    assert (prior / "points.parquet").read_bytes() != (one / "points.parquet").read_bytes()


def test_sensitivity_and_compare_run_on_a_posterior(tmp_path, resolved, capsys):
    paths, cols = two_rows(resolved, 2)
    file = write_posterior(tmp_path / "p.parquet", cols, weight=[1, 1])
    sha = hashlib.sha256(file.read_bytes()).hexdigest()
    out = tmp_path / "sens"
    assert main(["sensitivity", str(BASELINE), "--set", SHORT[0],
                 "--param", "policies.secondary_sanctions.intensity=0:1",
                 "--samples", "4", "--runs", "20", "--out", str(out), "--no-charts", "--quiet",
                 "--posterior", str(file)]) == 0
    assert json.loads((out / "manifest.json").read_text())["sweep"]["posterior"] == sha
    cmp_out = tmp_path / "cmp"
    assert main(["compare", str(BASELINE), str(BASELINE.parent / "secondary_sanctions.yaml"), "--set", SHORT[0],
                 "--runs", "100", "--out", str(cmp_out), "--no-charts", "--quiet", "--posterior", str(file)]) == 0
    assert "Parameters: posterior" in capsys.readouterr().out
    manifest = json.loads((cmp_out / "manifest.json").read_text())
    assert manifest["posterior"]["sha256"] == sha
    for entry in manifest["scenarios"]:
        runs = pd.read_parquet(cmp_out / entry["folder"] / "runs.parquet")
        assert set(runs[paths[0]]) == set(cols[paths[0]])
    api = simulator.compare(["baseline", "secondary_sanctions"], runs=100, set=SHORT, posterior=file)
    for label, result in api.results.items():
        folder = next(e["folder"] for e in manifest["scenarios"] if e["label"] == label)
        pd.testing.assert_frame_equal(result.runs, pd.read_parquet(cmp_out / folder / "runs.parquet"))


def test_the_index_table_says_when_a_posterior_was_used(tmp_path, resolved, capsys):
    _, cols = two_rows(resolved, 2)
    file = write_posterior(tmp_path / "p.parquet", cols, weight=[1, 1])
    scenarios = [str(BASELINE), str(BASELINE.parent / "secondary_sanctions.yaml")]
    for name, extra in (("post", ["--posterior", str(file)]), ("prior", [])):
        assert main(["run", *scenarios, "--set", SHORT[0], "--runs", "50", "--out", str(tmp_path / name),
                     "--no-charts", "--quiet", *extra]) == 0
    printed = capsys.readouterr().out
    assert printed.count("Parameters: posterior") == 1
    index = (tmp_path / "post" / "index.md").read_text()
    assert f"Parameters: posterior {file}" in index and "baseline, secondary_sanctions" in index
    assert "posterior" in (tmp_path / "post" / "index.html").read_text()
    assert "Parameters:" not in (tmp_path / "prior" / "index.md").read_text()
