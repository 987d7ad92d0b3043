"""What the outbox page (core.outbox_views) asks and does: counts by status, the recent
messages, and queueing failed messages again."""

from __future__ import annotations

import sqlalchemy as sa

from core.db import db, utcnow, write_transaction
from core.models import OutboxMessage


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


NO_RETRY = "anonymised"  # privacy/anonymise.py: the recipient and text are gone


def retry_failed(message_ids: list[int] | None = None) -> int:
    """Queue failed messages again from scratch (attempts 0, due now): the given ones, or all
    failed messages. Returns how many were queued; messages not failed are left alone, and so
    are those failed because their person was anonymised (nothing is left to send)."""
    query = (
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.status == "failed",
            OutboxMessage.failure_reason.is_distinct_from(NO_RETRY),
        )
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
