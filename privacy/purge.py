"""The retention purge (`flask --app app privacy purge`, and the worker once a day): what is
past its period (privacy/retention.py) goes.

- needs: the dietary and accessibility needs of an event's registrations;
- personal data: the event's registrations anonymised (privacy/anonymise.py: names, addresses,
  roles, links, survey invitations and the tie to a response, campaign invitations made from
  or into them), and the invitations of the event's own campaigns and surveys;
- outbox texts: an email sent (or failed for good) long enough ago loses its recipient, text,
  facts, files and error; its kind, language, status, subject and dates stay, as the record
  that a message went. The recipient goes too: an address is personal data, and the
  registration id the row keeps says whom it was about while that registration is kept;
- audit entries: the log of organisers' actions past its own period.

Work goes in chunks, each its own write transaction, so a large first purge never holds the
database long and an interrupted one resumes where it stopped; what is done is no longer due,
so a second run finds nothing (idempotent). A dry run counts the same rows and changes none.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from core.audit import purge_audit_log
from core.db import db, utcnow, write_transaction
from core.models import OutboxMessage, SiteSetting
from events.models import Event
from outreach.models import Campaign, CampaignRecipient
from participants.models import Registration
from privacy.anonymise import anonymise_registrations, placeholder_address
from privacy.retention import ANONYMISED, audit_cutoff, due_events, outbox_texts_due
from surveys.models import Survey, SurveyDraft, SurveyInvitation, SurveyResponse

log = logging.getLogger(__name__)

CHUNK = 500  # rows per transaction
LAST_RUN_KEY = "privacy_purge_last_run"
DAILY = timedelta(hours=24)


@dataclass
class EventPurge:
    """What went (or would go) of one event."""

    event_id: int
    slug: str
    needs: int = 0  # registrations whose needs were deleted
    registrations: int = 0  # registrations anonymised
    survey_invitations: int = 0
    campaign_invitations: int = 0

    @property
    def total(self) -> int:
        return self.needs + self.registrations + self.survey_invitations + self.campaign_invitations


@dataclass
class PurgeReport:
    now: datetime
    dry_run: bool
    events: list[EventPurge] = field(default_factory=list)
    outbox_messages: int = 0  # emails whose text was deleted
    audit_entries: int = 0

    @property
    def total(self) -> int:
        return sum(e.total for e in self.events) + self.outbox_messages + self.audit_entries


def _count(query: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def _in_chunks(select_ids: sa.Select, work: Callable[[list[int]], None]) -> int:
    """Run work(ids) on CHUNK ids of select_ids at a time, each chunk its own committed
    transaction, until none is left; work must make its rows leave select_ids."""
    done = 0
    while True:
        with write_transaction():
            ids = list(db.session.scalars(select_ids.order_by(None).limit(CHUNK)))
            if not ids:
                return done
            work(ids)
            db.session.commit()
        done += len(ids)


# --- what is held, as selects of ids ----------------------------------------------------------


def _needs_held(event_id: int) -> sa.Select:
    return sa.select(Registration.id).where(
        Registration.event_id == event_id, Registration.needs != ""
    )


def _registrations_held(event_id: int) -> sa.Select:
    return sa.select(Registration.id).where(
        Registration.event_id == event_id, Registration.anonymised_at.is_(None)
    )


def _campaign_invitations_held(event_id: int) -> sa.Select:
    """Invitations of the event's own campaigns, or made from or into its registrations."""
    own = sa.select(Registration.id).where(Registration.event_id == event_id)
    campaigns = sa.select(Campaign.id).where(Campaign.event_id == event_id)
    return sa.select(CampaignRecipient.id).where(
        ~CampaignRecipient.email.like(ANONYMISED),
        CampaignRecipient.campaign_id.in_(campaigns)
        | CampaignRecipient.registration_id.in_(own)
        | CampaignRecipient.source_registration_id.in_(own),
    )


def _survey_invitations_held(event_id: int) -> sa.Select:
    """Invitations of the event's surveys, or to its registrations, not yet anonymised."""
    own = sa.select(Registration.id).where(Registration.event_id == event_id)
    surveys = sa.select(Survey.id).where(Survey.event_id == event_id)
    return sa.select(SurveyInvitation.id).where(
        ~SurveyInvitation.email.like(ANONYMISED),
        SurveyInvitation.survey_id.in_(surveys) | SurveyInvitation.registration_id.in_(own),
    )


def _outbox_held(now: datetime) -> sa.Select:
    return sa.select(OutboxMessage.id).where(outbox_texts_due(now))


# --- the work ---------------------------------------------------------------------------------


def _erase_needs(ids: list[int]) -> None:
    db.session.execute(sa.update(Registration).where(Registration.id.in_(ids)).values(needs=""))


def _token() -> str:
    return secrets.token_urlsafe(24)


def _anonymise_campaign_invitations(ids: list[int]) -> None:
    # As privacy/anonymise.py does for those tied to a registration: a new link nobody holds.
    db.session.execute(
        sa.update(CampaignRecipient),
        [{"id": i, "email": placeholder_address(i), "token": _token()} for i in ids],
    )


