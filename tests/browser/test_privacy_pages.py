"""The privacy page and an event's retention form in a browser: axe-core finds nothing at
1280 and at 320 px (also with the form's errors shown), and nothing scrolls sideways at 320."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.browser.conftest import LANGUAGES, LiveServer, assert_accessible, login, visit
from tests.browser.flows import unique

ADMIN_EMAIL = "rut.retention@upphandlingsmyndigheten.se"
ADMIN_PASSWORD = "retention-secret-7"
SHOTS = os.environ.get("SCREENSHOT_DIR")  # set to look at the pages (the helpers' rule)


def width(page: Any) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.fixture(scope="module")
def slug(live_server: LiveServer) -> str:
    live_server.create_organiser(ADMIN_EMAIL, "Rut Admin", ADMIN_PASSWORD, admin=True)
    return live_server.create_event(ADMIN_EMAIL, title=unique("Gallringsträff"))


@pytest.fixture(params=[1280, 320], ids=["1280px", "320px"])
def sized(request: Any, browser: Any, live_server: LiveServer) -> Any:
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": request.param, "height": 900},
        bypass_csp=True,  # only so that axe-core can be injected
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page, request.param
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def test_the_privacy_page_is_accessible_and_fits(sized):
    page, size = sized
    for lang in LANGUAGES:
        visit(page, "/privacy", lang)
        assert page.locator("main table").count() == 1
        assert_accessible(page)
        if size == 320:
            assert width(page) <= 320, f"/privacy in {lang} is {width(page)} px wide"
        _shot(page, f"privacy-{lang}-{size}")


def test_the_retention_form_is_accessible_with_and_without_errors(sized, slug):
    page, size = sized
    login(page, ADMIN_EMAIL, ADMIN_PASSWORD, check_axe=False)
    for lang in LANGUAGES:
        path = f"/manage/events/{slug}/retention"
        visit(page, path, lang)
        assert_accessible(page)
        if size == 320:
            assert width(page) <= 320
        _shot(page, f"retention-{lang}-{size}")
        page.locator("input[name=needs_kept_days]").fill("400")
        page.locator("input[name=personal_data_kept_months]").fill("tolv")
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        assert page.locator(".govuk-error-summary").count() == 1
        assert page.locator(".govuk-error-message").count() == 2
        assert_accessible(page)
        if size == 320:
            assert width(page) <= 320
        _shot(page, f"retention-errors-{lang}-{size}")
    # A valid change is saved and leads back to the event's manage page.
    visit(page, f"/manage/events/{slug}/retention", "en")
    page.locator("input[name=needs_kept_days]").fill("2")
    page.locator("input[name=personal_data_kept_months]").fill("")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.url.endswith(f"/manage/events/{slug}")
    assert_accessible(page)
