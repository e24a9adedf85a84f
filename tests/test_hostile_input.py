"""Hostile or unlucky input: each case exits 2 within seconds with one line naming the file,
key or flag, and touches nothing outside the output folder."""

import time

import pytest

from simulator.cli.main import main
from simulator.scenario import ScenarioError, load_scenario
from simulator.scenario.schema import MAX_BLOCK, MAX_RUNS, MAX_SAMPLES, MAX_WORKERS
from simulator.scenario.yamlio import MAX_FILE_BYTES

from .conftest import BASELINE

LAUGHS = "\n".join(
    [f'{chr(97 + i)}: &{chr(97 + i)} [' + ",".join([f"*{chr(96 + i)}"] * 9) + "]" if i else
     'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]' for i in range(9)]
) + "\nname: x\n"


def bad(capsys, *argv, seconds=10):
    t0 = time.perf_counter()
    code = main([*map(str, argv)])
    elapsed = time.perf_counter() - t0
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert elapsed < seconds
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("name", ["../..", "..", ".", "/tmp/escaped", "a/b", "a b", "", "x" * 101])
def test_name_must_be_a_slug(write_yaml, capsys, name):
    path = write_yaml(f"extends: BASELINE\nruns: 10\nname: {name!r}\n")
    err = bad(capsys, "validate", path)
    assert err.startswith(f"{path}:3: name: ") and "not a valid name" in err


@pytest.mark.parametrize("name", ["ok", "my-scenario_2.v1", "a..b"])
def test_slug_names_are_accepted(write_yaml, name):
    assert load_scenario(write_yaml(f"extends: BASELINE\nname: {name}\n")).name == name


def test_escaping_name_writes_nothing_outside_out(tmp_path, write_yaml, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "mine.txt").write_text("keep")
    path = write_yaml("extends: BASELINE\nname: ../..\n")
    bad(capsys, "sweep", path, "--param", "theatres.coupling=0:1:2", "--runs", "10", "--force")
    bad(capsys, "run", path, "--runs", "10", "--force")
    assert (tmp_path / "tasks" / "mine.txt").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenario.yaml", "tasks"]


def test_billion_laughs_is_refused_fast(write_yaml, capsys):
    path = write_yaml(LAUGHS)
    assert path.stat().st_size < 1000
    err = bad(capsys, "validate", path, seconds=5)
    assert err.startswith(f"{path}:") and "expands to more than" in err


def test_file_size_limit(write_yaml, capsys):
    path = write_yaml("name: x\nextends: BASELINE\n#" + "x" * MAX_FILE_BYTES + "\n")
    assert "above the limit" in bad(capsys, "validate", path)


@pytest.mark.parametrize("target", ["/dev/zero", "/proc/self/status", "FOLDER"])
def test_extends_only_regular_files(write_yaml, capsys, tmp_path, target):
    target = str(tmp_path) if target == "FOLDER" else target
    path = write_yaml(f"name: x\nextends: {target}\n")
    err = bad(capsys, "validate", path, seconds=5)
    assert err.startswith(f"{path}:2: extends: ") and "not a regular file" in err