def _anonymise_survey_invitations(ids: list[int]) -> None:
    db.session.execute(
        sa.update(SurveyResponse)
        .where(SurveyResponse.invitation_id.in_(ids))
        .values(invitation_id=None)
    )
    db.session.execute(sa.delete(SurveyDraft).where(SurveyDraft.invitation_id.in_(ids)))
    db.session.execute(
        sa.update(SurveyInvitation),
        [{"id": i, "email": placeholder_address(i), "token": _token()} for i in ids],
    )


def _blank_outbox(ids: list[int]) -> None:
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .values(
            recipient="",
            body_text=None,
            body_html=None,
            facts=None,
            attachments=[],
            last_error=None,
        )
    )


def _ids(query: sa.Select, seen: set[int]) -> int:
    """How many of the rows are not yet counted for an earlier event of this dry run (an
    invitation may hang on two events), and count them."""
    ids = set(db.session.scalars(query)) - seen
    seen |= ids
    return len(ids)


def _purge_event(
    event: Event, needs: bool, personal: bool, now: datetime, seen: dict[str, set[int]] | None
) -> EventPurge:
    """One event's due data; seen is None for a real run, else a dry run's counted ids."""
    dry_run = seen is not None
    row = EventPurge(event_id=event.id, slug=event.slug)
    event_id = event.id
    if needs:
        held = _needs_held(event_id)
        row.needs = _count(held) if dry_run else _in_chunks(held, _erase_needs)
    if not personal:
        return row
    if seen is not None:
        row.registrations = _count(_registrations_held(event_id))
        row.survey_invitations = _ids(_survey_invitations_held(event_id), seen["survey"])
        row.campaign_invitations = _ids(_campaign_invitations_held(event_id), seen["campaign"])
        return row
    # What the registrations' anonymisation does not reach (invitations of the event's own
    # campaigns and surveys) is counted as what is left of them afterwards.
    invitations_before = _count(_survey_invitations_held(event_id))
    campaign_before = _count(_campaign_invitations_held(event_id))

    def anonymise(ids: list[int]) -> None:
        anonymise_registrations(ids, now=now)

    row.registrations = _in_chunks(_registrations_held(event_id), anonymise)
    _in_chunks(_survey_invitations_held(event_id), _anonymise_survey_invitations)
    _in_chunks(_campaign_invitations_held(event_id), _anonymise_campaign_invitations)
    row.survey_invitations = invitations_before
    row.campaign_invitations = campaign_before
    return row


def purge(now: datetime, *, dry_run: bool = False) -> PurgeReport:
    """Purge (or with dry_run count) everything past its period at now."""
    report = PurgeReport(now=now, dry_run=dry_run)
    # The outbox first: anonymising a registration also blanks its emails, and they are
    # counted here when their own period has passed, in a dry run and a real one alike.
    outbox = _outbox_held(now)
    report.outbox_messages = _count(outbox) if dry_run else _in_chunks(outbox, _blank_outbox)
    seen: dict[str, set[int]] | None = {"survey": set(), "campaign": set()} if dry_run else None
    for due in due_events(now):
        row = _purge_event(due.event, due.needs, due.personal, now, seen)
        if row.total:
            report.events.append(row)
    if dry_run:
        report.audit_entries = purge_audit_log(audit_cutoff(now), dry_run=True)
    else:
        with write_transaction():
            report.audit_entries = purge_audit_log(audit_cutoff(now))
            db.session.commit()
    db.session.expire_all()
    return report


# --- once a day, from the worker --------------------------------------------------------------


def _parse(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def claim_daily_run(now: datetime) -> bool:
    """Whether this process may run today's purge: the last run (SiteSetting
    privacy_purge_last_run) is at least a day before now, and this call moved it to now.
    The row is read under the write lock (SELECT … FOR UPDATE on PostgreSQL; SQLite's
    BEGIN IMMEDIATE), so of two workers asking at once the second sees the first's claim."""
    # The worker asks every round: a plain read first, so most rounds take no write lock.
    last = _parse(
        db.session.scalar(sa.select(SiteSetting.value).where(SiteSetting.key == LAST_RUN_KEY))
    )
    db.session.rollback()
    if last is not None and now - last < DAILY:
        return False
    with write_transaction():
        setting = db.session.scalars(
            sa.select(SiteSetting).where(SiteSetting.key == LAST_RUN_KEY).with_for_update()
        ).one_or_none()
        last = _parse(setting.value) if setting is not None else None
        if last is not None and now - last < DAILY:
            return False
        if setting is None:
            db.session.add(SiteSetting(key=LAST_RUN_KEY, value=now.isoformat()))
        else:
            setting.value = now.isoformat()
        try:
            db.session.commit()
        except sa.exc.IntegrityError:  # another worker made the row first: its run
            db.session.rollback()
            return False
    return True


def run_daily_purge(now: datetime | None = None) -> PurgeReport | None:
    """The worker's due work: the purge, when a day has passed since the last run. A run
    that fails is logged by the worker and tried again the next day (the claim stays)."""
    now = now or utcnow()
    if not claim_daily_run(now):
        return None
    report = purge(now)
    log.info(
        "privacy purge: %s",
        json.dumps(
            {
                "events": len(report.events),
                "needs": sum(e.needs for e in report.events),
                "registrations": sum(e.registrations for e in report.events),
                "outbox_messages": report.outbox_messages,
                "audit_entries": report.audit_entries,
            }
        ),
    )
    return report
