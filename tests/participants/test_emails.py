"""The registrants' emails: which message, in which language, with which calendar file."""

from __future__ import annotations

import email
import html as htmlib
import threading
from collections import Counter
from datetime import datetime, timedelta
from email import policy
from pathlib import Path

import icalendar
import pytest
import sqlalchemy as sa
import vobject

from core import mail_render
from core.db import db
from core.models import OutboxMessage
from core.outbox_sending import send_due
from events.services import cancel_event, update_event
from participants import emails, services
from participants.emails import registration_uid
from tests.conftest import event_data
from tests.core.smtp import smtp_server
from tests.participants.helpers import Mail, outbox, page_text, person, sessions_for, unfold

JOIN = "https://meet.example/room-42"


def online_event(make_event, **kw):
    return make_event(format="hybrid", online_url=JOIN, **kw)


def calendar(message: Mail):
    """The single calendar attachment, read by vobject (a second parser) and checked by
    icalendar too (a confirmed person's message carries their ticket's QR code besides)."""
    [attachment] = [a for a in message.attachments if a["filename"] == "invite.ics"]
    others = {a["filename"] for a in message.attachments} - {"invite.ics"}
    assert others <= {"ticket-qr.png"}
    text = attachment["data"]
    icalendar.Calendar.from_ical(text)
    return attachment["content_type"], vobject.readOne(text), unfold(text)


def assert_common(message: Mail, registration, language: str) -> None:
    """Text and HTML, the manage link in both, the HTML in the person's language."""
    url = f"http://localhost/r/{registration.token}"
    assert message.recipient == registration.email
    assert registration.event.title in message.subject
    assert url in message.body_text
    assert message.body_html and f'href="{url}"' in message.body_html
    assert f'<html lang="{language}">' in message.body_html
    assert message.body_html.count("<h1") == 1


def test_confirmation_has_the_calendar_invitation_and_the_join_link(make_event):
    event = online_event(make_event)
    registration = services.register(event, person(1, language="fi"))
    [message] = outbox("confirmed")
    assert_common(message, registration, "fi")
    assert JOIN in message.body_text and f'href="{JOIN}"' in message.body_html
    assert "klo " in message.body_text  # the Finnish clock
    content_type, cal, raw = calendar(message)
    assert content_type == "text/calendar; charset=utf-8; method=REQUEST"
    assert cal.method.value == "REQUEST"
    assert cal.vevent.uid.value == registration_uid(registration)
    assert cal.vevent.attendee.value == "mailto:maja1@stockholm.se"
    assert cal.vevent.dtstart.value == event.starts_at
    assert "METHOD:REQUEST" in raw


def test_uids_differ_per_registration(make_event):
    event = make_event()
    services.register(event, person(1))
    services.register(event, person(2))
    uids = {calendar(m)[1].vevent.uid.value for m in outbox("confirmed")}
    assert len(uids) == 2


def test_swedish_registrant_gets_swedish_dates(make_event):
    event = make_event()
    services.register(event, person(1, language="sv"))
    [message] = outbox("confirmed")
    assert "kl. " in message.body_text
    assert '<html lang="sv">' in message.body_html


def test_waitlist_notice_has_the_position_and_no_join_link_or_calendar(make_event):
    event = online_event(make_event, capacity=1)
    services.register(event, person(1))
    services.register(event, person(2, language="en"))
    third = services.register(event, person(3, language="en"))
    message = outbox("waitlisted", third.email)[0]
    assert_common(message, third, "en")
    assert "number 2 in line" in message.body_text
    assert "number 2 in line" in message.body_html
    assert "The event is full" in message.body_text
    assert JOIN not in message.body_text and JOIN not in message.body_html
    assert message.attachments == []


def test_waitlist_notice_for_a_full_session_says_other_sessions_can_be_chosen(make_event):
    start = datetime.fromisoformat(event_data()["starts_at"])
    event = make_event(sessions=sessions_for(start, 1, None))
    first_session = event.sessions[0].id
    services.register(event, person(1, sessions=[first_session]))
    services.register(event, person(2, sessions=[first_session], language="en"))
    [message] = outbox("waitlisted")
    assert "A session you chose is full" in message.body_text
    assert "choose other sessions" in message.body_text
    assert "Pass 1" in message.body_text  # the chosen sessions are listed


def test_promotion_sends_the_invitation_and_the_join_link(make_event):
    event = online_event(make_event, capacity=1)
    first = services.register(event, person(1))
    waiting = services.register(event, person(2, language="en"))
    services.cancel(first)
    [message] = outbox("promoted")
    assert_common(message, waiting, "en")
    assert JOIN in message.body_text
    content_type, cal, _raw = calendar(message)
    assert content_type.endswith("method=REQUEST")
    assert cal.vevent.uid.value == registration_uid(waiting)


