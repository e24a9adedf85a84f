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
from ..analysis.summary import wilson
from .style import add_footer, calendar, footer_text, legend_below, mark_events, month_axis, rung_axis, save, tight

#: Scenario colours: Okabe-Ito without yellow (too light on white), then repeated.
SCENARIO_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]


def colour(i: int) -> str:
    return SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)]


def _footer(manifest: dict, labels: list[str]) -> str:
    return footer_text(manifest, ", ".join(labels), manifest.get("runs"), manifest.get("seed"))


def pstays_figure(table: pd.DataFrame, manifest: dict, threshold: int = 2, horizon=None, start=None):
    """Dot-and-whisker chart: P(stays) with 95% CI per scenario, and the paired difference
    from the first scenario with its own 95% CI."""
    labels = list(table["scenario"])
    n = len(labels)
    ref = labels[0]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 1.6 + 0.55 * n), sharey=True,
                                  gridspec_kw={"width_ratios": [1, 1]})
    at = f" in {calendar(start, horizon)} (month {horizon})" if horizon is not None else ""
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
    ax.set_title("P(stays) per scenario: dot, with its 95% Wilson CI (whiskers)", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    ax2.axvline(0, color="#777777", linewidth=1, linestyle=":")
    ax2.set_xlabel(f"difference in probability from {ref} (same random numbers)")
    ax2.set_title(f"Paired difference from {ref} (diamond) with its 95% CI\n(common random numbers, "
                  f"so not noise)", fontsize=9)
    lim = max(0.05, float(np.nanmax(np.abs(table[["china_stays_diff_low", "china_stays_diff_high"]]
                                              .to_numpy(dtype=float)))) * 1.25 if n > 1 else 0.05)
    ax2.set_xlim(-lim, lim)
    ax2.grid(axis="x", alpha=0.3)
    add_footer(fig, _footer(manifest, labels))
    tight(fig, (0, 0.05, 1, 1), "compare_pstays")
    return fig


def _stays_share(bands: pd.DataFrame, threshold: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Months, P(rung >= threshold) per month, and the number of runs behind each month."""
    parts, months, n = [], None, None
    for k in range(threshold, N_RUNGS):
        s = bands[bands["series"] == f"share_russia_rung{k}"].sort_values("month")
        months = s["month"].to_numpy()
        n = s["n"].to_numpy() if "n" in s else None
        parts.append(s["mean"].to_numpy())
    if months is None:
        return np.array([]), np.array([]), np.array([])
    return months, np.sum(parts, axis=0), (n if n is not None else np.zeros(len(months)))


def _wilson_band(p: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lows, highs = [], []
    for pi, ni in zip(p, n):
        ni = int(ni)
        lo, hi = wilson(round(pi * ni), ni) if ni > 0 else (np.nan, np.nan)
        lows.append(lo)
        highs.append(hi)
    return np.array(lows), np.array(highs)


def rung_figure(members: list[dict], manifest: dict, threshold: int = 2):
    """Small multiples of China's mean rung to Russia with the bands of runs, one panel per scenario
    (the first scenario, the reference, repeated as a grey line in the others), and P(stays) month by
    month for every scenario with its 95% CI band."""
    labels = [m["label"] for m in members]
    n = len(members)
    cols = min(n, 4)
    rows = -(-n // cols)
    fig = plt.figure(figsize=(3.9 * cols + 1.2, 3.3 * rows + 4.4))
    grid = fig.add_gridspec(rows + 1, cols, height_ratios=[3] * rows + [3.4])
    fig.suptitle("How does China's support to Russia evolve under each scenario?\n"
                 "Top: mean rung over runs with the middle half (25-75%) and 80% (10-90%) of runs, one panel "
                 "per scenario; bottom: P(stays) month by month with 95% CIs", fontsize=11)
    s0 = members[0]["summary"]
    start, horizon = s0.get("start"), int(s0.get("horizon_months", 36))
    ref = members[0]["bands"]
    ref = ref[ref["series"] == "china_rung"].sort_values("month")
    first_ax = None
    for i, m in enumerate(members):
        ax = fig.add_subplot(grid[i // cols, i % cols], sharey=first_ax)
        first_ax = first_ax or ax
        c = colour(i)
        r = m["bands"][m["bands"]["series"] == "china_rung"].sort_values("month")
        x = r["month"].to_numpy()
        ax.fill_between(x, r["p10"], r["p90"], color=c, alpha=0.15, linewidth=0, label="10-90% of runs")
        ax.fill_between(x, r["p25"], r["p75"], color=c, alpha=0.3, linewidth=0, label="25-75% of runs")
        ax.plot(x, r["mean"], color=c, linewidth=2.2, label="mean rung")
        if i > 0:
            ax.plot(ref["month"], ref["mean"], color="#555555", linewidth=1.2, linestyle="--",
                    label=f"mean rung of {labels[0]} (reference)")
        ax.axhline(threshold - 0.5, color="#777777", linestyle=":", linewidth=1, label="'stays' threshold")
        rung_axis(ax)
        if i % cols:
            ax.tick_params(labelleft=False)
        ax.set_title(m["label"], fontsize=10, color=c, fontweight="bold")
        ax.grid(alpha=0.3)
        mark_events(ax, m["summary"].get("events"))
        month_axis(ax, start, horizon, label=False)
    handles, names = {}, []
    for ax in fig.axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in handles:
                handles[lab] = h
    ax2 = fig.add_subplot(grid[rows, :])
    for i, m in enumerate(members):
        c = colour(i)
        months, share, runs = _stays_share(m["bands"], threshold)
        lo, hi = _wilson_band(share, runs)
        ax2.fill_between(months, lo, hi, color=c, alpha=0.18, linewidth=0)
        ax2.plot(months, share, color=c, linewidth=2, linestyle=["-", "--", "-.", ":"][i % 4], label=m["label"])
    ax2.set_ylim(0, 1.02)
    ax2.set_ylabel(f"P(rung >= '{RUNG_NAMES[threshold]}')\n(share of runs, 95% CI band)")
    month_axis(ax2, start, horizon)
    ax2.set_title("Probability China stays, month by month (bands: 95% Wilson intervals)", fontsize=9)
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.005, 1.0), frameon=False, title="scenario",
               title_fontsize=8)
    legend_below(fig, list(handles.values()), list(handles.keys()), ncol=5, y=0.025)
    add_footer(fig, _footer(manifest, labels))
    tight(fig, (0, 0.07, 1, 1), "compare_rung")
    return fig


def compare_figures(folder: str | Path) -> dict:
    """The compare charts of a folder as {stem: Figure} (not saved)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    members = load_members(folder)
    table = compare_folder(folder)
    s0 = members[0]["summary"]
    threshold = int(s0.get("stay_threshold", 2))
    return {"compare_pstays": pstays_figure(table, manifest, threshold, s0.get("horizon_months"), s0.get("start")),
            "compare_rung": rung_figure(members, manifest, threshold)}


def draw_compare(folder: str | Path) -> list[Path]:
    paths = []
    for stem, fig in compare_figures(folder).items():
        paths += save(fig, Path(folder), stem)
    return paths
