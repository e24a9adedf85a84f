"""Shared chart style: colour-blind-safe palette (Okabe-Ito), footer, saving."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from ..model.decisions import N_RUNGS
from ..experiment.store import track
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
    for path in paths:
        track(path)
    return paths
