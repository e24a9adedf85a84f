"""Under CI=true no test may skip for a missing resource: it fails and names it."""

import os
import subprocess
import sys

from .conftest import ROOT


def run_docs_tests(tmp_path, ci: bool):
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["AXIS_SIM_SHARED"] = str(tmp_path / "no-shared-here")
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfs",
                           "tests/test_docs.py", "-k", "yaml_source_quotes_are_short_and_exact"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_missing_articles_skip_on_a_laptop_with_the_reason(tmp_path):
    res = run_docs_tests(tmp_path, ci=False)
    assert res.returncode == 0, res.stdout[-2000:]
    assert "skipped" in res.stdout and "failed" not in res.stdout
    assert "no-shared-here/seeds" in res.stdout


def test_missing_articles_fail_in_ci_naming_the_folder(tmp_path):
    res = run_docs_tests(tmp_path, ci=True)
    assert res.returncode == 1, res.stdout[-2000:]
    assert "required resource missing" in res.stdout
    assert "no-shared-here/seeds" in res.stdout
    assert "skipped" not in res.stdout.splitlines()[-1]
