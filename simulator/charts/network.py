"""The alignment network: who supports whom inside the axis, and how much, at chosen months.

States are nodes, the axis beside the West; each directed support link is an arrow whose width
and colour show the mean support rung over runs (``links.parquet``), and a bar per link shows the
share of runs at each rung at the horizon (``link_rungs.parquet``).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.patches import Patch

from ..analysis.inputs import AnalysisError, month_label, read_json, read_manifest, read_parquet
from ..model.decisions import N_RUNGS
from ..scenario.schema import AXIS, RUNG_NAMES
from .style import RUNG_COLOURS, add_footer, footer_text, save, tight

#: The axis on the left, the West on the right (it acts mostly through policies: sanctions,
#: support to Ukraine, deterrence; its one support link in the model is South Korea -> Ukraine).
POSITIONS = {"russia": (0.0, 1.0), "china": (1.0, 1.0), "iran": (0.0, 0.0), "north_korea": (1.0, 0.0),
             "united_states": (2.1, 1.45), "europe": (2.1, 0.9), "japan": (2.1, 0.35),
             "south_korea": (2.1, -0.2), "ukraine": (2.9, 0.1), "israel": (2.9, 1.2)}
NAMES = {"russia": "Russia", "china": "China", "iran": "Iran", "north_korea": "North Korea",
         "united_states": "US", "europe": "Europe", "japan": "Japan", "south_korea": "South Korea",
         "ukraine": "Ukraine", "israel": "Israel"}
WEST_NODES = ("united_states", "europe", "japan", "south_korea", "ukraine", "israel")
RAD = 0.18
RUNG_CMAP = LinearSegmentedColormap.from_list("rungs", RUNG_COLOURS)


def default_months(horizon: int) -> list[int]:
    return [horizon]


def _width(commitment: float) -> float:
    return 0.8 + 6.0 * float(commitment)


def _name(state: str) -> str:
    return NAMES.get(state, state.replace("_", " ").title())


def _network_panel(ax, frame: pd.DataFrame, title: str):
    g = nx.DiGraph()
    g.add_nodes_from(POSITIONS)
    for _, r in frame.iterrows():
        if r["source"] in POSITIONS and r["target"] in POSITIONS:
            g.add_edge(r["source"], r["target"], commitment=float(r["commitment"]), rung=float(r["mean_rung"]))
    edges = list(g.edges(data=True))
    norm = Normalize(0, N_RUNGS - 1)
    for bloc, colour in ((AXIS, "#F6D5C8"), (WEST_NODES, "#D3E4F3")):
        nx.draw_networkx_nodes(g, POSITIONS, nodelist=list(bloc), ax=ax, node_size=2000, node_color=colour,
                               edgecolors="#333333", linewidths=1.2)
    nx.draw_networkx_labels(g, POSITIONS, labels={n: _name(n).replace(" ", "\n") for n in g.nodes}, ax=ax,
                            font_size=10)
    nx.draw_networkx_edges(g, POSITIONS, ax=ax, edgelist=[(u, v) for u, v, _ in edges],
                           width=[_width(d["commitment"]) for _, _, d in edges],
                           edge_color=[RUNG_CMAP(norm(d["rung"])) for _, _, d in edges],
                           arrows=True, arrowstyle="-|>", arrowsize=16, node_size=2000,
                           connectionstyle=f"arc3,rad={RAD}")
    ax.text(0.5, 1.62, "the axis", ha="center", fontsize=11, fontweight="bold", color="#8B3A1A")
    ax.text(2.5, 1.86, "the West", ha="center", fontsize=11, fontweight="bold", color="#1F4E79")
    ax.set_title(title, fontsize=11)
    ax.set_xlim(-0.35, 3.25)
    ax.set_ylim(-0.5, 2.0)
    ax.set_aspect("equal")
    ax.axis("off")


def _link_order(links: list[tuple[str, str]]) -> list[tuple[str, str]]:
    rank = {s: i for i, s in enumerate(("china", "russia", "iran", "north_korea", "south_korea"))}
    return sorted(links, key=lambda st: (rank.get(st[0], 9), rank.get(st[1], 9)))


def _shares_panel(ax, rungs: pd.DataFrame, means: pd.DataFrame, month_text: str):
    links = _link_order(sorted({(s, t) for s, t in zip(rungs["source"], rungs["target"])}))
    y = np.arange(len(links))[::-1]
    for yy, (s, t) in zip(y, links):
        row = rungs[(rungs["source"] == s) & (rungs["target"] == t)].sort_values("rung")
        left = 0.0
        for k, share in zip(row["rung"], row["share"]):
            ax.barh(yy, share, left=left, color=RUNG_COLOURS[int(k)], height=0.7, edgecolor="white",
                    linewidth=0.5, label=RUNG_NAMES[int(k)] if yy == y[0] else None)
            if share >= 0.12:
                ax.text(left + share / 2, yy, f"{share:.0%}", ha="center", va="center", fontsize=8,
                        color="white" if int(k) in (0, 4) else "#111111")
            left += share
        m = means[(means["source"] == s) & (means["target"] == t)]["mean_rung"]
        if not m.empty:
            ax.text(1.02, yy, f"{m.iloc[0]:.1f}", ha="left", va="center", fontsize=9)
    ax.set_yticks(y)
    ax.set_yticklabels([f"{_name(s)} -> {_name(t)}" for s, t in links], fontsize=9)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, len(links) - 0.4)
    ax.set_xticks([0, 0.5, 1])
    ax.set_xticklabels(["0%", "50%", "100%"], fontsize=8)
    ax.set_xlabel("share of runs at each rung", fontsize=9)
    ax.text(1.02, len(links) - 0.45, "mean", ha="left", va="bottom", fontsize=8, color="#555555")
    ax.set_title(f"How sure is each link? {month_text}", fontsize=11)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def network_figure(links: pd.DataFrame, summary: dict, manifest: dict, months: list[int] | None = None,
                   rungs: pd.DataFrame | None = None):
    """The axis and the West as a network (arrow width and colour: mean support rung over runs, on a
    continuous scale) and, for the horizon, the share of runs at each rung of every link."""
    if links.empty:
        raise AnalysisError("no alignment-network data (links.parquet is empty or missing)")
    name = summary.get("scenario", manifest.get("scenario", "?"))
    horizon = int(links["month"].max())
    months = list(months) if months else default_months(horizon)
    bad = [m for m in months if m < 0 or m > horizon]
    if bad:
        raise AnalysisError(f"network month {bad[0]} is outside 0..{horizon}")
    start = summary.get("start")
    has_shares = rungs is not None and not rungs.empty
    k = len(months)
    widths = [5.6] * k + ([4.2] if has_shares else [])
    fig = plt.figure(figsize=(sum(widths) + 0.8, 6.6))
    grid = fig.add_gridspec(2, len(widths), width_ratios=widths, height_ratios=[1, 0.05])
    fig.suptitle(f"Who backs whom, and how much? ({name})\n"
                 "Arrow from supporter to supported; width and colour: mean support rung over runs",
                 fontsize=12)
    for i, month in enumerate(months):
        ax = fig.add_subplot(grid[0, i])
        _network_panel(ax, links[links["month"] == month], f"{month_label(start, month)} (month {month})")
    cax = fig.add_subplot(grid[1, :k])
    bar = fig.colorbar(ScalarMappable(Normalize(0, N_RUNGS - 1), RUNG_CMAP), cax=cax, orientation="horizontal")
    bar.set_ticks(range(N_RUNGS))
    bar.set_ticklabels(list(RUNG_NAMES), fontsize=9)
    bar.set_label("mean support rung over runs (arrow colour)", fontsize=9)
    if has_shares:
        month = int(rungs["month"].iloc[0])
        ax = fig.add_subplot(grid[0, k])
        _shares_panel(ax, rungs, links[links["month"] == month], f"({month_label(start, month)})")
        handles = [Patch(color=c, label=RUNG_NAMES[j]) for j, c in enumerate(RUNG_COLOURS)]
        fig.legend(handles=handles, loc="lower right", bbox_to_anchor=(0.995, 0.035), ncol=3, fontsize=8,
                   frameon=False)
    add_footer(fig, footer_text(manifest, name, summary.get("runs"), summary.get("seed")))
    tight(fig, (0, 0.05, 1, 1), "network")
    return fig


def draw_network(folder: str | Path, months: list[int] | None = None) -> list[Path]:
    """Draw the alignment network of a run folder (nothing if it has no links.parquet)."""
    folder = Path(folder)
    if not (folder / "links.parquet").exists():
        return []
    links = read_parquet(folder / "links.parquet")
    if links.empty:
        return []
    summary = read_json(folder / "summary.json") if (folder / "summary.json").exists() else {}
    rungs = read_parquet(folder / "link_rungs.parquet") if (folder / "link_rungs.parquet").exists() else None
    fig = network_figure(links, summary, read_manifest(folder), months, rungs)
    return save(fig, folder, "network")
