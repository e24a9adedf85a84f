"""Shared chart style: colour-blind-safe palette (Okabe-Ito), footer, saving."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
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


def calendar(start: str | None, month: int) -> str:
    """Calendar month 'YYYY-MM' of model month ``month`` (``start`` is month 0)."""
    try:
        year, mon = (int(x) for x in str(start).split("-"))
    except (TypeError, ValueError):
        return str(month)
    total = year * 12 + mon - 1 + int(month)
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def month_axis(ax, start: str | None, horizon: int, label: bool = True) -> None:
    """Calendar-month ticks (2025-03) on a time axis counted in model months."""
    step = 3 if horizon <= 18 else 6 if horizon <= 48 else 12
    ticks = list(range(0, int(horizon) + 1, step))
    ax.set_xticks(ticks)
    ax.set_xticklabels([calendar(start, m) for m in ticks], fontsize=7, rotation=30, ha="right")
    ax.set_xlim(0, horizon)
    if label:
        ax.set_xlabel("calendar month", fontsize=8)


def event_marks(events: list[dict] | None) -> list[tuple[int, str]]:
    """(month, note) per month that has scenario events; several at one month are joined."""
    by_month: dict[int, list[str]] = {}
    for ev in events or []:
        text = ev.get("note") or ev.get("path", "").split(".")[-1].replace("_", " ")
        notes = by_month.setdefault(int(ev["month"]), [])
        if text not in notes:
            notes.append(text)
    out = []
    for month, notes in sorted(by_month.items()):
        text = notes[0] if len(notes) == 1 else f"{notes[0]} (+{len(notes) - 1} more)"
        out.append((month, text))
    return out


def mark_events(ax, events: list[dict] | None, notes: bool = True) -> list:
    """A dotted vertical line at each event month, tagged E1, E2 ... at the top of the axes
    (the notes themselves go in the figure's caption: :func:`events_caption`)."""
    artists = []
    for i, (month, _) in enumerate(event_marks(events), start=1):
        artists.append(ax.axvline(month, color="#444444", linestyle=(0, (2, 2)), linewidth=1, zorder=1,
                                  gid="event"))
        if notes:
            artists.append(ax.text(month, 0.995, f"E{i}", transform=ax.get_xaxis_transform(), va="top",
                                   ha="center", fontsize=7, color="#333333", gid="event-note",
                                   bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "#444444",
                                         "linewidth": 0.5}))
    return artists


def events_caption(fig, events: list[dict] | None, start: str | None, y: float = 0.075):
    """One line under the plots: each event tag with its calendar month and note."""
    marks = event_marks(events)
    if not marks:
        return None
    text = "Scenario events (dotted lines): " + "; ".join(
        f"E{i} {calendar(start, month)}: {note}" for i, (month, note) in enumerate(marks, start=1))
    return fig.text(0.5, y, text, ha="center", va="bottom", fontsize=7, color="#333333", wrap=True,
                    gid="events-caption")


def legend_below(fig, handles, labels, ncol: int = 4, y: float = 0.03, **kw):
    """A figure legend under the plots, clear of any data."""
    return fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, y), ncol=ncol, fontsize=7,
                      frameon=False, **kw)


def rung_axis(ax) -> None:
    ax.set_yticks(range(N_RUNGS))
    ax.set_yticklabels(RUNG_LABELS)
    ax.set_ylim(-0.3, N_RUNGS - 0.7)


#: Resolution of the PNG charts: legends and labels stay legible at report size.
DPI = 150


def save(fig, folder: Path, stem: str) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{stem}.png", folder / f"{stem}.svg"]
    fig.savefig(paths[0], dpi=DPI)
    fig.savefig(paths[1])
    plt.close(fig)
    for path in paths:
        track(path)
    return paths
