"""Chart of global sensitivity: which assumption decides whether China stays?"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..analysis.inputs import read_manifest, read_parquet
from .style import OKABE_ITO, add_footer, footer_text, save, tight

MAX_PANELS = 4


def _label(path: str) -> str:
    try:
        from .sweep_charts import humanize
        return f"{humanize(path)}\n[{path}]"
    except ImportError:   # pragma: no cover - the sweep charts ship with the sweeps
        return path


def _sobol_panel(ax, t: pd.DataFrame, first: bool):
    t = t.sort_values("ST", ascending=True, kind="stable")
    y = np.arange(len(t))
    h = 0.38
    ax.barh(y + h / 2, t["ST"].clip(lower=0), height=h, color=OKABE_ITO[0],
            xerr=t["ST_conf"], error_kw={"elinewidth": 1, "capsize": 3, "ecolor": "#333333"},
            label="total order ST (with interactions)")
    ax.barh(y - h / 2, t["S1"].clip(lower=0), height=h, color=OKABE_ITO[1],
            xerr=t["S1_conf"], error_kw={"elinewidth": 1, "capsize": 3, "ecolor": "#333333"},
            label="first order S1 (alone)")
    ax.set_yticks(y)
    ax.set_yticklabels([_label(p) for p in t["parameter"]], fontsize=7)
    ax.set_xlabel("share of the outcome's variance (0-1); whiskers: 95% CI", fontsize=8)
    hi = float(np.nanmax((t["ST"] + t["ST_conf"]).to_numpy())) if len(t) else 1.0
    right = max(0.1, min(1.2, hi * 1.1))
    ax.set_xlim(0, right)
    for yy, value in zip(y, t["ST"].to_numpy()):      # bars beyond the axis: say so, with the value
        if value > right:
            ax.annotate(f"ST = {value:.2f} (beyond axis; too few samples)", (right, yy + h / 2),
                        xytext=(-4, 0), textcoords="offset points", ha="right", va="center", fontsize=6)


def _morris_panel(ax, t: pd.DataFrame, first: bool):
    t = t.sort_values("mu_star", ascending=True, kind="stable")
    y = np.arange(len(t))
    h = 0.38
    ax.barh(y + h / 2, t["mu_star"], height=h, color=OKABE_ITO[0], xerr=t["mu_star_conf"],
            error_kw={"elinewidth": 1, "capsize": 3, "ecolor": "#333333"},
            label="mu* (overall influence)")
    ax.barh(y - h / 2, t["sigma"], height=h, color=OKABE_ITO[1],
            label="sigma (non-linearity / interactions)")
    ax.set_yticks(y)
    ax.set_yticklabels([_label(p) for p in t["parameter"]], fontsize=7)
    ax.set_xlabel("change of the outcome over the parameter's full range; whiskers: 95% CI of mu*",
                  fontsize=8)


def sensitivity_figure(table: pd.DataFrame, manifest: dict, notes: list[str] | None = None):
    """One panel per outcome (P(stays) first): Sobol' S1 and ST with 95% CIs, or Morris
    mu* (with 95% CI) and sigma, per parameter."""
    method = str(table["method"].iloc[0])
    outputs = list(dict.fromkeys(table["output"]))[:MAX_PANELS]
    n = len(outputs)
    params = table["parameter"].nunique()
    cols = 1 if n == 1 else 2
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(12 if cols == 2 else 9, 1.8 + rows * (0.55 * params + 1.6)),
                             squeeze=False)
    name = manifest.get("scenario", "?")
    what = ("Sobol' indices: share of the variance each assumption explains" if method == "sobol" else
            "Morris screening: how much each assumption moves the outcome")
    fig.suptitle(f"Which assumptions decide whether China stays? ({name})\n{what}", fontsize=11)
    for i, out in enumerate(outputs):
        ax = axes[i // cols][i % cols]
        t = table[table["output"] == out]
        (_sobol_panel if method == "sobol" else _morris_panel)(ax, t, first=(i % cols == 0))
        ax.set_title(str(t["output_label"].iloc[0]), fontsize=9, fontweight="bold" if i == 0 else "normal")
        ax.grid(axis="x", alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    for j in range(n, rows * cols):
        axes[j // cols][j % cols].axis("off")
    design = manifest.get("design") or {}
    extra = (f"{design.get('points', manifest.get('points', '?'))} design points ({design.get('formula', '')}) x "
             f"{manifest.get('runs', '?')} runs; each point's outcome is a Monte Carlo estimate, so indices "
             f"below ~0.02 are noise.")
    if notes:
        extra += " " + " ".join(notes)
    fig.text(0.01, 0.025, "\n".join(textwrap.wrap(extra, 190)), fontsize=7, color="#333333")
    runs = f"{manifest.get('runs', '?')} per point x {manifest.get('points', '?')} points"
    add_footer(fig, footer_text(manifest, name, runs, manifest.get("seed")) + f" | method: {method}")
    tight(fig, (0, 0.06, 1, 1), "sensitivity")
    return fig


def draw_sensitivity(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    table = read_parquet(folder / "sensitivity.parquet")
    if table.empty:
        return []
    notes = []
    if (folder / "sensitivity.json").exists():
        import json
        notes = json.loads((folder / "sensitivity.json").read_text(encoding="utf-8")).get("notes", [])
    return save(sensitivity_figure(table, read_manifest(folder), notes), folder, "sensitivity")
