"""Who did what: every Western and regional decision over time, next to China's support to Russia.

One panel per deciding state: the mean level of each of its decisions over runs (solid when the
state decides it, dashed when the scenario fixes it), from the run folder's policies.parquet;
the first panel is China's mean rung to Russia (from bands.parquet) for reference.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.lines import Line2D

from ..model.decisions import N_RUNGS
from ..model.world import KINDS, STATES
from .style import (OKABE_ITO, add_footer, events_caption, footer_text, legend_below, mark_events, month_axis,
                    save, tight)

KIND_COLOURS = {k.id: OKABE_ITO[i % len(OKABE_ITO)] for i, k in enumerate(KINDS)}
KIND_LABELS = {k.id: k.label for k in KINDS}
NAMES = {s.id: s.name for s in STATES}


def policies_figure(policies: pd.DataFrame, bands: pd.DataFrame, summary: dict, manifest: dict):
    name = summary.get("scenario", "?")
    start, horizon = summary.get("start"), int(summary["horizon_months"])
    modes = {p: v.get("mode", "decided") for p, v in summary.get("policies", {}).items()}
    states = list(dict.fromkeys(policies["state"]))
    cols = min(4, len(states) + 1)
    rows = -(-(len(states) + 1) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols + 0.6, 2.9 * rows + 1.4), squeeze=False,
                             sharex=True)
    fig.suptitle(f"Who did what? ({name}) Western and regional decisions next to China's\n"
                 "Mean level over runs, 0-1 (solid: decided by the state each month; dashed: fixed by the "
                 "scenario); first panel: China's mean rung to Russia", fontsize=10)
    flat = axes.ravel()
    china = bands[bands["series"].str.startswith("share_russia_rung")]
    if not china.empty:
        wide = china.pivot_table(index="month", columns="series", values="mean")
        mean = sum(wide[f"share_russia_rung{k}"] * k for k in range(N_RUNGS))
        flat[0].plot(mean.index, mean.to_numpy(), color="#333333", linewidth=2)
        flat[0].set_ylim(0, N_RUNGS - 1)
        flat[0].set_ylabel("rung (0-4)")
    flat[0].set_title("China -> Russia (support rung)", fontsize=9)
    handles = {}
    for ax, state in zip(flat[1:], states):
        mine = policies[policies["state"] == state]
        for policy in dict.fromkeys(mine["policy"]):
            kind = policy.split(".", 1)[1]
            level = mine[(mine["policy"] == policy)].groupby("month")["mean_level"].first()
            fixed = modes.get(policy, "decided") != "decided"
            ax.plot(level.index, level.to_numpy(), color=KIND_COLOURS.get(kind, "#555555"),
                    linestyle="--" if fixed else "-", linewidth=1.8)
            handles.setdefault(KIND_LABELS.get(kind, kind),
                               Line2D([0], [0], color=KIND_COLOURS.get(kind, "#555555"), linewidth=1.8))
        ax.set_title(NAMES.get(state, state), fontsize=9)
        ax.set_ylim(0, max(1.05, 1.05 * float(mine["mean_level"].max())))   # resistance can exceed 1
    for ax in flat[len(states) + 1:]:
        ax.axis("off")
    for ax in flat[:len(states) + 1]:
        ax.grid(alpha=0.3)
        mark_events(ax, summary.get("events"), notes=False)
        month_axis(ax, start, horizon, label=False)
    handles["decided by the state"] = Line2D([0], [0], color="#555555", linewidth=1.8)
    handles["fixed by the scenario"] = Line2D([0], [0], color="#555555", linewidth=1.8, linestyle="--")
    legend_below(fig, list(handles.values()), list(handles.keys()), ncol=8, y=0.03)
    events_caption(fig, summary.get("events"), start, y=0.075)
    add_footer(fig, footer_text(manifest, name, summary.get("runs"), summary.get("seed")))
    tight(fig, (0, 0.1, 1, 1), "policies")
    return fig


def draw_policies(folder: str | Path) -> list[Path]:
    """Draw the who-did-what chart of a run folder (nothing if it has no policies.parquet)."""
    from ..experiment.store import read_json
    folder = Path(folder)
    if not (folder / "policies.parquet").exists():
        return []
    policies = pd.read_parquet(folder / "policies.parquet")
    if policies.empty:
        return []
    bands = pd.read_parquet(folder / "bands.parquet")
    summary = read_json(folder / "summary.json")
    manifest = read_json(folder / "manifest.json") if (folder / "manifest.json").exists() else {}
    return save(policies_figure(policies, bands, summary, manifest), folder, "policies")