def test_deep_nesting_is_bad_input(write_yaml, capsys):
    path = write_yaml("name: x\nk: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert "nesting too deep" in bad(capsys, "validate", path)
    path = write_yaml("name: x\nk: " + "[" * 70 + "]" * 70 + "\n")
    assert "nesting too deep" in bad(capsys, "validate", path)


def test_nul_byte_is_bad_input(tmp_path, capsys):
    path = tmp_path / "nul.yaml"
    path.write_bytes(b"name: x\nruns: 1\x00\n")
    err = bad(capsys, "validate", path)
    assert err.startswith(f"{path}:2:") and "NUL byte" in err


@pytest.mark.parametrize("target", ["/proc/self/environ", "/proc/self/status", "/dev/zero"])
def test_system_files_are_bad_input(capsys, target):
    assert "not a regular file" in bad(capsys, "validate", target, seconds=5)


@pytest.mark.parametrize("argv, flag, limit", [
    (["run", BASELINE, "--runs", 10**12], "--runs", MAX_RUNS),
    (["run", BASELINE, "--workers", 10**6], "--workers", MAX_WORKERS),
    (["sweep", BASELINE, "--param", "theatres.coupling=0:1:3", "--runs", 10**12], "--runs", MAX_RUNS),
    (["sweep", BASELINE, "--param", "theatres.coupling=0:1", "--design", "lhs", "--samples", 10**9],
     "--samples", MAX_SAMPLES),
    (["sweep", BASELINE, "--param", "theatres.coupling=0:1:3", "--block", 10**9], "--block", MAX_BLOCK),
    (["sweep", BASELINE, "--param", "theatres.coupling=0:1:3", "--workers", 10**6], "--workers", MAX_WORKERS),
    (["compare", BASELINE, BASELINE, "--runs", 10**12], "--runs", MAX_RUNS),
])
def test_command_line_counts_have_the_files_limits(capsys, tmp_path, argv, flag, limit):
    err = bad(capsys, *argv, "--out", tmp_path / "o", seconds=5)
    assert flag in err and f"{limit:,}" in err
    assert not (tmp_path / "o").exists()


def test_grid_levels_and_point_count_are_capped(capsys, tmp_path):
    err = bad(capsys, "sweep", BASELINE, "--param", "theatres.coupling=0:1:100000000", "--out", tmp_path / "o")
    assert "--param" in err and "at most 10,000" in err
    err = bad(capsys, "sweep", BASELINE, "--param", "theatres.coupling=0:1:10000", "--param",
              "policies.secondary_sanctions.intensity=0:1:10000", "--out", tmp_path / "o")
    assert "100,000,000 points" in err
    assert not (tmp_path / "o").exists()


def test_sweep_block_caps_in_the_file(write_yaml, capsys):
    path = write_yaml(f"extends: BASELINE\nname: x\nsweep:\n  runs: {10**12}\n")
    err = bad(capsys, "validate", path)
    assert err.startswith(f"{path}:4: sweep.runs:")


@pytest.mark.parametrize("op, fragment", [
    ("set: 5", "set 5 on states.china.capability gives 5, outside the allowed [0, 1]"),
    ("set: -0.1", "outside the allowed [0, 1]"),
    ("add: 0.9", "add 0.9 on states.china.capability gives"),
    ("multiply: 3", "multiply 3 on states.china.capability gives"),
])
def test_event_values_outside_bounds_are_refused(write_yaml, capsys, op, fragment):
    path = write_yaml(f"extends: BASELINE\nname: x\nevents:\n  - {{month: 3, path: states.china.capability, {op}}}\n")
    err = bad(capsys, "validate", path)
    assert err.startswith(f"{path}:4: events[0]: ") and fragment in err


def test_events_within_bounds_pass_and_chain_in_month_order(write_yaml):
    base = load_scenario(BASELINE)
    path, spec = next((p, s) for p, s in base.params.items() if p.startswith("states.china.")
                      and base.bounds[p][1] == 1 and (s.range[1] if s.range else s.value) < 0.9)
    top = spec.range[1] if spec.range else spec.value
    step = (1 - top) / 2
    ok = write_yaml(f"extends: BASELINE\nname: x\nevents:\n"
                    f"  - {{month: 5, path: {path}, add: {step}}}\n"
                    f"  - {{month: 2, path: {path}, add: {step}}}\n")
    load_scenario(ok)
    over = write_yaml(f"extends: BASELINE\nname: x\nevents:\n"
                      f"  - {{month: 5, path: {path}, add: {step}}}\n"
                      f"  - {{month: 2, path: {path}, add: {step}}}\n"
                      f"  - {{month: 9, path: {path}, add: {step}}}\n", name="over.yaml")
    with pytest.raises(ScenarioError) as info:
        load_scenario(over)
    assert info.value.path == "events[2]" and info.value.line == 6
