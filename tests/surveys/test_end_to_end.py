"""The whole chain as the people in it live it: an organiser starts a feedback survey from the
built-in template, the worker invites the attendees the day after the event (a real SMTP
server receives it), a Finnish attendee follows the link in the email and answers in Finnish,
the results count that answer, and the reminder a week later goes only to the one who did
not answer."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.db import db
from core.models import OutboxMessage
from core.outbox_sending import send_due
from surveys import invitations
from surveys.results import survey_results
from surveys.services import create_survey
from tests.surveys.helpers import attendees

pytestmark = pytest.mark.real_smtp


def _received(smtp, start: int) -> dict[str, str]:
    return {
        r.recipients[0]: r.message.get_body(("plain",)).get_content() for r in smtp.received[start:]
    }


def test_invited_by_email_answered_in_finnish_counted_and_not_reminded(
    client, smtp, organiser, make_event
):
    event = make_event()
    finn, swede = attendees(event, 2)
    finn.language = "fi"
    db.session.execute(sa.update(OutboxMessage).values(status="sent"))  # the confirmations
    db.session.commit()
    survey = create_survey(organiser, {"template": "feedback", "event": event.slug})
    assert survey.send_at == event.ends_at + timedelta(days=1)

    invitations.send_due_invitations(now=survey.send_at - timedelta(minutes=1))
    send_due()
    assert smtp.received == []
    invitations.send_due_invitations(now=survey.send_at)
    send_due()
    mail = _received(smtp, 0)
    assert sorted(mail) == sorted([finn.email, swede.email])

    link = re.search(r"https?://\S+/s/[\w-]+(?=\s)", mail[finn.email]).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'lang="fi"' in html
    useful = next(q for q in survey.questions if q.code == "useful")
    answered = client.post("/" + path, data={f"q-{useful.id}": "5", "action": "submit"})
    assert answered.status_code == 302
    assert "/thanks" in answered.headers["Location"]

    results = survey_results(survey, {})
    assert results.responses is None and results.suppressed  # one response: "fewer than 5"
    figures = next(q for q in results.questions if q.code == "useful")
    assert figures.suppressed  # an anonymous survey with fewer than 5 answers
    again = client.get("/" + path).get_data(as_text=True)
    assert "<form" not in again.split("<main", 1)[1]

    seen = len(smtp.received)
    invitations.send_due_invitations(
        now=survey.send_at + timedelta(days=survey.reminder_every_days)
    )
    send_due()
    assert list(_received(smtp, seen)) == [swede.email]
