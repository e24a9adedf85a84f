"""Bad input: one line `FILE:LINE: path: message` on stderr, exit status 2, no traceback."""

import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.cli.main import main
from simulator.scenario import ScenarioError, load_scenario

from .conftest import BASELINE, run_cli


def validate(capsys, *args):
    code = main(["validate", *map(str, args)])
    err = capsys.readouterr().err.strip()
    return code, err


CASES = [
    # (name, yaml text, expected line, expected path, expected message fragment)
    ("unknown key", "name: x\nextends: BASELINE\nstates:\n  china:\n    risk_tolerence: 0.3\n",
     5, "states.china.risk_tolerence", "unknown key 'risk_tolerence' (did you mean 'risk_tolerance'?)"),
    ("unknown top key", "name: x\nextends: BASELINE\nhorizon_month: 12\n",
     3, "horizon_month", "did you mean 'horizon_months'?"),
    ("duplicate key", "name: x\nextends: BASELINE\nruns: 10\nruns: 20\n",
     4, "runs", "duplicate key (first given on line 3)"),
    ("wrong type", "name: x\nextends: BASELINE\nstates:\n  china:\n    risk_tolerance: high\n",
     5, "states.china.risk_tolerance", "expected a number"),
    ("wrong int type", "name: x\nextends: BASELINE\nhorizon_months: twelve\n",
     3, "horizon_months", "integer"),
    ("out of range", "name: x\nextends: BASELINE\nstates:\n  china:\n    risk_tolerance: 1.5\n",
     5, "states.china.risk_tolerance", "outside the allowed [0, 1]"),
    ("value outside its range", "name: x\nextends: BASELINE\nstates:\n  china:\n"
     "    sanction_exposure: {value: 0.9, range: [0.1, 0.5], source: assumption}\n",
     5, "states.china.sanction_exposure", "outside its range [0.1, 0.5]"),
    ("nan", "name: x\nextends: BASELINE\nstates:\n  china:\n    risk_tolerance: .nan\n",
     5, "states.china.risk_tolerance", "finite"),
    ("inf", "name: x\nextends: BASELINE\ntheatres:\n  coupling: .inf\n", 4, "theatres.coupling", "finite"),
    ("unknown state", "name: x\nextends: BASELINE\nstates:\n  chna:\n    risk_tolerance: 0.3\n",
     4, "states.chna", "unknown state 'chna' (did you mean 'china'?)"),
    ("unknown partner", "name: x\nextends: BASELINE\nstates:\n  china:\n    dependency:\n      rusia: 0.1\n",
     6, "states.china.dependency.rusia", "unknown state 'rusia' (did you mean 'russia'?)"),
    ("shares above 1", "name: x\nextends: BASELINE\nstates:\n  china:\n    dependency:\n"
     "      united_states: 0.6\n      europe: 0.6\n", 5, "states.china.dependency", "sum to"),
    ("missing extends", "name: x\nextends: nowhere.yaml\n", 2, "extends", "file not found: nowhere.yaml"),
    ("object tag", "name: x\nextends: BASELINE\nruns: !!python/object/apply:os.system ['echo hacked']\n",
     3, "runs", "YAML tag"),
    ("syntax", "name: x\nextends: BASELINE\nstates: [\n", 4, "", "YAML syntax error"),
    ("event on china's rung", "name: x\nextends: BASELINE\nevents:\n"
     "  - {month: 3, path: states.china.support.russia, set: 0}\n", 4, "events[0].path", "decision rules"),
    ("event past horizon", "name: x\nextends: BASELINE\nevents:\n"
     "  - {month: 36, path: theatres.coupling, set: 0.5}\n", 4, "events[0].month", "horizon"),
    ("event unknown path", "name: x\nextends: BASELINE\nevents:\n"
     "  - {month: 3, path: theatres.copling, set: 0.5}\n", 4, "events[0].path", "did you mean 'theatres.coupling'"),
    ("missing name", "extends: BASELINE\nruns: 10\n", 1, "name", "every scenario file names itself"),
    ("bad start", "name: x\nextends: BASELINE\nstart: someday\n", 3, "start", "should match pattern"),
    ("event two ops", "name: x\nextends: BASELINE\nevents:\n"
     "  - {month: 3, path: theatres.coupling, set: 0.5, add: 0.1}\n", 4, "events[0]", "exactly one"),
    # the whole message is given below: each case is the only one that reaches its raise
    ("not a mapping", "- name: x\n- extends: BASELINE\n", 1, "", "a scenario file must be a mapping of keys"),
    ("extends not a path", "name: x\nextends: [BASELINE]\n", 2, "extends", "must be a file path"),
    ("recursive alias", "name: x\nextends: BASELINE\nnotes: &a [*a]\n", 3, "notes[0]", "recursive YAML alias"),
    ("merge key", "name: x\nextends: BASELINE\nbase: &b {runs: 1}\nother:\n  <<: *b\n", 5, "other",
     "YAML merge keys ('<<') are not supported"),
    ("key not a scalar", "name: x\nextends: BASELINE\n? [runs, seed]\n: 1\n", 3, "",
     "mapping keys must be plain scalars"),
    ("range low > high", "name: x\nextends: BASELINE\nstates:\n  china:\n"
     "    sanction_exposure: {value: 0.5, range: [0.7, 0.3], source: assumption}\n",
     5, "states.china.sanction_exposure", "range [0.7, 0.3] has low > high"),
    ("range outside the allowed", "name: x\nextends: BASELINE\nstates:\n  china:\n"
     "    sanction_exposure: {value: 0.5, range: [0.1, 1.2], source: assumption}\n",
     5, "states.china.sanction_exposure", "range [0.1, 1.2] goes outside the allowed [0, 1]"),
    ("not a whole number", "name: x\nextends: BASELINE\npolicies:\n  secondary_sanctions:\n"
     "    lag_months: 2.5\n", 5, "policies.secondary_sanctions.lag_months", "value 2.5 must be a whole number"),
]


