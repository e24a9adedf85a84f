"""Charts of a compare folder: which scenario keeps China in, and how its support evolves."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..analysis.compare import compare_folder, load_members
from ..analysis.inputs import read_manifest
from ..model.decisions import N_RUNGS
from ..scenario.schema import RUNG_NAMES
from .style import add_footer, footer_text, rung_axis, save, tight

#: Scenario colours: Okabe-Ito without yellow (too light on white), then repeated.
SCENARIO_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]


def colour(i: int) -> str:
    return SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)]


def _footer(manifest: dict, labels: list[str]) -> str:
    return footer_text(manifest, ", ".join(labels), manifest.get("runs"), manifest.get("seed"))


def pstays_figure(table: pd.DataFrame, manifest: dict, threshold: int = 2, horizon=None):
    """Dot-and-whisker chart: P(stays) with 95% CI per scenario, and the paired difference
    from the first scenario with its own 95% CI."""
    labels = list(table["scenario"])
    n = len(labels)
    ref = labels[0]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 1.6 + 0.55 * n), sharey=True,
                                  gridspec_kw={"width_ratios": [1, 1]})
    at = f" at month {horizon}" if horizon is not None else ""
    fig.suptitle(f"Which scenario keeps China aligned with Russia?\n"
                 f"P(China's support to Russia is at least '{RUNG_NAMES[threshold]}'{at}), "
                 f"with 95% confidence intervals", fontsize=11)
    y = np.arange(n)[::-1]
    for i, r in table.reset_index(drop=True).iterrows():
        c = colour(i)
        p, lo, hi = r["china_stays"], r["china_stays_low"], r["china_stays_high"]
        ax.errorbar([p], [y[i]], xerr=[[p - lo], [hi - p]], fmt="o", color=c, capsize=4, markersize=7,
                    label="P(stays) with 95% CI (Wilson)" if i == 0 else None)
        ax.annotate(f"{p:.2f}", (p, y[i]), textcoords="offset points", xytext=(0, 7), ha="center",
                    fontsize=8, color=c)
        if i == 0:
            ax2.plot([0], [y[i]], marker="|", markersize=14, color=c)
            ax2.annotate("reference", (0, y[i]), textcoords="offset points", xytext=(6, -3), fontsize=8,
                         color=c)
            continue
        d, dlo, dhi = r["china_stays_diff"], r["china_stays_diff_low"], r["china_stays_diff_high"]
        ax2.errorbar([d], [y[i]], xerr=[[d - dlo], [dhi - d]], fmt="D", color=c, capsize=4, markersize=6,
                     label="paired difference with 95% CI" if i == 1 else None)
        ax2.annotate(f"{d:+.3f}", (d, y[i]), textcoords="offset points", xytext=(0, 7), ha="center",
                     fontsize=8, color=c)
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel("probability China stays (0-1)")
    ax.set_title("P(stays) per scenario", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    ax2.axvline(0, color="#777777", linewidth=1, linestyle=":")
    ax2.set_xlabel(f"difference in probability from {ref} (same random numbers)")
    ax2.set_title(f"Change from {ref} (common random numbers, so not noise)", fontsize=9)
    lim = max(0.05, float(np.nanmax(np.abs(table[["china_stays_diff_low", "china_stays_diff_high"]]
                                              .to_numpy(dtype=float)))) * 1.25 if n > 1 else 0.05)
    ax2.set_xlim(-lim, lim)
    ax2.grid(axis="x", alpha=0.3)
    if n > 1:
        ax2.legend(fontsize=7, loc="lower left")
    add_footer(fig, _footer(manifest, labels))
    tight(fig, (0, 0.05, 1, 1), "compare_pstays")
    return fig


def _stays_share(bands: pd.DataFrame, threshold: int) -> tuple[np.ndarray, np.ndarray]:
    parts = []
    months = None
    for k in range(threshold, N_RUNGS):
        s = bands[bands["series"] == f"share_russia_rung{k}"].sort_values("month")
        months = s["month"].to_numpy()
        parts.append(s["mean"].to_numpy())
    if months is None:
        return np.array([]), np.array([])
    return months, np.sum(parts, axis=0)


def rung_figure(members: list[dict], manifest: dict, threshold: int = 2):
    """Overlaid median and 25-75% band of China's rung per scenario, and P(stays) by month."""
    labels = [m["label"] for m in members]
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(10, 8), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    fig.suptitle("How does China's support to Russia evolve under each scenario?\n"
                 "Median rung over runs (line) with the middle half of runs (band); scenarios drawn "
                 "slightly apart so that equal rungs stay visible", fontsize=11)
    start = "start"
    n = len(members)
    for i, m in enumerate(members):
        c = colour(i)
        dodge = (i - (n - 1) / 2) * min(0.08, 0.3 / max(n, 1))
        start = m["summary"].get("start", start)
        r = m["bands"][m["bands"]["series"] == "china_rung"].sort_values("month")
        x = r["month"].to_numpy()
        ax.fill_between(x, r["p25"] + dodge, r["p75"] + dodge, color=c, alpha=0.12, edgecolor=c,
                        linewidth=0.8, step="mid", label=f"{m['label']}: 25-75% band")
        ax.step(x, r["p50"] + dodge, where="mid", color=c, linewidth=2.2,
                linestyle=["-", "--", "-.", ":"][i % 4], label=f"{m['label']}: median")
        months, share = _stays_share(m["bands"], threshold)
        ax2.plot(months, share, color=c, linewidth=2, linestyle=["-", "--", "-.", ":"][i % 4], label=m["label"])
    rung_axis(ax)
    ax.axhline(threshold - 0.5, color="#777777", linestyle=":", linewidth=1, label="'stays' threshold")
    ax.set_ylabel("China's support rung to Russia")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left", ncol=2)
    ax2.set_ylim(0, 1.02)
    ax2.set_ylabel(f"P(rung >= '{RUNG_NAMES[threshold]}')\n(share of runs)")
    ax2.set_xlabel(f"months from {start}")
    ax2.set_title("Probability China stays, month by month", fontsize=9)
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=7, loc="lower left", ncol=2)
    add_footer(fig, _footer(manifest, labels))
    tight(fig, (0, 0.03, 1, 1), "compare_rung")
    return fig


def compare_figures(folder: str | Path) -> dict:
    """The compare charts of a folder as {stem: Figure} (not saved)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    members = load_members(folder)
    table = compare_folder(folder)
    s0 = members[0]["summary"]
    threshold = int(s0.get("stay_threshold", 2))
    return {"compare_pstays": pstays_figure(table, manifest, threshold, s0.get("horizon_months")),
            "compare_rung": rung_figure(members, manifest, threshold)}


def draw_compare(folder: str | Path) -> list[Path]:
    paths = []
    for stem, fig in compare_figures(folder).items():
        paths += save(fig, Path(folder), stem)
    return paths
