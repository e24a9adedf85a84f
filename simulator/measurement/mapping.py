"""From model state to observables, month by month.

The model knows rungs (0-4) and levels (0-1); history records dollars of trade, barrels a day and
yes/no facts.  Each mapping below turns the first into the second with a few parameters, each
``{value, range, source}`` like a scenario parameter, drawn per replicate from its range
(triangular, mode at the value) or set by a calibration.

Observables (one value per replicate per month, month 0 = the episode's start month):

``china_russia_trade``
    an index (1 at month 0) of China-Russia goods trade:
    ``exp(trend * t/12 + rung_elasticity * (rung_t - rung_0) - friction_elasticity * friction_t
    + substitution * (S_t - S_0))``
    where ``rung`` is China's rung to Russia, ``friction`` the payment friction below and
    ``S_t = 1 - exp(-w_t / substitution_months)`` the share of its wartime substitution done:
    ``w_t`` counts the months Russia has been at war (``theatres.ukraine.war``) by month ``t``,
    from the start of the full-scale war (:data:`WAR_START`) when an episode starts during it.
    As Western suppliers left Russia, Chinese goods replaced theirs, fast at first.
``china_nk_exports``, ``china_nk_imports``, ``china_nk_trade``
    indices of China's exports to and imports from North Korea (the same form, with China's
    rung to North Korea, no friction term: the UN sanctions China enforced are its own rung), and
    their total weighted by the first-half 2017 shares.
``china_iran_crude``
    China's crude imports from Iran in kb/d: ``base_kbd * exp(trend * t/12 + rung_elasticity *
    (rung_t - rung_0) - friction_elasticity * friction_t)`` with China's rung to Iran.
``lethal_aid``
    1 once China's rung to Russia has reached the scenario's weapons rung, else 0.

**Payment friction.**  A rise of the secondary-sanctions intensity China faces (the model's
``intensity_china``) is felt by banks after ``friction_lag_months`` (its own for crude from Iran); the friction is how far the
intensity stands above a reference that follows it with a time constant of
``adaptation_months`` (banks, intermediaries and relabelled cargoes find ways around it), so a
step of sanctions gives a dip that fades while the step stays.  A fall of the intensity gives no
friction.

Months before the start (needed for year-on-year changes) are the start month's level moved back
along the trend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model.model import AxisModel
from ..model.sampling import draw_parameters
from ..scenario.schema import ParamSpec
from .data import month_index


def _p(value, lo, hi, source):
    return ParamSpec(value=value, range=(lo, hi), source=source)


#: Every mapping parameter, {value, range, source}.  Paths start with ``measurement.``.
PARAMS: dict[str, ParamSpec] = {
    "measurement.trade.trend": _p(
        0.08, 0.0, 0.25, "assumption: yearly growth of China-Russia trade at constant rungs and "
        "sanctions; China's exports to Russia grew 12.5% y/y in Jan-Feb 2024 and 4.1% in 2024 "
        "(data/history/china_russia.csv)"),
    "measurement.trade.rung_elasticity": _p(
        0.25, 0.05, 0.6, "assumption: log change of trade per rung of China's support to Russia; "
        "trade grew 29% in 2022 and 26% in 2023 while China moved to dual-use supply "
        "(data/history/china_russia.csv)"),
    "measurement.trade.friction_elasticity": _p(
        2.0, 0.2, 5.0, "assumption: log change of trade per unit of unabsorbed sanctions rise; the "
        "EO 14114 threat cut exports about 16% y/y in March 2024 (data/history/china_russia.csv)"),
    "measurement.trade.adaptation_months": _p(
        4.0, 1.0, 12.0, "assumption: time for payments to find new channels; exports recovered "
        "within three months of the March 2024 dip (BNN Bloomberg 2024-07-12)"),
    "measurement.trade.substitution": _p(
        0.3, 0.0, 0.6, "assumption: log points of China-Russia trade gained once Chinese goods "
        "have replaced those of the Western suppliers who left Russia after February 2022; trade "
        "rose 29% in 2022 and 26% in 2023, then 1.9% in 2024 (data/history/china_russia.csv)"),
    "measurement.trade.substitution_months": _p(
        12.0, 6.0, 24.0, "assumption: time constant of that substitution; most of the growth came "
        "in the first two years of the war (data/history/china_russia.csv)"),
    "measurement.trade.friction_lag_months": _p(
        2.0, 0.0, 4.0, "assumption: months from a sanctions step to banks' refusals; EO 14114 of "
        "2023-12-22, refusals from February-March 2024 (supplement 9)"),
    "measurement.nk.trend": _p(
        0.0, -0.1, 0.1, "assumption: China-North Korea trade flat at constant rungs (it grew "
        "10.5% y/y in H1 2017 before the UN sanctions, data/history/north_korea.csv)"),
    "measurement.nk.export_elasticity": _p(
        0.5, 0.1, 1.5, "assumption: log change of China's exports to North Korea per rung; they "
        "fell 43.1% in H1 2018 (data/history/north_korea.csv)"),
    "measurement.nk.import_elasticity": _p(
        1.5, 0.3, 3.0, "assumption: log change of China's imports from North Korea per rung; the "
        "UN bans hit North Korea's exports (coal, textiles, seafood): -88.7% in H1 2018"),
    "measurement.nk.export_share": ParamSpec(
        value=0.655, source="China customs, H1 2017: exports $1.67bn of $2.55bn total trade "
        "(data/history/north_korea.csv)"),
    "measurement.iran.base_kbd": _p(
        660.0, 600.0, 700.0, "China customs: more than 660 kb/d from Iran in Jan-May 2018 "
        "(data/history/iran.csv)"),
    "measurement.iran.trend": _p(
        0.1, 0.0, 0.3, "assumption: yearly growth of Chinese independent refiners' demand for "
        "discounted Iranian crude; Kpler puts 2023 at 0.9-1.5 mb/d (data/history/iran.csv)"),
    "measurement.iran.rung_elasticity": _p(
        0.6, 0.1, 1.5, "assumption: log change of China's Iranian crude imports per rung of its "
        "support to Iran"),
    "measurement.iran.friction_elasticity": _p(
        3.0, 0.5, 6.0, "assumption: imports fell from about 660 to 208 kb/d by June 2019 after the "
        "waivers ended (data/history/iran.csv)"),
    "measurement.iran.friction_lag_months": _p(
        1.0, 0.0, 3.0, "assumption: months from a sanctions step to lower crude arrivals in China; "
        "buyers seeking exceptions were advised to cut during the wind-down (OFAC FAQ 5.2, 8 May "
        "2018), and China's imports fell 34% y/y in September 2018, a month after the first step "
        "(data/history/iran.csv)"),
    "measurement.iran.adaptation_months": _p(
        12.0, 3.0, 36.0, "assumption: time for relabelled cargoes ('Malaysian' crude) to replace "
        "declared ones; 'Malaysia' reached 0.96 mb/d in 2023 (data/history/iran.csv)"),
}

#: Observables recorded each month.
OBSERVABLES = ("china_russia_trade", "china_nk_exports", "china_nk_imports", "china_nk_trade",
               "china_iran_crude", "lethal_aid")
#: Model state the mappings read, recorded each month (``war_months``: months Russia has been at
#: war by then).
STATE = ("rung_russia", "rung_iran", "rung_nk", "intensity", "war_months")
#: The start of Russia's full-scale war on Ukraine (24 February 2022): an episode that starts
#: during the war (theatres.ukraine.war = 1 at month 0) has been at war since then.
WAR_START = "2022-02"


def draw_measurement(n: int, seed: int, *, fixed: bool = False, offset: int = 0) -> dict[str, np.ndarray]:
    """Per-replicate values of the mapping parameters drawn from their ranges."""
    return draw_parameters(PARAMS, n, seed, fixed=fixed, offset=offset)


@dataclass
class Trajectories:
    """Monthly model state and observables of one episode, arrays of shape (months + 1, replicates)."""

    start: str
    state: dict[str, np.ndarray]
    observables: dict[str, np.ndarray]

    @property
    def months(self) -> int:
        return next(iter(self.state.values())).shape[0] - 1

    def before(self, name: str, months_back: np.ndarray | int, mparams: dict[str, np.ndarray]) -> np.ndarray:
        """The observable ``months_back`` (>0) months before the start, along the trend."""
        trend = {"china_russia_trade": "measurement.trade.trend", "china_iran_crude": "measurement.iran.trend",
                 "china_nk_exports": "measurement.nk.trend", "china_nk_imports": "measurement.nk.trend",
                 "china_nk_trade": "measurement.nk.trend"}[name]
        return self.observables[name][0] * np.exp(-mparams[trend] * np.asarray(months_back) / 12.0)


class Observer:
    """Steps an :class:`AxisModel` month by month and records its state and observables.

    ``mparams``: the mapping parameters per replicate (default: drawn from :data:`PARAMS`).
    """

    def __init__(self, model: AxisModel, mparams: dict[str, np.ndarray] | None = None):
        self.model = model
        n = model.replicates
        self.mparams = mparams if mparams is not None else draw_measurement(n, model.seed_value)
        missing = set(PARAMS) - set(self.mparams)
        if missing:
            raise ValueError(f"missing measurement parameters: {sorted(missing)}")
        months = model.horizon + 1
        self.state = {k: np.full((months, n), np.nan) for k in STATE}
        self.weapons = float(model.resolved.scenario.outcome.weapons_rung)
        war = model.p["theatres.ukraine.war"]
        self.war_months = war * max(month_index(model.resolved.scenario.start) - month_index(WAR_START), 0)
        self._record(0)

    def _intensity(self) -> np.ndarray:
        ctx = getattr(self.model, "ctx", None) or {}
        if "intensity_china" in ctx:
            return np.asarray(ctx["intensity_china"], dtype=float)
        return self.model.p["policies.secondary_sanctions.intensity"]

    def _record(self, month: int) -> None:
        china = self.model.china
        self.state["rung_russia"][month] = china.support["russia"]
        self.state["rung_iran"][month] = china.support["iran"]
        self.state["rung_nk"][month] = china.support["north_korea"]
        self.state["intensity"][month] = self._intensity()
        if month > 0:
            self.war_months = self.war_months + self.model.p["theatres.ukraine.war"]
        self.state["war_months"][month] = self.war_months

    def run(self) -> Trajectories:
        m = self.model
        while m.running and m.month < m.horizon:
            m.step()
            self._record(m.month)
        return Trajectories(m.resolved.scenario.start, self.state, observe(self.state, self.mparams, self.weapons))


def friction(intensity: np.ndarray, lag_months: np.ndarray, adaptation_months: np.ndarray) -> np.ndarray:
    """Unabsorbed rise of the sanctions intensity, per month and replicate (see the module doc)."""
    months, n = intensity.shape
    lag = np.rint(np.clip(lag_months, 0, None)).astype(int)
    cols = np.arange(n)
    tau = np.maximum(adaptation_months, 1.0)
    out = np.zeros((months, n))
    ref = intensity[0].copy()
    for t in range(months):
        felt = intensity[np.maximum(t - lag, 0), cols]
        out[t] = np.maximum(felt - ref, 0.0)
        ref = ref + (felt - ref) / tau
    return out


def observe(state: dict[str, np.ndarray], mp: dict[str, np.ndarray], weapons_rung: float = 4.0) -> dict[str, np.ndarray]:
    """Observables from the recorded model state (arrays (months + 1, n)) and mapping parameters."""
    months = state["rung_russia"].shape[0]
    t = np.arange(months)[:, None] / 12.0
    d_ru = state["rung_russia"] - state["rung_russia"][0]
    d_ir = state["rung_iran"] - state["rung_iran"][0]
    d_nk = state["rung_nk"] - state["rung_nk"][0]
    f_trade = friction(state["intensity"], mp["measurement.trade.friction_lag_months"],
                       mp["measurement.trade.adaptation_months"])
    f_iran = friction(state["intensity"], mp["measurement.iran.friction_lag_months"],
                      mp["measurement.iran.adaptation_months"])
    war_months = state.get("war_months")
    if war_months is None:
        substituted = 0.0
    else:
        done = 1.0 - np.exp(-war_months / np.maximum(mp["measurement.trade.substitution_months"], 1.0))
        substituted = mp["measurement.trade.substitution"] * (done - done[0])
    trade = np.exp(mp["measurement.trade.trend"] * t + mp["measurement.trade.rung_elasticity"] * d_ru
                   - mp["measurement.trade.friction_elasticity"] * f_trade + substituted)
    nk_x = np.exp(mp["measurement.nk.trend"] * t + mp["measurement.nk.export_elasticity"] * d_nk)
    nk_m = np.exp(mp["measurement.nk.trend"] * t + mp["measurement.nk.import_elasticity"] * d_nk)
    share = mp["measurement.nk.export_share"]
    crude = mp["measurement.iran.base_kbd"] * np.exp(
        mp["measurement.iran.trend"] * t + mp["measurement.iran.rung_elasticity"] * d_ir
        - mp["measurement.iran.friction_elasticity"] * f_iran)
    lethal = np.maximum.accumulate(state["rung_russia"] >= weapons_rung, axis=0).astype(float)
    return {"china_russia_trade": trade, "china_nk_exports": nk_x, "china_nk_imports": nk_m,
            "china_nk_trade": share * nk_x + (1 - share) * nk_m, "china_iran_crude": crude,
            "lethal_aid": lethal}


def observe_episode(scenario, replicates: int, seed: int, *, params=None, mparams=None,
                    fixed: bool = False, offset: int = 0) -> Trajectories:
    """Run ``scenario`` (a path or Resolved) for ``replicates`` and record its observables.

    ``params`` (model parameters per replicate) replaces the model's own draws where given;
    parameters it leaves out are drawn from the scenario's ranges.  ``offset`` is the index of
    the first replicate: replicate ``i`` draws the same numbers whatever block it runs in.
    """
    from ..model.model import resolve
    resolved = resolve(scenario)
    drawn = draw_parameters(resolved.params, replicates, seed, fixed=fixed, offset=offset)
    if params:
        for k, v in params.items():
            if k in drawn:
                drawn[k] = np.asarray(v, dtype=float)
    model = AxisModel(resolved, replicates=replicates, seed=seed, params=drawn, collect=False,
                      series_limit=0, offset=offset)
    if mparams is None:
        mparams = draw_measurement(replicates, seed, fixed=fixed, offset=offset)
    try:
        return Observer(model, mparams).run()
    finally:
        model.release()
