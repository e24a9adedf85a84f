"""Charts of a sweep folder: where does China's choice turn?

One swept parameter: a response curve of P(stays) (and P(weapons)) with 95% bands;
two: a heatmap of P(stays) (a scatter for sampled designs); more: one small panel per
parameter.  Each chart is written as PNG and SVG next to points.parquet.
"""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..scenario.schema import Outcome
from .style import OKABE_ITO, add_footer, footer_text, save, tight

CMAP = "cividis"        # perceptually uniform and readable with colour-vision deficiencies
NO_RESULT = "#dddddd"   # cells of points that failed


# ----------------------------------------------------------------------------- labels

def humanize(path: str) -> str:
    parts = path.split(".")
    if parts[0] == "states" and len(parts) == 4:
        return f"{parts[1].replace('_', ' ').title()}'s {parts[2].replace('_', ' ')} ({parts[3].replace('_', ' ')})"
    if parts[0] == "states" and len(parts) == 3:
        return f"{parts[1].replace('_', ' ').title()}'s {parts[2].replace('_', ' ')}"
    tail = parts[1:] if len(parts) > 1 else parts
    if tail and tail[0] in ("weights",):
        tail = tail[1:] + ["weight"]
    return " ".join(p.replace("_", " ") for p in tail)


def unit(path: str, low: float | None = None, high: float | None = None, integer: bool = False) -> str:
    if path.endswith("_months"):
        return "months"
    if path.endswith("_rung"):
        return "support rung 0-4"
    if path.endswith("decoupling_rate"):
        return "share per year"
    if path.endswith("momentum"):
        return "change of the front per month"
    if ".weights." in path:
        return "utility weight"
    if path.endswith("temperature"):
        return "logit noise"
    if low is not None and high is not None and 0 <= low and high <= 1:
        return "share, 0-1"
    return "whole number" if integer else "model index"


def axis_label(param: dict) -> str:
    return f"{humanize(param['path'])} ({unit(param['path'], param.get('low'), param.get('high'), param.get('integer', False))})"


def _outcome_text(manifest: dict) -> tuple[int, int]:
    data = manifest.get("resolved") or {}
    threshold = (data.get("outcome") or {}).get("stay_threshold", Outcome().stay_threshold)
    return int(data.get("horizon_months", 36)), int(threshold)


def _footer(fig, manifest: dict) -> None:
    runs = f"{manifest.get('runs', '?')} per point x {manifest.get('points', '?')} points"
    design = (manifest.get("design") or {}).get("name", "?")
    add_footer(fig, footer_text(manifest, manifest.get("scenario"), runs, manifest.get("seed"))
               + f" | design: {design}")


def _ylabel(manifest: dict) -> str:
    horizon, threshold = _outcome_text(manifest)
    return f"P(China stays): probability, 0-1\n(rung to Russia >= {threshold} at month {horizon})"


# ----------------------------------------------------------------------------- crossing

def crossings(x: np.ndarray, y: np.ndarray, level: float = 0.5) -> list[float]:
    """Where the piecewise-linear curve (x sorted) crosses ``level``."""
    out = []
    for i in range(len(x) - 1):
        a, b = y[i] - level, y[i + 1] - level
        if np.isnan(a) or np.isnan(b):
            continue
        if a == 0:
            out.append(float(x[i]))
        elif a * b < 0:
            out.append(float(x[i] + (x[i + 1] - x[i]) * a / (a - b)))
    return out


# ----------------------------------------------------------------------------- figures

def response_figure(points: pd.DataFrame, manifest: dict, param: dict):
    path = param["path"]
    f = points[points["runs"] > 0].sort_values([path, "point"], kind="mergesort")
    x = f[path].to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(8.5, 5.2))
    for stem, colour, label in (("p_stays", OKABE_ITO[0], "P(China stays)"),
                                ("p_weapons", OKABE_ITO[3], "P(China supplies weapons)")):
        ax.fill_between(x, f[f"{stem}_ci95_low"], f[f"{stem}_ci95_high"], color=colour, alpha=0.22,
                        linewidth=0, label=f"{label}: 95% CI (Wilson)")
        ax.plot(x, f[stem], color=colour, marker="o", markersize=3.5, linewidth=2 if stem == "p_stays" else 1.3,
                linestyle="-" if stem == "p_stays" else "--", label=label)
    ax.axhline(0.5, color="#777777", linestyle=":", linewidth=1, label="even odds (0.5)")
    for c in crossings(x, f["p_stays"].to_numpy(dtype=float)):
        ax.axvline(c, color=OKABE_ITO[2], linestyle="-.", linewidth=1.2,
                   label=f"P(stays) = 0.5 at {c:.3g}")
    ax.set_ylim(-0.02, 1.02)
    horizon, threshold = _outcome_text(manifest)
    ax.set_xlabel(axis_label(param))
    ax.set_ylabel(f"probability, 0-1 (at month {horizon})\nstays: rung to Russia >= {threshold}; weapons: rung 4",
                  fontsize=9)
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    seen = {}
    for h, lab in zip(handles, labels):
        seen.setdefault(lab, h)
    ax.legend(seen.values(), seen.keys(), fontsize=7, loc="best")
    fig.suptitle(f"At what {humanize(path)} does China step back from Russia?\n"
                 f"({manifest.get('scenario', '?')}: P(stays) across {len(f)} points, "
                 f"{manifest.get('runs', '?')} runs each)", fontsize=11)
    _footer(fig, manifest)
    tight(fig, (0, 0.03, 1, 1), "sweep_response")
    return fig


