"""Who registered, from which organisation, for which sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, db, utcnow
from events.models import Event, Session
from events.records import EventRecord
from participants.kinds import organisation_kind

REGISTRATION_STATUSES = ("confirmed", "waitlisted", "cancelled")
# The predicate of the partial unique index on active addresses, written as SQL text: a
# query with it word for word uses that index on PostgreSQL also in a generic (prepared) plan,
# which `status != :param` does not (it then scans every registration of the event).
ACTIVE = sa.text("registration.status != 'cancelled'")

registration_session = sa.Table(
    "registration_session",
    db.metadata,
    sa.Column(
        "registration_id", sa.ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "session_id", sa.ForeignKey("event_session.id", ondelete="CASCADE"), primary_key=True
    ),
    # When the person was checked in to this session (Session.track_attendance), else None.
    sa.Column("attended_at", UTCDateTime, nullable=True),
    sa.Index("ix_registration_session_session_id", "session_id"),
)


class Organisation(db.Model):
    """An organisation people register from; one row per organisation number or name."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The org number when given, else "name:<country>:<casefolded name>": one row each.
    key: Mapped[str] = mapped_column(sa.String(300), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    org_number: Mapped[str | None] = mapped_column(sa.String(40))  # normalised, see identifiers
    country: Mapped[str] = mapped_column(sa.String(5))  # SE, FI or other
    # The kind as the organisation told it (participants/kinds.py ASKED_KINDS), asked once.
    kind: Mapped[str | None] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Merged into another record of the same organisation: its registrations moved there, and
    # a registration with this row's key finds the survivor. The row stays as the record.
    # No foreign key: SQLite could add one only by copying the table, which the rows that
    # point at organisations refuse; organisations are never deleted, and the merge service
    # is the only writer.
    merged_into_id: Mapped[int | None] = mapped_column(index=True)
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def reported_kind(self) -> str:
        return organisation_kind(self.kind, self.org_number, self.country)


class Registration(db.Model):
    __tablename__ = "registration"
    __table_args__ = (
        sa.CheckConstraint("status IN ('confirmed', 'waitlisted', 'cancelled')", name="status"),
        # One active registration per email and event; a cancelled one does not count.
        sa.Index(
            "uq_registration_active_email",
            "event_id",
            "email",
            unique=True,
            sqlite_where=sa.text("status != 'cancelled'"),
            postgresql_where=sa.text("status != 'cancelled'"),
        ),
        sa.Index("ix_registration_event_status", "event_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)  # the manage link's secret
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(254))  # stored lower-case
    target_group: Mapped[str] = mapped_column(sa.String(40))
    role: Mapped[str] = mapped_column(sa.String(200), default="")  # role or title
    language: Mapped[str] = mapped_column(sa.String(2), default="sv")  # for emails and pages
    # Dietary and accessibility needs: may reveal health or religion, deleted after the event.
    needs: Mapped[str] = mapped_column(sa.Text, default="")
    consent_future_invitations: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(12))
    added_by_organiser: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # queue order
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # set at check-in
    # Set when the name, address and role were replaced (retention or an approved erasure):
    # what statistics and the audit need stays (group, organisation, attendance).
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the manage link was last sent again to someone who asked with this address.
    manage_link_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Why register() put this person on the waiting list (event, quota, session); not stored.
    full_reason = None

    event: Mapped[Event] = relationship()
    organisation: Mapped[Organisation] = relationship()
    sessions: Mapped[list[Session]] = relationship(
        secondary=registration_session, order_by="(Session.starts_at, Session.id)"
    )

    @property
    def holds_place(self) -> bool:
        """Whether the person holds a place, and so has a ticket (/r/<token>/ticket), a
        calendar entry (/r/<token>/calendar.ics and the invitations) and the online link:
        confirmed only, never waitlisted or cancelled."""
        return self.status == "confirmed"


@dataclass
class Registered:
    """What register() wrote: the registration's own fields, the event as read under its lock
    and the chosen sessions (records: events.records), why a waitlisted person waits and their
    place in the queue. `db.session.get(Registration, registered.id)` loads the row itself."""

    id: int
    token: str
    status: str
    name: str
    email: str
    language: str
    target_group: str
    event: EventRecord
    sessions: list[Any]  # session rows (events.records)
    full_reason: str | None = None
    waitlist_position: int | None = None

    @property
    def event_id(self) -> int:
        return self.event.id

    holds_place = Registration.holds_place


MAILING_STATUSES = ("scheduled", "sending", "sent", "cancelled")


class Mailing(db.Model):
    """An organiser's message to an event's registrants: its texts per language, who it goes
    to, and when. Sent at once or at `send_at` by the worker, which queues one outbox row per
    recipient in the transaction that marks it sent, so it goes out once."""

    __tablename__ = "mailing"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('scheduled', 'sending', 'sent', 'cancelled')", name="status"
        ),
        sa.Index("ix_mailing_due", "status", "send_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organiser.id", ondelete="SET NULL")
    )
    # {"sv": "…", "en": "…"}: a recipient without a text in their language gets the event's.
    subjects: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    bodies: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # Who it goes to: the list filters (status, target_group, attended, q) and/or chosen
    # registration ids {"ids": [...]}, read again when it is sent.
    audience: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(10), default="scheduled")
    recipient_count: Mapped[int | None] = mapped_column()  # set when sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()


PRINTOUT_KINDS = ("badges", "attendance_list")
PRINTOUT_STATUSES = ("queued", "building", "ready", "failed")


class Printout(db.Model):
    """A PDF an organiser asked for (badges, the attendance list) that the worker builds, so a
    large event's printout does not run into the web server's timeout; kept in the database,
    which every app host shares, and offered for download when ready."""

    __tablename__ = "printout"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('badges', 'attendance_list')", name="kind"),
        sa.CheckConstraint("status IN ('queued', 'building', 'ready', 'failed')", name="status"),
        sa.Index("ix_printout_due", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    language: Mapped[str] = mapped_column(sa.String(2))
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("event_session.id", ondelete="CASCADE")
    )
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organiser.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(sa.String(10), default="queued")
    people: Mapped[int | None] = mapped_column()  # how many it lists, when built
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary)  # the PDF
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a worker's lease
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
