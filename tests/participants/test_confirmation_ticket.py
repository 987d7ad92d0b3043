"""The confirmation carries the ticket: its QR code (the check-in link the ticket page
encodes) as a PNG part, a link to the ticket page and a "what happens next" section, in the
recipient's language, as received by a real SMTP server. Old rows without these facts still
render."""

from __future__ import annotations

import io

import pytest
import segno
from PIL import Image

from core.db import db
from core.models import OutboxMessage
from core.outbox_sending import send_due
from participants import services
from tests.participants.helpers import outbox, person

JOIN = "https://meet.example/room-42"

NEXT = {
    "sv": ("Vad händer nu", "Du får en påminnelse via mejl dagen före evenemanget."),
    "fi": ("Mitä seuraavaksi tapahtuu", "Saat muistutuksen sähköpostitse tapahtumaa"),
    "en": ("What happens next", "You will get a reminder by email the day before the event."),
}


pytestmark = pytest.mark.real_smtp


def _qr_png(checkin_url: str) -> bytes:
    out = io.BytesIO()
    segno.make_qr(checkin_url, error="m").save(out, kind="png", scale=8, border=4)
    return out.getvalue()


@pytest.mark.parametrize("language", ["sv", "fi", "en"])
def test_the_confirmation_received_has_the_ticket_qr_and_what_happens_next(
    smtp, make_event, language
):
    event = make_event(format="hybrid", online_url=JOIN)
    registration = services.register(event, person(1, language=language))
    assert send_due() == 1
    [received] = smtp.received
    message = received.message
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    heading, reminder = NEXT[language]
    for body in (text, html):
        assert heading in body and reminder in body
        assert JOIN in body
    ticket = f"http://localhost/r/{registration.token}/ticket"
    assert ticket in text and f'href="{ticket}"' in html
    manage = f"http://localhost/r/{registration.token}"
    assert f'href="{manage}"' in html
    [qr] = [p for p in message.iter_attachments() if p.get_content_type() == "image/png"]
    assert qr.get_filename() == "ticket-qr.png"
    png = qr.get_content()
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size[0] == image.size[1] >= 200
    # The same code as the ticket page: the check-in link of this registration.
    assert png == _qr_png(f"http://localhost/manage/checkin/{registration.token}")


def test_a_waitlisted_person_gets_no_ticket(smtp, make_event):
    event = make_event(capacity=1)
    services.register(event, person(1, language="en"))
    services.register(event, person(2, language="en"))
    assert send_due() == 2
    waiting = next(r for r in smtp.received if r.recipients == ["maja2@stockholm.se"])
    assert list(waiting.message.iter_attachments()) == []
    assert "/ticket" not in waiting.message.get_body(("plain",)).get_content()


def test_no_reminder_promised_when_the_organiser_switched_it_off(make_event):
    event = make_event(send_reminder=False)
    services.register(event, person(1, language="en"))
    [message] = outbox("confirmed")
    assert "What happens next" in message.body_text
    assert "reminder" not in message.body_text
    assert "Bring your ticket" in message.body_text


def test_an_online_event_says_how_to_join_and_not_to_bring_a_ticket(make_event):
    event = make_event(format="online", online_url=JOIN, venue=None)
    services.register(event, person(1, language="en"))
    [message] = outbox("confirmed")
    assert "open the join link above" in message.body_text
    assert "Bring your ticket" not in message.body_text


def test_an_old_row_without_the_ticket_facts_still_renders(make_event):
    event = make_event()
    services.register(event, person(1, language="sv"))
    row = db.session.query(OutboxMessage).one()
    facts = dict(row.facts)
    for key in ("ticket_url", "checkin_url", "reminder"):
        facts.pop(key)
    row.facts = facts
    db.session.commit()
    [message] = outbox("confirmed")
    assert "Vad händer nu" in message.body_text
    assert "/ticket" not in message.body_text
    assert [a["filename"] for a in message.attachments] == ["invite.ics"]
