"""Browser tests: Playwright drives Debian's Chromium against the real app under gunicorn, and
axe-core checks every page visited against WCAG 2.1 A and AA.

Run with `make test-browser` (pytest -m browser tests/browser); plain `make test` leaves them out.
Every test in this folder is marked `browser` automatically.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import _migrate, need
from tests.server import ROOT, gunicorn_server

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
LANGUAGES = ("sv", "en", "fi")
ORGANISER_EMAIL = "ebba@upphandlingsmyndigheten.se"
ORGANISER_PASSWORD = "browser-secret-1"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark everything in this folder `browser` before `-m` selects (tryfirst)."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


# --- the live server ----------------------------------------------------------------------


@dataclass
class LiveServer:
    """The app under gunicorn on a migrated SQLite file, plus an app on the same file for
    setting up data (organisers, events) directly through the services."""

    url: str
    database_url: str
    app: Flask

    def __call__(self, path: str = "/") -> str:
        """An absolute URL on the server: live_server("/login")."""
        return self.url + path

    def create_organiser(
        self, email: str, name: str, password: str, admin: bool = False
    ) -> dict[str, Any]:
        from core.auth import create_organiser

        with self.app.app_context():
            organiser = create_organiser(email, name, password, admin)
            return {"id": organiser.id, "email": organiser.email, "password": password}

    def create_event(self, organiser_email: str, **overrides: Any) -> str:
        """Create an event through the service (tests.conftest.event_data plus overrides: a
        published workshop a week ahead unless told otherwise); returns its slug."""
        from core.auth import find_organiser
        from events.services import create_event
        from tests.conftest import event_data

        with self.app.app_context():
            organiser = find_organiser(organiser_email)
            assert organiser is not None, organiser_email
            return create_event(organiser, event_data(**overrides)).slug


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from app import create_app
    from core.db import db

    instance = tmp_path_factory.mktemp("browser-instance")
    url = f"sqlite:///{instance / 'browser.sqlite'}"
    _migrate(url)
    helper = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "browser-helper",
            "RATELIMIT_ENABLED": False,
            "MAIL_SERVER": None,
            "MAIL_OUTBOX_DIR": str(instance / "mail"),
            "UPLOAD_DIR": str(instance / "uploads"),  # the server's too (tests/server.py)
        }
    )
    with gunicorn_server(url, workers=2, instance=instance) as base_url:
        helper.config["PUBLIC_BASE_URL"] = base_url
        yield LiveServer(url=base_url, database_url=url, app=helper)
    with helper.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def organiser_account(live_server: LiveServer) -> dict[str, Any]:
    """One organiser for the whole browser session (the database lives as long as the server)."""
    return live_server.create_organiser(ORGANISER_EMAIL, "Ebba Organiser", ORGANISER_PASSWORD)


# --- the browser --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    need(
        Path(CHROMIUM).exists(),
        f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)",
    )
    need(AXE.exists(), f"axe-core is missing at {AXE} (run npm ci)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    # Our CSP forbids scripts that are not ours; axe-core is injected, so the test bypasses it.
    context = browser.new_context(base_url=live_server.url, bypass_csp=True, locale="sv-SE")
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    """A fresh page; JavaScript errors on it fail the test."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    page.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


# --- helpers for tests --------------------------------------------------------------------


def visit(page: Any, path: str, lang: str | None = None, status: int = 200) -> Any:
    """Open path (with ?lang= when given), check the status and <html lang>, return the response."""
    if lang:
        path += ("&" if "?" in path else "?") + f"lang={lang}"
    response = page.goto(path)
    assert response is not None, path
    assert response.status == status, f"{path}: HTTP {response.status}"
    if lang:
        assert page.locator("html").get_attribute("lang") == lang, path
    return response


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; the violations of WCAG 2.1 A/AA and best practice."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_TAGS,
    )
    return result["violations"]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            lines.append(f"    at {json.dumps(node['target'])}: {node.get('failureSummary', '')}")
            lines.append(f"       {node['html'][:200]}")
    return "\n".join(lines)


def assert_accessible(page: Any) -> None:
    """axe-core finds no violation on the page as it is now (call again after each change)."""
    violations = axe_violations(page)
    assert not violations, f"axe-core on {page.url}:\n" + describe_violations(violations)


def login(page: Any, email: str, password: str, *, check_axe: bool = True) -> None:
    """Sign in through the real form; ends on the page the app sends an organiser to."""
    visit(page, "/login")
    if check_axe:
        assert_accessible(page)
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/login" not in page.url, f"still on the login page: {page.locator('main').inner_text()}"


def logout(page: Any) -> None:
    with page.expect_navigation():
        page.locator("form[action$='/logout'] button[type=submit]").click()


def fetch(page: Any, path: str) -> Any:
    """GET path (relative to the server) with the page's cookies, without navigating: for
    calendar files and downloads. Returns Playwright's APIResponse (.status, .headers, .text())."""
    return page.request.get(path)


def main_text(page: Any) -> str:
    """The visible text of <main>, with whitespace collapsed."""
    return re.sub(r"\s+", " ", page.locator("main").inner_text()).strip()
