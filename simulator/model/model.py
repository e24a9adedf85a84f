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
from . import decisions as rules
from . import theatres as th
from .agents import StateAgent
from .rng import DynamicStreams
from .sampling import draw_parameters
from .world import POLICY_LINKS, THEATRES, LinkDecl, build_world, kind as link_kind, policy_outcomes

DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"

#: Series recorded per replicate each month (for bands).
SERIES = ("china_rung", "china_iran_rung", "china_nk_rung", "front", "escalation",
          "disruption", "tension", "allied_cohesion", "axis_cohesion", "sanction_intensity",
          "china_cost")

#: China's links whose outcomes are kept over the whole horizon: partner -> outcome stem
#: (china_stays_throughout, china_iran_stays, china_nk_breaks_ever, ...).
HORIZON_LINKS = {"russia": "china", "iran": "china_iran", "north_korea": "china_nk"}

#: The state that leads secondary sanctions: its level is the coalition's intensity.
SANCTIONS_LEADER = POLICY_LINKS[0].source
#: Derived from the declared theatres: the state whose oil passes Hormuz (the Middle East's
#: belligerent), and the war-level parameter of each belligerent whose theatre declares one.
GULF_SELLER = next(t.belligerent for t in THEATRES if t.id == "middle_east")
#: The war the Western decisions read (its belligerent's ground gained or lost, docs/model.md 7.17).
WEST_READS = next(t for t in THEATRES if t.id == "ukraine")
WAR_LEVEL = {t.belligerent: t.war for t in THEATRES if t.war}


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
        self.no_redline = np.full(n, float(rules.N_RUNGS))   # redline past the top rung: no threat
        self.streams = DynamicStreams(seed, n, offset)

        for path, (lo, hi, integer) in self.resolved.bounds.items():
            if integer:
                self.p[path] = np.rint(self.p[path])
        self.world = build_world([{"id": k, **v.model_dump()} for k, v in sc.world.states.items()],
                                 [link.model_dump() for link in sc.world.links])
        self.axis = self.world.axis
        self.coalition = tuple(sc.policies.secondary_sanctions.coalition)
        self.by_id: dict[str, StateAgent] = {}
        for sid in self.world.state_ids:
            self.by_id[sid] = StateAgent(self, sid, [lk for lk in self.world.links if lk.source == sid])
        self.china = self.by_id["china"]
        self.links = list(self.world.links)
        # each state with a decoupling rate, and its dependencies on the coalition's members
        self._decoupling = tuple((f"states.{sid}.decoupling_rate",
                                  tuple(f"states.{sid}.dependency.{c}" for c in self.coalition
                                        if f"states.{sid}.dependency.{c}" in self.p))
                                 for sid in self.world.state_ids if f"states.{sid}.decoupling_rate" in self.p)
        # the states whose share of trade within reach of sanctions enters a rule: China's (its cost)
        # and every decider of a support link (its sanction cost)
        self._bears_sanctions = tuple(sid for sid in self.world.state_ids if sid == "china" or any(
            lk.source == sid and lk.kind == "support" for lk in self.links))
        self._fixed_from = self._control(sc)

        self.weights = rules.Weights(**{k: self.p[f"decision.weights.{k}"]
                                        for k in rules.Weights.__dataclass_fields__})
        self.policy_weights = {
            kind: rules.Weights(leverage=self.zero, energy=self.zero, tie=self.zero,
                                **{k: self.p[f"decision.policy_weights.{kind}.{k}"]
                                   for k in ("strategic_gain", "sanction_cost", "instability_cost",
                                             "prestige_cost", "allies_cost")})
            for kind in ("sanctions", "aid", "deterrence", "strikes", "resistance")}
        self._profiles()
        self.replicate_index = np.arange(self.replicates)
        # the share of the ground at stake that Ukraine held at month 0 (its means scale with it, 7.8)
        self.ground0 = 1.0 - self.drawn["theatres.ukraine.front"]
        # two (rungs, R) arrays that every fast-path decision works in (decisions.fast_decide)
        self.decide_buffers = (np.empty((rules.N_RUNGS, self.replicates)), np.empty((rules.N_RUNGS, self.replicates)))
        # What the world receives of a decision with a delivery pipeline (the donors' aid): it
        # starts at the month-0 level and closes 1/n of its gap to each month's decision, n its
        # mean delivery time in months (docs/model.md 7.17).
        self.delivered = {lk.name: self.level(lk).copy() for lk in self.links if link_kind(lk.kind).delivery}
        # each theatre's belligerent: its position at month 0 and its smoothed momentum (world.py)
        self.position0 = {t.belligerent: self.p[t.position].copy() for t in THEATRES}
        self.momentum = {t.belligerent: np.zeros(n) for t in THEATRES}
        self.momentum["russia"] = self.p["theatres.ukraine.momentum"].copy()
        self.broad_active = np.zeros(n, dtype=bool)
        self.months_over = np.zeros(n)
        self.months_under = np.zeros(n)
        self.cost = np.zeros(n)
        self.first_drop = np.full(n, -1, dtype=np.int16)
        self.weapons_ever = np.zeros(n, dtype=bool)
        # over the whole horizon, per China's link: lowest rung held and months spent below the
        # stay threshold (month 0, the scenario's start, counts as held)
        self.min_rung = {j: self.china.support[j].copy() for j in self.china.partners}
        self.months_below = {j: np.zeros(n, dtype=np.int16) for j in self.china.partners}
        self._escalation0 = self._axis_escalation()
        self._sk0 = self.commit("south_korea", "ukraine").copy()
        self._nk_capability0 = self.p["states.north_korea.capability"].copy()
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
    def _control(self, sc) -> dict[str, int]:
        """Month from which each fixed Western/regional decision is fixed (absent: decided).

        ``policies.control`` fixes a decision explicitly; an event on the parameter that sets
        a policy's level (e.g. the sanctions intensity) fixes the decisions it sets from that
        month, whatever ``control`` says: the scenario commits the policy, the other states
        respond."""
        out: dict[str, int] = {}
        by_policy = {link.policy: link for link in self.links}
        for key, ctl in sc.policies.control.items():
            if ctl.mode == "fixed":
                out[by_policy[key].name] = ctl.from_month
        for ev in sc.events:
            for link in self.links:
                k = link_kind(link.kind)
                if k.base and ev.path == k.base and (link.kind != "sanctions" or link.source == SANCTIONS_LEADER):
                    out[link.name] = min(out.get(link.name, ev.month), ev.month)
        for link in self.links:                    # a state outside the coalition does not sanction
            if link.kind == "sanctions" and link.source not in self.coalition:
                out[link.name] = 0
        return out

    def is_fixed(self, link: LinkDecl) -> bool:
        start = self._fixed_from.get(link.name)
        return start is not None and self.month >= start

    def _profiles(self) -> None:
        """Per-rung gain, sanction visibility and leader-tie profiles ((R, rungs) and transposed)."""
        self.gain, self.visibility = rules.profiles(self.p["decision.gain_curvature"],
                                                    self.p["decision.visibility_curvature"])
        self.gain_t = np.ascontiguousarray(self.gain.T)
        self.visibility_t = np.ascontiguousarray(self.visibility.T)
        floor = self.p["decision.tie_floor_rung"] / (rules.N_RUNGS - 1)
        self.tie_t = np.minimum(rules.COMMIT[:, None], floor[None, :])

    def weights_for(self, link: LinkDecl) -> rules.Weights:
        return self.policy_weights.get(link.kind, self.weights)

    def commit(self, sid: str, partner: str) -> np.ndarray:
        agent = self.by_id.get(sid)
        return agent.commitment(partner) if agent is not None else self.zero

    def level(self, link: LinkDecl) -> np.ndarray:
        """The level (0-1) a Western/regional decision puts into the world this month."""
        k = link_kind(link.kind)
        agent = self.by_id[link.source]
        if link.kind == "sanctions" and link.source not in self.coalition:
            return self.zero
        if link.kind == "sanctions" and link.source != SANCTIONS_LEADER:
            return rules.COMMIT.take(agent.support[link.target])        # how far it joins the leader
        if k.base is None:
            return rules.POLICY_SCALE.take(agent.support[link.target]) if link.kind == "resistance" \
                else rules.COMMIT.take(agent.support[link.target])
        base = self.p[k.base]
        if self.is_fixed(link):
            return base
        level = base * rules.POLICY_SCALE.take(agent.support[link.target])
        return np.clip(level, 0.0, 1.0, out=level)

    def _levels(self, kind: str) -> list[tuple[str, np.ndarray]]:
        return [(link.source, self.level(link)) for link in self.world.links_of(kind)]

    def _received(self, kind: str) -> list[tuple[str, np.ndarray]]:
        """What the world receives of each decision of ``kind`` this month: the delivered level
        where the kind declares a delivery pipeline, else the level decided."""
        return [(link.source, self.delivered[link.name] if link.name in self.delivered else self.level(link))
                for link in self.world.links_of(kind)]

    def _deliver(self) -> None:
        """Move each pipeline 1/n of the way toward this month's decision (n: its delivery months)."""
        for link in self.links:
            if link.name in self.delivered:
                months = self.p[link_kind(link.kind).delivery]
                self.delivered[link.name] = self.delivered[link.name] + (self.level(link) - self.delivered[link.name]) / months

    def _axis_escalation(self) -> np.ndarray:
        """Mean commitment of Russia's axis supporters (China, Iran, North Korea)."""
        supporters = [s for s in self.axis if s != "russia"]
        return sum(self.commit(s, "russia") for s in supporters) / len(supporters)

    def _west_dep(self, sid: str) -> np.ndarray:
        """The share of a state's trade that sanctions can reach.  China, the target of secondary
        sanctions: its trade with the coalition's markets.  An axis partner, already under primary
        sanctions: its remaining trade, with every partner listed (secondary sanctions threaten
        whoever still trades with it), so it bears them in proportion to its own exposure."""
        agent = self.by_id[sid]
        if sid in self.axis and sid != "china":
            return sum(agent.dependency.values(), np.zeros(self.replicates))
        out = np.zeros(self.replicates)
        for c in self.coalition:
            if c != sid:
                out = out + agent.dep(c)
        return out

    def _coverage(self) -> np.ndarray:
        """Share of China's coalition-bound exports that the sanctions in force reach: each member
        counts with China's dependency on it, times how far it joins (the leader fully)."""
        china = self.china
        total, reached = np.zeros(self.replicates), np.zeros(self.replicates)
        for link in self.world.links_of("sanctions"):
            if link.source not in self.coalition:
                continue
            share = china.dep(link.source)
            total = total + share
            reached = reached + share * (self.one if link.source == SANCTIONS_LEADER else self.level(link))
        return np.where(total > 0, reached / np.where(total > 0, total, 1.0), 1.0)

    def _context(self) -> dict:
        p = self.p
        scale, pos_scale = p["decision.failure_scale"], p["decision.position_scale"]
        failure = {t.belligerent: th.perceived_failure(
            self.momentum[t.belligerent] - p.get(f"states.{t.belligerent}.ambition", self.zero), scale,
            p[t.position] - self.position0[t.belligerent], pos_scale) for t in THEATRES}
        partners = [s for s in self.axis if s != "china"]
        failure_axis = sum(failure[j] for j in partners) / len(partners)
        failure["china"] = failure_axis
        # The West reads Russia's war by the ground it has gained or lost since November 2024 (its
        # position), not by a month's momentum: aid and sanctions answer the state of the war, and
        # the November 2024 line is its neutral point (docs/model.md 7.17).
        w = WEST_READS
        failure_west = {w.belligerent: th.perceived_failure(
            self.zero, scale, p[w.position] - self.position0[w.belligerent], pos_scale)}
        cohesion = p["policies.allied_cohesion.level"]
        ss = "policies.secondary_sanctions."
        leader = next(lk for lk in self.world.links_of("sanctions") if lk.source == SANCTIONS_LEADER)
        us_level = self.level(leader) if SANCTIONS_LEADER in self.coalition else self.zero
        i_eff = np.clip(us_level * self._coverage()
                        * (1.0 + p[ss + "joint_boost"] * (cohesion - self._cohesion0())), 0.0, 1.0)
        broad = p[ss + "broad_intensity"]
        i_china = np.where(self.broad_active, np.maximum(i_eff, broad), i_eff)
        disruption = self._disruption()
        return {
            "failure": failure, "failure_axis": failure_axis, "failure_west": failure_west,
            "disruption": disruption,
            "tension": p["theatres.korea.tension"],
            "cohesion": cohesion,
            "intensity": i_eff, "intensity_china": i_china, "us_level": us_level,
            "threat": p[ss + "credibility"] * broad * (~self.broad_active),
            "redline": p[ss + "redline_rung"],
            "west_dep": {sid: self._west_dep(sid) for sid in self._bears_sanctions},
            "aid": self._received("aid"),
            "exposure": {sid: self._theatre_exposure(sid, disruption) for sid in self.axis},
            "monthly": {},         # values of this context, filled as the decisions ask (_once_a_month)
        }

    def _theatre_exposure(self, sid: str, disruption: np.ndarray) -> dict[str, np.ndarray]:
        """What each theatre's chaos costs state ``sid`` this month (before its caution): the Ukraine
        war's spill-overs through its dependency on Europe, Hormuz disruption through its Gulf oil,
        Korean tension through its dependency on South Korea and Japan."""
        p, agent = self.p, self.by_id[sid]
        return {
            "ukraine": agent.dep("europe") * p["theatres.ukraine.spillover"],
            "middle_east": p.get(f"states.{sid}.gulf_oil_dependency", self.zero) * disruption,
            "korea": (agent.dep("south_korea") + agent.dep("japan")) * p["theatres.korea.tension"],
        }

    def _disruption(self) -> np.ndarray:
        me = "theatres.middle_east."
        return th.hormuz_disruption(self.p[me + "escalation"], self.p[me + "hormuz_threshold"],
                                    self.p[me + "disruption_width"])

    def _cohesion0(self) -> np.ndarray:
        return self.drawn["policies.allied_cohesion.level"]

    # ------------------------------------------------------------------ link inputs, by kind
    def link_inputs(self, agent: StateAgent, link: LinkDecl | str) -> rules.LinkInputs:
        """What ``agent`` weighs on one of its links (a LinkDecl, or the link's target)."""
        if isinstance(link, str):
            link = agent.links[link]
        return getattr(self, f"_inputs_{link.kind}")(agent, link.target, agent.support[link.target])

    def _policy_inputs(self, agent, current, *, motive, cost, risk, stake=None,
                       cohesion=None) -> rules.LinkInputs:
        """A Western/regional decision: motive (gain), the decider's own cost (convex in the
        level), escalation risk weighed by caution, the stake in Russia's failure (none for the
        decisions without one), and the push of allied cohesion (a negative cost).  What such a
        decision does not weigh (a leaders' tie, energy, interdependence, the coalition's reach) is
        None: see :class:`rules.LinkInputs`."""
        return rules.LinkInputs(
            alignment=None, hostility=motive, leverage=None, energy=None, bond=None, tie_floor=self.zero,
            exposure=cost, west_dep=None, intensity=None, threat=None, redline=self.no_redline,
            instability=risk, risk_tolerance=agent.risk_tolerance, failure=self.ctx["failure_west"][WEST_READS.belligerent],
            prestige_stake=stake, cohesion=None if cohesion is None else -cohesion, current=current)

    def _inputs_sanctions(self, agent, target, current):
        """Secondary sanctions on China: the axis's escalation makes them attractive to a hostile
        state; its own dependency on China plus its exposure to Chinese counter-measures make
        them costly; China's capacity to retaliate is the escalation risk.  For a member, who
        decides how far to follow the leader, cost and risk scale with the leader's level."""
        china = self.china
        cost = agent.dep("china") + agent.sanction_exposure
        risk = china.hostility * china.capability
        if agent.state_id != SANCTIONS_LEADER:   # a member's level scales the leader's sanctions
            cost, risk = cost * self.ctx["us_level"], risk * self.ctx["us_level"]
        return self._policy_inputs(agent, current, motive=agent.hostility * self._axis_escalation(), cost=cost,
                                   risk=risk, stake=agent.prestige_stake, cohesion=self.ctx["cohesion"])

    def _inputs_aid(self, agent, target, current):
        """Aid to Ukraine: the donor's stake in Russia not succeeding is the motive (Europe's
        security rides on it more than America's), and Russia's gains sharpen it; the burden falls
        on a less capable donor, and allied cohesion shares it; Russia's means and will to
        escalate against donors are the risk."""
        russia = self.by_id["russia"]
        return self._policy_inputs(agent, current, motive=agent.prestige_stake,
                                   cost=1.0 - agent.capability, risk=russia.risk_tolerance * russia.capability,
                                   stake=agent.prestige_stake, cohesion=self.ctx["cohesion"])

    def _inputs_deterrence(self, agent, target, current):
        """Indo-Pacific deterrence: Korean tension is the motive; the burden falls on a less
        capable state; North Korea's risk tolerance at that tension is the risk."""
        nk = self.by_id["north_korea"]
        tension = self.ctx["tension"]
        return self._policy_inputs(agent, current, motive=agent.hostility * tension,
                                   cost=1.0 - agent.capability, risk=nk.risk_tolerance * tension,
                                   cohesion=self.ctx["cohesion"])

    def _inputs_strikes(self, agent, target, current):
        """Strikes on Iran and its proxies: escalation is the motive; the international backlash
        (its exposure) is the cost; a regional war driven by Iran's risk tolerance is the risk."""
        iran = self.by_id["iran"]
        escalation = self.p["theatres.middle_east.escalation"]
        return self._policy_inputs(agent, current, motive=agent.hostility * escalation,
                                   cost=agent.sanction_exposure, risk=iran.risk_tolerance * escalation)

    def _inputs_resistance(self, agent, target, current):
        """Ukraine's resistance: its hostility to the invader is the motive; fighting on without
        aid or capability is the cost; Russia's escalation is the risk (its own risk tolerance
        discounts it)."""
        russia = self.by_id["russia"]
        aid = self.ctx["aid"]
        received = sum(level for _, level in aid) / max(len(aid), 1)
        return self._policy_inputs(agent, current, motive=agent.hostility,
                                   cost=(1.0 - received) * (1.0 - agent.capability),
                                   risk=russia.risk_tolerance * russia.capability)

    def _inputs_arms(self, agent, target, current):
        """South Korea's arms to Ukraine: North Korea's help to Russia is the motive (Schuman M13b);
        China's counter-measures are the cost; Korean tension is the risk; allied cohesion pushes."""
        ctx = self.ctx
        return rules.LinkInputs(
            alignment=None, hostility=agent.hostility * self.commit("north_korea", "russia"),
            leverage=None, energy=None, bond=None, tie_floor=self.zero,
            exposure=agent.sanction_exposure, west_dep=agent.dep("china"),
            intensity=None, threat=None, redline=self.no_redline,
            instability=ctx["tension"], risk_tolerance=agent.risk_tolerance,
            failure=self.zero, prestige_stake=None, cohesion=-ctx["cohesion"],
            current=current)

    def _inputs_support(self, agent, partner, current):
        ctx, p, i = self.ctx, self.p, agent.state_id
        china = i == "china"   # the West's redline covers weapons from China to any partner
        # Each theatre's chaos weighs on the link that feeds it (support to its belligerent), by
        # `instability_own`, and on the others by `instability_spill`.
        own, spill = p["decision.instability_own"], p["decision.instability_spill"]
        exposure = ctx["exposure"].get(i) or self._theatre_exposure(i, ctx["disruption"])
        instability = sum(exposure[t.id] * (own if partner == t.belligerent else spill) for t in THEATRES)
        energy_value = self._energy_value(partner)
        return rules.LinkInputs(
            alignment=p.get(f"states.{i}.alignment.{partner}", self.one),
            hostility=agent.hostility,
            leverage=self._dependency_on(partner, i) + agent.dep(partner),
            energy=p.get(f"states.{i}.energy_imports.{partner}", self.zero) * energy_value,
            bond=p.get(f"states.{i}.leader_bond.{partner}", self.zero),
            tie_floor=p["decision.tie_floor_rung"],
            exposure=agent.sanction_exposure,
            west_dep=ctx["west_dep"][i],
            intensity=ctx["intensity_china"] if china else ctx["intensity"],
            threat=ctx["threat"] if china else None,
            redline=ctx["redline"] if china else self.no_redline,
            instability=instability,
            risk_tolerance=agent.risk_tolerance,
            failure=self._link_failure(partner),
            prestige_stake=p.get(f"states.{i}.prestige_stake", self.zero),
            cohesion=ctx["cohesion"],
            current=current, neutral=p["decision.neutral_failure"], need=self._need(partner))

    def _need(self, partner: str) -> np.ndarray | None:
        """How much the partner needs military help: the war level of the theatre it wages, where
        the theatre declares one (the Ukraine war: 1 since February 2022, 0 before); None (fully)
        for a partner whose theatre has none."""
        path = WAR_LEVEL.get(partner)
        return None if path is None else self.p[path]

    def _link_failure(self, partner: str) -> np.ndarray:
        """Perceived failure on a link: the partner's own, by the share ``failure_own_share``, and
        the partners' average (Hadley's 'axis of losers' is about each and all of them).  A function
        of the month's context alone, so it is computed once a month per partner."""
        def compute():
            ctx, own = self.ctx, self.p["decision.failure_own_share"]
            return own * ctx["failure"].get(partner, ctx["failure_axis"]) + (1.0 - own) * ctx["failure_axis"]
        return self._once_a_month(("failure", partner), compute)

    def _energy_value(self, partner: str) -> np.ndarray:
        """What a unit of the partner's energy is worth this month: Hormuz disruption cuts the oil
        that passes it (the Middle East belligerent's) and raises the value of every other
        partner's energy.  Once a month per partner, like :meth:`_link_failure`."""
        def compute():
            disruption = self.ctx["disruption"]
            return 1.0 - disruption if partner == GULF_SELLER else \
                1.0 + self.p["theatres.middle_east.energy_premium"] * disruption
        return self._once_a_month(("energy", partner), compute)

    def _once_a_month(self, key: tuple, compute) -> np.ndarray:
        """A value that depends on the month's context alone: computed the first time a decision
        asks for it, then kept in the context (rebuilt every month)."""
        monthly = self.ctx["monthly"]
        if key not in monthly:
            monthly[key] = compute()
        return monthly[key]

    def _dependency_on(self, partner: str, supporter: str) -> np.ndarray:
        """The partner's dependency on its supporter, raised by the secondary sanctions in force,
        which close the partner's other outlets: pressure binds (Schuman, M5).  The weight
        ``pressure_binds`` is the share of the partner's remaining trade (1 - dependency) that
        full-intensity sanctions push onto its supporter (0: none)."""
        dep = self.by_id[partner].dep(supporter)
        return dep + self.p["decision.weights.pressure_binds"] * self.ctx["intensity"] * (1.0 - dep)

    def note_held_terms(self, link: LinkDecl, choice: np.ndarray, d: dict[str, np.ndarray]) -> None:
        if self.recorder is not None and link.kind != "support":
            self.recorder.record_policy_terms(self.month + 1, link, choice, d)

    # ------------------------------------------------------------------ the month
    def step(self) -> None:
        if self.month >= self.horizon:
            self.running = False
            return
        for ev in self.events.get(self.month, ()):
            self._apply_event(ev)
        self.ctx = self._context()
        agents = list(self.by_id.values())
        for agent in agents:
            agent.decide()
        for agent in agents:
            agent.advance()
        self._deliver()
        self.month += 1
        self._move_world()
        if self.recorder is not None:
            self.recorder.record_decision(self.month, self.china.term_blocks.get("russia"))
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
        if ev.path.startswith("decision.policy_weights."):
            _, _, kind, name = ev.path.split(".")
            setattr(self.policy_weights[kind], name, self.p[ev.path])
        if ev.path.startswith("decision.") and (ev.path.endswith("_curvature") or
                                                ev.path.endswith("tie_floor_rung")):
            self._profiles()

    def _move_world(self) -> None:
        p, ctx = self.p, self.ctx
        z = {name: DynamicStreams.normals(self.streams.draw(f"theatre:{name}"))
             for name in ("front", "escalation", "tension")}
        b = self.by_id
        coupling = p["theatres.coupling"]

        # Ukraine: Russia's inputs (axis support multiplies its strength) vs Ukraine's
        # (its resistance, the donors' aid, South Korea's arms).
        u = "theatres.ukraine."
        axis_support = sum(p[f"{u}support_mix.{s}"] * self.commit(s, "russia")
                           for s in self.resolved.scenario.theatres.ukraine.support_mix)
        russia_in = p[u + "russia_strength"] * (1 + p[u + "axis_elasticity"] * axis_support)
        resistance = sum(self.level(lk) for lk in self.world.links_of("resistance")) if \
            self.world.links_of("resistance") else self.one
        aid = self._received("aid")
        donors = p[u + "aid_weight"] * sum(level * b[sid].capability for sid, level in aid) / max(len(aid), 1)
        # Ukraine's own means (people, industry, recruits) lie in the ground it still holds: as Russia
        # advances beyond its month-0 line they shrink, as it is pushed back they grow (docs/model.md 7.8).
        # A Ukraine that held nothing at month 0 (front 1) keeps its month-0 strength: H = 1.
        ground = np.divide(1.0 - p[u + "front"], self.ground0, out=np.ones_like(self.ground0),
                           where=self.ground0 > 0.0) ** p[u + "ground_elasticity"]
        ukraine_in = (p[u + "ukraine_strength"] * b["ukraine"].capability * resistance * ground + donors
                      + p[u + "arms_weight"] * b["south_korea"].capability * self.commit("south_korea", "ukraine"))
        front0 = p[u + "front"]
        war = p[u + "war"]                      # no war (before February 2022): the front does not move
        front = th.front_step(front0, russia_in, ukraine_in, p[u + "rate"] * war, p[u + "noise"] * war, z["front"])
        rate = p["decision.perception_rate"]
        self.momentum["russia"] = th.ema(self.momentum["russia"], front - front0, rate)

        # Middle East: Iran's capability (Chinese oil money, Russian help, Israeli strikes).
        me, k_ = "theatres.middle_east.", "theatres.korea."
        escalation0 = p[me + "escalation"]
        strikes = self._levels("strikes")
        deterrence_me = sum(level * b[sid].capability for sid, level in strikes) / max(len(strikes), 1)
        iran_cap0 = p["states.iran.capability"]
        revenue = sum(p[f"{me}revenue_mix.{s}"] * self.commit(s, "iran")
                      for s in self.resolved.scenario.theatres.middle_east.revenue_mix)
        iran_cap = th.capability_step(iran_cap0, p[me + "capability_rate"], revenue, p[me + "attrition"],
                                      deterrence_me, escalation0)
        self.momentum["iran"] = th.ema(self.momentum["iran"], iran_cap - iran_cap0, rate)
        tension0 = p["theatres.korea.tension"]
        damping, contagion = p["theatres.deterrence_damping"], coupling * p["theatres.coupling_scale"]
        moved = {name: p[path] - self.drawn[path] for name, path in
                 (("front", u + "front"), ("escalation", me + "escalation"), ("tension", k_ + "tension"))}
        target_e = th.driven_target(p[me + "iran_drive"], b["iran"].risk_tolerance, iran_cap, deterrence_me,
                                    damping, contagion, moved["tension"] + moved["front"])
        escalation = th.relax_step(escalation0, target_e, p[me + "rate"], p[me + "noise"], z["escalation"])

        # Korea: North Korea's drive, boosted by Russian missile/space help, vs allied deterrence.
        k = "theatres.korea."
        nk_cap = b["north_korea"].capability * (1 + p[k + "russia_tech"] * self.commit("russia", "north_korea"))
        deterrers = self._levels("deterrence")
        deterrence_ip = sum(level * b[sid].capability for sid, level in deterrers) / max(len(deterrers), 1)
        target_t = th.driven_target(p[k + "nk_drive"], b["north_korea"].risk_tolerance, nk_cap, deterrence_ip,
                                    damping, contagion, moved["escalation"] + moved["front"])
        tension = th.relax_step(tension0, target_t, p[k + "rate"], p[k + "noise"], z["tension"])
        # North Korea's momentum is the change of its capability (its position), not of the tension
        # it stirs: its capability moves only by events, so the momentum decays toward 0 otherwise.
        nk = "states.north_korea.capability"
        self.momentum["north_korea"] = th.ema(self.momentum["north_korea"], p[nk] - self._nk_capability0, rate)
        self._nk_capability0 = p[nk].copy()

        p[u + "front"] = front
        p["states.iran.capability"] = iran_cap
        p[me + "escalation"] = escalation
        p[k + "tension"] = tension

        # Allies close ranks as the axis escalates beyond November 2024 (and loosen as it calms).
        # The partners' own theatres escalating beyond month 0 close ranks too (theatre_response).
        escalation_axis = self._axis_escalation()
        ac = "policies.allied_cohesion."
        regional = (escalation - self.drawn[me + "escalation"]) + (tension - self.drawn[k + "tension"])
        target_a = np.clip(self._cohesion0() + p[ac + "response"]
                           * ((escalation_axis - self._escalation0)
                              + p[ac + "arms_weight"] * (self.commit("south_korea", "ukraine") - self._sk0))
                           + p[ac + "theatre_response"] * regional, 0.0, 1.0)
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
                                         rules.at_rung(self.visibility, rung),
                                         self.broad_active, p[ss + "broad_intensity"])
        energy_hit = p["states.china.gulf_oil_dependency"] * th.hormuz_disruption(
            escalation, p[me + "hormuz_threshold"], p[me + "disruption_width"])
        self.cost = self.cost + sanctions_hit + p[me + "energy_hit_weight"] * energy_hit

        # Slow decoupling from Western markets (self-sufficiency drive).
        for rate_path, keys in self._decoupling:
            rate_y = p[rate_path]
            if not np.any(rate_y):
                continue
            for key in keys:
                p[key] = p[key] * (1.0 - rate_y / 12.0)

        threshold = self.resolved.scenario.outcome.stay_threshold
        dropped = (rung < threshold) & (self.first_drop < 0)
        for j, held in self.china.support.items():
            np.minimum(self.min_rung[j], held, out=self.min_rung[j])
            self.months_below[j] += held < threshold
        self.first_drop[dropped] = self.month
        self.weapons_ever |= rung >= self.resolved.scenario.outcome.weapons_rung

    # ------------------------------------------------------------------ outputs
    def cohesion_index(self) -> np.ndarray:
        """Mean commitment over the directed support links among axis states (0 none .. 1 all weapons)."""
        total, count = np.zeros(self.replicates), 0
        for link in self.world.links_of("support"):
            if link.source in self.axis and link.target in self.axis:
                total = total + self.commit(link.source, link.target)
                count += 1
        return total / max(count, 1)

    def horizon_outcomes(self) -> dict[str, np.ndarray]:
        """Outcomes over the whole horizon, not only its last month, for each of China's links
        (``HORIZON_LINKS``): stays at the horizon, stays throughout (never below the threshold),
        breaks at some point (rung 0), and the months spent below the threshold."""
        threshold = self.resolved.scenario.outcome.stay_threshold
        out = {}
        for partner, stem in HORIZON_LINKS.items():
            if partner not in self.china.support:
                continue
            if partner != "russia":
                out[f"{stem}_stays"] = (self.china.support[partner] >= threshold).astype(np.int8)
            out[f"{stem}_stays_throughout"] = (self.min_rung[partner] >= threshold).astype(np.int8)
            out[f"{stem}_breaks_ever"] = (self.min_rung[partner] == 0).astype(np.int8)
            out[f"{stem}_months_below"] = self.months_below[partner].copy()
        return out

    def policy_outcomes(self) -> dict[str, np.ndarray]:
        """Binary outcome of every Western/regional decision at the horizon (level above zero)."""
        return {name: (self.level(link) > 0).astype(np.int8)
                for name, (link, _) in policy_outcomes(self.world).items()}

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
            **self.horizon_outcomes(),
            "axis_cohesion": self.cohesion_index(),
            "front": self.p["theatres.ukraine.front"].copy(),
            "escalation": self.p["theatres.middle_east.escalation"].copy(),
            "tension": self.p["theatres.korea.tension"].copy(),
            "china_cost": self.cost.copy(),
            "broad_sanctions": self.broad_active.astype(np.int8),
            "sanction_intensity": self.ctx["intensity_china"].copy(),
            **self.policy_outcomes(),
            **{f"{lk.source}_{lk.kind}_level": self.level(lk).copy() for lk in self.links if lk.kind != "support"},
        }


