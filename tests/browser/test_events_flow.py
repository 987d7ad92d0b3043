"""Issue 2's browser test: an organiser signs in, creates an event with two sessions and
publishes it, all through the pages; a visitor finds it on the front page in Swedish, English
and Finnish, opens it and downloads its calendar file. axe-core checks every page on the way."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import LiveServer, assert_accessible, main_text, visit
from tests.browser.flows import (
    as_input,
    find_in_listing,
    label_of,
    local_at,
    new_context,
    sign_in,
    switch_language,
    tr,
    unfold,
    unique,
    vevents,
    watched_page,
    words,
)

LANG = "en"  # the organiser works in English; the visitor reads all three languages


def test_organiser_publishes_an_event_and_a_visitor_finds_it_in_three_languages(
    browser: Any, page: Any, live_server: LiveServer, organiser_account: dict[str, Any]
) -> None:
    def t(msgid: str, **kw: Any) -> str:
        return tr(live_server, LANG, msgid, **kw)

    title = unique("Sysselsättningskrav i upphandling: konferens i Göteborg")
    day = 24  # a few weeks ahead
    starts, ends = local_at(day, 9), local_at(day, 16)

    # --- the organiser signs in and creates the event through the form ----------------------
    sign_in(page, live_server, organiser_account["email"], organiser_account["password"], LANG)
    assert_accessible(page)  # the organiser's list of events
    with page.expect_navigation():
        page.get_by_role("link", name=t("New event"), exact=True).click()
    assert_accessible(page)

    page.get_by_label(t("Title"), exact=True).fill(title)
    page.get_by_label(label_of(live_server, LANG, "Description")).fill(
        "En dag om **sysselsättningskrav**: planera, kartlägga, analysera och upphandla."
    )
    page.get_by_label(t("Kind of event"), exact=True).select_option("conference")
    page.get_by_label(t("Format"), exact=True).select_option("in_person")
    page.get_by_label(t("Language of the event"), exact=True).select_option("sv")
    page.get_by_label(t("Time zone"), exact=True).select_option("Europe/Stockholm")
    page.get_by_label(t("Starts"), exact=True).fill(as_input(starts))
    page.get_by_label(t("Ends"), exact=True).fill(as_input(ends))
    page.get_by_label(t("Venue"), exact=True).fill("Göteborgs stadshus")
    page.get_by_label(t("Street address"), exact=True).fill("Gustaf Adolfs torg 1")
    page.get_by_label(t("City"), exact=True).fill("Göteborg")
    page.get_by_label(t("Country"), exact=True).fill("Sverige")
    page.get_by_label(label_of(live_server, LANG, "Capacity (places)")).fill("80")
    # A new event is open to every group; narrow it to procurers and suppliers (at most 30).
    admitted = {"contracting_authority": "Contracting authorities", "supplier": "Suppliers"}
    for group in (
        "Decision-makers",
        "Civil society and social economy",
        "Matchmakers (labour-market units)",
        "Others (research, press…)",
    ):
        page.get_by_label(t(group), exact=True).uncheck()
    for group in admitted.values():
        assert page.get_by_label(t(group), exact=True).is_checked()
    page.get_by_label(
        t("Quota for %(group)s (places, optional)", group=t("Suppliers")), exact=True
    ).fill("30")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Save as draft"), exact=True).click()

    assert re.search(r"/manage/events/[^/]+$", page.url), main_text(page)
    slug = page.url.rsplit("/", 1)[1]
    assert page.get_by_role("heading", level=1).inner_text() == title
    assert t("The event was saved as a draft.") in main_text(page)
    assert t("Draft") in main_text(page)
    assert t("quota %(n)s", n=30) in main_text(page)
    assert_accessible(page)

    # --- two sessions, through the agenda form -----------------------------------------------
    sessions = [
        ("Inledning: varför sysselsättningskrav?", local_at(day, 9, 30), local_at(day, 11)),
        ("Workshop: från analys till avtal", local_at(day, 13), local_at(day, 15)),
    ]
    for number, (session_title, s_start, s_end) in enumerate(sessions):
        with page.expect_navigation():
            page.get_by_role("link", name=t("Add a session"), exact=True).click()
        assert "/sessions/new" in page.url
        assert_accessible(page)
        page.get_by_label(t("Title"), exact=True).fill(session_title)
        page.get_by_label(t("Starts"), exact=True).fill(as_input(s_start))
        page.get_by_label(t("Ends"), exact=True).fill(as_input(s_end))
        page.get_by_label(label_of(live_server, LANG, "Room")).fill(f"Sal {number + 1}")
        page.get_by_label(label_of(live_server, LANG, "Speakers")).fill(
            "Karin Berg, Upphandlingsmyndigheten\nJussi Laine, Helsingin kaupunki"
        )
        with page.expect_navigation():
            page.get_by_role("button", name=t("Save the session"), exact=True).click()
        assert page.url.endswith(f"/manage/events/{slug}"), main_text(page)
        assert t("The agenda was saved.") in main_text(page)
        assert_accessible(page)
    agenda = page.get_by_role("table", name=t("Sessions of %(title)s", title=title))
    for session_title, _start, _end in sessions:
        assert agenda.get_by_role("rowheader", name=session_title, exact=True).count() == 1

    # --- publish -------------------------------------------------------------------------------
    with page.expect_navigation():
        page.get_by_role("button", name=t("Publish"), exact=True).click()
    assert t("The event is published.") in main_text(page)
    assert page.locator("main .govuk-tag").first.inner_text() == t("Published")
    assert page.get_by_role("button", name=t("Publish"), exact=True).count() == 0
    assert_accessible(page)

    # --- a visitor, not signed in, in a browser that prefers Swedish --------------------------
    visitor = new_context(browser, live_server, locale="sv-SE")
    try:
        with watched_page(visitor) as public:
            visit(public, "/")
            assert public.locator("html").get_attribute("lang") == "sv"
            assert public.get_by_role("button", name=tr(live_server, "sv", "Sign out")).count() == 0
            find_in_listing(public, live_server, "sv", title)
            assert_accessible(public)
            visit(public, "/")  # back to the first page of the list before switching

            for label, lang in (("English", "en"), ("Suomi", "fi")):
                switch_language(public, label, lang)
                assert public.get_by_role("heading", level=1).inner_text() == tr(
                    live_server, lang, "Upcoming events"
                )
                link = find_in_listing(public, live_server, lang, title)
                assert_accessible(public)

            # In Finnish, open the event's page from the list.
            with public.expect_navigation():
                link.click()
            assert public.url.endswith(f"/events/{slug}")
            assert public.locator("html").get_attribute("lang") == "fi"
            assert public.get_by_role("heading", level=1).inner_text() == title
            text = main_text(public)
            for session_title, _start, _end in sessions:
                assert session_title in text
            assert "Göteborgs stadshus" in text and "Gustaf Adolfs torg 1" in text
            for group in admitted.values():
                assert tr(live_server, "fi", group) in text
            # Finnish conventions: 24.12.2026 style date and "klo 9.00".
            assert f"{starts.day}.{starts.month}.{starts.year}" in text
            assert "klo 9.00" in text
            assert_accessible(public)

            # The "add to calendar" link downloads the event's calendar file.
            calendar_link = public.get_by_role(
                "link", name=words(tr(live_server, "fi", "Add to calendar"))
            )
            assert calendar_link.get_attribute("href") == f"/events/{slug}.ics"
            with public.expect_download() as info:
                calendar_link.click()
            download = info.value
            assert download.suggested_filename.endswith(".ics")
            with open(download.path(), encoding="utf-8") as file:
                ics = unfold(file.read())
    finally:
        visitor.close()

    assert ics.startswith("BEGIN:VCALENDAR")
    assert "BEGIN:VTIMEZONE" in ics and "TZID:Europe/Stockholm" in ics
    events = vevents(ics)
    # One entry for the event, not one per session: the agenda is in its description.
    assert len(events) == 1, ics
    summaries = [re.search(r"^SUMMARY:(.*)$", e, flags=re.M) for e in events]
    titles = [m.group(1).strip().replace("\\,", ",").replace("\\;", ";") for m in summaries if m]
    assert title in titles
    description = re.search(r"^DESCRIPTION:(.*)$", events[0], flags=re.M).group(1)
    for session_title, _start, _end in sessions:
        assert session_title.replace(",", "\\,") in description, description
    main_event = next(e for e in events if f"SUMMARY:{title}" in e)
    assert f"DTSTART;TZID=Europe/Stockholm:{starts:%Y%m%dT%H%M}00" in main_event
    assert f"/events/{slug}" in main_event  # URL: the page's address
