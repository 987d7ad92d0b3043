"""Shared by the registration tests: a valid person, sessions, and row counts."""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from core.db import db
from core.models import OutboxMessage
from core.outbox import rendered
from participants.models import Registration

TABLES = ("registration", "organisation", "outbox_message", "registration_session")


def as_stored(registered: Any) -> Registration:
    """The registration that register() wrote, loaded as stored (register answers with a plain
    record of it: participants.models.Registered)."""
    return db.session.get(Registration, registered.id, populate_existing=True)


def person(n: int | str = 1, **overrides: Any) -> dict[str, Any]:
    """A valid registration as the API and register() take it."""
    data: dict[str, Any] = {
        "name": f"Maja Upphandlare {n}",
        "email": f"maja{n}@stockholm.se",
        "organisation": {"name": "Stockholms stad", "org_number": "212000-0142", "country": "SE"},
        "target_group": "contracting_authority",
        "role": "Upphandlare",
        "language": "sv",
        "sessions": [],
        "needs": "",
        "consent_future_invitations": False,
    }
    data.update(overrides)
    return data


def sessions_for(start: datetime, *capacities: int | None) -> list[dict[str, Any]]:
    """Sessions one after another from start, an hour each, with the given capacities."""
    return [
        {
            "title": f"Pass {i + 1}",
            "starts_at": (start + timedelta(hours=i)).isoformat(),
            "ends_at": (start + timedelta(hours=i + 1)).isoformat(),
            "capacity": capacity,
        }
        for i, capacity in enumerate(capacities)
    ]


def row_counts() -> dict[str, int]:
    db.session.rollback()
    return {
        table: db.session.scalar(sa.select(sa.func.count()).select_from(sa.table(table)))
        for table in TABLES
    }


def assert_seat_counts_kept() -> None:
    """`flask seats check` finds every kept seat count equal to a fresh count."""
    db.session.rollback()
    result = current_app.test_cli_runner().invoke(args=["seats", "check"])
    assert result.exit_code == 0, result.output


class Mail:
    """An outbox row with its message as the worker sends it: rendered from the row's snapshot
    by the worker's own function (core.outbox.rendered), in the recipient's language. The
    row's other columns (kind, recipient, status, facts…) read through."""

    def __init__(self, row: OutboxMessage) -> None:
        self.row = row
        content = rendered(row)
        self.subject = content.subject
        self.body_text = content.body_text
        self.body_html = content.body_html
        self.attachments = content.attachments

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, name)


def outbox(kind: str | None = None, recipient: str | None = None) -> list[Mail]:
    """The queued (or sent) messages, rendered as they go out."""
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    if recipient:
        query = query.where(OutboxMessage.recipient == recipient)
    return [Mail(row) for row in db.session.scalars(query)]


def unfold(ics: str) -> str:
    """Calendar lines are folded at 75 octets; join them again before searching."""
    return ics.replace("\r\n ", "").replace("\n ", "")


def page_text(response: Any) -> str:
    """A page's HTML with entities unescaped, for searching its text."""
    return html.unescape(response.get_data(as_text=True))
