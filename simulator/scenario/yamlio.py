"""Read YAML into plain data while remembering where every key came from.

PyYAML silently keeps the last of two duplicate keys and can construct
arbitrary objects through tags; both are refused here.  Every mapping key
gets an origin ``(file, line)`` so later validation errors can point at it.
"""

from __future__ import annotations

import math
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from .errors import ScenarioError

Origins = dict[tuple, tuple[str, int]]

#: Largest scenario file read (bytes); the bundled baseline is about 17 kB.
MAX_FILE_BYTES = 1_000_000
#: Most YAML nodes a file may expand to, counting every use of an alias (a "billion laughs"
#: file of a few hundred bytes would otherwise expand to billions of nodes).
MAX_NODES = 200_000
#: Deepest nesting of mappings and lists.
MAX_DEPTH = 64
#: Pseudo-file systems whose "files" are not scenario files.
_PSEUDO = ("/proc", "/sys", "/dev")
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
    return loads_yaml(read_scenario_text(file), name)


def is_pseudo_file(file: str | Path) -> bool:
    """Whether ``file`` lives in /proc, /sys or /dev (not a scenario file, whatever it says)."""
    real = os.path.realpath(file)
    return any(real == p or real.startswith(p + "/") for p in _PSEUDO)


def read_scenario_text(file: str | Path) -> str:
    """The text of a scenario file: a regular file of at most MAX_FILE_BYTES, UTF-8."""
    name = str(file)
    try:
        if is_pseudo_file(file):
            raise ScenarioError(name, None, "", f"not a regular file ({os.path.realpath(file)} "
                                                f"is a system file)")
        with open(file, "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise ScenarioError(name, None, "", "not a regular file")
            if info.st_size > MAX_FILE_BYTES:
                raise ScenarioError(name, None, "", f"file is {info.st_size} bytes, above the limit of "
                                                    f"{MAX_FILE_BYTES} for a scenario file")
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(name, None, "", "file not found") from None
    except IsADirectoryError:
        raise ScenarioError(name, None, "", "not a regular file (a folder)") from None
    except OSError as exc:
        raise ScenarioError(name, None, "", f"cannot read file: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(name, None, "", f"file is above the limit of {MAX_FILE_BYTES} bytes "
                                            f"for a scenario file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(name, None, "", f"not UTF-8 text (byte {exc.start})") from None


def loads_yaml(text: str, name: str = "<string>") -> tuple[Any, Origins]:
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ScenarioError(name, line, "", "NUL byte in the file (not a text file)")
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError(name, None, "", f"text is above the limit of {MAX_FILE_BYTES} characters")
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(name, None, "", f"YAML error: {exc}") from None
    try:
        node = loader.get_single_node()
    except RecursionError:
        raise ScenarioError(name, None, "", f"nesting too deep (at most {MAX_DEPTH} levels)") from None
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
    budget = [MAX_NODES]
    try:
        data = _convert(node, (), name, origins, loader, set(), budget)
    except RecursionError:
        raise ScenarioError(name, None, "", f"nesting too deep (at most {MAX_DEPTH} levels)") from None
    return data, origins


def _convert(node, path, name, origins, loader, active, budget):
    line = node.start_mark.line + 1
    budget[0] -= 1
    if budget[0] < 0:
        raise ScenarioError(name, line, path_str(path),
                            f"the file expands to more than {MAX_NODES} values (aliases included); "
                            f"a scenario needs far fewer")
    if len(path) > MAX_DEPTH:
        raise ScenarioError(name, line, path_str(path[:3]) + "...",
                            f"nesting too deep (at most {MAX_DEPTH} levels)")
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
            out[key] = _convert(value_node, path + (key,), name, origins, loader, active, budget)
        return out
    if isinstance(node, yaml.SequenceNode):
        active = active | {id(node)}
        items = []
        for i, item in enumerate(node.value):
            origins[path + (i,)] = (name, item.start_mark.line + 1)
            items.append(_convert(item, path + (i,), name, origins, loader, active, budget))
        return items
    value = loader.construct_object(node, deep=True)
    if isinstance(value, str) and node.style is None and _NUMBER.match(value):
        # YAML 1.1 reads 1e-3 (no dot) as a string; plain text shaped like a number is one.
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ScenarioError(name, line, path_str(path), f"value must be a finite number, got {value}")
    return value
