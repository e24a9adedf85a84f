"""The scenario schema (pydantic v2).  ``python run.py schema`` prints it as JSON Schema.

Every numeric parameter is a :class:`Param`: either a bare number or
``{value, range: [low, high], source}``.  Unknown keys are refused everywhere.
"""

from __future__ import annotations

import difflib
import math
from functools import partial
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field,
                      field_validator, model_validator)

STATE_IDS = ("china", "russia", "iran", "north_korea", "united_states", "europe",
             "ukraine", "israel", "south_korea", "japan")
AXIS = ("china", "russia", "iran", "north_korea")
WEST = ("united_states", "europe", "ukraine", "israel", "south_korea", "japan")
RUNG_NAMES = ("0 distance", "1 trade only", "2 + dual-use", "3 + components", "4 + weapons")

#: A state id: one of STATE_IDS or a state the scenario declares in its ``world:`` block.
StateId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
#: Kinds of decision link (simulator/model/world.py declares what each means).
LINK_KINDS = ("support", "arms", "sanctions", "aid", "deterrence", "strikes", "resistance")
POLICY_KINDS = ("sanctions", "aid", "deterrence", "strikes", "resistance")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_default=True)


class ParamSpec(Strict):
    """A numeric parameter with its plausible range and its source."""

    value: float = Field(description="point value (used with --fixed)")
    range: Optional[tuple[float, float]] = Field(
        None, description="plausible [low, high]; each replicate draws from it unless --fixed")
    source: Optional[str] = Field(
        None, description="article quote (<= ~30 words), public figure with year, or 'assumption'")
    distribution: Literal["triangular", "uniform"] = Field(
        "triangular", description="how replicates draw from the range (triangular: mode at value)")

    @model_validator(mode="after")
    def _range_holds_value(self):
        if self.range is not None:
            lo, hi = self.range
            if lo > hi:
                raise ValueError(f"range [{lo:g}, {hi:g}] has low > high")
            if not lo <= self.value <= hi:
                raise ValueError(f"value {self.value:g} is outside its range [{lo:g}, {hi:g}]")
        return self


def _number_or_spec(v: Any) -> Any:
    if isinstance(v, bool) or isinstance(v, str) or v is None:
        raise ValueError(f"expected a number or {{value, range, source}}, got {type(v).__name__} {v!r}")
    if isinstance(v, (int, float)):
        return {"value": float(v)}
    return v


def _bounded(lo: float, hi: float, integer: bool, p: ParamSpec) -> ParamSpec:
    def fmt(x):
        return f"{x:g}"
    if not lo <= p.value <= hi:
        raise ValueError(f"value {fmt(p.value)} is outside the allowed [{fmt(lo)}, {fmt(hi)}]")
    if p.range is not None and (p.range[0] < lo or p.range[1] > hi):
        raise ValueError(f"range [{fmt(p.range[0])}, {fmt(p.range[1])}] goes outside the allowed "
                         f"[{fmt(lo)}, {fmt(hi)}]")
    if integer and (p.value != math.floor(p.value)):
        raise ValueError(f"value {fmt(p.value)} must be a whole number")
    return p


def Num(lo: float = -math.inf, hi: float = math.inf, *, integer: bool = False, doc: str = ""):
    """A parameter type bounded to [lo, hi]."""
    return Annotated[ParamSpec, BeforeValidator(_number_or_spec, json_schema_input_type=Union[float, ParamSpec]),
                     AfterValidator(partial(_bounded, lo, hi, integer)),
                     Field(description=doc)]


Share = Num(0.0, 1.0)
Rung = Annotated[int, Field(ge=0, le=4, description="support rung 0-4")]


