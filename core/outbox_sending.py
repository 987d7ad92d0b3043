"""Sending the outbox (core/outbox.py holds the queue): what the worker (core/worker.py) does
each round.

1. claim a batch in a short transaction: due rows (queued and `next_attempt_at` passed, or
   `sending` with an expired lease) are locked (`FOR UPDATE SKIP LOCKED` on PostgreSQL,
   `BEGIN IMMEDIATE` on SQLite), marked `sending` with a lease in `claimed_until`, committed;
2. render each message from its snapshot in the recipient's language (core.mail_render) and
   send the batch over one SMTP connection (Flask-Mail), or write `.eml` files when no
   MAIL_SERVER is configured (core.mail_delivery);
3. mark each message `sent`, keeping what went out (subject, text, HTML, attachments) on the
   row, or count the attempt, keep the error and reschedule it with exponential backoff and
   full jitter; `failed` after OUTBOX_MAX_ATTEMPTS. A message that can never go out as it is
   (PERMANENT_FAILURES: an address no server takes, a snapshot that cannot be rendered) is
   `failed` at once, with its reason; the rest of the batch goes on. A kind marked
   forget_after_sending is emptied in the same UPDATE.

The lease value doubles as the claim's identity: a worker only sends a message while its own
lease is still running, and only updates rows whose `claimed_until` still equals the lease it
wrote, so a slow worker can never overwrite (or duplicate) the work of the worker that took
over after its lease ran out.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from core.db import db, utcnow, write_transaction
from core.extensions import mail
from core.mail_delivery import (
    PermanentFailure,
    build_message,
    is_connection_error,
    send,
    write_eml,
)
from core.mail_render import RenderedMail, RenderError, render_message
from core.models import OutboxMessage
from core.outbox import _FORGOTTEN, due, forgets

log = logging.getLogger(__name__)

# How long a claimed batch belongs to one worker. Longer than any batch takes to send; a
# worker that dies mid-batch leaves its messages to be taken over once it has run out.
DEFAULT_LEASE_SECONDS = 300
# A worker stops sending from a batch this long before its lease ends.
LEASE_MARGIN = timedelta(seconds=30)
# Errors kept on a row are cut to this length. Log lines say a message's fate with its id, kind
# and attempt (core/logs.py masks any address an SMTP error quotes).
MAX_ERROR_LENGTH = 2000


# --- claiming -------------------------------------------------------------------------------


@dataclass
class _Claimed:
    """What a worker needs to send one message, detached from the session."""

    id: int
    recipient: str
    kind: str
    language: str
    facts: dict[str, Any] | None  # None: `stored` is what goes out
    stored: RenderedMail
    attempts: int
    created_at: datetime

    def content(self) -> RenderedMail:
        """What goes out: rendered from the snapshot now, or as it was stored."""
        if self.facts is None:
            return self.stored
        return render_message(self.kind, self.language, self.facts, self.stored.attachments)


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
            .where(due(due_at))
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
                    kind=row.kind,
                    language=row.language,
                    facts=row.facts,
                    stored=RenderedMail(
                        row.subject or "",
                        row.body_text or "",
                        row.body_html,
                        list(row.attachments or []),
                    ),
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


def _mark_sent(message: _Claimed, lease: datetime, content: RenderedMail | None = None) -> bool:
    """Sent; a message rendered from its snapshot keeps what went out."""
    values: dict[str, Any] = {}
    if message.facts is not None and content is not None:
        values = {
            "subject": content.subject,
            "body_text": content.body_text,
            "body_html": content.body_html,
            "attachments": content.attachments,
        }
    if forgets(message.kind):
        values.update(_FORGOTTEN)  # in the same UPDATE: sent and forgotten at once
    done = _update_claimed(
        message.id,
        lease,
        status="sent",
        sent_at=utcnow(),
        claimed_until=None,
        last_error=None,
        failure_reason=None,
        **values,
    )
    if done:
        log.info("outbox message %s sent", message.id, extra=_fate(message, "sent"))
    return done


def _fate(message: _Claimed, outcome: str, attempt: int | None = None) -> dict[str, Any]:
    """The fields of a message's log line: ids and counts, never its recipient or content."""
    return {
        "message_id": message.id,
        "kind": message.kind,
        "attempt": attempt if attempt is not None else message.attempts + 1,
        "outcome": outcome,
    }


