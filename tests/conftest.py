import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"
#: The articles and the calibration tables (not shipped with the project): ../shared beside
#: the repository, or the folder AXIS_SIM_SHARED names.
SHARED = Path(os.environ.get("AXIS_SIM_SHARED") or ROOT.parent / "shared")
#: In CI every test must run: a test that would skip for a missing resource fails instead.
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")

#: The model's own tests run first, so `pytest -x` stops within seconds on a model defect.
FIRST = ("test_decisions", "test_mechanisms", "test_model_validation", "test_model_reproducibility",
         "test_regression", "test_scenario_errors")


def need(condition: bool, resource: str) -> None:
    """Skip the calling test when ``resource`` is missing -- or fail, naming it, in CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true: required resource missing: {resource}", pytrace=False)
    pytest.skip(f"missing: {resource}")


def pytest_collection_modifyitems(config, items):
    def rank(item):
        name = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        return FIRST.index(name) if name in FIRST else len(FIRST)
    items.sort(key=rank)       # stable: the order inside a module is kept


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a skip of any origin is a failure that names its reason."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"CI=true: this test may not skip here ({reason})"


def run_cli(*args, cwd=None, timeout=300):
    """Run `python run.py ARGS` in a subprocess; return CompletedProcess (text)."""
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *map(str, args)], capture_output=True,
                          text=True, cwd=cwd or ROOT, timeout=timeout)


@pytest.fixture
def write_yaml(tmp_path):
    """Write a scenario file next to a copy-free `extends` of the real baseline."""
    def _write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text.replace("BASELINE", str(BASELINE)), encoding="utf-8")
        return path
    return _write
