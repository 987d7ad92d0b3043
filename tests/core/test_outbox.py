"""The email outbox and its worker, against a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import email
import email.policy
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import get_locale
from flask_babel import gettext as _
from jinja2 import ChoiceLoader, FileSystemLoader

from core import mail_render, outbox_sending
from core.auth import create_organiser
from core.db import db, utcnow
from core.i18n import format_day
from core.mail_render import mail_kind
from core.models import OutboxMessage
from core.outbox import queue_email, rendered
from core.outbox_sending import backoff_delay, claim_batch, send_due
from tests.core.smtp import smtp_server
from tests.server import ROOT, free_port

CALENDAR = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\nUID:reg-1@motesplats.example\r\nSUMMARY:Workshop i Göteborg\r\n"
    "DTSTART:20261213T080000Z\r\nDTEND:20261213T140000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.fixture
def mail_app(make_app: Any):
    """Build an app that sends to an SMTP server on 127.0.0.1:port, with its context pushed."""
    contexts = []

    def build(port: int, **config: Any) -> Flask:
        app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, **config)
        context = app.app_context()
        context.push()
        contexts.append(context)
        return app

    yield build
    for context in reversed(contexts):
        context.pop()


def queue(count: int = 1, **overrides: Any) -> list[OutboxMessage]:
    """Queue `count` free-text messages and commit them, as a service would."""
    messages = []
    for n in range(count):
        values: dict[str, Any] = {
            "recipient": f"person{n}@example.se",
            "language": "sv",
            "subject": f"Meddelande {n} – välkommen",
            "body": f"Hej!\n\nDetta är meddelande {n}.",
            "attachments": None,
        }
        values.update(overrides)
        facts = {"subject": values["subject"], "body": values["body"]}
        messages.append(
            queue_email(
                values["recipient"],
                "message",
                values["language"],
                facts,
                attachments=values["attachments"],
            )
        )
    db.session.commit()
    queued = [db.session.get(OutboxMessage, message_id) for message_id in messages]
    db.session.commit()  # ends the read, so later reads see what the workers did
    return queued


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def make_due() -> None:
    """Advance time for the outbox: every queued message is due now."""
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.status == "queued")
        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


# --- queueing -------------------------------------------------------------------------------


def test_queued_email_commits_or_rolls_back_with_the_callers_change(app: Flask) -> None:
    queue_email("a@example.se", "message", "sv", {"subject": "Ämne", "body": "Text"})
    db.session.rollback()
    assert rows() == []

    queue_email("b@example.se", "message", "sv", {"subject": "Ämne", "body": "Text"})
    db.session.commit()
    [row] = rows()
    assert (row.recipient, row.kind, row.language, row.status) == (
        "b@example.se",
        "message",
        "sv",
        "queued",
    )
    # The row holds the facts, not a rendered message: the worker writes it when it sends.
    assert row.facts == {"subject": "Ämne", "body": "Text"}
    assert (row.subject, row.body_text, row.body_html) == (None, None, None)
    content = rendered(row)
    assert content.subject == "Ämne"
    assert "Text" in content.body_text and content.body_html and "Text" in content.body_html
    assert row.next_attempt_at <= utcnow()


def test_queueing_renders_nothing(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """No template, no calendar inside the request: queue_email is an INSERT."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("rendered while queueing")

    monkeypatch.setattr(mail_render, "render_template", refuse)
    monkeypatch.setattr(mail_render, "render_message", refuse)
    queue(3)
    assert [r.status for r in rows()] == ["queued"] * 3


@mail_kind("when")
def _when(kind: str, facts: Any) -> mail_render.MailDraft:
    """A kind of this test's own: a date, written in the recipient's language at send."""
    moment = datetime.fromisoformat(facts["moment"])
    subject = f"{_('Outbox')} {format_day(moment)}"
    return mail_render.MailDraft("when", subject, {"moment": moment})


