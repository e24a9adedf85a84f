"""Writing results: atomic files, output-folder checks."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy, pandas and yaml load on first use: `run.py --help` stays fast
    import pandas as pd


class OutputExists(Exception):
    """The output folder is not empty and --force was not given."""


def make_dir(out: Path) -> Path:
    """Create an output folder, or raise OutputExists with the reason (bad input, exit 2)."""
    if str(out) == "":
        raise OutputExists("--out is empty")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputExists(f"--out {out}: cannot create the folder ({exc.strerror or exc})") from None
    if not os.access(out, os.W_OK):
        raise OutputExists(f"--out {out}: the folder is not writable")
    return out


def prepare_dir(path: str | Path, force: bool) -> Path:
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise OutputExists(f"{out} exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not force:
        raise OutputExists(f"{out} is not empty; use --force to overwrite or choose another --out")
    return make_dir(out)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def new_temp(path: Path) -> str:
    """A temporary file beside ``path`` with the usual permissions (mkstemp makes it 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())
    return tmp


def _atomic(path: Path, write) -> None:
    tmp = new_temp(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _clean(obj):
    import numpy as np
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return None if not math.isfinite(f) else f
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def write_text(path: Path, text: str) -> None:
    """Write atomically: a reader never sees half a file."""
    _atomic(Path(path), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_json(path: Path, data) -> None:
    write_text(path, json.dumps(_clean(data), indent=2, sort_keys=False) + "\n")


def write_yaml(path: Path, data) -> None:
    import yaml
    write_text(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110))


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    _atomic(Path(path), lambda tmp: frame.to_parquet(tmp, index=False))


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    """A CSV for spreadsheets: no index column, full float precision."""
    _atomic(Path(path), lambda tmp: frame.to_csv(tmp, index=False))


def read_json(path: Path):
    return json.loads(Path(path).read_text(encoding="utf-8"))
