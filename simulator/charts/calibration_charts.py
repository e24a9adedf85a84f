"""Calibration charts: prior vs posterior of the parameters that moved, and each episode's
observed patterns and series over the prior and posterior predictive bands."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .style import OKABE_ITO, add_footer, save  # noqa: E402

PRIOR, POST, OBS = "#999999", OKABE_ITO[0], "#000000"


def draw_parameters_moved(out: Path, params: pd.DataFrame, prior: dict[str, np.ndarray],
                          posterior: pd.DataFrame, footer: str, limit: int = 12) -> list[str]:
    """posterior_params.png: prior and posterior histograms of the parameters that moved most."""
    moved = params[params["moved"]].sort_values("sd_ratio").head(limit)
    if moved.empty:
        moved = params.sort_values("sd_ratio").head(min(limit, 6))
        title = "No parameter moved: the six that narrowed most"
    else:
        title = "Prior (grey) and posterior (blue) of the parameters the data constrain"
    n = len(moved)
    cols = min(4, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows + 0.6), squeeze=False)
    w = posterior["weight"].to_numpy(dtype=float)
    for ax, (_, r) in zip(axes.flat, moved.iterrows()):
        p = r["parameter"]
        bins = np.linspace(r["prior_low"], r["prior_high"], 25)
        ax.hist(prior[p], bins=bins, density=True, color=PRIOR, alpha=0.6, label="prior")
        ax.hist(posterior[p], bins=bins, weights=w, density=True, color=POST, alpha=0.7, label="posterior")
        ax.set_title(p.replace("measurement.", "m.").replace("decision.weights.", "w."), fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    add_footer(fig, footer)
    fig.tight_layout(rect=(0, 0.03, 1, 0.95))
    save(fig, out, "posterior_params")
    return ["posterior_params.png"]


def draw_episode(out: Path, episode: str, cov_prior: pd.DataFrame, cov_post: pd.DataFrame,
                 series: dict | None, footer: str) -> str:
    """episode_<name>.png: every pattern of the episode (observed point, prior and posterior 80%
    bands) and, where the episode has a monthly observable, its posterior predictive band."""
    pri = cov_prior[cov_prior["episode"] == episode].reset_index(drop=True)
    pos = cov_post[cov_post["episode"] == episode].reset_index(drop=True)
    panels = 2 if series else 1
    fig, axes = plt.subplots(1, panels, figsize=(6.2 * panels, 3.8), squeeze=False)
    ax = axes[0, 0]
    y = np.arange(len(pos))
    ax.hlines(y + 0.15, pri["low"], pri["high"], color=PRIOR, lw=5, alpha=0.7, label="prior 80%")
    ax.hlines(y - 0.15, pos["low"], pos["high"], color=POST, lw=5, alpha=0.9, label="posterior 80%")
    ax.plot(pos["mean"], y - 0.15, "|", color="white", ms=8)
    ax.plot(pos["observed"], y, "D", color=OBS, ms=5, label="observed")
    ax.set_yticks(y)
    ax.set_yticklabels(pos["pattern"], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("growth (share), level (kb/d) or yes/no", fontsize=8)
    ax.set_title(f"{episode}: observed patterns over the predictive bands", fontsize=9)
    ax.legend(fontsize=7, loc="best")
    if series:
        ax2 = axes[0, 1]
        x = np.arange(len(series["dates"]))
        for band, colour, label in ((series["prior"], PRIOR, "prior 10-90%"), (series["post"], POST, "posterior 10-90%")):
            ax2.fill_between(x, band[0], band[2], color=colour, alpha=0.35, label=label)
            ax2.plot(x, band[1], color=colour, lw=1)
        ox = [series["dates"].index(d) for d, _ in series["observed"] if d in series["dates"]]
        oy = [v for d, v in series["observed"] if d in series["dates"]]
        ax2.plot(ox, oy, "D", color=OBS, ms=5, label="observed")
        step = max(1, len(x) // 8)
        ax2.set_xticks(x[::step])
        ax2.set_xticklabels(series["dates"][::step], fontsize=7, rotation=45)
        ax2.set_title(series["title"], fontsize=9)
        ax2.set_ylabel(series["unit"], fontsize=8)
        ax2.legend(fontsize=7, loc="best")
    add_footer(fig, footer)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    save(fig, out, f"episode_{episode}")
    return f"episode_{episode}.png"


def draw_scores(out: Path, scores: pd.DataFrame, footer: str) -> str:
    """scores.png: skill of the posterior over the prior on each held-out pattern,
    1 - posterior score / prior score (above 0: the posterior predicts better)."""
    s = scores[scores["prior_score"] > 0].reset_index(drop=True)
    skill = 1 - s["posterior_score"] / s["prior_score"]
    episodes = list(dict.fromkeys(s["episode"]))
    colours = {e: OKABE_ITO[i % len(OKABE_ITO)] for i, e in enumerate(episodes)}
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(s) + 1.6))
    y = np.arange(len(s))
    ax.barh(y, skill.clip(-1.5, 1), color=[colours[e] for e in s["episode"]])
    ax.axvline(0, color="#333333", lw=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels([f"{e}: {p} ({k})" for e, p, k in zip(s["episode"], s["pattern"], s["score"])], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(-1.5, 1)
    ax.set_xlabel("skill = 1 - posterior score / prior score\n(> 0: the posterior predicts the held-out "
                  "episode better; clipped at -1.5)", fontsize=8)
    ax.set_title("Leave-one-out: does fitting the other episodes help predict this one?", fontsize=9)
    add_footer(fig, footer)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    save(fig, out, "scores")
    return "scores.png"