@pytest.mark.parametrize("name,text,line,path,fragment", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gives_one_clear_line_and_exit_2(capsys, write_yaml, name, text, line, path, fragment):
    file = write_yaml(text)
    code, err = validate(capsys, file)
    assert code == 2
    assert "\n" not in err and "Traceback" not in err
    where = f"{file}:{line}: "
    assert err.startswith(where), err
    assert err[len(where):].startswith(f"{path}: " if path else "(top level): "), err
    assert fragment in err, err


def test_circular_extends(capsys, tmp_path):
    (tmp_path / "a.yaml").write_text("name: a\nextends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("name: b\nextends: a.yaml\n")
    code, err = validate(capsys, tmp_path / "a.yaml")
    assert code == 2 and "circular extends: a.yaml -> b.yaml -> a.yaml" in err


def test_error_in_the_parent_file_names_the_parent(capsys, tmp_path):
    (tmp_path / "parent.yaml").write_text(f"name: p\nextends: {BASELINE}\nstates:\n  iran:\n    capability: 7\n")
    (tmp_path / "child.yaml").write_text("name: c\nextends: parent.yaml\n")
    code, err = validate(capsys, tmp_path / "child.yaml")
    assert code == 2 and err.startswith(f"{tmp_path / 'parent.yaml'}:5: states.iran.capability: ")


def test_unreadable_files_are_named(capsys, tmp_path):
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"name: caf\xe9\n")
    code, err = validate(capsys, bad)
    assert code == 2 and err == f"{bad}:1: (top level): not UTF-8 text (byte 9)"
    code, err = validate(capsys, tmp_path)
    assert code == 2 and err == f"{tmp_path}:1: (top level): not a regular file (a folder)"


def test_every_state_must_be_given_and_the_error_points_at_states(capsys, tmp_path):
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    del data["states"]["japan"], data["states"]["israel"]
    file = tmp_path / "standalone.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    line = file.read_text().splitlines().index("states:") + 1
    code, err = validate(capsys, file)
    assert code == 2
    assert err == f"{file}:{line}: states: missing: israel, japan (every one of the 10 states must be given)"


@pytest.mark.parametrize("override,line", [
    ("states.china.risk_tolerance=nan", "--set:2: states.china.risk_tolerance: value must be a finite number"),
    ("states.china.risk_tolerance=-inf", "--set:2: states.china.risk_tolerance: value must be a finite number"),
    ("policies.secundary_sanctions.intensity=0.3", "--set:2: policies.secundary_sanctions.intensity: no such "
     "path: unknown key 'secundary_sanctions' (did you mean 'secondary_sanctions'?)"),
])
def test_bad_override_exact_line(capsys, override, line):
    code, err = validate(capsys, BASELINE, "--set", "horizon_months=12", "--set", override)
    assert code == 2 and err == line


def test_missing_file(capsys, tmp_path):
    code, err = validate(capsys, tmp_path / "none.yaml")
    assert code == 2 and err == f"{tmp_path / 'none.yaml'}:1: (top level): file not found"


@pytest.mark.parametrize("override,fragment", [
    ("states.china.risk_tolerence=0.3", "no such numeric path (did you mean 'states.china.risk_tolerance'?)"),
    ("states.chna.risk_tolerance=0.3", "unknown state 'chna' (did you mean 'china'?)"),
    ("states.china.risk_tolerance=abc", "is not a number"),
    ("states.china.risk_tolerance=2", "outside the allowed [0, 1]"),
    ("states.china.risk_tolerance", "expected PATH=VALUE"),
    ("theatres.ukraine=0.3", "not a numeric parameter"),
])
def test_bad_override(capsys, override, fragment):
    code, err = validate(capsys, BASELINE, "--set", override)
    assert code == 2 and fragment in err, err


def test_plain_text_stays_text_and_exponents_are_numbers(write_yaml):
    r = load_scenario(write_yaml("name: nan\nextends: BASELINE\ntheatres:\n  coupling: 3e-1\n"))
    assert r.name == "nan" and r.params["theatres.coupling"].value == 0.3


def test_override_fixes_a_parameter():
    r = load_scenario(BASELINE, ["states.china.risk_tolerance=0.3", "horizon_months=12"])
    spec = r.params["states.china.risk_tolerance"]
    assert spec.value == 0.3 and spec.range is None and "override" in spec.source
    assert r.scenario.horizon_months == 12


def _count_ranges(node) -> int:
    """Parameters given as {value, range, ...} in plain YAML data (counted without the loader)."""
    if isinstance(node, dict):
        return int("range" in node and "value" in node) + sum(_count_ranges(v) for v in node.values())
    if isinstance(node, list):
        return sum(_count_ranges(v) for v in node)
    return 0


def test_bundled_scenarios_validate(capsys):
    from .conftest import SCENARIOS
    files = sorted(SCENARIOS.glob("*.yaml"))
    code = main(["validate", *map(str, files)])
    captured = capsys.readouterr()
    assert code == 0 and captured.err == ""
    lines = captured.out.splitlines()
    assert len(lines) == len(files)
    base = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    def chain_events(path):        # events concatenate along the extends chain
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        own = len(raw.get("events") or [])
        return own + (chain_events(path.parent / raw["extends"]) if "extends" in raw else 0)

    for file, line in zip(files, lines):
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
        events = chain_events(file)
        assert line.startswith(f"{file}: ok ({raw['name']}: "), line
        assert line.endswith(f" {events} event{'' if events == 1 else 's'})"), line
    ranges = _count_ranges({k: base[k] for k in ("states", "theatres", "policies", "decision")})
    assert f"{BASELINE}: ok (baseline: " in lines[files.index(BASELINE)]
    assert f", {ranges} with ranges, " in lines[files.index(BASELINE)]


def test_cli_subprocess_has_no_traceback(write_yaml):
    file = write_yaml("name: x\nextends: BASELINE\nstates:\n  china:\n    risk_tolerance: 1.5\n")
    proc = run_cli("run", file, "--runs", "10", "--quiet", "--out", file.parent / "out")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"{file}:5: states.china.risk_tolerance: value 1.5 is outside the allowed [0, 1]"]
    assert not (file.parent / "out").exists()