def test_email_is_rendered_in_the_persons_language(app: Flask, tmp_path: Path) -> None:
    folder = tmp_path / "templates" / "email"
    folder.mkdir(parents=True)
    (folder / "when.txt").write_text("{{ moment|day }}\n")
    (folder / "when.html").write_text(
        '{% extends "email/base.html" %}{% block content %}<p>{{ moment|day }}</p>{% endblock %}'
    )
    app.jinja_env.loader = ChoiceLoader(
        [FileSystemLoader(str(tmp_path / "templates")), app.jinja_env.loader]
    )
    moment = datetime(2026, 12, 13, 9, 0, tzinfo=UTC)
    facts = {"moment": moment.isoformat()}
    expected = {
        "sv": "söndag 13 december 2026",
        "en": "Sunday 13 December 2026",
        "fi": "sunnuntai 13.12.2026",
    }
    outbox = {"sv": "Utkorg", "en": "Outbox", "fi": "Lähtevät viestit"}
    rule = (
        "Finnish dates standing alone use the nominative weekday (sunnuntai), "
        "not the essive (sunnuntaina)"
    )

    # The page is in English; each email follows its recipient's language.
    with app.test_request_context("/?lang=en"):
        assert str(get_locale()) == "en"
        for language, day in expected.items():
            message = rendered(
                db.session.get(OutboxMessage, queue_email("p@example.se", "when", language, facts))
            )
            assert message.body_text.strip() == day, f"{language}: {day!r} ({rule})"
            assert f'<html lang="{language}">' in message.body_html
            assert f"<p>{day}</p>" in message.body_html
            assert message.subject == f"{outbox[language]} {day}"
        assert str(get_locale()) == "en"  # the request's own language is left alone
    db.session.commit()

    # The worker, outside any request, writes each in its own language, with absolute links
    # from PUBLIC_BASE_URL, and keeps what it sent on the row.
    assert send_due() == 3
    for row, (language, day) in zip(rows(), expected.items(), strict=True):
        assert row.status == "sent" and row.language == language
        assert row.body_text.strip() == day, rule
        assert row.subject == f"{outbox[language]} {day}"
        assert 'href="http://localhost/privacy"' in row.body_html
        assert f'<html lang="{language}">' in row.body_html


def test_a_row_queued_already_rendered_is_sent_as_it_is(app: Flask) -> None:
    """Rows queued before the snapshots (no facts) still go out, unchanged."""
    db.session.add(
        OutboxMessage(
            recipient="old@example.se",
            kind="confirmed",
            language="sv",
            subject="Bekräftelse från förr",
            body_text="Redan skriven.",
            body_html="<p>Redan skriven.</p>",
            attachments=[{"filename": "a.ics", "content_type": "text/calendar", "data": CALENDAR}],
        )
    )
    db.session.commit()
    assert send_due() == 1
    [path] = Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml")
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "Bekräftelse från förr"
    assert parsed.get_body(("plain",)).get_content().strip() == "Redan skriven."
    assert [a.get_content() for a in parsed.iter_attachments()] == [CALENDAR]
    [row] = rows()
    assert (row.status, row.subject, row.body_text) == (
        "sent",
        "Bekräftelse från förr",
        "Redan skriven.",
    )


def test_a_snapshot_that_cannot_be_rendered_fails_that_message_not_the_batch(
    mail_app: Any,
) -> None:
    with smtp_server() as smtp:
        mail_app(smtp.port)
        queue(1)
        queue_email("x@example.se", "message", "sv", {"subject": "Ingen text"})  # no body
        queue_email("y@example.se", "no_such_kind", "sv", {})
        queue(1, recipient="last@example.se")
        assert send_due() == 2
    assert sorted(r.recipients[0] for r in smtp.received) == [
        "last@example.se",
        "person0@example.se",
    ]
    first, broken, unknown, last = rows()
    assert (first.status, last.status) == ("sent", "sent")
    for row in (broken, unknown):
        assert (row.status, row.failure_reason, row.attempts) == ("failed", "render", 1)
        assert row.body_text is None
    assert "body" in broken.last_error
    assert "no_such_kind" in unknown.last_error


