"""Read YAML into plain data while remembering where every key came from.

PyYAML silently keeps the last of two duplicate keys and can construct
arbitrary objects through tags; both are refused here.  Every mapping key
gets an origin ``(file, line)`` so later validation errors can point at it.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from .errors import ScenarioError

Origins = dict[tuple, tuple[str, int]]
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


def path_str(path: tuple) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def load_yaml(file: str | Path) -> tuple[Any, Origins]:
    """Return (data, origins) for one YAML file."""
    name = str(file)
    try:
        text = Path(file).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(name, None, "", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(name, None, "", f"cannot read file: {exc}") from None
    return loads_yaml(text, name)


def loads_yaml(text: str, name: str = "<string>") -> tuple[Any, Origins]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ScenarioError(name, line, "", f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(name, None, "", f"YAML error: {exc}") from None
    finally:
        loader.dispose()
    origins: Origins = {}
    if node is None:
        return {}, origins
    data = _convert(node, (), name, origins, loader, set())
    return data, origins


def _convert(node, path, name, origins, loader, active):
    line = node.start_mark.line + 1
    if node.tag not in _PLAIN_TAGS:
        raise ScenarioError(name, line, path_str(path),
                            f"YAML tag {node.tag!r} is not allowed (plain data only)")
    if id(node) in active:
        raise ScenarioError(name, line, path_str(path), "recursive YAML alias")
    if isinstance(node, yaml.MappingNode):
        active = active | {id(node)}
        out: dict = {}
        for key_node, value_node in node.value:
            kline = key_node.start_mark.line + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise ScenarioError(name, kline, path_str(path), "YAML merge keys ('<<') are not supported")
            if not isinstance(key_node, yaml.ScalarNode):
                raise ScenarioError(name, kline, path_str(path), "mapping keys must be plain scalars")
            key = key_node.value
            if key in out:
                first = origins.get(path + (key,), (name, "?"))[1]
                raise ScenarioError(name, kline, path_str(path + (key,)),
                                    f"duplicate key (first given on line {first})")
            origins[path + (key,)] = (name, kline)
            out[key] = _convert(value_node, path + (key,), name, origins, loader, active)
        return out
    if isinstance(node, yaml.SequenceNode):
        active = active | {id(node)}
        items = []
        for i, item in enumerate(node.value):
            origins[path + (i,)] = (name, item.start_mark.line + 1)
            items.append(_convert(item, path + (i,), name, origins, loader, active))
        return items
    value = loader.construct_object(node, deep=True)
    if isinstance(value, str) and node.style is None and _NUMBER.match(value):
        # YAML 1.1 reads 1e-3 (no dot) as a string; plain text shaped like a number is one.
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ScenarioError(name, line, path_str(path), f"value must be a finite number, got {value}")
    return value
