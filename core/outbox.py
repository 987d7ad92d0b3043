"""The email outbox: rows written in the caller's transaction, sent by the worker after commit.

A service calls `queue_email(...)` beside the change that causes the email; the row commits or
rolls back with that change (pretix's OutgoingMail pattern). The worker (`flask --app app
worker`) then sends what is due:

1. claim a batch in a short transaction: due rows (queued and `next_attempt_at` passed, or
   `sending` with an expired lease) are locked (`FOR UPDATE SKIP LOCKED` on PostgreSQL,
   `BEGIN IMMEDIATE` on SQLite), marked `sending` with a lease in `claimed_until`, committed;
2. send the batch over one SMTP connection (Flask-Mail), or write `.eml` files when no
   MAIL_SERVER is configured;
3. mark each message `sent`, or count the attempt, keep the error and reschedule it with
   exponential backoff and full jitter; `failed` after OUTBOX_MAX_ATTEMPTS. A message that
   can never go out as it is (PERMANENT_FAILURES) is `failed` at once, with its reason.

Addresses: the SMTP envelope carries the domain in IDNA (anna@xn--malm-8qa.se), which every
server takes. A local part outside ASCII (åsa.öberg@…) is sent with SMTPUTF8 (RFC 6531: the
envelope and the headers in UTF-8) when the server offers it; when it does not, no retry can
help, so the message fails at once ("smtputf8") and the rest of the batch goes on.

The lease value doubles as the claim's identity: a worker only sends a message while its own
lease is still running, and only updates rows whose `claimed_until` still equals the lease it
wrote, so a slow worker can never overwrite (or duplicate) the work of the worker that took
over after its lease ran out.
"""

from __future__ import annotations

import base64
import email.policy
import logging
import random
import signal
import smtplib
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from types import FrameType
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app, render_template
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from jinja2 import TemplateNotFound

from core.addresses import UnsendableAddress, needs_smtputf8, smtp_address
from core.db import checkpoint_wal, db, utcnow, write_transaction
from core.extensions import mail
from core.models import OutboxMessage

log = logging.getLogger(__name__)

# How long a claimed batch belongs to one worker. Longer than any batch takes to send; a
# worker that dies mid-batch leaves its messages to be taken over once it has run out.
DEFAULT_LEASE_SECONDS = 300
# A worker stops sending from a batch this long before its lease ends.
LEASE_MARGIN = timedelta(seconds=30)
# Errors kept on a row are cut to this length.
MAX_ERROR_LENGTH = 2000

# Why a message failed for good, at its first attempt (OutboxMessage.failure_reason); the
# outbox page shows the text, `last_error` keeps the server's or library's own words.
PERMANENT_FAILURES = {
    "smtputf8": _l(
        "The mail server does not accept international addresses (SMTPUTF8), and this "
        "address has letters other than a–z before the @. Turn on SMTPUTF8 on the mail "
        "server, then retry the message."
    ),
    "address": _l("No mail server can take this address (its domain is not valid)."),
}


class PermanentFailure(Exception):
    """Sending this message can never succeed as it is: fail it now, do not retry."""

    def __init__(self, reason: str, error: str) -> None:
        super().__init__(error)
        self.reason = reason  # a key of PERMANENT_FAILURES
        self.error = error


# --- queueing -------------------------------------------------------------------------------


def _attachment_row(attachment: dict[str, Any]) -> dict[str, str]:
    """{"filename", "content_type", "data"}: str data is kept as text, bytes as base64."""
    try:
        filename = str(attachment["filename"])
        content_type = str(attachment["content_type"])
        data = attachment["data"]
    except KeyError as err:
        raise ValueError(f"an attachment needs filename, content_type and data: {err}") from err
    if isinstance(data, bytes):
        return {
            "filename": filename,
            "content_type": content_type,
            "data": base64.b64encode(data).decode("ascii"),
            "encoding": "base64",
        }
    if not isinstance(data, str):
        raise ValueError("attachment data must be str or bytes")
    return {"filename": filename, "content_type": content_type, "data": data}


