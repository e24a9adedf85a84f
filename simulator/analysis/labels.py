"""Plain-language names of scenario parameters, for charts and the explorer.

A dotted path such as ``states.china.leader_bond.russia`` becomes "China: strength of the
leaders' tie with Russia", built from the description the scenario schema gives the field
(``run.py schema`` prints the same descriptions).
"""

from __future__ import annotations

import functools
import typing

from pydantic import BaseModel

from ..model.world import build_world
from ..scenario.schema import Scenario

STATE_NAMES = {"china": "China", "russia": "Russia", "iran": "Iran", "north_korea": "North Korea",
               "united_states": "the US", "europe": "Europe", "ukraine": "Ukraine", "israel": "Israel",
               "south_korea": "South Korea", "japan": "Japan"}
GROUPS = {"ukraine": "Ukraine war", "middle_east": "Middle East", "korea": "Korea",
          "secondary_sanctions": "Sanctions", "ukraine_support": "Support to Ukraine",
          "deterrence": "US deterrence", "allied_cohesion": "Allied cohesion", "weights": "China's weight on",
          "decision": "China's decision"}


def _unwrap(tp):
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin is typing.Union or type(tp).__name__ == "UnionType":
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0]
        else:
            return tp


def description(path: str) -> str | None:
    """The schema's description of the field at a dotted path (dict keys skipped)."""
    tp = Scenario
    desc = None
    for part in path.split("."):
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            info = tp.model_fields.get(part)
            if info is None:
                return None
            desc = info.description
            if not desc:
                for meta in info.metadata:
                    desc = getattr(meta, "description", None) or desc
            tp = info.annotation
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        else:
            return None
    return desc


def _words(name: str) -> str:
    return name.replace("_", " ")


def join_names(names: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)


@functools.lru_cache(maxsize=None)
def _deciders(kind: str) -> tuple[str, ...]:
    """The states that take the decisions of ``kind`` in the declared world."""
    return tuple(lk.source for lk in build_world().links_of(kind))


def plain_label(path: str) -> str:
    """A short plain-language label for a parameter path."""
    parts = path.split(".")
    desc = description(path)
    if parts[0] == "states" and len(parts) >= 3:
        who = STATE_NAMES.get(parts[1], _words(parts[1]))
        field = desc or _words(parts[2])
        if len(parts) == 4:
            partner = STATE_NAMES.get(parts[3], _words(parts[3]))
            field = field.split(" -> ", 1)[-1] if " -> " in field else field
            return f"{who}: {field} ({partner})"
        return f"{who}: {field}"
    if parts[0] == "decision" and len(parts) == 3 and parts[1] == "weights":
        return f"China's weight on {desc or _words(parts[2])}"
    if parts[0] == "decision" and len(parts) == 4 and parts[1] == "policy_weights":
        who = join_names([STATE_NAMES.get(s, _words(s)) for s in _deciders(parts[2])])
        return f"{_words(parts[2]).capitalize()} decisions ({who}): weight on {desc or _words(parts[3])}"
    group = GROUPS.get(parts[-2]) if len(parts) >= 2 else None
    text = desc or _words(parts[-1])
    if parts[0] == "decision":
        return f"China's decision: {text}"
    return f"{group}: {text}" if group else text