def _is_full_grid(f: pd.DataFrame, px: str, py: str) -> bool:
    nx, ny = f[px].nunique(), f[py].nunique()
    return nx * ny == len(f) and not f.duplicated([px, py]).any()


def heatmap_figure(points: pd.DataFrame, manifest: dict, params: list[dict]):
    px, py = params[0]["path"], params[1]["path"]
    f = points[points["runs"] > 0]
    fig, ax = plt.subplots(figsize=(8.5, 6.2))
    half = float(np.nanmax((f["p_stays_ci95_high"] - f["p_stays_ci95_low"]) / 2)) if len(f) else math.nan
    cmap = plt.get_cmap(CMAP).with_extremes(bad=NO_RESULT)
    if _is_full_grid(points, px, py):
        table = points.pivot(index=py, columns=px, values="p_stays").sort_index().sort_index(axis=1)
        xs, ys = table.columns.to_numpy(dtype=float), table.index.to_numpy(dtype=float)
        values = table.to_numpy(dtype=float)
        mesh = ax.imshow(np.ma.masked_invalid(values), origin="lower", aspect="auto", cmap=cmap, vmin=0, vmax=1,
                         interpolation="nearest")
        _level_ticks(ax.set_xticks, ax.set_xticklabels, xs)
        _level_ticks(ax.set_yticks, ax.set_yticklabels, ys)
        if values.size <= 100:
            for i in range(len(ys)):
                for j in range(len(xs)):
                    v = values[i, j]
                    ax.text(j, i, f"{v:.2f}" if np.isfinite(v) else "failed", ha="center", va="center",
                            fontsize=7, color="black" if not np.isfinite(v) or v > 0.6 else "white")
        finite = values[np.isfinite(values)]
        if len(xs) > 1 and len(ys) > 1 and finite.size and finite.min() < 0.5 < finite.max():
            cs = ax.contour(np.arange(len(xs)), np.arange(len(ys)), values, levels=[0.5],
                            colors=[OKABE_ITO[3]], linewidths=2)
            ax.clabel(cs, fmt={0.5: "P(stays) = 0.5"}, fontsize=7)
        kind = "grid cells"
    else:
        mesh = ax.scatter(f[px], f[py], c=f["p_stays"], cmap=cmap, vmin=0, vmax=1, s=28,
                          edgecolors="#333333", linewidths=0.3)
        bad = points[points["runs"] == 0]
        if len(bad):
            ax.scatter(bad[px], bad[py], marker="x", color="#444444", s=24)
        if len(f) >= 6 and f["p_stays"].min() < 0.5 < f["p_stays"].max():
            try:
                cs = ax.tricontour(f[px], f[py], f["p_stays"], levels=[0.5], colors=[OKABE_ITO[3]], linewidths=2)
                ax.clabel(cs, fmt={0.5: "P(stays) = 0.5"}, fontsize=7)
            except (ValueError, RuntimeError):   # degenerate triangulation
                pass
        for param, setter in ((params[0], ax.set_xlim), (params[1], ax.set_ylim)):
            lo, hi = param.get("low"), param.get("high")
            if lo is not None and hi is not None and hi > lo:
                pad = 0.04 * (hi - lo)
                setter(lo - pad, hi + pad)
        kind = "sampled points"
    failed = int((points["runs"] == 0).sum())
    if failed:
        from matplotlib.patches import Patch
        ax.legend(handles=[Patch(facecolor=NO_RESULT, edgecolor="#444444",
                                 label=f"no result: {failed} point(s) failed (failures.jsonl)")],
                  fontsize=7, loc="upper left", bbox_to_anchor=(0, -0.12))
    bar = fig.colorbar(mesh, ax=ax)
    bar.set_label(_ylabel(manifest).replace("\n", " "), fontsize=8)
    ax.set_xlabel(axis_label(params[0]))
    ax.set_ylabel(axis_label(params[1]))
    fig.suptitle(f"Where does China step back? P(stays) by {humanize(px)} and {humanize(py)}\n"
                 f"({manifest.get('scenario', '?')}: {len(f)} {kind}, {manifest.get('runs', '?')} runs each; "
                 f"95% CI half-width <= {half:.3f})", fontsize=10)
    _footer(fig, manifest)
    tight(fig, (0, 0.03, 1, 1), "sweep_heatmap")
    return fig


