"""WCAG 1.4.10 (reflow): at 320 CSS pixels no page scrolls sideways, even when an event's title
holds a long Finnish word, its page is read in each language, and a page holds a table (the
tables become stacked rows). Public pages, the registration form with its errors, a person's
own page, the check-in pages and the organisers' pages."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer, visit
from tests.browser.flows import local_at, register_by_api, session_data, sign_in, unique

LONG_TITLE = "Työllistämisehto julkisissa hankinnoissa – työpaja hankintayksiköille"


def width(page: Any) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.fixture(scope="module")
def slug(live_server: LiveServer, organiser_account: dict[str, Any]) -> str:
    return live_server.create_event(
        organiser_account["email"],
        title=unique(LONG_TITLE),
        language="fi",
        sessions=[
            session_data(
                "Varför sysselsättningskrav?", local_at(7, 9), local_at(7, 10), room="Sal A"
            ),
            session_data(
                "Upphandlingsmyndighetens kriterietjänst", local_at(7, 10), local_at(7, 11)
            ),
        ],
        starts_at=local_at(7, 9).isoformat(),
        ends_at=local_at(7, 16).isoformat(),
    )


@pytest.fixture(scope="module")
def registration(browser: Any, live_server: LiveServer, slug: str) -> dict[str, Any]:
    context = browser.new_context(base_url=live_server.url)
    try:
        page = context.new_page()
        return register_by_api(
            page,
            slug,
            name="Hankintapäällikkö Maija Meikäläinen-Virtanen",
            organisation={
                "name": "Helsingin kaupungin kasvatuksen ja koulutuksen toimiala",
                # No number: organisations are one per number, and other tests use Helsinki's.
                "org_number": "",
                "country": "FI",
            },
            language="fi",
        )
    finally:
        context.close()


@pytest.fixture
def narrow(browser: Any, live_server: LiveServer) -> Any:
    # bypass_csp only so that axe-core can be injected by sign_in (as in conftest).
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 320, "height": 800}, bypass_csp=True
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("lang", ["sv", "en", "fi"])
def test_public_pages_fit_a_320_px_screen(narrow, slug, registration, lang):
    page = narrow
    token = registration["token"]
    for path in (
        "/",
        "/past",
        f"/events/{slug}",
        f"/events/{slug}/register",
        f"/r/{token}",
        f"/r/{token}/ticket",
        f"/r/{token}/cancel",
        "/accessibility",
        "/privacy",
        "/login",
    ):
        visit(page, path, lang)
        assert width(page) <= 320, f"{path} in {lang} is {width(page)} px wide at 320 px"


def test_the_registration_form_with_errors_fits_a_320_px_screen(narrow, slug):
    page = narrow
    visit(page, f"/events/{slug}/register", "sv")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.locator(".govuk-error-summary").count() == 1
    assert width(page) <= 320, f"the form with errors is {width(page)} px wide"


def test_organiser_and_check_in_pages_fit_a_320_px_screen(
    narrow, live_server, organiser_account, slug, registration
):
    page = narrow
    sign_in(page, live_server, organiser_account["email"], organiser_account["password"], "sv")
    for path in (
        "/manage/",
        f"/manage/events/{slug}",
        f"/manage/events/{slug}/edit",
        f"/manage/events/{slug}/registrations",
        f"/manage/events/{slug}/registrations/new",
        f"/manage/events/{slug}/checkin",
        f"/manage/events/{slug}/catering",
        f"/manage/events/{slug}/message",
        f"/manage/checkin/{registration['token']}",
    ):
        visit(page, path, "sv")
        assert width(page) <= 320, f"{path} is {width(page)} px wide at 320 px"
        # Tables are stacked rows here: no row is wider than the screen.
        for row in page.locator("main table tr").all():
            box = row.bounding_box()
            assert box is None or box["x"] + box["width"] <= 320, f"a row of {path} overflows"


def test_touch_targets_are_at_least_44_px_high(narrow, slug):
    page = narrow
    visit(page, f"/events/{slug}", "fi")
    for locator in ("header a", ".mp-nav a", "main .govuk-button"):
        for element in page.locator(locator).all():
            box = element.bounding_box()
            assert box and box["height"] >= 44, f"{locator} is {box} at 320 px"


@pytest.mark.parametrize("viewport", [800, 1024, 1280])
def test_organisers_tables_fit_tablet_and_desktop_widths_in_finnish(
    browser, live_server, organiser_account, slug, registration, viewport
):
    """Between the phone's stacked rows and a wide screen, a table of many columns with long
    Finnish headings and addresses must not push the page sideways either."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": viewport, "height": 800}, bypass_csp=True
    )
    page = context.new_page()
    try:
        sign_in(page, live_server, organiser_account["email"], organiser_account["password"], "fi")
        for path in (
            "/manage/",
            f"/manage/events/{slug}",
            f"/manage/events/{slug}/registrations",
            "/manage/impact",
        ):
            visit(page, path, "fi")
            assert width(page) <= viewport, f"{path} is {width(page)} px wide at {viewport} px"
    finally:
        context.close()