class Recorder:
    """Monthly records: per-replicate series (first ``limit`` replicates), the rung counts of
    every decision link for every replicate, the mean of every utility term per rung of
    China's Russia decision, and the mean held terms of every Western/regional decision."""

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
        # Alignment network: summed commitment (0-1) of every directed support link per month
        # (who backs whom; the Western and regional policies are recorded below).
        self.links = [(lk.source, lk.target) for lk in model.links if lk.kind in ("support", "arms")]
        self.link_sums = np.zeros((months, len(self.links)))
        # Every decision link: rung counts and summed level per month; Western decisions' held terms.
        self.policy_links = [lk for lk in model.links if lk.kind != "support"]
        self.policy_rungs = {lk.name: np.zeros((months, rules.N_RUNGS), dtype=np.int64) for lk in self.policy_links}
        self.policy_level_sums = {lk.name: np.zeros(months) for lk in self.policy_links}
        self.policy_term_sums = {lk.name: np.zeros((months, len(rules.TERMS))) for lk in self.policy_links}

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
        for lk in self.policy_links:
            self.policy_rungs[lk.name][month] = np.bincount(m.by_id[lk.source].support[lk.target],
                                                            minlength=rules.N_RUNGS)
            self.policy_level_sums[lk.name][month] = float(m.level(lk).sum())

    def record_policy_terms(self, month: int, link: LinkDecl, choice, d: dict[str, np.ndarray]) -> None:
        """Sum over replicates of each named term at the rung chosen (inertia left out); ``d``:
        the decision's drivers (``rules.drivers``)."""
        held = choice.astype(np.intp)
        m = self.model
        c = rules.COMMIT.take(held)
        flat = None                  # where profile[held[i], i] sits in a flat (rungs, R) profile
        profiles = {"strategic_gain": m.gain_t, "sanction_cost": m.visibility_t, "leader_tie": m.tie_t}
        sums = self.policy_term_sums[link.name]
        for i, name in enumerate(rules.TERMS):
            driver = d.get(name)
            if driver is None or not driver.any():          # a zero driver adds exactly 0
                continue
            if name in profiles:
                if flat is None:
                    flat = rules.flat_index_t(held, m.replicates)
                at_rung = profiles[name].reshape(-1).take(flat)
            else:
                at_rung = c
            sums[month, i] += float((driver * at_rung).sum())

    def record_decision(self, month: int, block: np.ndarray | None) -> None:
        """China's Russia decision this month: ``block`` (R, terms, rungs) holds its named terms
        (``StateAgent.term_block``)."""
        if block is None:
            return
        held = self.model.china.support["russia"].astype(np.intp)
        n_terms = len(rules.TERMS)
        self.term_sums[month] = block.sum(axis=0)      # each (term, rung) summed over the replicates in order
        # each term at the rung held, one contiguous row per term, each summed as one array
        flat = (self.model.replicate_index * (n_terms * rules.N_RUNGS) + held)[None, :] \
            + (np.arange(n_terms) * rules.N_RUNGS)[:, None]
        self.term_held_sums[month] = block.reshape(-1).take(flat).sum(axis=1)
        self.term_margin[month] = (block[:, :, self.stay_rung] - block[:, :, self.stay_rung - 1]).T
