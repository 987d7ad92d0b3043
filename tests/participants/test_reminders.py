"""The reminder the day before, on a clock the test controls (the worker's `now`): not before
24 hours, once at the time, not when switched off, again after the event moved to a later day,
none to waitlisted or cancelled people, received by a real SMTP server in each recipient's
language with the join link for an online event; two workers at once send it once."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.db import db
from core.models import OutboxMessage
from core.outbox_sending import send_due
from events.models import Event
from events.services import update_event
from participants import reminders, services
from tests.participants.helpers import person

JOIN = "https://meet.example/room-42"

GREETING = {
    "sv": "En påminnelse:",
    "fi": "Muistutus:",
    "en": "A reminder:",
}
CLOCK = {"sv": "kl. ", "fi": "klo ", "en": ""}


pytestmark = pytest.mark.real_smtp


def _quiet(event):
    """The confirmations sent already: these tests look at reminders only."""
    db.session.execute(sa.update(OutboxMessage).values(status="sent"))
    db.session.commit()
    return event


def _reminders() -> list[OutboxMessage]:
    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.kind == "reminder")
            .order_by(OutboxMessage.id)
        )
    )


@pytest.fixture
def online(make_event):
    event = make_event(format="online", online_url=JOIN, venue=None, capacity=3)
    people = {
        lang: services.register(event, person(lang, language=lang)) for lang in ("sv", "fi", "en")
    }
    waiting = services.register(event, person("w", language="en"))  # full: waitlisted
    gone = services.register(event, person("c", language="en"))
    services.cancel(gone)
    assert waiting.status == "waitlisted"
    _quiet(event)
    return event, people


def test_not_before_24_hours_then_once_in_each_language(smtp, online):
    event, people = online
    start = event.starts_at
    assert reminders.send_due_reminders(start - timedelta(hours=25)) == 0
    assert _reminders() == []

    assert reminders.send_due_reminders(start - timedelta(hours=23)) == 3
    assert reminders.send_due_reminders(start - timedelta(hours=22)) == 0  # once
    assert reminders.send_due_reminders(start - timedelta(hours=1)) == 0
    rows = _reminders()
    assert sorted(r.recipient for r in rows) == sorted(p.email for p in people.values())
    assert all(r.registration_id is not None for r in rows)

    assert send_due() == 3
    received = {r.recipients[0]: r.message for r in smtp.received}
    assert set(received) == {p.email for p in people.values()}  # not the waitlisted, cancelled
    for lang, registration in people.items():
        message = received[registration.email]
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert event.title in message["Subject"]
        assert GREETING[lang] in text and GREETING[lang] in html
        assert f'<html lang="{lang}">' in html
        assert CLOCK[lang] in text
        assert JOIN in text and f'href="{JOIN}"' in html
        assert f"http://localhost/r/{registration.token}/ticket" in text
        assert f'href="http://localhost/r/{registration.token}"' in html
    assert received[people["sv"].email]["Subject"].startswith("Påminnelse:")
    assert received[people["fi"].email]["Subject"].startswith("Muistutus:")


def test_not_after_the_start(online):
    event, _ = online
    assert reminders.send_due_reminders(event.starts_at + timedelta(minutes=1)) == 0


def test_not_when_switched_off(organiser, online):
    event, _ = online
    update_event(organiser, event, {"send_reminder": False})
    assert reminders.send_due_reminders(event.starts_at - timedelta(hours=12)) == 0
    assert _reminders() == []


def test_not_for_a_cancelled_event(organiser, online):
    from events.services import cancel_event

    event, _ = online
    cancel_event(organiser, event)
    assert reminders.send_due_reminders(event.starts_at - timedelta(hours=1)) == 0
    assert _reminders() == []


def test_again_after_the_event_moved_to_a_later_day(organiser, online):
    event, _ = online
    first_start = event.starts_at
    assert reminders.send_due_reminders(first_start - timedelta(hours=20)) == 3
    later = first_start + timedelta(days=1)
    update_event(
        organiser,
        event,
        {"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=6)).isoformat()},
    )
    _quiet(event)  # the change notices
    # Not at the old time, not before 24 h of the new one, once within them.
    assert reminders.send_due_reminders(first_start - timedelta(hours=1)) == 0
    assert reminders.send_due_reminders(later - timedelta(hours=25)) == 0
    assert reminders.send_due_reminders(later - timedelta(hours=23)) == 3
    assert reminders.send_due_reminders(later - timedelta(hours=2)) == 0
    assert len(_reminders()) == 6


def test_a_move_by_a_few_hours_sends_no_second_reminder(organiser, online):
    event, _ = online
    start = event.starts_at
    assert reminders.send_due_reminders(start - timedelta(hours=20)) == 3
    later = start + timedelta(hours=3)
    update_event(
        organiser,
        event,
        {"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=5)).isoformat()},
    )
    assert reminders.send_due_reminders(later - timedelta(hours=2)) == 0


def test_an_in_person_event_has_the_place_and_no_join_link(make_event):
    event = make_event()
    services.register(event, person(1, language="en"))
    _quiet(event)
    assert reminders.send_due_reminders(event.starts_at - timedelta(hours=12)) == 1
    from tests.participants.helpers import outbox

    [message] = outbox("reminder")
    assert "Stadshuset, Hantverkargatan 1, Stockholm" in message.body_text
    assert "Bring your ticket" in message.body_text
    assert "Join online" not in message.body_text
    assert [a["filename"] for a in message.attachments] == ["ticket-qr.png"]


def test_two_workers_at_once_send_it_once(make_app, online):
    event, _ = online
    now = event.starts_at - timedelta(hours=10)
    worker_app = make_app()
    counts, errors = [], []
    barrier = threading.Barrier(4)

    def work():
        try:
            with worker_app.app_context():
                barrier.wait(timeout=30)
                counts.append(reminders.send_due_reminders(now))
                db.session.remove()
        except Exception as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(counts) == [0, 0, 0, 3]
    assert len(_reminders()) == 3
    db.session.expire_all()
    assert db.session.get(Event, event.id).reminder_sent_at == now


def test_the_api_and_the_form_switch_it(client, auth, signed_in, make_event):
    event = make_event()
    response = client.patch(
        f"/api/v1/events/{event.slug}", json={"send_reminder": False}, headers=auth
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["send_reminder"] is False
    response = client.patch(
        f"/api/v1/events/{event.slug}", json={"send_reminder": "no"}, headers=auth
    )
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Event, event.id).send_reminder is False


def test_the_event_form_shows_and_saves_the_switch(signed_in):
    from tests.events.test_manage import create, event_form, load

    def box(html: str) -> str:
        [tag] = re.findall(r"<input[^>]*name=\"send_reminder\"[^>]*>", html)
        return tag

    assert " checked " in box(signed_in.get("/manage/events/new").get_data(as_text=True))
    event = create(signed_in, send_reminder="y")
    assert event.send_reminder is True
    response = signed_in.post(f"/manage/events/{event.slug}/edit", data=event_form())
    assert response.status_code == 302  # the box left unticked
    assert load(event.slug).send_reminder is False
    html = signed_in.get(f"/manage/events/{event.slug}/edit").get_data(as_text=True)
    assert "Email a reminder to the participants the day before" in html
    assert " checked " not in box(html)
