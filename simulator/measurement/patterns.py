"""The observed patterns of each episode, and the same quantities computed from a run.

Pattern-oriented modelling (Grimm et al. 2005) scores a model on several patterns at once: here,
for each episode, the direction and size of each dip, its timing, the recovery, and "no
weapons".  Each :class:`Pattern` names the rows of ``data/history/*.csv`` it is computed from, so
every observed value is traceable to its source.

Continuous patterns are compared on a log scale (a growth rate ``g`` as ``log(1 + g)``, a level
as its log), so a miss of ``scale`` log points counts as one unit whatever the pattern's size;
binary patterns (0/1) count a miss as one unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .data import Observation, load_observations, month_index
from .mapping import Trajectories

#: One unit of distance, in log points, for continuous patterns (a miss of about 15%).
LOG_SCALE = 0.15


@dataclass(frozen=True)
class Pattern:
    episode: str
    name: str
    kind: str                                  # "binary" or "continuous"
    rows: tuple[tuple[str, str], ...]          # (series, date) of the observations it uses
    observed_fn: Callable[[dict], float] = field(repr=False, compare=False)
    simulated_fn: Callable[["Episode"], np.ndarray] = field(repr=False, compare=False)
    what: str = ""
    unit: str = ""
    scale: float = LOG_SCALE

    def observed(self, obs: dict[tuple[str, str], Observation]) -> float:
        return float(self.observed_fn({k: obs[k].value for k in self.rows}))

    def simulated(self, ep: "Episode") -> np.ndarray:
        return np.asarray(self.simulated_fn(ep), dtype=float)

    def sources(self, obs: dict[tuple[str, str], Observation]) -> list[Observation]:
        return [obs[k] for k in self.rows]


class Episode:
    """A run of an episode seen through the calendar: observables by month ``YYYY-MM``."""

    def __init__(self, traj: Trajectories, mparams: dict[str, np.ndarray]):
        self.traj, self.mparams = traj, mparams
        self.start = month_index(traj.start)

    def at(self, name: str, date: str) -> np.ndarray:
        m = month_index(date) - self.start
        if m < 0:
            return self.traj.before(name, -m, self.mparams)
        if m > self.traj.months:
            raise ValueError(f"{date} is after the episode's horizon")
        return self.traj.observables[name][m]

    def total(self, name: str, first: str, last: str) -> np.ndarray:
        """Sum of the observable over the calendar months first..last (inclusive)."""
        a, b = month_index(first), month_index(last)
        return sum(self.at(name, _date(i)) for i in range(a, b + 1))

    def mean(self, name: str, first: str, last: str) -> np.ndarray:
        return self.total(name, first, last) / (month_index(last) - month_index(first) + 1)

    def growth(self, name: str, first: str, last: str) -> np.ndarray:
        """Change of the total over first..last against the same months a year earlier."""
        prev = (_date(month_index(first) - 12), _date(month_index(last) - 12))
        return self.total(name, first, last) / self.total(name, *prev) - 1.0

    def state(self, name: str, first: str, last: str) -> np.ndarray:
        """Model state over calendar months first..last, shape (months, replicates)."""
        a, b = month_index(first) - self.start, month_index(last) - self.start
        return self.traj.state[name][max(a, 0):b + 1]


def _date(i: int) -> str:
    return f"{i // 12:04d}-{i % 12 + 1:02d}"


def _pct(v: float) -> float:
    return v / 100.0


def _ratio(a, b):
    return lambda v: v[a] / v[b] - 1.0


def _pat(episode, name, kind, rows, observed, simulated, what, unit="share of the level a year earlier"):
    return Pattern(episode, name, kind, tuple(rows), observed, simulated, what, unit)


TR, TRA = "china_russia_trade", "china_russia_trade_annual"
SH = "china_hk_share_russia_military_goods_imports"
#: Before the war China was below dual-use supply to Russia: its (and Hong Kong's) share of
#: Russia's military-goods imports jumped from 2021 to 2022 (an inference from the jump).
_PREWAR_ROWS = [(SH, "2021-12"), (SH, "2022-12")]


def _prewar_observed(v):
    return float(v[(SH, "2022-12")] > v[(SH, "2021-12")])

XR = "china_exports_to_russia_yoy"
CR = "china_crude_imports_from_iran"
CRUDE = "china_iran_crude"

PATTERNS: list[Pattern] = [
    # ---- Ukraine 2022: dual-use within a year, records in 2022-2024, no weapons
    _pat("ukraine_2022", "dual_use_within_a_year", "binary",
         [("china_hk_share_russia_military_goods_imports", "2021-12"),
          ("china_hk_share_russia_military_goods_imports", "2022-12")],
         lambda v: float(v[("china_hk_share_russia_military_goods_imports", "2022-12")]
                         > v[("china_hk_share_russia_military_goods_imports", "2021-12")]),
         lambda e: (e.state("rung_russia", "2022-02", "2023-02") >= 2).any(axis=0),
         "China's rung to Russia reaches dual-use (2) by February 2023 (observed: China's share of "
         "Russia's military-goods imports jumps in 2022)", "yes/no"),
    _pat("ukraine_2022", "dual_use_in_2023", "binary",
         [("china_share_russia_military_goods_imports", "2023-12")],
         lambda v: float(v[("china_share_russia_military_goods_imports", "2023-12")] >= 0.5),
         lambda e: e.state("rung_russia", "2023-12", "2023-12")[0] >= 2,
         "China still at dual-use supply in December 2023 (observed: 90% of Russia's military-goods imports)",
         "yes/no"),
    _pat("ukraine_2022", "trade_growth_2022", "continuous",
         [(TRA, "2021-12"), (TRA, "2022-12")], _ratio((TRA, "2022-12"), (TRA, "2021-12")),
         lambda e: e.growth(TR, "2022-01", "2022-12"), "China-Russia trade, 2022 over 2021"),
    _pat("ukraine_2022", "trade_growth_2023", "continuous",
         [(TRA, "2022-12"), (TRA, "2023-12")], _ratio((TRA, "2023-12"), (TRA, "2022-12")),
         lambda e: e.growth(TR, "2023-01", "2023-12"), "China-Russia trade, 2023 over 2022 (record)"),
    _pat("ukraine_2022", "trade_growth_2024", "continuous",
         [(TRA, "2023-12"), (TRA, "2024-12")], _ratio((TRA, "2024-12"), (TRA, "2023-12")),
         lambda e: e.growth(TR, "2024-01", "2024-12"), "China-Russia trade, 2024 over 2023 (slight record)"),
    _pat("ukraine_2022", "no_weapons", "binary",
         [("china_lethal_aid_to_russia", "2023-11"), ("china_lethal_aid_to_russia", "2024-12")],
         lambda v: max(v.values()), lambda e: e.at("lethal_aid", "2024-12"),
         "complete weapons sent to Russia by December 2024", "yes/no"),
    # ---- EO 14114: the dip, its timing, the recovery, no break
    _pat("eo14114_2024", "exports_yoy_2024_01_02", "continuous", [(XR, "2024-02")],
         lambda v: _pct(v[(XR, "2024-02")]), lambda e: e.growth(TR, "2024-01", "2024-02"),
         "China's exports to Russia, Jan-Feb 2024 y/y (before the dip)"),
    _pat("eo14114_2024", "exports_yoy_2024_03", "continuous", [(XR, "2024-03")],
         lambda v: _pct(v[(XR, "2024-03")]), lambda e: e.growth(TR, "2024-03", "2024-03"),
         "China's exports to Russia, March 2024 y/y (the dip)"),
    _pat("eo14114_2024", "exports_yoy_2024_05", "continuous", [(XR, "2024-05")],
         lambda v: _pct(v[(XR, "2024-05")]), lambda e: e.growth(TR, "2024-05", "2024-05"),
         "China's exports to Russia, May 2024 y/y (still down)"),
    _pat("eo14114_2024", "exports_yoy_2024_06", "continuous", [(XR, "2024-06")],
         lambda v: _pct(v[(XR, "2024-06")]), lambda e: e.growth(TR, "2024-06", "2024-06"),
         "China's exports to Russia, June 2024 y/y (recovered)"),
    _pat("eo14114_2024", "exports_growth_2024", "continuous",
         [("china_exports_to_russia_growth_annual", "2024-12")],
         lambda v: _pct(v[("china_exports_to_russia_growth_annual", "2024-12")]),
         lambda e: e.growth(TR, "2024-01", "2024-12"), "China's exports to Russia, 2024 over 2023"),
    _pat("eo14114_2024", "no_weapons", "binary", [("china_lethal_aid_to_russia", "2024-12")],
         lambda v: v[("china_lethal_aid_to_russia", "2024-12")], lambda e: e.at("lethal_aid", "2024-12"),
         "complete weapons sent to Russia by December 2024", "yes/no"),
    # ---- North Korea 2017: the fall of 2018 and the recovery of 2019
    _pat("north_korea_2017", "imports_yoy_2018_h1", "continuous", [("china_imports_from_nk_yoy", "2018-06")],
         lambda v: _pct(v[("china_imports_from_nk_yoy", "2018-06")]),
         lambda e: e.growth("china_nk_imports", "2018-01", "2018-06"),
         "China's imports from North Korea, H1 2018 y/y"),
    _pat("north_korea_2017", "exports_yoy_2018_h1", "continuous", [("china_exports_to_nk_yoy", "2018-06")],
         lambda v: _pct(v[("china_exports_to_nk_yoy", "2018-06")]),
         lambda e: e.growth("china_nk_exports", "2018-01", "2018-06"),
         "China's exports to North Korea, H1 2018 y/y"),
    _pat("north_korea_2017", "trade_yoy_2018_jan_nov", "continuous", [("china_nk_trade_yoy", "2018-11")],
         lambda v: _pct(v[("china_nk_trade_yoy", "2018-11")]),
         lambda e: e.growth("china_nk_trade", "2018-01", "2018-11"),
         "China-North Korea trade, Jan-Nov 2018 y/y"),
    _pat("north_korea_2017", "trade_yoy_2019_h1", "continuous", [("china_nk_trade_yoy", "2019-06")],
         lambda v: _pct(v[("china_nk_trade_yoy", "2019-06")]),
         lambda e: e.growth("china_nk_trade", "2019-01", "2019-06"),
         "China-North Korea trade, H1 2019 y/y (re-engagement)"),
    _pat("north_korea_2017", "below_dual_use_to_russia_2019", "binary", _PREWAR_ROWS, _prewar_observed,
         lambda e: e.state("rung_russia", "2019-12", "2019-12")[0] < 2,
         "China below dual-use supply to Russia in December 2019, before the war (observed: China's share "
         "of Russia's military-goods imports jumps only in 2022)", "yes/no"),
    # ---- Iran 2018: from about 660 kb/d to about 210 kb/d, then 0.9-1.5 mb/d
    _pat("iran_2018", "below_dual_use_to_russia_2021", "binary", _PREWAR_ROWS, _prewar_observed,
         lambda e: e.state("rung_russia", "2021-12", "2021-12")[0] < 2,
         "China below dual-use supply to Russia in December 2021, before the war (observed: China's share "
         "of Russia's military-goods imports jumps only in 2022)", "yes/no"),
    *[_pat("iran_2018", f"crude_{d.replace('-', '_')}", "continuous", [(CR, d)],
           (lambda d: lambda v: v[(CR, d)])(d), (lambda d: lambda e: e.at(CRUDE, d))(d),
           f"China's crude imports from Iran, {d}", "kb/d")
      for d in ("2018-09", "2018-12", "2019-03", "2019-06")],
    _pat("iran_2018", "crude_2019", "continuous", [("china_crude_imports_from_iran_annual", "2019-12")],
         lambda v: v[("china_crude_imports_from_iran_annual", "2019-12")],
         lambda e: e.mean(CRUDE, "2019-01", "2019-12"), "China's crude imports from Iran, 2019 average", "kb/d"),
    _pat("iran_2018", "crude_2023_jan_jul", "continuous", [(CR, "2023-07")],
         lambda v: v[(CR, "2023-07")], lambda e: e.mean(CRUDE, "2023-01", "2023-07"),
         "China's crude imports from Iran, Jan-Jul 2023 average (Kpler estimate)", "kb/d"),
]

LEVEL_UNITS = ("kb/d",)


def patterns_for(episode: str) -> list[Pattern]:
    return [p for p in PATTERNS if p.episode == episode]


def observed_values(observations: list[Observation] | None = None) -> dict[tuple[str, str], float]:
    """(episode, pattern) -> observed value, from the data files."""
    obs = {(o.series, o.date): o for o in (observations if observations is not None else load_observations())}
    return {(p.episode, p.name): p.observed(obs) for p in PATTERNS}


def to_log(p: Pattern, x):
    """The scale patterns are compared on: log level for levels, log(1 + g) for growth rates."""
    x = np.asarray(x, dtype=float)
    if p.kind == "binary":
        return x
    if p.unit in LEVEL_UNITS:
        return np.log(np.maximum(x, 1e-9))
    return np.log(np.maximum(1.0 + x, 1e-9))


def discrepancy(p: Pattern, simulated, observed: float) -> np.ndarray:
    """Per-replicate miss in units (0 = hit): |log difference| / scale, or 0/1 for binary."""
    if p.kind == "binary":
        return np.abs(np.asarray(simulated, dtype=float) - observed)
    return np.abs(to_log(p, simulated) - to_log(p, observed)) / p.scale