def _record_failure(message: _Claimed, lease: datetime, error: str) -> None:
    attempts = message.attempts + 1
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_error": error[:MAX_ERROR_LENGTH],
        "claimed_until": None,
    }
    if attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        values["status"] = "failed"
        log.error(
            "outbox message %s failed after %s attempts: %s",
            message.id, attempts, error, extra=_fate(message, "failed", attempts),
        )  # fmt: skip
        if forgets(message.kind):
            values.update(_FORGOTTEN, failure_reason="anonymised", last_error=None)
    else:
        values["status"] = "queued"
        values["next_attempt_at"] = utcnow() + timedelta(seconds=backoff_delay(attempts))
        log.warning(
            "outbox message %s attempt %s failed, to be retried: %s",
            message.id, attempts, error, extra=_fate(message, "retry", attempts),
        )  # fmt: skip
    _update_claimed(message.id, lease, **values)


def _record_permanent_failure(
    message: _Claimed, lease: datetime, failure: PermanentFailure
) -> None:
    """Failed at once, never retried by the worker (an administrator may retry it by hand)."""
    log.error(
        "outbox message %s cannot be sent (%s): %s",
        message.id, failure.reason, failure, extra=_fate(message, "failed"),
    )  # fmt: skip
    values: dict[str, Any] = {
        "last_error": failure.error[:MAX_ERROR_LENGTH],
        "failure_reason": failure.reason,
    }
    if forgets(message.kind):
        # never retried (core.outbox_admin.NO_RETRY); the error may quote the address
        values.update(_FORGOTTEN, failure_reason="anonymised", last_error=None)
    _update_claimed(
        message.id,
        lease,
        status="failed",
        attempts=message.attempts + 1,
        claimed_until=None,
        **values,
    )


def _release(message: _Claimed, lease: datetime) -> None:
    """Give a message back untried (its attempt not counted), due at once."""
    _update_claimed(
        message.id, lease, status="queued", claimed_until=None, next_attempt_at=utcnow()
    )


# --- sending --------------------------------------------------------------------------------


def _still_mine(lease: datetime) -> bool:
    return utcnow() < lease - LEASE_MARGIN


def _outgoing(message: _Claimed) -> tuple[RenderedMail, Any]:
    """The message rendered and built; PermanentFailure when it cannot be (its snapshot, or
    its address)."""
    try:
        content = message.content()
    except RenderError as err:
        raise PermanentFailure("render", f"RenderError: {err}") from err
    return content, build_message(message.id, message.created_at, message.recipient, content)


def _deliver_to_files(lease: datetime, batch: list[_Claimed]) -> int:
    sent = 0
    for message in batch:
        if not _still_mine(lease):
            break  # the lease ran out: leave the rest to whoever takes them over
        try:
            content, outgoing = _outgoing(message)
            write_eml(message.id, message.kind, outgoing)
        except PermanentFailure as failure:
            _record_permanent_failure(message, lease, failure)
            continue
        except Exception as err:  # a bad row must not stop the others
            _record_failure(message, lease, f"{type(err).__name__}: {err}")
            continue
        sent += _mark_sent(message, lease, content)
    return sent


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
                    content, outgoing = _outgoing(message)
                    send(connection.host, outgoing)
                except PermanentFailure as failure:
                    pending.pop(0)
                    _record_permanent_failure(message, lease, failure)
                    continue
                except Exception as err:
                    if is_connection_error(err):
                        raise  # the rest of the batch is handled below
                    pending.pop(0)
                    _record_failure(message, lease, f"{type(err).__name__}: {err}")
                    continue
                pending.pop(0)
                sent += _mark_sent(message, lease, content)
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
