"""The import graph points down: views/api -> services -> seats/queries/emails -> models -> core.

Read from the source with ast (every import, at the top of a module or inside a function), so
a new module that reaches back up a layer fails here before it becomes a habit.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "events", "participants")
FEATURES = ("events", "participants")
# The edges of a feature: nothing below them may import them, and no other feature may.
EDGES = ("views", "api", "cli", "outbox_views")
# Known, with the change that removes it: the API's schemas (issue 6, the API rewrite) take
# event_summary and json_body out of events/api.py. Remove the entry when that lands.
KNOWN = {"participants.api -> events.api"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    files = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]
    modules = {_module_name(p): p for p in files}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(
                        [*package.split(".")[: len(package.split(".")) - node.level + 1], base]
                    ).strip(".")
                # `from participants import emails` names a module; `from x import y` a name.
                found = [f"{base}.{alias.name}" for alias in node.names] + [base]
            else:
                continue
            for target in found:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and target not in PACKAGES:
                    targets.add(target)
        graph[name] = targets
    return graph


GRAPH = _graph()


def _feature(module: str) -> str:
    return module.split(".")[0]


def test_the_graph_is_read():
    assert "participants.services" in GRAPH["participants.views"]
    assert "participants.seats" in GRAPH["participants.services"]


def test_core_imports_no_feature():
    wrong = sorted(
        f"{m} -> {t}"
        for m, targets in GRAPH.items()
        if _feature(m) == "core"
        for t in targets
        if _feature(t) in FEATURES
    )
    assert wrong == []


@pytest.mark.parametrize("edge", EDGES)
def test_no_module_imports_an_edge(edge):
    """Views, API handlers and commands are imported by the app factory only."""
    wrong = sorted(
        f"{m} -> {t}"
        for m, targets in GRAPH.items()
        for t in targets
        if t.rpartition(".")[2] == edge or t.endswith(f"_{edge}")
    )
    assert [w for w in wrong if w not in KNOWN] == []


def test_events_do_not_import_participants():
    """Participants listen to events' signals; events know nothing of participants."""
    wrong = sorted(
        f"{m} -> {t}"
        for m, targets in GRAPH.items()
        if _feature(m) == "events"
        for t in targets
        if _feature(t) == "participants"
    )
    assert wrong == []


def test_no_import_cycles():
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(GRAPH.get(module, ())):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)
    assert [" -> ".join(c) for c in cycles] == []
