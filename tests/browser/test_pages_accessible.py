"""An axe-core sweep of the pages the two flows do not pass through, in Swedish, English and
Finnish: public pages (filtered lists, past events, a published, a cancelled and a Helsinki
event, the legal pages, a registration's own pages), the sign-in page with an error, and every
management page, with and without validation errors.

One anonymous and one signed-in (administrator) browser page serve the whole module, so the
sweep stays quick; a JavaScript error on either fails the test that caused it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import LANGUAGES, LiveServer, assert_accessible, main_text, visit
from tests.browser.flows import (
    WatchedPage,
    label_of,
    local_at,
    new_context,
    register_by_api,
    session_data,
    sign_in,
    tr,
    unique,
    watch,
)

ADMIN_EMAIL = "alva.admin@upphandlingsmyndigheten.se"
ADMIN_PASSWORD = "sweep-secret-42"


# --- data and contexts for the module -----------------------------------------------------------


def _cancel(live_server: LiveServer, email: str, slug: str) -> None:
    from core.auth import find_organiser
    from events.queries import get_managed_event
    from events.services import cancel_event

    with live_server.app.test_request_context("/"):
        organiser = find_organiser(email)
        assert organiser is not None
        cancel_event(organiser, get_managed_event(organiser, slug))


@pytest.fixture(scope="module")
def data(live_server: LiveServer, browser: Any) -> dict[str, Any]:
    """An administrator, a published event with sessions and registrations, a cancelled one,
    a Finnish workshop in Helsinki and a past event."""
    live_server.create_organiser(ADMIN_EMAIL, "Alva Admin", ADMIN_PASSWORD, admin=True)
    day = 45
    published = live_server.create_event(
        ADMIN_EMAIL,
        title=unique("Nätverksträff för matchningsansvariga"),
        kind="conference",
        starts_at=local_at(day, 9).isoformat(),
        ends_at=local_at(day, 16).isoformat(),
        capacity=50,
        target_groups=[
            {"code": "contracting_authority", "quota": None},
            {"code": "supplier", "quota": 15},
            {"code": "matchmaker", "quota": None},
        ],
        sessions=[
            session_data(
                "Hur matchning fungerar",
                local_at(day, 9, 30),
                local_at(day, 11),
                room="Sal 1",
                speakers=[{"name": "Lena Ek", "organisation": "Arbetsförmedlingen"}],
            ),
            session_data(
                "Arbetsmarknadsenheten berättar",
                local_at(day, 13),
                local_at(day, 14, 30),
                room="Sal 2",
                capacity=25,
            ),
        ],
    )
    cancelled = live_server.create_event(
        ADMIN_EMAIL,
        title=unique("Inställt webbinarium om sociala krav"),
        kind="webinar",
        format="online",
        venue=None,
        online_url="https://meet.example.se/webbinarium",
        starts_at=local_at(day + 2, 10).isoformat(),
        ends_at=local_at(day + 2, 11, 30).isoformat(),
    )
    _cancel(live_server, ADMIN_EMAIL, cancelled)
    helsinki = live_server.create_event(
        ADMIN_EMAIL,
        title=unique("Työllistämisehto hankinnoissa – työpaja"),
        language="fi",
        timezone="Europe/Helsinki",
        starts_at=local_at(day + 5, 9, tz="Europe/Helsinki").isoformat(),
        ends_at=local_at(day + 5, 15, tz="Europe/Helsinki").isoformat(),
        venue={
            "name": "Helsingin kaupungintalo",
            "address": "Pohjoisesplanadi 11–13",
            "city": "Helsinki",
            "country": "Suomi",
        },
    )
    past = live_server.create_event(
        ADMIN_EMAIL,
        title=unique("Erfarenheter från Botkyrka"),
        starts_at=local_at(-20, 9).isoformat(),
        ends_at=local_at(-20, 12).isoformat(),
    )

    context = new_context(browser, live_server)
    try:
        page = context.new_page()
        page.goto("/")
        people = [
            register_by_api(page, published, name="Sara Lind", needs="Glutenfri kost"),
            register_by_api(
                page,
                published,
                name="Pekka Korhonen",
                organisation={
                    "name": "Vantaan kaupunki",
                    "org_number": "0124610-9",
                    "country": "FI",
                },
                target_group="matchmaker",
                language="fi",
                needs="Rullstolsplats",
            ),
            register_by_api(
                page,
                published,
                name="Johan Berg",
                organisation={"name": "Byggbolaget AB", "org_number": "", "country": "SE"},
                target_group="supplier",
                role="Projektledare",
            ),
        ]
    finally:
        context.close()
    with live_server.app.app_context():
        import sqlalchemy as sa

        from core.db import db
        from events.queries import get_public_event
        from participants.models import Registration

        event = get_public_event(published)
        session_ids = [s.id for s in event.sessions]
        registration_ids = dict(
            db.session.execute(
                sa.select(Registration.token, Registration.id).where(
                    Registration.event_id == event.id
                )
            ).all()
        )
    return {
        "published": published,
        "cancelled": cancelled,
        "helsinki": helsinki,
        "past": past,
        "tokens": [p["manage_url"].rsplit("/", 1)[1] for p in people],
        "session_ids": session_ids,
        "registration_ids": registration_ids,
    }


@pytest.fixture(scope="module")
def anonymous_tab(browser: Any, live_server: LiveServer) -> Iterator[WatchedPage]:
    context = new_context(browser, live_server)
    yield watch(context.new_page())
    context.close()


@pytest.fixture(scope="module")
def admin_tab(browser: Any, live_server: LiveServer, data: dict[str, Any]) -> Iterator[WatchedPage]:
    """One administrator, signed in through the form once for the module."""
    context = new_context(browser, live_server)
    tab = watch(context.new_page())
    sign_in(tab.page, live_server, ADMIN_EMAIL, ADMIN_PASSWORD)
    yield tab
    context.close()


@pytest.fixture
def anonymous(anonymous_tab: WatchedPage) -> Iterator[Any]:
    """The module's page for a visitor who is not signed in."""
    yield anonymous_tab.page
    anonymous_tab.check()