# --- sending over SMTP ----------------------------------------------------------------------


def test_worker_delivers_subject_text_html_and_calendar_attachment(mail_app: Any) -> None:
    with smtp_server() as smtp:
        mail_app(smtp.port)
        [queued] = queue(
            recipient="kim@example.se",
            subject="Bekräftelse: Workshop i Göteborg",
            body="Du är anmäld.\nVälkommen!",
            attachments=[
                {
                    "filename": "workshop.ics",
                    "content_type": "text/calendar; method=REQUEST",
                    "data": CALENDAR,
                }
            ],
        )
        assert send_due() == 1

    [received] = smtp.received
    message = received.message
    assert received.recipients == ["kim@example.se"]
    assert message["Subject"] == "Bekräftelse: Workshop i Göteborg"
    assert message["To"] == "kim@example.se"
    assert message["X-Outbox-Id"] == str(queued.id)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert "Du är anmäld." in text.get_content()
    assert '<html lang="sv">' in html.get_content()
    assert "Välkommen!" in html.get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    assert attachment.get_filename() == "workshop.ics"
    assert attachment.get_content() == CALENDAR  # UTF-8 survives: "Göteborg"

    [row] = rows()
    assert row.status == "sent" and row.sent_at is not None and row.attempts == 0
    assert row.claimed_until is None and row.last_error is None


def test_a_batch_goes_over_one_smtp_session(mail_app: Any) -> None:
    with smtp_server() as smtp:
        mail_app(smtp.port, OUTBOX_BATCH_SIZE=5)
        queue(5)
        assert send_due() == 5
        assert smtp.sessions == 1
        assert len({r.peer for r in smtp.received}) == 1

        queue(7)  # two batches: 5 + 2
        assert send_due() == 7
        assert smtp.sessions == 3
    assert sorted(smtp.outbox_ids()) == list(range(1, 13))


def test_a_refused_recipient_does_not_stop_the_rest_of_the_batch(mail_app: Any) -> None:
    with smtp_server(refuse={"person1@example.se"}) as smtp:
        mail_app(smtp.port)
        queue(3)
        assert send_due() == 2
        assert smtp.sessions == 1
    assert [r.recipients for r in smtp.received] == [["person0@example.se"], ["person2@example.se"]]
    first, refused, third = rows()
    assert (first.status, third.status) == ("sent", "sent")
    assert refused.status == "queued" and refused.attempts == 1
    assert "550" in refused.last_error and "No such user" in refused.last_error
    assert refused.next_attempt_at > refused.created_at


def test_server_down_loses_nothing_and_delivers_exactly_once_when_it_returns(
    mail_app: Any,
) -> None:
    port = free_port()  # nothing listens here yet
    mail_app(port, OUTBOX_BACKOFF_BASE=30, OUTBOX_BACKOFF_CAP=3600)
    queue(3)
    before = utcnow()
    assert send_due() == 0
    after = utcnow()
    for row in rows():
        assert row.status == "queued" and row.attempts == 1
        assert "ConnectionRefusedError" in row.last_error
        assert row.claimed_until is None
        # First retry: full jitter within the first backoff step (base = 30 s).
        assert before <= row.next_attempt_at <= after + timedelta(seconds=30)

    with smtp_server(port=port) as smtp:
        assert send_due() == 0  # not due yet: the backoff holds
        assert smtp.received == []
        make_due()
        assert send_due() == 3
        assert send_due() == 0
        make_due()
        assert send_due() == 0
    assert sorted(smtp.outbox_ids()) == [1, 2, 3]
    assert all(r.status == "sent" and r.attempts == 1 for r in rows())
    assert smtp.sessions == 1


