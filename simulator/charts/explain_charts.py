"""Charts of ``explain``: the named utility terms of China's decision, and what moved it."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from ..analysis.explain import TERM_LABELS, Explanation, explain_folder
from ..analysis.inputs import month_label, read_json, read_manifest
from ..scenario.schema import RUNG_NAMES
from .style import OKABE_ITO, add_footer, events_caption, legend_below, footer_text, mark_events, month_axis, save, tight

TERM_COLOURS = {
    "strategic_gain": "#0072B2", "sanction_cost": "#D55E00", "instability_cost": "#E69F00",
    "prestige_cost": "#CC79A7", "allies_cost": "#56B4E9", "leader_tie": "#009E73", "inertia": "#999999",
}
TERM_STYLES = {"inertia": ":", "allies_cost": "--", "prestige_cost": "-."}


def terms_figure(ex: Explanation, summary: dict, manifest: dict):
    """Each named term at the rung China chose, month by month, with their total."""
    name = summary.get("scenario", manifest.get("scenario", "?"))
    fig, ax = plt.subplots(figsize=(10, 5.8))
    fig.suptitle(f"What weighs on China's support to Russia, month by month? ({name})\n"
                 "Utility terms of China's choice at the rung it chose", fontsize=11)
    held = ex.held
    x = held.index.to_numpy()
    for term in [t for t in held.columns if t != "total"]:
        ax.plot(x, held[term], color=TERM_COLOURS.get(term, OKABE_ITO[7]), linewidth=1.8,
                linestyle=TERM_STYLES.get(term, "-"), label=TERM_LABELS.get(term, term))
    ax.plot(x, held["total"], color="#000000", linewidth=2.8, label="total utility (sum of the terms)")
    ax.axhline(0, color="#777777", linewidth=0.8)
    for month, old, new in ex.changes[:6]:
        ax.axvline(month, color="#777777", linestyle=":", linewidth=1)
        ax.text(month, 0.5, f" median rung {RUNG_NAMES[old]} -> {RUNG_NAMES[new]}",
                transform=ax.get_xaxis_transform(), rotation=90, fontsize=7, color="#444444",
                va="center", ha="right")
    month_axis(ax, summary.get("start"), int(x.max()) if len(x) else 1)
    mark_events(ax, summary.get("events"))
    events_caption(fig, summary.get("events"), summary.get("start"), y=0.035)
    ax.set_ylabel("utility (mean over runs; costs negative)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.text(0.0, -0.2, "Means over all runs, not medians, so the coloured terms add up exactly to the "
            "black total.", transform=ax.transAxes, fontsize=8, color="#333333")
    add_footer(fig, footer_text(manifest, name, summary.get("runs"), summary.get("seed")))
    tight(fig, (0, 0.07, 1, 1), "explain_terms")
    return fig


def waterfall_figure(ex: Explanation, summary: dict, manifest: dict):
    """Waterfall of each term's push: its value at the new rung minus at the old rung."""
    name = summary.get("scenario", manifest.get("scenario", "?"))
    old, new = RUNG_NAMES[ex.old], RUNG_NAMES[ex.new]
    when = f"month {ex.month} ({month_label(ex.start, ex.month)})"
    if ex.kind == "change":
        question = f"Why did China move from '{old}' to '{new}' in {when}?"
        ylabel = f"utility of '{new}' minus '{old}'"
    else:
        question = f"What keeps China at '{new}' rather than '{old}'? ({when})"
        ylabel = f"utility of '{new}' minus '{old}'"
    push = ex.push.sort_values(key=np.abs, ascending=False, kind="stable")
    fig, ax = plt.subplots(figsize=(10, 5.5))
    fig.suptitle(f"{question} ({name})\nEach bar: how much a term favours '{new}' (up) or '{old}' (down)",
                 fontsize=11)
    running = 0.0
    labels = []
    for i, (term, value) in enumerate(push.items()):
        c = OKABE_ITO[0] if value >= 0 else OKABE_ITO[3]
        ax.bar(i, value, bottom=running, color=c, width=0.65,
               label=(f"favours '{new}'" if value >= 0 else f"favours '{old}'"))
        ax.annotate(f"{value:+.3f}", (i, running + value), textcoords="offset points",
                    xytext=(0, 3 if value >= 0 else -10), ha="center", fontsize=8)
        if i + 1 < len(push) + 1:
            ax.plot([i + 0.33, i + 0.67], [running + value] * 2, color="#777777", linewidth=0.8)
        running += value
        labels.append(TERM_LABELS.get(term, term))
    k = len(push)
    ax.bar(k, running, color="#000000", width=0.65, label="net difference (sum of the terms)")
    ax.annotate(f"{running:+.3f}", (k, running), textcoords="offset points",
                xytext=(0, 3 if running >= 0 else -10), ha="center", fontsize=8, fontweight="bold")
    labels.append("net")
    ax.axhline(0, color="#777777", linewidth=0.8)
    levels = np.r_[0.0, np.cumsum(push.to_numpy(dtype=float))]
    low, high = float(min(levels.min(), 0.0)), float(max(levels.max(), 0.0))
    pad = 0.12 * (high - low or 1.0)
    ax.set_ylim(low - pad, high + pad)               # room for the value labels at both ends
    ax.set_xticks(range(k + 1))
    ax.set_xticklabels(labels, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel(f"{ylabel}\n(mean over runs)")
    handles, names = ax.get_legend_handles_labels()
    seen = {}
    for h, n in zip(handles, names):
        seen.setdefault(n, h)
    legend_below(fig, list(seen.values()), list(seen.keys()), ncol=3, y=0.03)
    ax.grid(axis="y", alpha=0.3)
    add_footer(fig, footer_text(manifest, name, summary.get("runs"), summary.get("seed")))
    tight(fig, (0, 0.07, 1, 1), "explain_waterfall")
    return fig


def explain_figures(folder: str | Path, month: int | None = None, ex: Explanation | None = None) -> dict:
    folder = Path(folder)
    ex = ex or explain_folder(folder, month)
    manifest = read_manifest(folder)
    summary = read_json(folder / "summary.json") if (folder / "summary.json").exists() else {}
    return {"explain_terms": terms_figure(ex, summary, manifest),
            "explain_waterfall": waterfall_figure(ex, summary, manifest)}


def draw_explain(folder: str | Path, month: int | None = None, ex: Explanation | None = None) -> list[Path]:
    paths = []
    for stem, fig in explain_figures(folder, month, ex).items():
        paths += save(fig, Path(folder), stem)
    return paths
