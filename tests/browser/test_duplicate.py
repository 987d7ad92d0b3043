"""Issue 11's browser tests for duplicating and rescheduling: an organiser working in Finnish
copies a Stockholm workshop to Helsinki; an organiser moves a published event and sees who
will be emailed, and the notice, before confirming. axe-core checks every page; the new pages
fit a 320 px screen (and are photographed at 320 and 1280 px for a person to look at)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.browser.conftest import LiveServer, assert_accessible, main_text, visit
from tests.browser.flows import (
    as_input,
    label_of,
    local_at,
    register_by_api,
    session_data,
    sign_in,
    tr,
    unique,
)

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/motesplats-shots"))


def width(page: Any) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def look_at(page: Any, name: str) -> None:
    """The page fits 320 px without sideways scrolling, and is photographed at 320 and 1280."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for size in (320, 1280):
        page.set_viewport_size({"width": size, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{size}.png"), full_page=True)
        if size == 320:
            assert width(page) <= 320, f"{page.url} is {width(page)} px wide at 320 px"
            assert_accessible(page)
    page.set_viewport_size(original)


def test_an_organiser_in_finnish_duplicates_a_workshop_to_helsinki(
    page: Any, live_server: LiveServer, organiser_account: dict[str, Any]
) -> None:
    def t(msgid: str, **kw: Any) -> str:
        return tr(live_server, "fi", msgid, **kw)

    day = 40
    title = unique("Työpaja: sysselsättningskrav")
    slug = live_server.create_event(
        organiser_account["email"],
        title=title,
        translations={"fi": {"title": f"{title} (FI)"}},
        starts_at=as_input(local_at(day, 9)),
        ends_at=as_input(local_at(day, 15)),
        sessions=[
            session_data("Planera", local_at(day, 9, 30), local_at(day, 11), room="Sal A"),
            session_data("Följa upp", local_at(day, 13), local_at(day, 14, 30)),
        ],
    )
    sign_in(page, live_server, organiser_account["email"], organiser_account["password"], "fi")
    visit(page, f"/manage/events/{slug}")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("link", name=t("Duplicate the event"), exact=True).click()
    assert page.url.endswith(f"/manage/events/{slug}/duplicate")
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == t("Duplicate %(title)s", title=title)
    # Prefilled with the source's start and place.
    assert page.get_by_label(t("Starts"), exact=True).input_value() == as_input(local_at(day, 9))
    assert page.get_by_label(t("Venue"), exact=True).input_value() == "Stadshuset"
    assert_accessible(page)

    # A copy without a venue is refused: the error summary at the top, the message at the field.
    page.get_by_label(t("Venue"), exact=True).fill("")
    page.get_by_label(t("City"), exact=True).fill("")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Make the copy"), exact=True).click()
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert t("An in-person or hybrid event needs a venue.") in summary.inner_text()
    assert_accessible(page)
    look_at(page, "duplicate-form-errors")

    page.get_by_label(t("Language of the event"), exact=True).select_option("fi")
    page.get_by_label(t("Time zone"), exact=True).select_option("Europe/Helsinki")
    page.get_by_label(t("Starts"), exact=True).fill(as_input(local_at(day + 14, 9)))
    page.get_by_label(t("Venue"), exact=True).fill("Helsingin kaupungintalo")
    page.get_by_label(t("Street address"), exact=True).fill("Pohjoisesplanadi 11–13")
    page.get_by_label(t("City"), exact=True).fill("Helsinki")
    page.get_by_label(t("Country"), exact=True).fill("Suomi")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Make the copy"), exact=True).click()

    assert "/duplicate" not in page.url and not page.url.endswith(f"/{slug}"), page.url
    text = main_text(page)
    assert t("A copy was made as a draft: check it and publish it when it is ready.") in text
    assert page.get_by_role("heading", level=1).inner_text() == f"{title} (FI)"
    assert t("Draft") in text
    assert "Helsingin kaupungintalo" in text
    # 9.30 on the Helsinki clock, as in Stockholm: the agenda keeps its local times.
    agenda = page.get_by_role("table", name=t("Sessions of %(title)s", title=f"{title} (FI)"))
    when = agenda.get_by_role("row").filter(has_text="Planera").inner_text()
    assert "klo 9.30" in when and "11.00" in when, when
    assert "Sal A" in when
    assert_accessible(page)
    visit(page, f"/manage/events/{slug}/duplicate")
    look_at(page, "duplicate-form")


def test_an_organiser_moves_an_event_and_sees_who_is_told_before_confirming(
    page: Any, live_server: LiveServer, organiser_account: dict[str, Any]
) -> None:
    def t(msgid: str, **kw: Any) -> str:
        return tr(live_server, "en", msgid, **kw)

    day = 45
    slug = live_server.create_event(
        organiser_account["email"],
        title=unique("Sysselsättningskrav: uppföljning"),
        starts_at=as_input(local_at(day, 9)),
        ends_at=as_input(local_at(day, 12)),
        capacity=1,
    )
    register_by_api(page, slug, language="sv")
    register_by_api(page, slug, language="fi")  # on the waiting list
    sign_in(page, live_server, organiser_account["email"], organiser_account["password"], "en")
    visit(page, f"/manage/events/{slug}/edit")
    assert_accessible(page)
    page.get_by_label(t("Starts"), exact=True).fill(as_input(local_at(day + 1, 10)))
    page.get_by_label(t("Ends"), exact=True).fill(as_input(local_at(day + 1, 13)))
    with page.expect_navigation():
        page.get_by_role("button", name=t("Save changes"), exact=True).click()

    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == "This change will email 2 people", heading
    text = main_text(page)
    assert "1 confirmed, 1 on the waiting list." in text
    assert f"{t('Swedish')}: 1" in text and f"{t('Finnish')}: 1" in text
    notice = page.locator("#notice-sv .govuk-inset-text")  # the first tab: each language's
    assert notice.get_attribute("lang") == "sv"
    assert "Tidigare:" in notice.inner_text() and "Nu:" in notice.inner_text()
    page.get_by_role("tab", name=f"{t('Finnish')}: 1", exact=False).click()
    finnish = page.locator("#notice-fi .govuk-inset-text")
    assert "Aiemmin:" in finnish.inner_text() and "Nyt:" in finnish.inner_text()
    assert_accessible(page)
    look_at(page, "change-preview")

    with page.expect_navigation():
        page.get_by_role("button", name=t("Go back"), exact=True).click()
    assert page.get_by_label(t("Starts"), exact=True).input_value() == as_input(
        local_at(day + 1, 10)
    )
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name=t("Save changes"), exact=True).click()
    with page.expect_navigation():
        page.get_by_role("button", name=t("Save and notify"), exact=True).click()
    assert page.url.endswith(f"/manage/events/{slug}"), page.url
    assert t("The changes were saved.") in main_text(page)
    assert_accessible(page)
    visit(page, f"/manage/events/{slug}/edit")
    assert page.get_by_label(label_of(live_server, "en", "Starts")).input_value() == as_input(
        local_at(day + 1, 10)
    )


def test_an_organiser_raises_the_places_and_sees_who_gets_one_before_confirming(
    page: Any, live_server: LiveServer, organiser_account: dict[str, Any]
) -> None:
    def t(msgid: str, **kw: Any) -> str:
        return tr(live_server, "en", msgid, **kw)

    slug = live_server.create_event(
        organiser_account["email"],
        title=unique("Sysselsättningskrav: fler platser"),
        starts_at=as_input(local_at(50, 9)),
        ends_at=as_input(local_at(50, 12)),
        capacity=1,
    )
    register_by_api(page, slug, language="sv")
    register_by_api(page, slug, language="fi")  # on the waiting list
    sign_in(page, live_server, organiser_account["email"], organiser_account["password"], "en")
    visit(page, f"/manage/events/{slug}/edit")
    page.get_by_label(label_of(live_server, "en", "Capacity (places)")).fill("5")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Save changes"), exact=True).click()

    assert page.get_by_role("heading", level=1).inner_text() == "This change will email 1 person"
    text = main_text(page)
    assert "1 person on the waiting list gets a place" in text
    mail = page.locator("#promoted-fi").locator("xpath=following-sibling::div[1]")
    assert mail.get_attribute("lang") == "fi" and "Sait paikan" in mail.inner_text()
    assert_accessible(page)
    look_at(page, "promotion-preview")

    with page.expect_navigation():
        page.get_by_role("button", name=t("Save and notify"), exact=True).click()
    assert t("The changes were saved.") in main_text(page)
