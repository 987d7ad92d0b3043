"""The admins' audit log page (/manage/audit) in a browser: at 1280 and 320 CSS pixels, in each
language, with entries, a filter in error and a filter that finds nothing, axe-core finds no
violation and the page never scrolls sideways; the filter form narrows what is shown."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import LANGUAGES, LiveServer, assert_accessible, main_text, visit
from tests.browser.flows import new_context, register_by_api, sign_in, tr, unique, watch

ADMIN_EMAIL = "astrid.audit@upphandlingsmyndigheten.se"
ADMIN_PASSWORD = "audit-secret-77"
WIDTHS = (1280, 320)


@pytest.fixture(scope="module")
def data(live_server: LiveServer, browser: Any) -> dict[str, Any]:
    """An administrator, an event with one registration, and an entry per kind of action."""
    live_server.create_organiser(ADMIN_EMAIL, "Astrid Admin", ADMIN_PASSWORD, admin=True)
    slug = live_server.create_event(
        ADMIN_EMAIL, title=unique("Granskningsbar workshop om sysselsättningskrav")
    )
    context = new_context(browser, live_server)
    try:
        page = context.new_page()
        page.goto("/")
        register_by_api(page, slug, name="Greta Granskad")
    finally:
        context.close()
    from core.audit import ACTIONS, record
    from core.auth import find_organiser
    from core.db import db
    from events.queries import get_public_event

    with live_server.app.app_context():
        event_id = get_public_event(slug).id
        admin = find_organiser(ADMIN_EMAIL)
        for action in ACTIONS:
            record(action, event_id=event_id, subject="registration:1", organiser=admin)
        db.session.commit()
    return {"slug": slug, "event_id": event_id, "actions": ACTIONS}


@pytest.fixture(scope="module")
def admin_tab(browser: Any, live_server: LiveServer, data: dict[str, Any]) -> Iterator[Any]:
    context = new_context(browser, live_server)
    tab = watch(context.new_page())
    sign_in(tab.page, live_server, ADMIN_EMAIL, ADMIN_PASSWORD)
    yield tab
    context.close()


@pytest.fixture
def admin(admin_tab: Any) -> Iterator[Any]:
    yield admin_tab.page
    admin_tab.check()


def _no_sideways_scroll(page: Any, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url}: {scroll} px wide at {width}"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_audit_log_page(
    admin: Any, data: dict[str, Any], live_server: LiveServer, lang: str, width: int
) -> None:
    page = admin
    page.set_viewport_size({"width": width, "height": 900})
    visit(page, "/manage/audit", lang=lang)
    assert page.locator("h1").count() == 1
    text = main_text(page)
    assert tr(live_server, lang, "Audit log") in text
    assert tr(live_server, lang, "Opened a registration") in text
    assert f"(#{data['event_id']})" in text
    _no_sideways_scroll(page, width)
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_filters_in_error_and_finding_nothing(
    admin: Any, data: dict[str, Any], live_server: LiveServer, width: int
) -> None:
    page = admin
    page.set_viewport_size({"width": width, "height": 900})
    visit(page, "/manage/audit?from=igår&event=x", lang="sv", status=422)
    assert page.get_by_role("alert").count() == 1
    assert tr(live_server, "sv", "Enter a date as 2027-03-31.") in main_text(page)
    _no_sideways_scroll(page, width)
    assert_accessible(page)
    visit(page, "/manage/audit?from=2001-01-01&to=2001-01-02", lang="fi")
    assert tr(live_server, "fi", "No entries match these filters.") in main_text(page)
    _no_sideways_scroll(page, width)
    assert_accessible(page)


def test_the_form_narrows_by_action(admin: Any, data: dict[str, Any], live_server: LiveServer):
    page = admin
    page.set_viewport_size({"width": 1280, "height": 900})
    visit(page, "/manage/audit", lang="en")
    page.get_by_label("Action", exact=True).select_option("checked_in")
    page.get_by_label("Event number").fill(str(data["event_id"]))
    with page.expect_navigation():
        page.get_by_role("button", name="Show", exact=True).click()
    assert "action=checked_in" in page.url
    rows = page.locator("main tbody tr")
    assert rows.count() >= 1
    for i in range(rows.count()):
        assert "Checked in" in rows.nth(i).inner_text()
    assert_accessible(page)
    page.screenshot(path="/tmp/audit-1280.png", full_page=True)
    page.set_viewport_size({"width": 320, "height": 900})
    page.reload()
    page.screenshot(path="/tmp/audit-320.png", full_page=True)
