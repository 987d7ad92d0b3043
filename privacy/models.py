"""A person's request to be erased, decided by an admin."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, utcnow

ERASURE_STATUSES = ("pending", "approved", "rejected")


class ErasureRequest(db.Model):
    """Asked from a registration's manage page; an approved request anonymises every
    registration with that registration's address (privacy/erasure.py). Holds no name or
    address itself, so it can stay as the record that the request was handled."""

    __tablename__ = "erasure_request"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )
    language: Mapped[str] = mapped_column(sa.String(2), default="sv")  # to answer the person in
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organiser.id", ondelete="SET NULL")
    )
    # Why an admin refused (told to the person), or how many registrations were anonymised
    note: Mapped[str] = mapped_column(sa.Text, default="")
    registrations_anonymised: Mapped[int] = mapped_column(default=0)