class StateSpec(Strict):
    dependency: dict[StateId, Share] = Field(
        default_factory=dict, description="partner -> share of its exports (or trade) with the partner")
    risk_tolerance: Share = Field(description="willingness to accept risk")
    sanction_exposure: Share = Field(default=0.0, description="exposure to sanctions (or, for the West, to "
                                                              "Chinese counter-measures)")
    capability: Share = Field(description="military capability")
    hostility: Share = Field(description="hostility to the US-led order (the axis' common aim)")
    ambition: Num(-0.1, 0.1) = Field(
        default=0.0, description="monthly momentum it needs to be seen as succeeding (below: failing)")
    prestige_stake: Share = Field(default=0.0, description="how much of its standing rides on its partners' success")
    gulf_oil_dependency: Share = Field(default=0.0, description="share of crude imports through Hormuz")
    energy_imports: dict[StateId, Share] = Field(default_factory=dict,
                                                 description="partner -> share of crude imports")
    leader_bond: dict[StateId, Share] = Field(default_factory=dict,
                                              description="partner -> strength of the leaders' tie")
    alignment: dict[StateId, Share] = Field(default_factory=dict,
                                            description="partner -> strategic weight of the link (scales gain)")
    decoupling_rate: Num(0.0, 0.5) = Field(default=0.0, description="yearly fall of Western dependency")
    support: dict[StateId, Rung] = Field(default_factory=dict,
                                         description="initial support rung to each partner (month 0 only)")
    max_support: dict[StateId, Rung] = Field(
        default_factory=dict, description="highest rung it can give a partner (what the partner can use); "
                                          "default 4")
    policy: dict[Literal["arms", "sanctions", "aid", "deterrence", "strikes", "resistance"], Rung] = Field(
        default_factory=dict, description="initial rung of each Western/regional decision it takes (month 0; "
                                          "default 2, the November 2024 level)")

    @model_validator(mode="after")
    def _support_within_max(self):
        for partner, top in self.max_support.items():
            if self.support.get(partner, 0) > top:
                raise ValueError(f"initial support to {partner} ({self.support[partner]}) is above its "
                                 f"max_support ({top})")
        return self

    @field_validator("dependency")
    @classmethod
    def _shares_sum(cls, dependency):
        total = sum(p.value for p in dependency.values())
        if total > 1.0 + 1e-9:
            raise ValueError(f"dependency shares sum to {total:.3f}, above 1")
        return dependency


class Ukraine(Strict):
    front: Share = Field(description="Russia's progress toward its war aims (0 none, 1 achieved)")
    war: Share = Field(description="the war's level: 1 a full-scale war (since February 2022), 0 none (the "
                                   "frozen Donbas conflict before it); the front moves, and Russia needs "
                                   "military help, in proportion")
    support_mix: dict[StateId, Share] = Field(
        description="weight of each supporter's commitment in the axis support that multiplies Russia's strength")
    momentum: Num(-0.1, 0.1) = Field(description="recent monthly change of the front (month 0)")
    russia_strength: Num(0, 2) = Field(description="Russia's fighting strength (before axis support)")
    ukraine_strength: Num(0, 2) = Field(description="Ukraine's fighting strength (before Western support)")
    axis_elasticity: Num(0, 3) = Field(description="how much axis support multiplies Russia's strength")
    arms_weight: Num(0, 1) = Field(description="weight of South Korea's arms in Ukraine's strength")
    ground_elasticity: Num(0, 5) = Field(description="how Ukraine's own strength scales with the ground it still "
                                                     "holds: its strength x ((1 - front) / (1 - front at month 0)) "
                                                     "to this power (0: its means do not depend on the ground)")
    aid_weight: Num(0, 3) = Field(description="how much the donors' delivered aid (level x capability, averaged) adds "
                                              "to Ukraine's strength")
    spillover: Share = Field(description="the war's spill-overs (disrupted European markets, escalation risk) "
                                         "borne by a state in proportion to its dependency on Europe")
    rate: Num(0, 1) = Field(description="how fast the theatre moves toward its pressures (per month)")
    noise: Num(0, 1) = Field(description="month-to-month randomness of the theatre")


class MiddleEast(Strict):
    escalation: Share = Field(description="escalation of the Middle East war (0 calm, 1 regional war)")
    revenue_mix: dict[StateId, Share] = Field(
        description="weight of each partner's commitment in the revenue and help that build Iran's capability")
    iran_drive: Num(0, 3) = Field(description="how hard Iran and its proxies push escalation")
    capability_rate: Num(0, 1) = Field(description="monthly rate at which Iran's capability changes")
    attrition: Num(0, 5) = Field(description="how hard Israeli/US strikes wear down Iran's capability")
    rate: Num(0, 1) = Field(description="how fast the theatre moves toward its pressures (per month)")
    noise: Num(0, 1) = Field(description="month-to-month randomness of the theatre")
    hormuz_threshold: Share = Field(description="escalation at which Hormuz flows are disrupted")
    disruption_width: Num(0.001, 1) = Field(description="how gradually Hormuz disruption sets in around the threshold")
    energy_premium: Num(0, 3) = Field(description="how much Hormuz disruption raises the value of energy bought "
                                                  "from a partner whose oil does not pass Hormuz")
    energy_hit_weight: Num(0, 1) = Field(description="weight of Hormuz disruption in China's cost index, "
                                                     "relative to a sanctions hit")