def test_backoff_grows_exponentially_up_to_the_cap_with_full_jitter(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config.update(OUTBOX_BACKOFF_BASE=30, OUTBOX_BACKOFF_CAP=3600)
    monkeypatch.setattr(outbox_sending.random, "uniform", lambda low, high: high)
    assert [backoff_delay(n) for n in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]
    monkeypatch.setattr(outbox_sending.random, "uniform", lambda low, high: low)
    assert backoff_delay(5) == 0
    monkeypatch.undo()
    delays = [backoff_delay(3) for _ in range(200)]
    assert all(0 <= d <= 120 for d in delays)
    assert len(set(delays)) > 100  # jittered, not a fixed step


def test_message_fails_after_max_attempts_and_keeps_its_error(mail_app: Any) -> None:
    mail_app(free_port(), OUTBOX_MAX_ATTEMPTS=3)
    queue(1)
    for attempt in (1, 2, 3):
        make_due()
        assert send_due() == 0
        [row] = rows()
        assert row.attempts == attempt
    assert row.status == "failed"
    assert "ConnectionRefusedError" in row.last_error
    make_due()
    send_due()
    [row] = rows()
    assert (row.status, row.attempts) == ("failed", 3)  # no longer tried


def test_an_expired_lease_is_taken_over_and_the_old_claim_cannot_write(mail_app: Any) -> None:
    with smtp_server() as smtp:
        mail_app(smtp.port)
        queue(1)
        first_lease, [claimed] = claim_batch(10)
        assert claim_batch(10)[1] == []  # held by the first worker
        assert send_due() == 0

        # The first worker stalls past its lease; another takes the message over and sends it.
        db.session.execute(
            sa.update(OutboxMessage).values(claimed_until=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        assert send_due() == 1
        # The stalled worker wakes up: its claim is gone, so it changes nothing.
        assert outbox_sending._mark_sent(claimed, first_lease) is False
        outbox_sending._record_failure(claimed, first_lease, "late error")
    [row] = rows()
    assert (row.status, row.attempts, row.last_error) == ("sent", 0, None)
    assert smtp.outbox_ids() == [1]


# --- without a mail server ------------------------------------------------------------------


def test_without_mail_server_messages_become_eml_files(app: Flask) -> None:
    queue(2, attachments=[{"filename": "a.ics", "content_type": "text/calendar", "data": CALENDAR}])
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "Sent 2 messages" in result.output

    files = sorted(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))
    assert [f.name for f in files] == ["00000001-message.eml", "00000002-message.eml"]
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "Meddelande 0 – välkommen"
    assert parsed["X-Outbox-Id"] == "1"
    assert "Detta är meddelande 0." in parsed.get_body(("plain",)).get_content()
    assert [a.get_filename() for a in parsed.iter_attachments()] == ["a.ics"]
    assert all(r.status == "sent" for r in rows())
    assert app.test_cli_runner().invoke(args=["worker", "--once"]).output.startswith("Sent 0")


def test_a_mail_server_that_never_answers_does_not_stall_the_worker(mail_app: Any) -> None:
    """A server that accepts the connection and then says nothing: the worker gives up after
    MAIL_TIMEOUT, keeps the message for a later attempt, and goes on."""
    import socket as sockets

    listener = sockets.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    app = mail_app(listener.getsockname()[1], MAIL_TIMEOUT=1)
    queue(1)
    try:
        started = time.monotonic()
        result = app.test_cli_runner().invoke(args=["worker", "--once"])
        assert result.exit_code == 0, result.output
        assert time.monotonic() - started < 10
    finally:
        sockets.setdefaulttimeout(None)
        listener.close()
    [message] = rows()
    assert message.status == "queued" and message.attempts == 1
    assert "timed out" in (message.last_error or "").lower()


# --- the organiser page ---------------------------------------------------------------------


def test_outbox_page_shows_counts_and_retry_sends_a_failed_message(mail_app: Any) -> None:
    port = free_port()
    app = mail_app(port, OUTBOX_MAX_ATTEMPTS=1)
    create_organiser("admin@example.se", "Ada Admin", "admin-pass", admin=True)
    queue(1, recipient="failing@example.se", subject="Ska misslyckas")
    send_due()  # the server is down: one attempt, then failed
    queue(1, recipient="waiting@example.se", subject="Väntar")

    client = app.test_client()
    client.post("/login", data={"email": "admin@example.se", "password": "admin-pass"})
    page = client.get("/manage/outbox", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "failing@example.se" in html and "ConnectionRefusedError" in html
    assert (
        '<th scope="row" class="govuk-table__header">Failed</th>'
        '<td class="govuk-table__cell" data-label="Messages">1</td>' in html
    )
    assert (
        '<th scope="row" class="govuk-table__header">Queued</th>'
        '<td class="govuk-table__cell" data-label="Messages">1</td>' in html
    )
    assert 'name="csrf_token"' in html

    only_failed = client.get("/manage/outbox?status=failed").get_data(as_text=True)
    assert "failing@example.se" in only_failed and "waiting@example.se" not in only_failed

    failed_id = rows()[0].id
    response = client.post(f"/manage/outbox/{failed_id}/retry", data={"status": "failed"})
    assert response.status_code == 302
    row = rows()[0]
    assert (row.status, row.attempts) == ("queued", 0)
    assert row.next_attempt_at <= utcnow()

    with smtp_server(port=port) as smtp:
        assert send_due() == 2
    assert sorted(r.recipients[0] for r in smtp.received) == [
        "failing@example.se",
        "waiting@example.se",
    ]

    # A sent message cannot be "retried" into a second copy.
    client.post(f"/manage/outbox/{failed_id}/retry")
    assert rows()[0].status == "sent"


def test_outbox_page_is_for_administrators(app: Flask, client: Any, organiser: Any) -> None:
    assert client.get("/manage/outbox").status_code == 302  # to the sign-in page
    client.post(
        "/login", data={"email": "anna@upphandlingsmyndigheten.se", "password": "secret-pass"}
    )
    assert client.get("/manage/outbox").status_code == 403
    queue(1)
    db.session.execute(sa.update(OutboxMessage).values(status="failed"))
    db.session.commit()
    assert client.post("/manage/outbox/1/retry").status_code == 403
    assert rows()[0].status == "failed"


# --- several workers ------------------------------------------------------------------------


def _worker_env(database_url: str, port: int, **extra: str) -> dict[str, str]:
    env = os.environ.copy()
    env.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "worker-test",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(port),
            "PUBLIC_BASE_URL": "http://localhost",
        }
    )
    env.update(extra)
    return env


def test_two_worker_processes_send_each_message_exactly_once(
    mail_app: Any, database_url: str
) -> None:
    with smtp_server(delay=0.002) as smtp:
        mail_app(smtp.port)
        queue(200)
        env = _worker_env(database_url, smtp.port, OUTBOX_BATCH_SIZE="4")
        command = [sys.executable, "-m", "flask", "--app", "app", "worker", "--once"]
        workers = [
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
            for _ in range(3)
        ]
        outputs = [w.communicate(timeout=120)[0] for w in workers]
    assert [w.returncode for w in workers] == [0] * len(workers), outputs

    ids = smtp.outbox_ids()
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert duplicates == []
    assert sorted(ids) == list(range(1, 201))
    assert all(r.status == "sent" for r in rows())
    sent_by_each = [int(out.split()[1]) for out in outputs]
    assert sum(sent_by_each) == 200
    assert all(n > 0 for n in sent_by_each), outputs  # both really worked at the same time


def test_worker_loop_sends_new_mail_and_stops_on_sigterm(mail_app: Any, database_url: str) -> None:
    with smtp_server() as smtp:
        mail_app(smtp.port)
        env = _worker_env(database_url, smtp.port)
        command = [sys.executable, "-m", "flask", "--app", "app", "worker", "--interval", "0.2"]
        worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        try:
            queue(2)
            deadline = time.monotonic() + 30
            while len(smtp.received) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            worker.send_signal(signal.SIGTERM)
            output = worker.communicate(timeout=30)[0]
    assert worker.returncode == 0, output
    assert sorted(smtp.outbox_ids()) == [1, 2]
    assert all(r.status == "sent" for r in rows())
