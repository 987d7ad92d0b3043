"""Issue 11 in a browser: an organiser moves a session of a published event and sees how many
people will be emailed, the session's old and new time, and the notice in each recipient's
language (as tabs) before confirming; removing a session asks the same way. axe-core checks
the pages; they fit 320 px (and are photographed at 320 and 1280 px)."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import LiveServer, assert_accessible, main_text, visit
from tests.browser.flows import (
    as_input,
    local_at,
    register_by_api,
    session_data,
    sign_in,
    tr,
    unique,
)
from tests.browser.test_duplicate import look_at


def test_an_organiser_moves_a_session_and_sees_who_is_told_before_confirming(
    page: Any, live_server: LiveServer, organiser_account: dict[str, Any]
) -> None:
    def t(msgid: str, **kw: Any) -> str:
        return tr(live_server, "en", msgid, **kw)

    day = 47
    slug = live_server.create_event(
        organiser_account["email"],
        title=unique("Sysselsättningskrav: verkstad"),
        starts_at=as_input(local_at(day, 9)),
        ends_at=as_input(local_at(day, 15)),
        capacity=2,
        sessions=[
            session_data(
                "Planera",
                local_at(day, 9, 30),
                local_at(day, 11),
                room="Sal A",
                translations={"fi": {"title": "Suunnittele"}, "en": {"title": "Plan"}},
            ),
            session_data("Följa upp", local_at(day, 13), local_at(day, 14, 30)),
        ],
    )
    register_by_api(page, slug, language="sv")
    register_by_api(page, slug, language="en")
    register_by_api(page, slug, language="fi")  # on the waiting list
    sign_in(page, live_server, organiser_account["email"], organiser_account["password"], "en")
    visit(page, f"/manage/events/{slug}")
    with page.expect_navigation():
        page.locator('a[href*="/sessions/"][href$="/edit"]').first.click()
    assert "/sessions/" in page.url, page.url
    page.get_by_label(t("Starts"), exact=True).fill(as_input(local_at(day, 10)))
    page.get_by_label(t("Ends"), exact=True).fill(as_input(local_at(day, 11, 30)))
    page.get_by_label(t("Room"), exact=False).fill("Sal B")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Save the session"), exact=True).click()

    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == "This change will email 3 people", heading
    text = main_text(page)
    assert "2 confirmed, 1 on the waiting list." in text
    assert "Session: Plan" in text and "Sal A" in text and "Sal B" in text
    assert "Tidigare:" in page.locator("#notice-sv .govuk-inset-text").inner_text()
    assert page.locator("#notice-sv .govuk-inset-text").get_attribute("lang") == "sv"
    assert_accessible(page)
    look_at(page, "session-change-preview")
    page.get_by_role("tab", name=f"{t('Finnish')}: 1", exact=False).click()
    finnish = page.locator("#notice-fi .govuk-inset-text").inner_text()
    assert "Suunnittele" in finnish and "Aiemmin:" in finnish and "Nyt:" in finnish
    assert_accessible(page)

    with page.expect_navigation():
        page.get_by_role("button", name=t("Go back"), exact=True).click()
    assert page.get_by_label(t("Starts"), exact=True).input_value() == as_input(local_at(day, 10))
    with page.expect_navigation():
        page.get_by_role("button", name=t("Save the session"), exact=True).click()
    with page.expect_navigation():
        page.get_by_role("button", name=t("Save and notify"), exact=True).click()
    assert page.url.endswith(f"/manage/events/{slug}"), page.url
    assert t("The agenda was saved.") in main_text(page)

    # Removing the other session asks with the count and the notices too.
    with page.expect_navigation():
        page.locator('a[href*="/sessions/"][href$="/delete"]').last.click()
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == "This change will email 3 people", heading
    assert t("Removed from the agenda") in main_text(page)
    assert_accessible(page)
    look_at(page, "session-remove-preview")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Remove and notify"), exact=True).click()
    assert t("The session was removed from the agenda.") in main_text(page)

    visit(page, f"/manage/events/{slug}/cancel")
    assert "Cancelling will email 3 people" in main_text(page)
    assert_accessible(page)
    look_at(page, "cancel-preview")