class Korea(Strict):
    tension: Share = Field(description="tension on the Korean peninsula (0 calm, 1 war)")
    nk_drive: Num(0, 3) = Field(description="how hard North Korea pushes tension")
    russia_tech: Num(0, 2) = Field(description="how much Russian missile/space help adds to NK capability")
    rate: Num(0, 1) = Field(description="how fast the theatre moves toward its pressures (per month)")
    noise: Num(0, 1) = Field(description="month-to-month randomness of the theatre")


class Theatres(Strict):
    ukraine: Ukraine
    middle_east: MiddleEast
    korea: Korea
    coupling: Share = Field(description="cross-theatre contagion (0 separate wars, 1 one global war)")
    coupling_scale: Num(0, 2) = Field(description="how far full contagion (coupling 1) moves a theatre's target "
                                                  "per unit change of the other theatres since month 0")
    deterrence_damping: Share = Field(description="share of a belligerent's drive that full deterrence removes")


class SecondarySanctions(Strict):
    intensity: Share = Field(description="current Western secondary-sanctions intensity on China")
    broad_intensity: Share = Field(description="intensity of broad sanctions once the redline is crossed")
    credibility: Share = Field(description="China's belief that the redline will be enforced")
    redline_rung: Num(1, 4, integer=True) = Field(description="support rung to Russia that triggers broad sanctions")
    lag_months: Num(0, 24, integer=True) = Field(description="months from crossing the redline to broad sanctions")
    joint_boost: Num(0, 2) = Field(description="how allied cohesion scales sanctions (joint sanctions)")
    coalition: list[StateId] = Field(description="states whose markets the sanctions close")


class UkraineSupport(Strict):
    level: Share = Field(description="level of Western military and financial support to Ukraine")
    delivery_months: Num(1, 60) = Field(description="mean months from a donor's decision on aid to its arrival "
                                                     "at the front (the delivery pipeline; 1: at once)")


class AlliedCohesion(Strict):
    level: Share = Field(description="cohesion of the US, European and Asian allies (month-0 value; evolves)")
    response: Num(0, 3) = Field(description="how strongly allies close ranks as the axis escalates")
    arms_weight: Num(0, 2) = Field(description="weight of South Korea's arms to Ukraine in the allies' cohesion")
    theatre_response: Num(0, 3) = Field(description="how strongly allies close ranks as the partners' theatres "
                                                    "(Middle East, Korea) escalate beyond month 0")


class Deterrence(Strict):
    middle_east: Share = Field(description="US deterrence of Iran in the Middle East")
    indo_pacific: Share = Field(description="US deterrence of North Korea in the Indo-Pacific")


class Control(Strict):
    """Whether a Western/regional decision is taken by its state each month or fixed by the scenario."""

    mode: Literal["decided", "fixed"] = "decided"
    from_month: int = Field(0, ge=0, le=600, description="fixed: from this month on (decided before)")


class Policies(Strict):
    secondary_sanctions: SecondarySanctions
    ukraine_support: UkraineSupport
    deterrence: Deterrence
    allied_cohesion: AlliedCohesion
    control: dict[str, Control] = Field(
        default_factory=dict, description="'<state>.<kind>' (e.g. united_states.sanctions) -> decided or fixed; "
                                          "an event on a policy's level fixes it from that month")


class Weights(Strict):
    strategic_gain: Num(0, 10) = Field(description="the strategic payoff of backing its partners")
    leverage: Num(0, 10) = Field(description="leverage over dependent partners")
    energy: Num(0, 10) = Field(description="discounted energy from partners")
    sanction_cost: Num(0, 20) = Field(description="the expected cost of Western secondary sanctions")
    instability_cost: Num(0, 20) = Field(description="the instability its partners' wars export")
    prestige_cost: Num(0, 20) = Field(description="the prestige staked on its partners' success")
    allies_cost: Num(0, 20) = Field(description="US allies closing ranks")
    tie: Num(0, 10) = Field(description="the personal tie between the leaders")
    pressure_binds: Num(0, 5) = Field(description="how much the sanctions a partner bears raise its dependency "
                                                  "on its supporters (and so their leverage); 0: not at all")


class PolicyWeights(Strict):
    """Weights of the named terms in one kind of Western/regional decision."""

    strategic_gain: Num(0, 20) = Field(description="the motive to act")
    sanction_cost: Num(0, 20) = Field(description="the decider's own economic cost")
    instability_cost: Num(0, 20) = Field(description="escalation risk, weighed by caution")
    prestige_cost: Num(0, 20) = Field(description="stake in the adversary's failure")
    allies_cost: Num(0, 20) = Field(description="push from allied cohesion")


