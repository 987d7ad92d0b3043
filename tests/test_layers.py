"""The import graph points down: views/api -> services -> seats/queries/emails -> models -> core.

Read from the source with ast (every import, at the top of a module or inside a function), so
a new module that reaches back up a layer fails here before it becomes a habit.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "events", "participants", "materials", "outreach", "surveys", "privacy")
FEATURES = ("events", "participants", "materials", "outreach", "surveys", "privacy")
# The edges of a feature: nothing below them may import them, and no other feature may.
EDGES = ("views", "api", "cli", "outbox_views")
KNOWN: set[str] = set()  # an edge allowed for now, with the change that removes it


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


def _imports(where) -> list[str]:
    """Every import `module -> target` for which where(module, target) holds."""
    return sorted(f"{m} -> {t}" for m, targets in GRAPH.items() for t in targets if where(m, t))


def _is_edge(module: str, edge: str) -> bool:
    return module.rpartition(".")[2] == edge or module.endswith(f"_{edge}")


def test_core_imports_no_feature():
    assert _imports(lambda m, t: _feature(m) == "core" and _feature(t) in FEATURES) == []


@pytest.mark.parametrize("edge", EDGES)
def test_no_module_imports_an_edge(edge):
    """Views, API handlers and commands are imported by the app factory only."""
    wrong = _imports(lambda m, t: _is_edge(t, edge))
    assert [w for w in wrong if w not in KNOWN] == []


def test_events_do_not_import_participants():
    """Participants listen to events' signals; events know nothing of participants."""
    wrong = _imports(lambda m, t: _feature(m) == "events" and _feature(t) == "participants")
    assert wrong == []


def test_no_feature_below_imports_materials():
    """The event page and the manage page get material lists through an app-wide template
    helper that materials registers; events and participants know nothing of materials."""
    wrong = _imports(
        lambda m, t: _feature(m) in ("events", "participants") and _feature(t) == "materials"
    )
    assert wrong == []


def test_no_feature_below_imports_surveys():
    """Surveys sit on top: they read events, registrations and downloads; nothing reads them."""
    wrong = _imports(
        lambda m, t: (
            _feature(m) in ("events", "participants", "materials") and _feature(t) == "surveys"
        )
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


@pytest.mark.parametrize("start", ["participants.emails", "core.outbox", "core.mail_render"])
def test_rendering_an_email_reaches_no_views_module(start):
    """The worker and the CLI render email without any page's blueprint imported: what the
    templates need (external_url, the date filters) is registered by core itself."""
    seen, todo = set(), [start]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(GRAPH.get(module, ()))
    edges = sorted(m for m in seen if any(_is_edge(m, edge) for edge in EDGES))
    assert edges == []


# What the mail kinds give their templates from a row's snapshot (participants.emails._write,
# core.mail_render's "message") and what render_email adds; everything else an email template
# uses must come from core itself.
EMAIL_CONTEXT = {
    "registration", "event", "sessions", "manage_url", "position", "reason", "join_url",
    "by_organiser", "body", "language", "subject", "config",
    "previous",  # participants.emails: the time and place before a change (event_changed)
    "ticket_url", "reminder",  # participants.emails.ticket_facts: a confirmed person's ticket
    "materials",  # materials.emails: each {"title", "url"} with the person's own link
    "test",  # participants.mailings: the organiser's test copy of a message to registrants
    # surveys.emails: the invitation's snapshot
    "name", "survey", "answer_url", "closes_on", "opt_out_url",
    # outreach.emails: a campaign's invitation
    "invitation_url", "withdraw_url", "for_groups",
    # privacy.emails: an erasure request received, approved or rejected
    "requested_on", "decided_on", "registrations", "note", "imy_url",
    "link", "minutes",  # core.password_reset: an organiser's reset link and how long it works
}  # fmt: skip


def test_email_templates_need_nothing_a_views_module_provides(tmp_path):
    """An app with only core's template setup (no blueprint) knows every name the email
    templates use: today's worker renders them with no page imported."""
    from flask import Flask
    from jinja2 import meta

    from core import i18n, mail_render
    from core.extensions import babel

    app = Flask("bare", root_path=str(ROOT), instance_path=str(tmp_path))
    babel.init_app(app)
    i18n.init_app(app)
    mail_render.init_app(app)
    env = app.jinja_env
    known = set(env.globals) | EMAIL_CONTEXT
    missing = {}
    for path in sorted((ROOT / "templates" / "email").iterdir()):
        source = path.read_text(encoding="utf-8")
        names = meta.find_undeclared_variables(env.parse(source)) - known
        if names:
            missing[path.name] = sorted(names)
    assert missing == {}
