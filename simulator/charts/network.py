"""The alignment network: who supports whom inside the axis, and how much, at chosen months.

States are nodes; each directed support link is an arrow whose width and colour show
the mean support rung over runs (from the run folder's ``links.parquet``).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from ..analysis.inputs import AnalysisError, month_label, read_json, read_manifest, read_parquet
from ..model.decisions import N_RUNGS
from ..scenario.schema import AXIS, RUNG_NAMES
from .style import RUNG_COLOURS, add_footer, footer_text, save, tight

POSITIONS = {"russia": (0.0, 1.0), "china": (1.0, 1.0), "iran": (0.0, 0.0), "north_korea": (1.0, 0.0)}
NAMES = {"russia": "Russia", "china": "China", "iran": "Iran", "north_korea": "North Korea",
         "south_korea": "South Korea", "ukraine": "Ukraine"}
RAD = 0.18


def default_months(horizon: int) -> list[int]:
    return sorted({0, horizon // 2, horizon})


def _width(commitment: float) -> float:
    return 0.6 + 7.0 * float(commitment)


def _rung_colour(mean_rung: float) -> str:
    return RUNG_COLOURS[int(np.clip(np.rint(mean_rung), 0, N_RUNGS - 1))]


def network_figure(links: pd.DataFrame, summary: dict, manifest: dict, months: list[int] | None = None):
    """One panel per month: the axis states and the mean rung of each directed support link."""
    if links.empty:
        raise AnalysisError("no alignment-network data (links.parquet is empty or missing)")
    name = summary.get("scenario", manifest.get("scenario", "?"))
    horizon = int(links["month"].max())
    months = list(months) if months else default_months(horizon)
    bad = [m for m in months if m < 0 or m > horizon]
    if bad:
        raise AnalysisError(f"network month {bad[0]} is outside 0..{horizon}")
    start = summary.get("start")
    fig, axes = plt.subplots(1, len(months), figsize=(4.3 * len(months) + 1.6, 5.2), squeeze=False)
    fig.suptitle(f"Who backs whom inside the axis, and how much? ({name})\n"
                 "Arrow from supporter to supported; width and colour: mean support rung over runs",
                 fontsize=11)
    for ax, month in zip(axes[0], months):
        frame = links[links["month"] == month]
        g = nx.DiGraph()
        g.add_nodes_from(AXIS)
        for _, r in frame.iterrows():
            if r["source"] in POSITIONS and r["target"] in POSITIONS:
                g.add_edge(r["source"], r["target"], commitment=float(r["commitment"]),
                           rung=float(r["mean_rung"]))
        edges = list(g.edges(data=True))
        nx.draw_networkx_nodes(g, POSITIONS, ax=ax, node_size=1900, node_color="#F2F2F2",
                               edgecolors="#333333", linewidths=1.2)
        nx.draw_networkx_labels(g, POSITIONS, labels={n: NAMES[n].replace(" ", "\n") for n in g.nodes},
                                ax=ax, font_size=9)
        nx.draw_networkx_edges(g, POSITIONS, ax=ax, edgelist=[(u, v) for u, v, _ in edges],
                               width=[_width(d["commitment"]) for _, _, d in edges],
                               edge_color=[_rung_colour(d["rung"]) for _, _, d in edges],
                               arrows=True, arrowstyle="-|>", arrowsize=14, node_size=1900,
                               connectionstyle=f"arc3,rad={RAD}")
        for u, v, d in edges:
            (x1, y1), (x2, y2) = POSITIONS[u], POSITIONS[v]
            mx, my = (x1 + x2) / 2 + 0.5 * RAD * (y2 - y1), (y1 + y2) / 2 - 0.5 * RAD * (x2 - x1)
            ax.text(mx, my, f"{d['rung']:.1f}", fontsize=8, ha="center", va="center",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
        ax.set_title(f"month {month} ({month_label(start, month)})", fontsize=9)
        ax.set_xlim(-0.35, 1.35)
        ax.set_ylim(-0.3, 1.3)
        ax.set_aspect("equal")
        ax.axis("off")
        other = links[(links["month"] == month) & (links["source"] == "south_korea")]
        if not other.empty:
            ax.text(0.5, -0.27, f"outside the axis: South Korea -> Ukraine {other['mean_rung'].iloc[0]:.1f}",
                    ha="center", fontsize=7, color="#555555")
    handles = [Line2D([0], [0], color=c, linewidth=_width(k / (N_RUNGS - 1)), label=RUNG_NAMES[k])
               for k, c in enumerate(RUNG_COLOURS)]
    fig.legend(handles=handles, loc="center right", fontsize=7, title="mean rung\n(number on arrow:\n"
               "0 distance .. 4 weapons)", title_fontsize=7, frameon=False)
    add_footer(fig, footer_text(manifest, name, summary.get("runs"), summary.get("seed")))
    tight(fig, (0, 0.04, 0.86, 1), "network")
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
    fig = network_figure(links, summary, read_manifest(folder), months)
    return save(fig, folder, "network")
