"""A person's erasure page (/r/<token>/erase) and the administrators' page of erasure requests
(/manage/erasure-requests), in a browser at 1280 and 320 CSS pixels: axe-core finds nothing
in any state (asking, already pending, a rejection without a reason), and at 320 px nothing
scrolls sideways."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, assert_accessible, main_text, visit
from tests.browser.flows import local_at, new_context, register_by_api, sign_in, unique, watch

ADMIN_EMAIL = "eira.admin@upphandlingsmyndigheten.se"
ADMIN_PASSWORD = "erasure-secret-7"
SHOTS = Path("/tmp/person-shots")
WIDTHS = (1280, 320)


@pytest.fixture(scope="module")
def people(live_server: LiveServer, browser: Any) -> dict[str, Any]:
    live_server.create_organiser(ADMIN_EMAIL, "Eira Admin", ADMIN_PASSWORD, admin=True)
    slug = live_server.create_event(
        ADMIN_EMAIL,
        title=unique("Dataskydd i upphandlingar"),
        starts_at=local_at(20, 9).isoformat(),
        ends_at=local_at(20, 16).isoformat(),
    )
    context = new_context(browser, live_server)
    try:
        page = context.new_page()
        people = {}
        for width in WIDTHS:
            email = f"{unique('maija')}-{width}@espoo.fi".lower().replace(" ", "")
            registered = register_by_api(
                page, slug, name=f"Maija Meikäläinen {width}", email=email, language="fi"
            )
            people[width] = {"token": registered["token"], "email": email}
        return people
    finally:
        context.close()


def _width(page: Any) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _check(page: Any, width: int, name: str) -> None:
    assert_accessible(page)
    if width == 320:
        assert _width(page) <= 320, f"{page.url} scrolls sideways: {_width(page)} px"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_asking_to_be_erased_and_the_admin_page(browser, live_server, people, width):
    context = new_context(browser, live_server)
    try:
        watched = watch(context.new_page())
        watched.page.set_viewport_size({"width": width, "height": 900})
        page = watched.page
        token = people[width]["token"]
        for lang in ("fi", "sv", "en"):
            visit(page, f"/r/{token}/erase", lang=lang)
            _check(page, width, f"erase-{lang}")
        assert "archiving rules" in main_text(page)

        with page.expect_navigation():
            page.get_by_role("button", name="Ask to have my data erased", exact=True).click()
        assert re.search(rf"/r/{token}\?lang=en$", page.url), page.url
        assert "Your request to be erased is received" in main_text(page)
        _check(page, width, "manage-after-request")
        visit(page, f"/r/{token}/erase", lang="en")
        assert "You asked on" in main_text(page)
        _check(page, width, "erase-pending")

        sign_in(page, live_server, ADMIN_EMAIL, ADMIN_PASSWORD, lang="en")
        visit(page, "/manage/erasure-requests", lang="en")
        assert people[width]["email"] in main_text(page)
        _check(page, width, "erasure-requests")
        section = page.locator("section").filter(has_text=people[width]["email"])
        with page.expect_navigation():
            section.get_by_role("button", name=re.compile(r"^Reject")).click()
        assert "Tell the person why" in main_text(page)
        _check(page, width, "erasure-requests-error")
        watched.check()
    finally:
        context.close()
