"""How long personal data is kept, and what is due to go at a given moment.

The periods are the site's (RETENTION_* in core/settings.py) unless an admin set an event's
own (Event.needs_kept_days, Event.personal_data_kept_months; None: the site's). Each is
counted from the event's end (needs, personal data), from sending (the text of an email), or
from the entry (the audit log). Something is due once its period has fully passed: "kept 1
day" is due a second after ends_at + 1 day, not at that instant.

Months are calendar months on the UTC clock: 24 months after 31 August 2026 is 31 August
2028, 6 months after 31 August is the last day of February. `now` is always a parameter, so
tests (and a dry run) say which moment they mean.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from core.db import db
from core.models import OutboxMessage
from events.models import Event
from outreach.models import Campaign, CampaignRecipient
from participants.models import Registration
from surveys.models import Survey, SurveyInvitation

# The admin's form keeps an event's own periods within these (privacy/views.py).
NEEDS_DAYS_RANGE = (0, 365)
PERSONAL_MONTHS_RANGE = (1, 120)
ANONYMISED = "%@anonymised.invalid"  # privacy.anonymise.placeholder_address


def add_months(moment: datetime, months: int) -> datetime:
    """moment moved by whole calendar months (negative: back), the day kept unless the
    target month is shorter, then its last day; the time of day and the zone stay."""
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class SitePeriods:
    """The site's periods, from the configuration."""

    needs_days: int
    personal_months: int
    outbox_days: int
    audit_months: int


def site_periods() -> SitePeriods:
    config = current_app.config
    return SitePeriods(
        needs_days=int(config["RETENTION_NEEDS_DAYS"]),
        personal_months=int(config["RETENTION_PERSONAL_MONTHS"]),
        outbox_days=int(config["RETENTION_OUTBOX_DAYS"]),
        audit_months=int(config["RETENTION_AUDIT_MONTHS"]),
    )


@dataclass(frozen=True)
class EventPeriods:
    """The periods in force for one event, and whether each is the event's own."""

    needs_days: int
    personal_months: int
    needs_own: bool
    personal_own: bool


def event_periods(event: Event, site: SitePeriods | None = None) -> EventPeriods:
    site = site or site_periods()
    return EventPeriods(
        needs_days=event.needs_kept_days if event.needs_kept_days is not None else site.needs_days,
        personal_months=(
            event.personal_data_kept_months
            if event.personal_data_kept_months is not None
            else site.personal_months
        ),
        needs_own=event.needs_kept_days is not None,
        personal_own=event.personal_data_kept_months is not None,
    )


def needs_kept_until(event: Event, site: SitePeriods | None = None) -> datetime:
    """The last moment the event's registrations' needs are kept."""
    return event.ends_at + timedelta(days=event_periods(event, site).needs_days)


def personal_kept_until(event: Event, site: SitePeriods | None = None) -> datetime:
    """The last moment the event's registrations keep their names, addresses and links."""
    return add_months(event.ends_at, event_periods(event, site).personal_months)


@dataclass(frozen=True)
class DueEvent:
    """An ended event with something due: its needs, its personal data, or both."""

    event: Event
    needs: bool
    personal: bool


def due_events(now: datetime) -> list[DueEvent]:
    """Events whose needs or personal data are past their period at now and still held
    (a registration with needs, or one not yet anonymised), oldest first."""
    site = site_periods()
    held = (
        (
            sa.select(Registration.id)
            .where(
                Registration.event_id == Event.id,
                (Registration.needs != "") | Registration.anonymised_at.is_(None),
            )
            .exists()
        )
        | (
            sa.select(CampaignRecipient.id)
            .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
            .where(
                Campaign.event_id == Event.id,
                ~CampaignRecipient.email.like(ANONYMISED),
            )
            .exists()
        )
        | (
            sa.select(SurveyInvitation.id)
            .join(Survey, Survey.id == SurveyInvitation.survey_id)
            .where(Survey.event_id == Event.id, ~SurveyInvitation.email.like(ANONYMISED))
            .exists()
        )
    )
    # Every period is at least 0 days, so only events that have ended can be due; the
    # per-event periods (and the month arithmetic) are applied here, not in SQL.
    candidates = db.session.scalars(
        sa.select(Event).where(Event.ends_at < now, held).order_by(Event.ends_at, Event.id)
    ).all()
    due = []
    for event in candidates:
        needs = needs_kept_until(event, site) < now
        personal = personal_kept_until(event, site) < now
        if needs or personal:
            due.append(DueEvent(event=event, needs=needs, personal=personal))
    return due


def outbox_cutoff(now: datetime) -> datetime:
    return now - timedelta(days=site_periods().outbox_days)


def audit_cutoff(now: datetime) -> datetime:
    return add_months(now, -site_periods().audit_months)


def _json_holds(column: sa.ColumnElement) -> sa.ColumnElement[bool]:
    # A JSON column's None is stored as JSON null, not SQL NULL (SQLAlchemy's default), and
    # JSON has no equality on PostgreSQL: compared as text, as SQLAlchemy wrote it.
    return column.is_not(None) & sa.cast(column, sa.Text).not_in(("null", "[]", "{}"))


def outbox_texts_due(now: datetime) -> sa.ColumnElement[bool]:
    """Emails whose text is due to go: sent (or failed for good: never to be sent) more than
    RETENTION_OUTBOX_DAYS before now, and still holding a recipient, text, facts or files."""
    cutoff = outbox_cutoff(now)
    old = ((OutboxMessage.status == "sent") & (OutboxMessage.sent_at < cutoff)) | (
        (OutboxMessage.status == "failed") & (OutboxMessage.created_at < cutoff)
    )
    holding = (
        (OutboxMessage.recipient != "")
        | OutboxMessage.body_text.is_not(None)
        | OutboxMessage.body_html.is_not(None)
        | _json_holds(OutboxMessage.facts)
        | OutboxMessage.last_error.is_not(None)
        | _json_holds(OutboxMessage.attachments)
    )
    return old & holding
