"""Organiser accounts (their API tokens, two-factor recovery codes), site-wide settings an
admin changes, the audit log of organisers' actions on personal data, and the email outbox."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core.db import UTCDateTime, db, utcnow

ROLES = ("admin", "organiser")


class Organiser(UserMixin, db.Model):
    __tablename__ = "organiser"
    __table_args__ = (sa.CheckConstraint("role IN ('admin', 'organiser')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20), default="organiser")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The base32 secret of the authenticator app (pyotp); None: two-factor sign-in not set up.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    # The latest sign-in, on the admin's list of accounts.
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="organiser", cascade="all, delete-orphan"
    )

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def get_id(self) -> str:
        """What a session and a remember cookie hold: the id and a fingerprint of the password
        hash, so a new password (or reset) ends every other session and remember cookie."""
        return f"{self.id}:{self.session_fingerprint}"

    @property
    def session_fingerprint(self) -> str:
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class ApiToken(db.Model):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    organiser_id: Mapped[int] = mapped_column(sa.ForeignKey("organiser.id", ondelete="CASCADE"))
    # sha256 hex of the token; the token itself is never stored
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # What the organiser called it and the token's last four characters, to tell tokens apart
    label: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    hint: Mapped[str] = mapped_column(sa.String(8), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organiser: Mapped[Organiser] = relationship(back_populates="tokens")


class RecoveryCode(db.Model):
    """A single-use code that signs in instead of the authenticator app; only its hash is kept."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    organiser_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organiser.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(sa.String(64))  # sha256 hex
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SiteSetting(db.Model):
    """A setting an admin changes in the app rather than in the environment (for example
    whether every organiser must use two-factor sign-in): one JSON value per key."""

    __tablename__ = "site_setting"

    key: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AuditEntry(db.Model):
    """One organiser action on personal data (core/audit.py): written, never changed; deleted
    only by the purge when older than its retention period."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Who did it; kept when the account goes (the name is copied for that case)
    organiser_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organiser.id", ondelete="SET NULL"), index=True
    )
    organiser_name: Mapped[str] = mapped_column(sa.String(200), default="")
    action: Mapped[str] = mapped_column(sa.String(40))  # core.audit.ACTIONS
    # The event it concerned, and what: "registration:12", "mailing:3"; ids, never names.
    # No foreign key: core knows no feature's tables, and the entry outlives the event.
    event_id: Mapped[int | None] = mapped_column(index=True)
    subject: Mapped[str] = mapped_column(sa.String(80), default="")
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # counts, formats; no names


OUTBOX_STATUSES = ("queued", "sending", "sent", "failed")


class OutboxMessage(db.Model):
    """One email, written in the transaction that caused it and sent by the worker after commit."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        sa.CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name="status"),
        sa.Index("ix_outbox_message_due", "status", "next_attempt_at"),
        sa.Index("ix_outbox_message_registration_id", "registration_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    kind: Mapped[str] = mapped_column(sa.String(40))  # which message: confirmed, promoted…
    language: Mapped[str] = mapped_column(sa.String(5), default="sv")  # the recipient's
    # The registration the message is about, when there is one: a registration's page and a
    # person's data list the emails sent to them. No foreign key: core knows no feature's
    # tables, and the row outlives a deleted event as the record of what was sent.
    registration_id: Mapped[int | None] = mapped_column()
    # What the message needs, taken in the transaction that queued it: plain JSON (names,
    # links, the event's title, times and place, a calendar part's method and UID), rendered
    # by the worker (core.mail_render). None: a row queued already rendered (before the
    # snapshots), sent as it is.
    facts: Mapped[dict | None] = mapped_column(sa.JSON)
    # What went out, kept at send (None until then for a row with facts): the outbox page and
    # a person's data show exactly what was sent.
    subject: Mapped[str | None] = mapped_column(sa.String(300))
    body_text: Mapped[str | None] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    # [{"filename", "content_type", "data"}]: given when queued, with those the worker built
    # (calendar files) added at send
    attachments: Mapped[list] = mapped_column(sa.JSON, default=list)
    status: Mapped[str] = mapped_column(sa.String(10), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a worker's lease
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    # Why a message failed for good without more attempts (core.outbox.PERMANENT_FAILURES).
    failure_reason: Mapped[str | None] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
