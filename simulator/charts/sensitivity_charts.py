"""Chart of global sensitivity: which assumption decides whether China stays?"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..analysis.inputs import read_manifest, read_parquet
from ..analysis.labels import plain_label
from .style import OKABE_ITO, add_footer, footer_text, legend_below, save, tight

MAX_PANELS = 4
#: Parameters per panel (the most influential): a design over every drawn parameter has ~150.
MAX_BARS = 25


def _label(path: str) -> str:
    return "\n".join(textwrap.wrap(plain_label(path), 38))


def _clipped_whiskers(ax, y: np.ndarray, values: np.ndarray, conf: np.ndarray, left: float, right: float):
    """Whiskers drawn within [left, right]; where a 95% CI runs past the axis, the whisker ends in an
    arrow at the edge with the interval's end written beside it."""
    lo, hi = values - conf, values + conf
    for yy, a, b in zip(y, lo, hi):
        if not (np.isfinite(a) and np.isfinite(b)):
            continue
        ax.plot([max(a, left), min(b, right)], [yy, yy], color="#333333", linewidth=1, gid="whisker")
        for end, edge, side in ((a, left, "left"), (b, right, "right")):
            if (side == "left" and end < left) or (side == "right" and end > right):
                ax.annotate(f"CI to {end:.2f}", (edge, yy), xytext=(-3 if side == "right" else 3, 4),
                            textcoords="offset points", ha="right" if side == "right" else "left",
                            va="bottom", fontsize=6, color="#333333", gid="clipped")
                ax.plot([edge], [yy], marker=">" if side == "right" else "<", color="#333333", markersize=4,
                        gid="clipped-marker", clip_on=False)


def _sobol_panel(ax, t: pd.DataFrame, first: bool):
    t = t.sort_values("ST", ascending=True, kind="stable")
    y = np.arange(len(t))
    h = 0.38
    st, s1 = t["ST"].to_numpy(float), t["S1"].to_numpy(float)
    st_c, s1_c = t["ST_conf"].to_numpy(float), t["S1_conf"].to_numpy(float)
    hi = float(np.nanmax(np.r_[st + st_c, s1 + s1_c])) if len(t) else 1.0
    right = max(0.1, min(1.2, hi * 1.05))
    low = float(np.nanmin(np.r_[st - st_c, s1 - s1_c])) if len(t) else 0.0
    left = max(-0.1, min(0.0, low - 0.01))      # small negative CI ends shown; beyond -0.1 labelled
    ax.barh(y + h / 2, np.clip(st, 0, right), height=h, color=OKABE_ITO[0], label="total order ST (with interactions)")
    ax.barh(y - h / 2, np.clip(s1, 0, right), height=h, color=OKABE_ITO[1], label="first order S1 (alone)")
    _clipped_whiskers(ax, y + h / 2, st, st_c, left, right)
    _clipped_whiskers(ax, y - h / 2, s1, s1_c, left, right)
    ax.set_yticks(y)
    ax.set_yticklabels([_label(p) for p in t["parameter"]], fontsize=7)
    ax.set_xlabel("share of the outcome's variance (0-1); whiskers: 95% CI", fontsize=8)
    ax.set_xlim(left, right)
    if left < 0:
        ax.axvline(0, color="#777777", linewidth=0.8)
    for yy, value in zip(y, st):      # bars beyond the axis: say so, with the value
        if value > right:
            ax.annotate(f"ST = {value:.2f} (beyond axis; too few samples)", (right, yy + h / 2),
                        xytext=(-4, -6), textcoords="offset points", ha="right", va="center", fontsize=6,
                        gid="clipped")


def _morris_panel(ax, t: pd.DataFrame, first: bool):
    t = t.sort_values("mu_star", ascending=True, kind="stable")
    y = np.arange(len(t))
    h = 0.38
    mu, conf, sigma = (t[c].to_numpy(float) for c in ("mu_star", "mu_star_conf", "sigma"))
    right = float(np.nanmax(np.r_[mu + conf, sigma])) * 1.08 if len(t) else 1.0
    ax.barh(y + h / 2, mu, height=h, color=OKABE_ITO[0], label="mu* (overall influence)")
    ax.barh(y - h / 2, sigma, height=h, color=OKABE_ITO[1], label="sigma (non-linearity / interactions)")
    _clipped_whiskers(ax, y + h / 2, mu, conf, 0.0, right)
    ax.set_xlim(0, right if right > 0 else 1.0)
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
    total = table["parameter"].nunique()
    key = "ST" if method == "sobol" else "mu_star"
    table = pd.concat([table[table["output"] == o].sort_values(key, ascending=False, kind="stable").head(MAX_BARS)
                       for o in outputs], ignore_index=True)      # the most influential of each outcome
    params = min(total, MAX_BARS)
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
    for j in range(n, rows * cols):
        axes[j // cols][j % cols].axis("off")
    handles, labels = axes[0][0].get_legend_handles_labels()
    legend_below(fig, handles, labels, ncol=2, y=0.065)
    design = manifest.get("design") or {}
    extra = (f"{design.get('points', manifest.get('points', '?'))} design points ({design.get('formula', '')}) x "
             f"{manifest.get('runs', '?')} runs; each point's outcome is a Monte Carlo estimate, so indices "
             f"below ~0.02 are noise.")
    if total > MAX_BARS:
        extra += f" Each panel shows the {MAX_BARS} most influential of the {total} parameters."
    if notes:
        extra += " " + " ".join(notes)
    fig.text(0.01, 0.025, "\n".join(textwrap.wrap(extra, 190)), fontsize=7, color="#333333", gid="notes")
    runs = f"{manifest.get('runs', '?')} per point x {manifest.get('points', '?')} points"
    add_footer(fig, footer_text(manifest, name, runs, manifest.get("seed")) + f" | method: {method}")
    tight(fig, (0, 0.11, 1, 1), "sensitivity")
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
