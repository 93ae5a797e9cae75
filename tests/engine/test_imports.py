"""Import structure: engine modules name no spec, no spec imports another, and no project module imports itself
back through others (issue 7 §1). The graph is read from the source with `ast`, nothing is imported."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("harness", "mocks", "schemas", "suites")  # what the wheel installs
SPEC_NAME = re.compile(r"yunnan|shunde|henan|gansu", re.IGNORECASE)

# Engine files allowed to name a spec, each with its reason. None today: keep it that way. The test fails on a
# stale entry, so an exception cannot outlive its reason.
KNOWN_NAMING_A_SPEC: dict[str, str] = {}


def _modules() -> dict[str, Path]:
    """Every project module by dotted name (a package by its own name, for its __init__.py)."""
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The project modules `name` imports, anywhere in its body (a function-level import closes a circle too)."""
    is_pkg = path.name == "__init__.py"
    here = name.split(".") if is_pkg else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here[: len(here) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from pkg import mod` imports the module pkg.mod; `from mod import name` imports mod
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:  # `import a.b.c` where only a.b is ours: nearest module
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _spec_of(module: str) -> str | None:
    """The spec folder a module belongs to (suites.X..., mocks.X..., schemas.X...), or None for the engine."""
    parts = module.split(".")
    return parts[1] if parts[0] in ("mocks", "schemas", "suites") and len(parts) > 1 else None


def test_the_graph_is_read():
    """Guard against a reader that finds nothing (then every test below would pass vacuously)."""
    assert len(MODULES) > 50
    assert "harness.checks" in GRAPH["harness.run"]
    assert "harness.jt809.frame" in GRAPH["harness.jt809"]  # from harness.jt809.frame import ...
    assert "harness.report.writers" in GRAPH["harness.report.html_writer"]  # relative import
    assert {_spec_of(m) for m in MODULES} >= {None, "yunnan", "shunde"}


def test_engine_names_no_spec():
    named = {}
    for path in sorted((ROOT / "harness").rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        rel = path.relative_to(ROOT).as_posix()
        hits = [f"{i}: {line.strip()[:100]}" for i, line in enumerate(path.read_text("utf-8", "replace").splitlines(), 1)
                if SPEC_NAME.search(line)]
        if hits:
            named[rel] = hits
    stale = sorted(set(KNOWN_NAMING_A_SPEC) - set(named))
    assert not stale, f"these files no longer name a spec: remove them from KNOWN_NAMING_A_SPEC: {stale}"
    unexpected = {rel: hits for rel, hits in named.items() if rel not in KNOWN_NAMING_A_SPEC}
    assert not unexpected, f"engine files name a spec (move that knowledge into the spec's folders): {unexpected}"


def test_no_spec_imports_another_spec():
    crossing = sorted(f"{m} -> {t}" for m, targets in GRAPH.items() for t in targets
                      if _spec_of(m) and _spec_of(t) and _spec_of(m) != _spec_of(t))
    assert not crossing


def test_engine_imports_no_spec_package():
    """The engine finds specs through the registry (the `suites` namespace, entry points), never by name."""
    reaching = sorted(f"{m} -> {t}" for m, targets in GRAPH.items() if _spec_of(m) is None and m.startswith("harness")
                      for t in targets if _spec_of(t))
    assert not reaching


def test_jt809_codec_imports_only_itself():
    """The JT/T 809 codec is sans-I/O and yields plain findings; suites map them to checks (no check registry)."""
    outside = sorted(f"{m} -> {t}" for m, targets in GRAPH.items() if m.split(".")[:2] == ["harness", "jt809"]
                     for t in targets if t.split(".")[:2] != ["harness", "jt809"])
    assert not outside


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle():
    assert _cycles(GRAPH) == []
