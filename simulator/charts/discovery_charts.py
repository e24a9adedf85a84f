"""Chart of scenario discovery: the parameter ranges (PRIM boxes) where the target happens."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from ..analysis.discovery import Discovery
from ..analysis.labels import plain_label
from .style import OKABE_ITO, add_footer, footer_text, legend_below, save, tight


def _question(target: str) -> str:
    t = target.replace(" ", "")
    if t in ("china_stays==0", "china_stays<1", "~(china_stays==1)", "china_stays!=1"):
        return "Under which assumptions does China break with Russia?"
    return f"Under which assumptions does '{target}' happen?"


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def discovery_figure(d: Discovery, summary: dict, manifest: dict):
    """One row per PRIM box: the restricted parameter ranges (within each parameter's full
    range) and the coverage/density trade-off along PRIM's peeling trajectory."""
    name = summary.get("scenario", manifest.get("scenario", "?"))
    boxes = d.boxes or []
    rows = max(1, len(boxes))
    heights = [max(1.6, 0.45 * max(1, len(b.limits)) + 0.9) for b in boxes] or [2.0]
    fig, axes = plt.subplots(rows, 2, figsize=(12, 1.5 + sum(heights)), squeeze=False,
                             gridspec_kw={"width_ratios": [2.2, 1], "height_ratios": heights})
    unit = "runs" if d.source == "runs" else "design points"
    fig.suptitle(f"{_question(d.target)} ({name})\n"
                 f"PRIM boxes: target '{d.target}' holds in {d.cases} of {d.n} {unit} "
                 f"({d.base_rate:.1%} overall)", fontsize=11)
    for i, b in enumerate(boxes):
        ax, ax2 = axes[i]
        lim = b.limits.sort_values("qp")
        k = len(lim)
        y = np.arange(k)[::-1]
        span = (lim["full_max"] - lim["full_min"]).replace(0, 1.0)
        lo = ((lim["min"] - lim["full_min"]) / span).to_numpy()
        hi = ((lim["max"] - lim["full_min"]) / span).to_numpy()
        ax.barh(y, np.ones(k), color="#DDDDDD", height=0.55, label="full range searched")
        ax.barh(y, hi - lo, left=lo, color=OKABE_ITO[3], height=0.55,
                label="range inside the box")
        for j, (param, r) in enumerate(lim.iterrows()):
            ax.text(-0.01, y[j], _fmt(r["full_min"]), ha="right", va="center", fontsize=7, color="#555555")
            ax.text(1.01, y[j], _fmt(r["full_max"]), ha="left", va="center", fontsize=7, color="#555555")
            ax.text((lo[j] + hi[j]) / 2, y[j] + 0.36, f"{_fmt(r['min'])} to {_fmt(r['max'])}",
                    ha="center", va="bottom", fontsize=7)
        ax.set_yticks(y)
        ax.set_yticklabels(["\n".join(textwrap.wrap(plain_label(p), 34)) for p in lim.index], fontsize=7)
        ax.set_xlim(-0.12, 1.12)
        ax.set_ylim(-0.7, max(k, 1) - 0.1)
        ax.set_xticks([0, 0.5, 1])
        ax.set_xticklabels(["low end", "middle", "high end"], fontsize=7)
        ax.set_xlabel("position within the parameter's full range (values at the ends); the clearest "
                      "restriction first", fontsize=8)
        ax.set_title(f"Box {i + 1}: coverage {b.coverage:.0%} (share of target cases inside), "
                     f"density {b.density:.0%} (share of {unit} inside that hit the target)", fontsize=9)
        if k == 0:
            ax.text(0.5, 0, "no restriction survives: no distinct region", ha="center", fontsize=8)
        t = b.trajectory
        ax2.plot(t["coverage"], t["density"], color=OKABE_ITO[0], marker=".", markersize=4, linewidth=1,
                 label="peeling trajectory")
        ax2.plot([b.coverage], [b.density], marker="o", markersize=9, color=OKABE_ITO[3], linestyle="none",
                 label="box chosen")
        ax2.axhline(d.base_rate, color="#777777", linestyle=":", linewidth=1, label="overall rate")
        ax2.set_xlim(0, 1.02)
        ax2.set_ylim(0, 1.02)
        ax2.set_xlabel("coverage (share of target cases in box)", fontsize=8)
        ax2.set_ylabel("density (share of box hitting target)", fontsize=8)
        ax2.set_title("Coverage vs density trade-off", fontsize=9)
        ax2.grid(alpha=0.3)
    if not boxes:
        axes[0][0].text(0.5, 0.5, "PRIM found no box", ha="center")
    handles = {}
    for ax in axes[0]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    if handles:
        legend_below(fig, list(handles.values()), list(handles.keys()), ncol=5, y=0.03)
    add_footer(fig, footer_text(manifest, name, summary.get("runs", manifest.get("runs")),
                                summary.get("seed", manifest.get("seed"))))
    tight(fig, (0, 0.07, 1, 1), "discovery")
    return fig


def draw_discovery(folder: str | Path, d: Discovery, summary: dict, manifest: dict) -> list[Path]:
    return save(discovery_figure(d, summary, manifest), Path(folder), "discovery")
