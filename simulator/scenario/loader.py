"""Load a scenario: YAML -> ``extends`` chain -> ``--set`` overrides -> validation.

Everything that can go wrong with user input becomes one :class:`ScenarioError`
naming the file, the line and the dotted path.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
from pydantic import BaseModel

from .errors import ScenarioError
from .schema import STATE_IDS, ParamSpec, Scenario
from .yamlio import Origins, is_pseudo_file, load_yaml, path_str

SET_SOURCE = "override (--set)"


@dataclass
class Resolved:
    """A validated scenario with its provenance."""

    scenario: Scenario
    data: dict                      # merged plain data (after extends and overrides)
    origins: Origins                # path tuple -> (file, line)
    file: str
    params: dict[str, ParamSpec] = field(default_factory=dict)   # dotted path -> parameter
    bounds: dict[str, tuple[float, float, bool]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.scenario.name

    def origin(self, path: str) -> tuple[str, int]:
        return _origin_for(self.origins, _split(path), self.file)

    def digest(self) -> str:
        """A hash of the resolved content (not of file names or comments)."""
        blob = json.dumps(self.data, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


# ----------------------------------------------------------------------------- public API

def load_scenario(file: str | Path, overrides: list[str] | None = None) -> Resolved:
    file = str(file)
    data, origins = _load_chain(Path(file), [])
    values = [parse_override(item, i) for i, item in enumerate(overrides or [], start=1)]
    return resolve_data(data, values, file, origins)


def load_scenario_data(data: dict, overrides: list[str] | None = None, base_dir: str | Path = ".",
                       label: str = "<dict>") -> Resolved:
    """Load a scenario given as plain data (what a YAML file would hold).  A relative ``extends``
    is read from ``base_dir``; errors name ``label`` as the file."""
    if not isinstance(data, dict):
        raise ScenarioError(label, None, "", "a scenario must be a mapping of keys")
    if "name" not in data:
        raise ScenarioError(label, None, "name", "required key is missing (every scenario names itself)")
    data = copy.deepcopy(data)
    origins: Origins = {}
    parent_ref = data.get("extends")
    if parent_ref is not None:
        if not isinstance(parent_ref, (str, Path)):
            raise ScenarioError(label, None, "extends", "must be a file path")
        parent = Path(parent_ref)
        if not parent.is_absolute():
            parent = Path(base_dir) / parent
        if not parent.exists():
            raise ScenarioError(label, None, "extends", f"file not found: {parent_ref}")
        base, origins = _load_chain(parent, [])
        child = {k: v for k, v in data.items() if k != "extends"}
        data = _merge(base, child)
        data["extends"] = str(parent)

        def mark(node, prefix):            # what the dict gives is reported against the dict
            origins[prefix] = (label, 1)
            if isinstance(node, dict):
                for k, v in node.items():
                    mark(v, prefix + (k,))
        for key, value in child.items():
            mark(value, (key,))
    values = [parse_override(item, i) for i, item in enumerate(overrides or [], start=1)]
    return resolve_data(data, values, label, origins)


def resolve_data(data: dict, values: list[tuple[str, float]], file: str,
                 origins: Origins | None = None) -> Resolved:
    """Validate plain scenario data (already merged with its ``extends`` chain) after setting
    ``values`` ((path, value) pairs, as ``--set`` does).  ``data`` is not modified.

    Workers use it to rebuild a design point's scenario without the YAML files.
    """
    data = copy.deepcopy(data)
    origins = dict(origins or {})
    for i, (path, value) in enumerate(values, start=1):
        _apply_override(data, origins, path, float(value), i, file)
    scenario = _validate(data, origins, file)
    resolved = Resolved(scenario=scenario, data=data, origins=origins, file=file)
    resolved.params = flatten_params(scenario)
    resolved.bounds = param_bounds(scenario)
    _check_events(resolved)
    return resolved


def parse_override(item: str, index: int = 1) -> tuple[str, float]:
    where = f"--set #{index}"
    if "=" not in item:
        raise ScenarioError("--set", index, item, "expected PATH=VALUE")
    path, raw = item.split("=", 1)
    path = path.strip()
    try:
        value = float(raw)
    except ValueError:
        raise ScenarioError("--set", index, path, f"value {raw!r} is not a number ({where})") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ScenarioError("--set", index, path, "value must be a finite number")
    return path, value


def flatten_params(scenario: Scenario) -> dict[str, ParamSpec]:
    """Every numeric parameter of the scenario by dotted path, in a stable order."""
    return {path: spec for path, (spec, _) in _walk_params(scenario).items()}


def param_bounds(scenario: Scenario) -> dict[str, tuple[float, float, bool]]:
    """The allowed (low, high, integer) of every numeric parameter, from the schema."""
    return {path: bounds for path, (_, bounds) in _walk_params(scenario).items()}


def _bounds(annotation) -> tuple[float, float, bool]:
    for meta in getattr(annotation, "__metadata__", ()):
        func = getattr(meta, "func", None)
        if func is not None and getattr(func, "args", None):
            lo, hi, integer = func.args
            return lo, hi, integer
    return (float("-inf"), float("inf"), False)


def _walk_params(scenario: Scenario) -> dict[str, tuple[ParamSpec, tuple]]:
    out: dict[str, tuple[ParamSpec, tuple]] = {}

    def walk(obj, prefix, annotation):
        if isinstance(obj, ParamSpec):
            out[prefix] = (obj, _bounds(annotation))
        elif isinstance(obj, BaseModel):
            fields = type(obj).model_fields
            for name, info in fields.items():
                ann = typing.Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
                walk(getattr(obj, name), f"{prefix}.{name}" if prefix else name, ann)
        elif isinstance(obj, dict):
            value_ann = typing.get_args(_unwrap(annotation))[-1] if annotation is not None else None
            for key in sorted(obj):
                walk(obj[key], f"{prefix}.{key}", value_ann)

    for top in ("states", "theatres", "policies", "decision"):
        walk(getattr(scenario, top), top, None)
    return out


def numeric_paths(data: Any, prefix: tuple = ()) -> list[str]:
    """Dotted paths of every numeric leaf (a number or a {value: ...} mapping) in plain data."""
    out = []
    if isinstance(data, dict):
        if "value" in data and isinstance(data.get("value"), (int, float)) and prefix:
            return [path_str(prefix)]
        for k, v in data.items():
            out += numeric_paths(v, prefix + (k,))
    elif isinstance(data, (int, float)) and not isinstance(data, bool) and prefix:
        out.append(path_str(prefix))
    return out


def did_you_mean(word: str, options) -> str:
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


# ----------------------------------------------------------------------------- extends

def _load_chain(file: Path, chain: list[Path]) -> tuple[dict, Origins]:
    real = file.resolve()
    if real in chain:
        cycle = " -> ".join(str(p.name) for p in chain + [real])
        raise ScenarioError(str(file), None, "extends", f"circular extends: {cycle}")
    data, origins = load_yaml(file)
    if not isinstance(data, dict):
        raise ScenarioError(str(file), 1, "", "a scenario file must be a mapping of keys")
    if "name" not in data:
        raise ScenarioError(str(file), 1, "name", "required key is missing (every scenario file names itself)")
    parent_ref = data.get("extends")
    if parent_ref is None:
        return data, origins
    if not isinstance(parent_ref, str):
        line = origins.get(("extends",), (str(file), 1))[1]
        raise ScenarioError(str(file), line, "extends", "must be a file path")
    parent_path = Path(parent_ref)
    if not parent_path.is_absolute():
        parent_path = file.parent / parent_path
    if not parent_path.exists():
        line = origins.get(("extends",), (str(file), 1))[1]
        raise ScenarioError(str(file), line, "extends", f"file not found: {parent_ref}")
    if not parent_path.is_file() or is_pseudo_file(parent_path):
        line = origins.get(("extends",), (str(file), 1))[1]
        raise ScenarioError(str(file), line, "extends",
                            f"{parent_ref} is not a regular file (only scenario files can be extended)")
    _refuse_structural(data, origins, file)
    base, base_origins = _load_chain(parent_path, chain + [real])
    merged = _merge(base, data)
    merged_origins = dict(base_origins)
    merged_origins.update(origins)
    merged.pop("extends", None)
    merged["extends"] = parent_ref
    return merged, merged_origins


#: What only the root of an ``extends`` chain (the baseline) may set: China's own choice set and
#: the weights of the support decisions.  A scenario that capped China's rungs or reweighted its
#: terms would script China's answer instead of setting the world it answers.
STRUCTURAL = (("states", "china", "support"), ("states", "china", "max_support"), ("decision", "weights"))


#: What a historical episode (``kind: episode``) may set besides: China's rungs in its start month
#: are an observation of that month, not a choice the scenario makes for China.
EPISODE_MAY_SET = (("states", "china", "support"),)


def _refuse_structural(data: dict, origins: Origins, file: Path) -> None:
    episode = data.get("kind") == "episode"
    for path in STRUCTURAL:
        if episode and path in EPISODE_MAY_SET:
            continue
        node: Any = data
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None:
            line = _origin_for(origins, path, str(file))[1]
            raise ScenarioError(str(file), line, ".".join(path),
                                "only the baseline (a file that extends nothing) may set this: a scenario "
                                "sets the world, not China's choice set or the weights of its decision "
                                "(use --set or a sweep to study them)")


def _merge(base: Any, child: Any) -> Any:
    """Mappings merge key by key; ``events`` concatenate; anything else is replaced."""
    if isinstance(base, dict) and isinstance(child, dict):
        out = copy.deepcopy(base)
        for k, v in child.items():
            if k == "events" and isinstance(v, list) and isinstance(out.get(k), list):
                out[k] = out[k] + copy.deepcopy(v)
            elif k in out and isinstance(out[k], dict) and isinstance(v, dict):
                out[k] = _merge(out[k], v)
            else:
                out[k] = copy.deepcopy(v)
        return out
    return copy.deepcopy(child)


# ----------------------------------------------------------------------------- overrides

def _split(path: str) -> tuple:
    return tuple(p for p in path.split(".") if p)


def _apply_override(data: dict, origins: Origins, path: str, value: float, index: int, file: str):
    parts = _split(path)
    if parts and parts[-1] == "value":
        parts = parts[:-1]
    node = data
    for i, key in enumerate(parts[:-1]):
        if not isinstance(node, dict) or key not in node:
            options = list(node.keys()) if isinstance(node, dict) else []
            hint = did_you_mean(key, options)
            if i == 1 and parts[0] == "states":
                raise ScenarioError("--set", index, path, f"unknown state '{key}'{hint}")
            raise ScenarioError("--set", index, path, f"no such path: unknown key '{key}'{hint}")
        node = node[key]
    leaf = parts[-1] if parts else ""
    current = node.get(leaf) if isinstance(node, dict) else None
    numeric = isinstance(current, (int, float)) and not isinstance(current, bool)
    spec = isinstance(current, dict) and "value" in current
    if not (numeric or spec):
        if isinstance(node, dict) and leaf not in node:
            hint = did_you_mean(path, numeric_paths(data))
            raise ScenarioError("--set", index, path, f"no such numeric path{hint}")
        raise ScenarioError("--set", index, path, "not a numeric parameter")
    if numeric:
        node[leaf] = int(value) if isinstance(current, int) and value == int(value) else value
    else:
        new = {"value": value, "source": SET_SOURCE}
        if "distribution" in current:
            new["distribution"] = current["distribution"]
        node[leaf] = new  # setting a parameter that has a range fixes it
    origins[tuple(parts)] = ("--set", index)


# ----------------------------------------------------------------------------- validation

def _origin_for(origins: Origins, path: tuple, file: str) -> tuple[str, int]:
    p = tuple(path)
    while p:
        if p in origins:
            return origins[p]
        p = p[:-1]
    return (file, 1)


def _validate(data: dict, origins: Origins, file: str) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except pydantic.ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        raise _translate(err, origins, file) from None


def _translate(err: dict, origins: Origins, file: str) -> ScenarioError:
    loc = tuple(err["loc"])
    kind = err["type"]
    if loc and loc[-1] == "[key]":
        loc = loc[:-1]
        bad = loc[-1]
        where = _origin_for(origins, loc, file)
        parent = path_str(loc[:-1])
        if kind == "literal_error":
            return ScenarioError(where[0], where[1], path_str(loc),
                                 f"unknown state '{bad}'{did_you_mean(bad, STATE_IDS)}")
        return ScenarioError(where[0], where[1], parent, f"bad key {bad!r}: {err['msg']}")
    if not loc and kind == "value_error":       # a whole-scenario check names its own dotted path
        head, sep, rest = err["msg"].removeprefix("Value error, ").partition(": ")
        if sep and all(part.replace("_", "").isalnum() for part in head.split(".")):
            loc = tuple(int(p) if p.isdigit() else p for p in head.split("."))
            err = {**err, "msg": rest}
    where = _origin_for(origins, loc, file)
    path = path_str(loc)
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        return ScenarioError(where[0], where[1], path,
                             f"unknown key '{loc[-1]}'{did_you_mean(loc[-1], allowed)}")
    if kind == "missing":
        return ScenarioError(where[0], where[1], path, "required key is missing")
    msg = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    if kind not in ("value_error",) and "input" in err and not isinstance(err["input"], (dict, list)):
        msg = f"{msg} (got {err['input']!r})"
    return ScenarioError(where[0], where[1], path, msg)


def _allowed_keys(loc: tuple) -> list[str]:
    """Field names of the schema object found at ``loc`` (for did-you-mean)."""
    tp: Any = Scenario
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if part not in tp.model_fields:
                return []
            tp = tp.model_fields[part].annotation
        elif typing.get_origin(tp) in (dict, list):
            tp = typing.get_args(tp)[-1]
        else:
            return []
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    return []


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0]
        else:
            return tp


def _check_events(resolved: Resolved) -> None:
    sc = resolved.scenario
    for i, ev in enumerate(sc.events):
        where = _origin_for(resolved.origins, ("events", i), resolved.file)
        path = ev.path[:-len(".value")] if ev.path.endswith(".value") else ev.path
        parts = _split(path)
        if len(parts) >= 3 and parts[0] == "states" and parts[2] == "support":
            raise ScenarioError(where[0], where[1], f"events[{i}].path",
                                "events cannot set a state's support rung: choices come from the "
                                "decision rules")
        if path.startswith("decision.weights."):
            raise ScenarioError(where[0], where[1], f"events[{i}].path",
                                "events cannot change the weights of the support decisions: a scenario "
                                "sets the world, not China's decision (use --set or a sweep to study them)")
        if path not in resolved.params:
            raise ScenarioError(where[0], where[1], f"events[{i}].path",
                                f"'{ev.path}' is not a numeric parameter"
                                f"{did_you_mean(path, resolved.params)}")
        if ev.month >= sc.horizon_months:
            raise ScenarioError(where[0], where[1], f"events[{i}].month",
                                f"month {ev.month} is at or past the horizon ({sc.horizon_months})")
        ev.path = path
    _check_event_bounds(resolved)


def _check_event_bounds(resolved: Resolved) -> None:
    """Refuse an event that would take a parameter outside its allowed bounds.

    Each parameter's possible values start as its range (or its value) and go through its
    events in the order the model applies them (by month, then file order); any value an
    event can produce must lie within the schema's bounds of the parameter.
    """
    sc = resolved.scenario
    spans: dict[str, tuple[float, float]] = {}
    order = sorted(range(len(sc.events)), key=lambda i: (sc.events[i].month, i))
    for i in order:
        ev = sc.events[i]
        spec = resolved.params[ev.path]
        lo, hi, integer = resolved.bounds.get(ev.path, (float("-inf"), float("inf"), False))
        low, high = spans.get(ev.path, tuple(spec.range) if spec.range is not None else (spec.value, spec.value))
        if ev.set is not None:
            op, new = f"set {ev.set:g}", (ev.set, ev.set)
        elif ev.add is not None:
            op, new = f"add {ev.add:g}", (low + ev.add, high + ev.add)
        else:
            a, b = low * ev.multiply, high * ev.multiply
            op, new = f"multiply {ev.multiply:g}", (min(a, b), max(a, b))
        if new[0] < lo - 1e-12 or new[1] > hi + 1e-12:
            where = _origin_for(resolved.origins, ("events", i), resolved.file)
            got = f"{new[0]:g}" if new[0] == new[1] else f"{new[0]:g} to {new[1]:g}"
            raise ScenarioError(where[0], where[1], f"events[{i}]",
                                f"{op} on {ev.path} gives {got}, outside the allowed [{lo:g}, {hi:g}]")
        if integer and ev.set is not None and ev.set != int(ev.set):
            where = _origin_for(resolved.origins, ("events", i), resolved.file)
            raise ScenarioError(where[0], where[1], f"events[{i}].set",
                                f"{ev.path} is a whole-number parameter; set {ev.set:g} is not whole")
        spans[ev.path] = new
