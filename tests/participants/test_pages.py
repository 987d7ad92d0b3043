"""The public registration form, the event page's registration box, and a person's own pages
(/r/<token>): status and queue place, changing sessions, cancelling, the ticket and calendar."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
import segno
from flask import render_template_string

from core.db import db, utcnow
from core.urls import external_url
from events.services import cancel_event, update_event
from participants import services
from participants.emails import registration_uid
from participants.models import Registration
from tests.conftest import event_data
from tests.participants.helpers import outbox, person, row_counts, sessions_for


@pytest.fixture
def en(client):
    """Pages in English (the choice is remembered in the session)."""
    client.get("/?lang=en")
    return client


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def form_data(n: int | str = 1, **overrides: Any) -> dict[str, Any]:
    """The registration form as a browser posts it."""
    data: dict[str, Any] = {
        "name": f"Maja Upphandlare {n}",
        "email": f"maja{n}@stockholm.se",
        "organisation": "Stockholms stad",
        "org_number": "212000-0142",
        "country": "SE",
        "target_group": "contracting_authority",
        "role": "Upphandlare",
        "language": "en",
        "needs": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _start() -> datetime:
    return datetime.fromisoformat(event_data()["starts_at"])


def _only(email: str) -> Registration:
    db.session.rollback()
    return db.session.scalars(db.select(Registration).where(Registration.email == email)).one()


# --- the form ----------------------------------------------------------------------------------


def test_form_shows_the_fields_the_event_admits_and_the_privacy_notice(en, make_event):
    event = make_event(sessions=sessions_for(_start(), None, 0))
    page = text(en.get(f"/events/{event.slug}/register"))

    for field in ("name", "email", "organisation", "org_number", "country", "role", "needs"):
        assert f'id="{field}"' in page
    # Only the admitted target groups, with their labels.
    # A choice of one among a few: radios in a fieldset whose legend is the question.
    assert re.search(r"<legend[^>]*>Target group</legend>", page)
    assert (
        '<label class="govuk-label govuk-radios__label" for="target_group-contracting_authority">'
        "Contracting authorities</label>" in page
    )
    assert 'for="target_group-supplier">Suppliers</label>' in page
    assert 'value="decision_maker"' not in page
    # Sessions as checkboxes in a fieldset with a legend; the full one says so in words.
    assert re.search(r"<legend[^>]*><h2[^>]*>Sessions you will attend</h2></legend>", page)
    # (The Swedish session title is marked as Swedish on the English page.)
    assert re.search(
        r'lang="sv">Pass 2</label>\s*'
        r'<div class="govuk-hint govuk-checkboxes__hint" id="session-\d+-hint">'
        r"[^<]*\(full: choosing it puts you on the waiting list\)",
        page,
    )
    # The opt-in is not ticked; the privacy notice names the legal basis and links the page.
    checkbox = re.search(r"<input[^>]*consent_future_invitations[^>]*>", page).group(0)
    assert "checked" not in checkbox
    assert "task in the public interest" in page
    assert 'href="/privacy"' in page
    assert "caterers only get the number of people with each need" in page
    # The page language is the default choice of language.
    assert '<option selected value="en">' in page or '<option value="en" selected>' in page


def test_registering_through_the_form_confirms_and_opens_the_manage_page(en, make_event):
    event = make_event()
    response = en.post(
        f"/events/{event.slug}/register",
        data=form_data(sessions=[], consent_future_invitations="y", needs="Vegetarian"),
    )

    assert response.status_code == 302
    registration = _only("maja1@stockholm.se")
    assert response.headers["Location"].endswith(f"/r/{registration.token}")
    assert registration.status == "confirmed"
    assert registration.consent_future_invitations is True
    assert registration.needs == "Vegetarian"
    assert registration.organisation.org_number == "212000-0142"
    assert [m.kind for m in outbox(recipient="maja1@stockholm.se")] == ["confirmed"]

    page = text(en.get(response.headers["Location"]))
    assert "Thank you, you are registered." in page
    assert "You have a place at the event." in page


def test_a_full_event_puts_the_person_on_the_waiting_list_with_a_position(en, make_event):
    event = make_event(capacity=1)
    services.register(event, person(1))
    services.register(event, person(2))

    response = en.post(f"/events/{event.slug}/register", data=form_data(3))

    assert response.status_code == 302
    registration = _only("maja3@stockholm.se")
    assert registration.status == "waitlisted"
    page = text(en.get(response.headers["Location"]))
    assert "You are on the waiting list, number 2 in line." in page
    assert "Why: The event is full." in page


def test_a_second_registration_gets_the_clear_message_and_nothing_more(en, make_event):
    event = make_event()
    services.register(event, person(1, role="Secret role", language="sv"))
    before = row_counts()

    response = en.post(f"/events/{event.slug}/register", data=form_data(1, name="Someone Else"))

    assert response.status_code == 409
    page = text(response)
    assert "This email is already registered for the event." in page
    assert "Secret role" not in page and "Maja Upphandlare 1" not in page
    assert "/r/" not in page
    after = row_counts()
    assert after["registration"] == before["registration"]
    # The manage link is emailed again.
    assert [m.kind for m in outbox(recipient="maja1@stockholm.se")][-1] == "manage_link"


def test_invalid_input_is_shown_next_to_each_field_with_a_summary(en, make_event):
    event = make_event()
    before = row_counts()

    response = en.post(
        f"/events/{event.slug}/register",
        data=form_data(name="", email="not-an-email", org_number="811218-9876"),
    )

    assert response.status_code == 422
    page = text(response)
    assert "Please correct the following" in page
    assert re.search(r'id="name-error"><span[^>]*>Error:</span> Enter your name\.', page)
    assert re.search(
        r'id="email-error"><span[^>]*>Error:</span> Enter a valid email address',
        page,
    )
    assert re.search(
        r'id="org_number-error"><span[^>]*>Error:</span> This looks like a personal identity',
        page,
    )
    assert 'href="#org_number"' in page
    assert 'aria-invalid="true"' in page
    # What was typed stays in the form.
    assert 'value="Stockholms stad"' in page
    assert row_counts() == before


def test_a_target_group_the_event_does_not_admit_is_refused(en, make_event):
    event = make_event()
    response = en.post(
        f"/events/{event.slug}/register", data=form_data(target_group="decision_maker")
    )
    assert response.status_code == 422
    assert "Choose one of the target groups this event is for." in text(response)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": "cancelled"}, "The event is cancelled, so registration is closed."),
        ({"opens_in": timedelta(days=1)}, "Registration has not opened yet."),
        ({"closed_ago": timedelta(hours=1)}, "Registration has closed."),
        ({"started": True}, "The event has started, so registration is closed."),
    ],
)
def test_the_form_is_closed_and_says_why(en, make_event, organiser, change, message):
    now = utcnow().replace(microsecond=0)
    overrides: dict[str, Any] = {}
    if "opens_in" in change:
        overrides["registration_opens_at"] = (now + change["opens_in"]).isoformat()
    if "closed_ago" in change:
        overrides["registration_closes_at"] = (now - change["closed_ago"]).isoformat()
    if "started" in change:
        overrides["starts_at"] = (now - timedelta(hours=1)).isoformat()
        overrides["ends_at"] = (now + timedelta(hours=3)).isoformat()
    event = make_event(**overrides)
    if change.get("status") == "cancelled":
        cancel_event(organiser, event)

    page = en.get(f"/events/{event.slug}/register")
    assert page.status_code == 200
    assert message in text(page)
    assert 'name="email"' not in text(page)

    response = en.post(f"/events/{event.slug}/register", data=form_data())
    assert response.status_code == 409
    assert message in text(response)
    assert row_counts()["registration"] == 0


def test_a_draft_event_has_no_registration_page(en, make_event):
    event = make_event(status="draft")
    assert en.get(f"/events/{event.slug}/register").status_code == 404


BOX = '{% include "participants/_event_registration.html" %}'


def test_the_event_page_box_shows_places_and_the_way_to_register(app, en, make_event):
    event = make_event(capacity=2)
    services.register(event, person(1))
    with app.test_request_context("/?lang=en"):
        box = html.unescape(render_template_string(BOX, event=event))
    assert "Registration is open: 1 place left." in box
    assert f'href="/events/{event.slug}/register"' in box

    services.register(event, person(2))
    services.register(event, person(3))
    with app.test_request_context("/?lang=en"):
        box = html.unescape(render_template_string(BOX, event=event))
    assert "The event is full." in box and "(1 waiting)" in box


# --- a session is full -------------------------------------------------------------------------


def test_a_full_session_waitlists_and_choosing_another_session_gives_a_place(en, make_event):
    event = make_event(sessions=sessions_for(_start(), 1, None))
    first, second = (s.id for s in event.sessions)
    services.register(event, person(1, sessions=[first]))

    response = en.post(f"/events/{event.slug}/register", data=form_data(2, sessions=[str(first)]))
    registration = _only("maja2@stockholm.se")
    assert registration.status == "waitlisted"
    manage = response.headers["Location"]
    page = text(en.get(manage))
    assert "Why: A session you chose is full." in page
    assert "You can choose other sessions below" in page

    response = en.post(f"{manage}/sessions", data={"sessions": [str(second)]})
    assert response.status_code == 302
    registration = _only("maja2@stockholm.se")
    assert registration.status == "confirmed"
    assert [s.id for s in registration.sessions] == [second]
    page = text(en.get(manage))
    assert "You now have a place at the event." in page


def test_changing_to_a_full_session_keeps_the_old_choice_and_names_it(en, make_event):
    event = make_event(sessions=sessions_for(_start(), None, 1))
    first, second = (s.id for s in event.sessions)
    services.register(event, person(1, sessions=[second]))
    mine = services.register(event, person(2, sessions=[first], language="en"))

    response = en.post(f"/r/{mine.token}/sessions", data={"sessions": [str(second)]})

    assert response.status_code == 422
    assert re.search(
        r'id="sessions-error"><span[^>]*>Error:</span> Pass 2 is full\.',
        text(response),
    )
    assert [s.id for s in _only("maja2@stockholm.se").sessions] == [first]


# --- the manage page ---------------------------------------------------------------------------


def test_manage_page_speaks_the_persons_language_unless_lang_is_given(client, make_event):
    event = make_event()
    registration = services.register(event, person(1, language="en"))

    page = text(client.get(f"/r/{registration.token}"))
    assert '<html lang="en"' in page
    assert "You have a place at the event." in page

    page = text(client.get(f"/r/{registration.token}?lang=sv"))
    assert '<html lang="sv"' in page


def test_manage_page_shows_time_and_place_and_the_join_link_only_when_confirmed(en, make_event):
    event = make_event(
        format="hybrid",
        online_url="https://meet.example/abc",
        capacity=1,
        timezone="Europe/Helsinki",
    )
    confirmed = services.register(event, person(1, language="en"))
    waiting = services.register(event, person(2, language="en"))

    page = text(en.get(f"/r/{confirmed.token}"))
    assert "Stadshuset" in page
    assert "Eastern European" in page  # a Helsinki event says its zone
    assert "https://meet.example/abc" in page

    page = text(en.get(f"/r/{waiting.token}"))
    assert "You are on the waiting list, number 1 in line." in page
    assert "https://meet.example/abc" not in page


def test_an_unknown_token_is_not_found(client, app):
    assert client.get("/r/no-such-token").status_code == 404


def test_cancel_asks_first_then_frees_the_seat_and_promotes(en, make_event):
    event = make_event(capacity=1)
    first = services.register(event, person(1, language="en"))
    second = services.register(event, person(2, language="en"))
    assert second.status == "waitlisted"

    confirm_page = en.get(f"/r/{first.token}/cancel")
    assert confirm_page.status_code == 200
    assert "Yes, cancel my registration" in text(confirm_page)
    assert _only("maja1@stockholm.se").status == "confirmed"  # asking changes nothing

    response = en.post(f"/r/{first.token}/cancel")
    assert response.status_code == 302
    assert _only("maja1@stockholm.se").status == "cancelled"
    assert _only("maja2@stockholm.se").status == "confirmed"
    assert [m.kind for m in outbox(recipient="maja2@stockholm.se")][-1] == "promoted"
    page = text(en.get(response.headers["Location"]))
    assert "Your registration is cancelled." in page
    assert "Cancel my registration" not in page


# --- ticket and calendar -----------------------------------------------------------------------


def test_ticket_has_a_qr_code_of_the_check_in_link(en, app, make_event):
    event = make_event()
    registration = services.register(event, person(1, language="en"))

    page = text(en.get(f"/r/{registration.token}/ticket"))

    url = external_url("participants_checkin.ticket", token=registration.token)
    assert url == f"http://localhost/manage/checkin/{registration.token}"
    expected = segno.make_qr(url, error="m").png_data_uri(scale=5, border=4)
    image = re.search(r'<img class="qr" src="([^"]+)" alt="([^"]+)">', page)
    assert image.group(1) == expected
    assert image.group(2) == "QR code for checking in Maja Upphandlare 1"


def test_a_waitlisted_ticket_has_no_code(en, make_event):
    event = make_event(capacity=0)
    registration = services.register(event, person(1, language="en"))
    page = text(en.get(f"/r/{registration.token}/ticket"))
    assert "data:image/png" not in page
    assert "Your ticket appears here when you get a place." in page


def test_calendar_file_is_the_persons_invitation(client, make_event):
    event = make_event(sessions=sessions_for(_start(), None))
    registration = services.register(
        event, person(1, sessions=[event.sessions[0].id], language="en")
    )

    response = client.get(f"/r/{registration.token}/calendar.ics")

    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    ics = response.get_data(as_text=True).replace("\r\n ", "")
    assert "METHOD:REQUEST" in ics
    assert f"UID:{registration_uid(registration)}" in ics
    assert "mailto:maja1@stockholm.se" in ics
    assert "Pass 1" in ics


def test_no_calendar_file_without_a_place(client, make_event):
    event = make_event(capacity=0)
    registration = services.register(event, person(1))
    assert client.get(f"/r/{registration.token}/calendar.ics").status_code == 409


def test_raising_capacity_shows_on_the_manage_page(en, make_event, organiser):
    event = make_event(capacity=0)
    registration = services.register(event, person(1, language="en"))
    update_event(organiser, event, {"capacity": 5})
    assert "You have a place at the event." in text(en.get(f"/r/{registration.token}"))
