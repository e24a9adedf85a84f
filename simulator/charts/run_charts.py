"""Charts for one run folder: China's rung over time and the theatres."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..model.decisions import N_RUNGS
from ..scenario.schema import RUNG_NAMES
from .style import (OKABE_ITO, RUNG_COLOURS, RUNG_LABELS, add_footer, calendar, footer_text, legend_below,
                    events_caption, mark_events, month_axis, rung_axis, save, tight)


LINKS = (("russia", "china_rung", "Russia"), ("iran", "china_iran_rung", "Iran"),
         ("north_korea", "china_nk_rung", "North Korea"))


def _series(bands: pd.DataFrame, name: str) -> pd.DataFrame:
    return bands[bands["series"] == name].sort_values("month")


def _band(ax, frame: pd.DataFrame, colour: str, label: str, median: bool = True):
    f = frame.sort_values("month")
    x = f["month"].to_numpy()
    ax.fill_between(x, f["p10"], f["p90"], color=colour, alpha=0.18, linewidth=0,
                    label="10-90% of runs")
    ax.fill_between(x, f["p25"], f["p75"], color=colour, alpha=0.30, linewidth=0,
                    label="middle half of runs (25-75%)")
    if median:
        ax.plot(x, f["p50"], color=colour, linewidth=2, label=f"{label}: median")


def _shares(bands: pd.DataFrame, link: str) -> tuple[np.ndarray, np.ndarray]:
    parts = [_series(bands, f"share_{link}_rung{k}") for k in range(N_RUNGS)]
    if any(p.empty for p in parts):
        return np.array([]), np.empty((N_RUNGS, 0))
    return parts[0]["month"].to_numpy(), np.vstack([p["mean"].to_numpy() for p in parts])


def splits(shares: np.ndarray, low: float = 0.3) -> np.ndarray:
    """Months where runs split between neighbouring rungs: two adjacent rungs each hold at least
    ``low`` of the runs (a median there flips from month to month)."""
    if shares.size == 0:
        return np.zeros(0, dtype=bool)
    return ((shares[:-1] >= low) & (shares[1:] >= low)).any(axis=0)


def china_rung_figure(bands: pd.DataFrame, summary: dict, manifest: dict, partners: tuple[str, ...] | None = None):
    """China's support to Russia, Iran and North Korea (or only ``partners``): mean rung with the
    bands of runs (top), the share of runs at each rung (bottom); calendar months; events marked."""
    links = [entry for entry in LINKS if partners is None or entry[0] in partners]
    name = summary.get("scenario", "?")
    start, horizon = summary.get("start"), int(summary["horizon_months"])
    events = summary.get("events")
    threshold = int(summary.get("stay_threshold", 2))
    cols = len(links)
    fig, axes = plt.subplots(2, cols, figsize=(5 * cols + (2.5 if cols == 1 else 0), 7.8), sharex=True,
                             gridspec_kw={"height_ratios": [3, 2]}, squeeze=False)
    stays = summary["outcomes"]["china_stays"]
    lo, hi = stays["ci95"]
    fig.suptitle(f"Does China stay aligned with Russia? ({name})\n"
                 f"P(China's support to Russia >= '{RUNG_NAMES[threshold]}' in {calendar(start, horizon)}) = "
                 f"{stays['probability']:.2f} (95% CI {lo:.2f}-{hi:.2f})"
                 + ("; Iran and North Korea beside it" if cols == 3 else ""),
                 fontsize=11)
    for col, (link, series, partner) in enumerate(links):
        ax, ax2 = axes[0][col], axes[1][col]
        rung = _series(bands, series)
        if not rung.empty:
            _band(ax, rung, OKABE_ITO[0], partner, median=False)
            ax.plot(rung["month"], rung["mean"], color="#000000", linewidth=2, label="mean rung over runs")
        months, shares = _shares(bands, link)
        split = splits(shares)
        if split.any():
            ax.scatter(months[split], np.full(split.sum(), -0.15), marker="|", s=40, color=OKABE_ITO[3],
                       label="runs split between two rungs (each >= 30%)", gid="split", clip_on=False)
        rung_axis(ax)
        if link == "russia":
            ax.axhline(threshold - 0.5, color="#777777", linestyle=":", linewidth=1, label="'stays' threshold")
        ax.set_title(f"China's support to {partner}", fontsize=10, fontweight="bold" if col == 0 else "normal")
        ax.grid(alpha=0.3)
        if col == 0:
            ax.set_ylabel("support rung (mean over runs)")
        else:
            ax.tick_params(labelleft=False)
        mark_events(ax, events, notes=True)
        if months.size:
            ax2.stackplot(months, shares, colors=RUNG_COLOURS, labels=RUNG_LABELS, alpha=0.9)
        ax2.set_ylim(0, 1)
        if col == 0:
            ax2.set_ylabel("share of runs at each rung")
        ax2.grid(alpha=0.3)
        mark_events(ax2, events, notes=False)
        month_axis(ax2, start, horizon)
    h1, l1 = axes[0][0].get_legend_handles_labels()
    h2, l2 = axes[1][0].get_legend_handles_labels()
    legend_below(fig, h1 + h2, l1 + l2, ncol=5 if cols == 3 else 3, y=0.02)
    events_caption(fig, events, start, y=0.095 if cols == 3 else 0.165)
    add_footer(fig, footer_text(manifest, name, summary.get("runs"), summary.get("seed")))
    tight(fig, (0, 0.12 if cols == 3 else 0.2, 1, 1), f"china_rung{cols}")
    return fig


THEATRE_PANELS = (
    ("front", "Ukraine: Russia's progress toward its war aims", "0 = none of its war aims, 1 = all achieved"),
    ("escalation", "Middle East: escalation", "0 = calm, 1 = regional war (Hormuz disrupted above ~0.75)"),
    ("tension", "Korea: tension on the peninsula", "0 = calm, 1 = war"),
)


def theatres_figure(bands: pd.DataFrame, summary: dict, manifest: dict):
    name = summary.get("scenario", "?")
    start, horizon = summary.get("start"), int(summary["horizon_months"])
    fig, axes = plt.subplots(1, 3, figsize=(14, 5.0), sharey=True)
    fig.suptitle(f"How do the three theatres evolve? ({name}; median and bands over runs)\n"
                 "Each index runs from 0 to 1; what 0 and 1 mean is under each panel's title", fontsize=11)
    for ax, (series, title, scale), colour in zip(axes, THEATRE_PANELS, OKABE_ITO[2:]):
        _band(ax, _series(bands, series), colour, "index")
        if series == "escalation":
            d = _series(bands, "disruption")
            ax.plot(d["month"], d["mean"], color=OKABE_ITO[3], linestyle="--",
                    label="Hormuz disruption (mean share of flows)")
        ax.set_title(f"{title}\n{scale}", fontsize=9)
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
        mark_events(ax, summary.get("events"))
        month_axis(ax, start, horizon)
    axes[0].set_ylabel("index (0-1)")
    handles, labels = {}, {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            labels.setdefault(lab, h)
    legend_below(fig, list(labels.values()), list(labels.keys()), ncol=4, y=0.03)
    events_caption(fig, summary.get("events"), start, y=0.1)
    add_footer(fig, footer_text(manifest, name, summary.get("runs"), summary.get("seed")))
    tight(fig, (0, 0.14, 1, 1), "theatres")
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
    from .policy_charts import draw_policies
    paths += draw_policies(folder)
    return paths
