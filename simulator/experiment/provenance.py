"""Provenance: versions, git hash, command and time for every output folder."""

from __future__ import annotations

import datetime as _dt
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from .. import __version__

LIBRARIES = ("mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "PyYAML", "matplotlib",
             "SALib", "dask", "distributed", "prim")
_ROOT = Path(__file__).resolve().parents[2]


def git_hash() -> str:
    try:
        out = subprocess.run(["git", "-C", str(_ROOT), "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, timeout=5)
        if out.returncode != 0:
            return "unknown"
        # documentation does not change results: edits under docs/ do not make the code "dirty"
        dirty = subprocess.run(["git", "-C", str(_ROOT), "status", "--porcelain", "--untracked-files=no",
                                "--", ".", ":(exclude)docs"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def code_digest() -> str:
    """A hash of the simulator's source code (every .py file of the package, path and content).

    It changes with any edit, committed or not, so a "-dirty" tree whose diff changed counts as
    different code; it needs no git."""
    import hashlib
    package = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        h.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "axis-sim": __version__}
    for lib in LIBRARIES:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            out[lib] = "not installed"
    return out


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def command_line() -> str:
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else ""