def test_cancellation_withdraws_that_registrations_calendar_entry(make_event):
    event = online_event(make_event, capacity=1)
    first = services.register(event, person(1, language="en"))
    invitation = calendar(outbox("confirmed")[0])[1]
    services.cancel(first)
    [message] = outbox("cancelled", first.email)
    assert_common(message, first, "en")
    assert "is cancelled, as you asked" in message.body_text
    assert JOIN not in message.body_text
    content_type, cal, raw = calendar(message)
    assert content_type == "text/calendar; charset=utf-8; method=CANCEL"
    assert cal.method.value == "CANCEL"
    assert cal.vevent.uid.value == invitation.vevent.uid.value
    assert int(cal.vevent.sequence.value) > int(invitation.vevent.sequence.value)
    assert "STATUS:CANCELLED" in raw


def test_cancelling_a_waitlisted_registration_sends_no_calendar(make_event):
    event = make_event(capacity=1)
    services.register(event, person(1))
    waiting = services.register(event, person(2, language="en"))
    services.cancel(waiting, by_organiser=True)
    [message] = outbox("cancelled", waiting.email)
    assert message.attachments == []
    assert "The organisers have cancelled your registration" in message.body_text


def test_a_change_of_time_sends_an_updated_invitation(make_event, organiser):
    event = make_event(capacity=1)
    confirmed = services.register(event, person(1, language="en"))
    waiting = services.register(event, person(2, language="en"))
    first_sequence = int(calendar(outbox("confirmed")[0])[1].vevent.sequence.value)
    later = event.starts_at + timedelta(days=1)
    update_event(
        organiser,
        event,
        {"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=6)).isoformat()},
    )
    [message] = outbox("event_changed", confirmed.email)
    assert_common(message, confirmed, "en")
    assert "has changed" in message.body_text
    content_type, cal, _raw = calendar(message)
    assert content_type.endswith("method=REQUEST")
    assert cal.vevent.uid.value == registration_uid(confirmed)
    assert int(cal.vevent.sequence.value) > first_sequence
    assert cal.vevent.dtstart.value == later
    # The waitlisted person is told too, without a calendar entry they never had.
    [notice] = outbox("event_changed", waiting.email)
    assert notice.attachments == []


def test_a_change_that_is_not_time_or_place_sends_nothing(make_event, organiser):
    event = make_event()
    services.register(event, person(1))
    update_event(organiser, event, {"description": "Ny text."})
    assert outbox("event_changed") == []


def test_the_events_cancellation_cancels_the_calendar_entry(make_event, organiser):
    event = make_event(capacity=1)
    confirmed = services.register(event, person(1, language="en"))
    waiting = services.register(event, person(2, language="en"))
    cancel_event(organiser, event)
    [message] = outbox("event_cancelled", confirmed.email)
    assert_common(message, confirmed, "en")
    assert "is cancelled" in message.body_text
    content_type, cal, raw = calendar(message)
    assert content_type.endswith("method=CANCEL")
    assert cal.method.value == "CANCEL"
    assert cal.vevent.status.value == "CANCELLED"
    assert cal.vevent.uid.value == registration_uid(confirmed)
    [notice] = outbox("event_cancelled", waiting.email)
    assert notice.attachments == []


def test_the_manage_link_sent_again(make_event):
    event = make_event()
    registration = services.register(event, person(1, language="en"))
    with pytest.raises(services.AlreadyRegistered):
        services.register(event, person(1))
    [message] = outbox("manage_link")
    assert_common(message, registration, "en")
    assert "already registered" in message.body_text
    assert message.attachments == []


def test_the_worker_sends_the_confirmation_with_its_calendar_part(app, make_event, tmp_path):
    event = make_event()
    registration = services.register(event, person(1, language="en"))
    assert send_due() >= 1
    [path] = (tmp_path / "instance" / "mail").glob("*-confirmed.eml")
    parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert parsed["To"] == registration.email
    text = parsed.get_body(("plain",)).get_content()
    # The manage link, and the ticket's (the only other link holding the token).
    assert f"http://localhost/r/{registration.token}\r\n" in text
    assert text.count(registration.token) == text.count(f"/r/{registration.token}")
    assert f"http://localhost/r/{registration.token}/ticket\r\n" in text
    assert parsed.get_body(("html",)) is not None
    [ics] = [part for part in parsed.iter_attachments() if part.get_filename() == "invite.ics"]
    assert ics.get_content_type() == "text/calendar"
    assert ics.get_param("method") == "REQUEST"
    content = ics.get_content()
    text = content.decode() if isinstance(content, bytes) else content
    assert vobject.readOne(text).vevent.uid.value == registration_uid(registration)


def test_registering_renders_no_mail(make_event, monkeypatch):
    """The request writes the facts; templates and the calendar file are the worker's."""

    def refuse(*args, **kwargs):
        raise AssertionError("rendered inside the request")

    event = online_event(make_event, capacity=1)
    monkeypatch.setattr(mail_render, "render_template", refuse)
    monkeypatch.setattr(emails, "event_calendar", refuse)
    first = services.register(event, person(1, language="fi"))
    services.register(event, person(2, language="en"))
    services.cancel(first)
    [row] = _rows("confirmed")
    assert row.facts["calendar"]["uid"] == registration_uid(first)
    assert row.facts["event"]["sequence"] == event.sequence
    assert row.facts["join_url"] == JOIN
    assert row.body_text is None and row.subject is None
    [waitlisted] = _rows("waitlisted")
    assert "join_url" not in waitlisted.facts  # only the people who may have it


def _rows(kind):
    """The outbox rows themselves, as queued."""
    query = sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
    return list(db.session.scalars(query))


WORDS = {"sv": "Din anmälan är bekräftad", "en": "Your registration is confirmed", "fi": "klo "}


def test_several_workers_send_each_registration_email_once_in_its_language(
    app, make_app, make_event
):
    """Three worker threads against a real SMTP server: every message arrives once, written
    in its recipient's language, its calendar part read back by vobject with the person's UID
    and the SEQUENCE taken when it was queued; the row keeps what went out."""
    event = make_event(capacity=20)
    languages = ["sv", "en", "fi"]
    people = {}
    for n in range(30):
        registration = services.register(event, person(n, language=languages[n % 3]))
        people[registration.email] = registration
    queued = len(outbox())
    assert queued == 30

    with smtp_server(delay=0.002) as smtp:
        worker_app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, OUTBOX_BATCH_SIZE=3)
        sent = []
        errors = []

        def work():
            try:
                with worker_app.app_context():
                    sent.append(send_due())
                    db.session.remove()
            except Exception as err:  # reported below, not lost in the thread
                errors.append(err)

        threads = [threading.Thread(target=work) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == []
    ids = smtp.outbox_ids()
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    assert len(ids) == queued and sum(sent) == queued

    db.session.rollback()  # end the test's own read, see the workers' writes
    rows = {m.id: m for m in outbox()}
    for received in smtp.received:
        message = received.message
        row = rows[int(message["X-Outbox-Id"])]
        registration = people[received.recipients[0]]
        language = registration.language
        text = _lines(message.get_body(("plain",)).get_content())
        html = _lines(message.get_body(("html",)).get_content())
        assert f'<html lang="{language}">' in html
        assert f"/r/{registration.token}" in text
        # The row keeps exactly what went out.
        assert row.status == "sent"
        assert (_lines(row.body_text), _lines(row.body_html)) == (text, html)
        assert row.subject == message["Subject"]
        if registration.status == "confirmed":
            assert WORDS[language] in text
            [part, qr] = list(message.iter_attachments())
            assert qr.get_content_type() == "image/png"
            assert part.get_param("method") == "REQUEST"
            content = part.get_content()
            ics = content.decode() if isinstance(content, bytes) else content
            cal = vobject.readOne(ics)
            assert cal.vevent.uid.value == registration_uid(registration)
            assert int(cal.vevent.sequence.value) == event.sequence
            assert cal.vevent.dtstart.value == event.starts_at
            assert [a["filename"] for a in row.attachments] == ["invite.ics", "ticket-qr.png"]
        else:
            assert list(message.iter_attachments()) == []


def _lines(text: str) -> str:
    """The text with the line ends SMTP gave it (CRLF) as the row keeps them."""
    return text.replace("\r\n", "\n").rstrip("\n")


def test_the_outbox_page_shows_a_queued_message_as_the_worker_sends_it(
    app, client, admin, make_event
):
    event = make_event()
    registration = services.register(event, person(1, language="fi"))
    [mail] = outbox("confirmed")
    client.post("/login", data={"email": admin.email, "password": "admin-pass"})

    listing = page_text(client.get("/manage/outbox?lang=en"))
    assert f'href="/manage/outbox/{mail.id}"' in listing
    preview = page_text(client.get(f"/manage/outbox/{mail.id}?lang=en"))
    assert "Not sent yet" in preview
    assert mail.subject in preview and registration.token in preview
    assert "invite.ics" in preview and "METHOD:REQUEST" in preview

    assert send_due() >= 1
    [path] = Path(app.config["MAIL_OUTBOX_DIR"]).glob("*-confirmed.eml")
    parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    sent_text = _lines(parsed.get_body(("plain",)).get_content())
    assert sent_text == _lines(mail.body_text)  # the preview was what went out
    after = page_text(client.get(f"/manage/outbox/{mail.id}?lang=en"))
    assert "as it was sent" in after
    assert htmlib.unescape(sent_text.splitlines()[0]) in after
    assert client.get("/manage/outbox/999").status_code == 404
