"""Writing results: atomic files, output-folder checks."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml


class OutputExists(Exception):
    """The output folder is not empty and --force was not given."""


def prepare_dir(path: str | Path, force: bool) -> Path:
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise OutputExists(f"{out} exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not force:
        raise OutputExists(f"{out} is not empty; use --force to overwrite or choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _clean(obj):
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


def write_json(path: Path, data) -> None:
    text = json.dumps(_clean(data), indent=2, sort_keys=False) + "\n"
    _atomic(Path(path), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_yaml(path: Path, data) -> None:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
    _atomic(Path(path), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    _atomic(Path(path), lambda tmp: frame.to_parquet(tmp, index=False))


def read_json(path: Path):
    return json.loads(Path(path).read_text(encoding="utf-8"))
