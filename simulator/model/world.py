"""The world, declared once: states, directed decision links, theatres, utility terms, outcomes.

Everything else derives from these declarations: the model's agents and the links each one
decides, the named random streams (keyed by link and theatre name), the recorder's series,
the summary's policy entries and outcomes, explain's labels and colours, the charts' panels.
A scenario may declare further states and links (``world:``); see docs/model.md, "Adding a
state".  Pure data: no numpy, no mesa.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class StateDecl:
    id: str
    name: str
    bloc: str            # "axis", "west" or "neutral"
    role: str = ""


@dataclass(frozen=True)
class KindDecl:
    """A kind of decision link: what the level means, which scenario parameter sets its
    November 2024 level, and the binary outcome it reports at the horizon."""

    id: str
    label: str
    description: str
    base: str | None = None        # scenario parameter that is the link's rung-2 level (policies)
    outcome: str | None = None     # outcome name template, "{state}" is the decider
    outcome_text: str = ""
    delivery: str | None = None    # scenario parameter: mean months from a decision to its effect in
                                   # the world (a delivery pipeline); None: it acts the month it is chosen


@dataclass(frozen=True)
class LinkDecl:
    source: str
    target: str          # a state, or a theatre id for deterrence
    kind: str

    @property
    def name(self) -> str:
        return f"{self.source}->{self.target}:{self.kind}"

    @property
    def policy(self) -> str:
        return f"{self.source}.{self.kind}"


@dataclass(frozen=True)
class TermDecl:
    id: str
    label: str
    colour: str
    description: str


@dataclass(frozen=True)
class TheatreDecl:
    id: str
    label: str
    level: str           # the scenario path of its level
    description: str
    belligerent: str     # the axis state that wages it: support to it feeds this theatre
    position: str        # the scenario path read as the belligerent's position (its success)
    war: str = ""        # the scenario path of its war level (0-1): how much the belligerent needs
                         # military help; "" for a theatre that is always at war


STATES: tuple[StateDecl, ...] = (
    StateDecl("china", "China", "axis", "the pivot of the question"),
    StateDecl("russia", "Russia", "axis", "belligerent in Ukraine"),
    StateDecl("iran", "Iran", "axis", "belligerent in the Middle East (with its proxies)"),
    StateDecl("north_korea", "North Korea", "axis", "belligerent on the peninsula, supplier to Russia"),
    StateDecl("united_states", "United States", "west", "leads secondary sanctions, aids Ukraine"),
    StateDecl("europe", "Europe", "west", "joins sanctions or not, aids Ukraine"),
    StateDecl("ukraine", "Ukraine", "west", "resists"),
    StateDecl("israel", "Israel", "west", "strikes Iran and its proxies"),
    StateDecl("south_korea", "South Korea", "west", "deters North Korea, may arm Ukraine"),
    StateDecl("japan", "Japan", "west", "deters North Korea, joins sanctions or not"),
)

KINDS: tuple[KindDecl, ...] = (
    KindDecl("support", "support", "rung 0 distance .. 4 weapons of one state's support to a partner",
             outcome=None),
    KindDecl("arms", "arms to Ukraine", "rung 0 none .. 4 offensive weapons", outcome="{state}_arms_ukraine",
             outcome_text="{name} sends arms to Ukraine at the horizon (rung >= 1)"),
    KindDecl("sanctions", "secondary sanctions", "the United States: its sanctions intensity (rung 2 = the "
             "November 2024 level, 4 = twice it); a coalition member: how far it joins (rung 4 = fully)",
             base="policies.secondary_sanctions.intensity", outcome="{state}_joins_sanctions",
             outcome_text="{name} enforces secondary sanctions on China at the horizon (rung >= 1)"),
    KindDecl("aid", "aid to Ukraine", "share of the aid it can give (rung 2 = the November 2024 level)",
             base="policies.ukraine_support.level", outcome="{state}_aids_ukraine",
             outcome_text="{name} keeps aiding Ukraine at the horizon (rung >= 1)",
             delivery="policies.ukraine_support.delivery_months"),
    KindDecl("deterrence", "Indo-Pacific deterrence", "its contribution to deterring North Korea "
             "(rung 2 = the November 2024 level)", base="policies.deterrence.indo_pacific",
             outcome="{state}_deters", outcome_text="{name} contributes to deterrence at the horizon (rung >= 1)"),
    KindDecl("strikes", "strikes on Iran and its proxies", "Middle East deterrence (rung 2 = the November "
             "2024 level)", base="policies.deterrence.middle_east", outcome="{state}_strikes_iran",
             outcome_text="{name} keeps striking Iran and its proxies at the horizon (rung >= 1)"),
    KindDecl("resistance", "resistance", "how hard it fights (rung 2 = as in November 2024)",
             outcome="{state}_resists", outcome_text="{name} keeps resisting at the horizon (rung >= 1)"),
)

#: The Western and regional decisions (the axis links are every ordered pair of axis states).
POLICY_LINKS: tuple[LinkDecl, ...] = (
    LinkDecl("united_states", "china", "sanctions"),
    LinkDecl("europe", "china", "sanctions"),
    LinkDecl("japan", "china", "sanctions"),
    LinkDecl("united_states", "ukraine", "aid"),
    LinkDecl("europe", "ukraine", "aid"),
    LinkDecl("south_korea", "ukraine", "arms"),
    LinkDecl("japan", "korea", "deterrence"),
    LinkDecl("south_korea", "korea", "deterrence"),
    LinkDecl("israel", "iran", "strikes"),
    LinkDecl("ukraine", "russia", "resistance"),
)

THEATRES: tuple[TheatreDecl, ...] = (
    TheatreDecl("ukraine", "Ukraine front", "theatres.ukraine.front",
                "Russia's progress toward its war aims (0 none .. 1 achieved)",
                belligerent="russia", position="theatres.ukraine.front", war="theatres.ukraine.war"),
    TheatreDecl("middle_east", "Middle East escalation", "theatres.middle_east.escalation",
                "0 calm .. 1 regional war (Hormuz disrupted above its threshold)",
                belligerent="iran", position="states.iran.capability"),
    # North Korea's success is its capability, not its escalation: tension it stirs closes the
    # allies' ranks and costs its supporters; it lends them no prestige.
    TheatreDecl("korea", "Korean tension", "theatres.korea.tension", "0 calm .. 1 crisis",
                belligerent="north_korea", position="states.north_korea.capability"),
)

TERMS: tuple[TermDecl, ...] = (
    TermDecl("strategic_gain", "strategic gain", "#009E73",
             "what the level buys: the common aim against the rival bloc, leverage and energy (axis); "
             "the motive to act (West)"),
    TermDecl("sanction_cost", "sanctions / economic cost", "#D55E00",
             "expected sanctions (axis) or the decider's own economic cost of the level (West)"),
    TermDecl("instability_cost", "instability cost", "#E69F00",
             "escalation and chaos the level exposes the decider to, weighed by its caution"),
    TermDecl("prestige_cost", "prestige (axis of losers)", "#CC79A7",
             "standing lost by backing a partner seen failing (or gained on one succeeding)"),
    TermDecl("allies_cost", "allies close ranks", "#0072B2",
             "the rival allies' cohesion: a cost to the axis, a push to act for the West"),
    TermDecl("leader_tie", "leaders' tie", "#56B4E9", "the leaders' personal bond, up to its floor rung"),
    TermDecl("inertia", "inertia", "#999999", "the cost of moving away from the rung held"),
)

TERM_IDS = tuple(t.id for t in TERMS)


@dataclass
class World:
    """The declared world plus what a scenario adds (``world:`` block)."""

    states: list[StateDecl] = field(default_factory=lambda: list(STATES))
    links: list[LinkDecl] = field(default_factory=list)

    @property
    def state_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.states)

    @property
    def axis(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.states if s.bloc == "axis")

    def state(self, sid: str) -> StateDecl:
        return next(s for s in self.states if s.id == sid)

    def links_of(self, kind: str) -> list[LinkDecl]:
        return [link for link in self.links if link.kind == kind]

    def deciders(self, kind: str) -> list[str]:
        return [link.source for link in self.links_of(kind)]


def kind(kind_id: str) -> KindDecl:
    return next(k for k in KINDS if k.id == kind_id)


def build_world(extra_states=(), extra_links=()) -> World:
    """The declared world with a scenario's extra states and links appended (in order)."""
    states = list(STATES) + [StateDecl(s["id"], s.get("name", s["id"]), s.get("bloc", "neutral"),
                                       s.get("role", "")) for s in extra_states]
    axis = [s.id for s in STATES if s.bloc == "axis"]
    links = [LinkDecl(a, b, "support") for a in axis for b in axis if a != b]
    links += list(POLICY_LINKS)
    links += [LinkDecl(link["source"], link["target"], link.get("kind", "support")) for link in extra_links]
    return World(states=states, links=links)


def policy_outcomes(world: World) -> dict[str, tuple[LinkDecl, str]]:
    """Binary outcome name -> (link, plain-words text) for every Western/regional decision."""
    out = {}
    for link in world.links:
        k = kind(link.kind)
        if k.outcome:
            name = k.outcome.format(state=link.source)
            out[name] = (link, k.outcome_text.format(name=world.state(link.source).name))
    return out
