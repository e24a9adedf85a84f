"""Shared chart style: colour-blind-safe palette (Okabe-Ito), footer, saving."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import matplotlib.pyplot as plt

from ..model.decisions import N_RUNGS
from ..scenario.schema import RUNG_NAMES

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
RUNG_COLOURS = ["#0072B2", "#56B4E9", "#009E73", "#E69F00", "#D55E00"]
RUNG_LABELS = list(RUNG_NAMES)


def footer_text(manifest: dict | None, scenario: str | None = None, runs=None, seed=None) -> str:
    m = manifest or {}
    versions = m.get("versions", {})
    parts = [f"scenario: {scenario or m.get('scenario', '?')}",
             f"runs: {runs if runs is not None else m.get('runs', '?')}",
             f"seed: {seed if seed is not None else m.get('seed', '?')}",
             f"axis-sim {versions.get('axis-sim', '?')}", f"git {m.get('git', '?')}"]
    return " | ".join(parts)


def add_footer(fig, text: str) -> None:
    fig.text(0.01, 0.005, text, fontsize=7, color="#555555", ha="left", va="bottom")


_LAYOUTS: ContextVar[dict | None] = ContextVar("chart_layouts", default=None)


def tight(fig, rect=(0, 0, 1, 1), key: str | None = None) -> None:
    """``fig.tight_layout(rect=rect)``; inside :func:`reuse_layouts`, a figure of the same ``key``
    takes the margins found the first time (an interactive redraw skips the slow layout pass)."""
    cache = _LAYOUTS.get()
    if cache is not None and key is not None and key in cache:
        fig.subplots_adjust(**cache[key])
        return
    fig.tight_layout(rect=rect)
    if cache is not None and key is not None:
        p = fig.subplotpars
        cache[key] = {k: getattr(p, k) for k in ("left", "right", "bottom", "top", "wspace", "hspace")}


@contextmanager
def reuse_layouts(cache: dict):
    """Within the block, figures reuse the layout stored in ``cache`` under their key."""
    token = _LAYOUTS.set(cache)
    try:
        yield cache
    finally:
        _LAYOUTS.reset(token)


def rung_axis(ax) -> None:
    ax.set_yticks(range(N_RUNGS))
    ax.set_yticklabels(RUNG_LABELS)
    ax.set_ylim(-0.3, N_RUNGS - 0.7)


def save(fig, folder: Path, stem: str) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{stem}.png", folder / f"{stem}.svg"]
    fig.savefig(paths[0], dpi=110)
    fig.savefig(paths[1])
    plt.close(fig)
    return paths
