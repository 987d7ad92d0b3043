"""Door staff on a phone (390 px wide): scan a ticket (open its QR address), undo and check in
again, check in to a workshop that keeps its own attendance, then the next ticket through the
ticket-code field as a handheld scanner types it; and each refusal (already, waitlisted,
cancelled, another event, unknown) large and distinct. axe-core on every page; no sideways
scrolling at 390 or 320 px. Screenshots of each result go to $CHECKIN_SCREENSHOTS when set."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, assert_accessible, main_text, visit
from tests.browser.flows import local_at, register_by_api, session_data, sign_in, tr, unique

LANG = "sv"


def width(page: Any) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.fixture(scope="module")
def door(browser: Any, live_server: LiveServer, organiser_account: dict[str, Any]) -> dict:
    """The door's event (two places, a workshop that keeps attendance), another event, and
    tickets: two confirmed, one waitlisted, one cancelled, one of the other event."""
    slug = live_server.create_event(
        organiser_account["email"],
        title=unique("Incheckning i Stadshuset"),
        capacity=2,
        sessions=[
            session_data("Verkstad A", local_at(7, 9), local_at(7, 10), track_attendance=True),
            session_data("Pass 2", local_at(7, 10), local_at(7, 11)),
        ],
        starts_at=local_at(7, 9).isoformat(),
        ends_at=local_at(7, 16).isoformat(),
    )
    other_title = unique("Verkstad i Vantaa")
    other = live_server.create_event(organiser_account["email"], title=other_title)
    context = browser.new_context(base_url=live_server.url)
    try:
        page = context.new_page()
        event = page.request.get(f"/api/v1/events/{slug}").json()
        workshop = next(s["id"] for s in event["sessions"] if s["title"] == "Verkstad A")
        sara = register_by_api(
            page, slug, name="Sara Lind", needs="Vegetarisk", sessions=[workshop]
        )
        olle = register_by_api(page, slug, name="Olle Berg")
        waiting = register_by_api(page, slug, name="Vera Väntar")
        assert waiting["status"] == "waitlisted"
        gone = register_by_api(page, other, name="Carl Avbokad")
        assert page.request.delete(f"/api/v1/registrations/{gone['token']}").status == 200
        elsewhere = register_by_api(page, other, name="Eva Annan")
    finally:
        context.close()
    return {
        "slug": slug,
        "other_title": other_title,
        "tokens": {
            "sara": sara["token"],
            "olle": olle["token"],
            "waiting": waiting["token"],
            "gone": gone["token"],
            "elsewhere": elsewhere["token"],
        },
    }


@pytest.fixture
def phone(context: Any, page: Any, live_server: LiveServer, organiser_account: dict) -> Any:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, organiser_account["email"], organiser_account["password"], LANG)
    return page


def shoot(page: Any, name: str) -> None:
    folder = os.environ.get("CHECKIN_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def result_of(page: Any) -> str:
    return page.locator("h1.mp-door__title").inner_text().strip()


def fits(page: Any) -> None:
    """No sideways scrolling at 390 px nor at 320 px."""
    assert width(page) <= 390, f"{page.url} is {width(page)} px wide at 390 px"
    page.set_viewport_size({"width": 320, "height": 700})
    assert width(page) <= 320, f"{page.url} is {width(page)} px wide at 320 px"
    page.set_viewport_size({"width": 390, "height": 844})


def t(live_server: LiveServer, msgid: str, **variables: Any) -> str:
    return tr(live_server, LANG, msgid, **variables)


def test_door_staff_scan_undo_scan_again_and_the_next_ticket(
    phone: Any, live_server: LiveServer, door: dict
) -> None:
    page = phone
    slug, tokens = door["slug"], door["tokens"]
    visit(page, f"/manage/events/{slug}/checkin")
    assert page.evaluate("document.activeElement.id") == "code"  # ready for a scanner
    assert_accessible(page)
    fits(page)

    # The phone's camera opens the ticket's QR address.
    visit(page, f"/manage/checkin/{tokens['sara']}")
    assert result_of(page) == t(live_server, "Checked in")
    assert page.get_by_role("status").filter(has_text=t(live_server, "Checked in")).count() == 1
    text = main_text(page)
    assert "Sara Lind" in text and "Botkyrka kommun" in text and "Vegetarisk" in text
    assert_accessible(page)
    fits(page)
    shoot(page, "1-checked-in")

    with page.expect_navigation():
        page.get_by_role("button", name=t(live_server, "Undo the check-in")).click()
    assert result_of(page) == t(live_server, "Check-in undone")
    assert_accessible(page)
    fits(page)
    shoot(page, "2-undone")

    with page.expect_navigation():
        page.get_by_role("button", name=t(live_server, "Check in again")).click()
    assert result_of(page) == t(live_server, "Checked in")
    assert_accessible(page)

    # Her workshop keeps its own attendance: one tap checks her in there too.
    button = t(live_server, "Check in to %(session)s", session="Verkstad A")
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()
    assert t(
        live_server,
        "%(name)s is checked in to %(session)s.",
        name="Sara Lind",
        session="Verkstad A",
    ) in main_text(page)
    assert page.get_by_role("button", name=button).count() == 0
    assert_accessible(page)
    fits(page)
    shoot(page, "3-session")

    # The next ticket: "Scan next" goes back to the door, the code field has the focus, and a
    # handheld scanner types the QR code's address and presses Enter.
    with page.expect_navigation():
        page.get_by_role("link", name=t(live_server, "Scan next")).click()
    assert page.evaluate("document.activeElement.id") == "code"
    page.keyboard.type(live_server(f"/manage/checkin/{tokens['olle']}"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert result_of(page) == t(live_server, "Checked in")
    assert "Olle Berg" in main_text(page)
    assert_accessible(page)

    # The door's list counts both, and the workshop's page one of one.
    visit(page, f"/manage/events/{slug}/checkin")
    assert t(
        live_server,
        "%(attended)s of %(confirmed)s confirmed people have arrived.",
        attended=2,
        confirmed=2,
    ) in main_text(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Verkstad A").click()
    assert t(live_server, "%(arrived)s of %(registered)s arrived", arrived=1, registered=1) in (
        main_text(page)
    )
    assert_accessible(page)
    fits(page)
    shoot(page, "4-session-page")
    page.set_viewport_size({"width": 1280, "height": 900})
    visit(page, f"/manage/events/{slug}/checkin/scan/{tokens['sara']}")
    assert result_of(page).startswith(t(live_server, "Already checked in at %(time)s", time=""))
    shoot(page, "5-already-1280")
    visit(page, f"/manage/events/{slug}/checkin")
    shoot(page, "6-list-1280")


@pytest.mark.parametrize(
    ("who", "status", "msgid"),
    [
        ("sara", 200, "Already checked in at %(time)s"),
        ("waiting", 409, "On the waiting list"),
        ("gone", 409, "Another event: %(title)s"),
        ("elsewhere", 409, "Another event: %(title)s"),
        ("unknown", 404, "Unknown ticket"),
    ],
)
def test_each_result_is_large_distinct_and_accessible(
    phone: Any, live_server: LiveServer, door: dict, who: str, status: int, msgid: str
) -> None:
    page = phone
    slug = door["slug"]
    if who == "sara":  # checked in once, scanned again
        visit(page, f"/manage/events/{slug}/checkin/scan/{door['tokens']['sara']}")
    token = door["tokens"].get(who, "no-such-ticket")
    visit(page, f"/manage/events/{slug}/checkin/scan/{token}", status=status)
    heading = result_of(page)
    if who == "sara":
        assert heading.startswith(t(live_server, msgid, time="").strip())
    else:
        assert heading == t(live_server, msgid, title=door["other_title"])
    # Colour is not the only signal: an icon of its own and the words; the link to go on.
    assert page.locator(".mp-door .mp-door__icon").count() == 1
    assert page.get_by_role("link", name=t(live_server, "Scan next")).count() == 1
    assert_accessible(page)
    fits(page)
    shoot(page, f"result-{who}")


def test_a_cancelled_ticket_of_this_door(
    phone: Any, live_server: LiveServer, door: dict, organiser_account: dict
) -> None:
    page = phone
    token = register_by_api(page, door["slug"], name="Cilla Avbokad")["token"]
    assert page.request.delete(f"/api/v1/registrations/{token}").status == 200
    visit(page, f"/manage/events/{door['slug']}/checkin/scan/{token}", status=409)
    assert result_of(page) == t(live_server, "Cancelled")
    assert_accessible(page)
    fits(page)
    shoot(page, "result-cancelled")
