"""Rules that used to sit in views, now named service functions that pages and the API share:
who holds a place (ticket and calendar), who may change sessions, and the list filters."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.db import db
from core.errors import ValidationError
from participants import queries, services
from tests.conftest import event_data
from tests.participants.helpers import as_stored, outbox, page_text, person, sessions_for


def _with_sessions(make_event, **kw):
    start = datetime.fromisoformat(event_data()["starts_at"])
    return make_event(sessions=sessions_for(start, None), **kw)


def test_only_a_confirmed_person_holds_a_place(make_event):
    event = make_event(capacity=1)
    confirmed = services.register(event, person(1))
    waiting = services.register(event, person(2))
    gone = services.cancel(services.register(make_event(), person(3)))
    assert confirmed.holds_place
    assert not waiting.holds_place
    assert not gone.holds_place


def test_a_waitlisted_person_is_shown_no_ticket_or_calendar_link(en, make_event):
    event = make_event(capacity=1)
    confirmed = services.register(event, person(1, language="en"))
    waiting = services.register(event, person(2, language="en"))

    page = page_text(en.get(f"/r/{confirmed.token}"))
    assert f"/r/{confirmed.token}/ticket" in page
    assert f"/r/{confirmed.token}/calendar.ics" in page

    page = page_text(en.get(f"/r/{waiting.token}"))
    assert f"/r/{waiting.token}/ticket" not in page
    assert f"/r/{waiting.token}/calendar.ics" not in page
    ticket = en.get(f"/r/{waiting.token}/ticket")
    assert "data:image/png" not in page_text(ticket)
    assert "/manage/checkin/" not in page_text(ticket)
    assert en.get(f"/r/{waiting.token}/calendar.ics").status_code == 409


def test_who_may_change_sessions(make_event):
    event = _with_sessions(make_event)
    registration = services.register(event, person(1, sessions=[event.sessions[0].id]))
    assert services.may_change_sessions(registration)
    no_agenda = services.register(make_event(), person(2))
    assert not services.may_change_sessions(no_agenda)
    assert not services.may_change_sessions(services.cancel(as_stored(registration)))


def test_registration_filters_refuse_unknown_values():
    assert queries.RegistrationFilters.parse({}) == queries.RegistrationFilters()
    parsed = queries.RegistrationFilters.parse(
        {"status": "waitlisted", "target_group": "supplier", "attended": "no", "q": " Maja "}
    )
    assert parsed == queries.RegistrationFilters("waitlisted", "supplier", False, "Maja")
    with pytest.raises(ValidationError) as err:
        queries.RegistrationFilters.parse({"status": "everyone", "attended": "maybe"})
    assert set(err.value.fields) == {"status", "attended"}


def test_the_list_page_says_a_filter_is_not_applied(signed_in, make_event):
    event = make_event()
    services.register(event, person(1))
    response = signed_in.get(f"/manage/events/{event.slug}/registrations?status=everyone")
    assert response.status_code == 200
    page = page_text(response)
    assert "A filter has an unknown value and is not applied" in page
    assert "Maja Upphandlare 1" in page
    # The list's own links (exports too) leave the refused value out.
    assert f'href="/manage/events/{event.slug}/registrations.csv"' in page
    assert "registrations.csv?status=everyone" not in page


def test_a_message_to_an_unknown_choice_is_refused(signed_in, make_event):
    event = make_event()
    services.register(event, person(1))
    response = signed_in.post(
        f"/manage/events/{event.slug}/message",
        data={"subject_sv": "Hi", "body_sv": "Hello", "status": "everyone", "action": "send"},
    )
    assert response.status_code == 400
    assert "Choose one of: confirmed, waitlisted, cancelled." in page_text(response)
    db.session.rollback()
    assert outbox("bulk_message") == []
