"""Campaigns to upcoming events, the people each one reached, and withdrawn consents."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, db, utcnow
from events.models import Event

CAMPAIGN_STATUSES = ("scheduled", "sending", "sent", "cancelled")


class Campaign(db.Model):
    """An organiser's invitation to an upcoming event, sent to everyone who opted in to future
    invitations at an earlier event and fits the audience. The worker sends it in batches; each
    batch's recipient rows and outbox rows commit together, so an interrupted campaign resumes
    where it stopped and nobody gets it twice (unique campaign and address)."""

    __tablename__ = "campaign"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('scheduled', 'sending', 'sent', 'cancelled')", name="status"
        ),
        sa.Index("ix_campaign_due", "status", "send_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organiser.id", ondelete="SET NULL")
    )
    # {"target_groups": [...], "countries": [...], "organisation_kinds": [...],
    #  "attended": "came" | "did_not_come" | None}: read again when it is sent.
    audience: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # An optional personal word per language {"sv": "…"}; the event's box and link always go.
    subjects: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    bodies: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(10), default="scheduled")
    recipient_count: Mapped[int] = mapped_column(default=0, server_default="0")  # kept
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last batch queued

    event: Mapped[Event] = relationship()


class CampaignRecipient(db.Model):
    """One address a campaign reached, with its personal link and what came of it."""

    __tablename__ = "campaign_recipient"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "email", name="uq_campaign_recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(sa.String(254))  # lower-case, as on registrations
    # The personal link's secret (core.identifiers, at least 128 random bits).
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    language: Mapped[str] = mapped_column(sa.String(2))
    target_group: Mapped[str] = mapped_column(sa.String(40))  # from the latest registration
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    # The earlier registration whose name, organisation and group fill the form in.
    source_registration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="SET NULL")
    )
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first visit of the link
    # The registration made through the link (the conversion).
    registration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )

    campaign: Mapped[Campaign] = relationship()


class InvitationWithdrawal(db.Model):
    """An address that withdrew its consent to future invitations, and when. Every later
    campaign leaves it out, unless the person opts in again on a registration made after."""

    __tablename__ = "invitation_withdrawal"

    email: Mapped[str] = mapped_column(sa.String(254), primary_key=True)
    withdrawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The campaign link it was withdrawn from, if any (none: from the manage page).
    campaign_recipient_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaign_recipient.id", ondelete="SET NULL")
    )
