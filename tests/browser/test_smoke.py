"""The pages every visitor can reach, in each language, pass axe-core; an organiser can sign in."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import (
    LANGUAGES,
    LiveServer,
    assert_accessible,
    fetch,
    login,
    logout,
    visit,
)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", ["/accessibility", "/login"])
def test_public_page_is_accessible(page: Any, path: str, lang: str) -> None:
    visit(page, path, lang=lang)
    assert page.locator("h1").count() == 1
    assert page.locator("footer a[href='/accessibility']").count() == 1
    assert_accessible(page)


def test_language_choice_is_remembered(page: Any) -> None:
    visit(page, "/accessibility", lang="fi")
    visit(page, "/login")
    assert page.locator("html").get_attribute("lang") == "fi"


def test_login_form_errors_are_accessible(page: Any, live_server: LiveServer) -> None:
    visit(page, "/login", lang="en")
    page.locator("input[name=email]").fill("nobody@example.se")
    page.locator("input[name=password]").fill("wrong")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/login" in page.url
    password = page.locator("input[name=password]")
    assert password.get_attribute("aria-invalid") == "true"
    assert_accessible(page)


def test_organiser_signs_in_and_out(page: Any, organiser_account: dict[str, Any]) -> None:
    login(page, organiser_account["email"], organiser_account["password"])
    assert "/manage" in page.url
    assert_accessible(page)
    logout(page)
    visit(page, "/manage/", status=200)
    assert "/login" in page.url  # sent to the login page again


def test_helpers_create_an_event_that_visitors_see(
    page: Any, live_server: LiveServer, organiser_account: dict[str, Any]
) -> None:
    slug = live_server.create_event(organiser_account["email"], title="Rökprov för webbläsaren")
    visit(page, f"/events/{slug}", lang="sv")
    assert "Rökprov för webbläsaren" in page.locator("h1").inner_text()
    assert_accessible(page)
    calendar = fetch(page, f"/events/{slug}.ics")
    assert calendar.status == 200
    assert "BEGIN:VCALENDAR" in calendar.text()
