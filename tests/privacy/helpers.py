"""Shared by the privacy tests: where in the whole database a piece of text still appears."""

from __future__ import annotations

import sqlalchemy as sa

from core.db import db


def traces(*texts: str) -> list[str]:
    """Every "table.column" of every table whose text (strings, text, JSON) holds one of the
    texts, compared without case: the test of "no trace anywhere, the outbox included"."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, (sa.String, sa.Text, sa.JSON)):
                continue
            as_text = sa.func.lower(sa.cast(column, sa.Text))
            hit = sa.or_(*(as_text.contains(text.lower()) for text in texts))
            if db.session.scalar(sa.select(sa.func.count()).select_from(table).where(hit)):
                found.append(f"{table.name}.{column.name}")
    return found
