"""The organisers' survey pages pass axe-core, with and without errors, and fit 320 px."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import assert_accessible, login, visit


@pytest.mark.parametrize("lang", ["sv", "en", "fi"])
def test_survey_pages_are_accessible(page: Any, live_server: Any, organiser_account: Any,
                                     lang: str) -> None:  # fmt: skip
    slug = live_server.create_event(organiser_account["email"])
    login(page, organiser_account["email"], organiser_account["password"], check_axe=False)
    visit(page, "/manage/surveys/new", lang)
    assert_accessible(page)
    page.locator("#reminder_max").fill("9")
    page.locator("select[name=event]").select_option(slug)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.locator(".govuk-error-summary").count() == 1
    assert_accessible(page)
    page.locator("#reminder_max").fill("")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/manage/surveys/" in page.url and not page.url.endswith("/new")
    assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.set_viewport_size({"width": 1024, "height": 800})
    visit(page, "/manage/surveys", lang)
    assert_accessible(page)