def render_email(
    template: str, language: str, subject: Any, **context: Any
) -> tuple[str, str, str | None]:
    """(subject, text, html) of templates/email/<template>.txt/.html in the given language.

    Works inside a request and outside one (the worker, the CLI): links in the templates use
    `external_url()`, which is a template global here.
    """
    languages = current_app.config["LANGUAGES"]
    if language not in languages:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(language):
        subject_text = " ".join(str(subject).split())  # a header: one line
        values = dict(context, language=language, subject=subject_text)
        text = render_template(f"email/{template}.txt", **values)
        try:
            html: str | None = render_template(f"email/{template}.html", **values)
        except TemplateNotFound:
            html = None
    return subject_text, text, html


def queue_email(
    recipient: str,
    template: str,
    language: str,
    subject: Any,
    attachments: list[dict[str, Any]] | None = None,
    **context: Any,
) -> OutboxMessage:
    """Render an email in the person's language and add it to the outbox, WITHOUT committing:
    it is sent only if the caller's transaction commits.

    `subject` may be a lazy_gettext string; it is translated in `language`. `attachments` are
    dicts {"filename", "content_type", "data"}; calendar files are given as
    `text/calendar; method=REQUEST` (or CANCEL) with str data.
    """
    subject_text, text, html = render_email(template, language, subject, **context)
    message = OutboxMessage(
        recipient=recipient.strip(),
        subject=subject_text[:300],
        body_text=text,
        body_html=html,
        attachments=[_attachment_row(a) for a in attachments or []],
        kind=template[:40],
        status="queued",
        attempts=0,
        next_attempt_at=utcnow(),
    )
    db.session.add(message)
    return message


# --- claiming -------------------------------------------------------------------------------


@dataclass
class _Claimed:
    """What a worker needs to send one message, detached from the session."""

    id: int
    recipient: str
    subject: str
    body_text: str
    body_html: str | None
    attachments: list[dict[str, str]]
    kind: str
    attempts: int
    created_at: datetime


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now),
        sa.and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now),
    )


