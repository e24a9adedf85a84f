"""Layers import only downwards: scenario -> model -> measurement -> experiment -> analysis -> charts -> cli -> api;
decision rules and theatre dynamics are pure numpy (no mesa)."""

import ast

from .conftest import ROOT

ORDER = ["scenario", "model", "measurement", "experiment", "analysis", "charts", "cli", "api"]


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


def _module_graph() -> dict[str, set[str]]:
    """simulator's modules and the modules each imports (at module level or inside functions).
    The root package's own imports are left out: its only one is the lazy entry to the API in
    ``__getattr__`` (the top layer), while every module imports ``__version__`` from it."""
    mods = {}
    for path in (ROOT / "simulator").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        mods[name] = path
    graph = {m: set() for m in mods}
    for name, path in mods.items():
        if name == "simulator":
            continue
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package[:len(package) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else [])) if node.level else node.module
                for cand in [target] + [f"{target}.{a.name}" for a in node.names]:
                    if cand in mods and cand != name:
                        graph[name].add(cand)
            elif isinstance(node, ast.Import):
                graph[name].update(a.name for a in node.names if a.name in mods and a.name != name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    graph = _module_graph()
    assert "simulator.cli.folders" in graph["simulator.cli.run_cmd"]      # the graph sees real imports
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
