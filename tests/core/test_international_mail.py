"""Mail to every address people have: å, ä and ö in the domain (IDNA) and before the @
(SMTPUTF8), against a real SMTP server (aiosmtpd) that offers SMTPUTF8 or does not."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request_started

from core.auth import create_organiser
from core.db import db
from core.models import OutboxMessage
from core.outbox_sending import send_due
from tests.conftest import _fresh_request_globals
from tests.core.smtp import smtp_server
from tests.core.test_outbox import CALENDAR, mail_app, make_due, queue, rows

__all__ = ["mail_app"]  # the fixture, from the outbox tests

INTERNATIONAL = "åsa.öberg@exempel.se"


def _calendar() -> list[dict[str, str]]:
    return [
        {
            "filename": "invite.ics",
            "content_type": "text/calendar; charset=utf-8; method=REQUEST",
            "data": CALENDAR.replace("UID:", f"ATTENDEE:mailto:{INTERNATIONAL}\r\nUID:"),
        }
    ]


@pytest.mark.parametrize("smtputf8", [False, True])
def test_a_domain_with_a_ring_or_dots_is_sent_in_idna(mail_app: Any, smtputf8: bool) -> None:
    with smtp_server(smtputf8=smtputf8) as smtp:
        mail_app(smtp.port)
        queue(1, recipient="anna@malmö.se", subject="Välkommen till Malmö")
        assert send_due() == 1
    [received] = smtp.received
    assert received.recipients == ["anna@xn--malm-8qa.se"]
    assert "SMTPUTF8" not in received.mail_options  # every server takes it
    assert received.content.isascii()
    message = received.message
    assert message["To"] == "anna@xn--malm-8qa.se"
    assert message["From"] == "Mötesplats <noreply@motesplats.example>"
    assert message["Subject"] == "Välkommen till Malmö"
    assert "Detta är meddelande 0." in message.get_body(("plain",)).get_content()
    [row] = rows()
    assert (row.status, row.last_error, row.failure_reason) == ("sent", None, None)


@pytest.mark.parametrize("recipient", [INTERNATIONAL, "åsa@malmö.se"])
def test_a_local_part_with_a_ring_or_dots_is_sent_with_smtputf8(
    mail_app: Any, recipient: str
) -> None:
    with smtp_server(smtputf8=True) as smtp:
        mail_app(smtp.port)
        [queued] = queue(
            1, recipient=recipient, subject="Bekräftelse: Workshop", attachments=_calendar()
        )
        assert send_due() == 1
    [received] = smtp.received
    assert received.recipients == [recipient.replace("malmö.se", "xn--malm-8qa.se")]
    assert "SMTPUTF8" in received.mail_options
    assert received.sender == "noreply@motesplats.example"
    message = received.message
    assert message["To"] == recipient  # in UTF-8, as RFC 6532 lets it be
    assert message["Subject"] == "Bekräftelse: Workshop"
    assert message["X-Outbox-Id"] == str(queued.id)
    assert "Detta är meddelande 0." in message.get_body(("plain",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_param("method") == "REQUEST"
    assert f"mailto:{INTERNATIONAL}" in attachment.get_content()
    assert rows()[0].status == "sent"


def test_without_smtputf8_the_message_fails_at_once_and_the_batch_goes_on(
    mail_app: Any,
) -> None:
    with smtp_server(smtputf8=False) as smtp:
        mail_app(smtp.port, OUTBOX_MAX_ATTEMPTS=8)
        queue(1, recipient="kim@example.se")
        queue(1, recipient=INTERNATIONAL)
        queue(1, recipient="anna@malmö.se")
        assert send_due() == 2
        assert smtp.sessions == 1  # the refusal did not break the session
        for _ in range(3):  # and it is not tried again
            make_due()
            assert send_due() == 0
    assert [r.recipients for r in smtp.received] == [["kim@example.se"], ["anna@xn--malm-8qa.se"]]
    first, international, third = rows()
    assert (first.status, third.status) == ("sent", "sent")
    assert (international.status, international.attempts) == ("failed", 1)
    assert international.failure_reason == "smtputf8"
    assert "SMTPUTF8" in international.last_error


def test_the_outbox_page_shows_why_and_a_retry_goes_out_once_the_server_can(
    mail_app: Any,
) -> None:
    with smtp_server(smtputf8=False) as smtp:
        app = mail_app(smtp.port)
        request_started.connect(_fresh_request_globals, app)  # each page its own language
        queue(1, recipient=INTERNATIONAL)
        send_due()

    create_organiser("admin@example.se", "Ada Admin", "admin-pass", admin=True)
    client = app.test_client()
    client.post("/login", data={"email": "admin@example.se", "password": "admin-pass"})
    english = client.get("/manage/outbox?lang=en").get_data(as_text=True)
    assert INTERNATIONAL in english
    assert "The mail server does not accept international addresses (SMTPUTF8)" in english
    swedish = client.get("/manage/outbox?lang=sv").get_data(as_text=True)
    assert "E-postservern tar inte emot internationella adresser (SMTPUTF8)" in swedish
    finnish = client.get("/manage/outbox?lang=fi").get_data(as_text=True)
    assert "Sähköpostipalvelin ei hyväksy kansainvälisiä osoitteita (SMTPUTF8)" in finnish

    [failed] = rows()
    assert client.post(f"/manage/outbox/{failed.id}/retry").status_code == 302
    assert rows()[0].failure_reason is None
    with smtp_server(port=smtp.port, smtputf8=True) as fixed:
        assert send_due() == 1
    assert [r.recipients for r in fixed.received] == [[INTERNATIONAL]]
    assert rows()[0].status == "sent"


def test_an_address_no_server_can_take_fails_at_once(mail_app: Any) -> None:
    with smtp_server(smtputf8=True) as smtp:
        mail_app(smtp.port)
        queue(1, recipient="anna@ä..se")  # an empty label: no IDNA form
        queue(1, recipient="kim@example.se")
        assert send_due() == 1
    broken, sent = rows()
    assert (broken.status, broken.attempts, broken.failure_reason) == ("failed", 1, "address")
    assert sent.status == "sent"


def test_eml_files_carry_international_addresses(app: Flask) -> None:
    queue(1, recipient=INTERNATIONAL, attachments=_calendar())
    queue(1, recipient="anna@malmö.se")
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "Sent 2 messages" in result.output

    first, second = sorted(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))
    parse = email.policy.default
    international = email.message_from_bytes(first.read_bytes(), policy=parse)
    assert international["To"] == INTERNATIONAL
    assert international["Subject"] == "Meddelande 0 – välkommen"
    assert [a.get_filename() for a in international.iter_attachments()] == ["invite.ics"]
    assert second.read_bytes().isascii()
    assert email.message_from_bytes(second.read_bytes(), policy=parse)["To"] == (
        "anna@xn--malm-8qa.se"
    )
    assert [r.status for r in rows()] == ["sent", "sent"]
    assert db.session.query(OutboxMessage).filter_by(status="failed").count() == 0
