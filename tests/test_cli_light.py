"""The command line answers help and validate without loading the heavy libraries, and its
messages read as plain English (plurals, no doubled percent signs, sorted sweep tables)."""

import os
import subprocess
import sys

import pytest

from simulator.cli.common import decimals_for, plural
from simulator.cli.main import main

from .conftest import BASELINE, ROOT, SCENARIOS, run_cli

HEAVY = ("numpy", "pandas", "matplotlib", "mesa", "scipy", "SALib", "dask", "pyarrow", "networkx")


def imported_by(*argv: str) -> set[str]:
    """Top-level packages that `python -X importtime run.py ARGV` imports."""
    proc = subprocess.run([sys.executable, "-X", "importtime", str(ROOT / "run.py"), *argv],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    assert "simulator" in names          # the parse worked
    return names


@pytest.mark.parametrize("argv", [("--help",), ("run", "--help"), ("sweep", "--help"),
                                  ("compare", "--help"), ("validate", str(BASELINE))])
def test_help_and_validate_do_not_import_heavy_libraries(argv):
    heavy = imported_by(*argv) & set(HEAVY)
    assert not heavy, f"run.py {' '.join(argv)} imports {sorted(heavy)}"


def test_compare_help_shows_a_single_percent_sign():
    out = run_cli("compare", "--help").stdout
    assert "95% CI" in out and "%%" not in out


def test_validate_counts_events_in_plain_english(capsys):
    one = SCENARIOS / "ukraine_stalemate.yaml"
    assert main(["validate", str(one), str(BASELINE)]) == 0
    out = capsys.readouterr().out
    assert "1 event)" in out and "1 events" not in out
    assert "0 events)" in out


def test_plural():
    assert [plural(n, "task") for n in (0, 1, 2)] == ["0 tasks", "1 task", "2 tasks"]


def test_decimals_follow_the_spread_of_the_values():
    assert decimals_for([0.1234567, 0.5, 0.9])(0.1234567) == "0.123"
    assert decimals_for([0.1234567, 0.15, 0.19])(0.1234567) == "0.1235"
    assert decimals_for([1.0, 2.0, 3.0])(2.0) == "2"
    assert decimals_for([0.0, 0.25, 0.5])(0.25) == "0.25"
    assert decimals_for([0.3])(0.3) == "0.3"
    assert decimals_for([0.2, 0.8])(0.2) == "0.2"


def test_lhs_sweep_table_is_sorted_and_rounded(tmp_path, capsys):
    param = "policies.secondary_sanctions.intensity"
    assert main(["sweep", str(BASELINE), "--set", "horizon_months=6", "--design", "lhs", "--samples", "6",
                 "--param", f"{param}=0:1", "--runs", "20", "--block", "20", "--seed", "3",
                 "--out", str(tmp_path / "s"), "--quiet", "--no-charts"]) == 0
    out = capsys.readouterr().out
    assert "6 tasks run in this process" in out and "in-process" not in out
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith(param))
    cells = [line.split()[0] for line in lines[head + 2: head + 8]]
    values = [float(c) for c in cells]
    assert values == sorted(values) and len(set(values)) == 6
    assert all(len(c.split(".")[1]) == 3 for c in cells), cells     # 0-1 range: three decimals


def test_run_py_with_an_interpreter_without_dependencies_uses_the_project_venv():
    """After `make run`, `python run.py ...` with the system Python re-runs itself in .venv."""
    bare = getattr(sys, "_base_executable", None)
    venv = ROOT / ".venv" / "bin" / "python"
    if not bare or not venv.exists():
        pytest.skip("needs the project's .venv and the interpreter it was made from")
    probe = subprocess.run([bare, "-c", "import importlib.util as u; print(u.find_spec('pandas') is None)"],
                           capture_output=True, text=True, timeout=60)
    if probe.stdout.strip() != "True":
        pytest.skip(f"{bare} has the dependencies itself")
    proc = subprocess.run([bare, str(ROOT / "run.py"), "validate", str(BASELINE)], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"{BASELINE}: ok (baseline: ")
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["AXIS_SIM_REEXEC"] = "1"                     # as if re-run already: says what is missing, exit 1
    proc = subprocess.run([bare, str(ROOT / "run.py"), "--help"], capture_output=True, text=True, cwd=ROOT,
                          timeout=60, env=env)
    assert proc.returncode == 1 and "not installed" in proc.stderr and "make run" in proc.stderr
