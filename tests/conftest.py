import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"


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