def _lease_length() -> timedelta:
    return timedelta(seconds=current_app.config.get("OUTBOX_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))


def claim_batch(limit: int, due_at: datetime | None = None) -> tuple[datetime, list[_Claimed]]:
    """Take up to `limit` due messages for this worker: (the lease, the messages).

    Messages due at `due_at` (default: now) are taken; no two workers ever hold the same row.
    """
    now = utcnow()
    due_at = due_at or now
    lease = now + _lease_length()
    with write_transaction():
        query = (
            sa.select(OutboxMessage)
            .where(_due(due_at))
            .order_by(OutboxMessage.id)
            .limit(limit)
            .execution_options(populate_existing=True)
        )
        if db.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = db.session.scalars(query).all()
        claimed = []
        for row in rows:
            row.status = "sending"
            row.claimed_until = lease
            claimed.append(
                _Claimed(
                    id=row.id,
                    recipient=row.recipient,
                    subject=row.subject,
                    body_text=row.body_text,
                    body_html=row.body_html,
                    attachments=list(row.attachments or []),
                    kind=row.kind,
                    attempts=row.attempts,
                    created_at=row.created_at,
                )
            )
        db.session.commit()
    return lease, claimed


def _update_claimed(message_id: int, lease: datetime, **values: Any) -> bool:
    """Update a row only while this worker's claim on it stands; True when it did."""
    with write_transaction():
        result = db.session.execute(
            sa.update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == "sending",
                OutboxMessage.claimed_until == lease,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    return result.rowcount == 1


def backoff_delay(attempts: int) -> float:
    """Seconds until the next try after `attempts` failed ones: full jitter,
    uniform(0, min(cap, base * 2**(attempts - 1)))."""
    base = float(current_app.config["OUTBOX_BACKOFF_BASE"])
    cap = float(current_app.config["OUTBOX_BACKOFF_CAP"])
    exponent = min(max(attempts - 1, 0), 32)
    return random.uniform(0, min(cap, base * 2**exponent))


def _mark_sent(message: _Claimed, lease: datetime) -> bool:
    return _update_claimed(
        message.id,
        lease,
        status="sent",
        sent_at=utcnow(),
        claimed_until=None,
        last_error=None,
        failure_reason=None,
    )


def _record_failure(message: _Claimed, lease: datetime, error: str) -> None:
    attempts = message.attempts + 1
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_error": error[:MAX_ERROR_LENGTH],
        "claimed_until": None,
    }
    if attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        values["status"] = "failed"
        log.error("outbox message %s failed after %s attempts: %s", message.id, attempts, error)
    else:
        values["status"] = "queued"
        values["next_attempt_at"] = utcnow() + timedelta(seconds=backoff_delay(attempts))
        log.warning("outbox message %s attempt %s failed: %s", message.id, attempts, error)
    _update_claimed(message.id, lease, **values)


def _record_permanent_failure(
    message: _Claimed, lease: datetime, failure: PermanentFailure
) -> None:
    """Failed at once, never retried by the worker (an administrator may retry it by hand)."""
    log.error("outbox message %s cannot be sent (%s): %s", message.id, failure.reason, failure)
    _update_claimed(
        message.id,
        lease,
        status="failed",
        attempts=message.attempts + 1,
        last_error=failure.error[:MAX_ERROR_LENGTH],
        failure_reason=failure.reason,
        claimed_until=None,
    )


def _release(message: _Claimed, lease: datetime) -> None:
    """Give a message back untried (its attempt not counted), due at once."""
    _update_claimed(
        message.id, lease, status="queued", claimed_until=None, next_attempt_at=utcnow()
    )


# --- sending --------------------------------------------------------------------------------


def _sender() -> tuple[str, str]:
    """MAIL_DEFAULT_SENDER as (display name, address): "Name <address>", a tuple or an address."""
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "noreply@motesplats.example"
    if isinstance(sender, tuple | list):
        return str(sender[0]), str(sender[-1])
    name, address = parseaddr(sender)
    return name, address or "noreply@motesplats.example"


@dataclass
class OutgoingMail:
    """One outbox row as an email, with its SMTP envelope."""

    mail: EmailMessage
    sender: str  # MAIL FROM
    recipient: str  # RCPT TO: the domain in IDNA
    international: bool  # the envelope needs SMTPUTF8

    def as_bytes(self) -> bytes:
        """The message as it goes out: headers in UTF-8 (RFC 6532) only when international."""
        if self.international:
            return self.mail.as_bytes(policy=self.mail.policy.clone(utf8=True))
        return self.mail.as_bytes()


def _content_type(value: str) -> tuple[str, str, dict[str, str]]:
    header = email.policy.default.header_factory("content-type", value)
    return header.maintype, header.subtype, dict(header.params)


def build_message(message: _Claimed) -> OutgoingMail:
    """The email: text and HTML alternatives, then the attachments; PermanentFailure when the
    address has no form a mail server could take."""
    try:
        recipient = smtp_address(message.recipient)
        international = needs_smtputf8(message.recipient)
        name, sender_address = _sender()
        sender = smtp_address(sender_address)
    except UnsendableAddress as err:
        raise PermanentFailure("address", f"UnsendableAddress: {err}") from err

    mail = EmailMessage(policy=email.policy.SMTP)
    mail["Subject"] = message.subject
    mail["From"] = Address(display_name=name, addr_spec=sender)
    # ASCII when it can be (the IDNA domain); as typed, in UTF-8, when it needs SMTPUTF8.
    mail["To"] = message.recipient.strip() if international else recipient
    mail["Date"] = formatdate(localtime=True)
    # One Message-ID per outbox row, so a receiving system can recognise a repeat.
    domain = sender.rsplit("@", 1)[-1]
    mail["Message-ID"] = f"<outbox-{message.id}.{int(message.created_at.timestamp())}@{domain}>"
    mail["X-Outbox-Id"] = str(message.id)
    # Quoted-printable: 7-bit safe on a server without 8BITMIME, readable in the source.
    mail.set_content(message.body_text, cte="quoted-printable")
    if message.body_html is not None:
        mail.add_alternative(message.body_html, subtype="html", cte="quoted-printable")
    for attachment in message.attachments:
        maintype, subtype, params = _content_type(attachment["content_type"])
        data = attachment["data"]
        if attachment.get("encoding") == "base64":
            payload: bytes = base64.b64decode(data)
        else:
            payload = data.encode("utf-8")  # text is sent as UTF-8, base64-encoded
            if maintype == "text":
                params.setdefault("charset", "utf-8")
        mail.add_attachment(
            payload,
            maintype=maintype,
            subtype=subtype,
            filename=attachment["filename"],
            params=params,
        )
    return OutgoingMail(mail, sender, recipient, international)


def outbox_dir() -> Path:
    return Path(
        current_app.config.get("MAIL_OUTBOX_DIR") or Path(current_app.instance_path) / "mail"
    )


def _write_eml(message: _Claimed, outgoing: OutgoingMail) -> Path:
    folder = outbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{message.id:08d}-{message.kind}.eml"
    temporary = path.with_suffix(".eml.tmp")
    temporary.write_bytes(outgoing.as_bytes())
    temporary.replace(path)
    return path


def _still_mine(lease: datetime) -> bool:
    return utcnow() < lease - LEASE_MARGIN


def _deliver_to_files(lease: datetime, batch: list[_Claimed]) -> int:
    sent = 0
    for message in batch:
        if not _still_mine(lease):
            break  # the lease ran out: leave the rest to whoever takes them over
        try:
            _write_eml(message, build_message(message))
        except PermanentFailure as failure:
            _record_permanent_failure(message, lease, failure)
            continue
        except Exception as err:  # a bad row must not stop the others
            _record_failure(message, lease, f"{type(err).__name__}: {err}")
            continue
        sent += _mark_sent(message, lease)
    return sent


def _is_connection_error(err: BaseException) -> bool:
    """The SMTP session is gone (as opposed to one message being refused)."""
    if isinstance(err, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(err, OSError) and not isinstance(err, smtplib.SMTPException)


def _send(smtp: smtplib.SMTP | None, outgoing: OutgoingMail) -> None:
    """Send one message over an open session (None: MAIL_SUPPRESS_SEND, nothing goes out).

    smtplib's send_message() asks for SMTPUTF8 (and BODY=8BITMIME) itself when the envelope
    is not ASCII, and refuses, before a word is sent, when the server does not offer it: the
    session stays usable for the rest of the batch. (Flask-Mail's send() uses sendmail(),
    which does neither.)"""
    if smtp is None:
        return
    try:
        smtp.send_message(outgoing.mail, outgoing.sender, [outgoing.recipient])
    except smtplib.SMTPNotSupportedError as err:
        raise PermanentFailure("smtputf8", f"{type(err).__name__}: {err}") from err


def _deliver_over_smtp(lease: datetime, batch: list[_Claimed]) -> int:
    """Send the batch over one SMTP session. Unsent messages are never lost: a failure to
    connect counts an attempt for each and reschedules them with backoff."""
    sent = 0
    pending = list(batch)
    try:
        with mail.connect() as connection:
            while pending:
                message = pending[0]
                if not _still_mine(lease):
                    for untried in pending:
                        _release(untried, lease)
                    pending = []
                    break
                try:
                    _send(connection.host, build_message(message))
                except PermanentFailure as failure:
                    pending.pop(0)
                    _record_permanent_failure(message, lease, failure)
                    continue
                except Exception as err:
                    if _is_connection_error(err):
                        raise  # the rest of the batch is handled below
                    pending.pop(0)
                    _record_failure(message, lease, f"{type(err).__name__}: {err}")
                    continue
                pending.pop(0)
                sent += _mark_sent(message, lease)
    except Exception as err:
        # Could not connect, or the connection broke: every message not yet handled is
        # rescheduled (the one being sent may or may not have arrived; SMTP cannot tell).
        error = f"{type(err).__name__}: {err}"
        if pending:
            log.warning("SMTP session failed, %s messages rescheduled: %s", len(pending), error)
        for message in pending:
            _record_failure(message, lease, error)
    return sent


def send_batch(limit: int, due_at: datetime | None = None) -> tuple[int, int]:
    """Claim and send one batch: (messages claimed, messages sent)."""
    lease, batch = claim_batch(limit, due_at)
    if not batch:
        return 0, 0
    if current_app.config.get("MAIL_SERVER"):
        return len(batch), _deliver_over_smtp(lease, batch)
    return len(batch), _deliver_to_files(lease, batch)


def send_due(limit: int | None = None) -> int:
    """Send every message due now, batch by batch (OUTBOX_BATCH_SIZE per SMTP session), and
    return how many were sent. `limit` caps how many messages are taken in this call.

    Messages that fail are rescheduled after this call began, so they are not retried here.
    """
    started = utcnow()
    batch_size = int(current_app.config["OUTBOX_BATCH_SIZE"])
    taken = sent = 0
    while limit is None or taken < limit:
        size = batch_size if limit is None else min(batch_size, limit - taken)
        claimed, delivered = send_batch(size, due_at=started)
        taken += claimed
        sent += delivered
        if claimed < size:
            break
    return sent


# --- the organiser page's actions -----------------------------------------------------------


def outbox_counts() -> dict[str, int]:
    """How many messages are in each status (every status present, zero when none)."""
    rows = db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
    ).all()
    counts = {status: 0 for status in ("queued", "sending", "sent", "failed")}
    counts.update({status: count for status, count in rows})
    return counts


def recent_messages(status: str | None = None, limit: int = 100) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == status)
    return list(db.session.scalars(query))


def retry_failed(message_ids: list[int] | None = None) -> int:
    """Queue failed messages again from scratch (attempts 0, due now): the given ones, or all
    failed messages. Returns how many were queued; messages not failed are left alone."""
    query = (
        sa.update(OutboxMessage)
        .where(OutboxMessage.status == "failed")
        .values(
            status="queued",
            attempts=0,
            next_attempt_at=utcnow(),
            claimed_until=None,
            failure_reason=None,
        )
        .execution_options(synchronize_session=False)
    )
    if message_ids is not None:
        query = query.where(OutboxMessage.id.in_(message_ids))
    with write_transaction():
        count = db.session.execute(query).rowcount
        db.session.commit()
    return count


# --- the command ----------------------------------------------------------------------------


@click.command("worker")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="Seconds to wait when nothing is due.",
)
@with_appcontext
def worker_command(once: bool, interval: float) -> None:
    """Send queued email (to MAIL_SERVER, or as .eml files when none is set)."""
    # Flask-Mail gives smtplib no timeout; without one a hung mail server stalls the worker.
    socket.setdefaulttimeout(float(current_app.config["MAIL_TIMEOUT"]))
    target = current_app.config.get("MAIL_SERVER")
    where = f"{target}:{current_app.config['MAIL_PORT']}" if target else str(outbox_dir())
    if once:
        sent = send_due()
        checkpoint_wal()
        click.echo(f"Sent {sent} messages to {where}.")
        return

    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"Outbox worker sending to {where}, every {interval:g} s when idle.")
    batch_size = int(current_app.config["OUTBOX_BATCH_SIZE"])
    while not stopping:
        try:
            claimed, sent = send_batch(batch_size)
        except sa.exc.SQLAlchemyError as err:  # the database away for a moment
            db.session.rollback()
            log.error("outbox worker: database error, retrying: %s", err)
            claimed = 0
        else:
            if sent:
                click.echo(f"Sent {sent} of {claimed} messages.")
            checkpoint_wal()  # SQLite: here, not in a request (core/db.py)
        if claimed < batch_size:
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(0.2, interval))
    db.session.remove()
