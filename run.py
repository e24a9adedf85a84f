#!/usr/bin/env python3
"""Run the axis-sim command line: ``python run.py --help``.

With an interpreter that lacks the dependencies (the system Python after ``make run``), the
command re-runs itself with the project's .venv, so the README's commands work as written.
"""

import importlib.util
import os
import sys
from pathlib import Path

REQUIRED = ("numpy", "pandas", "pydantic", "yaml", "mesa", "matplotlib")


def _missing() -> list[str]:
    return [name for name in REQUIRED if importlib.util.find_spec(name) is None]


def _venv_python() -> Path | None:
    here = Path(__file__).resolve().parent
    for name in (os.environ.get("VENV") or ".venv", ".venv"):
        candidate = here / name / "bin" / "python"
        if candidate.exists():
            return candidate
    return None


if _missing():
    venv = _venv_python()
    if venv is not None and not os.environ.get("AXIS_SIM_REEXEC") and Path(sys.prefix).resolve() != venv.parent.parent.resolve():
        os.environ["AXIS_SIM_REEXEC"] = "1"
        os.execv(str(venv), [str(venv), str(Path(__file__).resolve()), *sys.argv[1:]])
    print(f"error: {', '.join(_missing())} not installed for {sys.executable}. Install first: `make run` "
          f"(creates .venv) or `pip install -e .`", file=sys.stderr)
    sys.exit(1)

from simulator.cli.main import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