class PolicyWeightSet(Strict):
    sanctions: PolicyWeights
    aid: PolicyWeights
    deterrence: PolicyWeights
    strikes: PolicyWeights
    resistance: PolicyWeights


class Decision(Strict):
    temperature: Num(0.001, 10) = Field(description="logit noise: higher means less predictable choices")
    switching_cost: Num(0, 10) = Field(description="inertia: utility lost per rung moved")
    pressure_threshold: Num(0, 10) = Field(description="accumulated pressure that triggers a re-decision")
    pressure_decay: Share = Field(description="share of accumulated pressure kept each month")
    perception_rate: Share = Field(description="how fast partners' failure is perceived (per month)")
    cohesion_rate: Share = Field(description="how fast allies close ranks (per month)")
    failure_scale: Num(0.0001, 1) = Field(description="monthly momentum that reads as clear success/failure")
    gain_curvature: Num(0.05, 3) = Field(description="gain of rung k is (k/4)**this (<1: diminishing)")
    visibility_curvature: Num(0.05, 5) = Field(description="sanction visibility of rung k is (k/4)**this")
    tie_floor_rung: Num(0, 4) = Field(description="the leaders' tie rewards support up to this rung, not beyond")
    position_scale: Num(0.001, 1) = Field(description="change of a partner's position since month 0 (front, "
                                                      "capability) that reads as clear success or failure")
    failure_own_share: Share = Field(description="share of a link's perceived failure that is the partner's own "
                                                 "(the rest: the partners' average)")
    neutral_failure: Share = Field(description="perceived failure that is neither a prestige cost nor a gain")
    instability_own: Num(0, 5) = Field(description="weight of a theatre's instability on the link that feeds it "
                                                   "(support to its belligerent)")
    instability_spill: Share = Field(description="share of a theatre's instability charged to a link that does "
                                                 "not feed it (1: every link pays for every theatre)")
    weights: Weights
    policy_weights: PolicyWeightSet
    policy_temperature: Num(0.001, 10) = Field(
        description="logit noise of the Western and regional decisions (higher: less predictable)")


class Event(Strict):
    month: int = Field(ge=0, le=600)
    path: str
    set: Optional[float] = None
    add: Optional[float] = None
    multiply: Optional[float] = None
    note: Optional[str] = None
    source: Optional[str] = None

    @model_validator(mode="after")
    def _one_op(self):
        ops = [k for k in ("set", "add", "multiply") if getattr(self, k) is not None]
        if len(ops) != 1:
            raise ValueError("give exactly one of set / add / multiply")
        return self


class Outcome(Strict):
    stay_threshold: Rung = Field(2, description="China 'stays' if its rung to Russia is >= this at the horizon")
    weapons_rung: Rung = 4


#: Upper limits shared by scenario files and the command line (a value above one is bad input).
MAX_RUNS = 10_000_000          # replicates of a run, or per sweep point
MAX_SAMPLES = 100_000          # --samples of a sampled design
MAX_LEVELS = 10_000            # grid levels of one parameter
MAX_POINTS = 1_000_000         # design points of a sweep
MAX_WORKERS = 1024             # local processes / LocalCluster size
MAX_BLOCK = 1_000_000          # replicates per sweep task (memory grows with it: ~4 MB per 1,000)


class Sweep(Strict):
    """A sweep declared next to the scenario (``python run.py sweep``); the command line overrides it."""

    param: list[str] = Field(default_factory=list, description="PATH=LOW:HIGH[:N] entries")
    design: Literal["grid", "lhs", "sobol", "morris"] = "grid"
    samples: Optional[int] = Field(None, ge=1, le=MAX_SAMPLES, description="lhs: points; sobol: N (N*(2D+2) points); "
                                                            "morris: trajectories (N*(D+1) points)")
    runs: Optional[int] = Field(None, ge=1, le=MAX_RUNS, description="replicates per design point")
    seed: Optional[int] = Field(None, ge=0, le=2**63 - 1)
    workers: Optional[int] = Field(None, ge=1, le=MAX_WORKERS, description="local worker processes (or Dask LocalCluster size)")
    dask: Optional[bool | str] = Field(
        None, description="true: a Dask LocalCluster on 127.0.0.1; or a scheduler address (tcp://host:8786)")
    block: Optional[int] = Field(None, ge=1, le=MAX_BLOCK, description="replicates per task (results depend on it)")
    fixed: bool = Field(False, description="use point values for the parameters that are not swept")
    independent_streams: bool = Field(False, description="each design point draws its own random numbers "
                                                         "(default: common random numbers across points)")


#: What a scenario ``name`` may be: it names the output folder, so it is a slug.
NAME_PATTERN = r"^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,100}$"


