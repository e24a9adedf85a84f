"""Charts for one run folder: China's rung over time and the theatres."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..model.decisions import N_RUNGS
from .style import OKABE_ITO, RUNG_COLOURS, RUNG_LABELS, add_footer, footer_text, rung_axis, save, tight


def _band(ax, frame: pd.DataFrame, colour: str, label: str):
    f = frame.sort_values("month")
    x = f["month"].to_numpy()
    ax.fill_between(x, f["p10"], f["p90"], color=colour, alpha=0.18, linewidth=0,
                    label=f"{label}: 10-90% band")
    ax.fill_between(x, f["p25"], f["p75"], color=colour, alpha=0.30, linewidth=0,
                    label=f"{label}: 25-75% band")
    ax.plot(x, f["p50"], color=colour, linewidth=2, label=f"{label}: median")


def china_rung_figure(bands: pd.DataFrame, summary: dict, manifest: dict):
    name = summary.get("scenario", "?")
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(9, 7.5), sharex=True,
                                  gridspec_kw={"height_ratios": [3, 2]})
    stays = summary["outcomes"]["china_stays"]
    lo, hi = stays["ci95"]
    fig.suptitle(f"Does China stay aligned with Russia? ({name})\n"
                 f"P(rung >= {summary.get('stay_threshold', 2)} at month {summary['horizon_months']}) = "
                 f"{stays['probability']:.2f} (95% CI {lo:.2f}-{hi:.2f})", fontsize=11)
    rung = bands[bands["series"] == "china_rung"]
    _band(ax, rung, OKABE_ITO[0], "China's rung to Russia")
    ax.plot(rung.sort_values("month")["month"], rung.sort_values("month")["mean"], color=OKABE_ITO[1],
            linestyle="--", linewidth=1.5, label="mean rung")
    rung_axis(ax)
    ax.axhline(summary.get("stay_threshold", 2) - 0.5, color="#777777", linestyle=":", linewidth=1,
               label="'stays' threshold")
    ax.set_ylabel("support rung")
    ax.legend(loc="lower left", fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    shares = []
    for k in range(N_RUNGS):
        s = bands[bands["series"] == f"share_russia_rung{k}"].sort_values("month")
        shares.append(s["mean"].to_numpy())
    months = bands[bands["series"] == "share_russia_rung0"].sort_values("month")["month"].to_numpy()
    ax2.stackplot(months, np.vstack(shares), colors=RUNG_COLOURS, labels=RUNG_LABELS, alpha=0.9)
    ax2.set_ylim(0, 1)
    ax2.set_ylabel("share of runs")
    ax2.set_xlabel(f"months from {summary.get('start', 'start')}")
    ax2.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, title="rung", title_fontsize=7)
    ax2.grid(alpha=0.3)
    add_footer(fig, footer_text(manifest, name, summary.get("runs"), summary.get("seed")))
    tight(fig, (0, 0.03, 1, 1), "china_rung")
    return fig


THEATRE_PANELS = (
    ("front", "Ukraine: Russia's progress toward its war aims", "progress index (0-1)"),
    ("escalation", "Middle East: escalation (Hormuz disruption dashed)", "escalation index (0-1)"),
    ("tension", "Korea: tension on the peninsula", "tension index (0-1)"),
)


def theatres_figure(bands: pd.DataFrame, summary: dict, manifest: dict):
    name = summary.get("scenario", "?")
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), sharey=True)
    fig.suptitle(f"How do the three theatres evolve? ({name}; median and bands over runs)", fontsize=11)
    for ax, (series, title, ylabel), colour in zip(axes, THEATRE_PANELS, OKABE_ITO[2:]):
        _band(ax, bands[bands["series"] == series], colour, series)
        if series == "escalation":
            d = bands[bands["series"] == "disruption"].sort_values("month")
            ax.plot(d["month"], d["mean"], color=OKABE_ITO[3], linestyle="--", label="Hormuz disruption (mean share)")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel(f"months from {summary.get('start', 'start')}")
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6, loc="upper left")
    axes[0].set_ylabel("index (0-1)")
    add_footer(fig, footer_text(manifest, name, summary.get("runs"), summary.get("seed")))
    tight(fig, (0, 0.04, 1, 1), "theatres")
    return fig


def draw_run(folder: str | Path) -> list[Path]:
    """(Re)draw every chart of a run folder from its files."""
    from ..experiment.store import read_json
    folder = Path(folder)
    bands = pd.read_parquet(folder / "bands.parquet")
    summary = read_json(folder / "summary.json")
    manifest = read_json(folder / "manifest.json") if (folder / "manifest.json").exists() else {}
    paths = save(china_rung_figure(bands, summary, manifest), folder, "china_rung")
    paths += save(theatres_figure(bands, summary, manifest), folder, "theatres")
    return paths
