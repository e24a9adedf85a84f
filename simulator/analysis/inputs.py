"""Reading output folders (run, compare, sweep) for the analyses, and their input error."""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import pandas as pd
import yaml

FOLDER_KINDS = ("run", "compare", "sweep")


class AnalysisError(Exception):
    """Bad input to an analysis (a folder, a target expression, a parameter); the command
    line reports it in one line with exit status 2."""


def read_manifest(folder: str | Path) -> dict:
    folder = Path(folder)
    if not folder.is_dir():
        raise AnalysisError(f"{folder}: no such folder")
    path = folder / "manifest.json"
    if not path.exists():
        raise AnalysisError(f"{folder}: not a run, compare or sweep folder (no manifest.json)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AnalysisError(f"{path}: cannot read: {exc}") from None


def folder_kind(folder: str | Path) -> str:
    kind = read_manifest(folder).get("kind")
    if kind not in FOLDER_KINDS:
        raise AnalysisError(f"{folder}: manifest.json kind is {kind!r}; expected one of "
                            f"{', '.join(FOLDER_KINDS)}")
    return kind


def require(folder: str | Path, *names: str) -> None:
    folder = Path(folder)
    missing = [n for n in names if not (folder / n).exists()]
    if missing:
        raise AnalysisError(f"{folder}: missing {', '.join(missing)} (is it a complete output folder?)")


def read_json(path: str | Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def read_parquet(path: str | Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise AnalysisError(f"{path}: cannot read: {exc}") from None


def read_resolved(folder: str | Path) -> dict:
    """The resolved scenario data of a folder (scenario.resolved.yaml), or {}."""
    path = Path(folder) / "scenario.resolved.yaml"
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def param_entry(data: dict, path: str) -> dict:
    """The {value, range, source} mapping of a dotted parameter path in resolved data ({} if absent)."""
    node = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return {}
        node = node[part]
    if isinstance(node, dict):
        return node
    if isinstance(node, (int, float)):
        return {"value": node}
    return {}


def month_label(start: str | None, month: int) -> str:
    """Calendar month of model month ``month`` (``start`` is 'YYYY-MM'), e.g. '2026-01'."""
    try:
        d = _dt.date.fromisoformat(f"{start}-01")
    except (TypeError, ValueError):
        return f"month {month}"
    total = d.year * 12 + (d.month - 1) + int(month)
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def is_param_column(name: str) -> bool:
    """Drawn parameters and design variables are named by dotted scenario path."""
    return "." in str(name)