# ------------------------------------------------------------------ fuzzing the loader

BASE_TEXT = BASELINE.read_text(encoding="utf-8")
BASE_LINES = BASE_TEXT.splitlines()
JUNK = st.sampled_from(["", ":", "- x", "!!python/object:os.system", ".nan", "-1e9", "[", "{a: 1}", "true",
                        "\"text\"", "0.5", "&a x", "*a", "  risk_tolerance: 0.3", "states:", "1e999"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(min_value=0, max_value=len(BASE_LINES) - 1), junk=JUNK,
       mode=st.sampled_from(["replace_value", "insert", "delete", "append"]))
def test_fuzzed_files_load_or_fail_cleanly(tmp_path_factory, index, junk, mode):
    lines = list(BASE_LINES)
    if mode == "replace_value" and ":" in lines[index]:
        key = lines[index].split(":", 1)[0]
        lines[index] = f"{key}: {junk}"
    elif mode == "insert":
        lines.insert(index, junk)
    elif mode == "delete":
        del lines[index]
    else:
        lines[index] = lines[index] + " " + junk
    path = tmp_path_factory.mktemp("fuzz") / "fuzzed.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        load_scenario(path)
    except ScenarioError as exc:
        text = exc.format()
        assert "\n" not in text
        assert re.match(rf"^{re.escape(str(path))}:\d+: ", text), text


@settings(max_examples=40, deadline=None)
@given(value=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8), st.booleans(),
                       st.none(), st.integers(min_value=-10**6, max_value=10**6)),
       path=st.sampled_from(["states.china.risk_tolerance", "policies.secondary_sanctions.intensity",
                             "theatres.ukraine.rate", "decision.temperature", "horizon_months", "runs"]))
def test_any_value_at_any_path_is_accepted_or_refused_cleanly(value, path):
    data = yaml.safe_load(BASE_TEXT)
    node = data
    parts = path.split(".")
    for p in parts[:-1]:
        node = node[p]
    node[parts[-1]] = value
    from simulator.scenario.loader import _validate
    try:
        _validate(data, {}, "mem.yaml")
    except ScenarioError as exc:
        assert exc.format().startswith("mem.yaml:1: ")


def test_initial_support_above_its_cap_is_refused(capsys, write_yaml):
    file = write_yaml("name: x\nextends: BASELINE\nstates:\n  iran:\n    support: {china: 3}\n")
    code, err = validate(capsys, file)
    assert code == 2 and "above its max_support (2)" in err and err.startswith(f"{file}:")
