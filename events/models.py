"""An event, the target groups it admits, its sessions (the agenda) and its organisers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, db, utcnow
from core.models import Organiser

KINDS = ("conference", "workshop", "webinar")
FORMATS = ("in_person", "online", "hybrid")
LANGUAGES = ("sv", "en", "fi")
STATUSES = ("draft", "published", "cancelled")
# Stable codes from DOMAIN.md.
TARGET_GROUPS = (
    "contracting_authority",
    "supplier",
    "decision_maker",
    "civil_society",
    "matchmaker",
    "other",
)

event_organiser = sa.Table(
    "event_organiser",
    db.metadata,
    sa.Column("event_id", sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("organiser_id", sa.ForeignKey("organiser.id", ondelete="CASCADE"), primary_key=True),
)


class Event(db.Model):
    __tablename__ = "event"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity"),
        sa.CheckConstraint("confirmed_count >= 0", name="confirmed_count"),
        sa.CheckConstraint("status IN ('draft', 'published', 'cancelled')", name="status"),
        sa.CheckConstraint("kind IN ('conference', 'workshop', 'webinar')", name="kind"),
        sa.CheckConstraint("format IN ('in_person', 'online', 'hybrid')", name="format"),
        sa.Index("ix_event_status_starts_at", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)  # the public URL's name
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown, sanitised on render
    # The title and description in other languages than the event's own (events/content.py):
    # {"en": {"title": "…", "description": "…"}, "fi": {…}}; only texts given are kept.
    translations: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")
    kind: Mapped[str] = mapped_column(sa.String(20))
    format: Mapped[str] = mapped_column(sa.String(20))
    language: Mapped[str] = mapped_column(sa.String(2))  # the language spoken at the event
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Stockholm")  # IANA name
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue_name: Mapped[str] = mapped_column(sa.String(200), default="")
    venue_address: Mapped[str] = mapped_column(sa.String(300), default="")
    venue_city: Mapped[str] = mapped_column(sa.String(100), default="")
    venue_country: Mapped[str] = mapped_column(sa.String(100), default="")
    online_url: Mapped[str] = mapped_column(sa.String(500), default="")  # for registrants only
    capacity: Mapped[int | None] = mapped_column()  # None: no limit
    # Confirmed registrations, kept by participants.seats.apply() under the event's lock (never
    # counted on the hot path); `flask seats check` recounts. May exceed a lowered capacity.
    confirmed_count: Mapped[int] = mapped_column(default=0, server_default="0")
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: publishing
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: the start
    status: Mapped[str] = mapped_column(sa.String(10), default="draft")
    # Whether confirmed people get a reminder the day before (the organiser can switch it
    # off), and when the worker queued it: set once, so it goes out once; a mark from more
    # than 36 hours before the start is for an earlier time (the event moved), so the reminder
    # goes again for the new one (participants/reminders.py).
    send_reminder: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Rises when time, place or status changes, so calendars replace their copy.
    sequence: Mapped[int] = mapped_column(default=0)
    # Rises with every change an organiser or a registration makes to what the public page
    # shows (bump_version); the page cache is keyed on it (core/page_cache.py).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    # How long personal data is kept after the event ends, when an admin set it for this
    # event; None: the site's default (RETENTION_* in core/settings.py, privacy/retention.py).
    needs_kept_days: Mapped[int | None] = mapped_column()
    personal_data_kept_months: Mapped[int | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organiser.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[Organiser | None] = relationship()
    co_organisers: Mapped[list[Organiser]] = relationship(secondary=event_organiser)
    target_groups: Mapped[list[EventTargetGroup]] = relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        order_by="EventTargetGroup.code",
    )
    sessions: Mapped[list[Session]] = relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        order_by="(Session.starts_at, Session.id)",
    )

    @property
    def has_venue(self) -> bool:
        return self.format in ("in_person", "hybrid")

    @property
    def target_group_codes(self) -> list[str]:
        return [tg.code for tg in self.target_groups]

    def quota_for(self, code: str) -> int | None:
        return next((tg.quota for tg in self.target_groups if tg.code == code), None)


class EventTargetGroup(db.Model):
    """A target group the event admits, with an optional quota of seats."""

    __tablename__ = "event_target_group"
    __table_args__ = (
        sa.CheckConstraint("quota IS NULL OR quota >= 0", name="quota"),
        sa.CheckConstraint("confirmed_count >= 0", name="confirmed_count"),
    )

    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)  # a TARGET_GROUPS code
    quota: Mapped[int | None] = mapped_column()  # None: no limit beyond the event's capacity
    # Confirmed registrations of this group, kept like Event.confirmed_count (also without a
    # quota, so that setting one later needs no count). May exceed a lowered quota.
    confirmed_count: Mapped[int] = mapped_column(default=0, server_default="0")

    event: Mapped[Event] = relationship(back_populates="target_groups")


class Session(db.Model):
    """One item on the agenda; a workshop inside a conference may have its own capacity."""

    __tablename__ = "event_session"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity"),
        sa.CheckConstraint("confirmed_count >= 0", name="confirmed_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # As Event.translations; the session's own text is in the event's language.
    translations: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    room: Mapped[str] = mapped_column(sa.String(100), default="")
    capacity: Mapped[int | None] = mapped_column()  # None: only the event's capacity applies
    # Confirmed registrations that chose this session, kept like Event.confirmed_count.
    confirmed_count: Mapped[int] = mapped_column(default=0, server_default="0")
    speakers: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{"name", "organisation"}]
    # Door staff check people in to this session itself (a workshop that keeps its own
    # attendance), besides the event: registration_session.attended_at.
    track_attendance: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    event: Mapped[Event] = relationship(back_populates="sessions")


def bump_version(event_id: int) -> None:
    """Raise the event's version in the current transaction (one Core UPDATE), so every cached
    public page of it is out of date from the commit on. participants/seats.py's lock_event()
    takes its lock with it; the organiser's changes in events/services.py raise it themselves."""
    db.session.execute(
        sa.update(Event)
        .where(Event.id == event_id)
        .values(version=Event.version + 1, updated_at=Event.updated_at)  # not an edit
        .execution_options(synchronize_session=False)
    )


def local(moment: datetime, event: Event) -> datetime:
    """The moment on the event's own clock (its zone)."""
    return moment.astimezone(ZoneInfo(event.timezone))
