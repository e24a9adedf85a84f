"""Layers import only downwards: scenario -> model -> experiment -> analysis -> charts -> cli -> api;
decision rules and theatre dynamics are pure numpy (no mesa)."""

import ast

from .conftest import ROOT

ORDER = ["scenario", "model", "experiment", "analysis", "charts", "cli", "api"]


def imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 2 and node.module:
                yield node.module.split(".")[0]
            elif node.level == 0 and node.module and node.module.startswith("simulator."):
                yield node.module.split(".")[1]
            elif node.level == 0 and node.module:
                yield "external:" + node.module.split(".")[0]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield "external:" + alias.name.split(".")[0]


def test_layers_only_import_downwards():
    bad = []
    for path in (ROOT / "simulator").rglob("*.py"):
        rel = path.relative_to(ROOT / "simulator").parts
        if len(rel) < 2 or rel[0] not in ORDER:
            continue
        for target in imports(path):
            if target in ORDER and ORDER.index(target) > ORDER.index(rel[0]):
                bad.append(f"{'/'.join(rel)} imports {target}")
    assert not bad, bad


def test_decision_rules_and_theatres_are_pure_numpy():
    for name in ("decisions.py", "theatres.py"):
        externals = {t for t in imports(ROOT / "simulator" / "model" / name) if t.startswith("external:")}
        assert externals <= {"external:numpy", "external:__future__", "external:dataclasses"}, (name, externals)
