"""A survey invitation carries List-Unsubscribe with one-click POST (RFC 8058): the mail
program's POST, with no cookie and no form token, stops the reminders; any other POST to the
page still needs the form's token."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.db import db
from surveys.models import SurveyInvitation
from tests.surveys.helpers import build_survey
from tests.surveys.test_invitations import Mailbox, _people, _round, _token

pytestmark = pytest.mark.real_smtp(WTF_CSRF_ENABLED=True)


def test_the_mail_programs_one_click_stops_the_reminders(client, smtp, make_event):
    event = make_event()
    who = _people(event, 1)[0]
    survey = build_survey(event)
    box = Mailbox(smtp)
    _round(box, survey.send_at)
    message = smtp.received[-1].message
    link = str(message["List-Unsubscribe"]).strip()
    token = _token(who.email)

    assert link == f"<http://localhost/s/{token}/opt-out>"
    assert str(message["List-Unsubscribe-Post"]).strip() == "List-Unsubscribe=One-Click"

    forged = client.post(f"/s/{token}/opt-out", data={})  # a page's POST without its token
    assert forged.status_code == 400
    one_click = client.post(
        link.strip("<>").removeprefix("http://localhost"),
        data={"List-Unsubscribe": "One-Click"},
    )
    assert one_click.status_code == 204
    invitation = db.session.scalar(
        sa.select(SurveyInvitation).where(SurveyInvitation.email == who.email)
    )
    assert invitation.opted_out_at is not None
    assert (
        client.post("/s/not-a-token/opt-out", data={"List-Unsubscribe": "One-Click"}).status_code
        == 404
    )
