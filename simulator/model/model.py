"""AxisModel: the mesa Model.  One instance advances R Monte Carlo replicates at once.

Schedule of one month (simultaneous activation, so agent order cannot matter):
  1. apply the scenario's events for this month;
  2. read the shared context from last month's state (perceived failures,
     Hormuz disruption, sanctions in force, allied cohesion);
  3. every state decides its support rungs from that context (``decide``);
  4. every state applies its decision (``advance``);
  5. the theatres, Western enforcement, allied cohesion and China's cost move
     on the new support levels.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import mesa
import numpy as np

from ..scenario import Resolved, load_scenario
from ..scenario.schema import AXIS, STATE_IDS
from . import decisions as rules
from . import theatres as th
from .agents import StateAgent
from .rng import DynamicStreams
from .sampling import draw_parameters

DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"

#: Series recorded per replicate each month (for bands).
SERIES = ("china_rung", "china_iran_rung", "china_nk_rung", "front", "escalation",
          "disruption", "tension", "allied_cohesion", "axis_cohesion", "sanction_intensity",
          "china_cost")

#: Fixed structural weights (documented in docs/model.md, "Structural constants").
RUSSIA_SUPPORT_MIX = {"china": 0.5, "north_korea": 0.3, "iran": 0.2}
IRAN_SUPPORT_MIX = {"china": 0.5, "russia": 0.3}
SK_ARMS_WEIGHT = 0.25
COUPLING_SCALE = 0.3


@lru_cache(maxsize=64)
def _cached_load(path: str, mtime: float, overrides: tuple[str, ...]) -> Resolved:
    return load_scenario(path, list(overrides))


def resolve(scenario, overrides=None) -> Resolved:
    if isinstance(scenario, Resolved):
        if overrides:
            raise ValueError("pass overrides when loading the scenario")
        return scenario
    path = str(scenario)
    return _cached_load(path, Path(path).stat().st_mtime, tuple(overrides or ()))


class AxisModel(mesa.Model):
    """The axis alignment model.

    Parameters
    ----------
    scenario : path or :class:`Resolved`
    replicates : Monte Carlo replicates advanced together (1 = an ordinary mesa run)
    seed : base seed (default: the scenario's)
    fixed : use point values instead of drawing from ranges
    offset : index of the first replicate (for batches; results do not depend on it)
    series_limit : keep per-replicate monthly series for at most this many replicates
    """

    def __init__(self, scenario=DEFAULT_SCENARIO, replicates: int = 1, seed: int | None = None,
                 fixed: bool = False, offset: int = 0, overrides=None,
                 series_limit: int | None = None, collect: bool = True, params=None, rng=None):
        self.resolved = resolve(scenario, overrides)
        sc = self.resolved.scenario
        seed = int(sc.seed if seed is None else seed)
        super().__init__(rng=seed)
        self.seed_value = seed
        self.replicates = n = int(replicates)
        self.horizon = sc.horizon_months
        self.month = 0
        self.drawn = params if params is not None else draw_parameters(
            self.resolved.params, n, seed, fixed=fixed, offset=offset)
        self.p = {k: np.array(v, dtype=float, copy=True) for k, v in self.drawn.items()}
        self.zero, self.one = np.zeros(n), np.ones(n)
        self.no_redline = np.full(n, 5.0)        # redline past the top rung: no broad-sanctions threat
        self.streams = DynamicStreams(seed, n, offset)

        for path, (lo, hi, integer) in self.resolved.bounds.items():
            if integer:
                self.p[path] = np.rint(self.p[path])
        self.by_id: dict[str, StateAgent] = {}
        for sid in STATE_IDS:
            if sid in AXIS:
                partners = tuple(a for a in AXIS if a != sid)
            elif sid == "south_korea":
                partners = ("ukraine",)
            else:
                partners = ()
            self.by_id[sid] = StateAgent(self, sid, partners)
        self.china = self.by_id["china"]
        self._rows = {}
        for agent in self.by_id.values():
            for partner in agent.partners:
                self._rows[(agent.state_id, partner)] = len(self._rows)
        self._noise_rows = {name: len(self._rows) + i for i, name in
                            enumerate(("front", "escalation", "tension"))}
        self._width = len(self._rows) + len(self._noise_rows)
        self._u = None

        self.weights = rules.Weights(**{k: self.p[f"decision.weights.{k}"]
                                        for k in rules.Weights.__dataclass_fields__})
        self._profiles()
        self.momentum = {"russia": self.p["theatres.ukraine.momentum"].copy(),
                         "iran": np.zeros(n), "north_korea": np.zeros(n)}
        self.broad_active = np.zeros(n, dtype=bool)
        self.months_over = np.zeros(n)
        self.months_under = np.zeros(n)
        self.cost = np.zeros(n)
        self.first_drop = np.full(n, -1, dtype=np.int16)
        self.weapons_ever = np.zeros(n, dtype=bool)
        self._escalation0 = self._axis_escalation()
        self._sk0 = self.by_id["south_korea"].commitment("ukraine").copy()
        self.events = {}
        for ev in sc.events:
            self.events.setdefault(ev.month, []).append(ev)

        self.recorder = Recorder(self, series_limit)
        self.ctx = self._context()
        if self.recorder is not None:
            self.recorder.record_state(0)
        self.datacollector = mesa.DataCollector(model_reporters={
            "china_rung": lambda m: float(m.china.support["russia"].mean()),
            "front": lambda m: float(m.p["theatres.ukraine.front"].mean()),
            "escalation": lambda m: float(m.p["theatres.middle_east.escalation"].mean()),
            "tension": lambda m: float(m.p["theatres.korea.tension"].mean()),
            "allied_cohesion": lambda m: float(m.p["policies.allied_cohesion.level"].mean()),
        }) if collect else None
        if self.datacollector is not None:
            self.datacollector.collect(self)

    # ------------------------------------------------------------------ helpers
    def _profiles(self) -> None:
        """Per-rung gain, sanction visibility and leader-tie profiles ((R, rungs) and transposed)."""
        self.gain, self.visibility = rules.profiles(self.p["decision.gain_curvature"],
                                                    self.p["decision.visibility_curvature"])
        self.gain_t = np.ascontiguousarray(self.gain.T)
        self.visibility_t = np.ascontiguousarray(self.visibility.T)
        floor = self.p["decision.tie_floor_rung"] / (rules.N_RUNGS - 1)
        self.tie_t = np.minimum(rules.COMMIT[:, None], floor[None, :])

    def draw(self, state_id: str, partner: str) -> np.ndarray:
        return self._u[self._rows[(state_id, partner)]]

    def commit(self, sid: str, partner: str) -> np.ndarray:
        return self.by_id[sid].commitment(partner)

    def _axis_escalation(self) -> np.ndarray:
        return (self.commit("china", "russia") + self.commit("north_korea", "russia")
                + self.commit("iran", "russia")) / 3.0

    def _west_dep(self, sid: str) -> np.ndarray:
        out = np.zeros(self.replicates)
        for c in self.resolved.scenario.policies.secondary_sanctions.coalition:
            if c != sid:
                out = out + self.by_id[sid].dep(c)
        return out

    def _context(self) -> dict:
        p = self.p
        scale = p["decision.failure_scale"]
        failure = {j: th.perceived_failure(self.momentum[j] - p.get(f"states.{j}.ambition", self.zero), scale)
                   for j in self.momentum}
        failure_axis = (failure["russia"] + failure["iran"] + failure["north_korea"]) / 3.0
        failure["china"] = failure_axis
        cohesion = p["policies.allied_cohesion.level"]
        ss = "policies.secondary_sanctions."
        i_eff = np.clip(p[ss + "intensity"] * (1.0 + p[ss + "joint_boost"] * (cohesion - self._cohesion0())),
                        0.0, 1.0)
        broad = p[ss + "broad_intensity"]
        i_china = np.where(self.broad_active, np.maximum(i_eff, broad), i_eff)
        return {
            "failure": failure, "failure_axis": failure_axis,
            "disruption": th.hormuz_disruption(p["theatres.middle_east.escalation"],
                                               p["theatres.middle_east.hormuz_threshold"],
                                               p["theatres.middle_east.disruption_width"]),
            "tension": p["theatres.korea.tension"],
            "cohesion": cohesion,
            "intensity": i_eff, "intensity_china": i_china,
            "threat": p[ss + "credibility"] * broad * (~self.broad_active),
            "redline": p[ss + "redline_rung"],
            "west_dep": {sid: self._west_dep(sid) for sid in ("china", "russia", "iran", "north_korea",
                                                                "south_korea")},
        }

    def _cohesion0(self) -> np.ndarray:
        return self.drawn["policies.allied_cohesion.level"]

    def link_inputs(self, agent: StateAgent, partner: str) -> rules.LinkInputs:
        ctx, p, i = self.ctx, self.p, agent.state_id
        current = agent.support[partner]
        if i == "south_korea":
            return rules.LinkInputs(
                alignment=self.one, hostility=agent.hostility * self.commit("north_korea", "russia"),
                leverage=self.zero, energy=self.zero, bond=self.zero, tie_floor=self.zero,
                exposure=agent.sanction_exposure, west_dep=agent.dep("china"),
                intensity=self.one, threat=self.zero, redline=self.no_redline,
                instability=ctx["tension"], risk_tolerance=agent.risk_tolerance,
                failure=self.zero, prestige_stake=self.zero, cohesion=-ctx["cohesion"],
                current=current)
        china = i == "china"   # the West's redline covers weapons from China to any partner
        korea_dep = agent.dep("south_korea") + agent.dep("japan")
        gulf = p.get(f"states.{i}.gulf_oil_dependency", self.zero)
        instability = (gulf * ctx["disruption"] * (2.0 if partner == "iran" else 1.0)
                       + korea_dep * ctx["tension"] * (2.0 if partner == "north_korea" else 1.0))
        return rules.LinkInputs(
            alignment=p.get(f"states.{i}.alignment.{partner}", self.one),
            hostility=agent.hostility,
            leverage=self.by_id[partner].dep(i) + agent.dep(partner),
            energy=p.get(f"states.{i}.energy_imports.{partner}", self.zero),
            bond=p.get(f"states.{i}.leader_bond.{partner}", self.zero),
            tie_floor=p["decision.tie_floor_rung"],
            exposure=agent.sanction_exposure,
            west_dep=ctx["west_dep"][i],
            intensity=ctx["intensity_china"] if i == "china" else ctx["intensity"],
            threat=ctx["threat"] if china else self.zero,
            redline=ctx["redline"] if china else self.no_redline,
            instability=instability,
            risk_tolerance=agent.risk_tolerance,
            failure=0.5 * ctx["failure"][partner] + 0.5 * ctx["failure_axis"],
            prestige_stake=p.get(f"states.{i}.prestige_stake", self.zero),
            cohesion=ctx["cohesion"],
            current=current)

    # ------------------------------------------------------------------ the month
    def step(self) -> None:
        if self.month >= self.horizon:
            self.running = False
            return
        for ev in self.events.get(self.month, ()):
            self._apply_event(ev)
        self.ctx = self._context()
        self._u = self.streams.uniforms(self._width)
        agents = list(self.by_id.values())
        for agent in agents:
            agent.decide()
        for agent in agents:
            agent.advance()
        self.month += 1
        self._move_world()
        if self.recorder is not None:
            self.recorder.record_decision(self.month, self.china.last_terms.get("russia"))
            self.recorder.record_state(self.month)
        if self.datacollector is not None:
            self.datacollector.collect(self)
        if self.month >= self.horizon:
            self.running = False

    def run(self) -> "AxisModel":
        while self.running:
            self.step()
        return self

    def release(self) -> None:
        """Let this model be garbage-collected once the caller drops it: mesa <= 3.3 keeps
        every model it has seen in the class attribute ``Agent._ids`` (mesa issue #3179)."""
        ids = getattr(mesa.Agent, "_ids", None)
        if isinstance(ids, dict):
            ids.pop(self, None)

    def _apply_event(self, ev) -> None:
        arr = self.p[ev.path]
        if ev.set is not None:
            new = np.full_like(arr, ev.set)
        elif ev.add is not None:
            new = arr + ev.add
        else:
            new = arr * ev.multiply
        lo, hi, integer = self.resolved.bounds.get(ev.path, (-np.inf, np.inf, False))
        new = np.clip(new, lo, hi)
        self.p[ev.path] = np.rint(new) if integer else new
        if ev.path == "theatres.ukraine.momentum":
            self.momentum["russia"] = self.p[ev.path].copy()
        if ev.path.startswith("decision.weights."):
            setattr(self.weights, ev.path.rsplit(".", 1)[1], self.p[ev.path])
        if ev.path.startswith("decision.") and (ev.path.endswith("_curvature") or
                                                ev.path.endswith("tie_floor_rung")):
            self._profiles()

    def _move_world(self) -> None:
        p, ctx = self.p, self.ctx
        u = self._u
        z = {k: DynamicStreams.normals(u[row]) for k, row in self._noise_rows.items()}
        b = self.by_id
        coupling = p["theatres.coupling"]

        # Ukraine: Russia's inputs (axis support multiplies its strength) vs Ukraine's.
        axis_support = sum(w * self.commit(s, "russia") for s, w in RUSSIA_SUPPORT_MIX.items())
        russia_in = p["theatres.ukraine.russia_strength"] * (1 + p["theatres.ukraine.axis_elasticity"]
                                                             * axis_support)
        ukraine_in = (p["theatres.ukraine.ukraine_strength"] * b["ukraine"].capability
                      + p["policies.ukraine_support.level"]
                      * 0.5 * (b["united_states"].capability + b["europe"].capability)
                      + SK_ARMS_WEIGHT * b["south_korea"].capability * self.commit("south_korea", "ukraine"))
        front0 = p["theatres.ukraine.front"]
        front = th.front_step(front0, russia_in, ukraine_in, p["theatres.ukraine.rate"],
                              p["theatres.ukraine.noise"], z["front"])
        rate = p["decision.perception_rate"]
        self.momentum["russia"] = th.ema(self.momentum["russia"], front - front0, rate)

        # Middle East: Iran's capability (Chinese oil money, Russian help, Israeli strikes).
        me = "theatres.middle_east."
        escalation0 = p[me + "escalation"]
        deterrence_me = p["policies.deterrence.middle_east"] * b["israel"].capability
        iran_cap0 = p["states.iran.capability"]
        revenue = sum(w * self.commit(s, "iran") for s, w in IRAN_SUPPORT_MIX.items())
        iran_cap = th.capability_step(iran_cap0, p[me + "capability_rate"], revenue, p[me + "attrition"],
                                      deterrence_me, escalation0)
        self.momentum["iran"] = th.ema(self.momentum["iran"], iran_cap - iran_cap0, rate)
        tension0 = p["theatres.korea.tension"]
        target_e = th.driven_target(p[me + "iran_drive"], b["iran"].risk_tolerance, iran_cap, deterrence_me,
                                    coupling * COUPLING_SCALE, tension0, front0)
        escalation = th.relax_step(escalation0, target_e, p[me + "rate"], p[me + "noise"], z["escalation"])

        # Korea: North Korea's drive, boosted by Russian missile/space help, vs allied deterrence.
        k = "theatres.korea."
        nk_cap = b["north_korea"].capability * (1 + p[k + "russia_tech"] * self.commit("russia", "north_korea"))
        deterrence_ip = p["policies.deterrence.indo_pacific"] * 0.5 * (b["south_korea"].capability
                                                                       + b["japan"].capability)
        target_t = th.driven_target(p[k + "nk_drive"], b["north_korea"].risk_tolerance, nk_cap, deterrence_ip,
                                    coupling * COUPLING_SCALE, escalation0, front0)
        tension = th.relax_step(tension0, target_t, p[k + "rate"], p[k + "noise"], z["tension"])
        self.momentum["north_korea"] = th.ema(self.momentum["north_korea"], tension - tension0, rate)

        p["theatres.ukraine.front"] = front
        p["states.iran.capability"] = iran_cap
        p[me + "escalation"] = escalation
        p[k + "tension"] = tension

        # Allies close ranks as the axis escalates beyond November 2024 (and loosen as it calms).
        escalation_axis = self._axis_escalation()
        target_a = np.clip(self._cohesion0() + p["policies.allied_cohesion.response"]
                           * ((escalation_axis - self._escalation0)
                              + 0.5 * (self.commit("south_korea", "ukraine") - self._sk0)), 0.0, 1.0)
        p["policies.allied_cohesion.level"] = th.ema(p["policies.allied_cohesion.level"], target_a,
                                                       p["decision.cohesion_rate"])

        # Western enforcement: broad sanctions after `lag` months at or above the redline.
        ss = "policies.secondary_sanctions."
        rung = self.china.support["russia"]
        top = np.maximum(rung, np.maximum(self.china.support["iran"], self.china.support["north_korea"]))
        self.broad_active, self.months_over, self.months_under = th.enforcement_step(
            top, p[ss + "redline_rung"], self.months_over, self.months_under, self.broad_active,
            p[ss + "lag_months"])

        # China's economic cost this month (index: share of output hit).
        china = b["china"]
        west = ctx["west_dep"]["china"]
        sanctions_hit = th.sanctions_hit(china.sanction_exposure, west, ctx["intensity"],
                                         self.visibility[np.arange(self.replicates), rung],
                                         self.broad_active, p[ss + "broad_intensity"])
        energy_hit = p["states.china.gulf_oil_dependency"] * th.hormuz_disruption(
            escalation, p[me + "hormuz_threshold"], p[me + "disruption_width"])
        self.cost = self.cost + sanctions_hit + 0.1 * energy_hit

        # Slow decoupling from Western markets (self-sufficiency drive).
        for sid, agent in b.items():
            rate_y = p.get(f"states.{sid}.decoupling_rate")
            if rate_y is None or not np.any(rate_y):
                continue
            for c in self.resolved.scenario.policies.secondary_sanctions.coalition:
                key = f"states.{sid}.dependency.{c}"
                if key in p:
                    p[key] = p[key] * (1.0 - rate_y / 12.0)

        threshold = self.resolved.scenario.outcome.stay_threshold
        dropped = (rung < threshold) & (self.first_drop < 0)
        self.first_drop[dropped] = self.month
        self.weapons_ever |= rung >= self.resolved.scenario.outcome.weapons_rung

    # ------------------------------------------------------------------ outputs
    def cohesion_index(self) -> np.ndarray:
        """Mean commitment over the twelve directed axis links (0 none .. 1 all weapons)."""
        total = np.zeros(self.replicates)
        for sid in AXIS:
            for partner in self.by_id[sid].partners:
                total = total + self.commit(sid, partner)
        return total / 12.0

    def outcomes(self) -> dict[str, np.ndarray]:
        out = self.resolved.scenario.outcome
        rung = self.china.support["russia"]
        return {
            "china_stays": (rung >= out.stay_threshold).astype(np.int8),
            "china_weapons": (rung >= out.weapons_rung).astype(np.int8),
            "china_weapons_ever": self.weapons_ever.astype(np.int8),
            "china_rung": rung.astype(np.int8),
            "china_iran_rung": self.china.support["iran"].astype(np.int8),
            "china_nk_rung": self.china.support["north_korea"].astype(np.int8),
            "first_drop_month": self.first_drop.astype(np.int16),
            "axis_cohesion": self.cohesion_index(),
            "front": self.p["theatres.ukraine.front"].copy(),
            "escalation": self.p["theatres.middle_east.escalation"].copy(),
            "tension": self.p["theatres.korea.tension"].copy(),
            "china_cost": self.cost.copy(),
            "broad_sanctions": self.broad_active.astype(np.int8),
        }


class Recorder:
    """Monthly records: per-replicate series (first ``limit`` replicates), China's rung
    counts for every replicate, and the mean of every utility term per rung."""

    def __init__(self, model: AxisModel, limit: int | None):
        self.model = model
        n = model.replicates
        self.limit = n if limit is None else min(n, limit)
        months = model.horizon + 1
        self.series = {name: np.full((months, self.limit), np.nan, dtype=np.float32) for name in SERIES}
        self.keep_series = self.limit > 0
        self.rung_counts = {link: np.zeros((months, rules.N_RUNGS), dtype=np.int64)
                            for link in ("russia", "iran", "north_korea")}
        self.term_sums = np.zeros((months, len(rules.TERMS), rules.N_RUNGS))
        self.term_held_sums = np.zeros((months, len(rules.TERMS)))
        # each replicate's margin of every term for the 'stays' rung over the rung below it
        # (float32), to compare the runs in which China ends up staying with those where it breaks
        self.stay_rung = max(1, model.resolved.scenario.outcome.stay_threshold)
        self.term_margin = np.zeros((months, len(rules.TERMS), n), dtype=np.float32)
        # Alignment network: summed commitment (0-1) of every directed support link per month.
        self.links = list(model._rows)
        self.link_sums = np.zeros((months, len(self.links)))

    def record_state(self, month: int) -> None:
        m, k = self.model, self.limit
        china = m.china
        if self.keep_series:
            sub = slice(0, k)        # only the first `limit` replicates are kept: compute only those
            escalation = m.p["theatres.middle_east.escalation"][sub]
            values = {
                "china_rung": china.support["russia"][sub], "china_iran_rung": china.support["iran"][sub],
                "china_nk_rung": china.support["north_korea"][sub],
                "front": m.p["theatres.ukraine.front"][sub], "escalation": escalation,
                "disruption": th.hormuz_disruption(escalation, m.p["theatres.middle_east.hormuz_threshold"][sub],
                                                   m.p["theatres.middle_east.disruption_width"][sub]),
                "tension": m.p["theatres.korea.tension"][sub],
                "allied_cohesion": m.p["policies.allied_cohesion.level"][sub],
                "axis_cohesion": m.cohesion_index()[sub],
                "sanction_intensity": m.ctx["intensity_china"][sub], "china_cost": m.cost[sub],
            }
            for name, arr in values.items():
                self.series[name][month] = arr
        for link, counts in self.rung_counts.items():
            counts[month] = np.bincount(china.support[link], minlength=rules.N_RUNGS)
        for j, (sid, partner) in enumerate(self.links):   # summed commitment, from the rung counts
            rungs = np.bincount(m.by_id[sid].support[partner], minlength=rules.N_RUNGS)
            self.link_sums[month, j] = rungs @ rules.COMMIT

    def record_decision(self, month: int, terms: dict[str, np.ndarray] | None) -> None:
        if terms is None:
            return
        held = self.model.china.support["russia"].astype(np.intp)[:, None]
        for i, name in enumerate(rules.TERMS):
            self.term_sums[month, i] = terms[name].sum(axis=0)
            self.term_held_sums[month, i] = np.take_along_axis(terms[name], held, axis=1).sum()
            self.term_margin[month, i] = terms[name][:, self.stay_rung] - terms[name][:, self.stay_rung - 1]
