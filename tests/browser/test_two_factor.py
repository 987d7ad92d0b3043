"""Two-factor sign-in end to end in a browser: an organiser sets it up from the key the page
shows, then signs in with a code computed from it; an admin requires it of everyone and is
sent to set it up. Every page passes axe-core, at 1280 and at 320 px without sideways scroll."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest

from tests.browser.conftest import LiveServer, assert_accessible, login, logout, visit

VIEWPORTS = {"wide": {"width": 1280, "height": 900}, "narrow": {"width": 320, "height": 800}}


@pytest.fixture(params=list(VIEWPORTS))
def sized(request: pytest.FixtureRequest, browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A page at 1280 or 320 px; JavaScript errors fail the test."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport=VIEWPORTS[request.param],
        bypass_csp=True,  # only so that axe-core can be injected
        locale="sv-SE",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.viewport_name = request.param
    yield page
    context.close()
    assert not errors, errors


def check(page: Any) -> None:
    """axe-core finds nothing, and the page does not scroll sideways at its width."""
    assert_accessible(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"


def submit(page: Any, form: str = "main form") -> None:
    with page.expect_navigation():
        page.locator(f"{form} button[type=submit]").first.click()


def test_organiser_sets_up_two_factor_and_signs_in_with_a_code(
    sized: Any, live_server: LiveServer
) -> None:
    page = sized
    email = f"tove.{page.viewport_name}@upphandlingsmyndigheten.se"
    account = live_server.create_organiser(email, "Tove Tvåsteg", "browser-secret-2")
    login(page, account["email"], account["password"])

    visit(page, "/manage/", lang="en")
    with page.expect_navigation():
        page.get_by_role("link", name="Two-factor sign-in").click()
    assert "/manage/account/two-factor" in page.url
    check(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Set up two-factor sign-in").click()
    assert page.locator("main svg[role=img]").count() == 1  # the QR code
    check(page)

    # A wrong code first: the error is announced and the page still passes.
    page.get_by_label("Code from your authenticator app").fill("000000")
    submit(page)
    assert page.locator(".govuk-error-summary").count() == 1
    check(page)

    secret = page.locator("#two-factor-key").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code from your authenticator app").fill(totp.now())
    submit(page)
    codes = re.findall(r"[a-z2-9]{5}-[a-z2-9]{5}", page.locator("#recovery-codes").inner_text())
    assert len(codes) == 10
    check(page)
    with page.expect_navigation():
        page.get_by_role("link", name="I have saved my recovery codes").click()
    assert "On" in page.locator("main").inner_text()
    check(page)
    logout(page)

    # Password, then the code step: the next step's code, which the window accepts, since the
    # one that confirmed the setup cannot be used again (no waiting in the test).
    visit(page, "/login", lang="en")
    page.locator("input[name=email]").fill(account["email"])
    page.locator("input[name=password]").fill(account["password"])
    submit(page)
    assert "/login/code" in page.url
    check(page)
    page.get_by_text("I cannot use my authenticator app").click()  # opens the recovery form
    check(page)
    page.get_by_label("Code from your authenticator app").fill(totp.at(time.time() + 30))
    submit(page)
    assert "/manage" in page.url, page.locator("main").inner_text()
    logout(page)

    # A recovery code instead of the app.
    visit(page, "/login", lang="en")
    page.locator("input[name=email]").fill(account["email"])
    page.locator("input[name=password]").fill(account["password"])
    submit(page)
    page.get_by_text("I cannot use my authenticator app").click()
    page.get_by_label("Recovery code").fill(codes[0])
    submit(page, "details form")
    assert "/manage" in page.url
    check(page)  # the notice of codes left
    visit(page, "/manage/account/two-factor", lang="en")
    assert "9" in page.locator(".govuk-summary-list").inner_text()


def test_admin_requires_two_factor_and_is_sent_to_set_it_up(
    sized: Any, live_server: LiveServer
) -> None:
    from core import two_factor
    from core.auth import find_organiser

    page = sized
    email = f"adam.{page.viewport_name}@upphandlingsmyndigheten.se"
    account = live_server.create_organiser(email, "Adam Admin", "browser-secret-3", admin=True)
    login(page, account["email"], account["password"])
    visit(page, "/manage/", lang="en")
    with page.expect_navigation():
        page.get_by_role("link", name="Sign-in security").click()
    assert "/manage/security" in page.url
    check(page)
    try:
        page.get_by_label("Require two-factor sign-in for every organiser").check()
        submit(page)
        # The admin has not set it up either: the setup page comes before any other.
        assert "/manage/account/two-factor/setup" in page.url
        assert "An administrator requires" in page.locator("main").inner_text()
        check(page)
        visit(page, "/manage/", lang="en")
        assert "/manage/account/two-factor/setup" in page.url
    finally:
        # The server is shared by the whole browser session: nobody else is held up.
        with live_server.app.app_context():
            two_factor.set_two_factor_required(find_organiser(email), False)
