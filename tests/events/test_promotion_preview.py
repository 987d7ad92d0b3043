"""Raising a published event's capacity (or a quota) moves people off the waiting list and
emails them: the organiser first sees how many, in which languages, and the email itself, and
only "Save and notify" saves. The preview makes the change and rolls it back, so it follows
the promotion rules themselves."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from core.db import db
from core.models import OutboxMessage
from events.changes import promotions_preview
from events.models import Event
from events.services import update_event
from participants import services as participants
from participants.models import Registration
from tests.events.test_change_notice import FORMAT, edit_form, hidden_fields, registered
from tests.participants.helpers import person, sessions_for


def promoted_mail() -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.kind == "promoted"))


def waiting(event: Event) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Registration.name)
            .where(Registration.event_id == event.id, Registration.status == "waitlisted")
            .order_by(Registration.id)
        )
    )


def test_the_preview_follows_the_rules_and_leaves_nothing_behind(app, make_event, organiser):
    event = registered(make_event)  # three confirmed, one Finnish speaker waiting
    participants.register(event, person(6, language="sv"))  # a second one waiting
    event = db.session.get(Event, event.id)
    assert waiting(event) == ["Maja Upphandlare 4", "Maja Upphandlare 6"]

    one_more = promotions_preview(organiser, event, {"capacity": 4})
    assert (one_more.waitlisted, one_more.languages) == (1, {"fi": 1})  # the first in line
    both = promotions_preview(organiser, db.session.get(Event, event.id), {"capacity": 10})
    assert both.waitlisted == 2 and both.languages == {"fi": 1, "sv": 1}
    mail = both.notice("fi", "(henkilön nimi)", "https://example.invalid/link")
    assert mail.subject.startswith("Sait paikan:") and "(henkilön nimi)" in mail.body_text
    assert "Maja" not in mail.body_text  # the organiser sees no one's name or ticket

    # Nothing changed: the capacity, the waiting list, the outbox.
    db.session.rollback()
    event = db.session.get(Event, event.id)
    assert event.capacity == 3 and len(waiting(event)) == 2 and promoted_mail() == 0
    assert promotions_preview(organiser, event, {"capacity": 3}).waitlisted == 0
    assert promotions_preview(organiser, event, {"title": "Ny titel"}).waitlisted == 0


def test_the_edit_page_shows_who_gets_a_place_and_saves_after_confirming(
    app, make_event, client, login
):
    event = registered(make_event)
    login()
    client.get("/?lang=en")
    edit = f"/manage/events/{event.slug}/edit"
    response = client.post(edit, data=edit_form(event, capacity="10"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "This change will email 1 person" in page
    assert "1 person on the waiting list gets a place" in page
    assert "Finnish: 1" in page and 'lang="fi"' in page and "Sait paikan:" in page
    assert "Maja Upphandlare 4" not in page
    assert "Save and notify" in page
    db.session.rollback()
    assert db.session.get(Event, event.id).capacity == 3 and promoted_mail() == 0

    saved = client.post(edit, data=MultiDict([*hidden_fields(page), ("confirmed", "1")]))
    assert saved.status_code == 302
    db.session.rollback()
    event = db.session.get(Event, event.id)
    assert event.capacity == 10 and waiting(event) == [] and promoted_mail() == 1


def test_more_places_with_nobody_waiting_is_saved_at_once(app, make_event, client, login):
    event = make_event(capacity=3)
    participants.register(event, person(1))
    login()
    response = client.post(
        f"/manage/events/{event.slug}/edit", data=edit_form(event, capacity="10")
    )
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(Event, event.id).capacity == 10


def test_a_session_with_more_places_shows_who_gets_one_first(app, make_event, client, login):
    event = make_event(capacity=10)
    start = event.starts_at
    event = update_event_sessions(event, sessions_for(start, 1))
    session = event.sessions[0]
    for n in (1, 2):  # the second waits for the session's one place
        participants.register(event, person(n, sessions=[session.id], language="fi"))
    assert waiting(event) == ["Maja Upphandlare 2"]
    login()
    client.get("/?lang=en")
    edit = f"/manage/events/{event.slug}/sessions/{session.id}/edit"
    form = {
        "title": session.title,
        "starts_at": session.starts_at.astimezone(ZoneInfo(event.timezone)).strftime(FORMAT),
        "ends_at": session.ends_at.astimezone(ZoneInfo(event.timezone)).strftime(FORMAT),
        "capacity": "2",
    }
    response = client.post(edit, data=form)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "1 person on the waiting list gets a place" in page and "Sait paikan:" in page
    db.session.rollback()
    assert db.session.get(Event, event.id).sessions[0].capacity == 1 and promoted_mail() == 0
    saved = client.post(edit, data=MultiDict([*hidden_fields(page), ("confirmed", "1")]))
    assert saved.status_code == 302
    db.session.rollback()
    assert waiting(db.session.get(Event, event.id)) == [] and promoted_mail() == 1


def update_event_sessions(event: Event, sessions: list) -> Event:
    update_event(event.created_by, event, {"sessions": sessions})
    return db.session.get(Event, event.id)