def _level_ticks(set_ticks, set_labels, levels: np.ndarray) -> None:
    step = max(1, math.ceil(len(levels) / 12))
    idx = np.arange(0, len(levels), step)
    set_ticks(idx)
    set_labels([f"{levels[i]:.3g}" for i in idx])


def multiples_figure(points: pd.DataFrame, manifest: dict, params: list[dict]):
    f = points[points["runs"] > 0]
    k = len(params)
    cols = min(3, k)
    rows = math.ceil(k / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows + 0.8), squeeze=False, sharey=True)
    for i, param in enumerate(params):
        ax = axes[i // cols][i % cols]
        path = param["path"]
        x, y = f[path].to_numpy(dtype=float), f["p_stays"].to_numpy(dtype=float)
        ax.scatter(x, y, s=8, color="#999999", alpha=0.5, label="one design point")
        centres, means, lows, highs = _binned(x, y)
        ax.fill_between(centres, np.clip(lows, 0, 1), np.clip(highs, 0, 1), color=OKABE_ITO[0], alpha=0.25,
                        linewidth=0, label="95% CI of the mean (clipped to 0-1)")
        ax.plot(centres, means, color=OKABE_ITO[0], linewidth=2, marker="o", markersize=3,
                label="mean over the other parameters")
        ax.axhline(0.5, color="#777777", linestyle=":", linewidth=1)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("\n".join(textwrap.wrap(axis_label(param), 42)), fontsize=8)
        if i % cols == 0:
            ax.set_ylabel("P(China stays), 0-1", fontsize=8)
        ax.grid(alpha=0.3)
        if i == 0:
            ax.legend(fontsize=6, loc="best")
    for j in range(k, rows * cols):
        axes[j // cols][j % cols].set_visible(False)
    horizon, threshold = _outcome_text(manifest)
    total = len((manifest.get("design") or {}).get("params") or params)
    which = ("each swept parameter" if total <= k else
             f"the {k} of {total} swept parameters that go most with it")
    fig.suptitle(f"Which parameters move China's choice? P(stays) against {which}\n"
                 f"({manifest.get('scenario', '?')}: {len(f)} points, {manifest.get('runs', '?')} runs each; "
                 f"stays = rung to Russia >= {threshold} at month {horizon})", fontsize=10)
    _footer(fig, manifest)
    tight(fig, (0, 0.03, 1, 1), "sweep_params")
    return fig


def _binned(x: np.ndarray, y: np.ndarray, bins: int = 8):
    """Mean of y at each distinct x (grids) or in equal-count bins (sampled designs)."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) == 0:
        return (np.array([]),) * 4
    levels = np.unique(x)
    if len(levels) <= 12:
        groups = [y[x == v] for v in levels]
        centres = levels
    else:
        order = np.argsort(x, kind="mergesort")
        parts = np.array_split(order, min(bins, len(x)))
        groups = [y[p] for p in parts]
        centres = np.array([x[p].mean() for p in parts])
    means = np.array([g.mean() for g in groups])
    half = np.array([1.959963984540054 * g.std(ddof=1) / math.sqrt(len(g)) if len(g) > 1 else 0.0 for g in groups])
    return centres, means, means - half, means + half


def draw_sweep(folder: str | Path) -> list[Path]:
    """Draw the charts of a sweep folder (manifest.json + points.parquet); return their paths."""
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    points = pd.read_parquet(folder / "points.parquet")
    params = (manifest.get("design") or {}).get("params") or []
    if not params or not (points["runs"] > 0).any():
        return []
    if len(params) == 1:
        return save(response_figure(points, manifest, params[0]), folder, "sweep_response")
    if len(params) == 2:
        return save(heatmap_figure(points, manifest, params), folder, "sweep_heatmap")
    return save(multiples_figure(points, manifest, strongest(points, params)), folder, "sweep_params")


#: Panels of the small-multiples chart: a design over every drawn parameter has ~150 of them.
MAX_MULTIPLES = 12


def strongest(points: pd.DataFrame, params: list[dict], top: int = MAX_MULTIPLES) -> list[dict]:
    """The ``top`` parameters whose values go most with P(stays) across the design points
    (absolute correlation), in design order; all of them when there are no more than ``top``."""
    if len(params) <= top:
        return params
    f = points[points["runs"] > 0]
    y = f["p_stays"].to_numpy(dtype=float)
    scores = []
    for i, param in enumerate(params):
        x = f[param["path"]].to_numpy(dtype=float)
        r = np.corrcoef(x, y)[0, 1] if np.std(x) > 0 and np.std(y) > 0 else 0.0
        scores.append((-abs(r) if np.isfinite(r) else 0.0, i))
    keep = sorted(i for _, i in sorted(scores)[:top])
    return [params[i] for i in keep]