@pytest.fixture
def admin(admin_tab: WatchedPage) -> Iterator[Any]:
    """The module's page for the signed-in administrator."""
    yield admin_tab.page
    admin_tab.check()


def check(page: Any, path: str, lang: str, status: int = 200) -> None:
    """Open path in lang: the status, <html lang>, one h1, the footer's link to the
    accessibility statement, and no axe-core violation."""
    visit(page, path, lang=lang, status=status)
    assert page.locator("h1").count() == 1, f"{path}: {page.locator('h1').count()} h1"
    assert page.locator("footer a[href='/accessibility']").count() == 1, path
    assert_accessible(page)


# --- public pages -------------------------------------------------------------------------

# Each page in every language...
PUBLIC_PAGES = {
    "front page, filtered": lambda d: (
        "/?kind=conference&format=in_person&language=sv&city=Stockholm&target_group=supplier"
    ),
    "past events": lambda d: "/past",
    "event page": lambda d: f"/events/{d['published']}",
    "cancelled event page": lambda d: f"/events/{d['cancelled']}",
    "Helsinki event page": lambda d: f"/events/{d['helsinki']}",
    "registration page": lambda d: f"/r/{d['tokens'][0]}",
    "ticket": lambda d: f"/r/{d['tokens'][0]}/ticket",
    "privacy": lambda d: "/privacy",
}
# ...and variants of them in one language each, in turn (the flows cover the rest).
PUBLIC_VARIANTS = {
    "front page, online only": ("/?city=online", "en"),
    "front page, nothing found": ("/?kind=webinar&city=Uppsala", "fi"),
    "past event page": ("/events/{past}", "sv"),
    "registration form": ("/events/{published}/register", "en"),
    "closed registration form": ("/events/{cancelled}/register", "fi"),
    "a missing page": ("/events/no-such-event", "sv"),
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", list(PUBLIC_PAGES))
def test_public_page(
    anonymous: Any, data: dict[str, Any], live_server: LiveServer, name: str, lang: str
) -> None:
    page = anonymous
    check(page, PUBLIC_PAGES[name](data), lang)
    text = main_text(page)
    if name == "cancelled event page":
        notice = "This event has been cancelled. The page stays for reference."
        assert tr(live_server, lang, notice) in text
    if name == "Helsinki event page":
        # The zone is named, as it is not Stockholm's, in one clean form in the page's language.
        city = {"sv": "Helsingfors", "en": "Helsinki", "fi": "Helsinki"}[lang]
        assert f"({city})" in text and "((" not in text and "))" not in text


@pytest.mark.parametrize("name", list(PUBLIC_VARIANTS))
def test_public_page_variant(anonymous: Any, data: dict[str, Any], name: str) -> None:
    path, lang = PUBLIC_VARIANTS[name]
    page = anonymous
    check(page, path.format(**data), lang, status=404 if "missing" in name else 200)


@pytest.mark.parametrize("lang", ["sv", "fi"])  # test_smoke signs in wrongly in English
def test_sign_in_with_an_error(anonymous: Any, live_server: LiveServer, lang: str) -> None:
    page = anonymous
    visit(page, "/login", lang=lang)
    page.get_by_label(tr(live_server, lang, "Email"), exact=True).fill(ADMIN_EMAIL)
    page.get_by_label(tr(live_server, lang, "Password"), exact=True).fill("not-the-password")
    with page.expect_navigation():
        page.get_by_role("button", name=tr(live_server, lang, "Sign in"), exact=True).click()
    assert page.locator("html").get_attribute("lang") == lang
    assert tr(live_server, lang, "The email or password is wrong.") in main_text(page)
    assert page.get_by_role("alert").count() == 1
    assert_accessible(page)


# --- management pages ---------------------------------------------------------------------

MANAGEMENT_PAGES = {
    "event list": lambda d: "/manage/",
    "new event form": lambda d: "/manage/events/new",
    "event management page": lambda d: f"/manage/events/{d['published']}",
    "cancelled event's management page": lambda d: f"/manage/events/{d['cancelled']}",
    "edit event form": lambda d: f"/manage/events/{d['helsinki']}/edit",
    "confirm cancelling the event": lambda d: f"/manage/events/{d['published']}/cancel",
    "new session form": lambda d: f"/manage/events/{d['published']}/sessions/new",
    "edit session form": lambda d: (
        f"/manage/events/{d['published']}/sessions/{d['session_ids'][1]}/edit"
    ),
    "confirm removing a session": lambda d: (
        f"/manage/events/{d['published']}/sessions/{d['session_ids'][1]}/delete"
    ),
    "registrations": lambda d: f"/manage/events/{d['published']}/registrations",
    "registrations, filtered": lambda d: (
        f"/manage/events/{d['published']}/registrations?q=berg&status=confirmed&attended=no"
    ),
    "add a person by hand": lambda d: f"/manage/events/{d['published']}/registrations/new",
    "confirm cancelling a registration": lambda d: (
        f"/manage/events/{d['published']}/registrations/"
        f"{d['registration_ids'][d['tokens'][2]]}/cancel"
    ),
    "check-in": lambda d: f"/manage/events/{d['published']}/checkin",
    "catering": lambda d: f"/manage/events/{d['published']}/catering",
    "message form": lambda d: f"/manage/events/{d['published']}/message",
    "outbox": lambda d: "/manage/outbox",
    "organisers": lambda d: "/manage/organisers",
}


def in_turn(names: list[str], every_language: set[str]) -> list[Any]:
    """(name, lang) cases: the pages in every_language in all three languages, the others in
    one language each, in turn, so each language's words are seen on most pages while the
    suite stays quick."""
    return [
        pytest.param(name, lang, id=f"{name}-{lang}")
        for number, name in enumerate(names)
        for lang in (LANGUAGES if name in every_language else [LANGUAGES[number % 3]])
    ]


@pytest.mark.parametrize(
    ("name", "lang"),
    in_turn(list(MANAGEMENT_PAGES), {"event list", "event management page", "registrations"}),
)
def test_management_page(admin: Any, data: dict[str, Any], name: str, lang: str) -> None:
    page = admin
    check(page, MANAGEMENT_PAGES[name](data), lang)


FORMS_WITH_ERRORS = {
    # page, the submit button's text, fields to fill {label: value}
    "new event": ("/manage/events/new", "Save as draft", {}),
    "session ending before it starts": (
        "/manage/events/{published}/sessions/new",
        "Save the session",
        {"Title": "Paus", "Starts": "{day}T12:00", "Ends": "{day}T11:00"},
    ),
    "message without a subject": ("/manage/events/{published}/message", "Preview", {}),
    "organiser account": ("/manage/organisers", "Create account", {"Email": "not-an-email"}),
    "person added by hand": (
        "/manage/events/{published}/registrations/new",
        "Add the person",
        {"The person's name": "Kim Ek", "Organisation number": "191212-1212"},
    ),
}


@pytest.mark.parametrize(("name", "lang"), in_turn(list(FORMS_WITH_ERRORS), {"new event"}))
def test_form_with_errors(
    admin: Any, data: dict[str, Any], live_server: LiveServer, name: str, lang: str
) -> None:
    path, button, fields = FORMS_WITH_ERRORS[name]
    day = local_at(45, 0).date().isoformat()
    page = admin
    visit(page, path.format(**data), lang=lang)
    for label, value in fields.items():
        page.get_by_label(label_of(live_server, lang, label)).fill(value.format(day=day))
    with page.expect_navigation():
        page.get_by_role("button", name=tr(live_server, lang, button), exact=True).click()
    assert page.locator("html").get_attribute("lang") == lang
    summary = page.get_by_role("alert")
    assert summary.count() == 1, main_text(page)
    assert page.locator("[aria-invalid=true]").count() >= 1, main_text(page)
    assert_accessible(page)


def test_check_in_and_undo(admin: Any, data: dict[str, Any], live_server: LiveServer) -> None:
    """The check-in list after a tap (flash message, "Undo" button) and after the undo."""
    lang = "sv"
    name = "Sara Lind"
    page = admin
    visit(page, f"/manage/events/{data['published']}/checkin", lang=lang)
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name))
    with page.expect_navigation():
        row.get_by_role("button", name=tr(live_server, lang, "Mark attended")).click()
    assert tr(live_server, lang, "%(name)s is checked in.", name=name) in main_text(page)
    assert_accessible(page)
    with page.expect_navigation():
        row.get_by_role("button", name=tr(live_server, lang, "Undo")).click()
    assert tr(live_server, lang, "Check-in of %(name)s undone.", name=name) in main_text(page)
    assert_accessible(page)


def test_ticket_check_in_link(admin: Any, data: dict[str, Any], live_server: LiveServer) -> None:
    """The page the ticket's QR code opens for an organiser: marked attended, with Undo, and
    after the undo "Check in again" (tests/browser/test_checkin.py walks the door's flow)."""
    token = data["tokens"][1]
    page = admin
    check(page, f"/manage/checkin/{token}", "fi")
    assert "Pekka Korhonen" in main_text(page)
    with page.expect_navigation():
        page.get_by_role(
            "button", name=tr(live_server, "fi", "Undo the check-in"), exact=True
        ).click()
    assert tr(live_server, "fi", "Check-in undone") in main_text(page)
    assert_accessible(page)
