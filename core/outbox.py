"""The email outbox: rows written in the caller's transaction, sent by the worker after commit.

A service calls `queue_email(...)` beside the change that causes the email; the row commits or
rolls back with that change (pretix's OutgoingMail pattern). The row holds what the message
needs (its kind, recipient, language and a snapshot of the facts, plain JSON), so queueing
costs an INSERT: nothing is rendered inside the request. The worker sends what is due
(core/outbox_sending.py). This module is the queue's side: queueing, what a row sends or sent,
the messages about a registration, what is due and the backlog.

A row without a snapshot (queued already rendered, before the snapshots) is sent as it is.

Kinds marked with `forget_after_sending(...)` (the notice that a person's data was erased) keep
nothing of their recipient once their fate is settled: the UPDATE that marks such a message
sent also empties its recipient, snapshot, text, HTML and attachments (the subject stays, as
the record of what kind of message went), and one that fails for good is emptied the same way,
as failed "anonymised" so it is never retried. So the address is in the database only while the
message waits to go out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.db import db, utcnow
from core.mail_delivery import (
    PERMANENT_FAILURES,
    PermanentFailure,
)
from core.mail_render import RenderedMail, RenderError, attachment_row, render_message
from core.models import OutboxMessage
from core.prepared import Prepared

__all__ = [
    "PERMANENT_FAILURES",
    "PermanentFailure",
    "forget_after_sending",
    "queue_email",
    "messages_about",
    "rendered",
    "subject_of",
    "due_backlog",
    "captured",
]

log = logging.getLogger(__name__)

# Kinds whose recipient and text are emptied once sent or failed for good.
_FORGET_AFTER_SENDING: set[str] = set()

# What an emptied message keeps of itself: its kind, subject, status and dates.
_FORGOTTEN: dict[str, Any] = {
    "recipient": "",
    "facts": None,
    "body_text": None,
    "body_html": None,
    "attachments": [],
}


def forget_after_sending(*kinds: str) -> None:
    """Mark these kinds as kept only until sent (see the module's docstring): for a message
    to a person whose every other trace is gone, such as the notice that their data was
    erased."""
    _FORGET_AFTER_SENDING.update(kinds)


def forgets(kind: str) -> bool:
    return kind in _FORGET_AFTER_SENDING


# --- queueing -------------------------------------------------------------------------------


_INSERT = Prepared(
    sa.insert(OutboxMessage.__table__).returning(OutboxMessage.__table__.c.id),
    column_keys=[
        "recipient", "registration_id", "kind", "language", "facts", "attachments", "status",
        "attempts", "next_attempt_at", "created_at",
    ],
)  # fmt: skip


def outbox_insert(
    recipient: str,
    kind: str,
    language: str,
    facts: Mapping[str, Any],
    *,
    attachments: list[dict[str, Any]] | None = None,
    registration_id: int | None = None,
) -> tuple[Prepared, dict[str, Any]]:
    """queue_email()'s INSERT and its parameters, not run: for a caller that sends it together
    with its other statements (core.prepared.run_together), in its own transaction."""
    now = utcnow()
    return _INSERT, {
        "recipient": recipient.strip(),
        "registration_id": registration_id,
        "kind": kind[:40],
        "language": language,
        "facts": dict(facts),
        "attachments": [attachment_row(a) for a in attachments or []],
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


# The ids queued inside a `captured()` block, else None.
_captured: ContextVar[list[int] | None] = ContextVar("outbox_captured", default=None)


@contextmanager
def captured() -> Iterator[list[int]]:
    """The ids of the messages queued inside the block, in order: a dry run (a change made and
    rolled back to show what it would send) reads exactly its own rows with these."""
    ids: list[int] = []
    token = _captured.set(ids)
    try:
        yield ids
    finally:
        _captured.reset(token)


def queue_email(
    recipient: str,
    kind: str,
    language: str,
    facts: Mapping[str, Any],
    *,
    attachments: list[dict[str, Any]] | None = None,
    registration_id: int | None = None,
) -> int:
    """Add a message to the outbox, WITHOUT committing: it is sent only if the caller's
    transaction commits. Nothing is rendered here: the worker writes it when it sends. Returns
    the row's id.

    `kind` names the message (a kind registered with core.mail_render.mail_kind); `facts` is
    the snapshot it is written from, plain JSON (str, numbers, lists, dicts; datetimes as ISO
    text), taken now so that the message tells what was true when it was queued.
    `attachments` are ready files, dicts {"filename", "content_type", "data"}; a calendar
    part the kind builds itself from the facts at send. `registration_id` names the
    registration the message is about, so that its page lists what was sent to the person.

    One INSERT on the session's connection, at once (no ORM object: it sits on the
    registration's hot path)."""
    statement, params = outbox_insert(
        recipient,
        kind,
        language,
        facts,
        attachments=attachments,
        registration_id=registration_id,
    )
    message_id: int = statement.run(db.session.connection(), params)[0][0]
    capturing = _captured.get()
    if capturing is not None:
        capturing.append(message_id)
    return message_id


def rendered(message: OutboxMessage) -> RenderedMail:
    """What this row sends, or sent: the kept content once sent (or when it was queued already
    rendered), else rendered now from its snapshot, exactly as the worker will."""
    if message.facts is None or message.status == "sent":
        return RenderedMail(
            message.subject or "",
            message.body_text or "",
            message.body_html,
            list(message.attachments or []),
        )
    return render_message(
        message.kind, message.language, message.facts, list(message.attachments or [])
    )


def messages_about(registration_id: int, limit: int = 200) -> list[OutboxMessage]:
    """The messages queued about one registration (OutboxMessage.registration_id), newest
    first: what a registration's page lists with each one's status."""
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.registration_id == registration_id)
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
    )


def subject_of(message: OutboxMessage) -> str:
    """The subject the message went out with, or will go out with (rendered from its snapshot
    as the worker will); empty when its snapshot cannot be rendered."""
    if message.subject:
        return message.subject
    try:
        return rendered(message).subject
    except RenderError:
        return ""


def due(now: datetime) -> sa.ColumnElement[bool]:
    """The rows a worker may claim now: queued and due, or claimed by a lease that ran out."""
    return sa.or_(
        sa.and_(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now),
        sa.and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now),
    )


# --- the backlog, for /healthz --------------------------------------------------------------


def due_backlog(now: datetime) -> tuple[int, datetime | None]:
    """How many messages are due now and since when the oldest has been (queued: its next
    attempt; a claim whose lease ran out: the lease's end). One statement."""
    since = sa.case(
        (OutboxMessage.status == "queued", OutboxMessage.next_attempt_at),
        else_=OutboxMessage.claimed_until,
    )
    count, oldest = db.session.execute(
        sa.select(sa.func.count(), sa.func.min(since)).where(due(now))
    ).one()
    return int(count), oldest
