"""Compare scenarios run on common random numbers.

Every scenario of a comparison runs with the same seed and the same number of
replicates, so replicate ``i`` sees the same random streams and the same draws of
every shared parameter in each scenario (see :mod:`simulator.model.rng`).  The
difference between two scenarios is therefore estimated replicate by replicate
(paired), which removes most of the Monte Carlo noise: the 95% CI of a paired
difference is mean +/- 1.96 sd / sqrt(n) of the per-replicate differences.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from .inputs import AnalysisError, read_json, read_manifest, read_parquet, require
from .summary import Z95, wilson

#: Outcomes compared between scenarios: column -> (label, kind).  Binary outcomes are
#: probabilities; the others are means of per-replicate values.
COMPARED = {
    "china_stays": ("P(stays)", "probability"),
    "china_stays_throughout": ("P(stays throughout)", "probability"),
    "china_breaks_ever": ("P(breaks ever)", "probability"),
    "china_weapons_ever": ("P(weapons ever)", "probability"),
    "axis_cohesion": ("axis cohesion", "mean"),
    "front": ("front", "mean"),
    "china_cost": ("China cost", "mean"),
}


def paired_difference(a, b, z: float = Z95) -> dict:
    """Mean of the per-replicate differences ``b - a`` with its normal 95% CI."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise AnalysisError("paired difference needs the same replicates in both scenarios")
    d = b - a
    n = d.size
    if n == 0:
        return {"mean": math.nan, "ci95": [math.nan, math.nan], "n": 0}
    m = float(d.mean())
    half = z * float(d.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    return {"mean": m, "ci95": [m - half, m + half], "n": int(n)}


def unique_labels(names: list[str]) -> list[str]:
    """Scenario names made unique (a second 'baseline' becomes 'baseline-2')."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return out


def _aligned(first: pd.DataFrame, other: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    if "replicate" not in first or "replicate" not in other:
        return first.reset_index(drop=True), other.reset_index(drop=True)
    a = first.set_index("replicate").sort_index()
    b = other.set_index("replicate").sort_index()
    if not a.index.equals(b.index):
        raise AnalysisError("scenarios were not run on the same replicates (use the same --runs and --seed)")
    return a, b


def compare_table(outcomes: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """One row per scenario: each compared outcome, its 95% CI, and its paired difference
    from the first scenario with the difference's own 95% CI.

    ``outcomes`` is a list of (label, runs table) with one row per replicate.
    """
    if not outcomes:
        raise AnalysisError("nothing to compare")
    first_label, first = outcomes[0]
    rows = []
    for label, frame in outcomes:
        a, b = _aligned(first, frame)
        row: dict = {"scenario": label, "runs": int(len(frame))}
        for col, (_, kind) in COMPARED.items():
            if col not in frame:
                continue
            values = frame[col].to_numpy(dtype=float)
            n = values.size
            if kind == "probability":
                k = float(values.sum())
                row[col] = k / n if n else math.nan
                row[f"{col}_low"], row[f"{col}_high"] = wilson(k, n)
            else:
                m = float(values.mean()) if n else math.nan
                half = Z95 * float(values.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
                row[col], row[f"{col}_low"], row[f"{col}_high"] = m, m - half, m + half
            diff = paired_difference(a[col].to_numpy(), b[col].to_numpy())
            row[f"{col}_diff"] = diff["mean"]
            row[f"{col}_diff_low"], row[f"{col}_diff_high"] = diff["ci95"]
        if "china_rung" in frame:
            row["median_rung"] = float(np.median(frame["china_rung"])) if len(frame) else math.nan
        rows.append(row)
    table = pd.DataFrame(rows)
    table.attrs["reference"] = first_label
    return table


def table_lines(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Headers and rows for a plain-text (or Markdown) comparison table."""
    ref = table["scenario"].iloc[0]
    headers = ["scenario", "runs", "P(stays) [95% CI]", f"difference vs {ref} [95% CI]",
               "P(stays throughout)", "P(weapons ever)", "median rung", "front", "China cost"]
    rows = []
    for i, r in table.iterrows():
        diff = ("(reference)" if i == 0 else
                f"{r['china_stays_diff']:+.3f} [{r['china_stays_diff_low']:+.3f}, {r['china_stays_diff_high']:+.3f}]")
        rows.append([str(r["scenario"]), str(int(r["runs"])),
                     f"{r['china_stays']:.3f} [{r['china_stays_low']:.3f}, {r['china_stays_high']:.3f}]",
                     diff, f"{r.get('china_stays_throughout', math.nan):.3f}",
                     f"{r.get('china_weapons_ever', math.nan):.3f}",
                     f"{r.get('median_rung', math.nan):.0f}", f"{r.get('front', math.nan):.2f}",
                     f"{r.get('china_cost', math.nan):.2f}"])
    return headers, rows


def members(folder: str | Path) -> list[dict]:
    """The scenarios of a compare folder: [{label, name, folder (Path)}...] in order."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest.get("kind") != "compare":
        raise AnalysisError(f"{folder}: not a compare folder (kind {manifest.get('kind')!r})")
    out = []
    for entry in manifest.get("scenarios", []):
        sub = folder / entry["folder"]
        require(sub, "runs.parquet", "summary.json", "bands.parquet")
        out.append({**entry, "path": sub})
    if not out:
        raise AnalysisError(f"{folder}: the manifest lists no scenarios")
    return out


def compare_folder(folder: str | Path) -> pd.DataFrame:
    """The comparison table recomputed from a compare folder's scenario sub-folders."""
    entries = members(folder)
    return compare_table([(e["label"], read_parquet(e["path"] / "runs.parquet")) for e in entries])


def load_members(folder: str | Path) -> list[dict]:
    """Each scenario's label, summary and bands (for the charts)."""
    return [{"label": e["label"], "summary": read_json(e["path"] / "summary.json"),
             "bands": read_parquet(e["path"] / "bands.parquet"), "path": e["path"]}
            for e in members(folder)]