class WorldState(Strict):
    name: str = ""
    bloc: Literal["axis", "west", "neutral"] = "neutral"
    role: str = ""


class WorldLink(Strict):
    source: StateId
    target: StateId
    kind: Literal["support"] = Field("support", description="a further state's support rungs to a partner")


class WorldSpec(Strict):
    """States and links a scenario adds to the declared world (simulator/model/world.py)."""

    states: dict[StateId, WorldState] = Field(default_factory=dict)
    links: list[WorldLink] = Field(default_factory=list)


class Scenario(Strict):
    name: str = Field(description="the scenario's name; also its output folder: letters, digits, "
                                  "'_', '-', '.' (not '.' or '..'), at most 100 characters")
    description: str = ""
    extends: Optional[str] = None
    kind: Literal["scenario", "episode"] = Field(
        "scenario", description="'episode': a historical episode (scenarios/history/), which may set "
                                "China's month-0 rungs (states.china.support) as observed in its start month")
    start: str = Field("2024-11", pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="calendar month of month 0 (YYYY-MM)")
    horizon_months: int = Field(36, ge=1, le=600)
    runs: int = Field(2000, ge=1, le=MAX_RUNS)
    seed: int = Field(20241105, ge=0, le=2**63 - 1)
    world: WorldSpec = Field(default_factory=WorldSpec)
    states: dict[StateId, StateSpec]
    theatres: Theatres
    policies: Policies
    decision: Decision
    events: list[Event] = Field(default_factory=list)
    outcome: Outcome = Field(default_factory=Outcome)
    sweep: Optional[Sweep] = None

    @model_validator(mode="before")
    @classmethod
    def _known_states(cls, data):
        """Refuse a state that is neither built in nor declared under world.states (before its
        attributes are checked, so that a typo is reported as one)."""
        if isinstance(data, dict) and isinstance(data.get("states"), dict):
            world = data.get("world") if isinstance(data.get("world"), dict) else {}
            extra = world.get("states") if isinstance(world.get("states"), dict) else {}
            declared = STATE_IDS + tuple(extra)
            for sid in data["states"]:
                if sid not in declared:
                    close = difflib.get_close_matches(str(sid), declared, n=1)
                    hint = f" (did you mean '{close[0]}'?)" if close else " (declare it under world.states)"
                    raise ValueError(f"states.{sid}: unknown state '{sid}'{hint}")
        return data

    @field_validator("name")
    @classmethod
    def _slug(cls, name):
        import re
        if not re.match(NAME_PATTERN, name):
            raise ValueError(f"{name!r} is not a valid name: use letters, digits, '_', '-' and '.' "
                             f"(not '.' or '..'; no '/' or spaces), at most 100 characters; the name "
                             f"becomes the output folder")
        return name

    @model_validator(mode="after")
    def _all_states(self):
        declared = self.state_ids()

        def unknown_state(path: str, sid: str) -> ValueError:
            close = difflib.get_close_matches(sid, declared, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else " (declare it under world.states)"
            return ValueError(f"{path}: unknown state '{sid}'{hint}")

        for sid in self.world.states:
            if sid in STATE_IDS:
                raise ValueError(f"world: state '{sid}' is already declared")
        missing = [s for s in declared if s not in self.states]
        if missing:   # reported at the `states:` key, not at the top of the file
            raise ValueError(f"states: missing: {', '.join(missing)} (every one of the {len(declared)} states "
                             f"must be given)")
        for sid in self.states:
            if sid not in declared:
                raise unknown_state(f"states.{sid}", sid)
        for sid, spec in self.states.items():
            for field in ("dependency", "energy_imports", "leader_bond", "alignment", "support", "max_support"):
                for k in getattr(spec, field):
                    if k not in declared:
                        raise unknown_state(f"states.{sid}.{field}.{k}", k)
        for i, link in enumerate(self.world.links):
            for end in (link.source, link.target):
                if end not in declared:
                    raise unknown_state(f"world.links.{i}", end)
        for name, mix in (("theatres.ukraine.support_mix", self.theatres.ukraine.support_mix),
                          ("theatres.middle_east.revenue_mix", self.theatres.middle_east.revenue_mix)):
            for k in mix:
                if k not in declared:
                    raise unknown_state(f"{name}.{k}", k)
        for c in self.policies.secondary_sanctions.coalition:
            if c not in declared:
                raise unknown_state("policies.secondary_sanctions.coalition", c)
        return self

    def state_ids(self) -> tuple[str, ...]:
        return STATE_IDS + tuple(self.world.states)
