"""Campaigns: an organiser invites the people who asked to hear about future events to an
upcoming event (issue 12). Who it reaches is outreach.audience; the message is outreach.emails.

Rules for a campaign (`create_campaign`): the event is published and has not started; the
audience's filters are known codes; a personal word per language is optional (a subject of at
most 200 characters on one line, a body of at most 5,000; no NUL or lone surrogate); the time
to send is now or a moment in the future before the event starts (a local time in the event's
zone, or ISO 8601 with an offset). "Now" is the same as a time: the worker sends it on its
next round, never the request, because a campaign may reach thousands.

Sending (`send_due_campaigns`, the worker's due work): one write transaction per batch of at
most BATCH_SIZE addresses. It takes a due campaign (scheduled, or sending and interrupted)
locked with FOR UPDATE SKIP LOCKED on PostgreSQL (SQLite's BEGIN IMMEDIATE lets one writer in
at a time), reads the next addresses of the audience that the campaign has not reached, writes
their CampaignRecipient rows and outbox rows together, adds them to recipient_count and
commits: status "sending" while addresses are left, "sent" when none is. A worker stopped
between batches resumes where it was; the unique (campaign, address) means nobody is reached
twice even so. A campaign whose event was cancelled or has begun before its turn is cancelled.

What came of it (`progress`): invited -> opened the link -> registered through it ->
attended, by target group.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from core.audit import record
from core.db import db, utcnow, write_transaction
from core.errors import Conflict, NotFound, ValidationError
from core.mail_render import RenderedMail, render_message
from core.models import Organiser
from core.text import is_bad_text
from events.models import LANGUAGES, TARGET_GROUPS, Event
from events.parsing import moment_error, parse_moment
from events.queries import require_manage
from outreach import audience as audiences
from outreach.emails import KIND, invitation_facts, queue_invitation
from outreach.models import Campaign, CampaignRecipient, InvitationWithdrawal
from participants.models import Registration

BATCH_SIZE = 500
MAX_SUBJECT = 200
MAX_BODY = 5_000
TOKEN_LENGTH = 32  # characters of token_urlsafe(24): 192 random bits


# --- the texts and the time -------------------------------------------------------------------


@dataclass
class Texts:
    """The organiser's optional subject and personal word per language."""

    subjects: dict[str, str] = field(default_factory=dict)
    bodies: dict[str, str] = field(default_factory=dict)


def parse_texts(subjects: Any, bodies: Any) -> Texts:
    """The texts per language, checked; errors named `subjects.<lang>` / `bodies.<lang>`."""
    subjects = subjects if isinstance(subjects, Mapping) else {}
    bodies = bodies if isinstance(bodies, Mapping) else {}
    errors: dict[str, Any] = {}
    if any(k not in LANGUAGES for k in [*subjects, *bodies]):
        errors["languages"] = _l("Choose one of: %(choices)s.", choices=", ".join(LANGUAGES))
    texts = Texts()
    for lang in LANGUAGES:
        subject, body = subjects.get(lang), bodies.get(lang)
        subject = " ".join(subject.split()) if isinstance(subject, str) else ""
        body = body.replace("\r\n", "\n").strip() if isinstance(body, str) else ""
        for key, value, limit, kept in (
            (f"subjects.{lang}", subject, MAX_SUBJECT, texts.subjects),
            (f"bodies.{lang}", body, MAX_BODY, texts.bodies),
        ):
            if is_bad_text(value):
                errors[key] = _l("Remove the character that cannot be used.")
            elif len(value) > limit:
                errors[key] = _l("At most %(n)s characters.", n=limit)
            elif value:
                kept[lang] = value
    if errors:
        raise ValidationError(errors)
    return texts


def parse_send_at(event: Event, value: Any, now: datetime | None = None) -> datetime | None:
    """None (now), or the moment in UTC: in the future and before the event starts."""
    if value in (None, "", "now"):
        return None
    now = now or utcnow()
    try:
        moment = parse_moment(value, event.timezone)
    except (ValueError, TypeError, OverflowError) as err:
        raise ValidationError({"send_at": moment_error(err)}) from err
    if moment <= now:
        raise ValidationError({"send_at": _l("Choose a time in the future.")})
    if moment >= event.starts_at:
        raise ValidationError({"send_at": _l("Choose a time before the event starts.")})
    return moment


def ensure_invitable(event: Event, now: datetime | None = None) -> None:
    """Conflict unless the event is published and has not started (an invitation to a draft
    would lead to a page nobody may see)."""
    if event.status != "published":
        raise Conflict(_l("Only a published event can be invited to."), code="not_published")
    if event.starts_at <= (now or utcnow()):
        raise Conflict(_l("The event has already started."), code="started")


# --- preview and test copy ------------------------------------------------------------------


def preview(event: Event, texts: Texts, language: str) -> RenderedMail:
    """The invitation a person whose language is `language` gets, as the worker writes it
    (their own name and links stand in as placeholders)."""
    with force_locale(language):
        name = str(_l("(the recipient's name)"))
    facts = invitation_facts(event, language, name, None, texts.subjects, texts.bodies)
    return render_message(KIND, language, facts)


def preview_languages(event: Event, reached: audiences.Reach) -> list[str]:
    """The languages the people reached read, the event's first; the event's when nobody."""
    return list(reached.by_language) or [event.language]


def test_send(organiser: Organiser, event: Event, texts: Texts, languages: list[str]) -> str:
    """A copy in each language to the organiser's own address, marked as a test."""
    require_manage(organiser, event)
    with write_transaction():
        for lang in languages:
            facts = invitation_facts(
                event, lang, organiser.name, None, texts.subjects, texts.bodies, test=True
            )
            queue_invitation(organiser.email, lang, facts)
        db.session.commit()
    return organiser.email


# --- creating and cancelling ------------------------------------------------------------------


def create_campaign(
    organiser: Organiser,
    event: Event,
    audience: Any,
    send_at: Any = None,
    subjects: Any = None,
    bodies: Any = None,
) -> Campaign:
    """A campaign of the event, checked (ValidationError naming `audience.<key>`, `send_at`,
    `subjects.<lang>`, `bodies.<lang>`), scheduled for `send_at` or now."""
    require_manage(organiser, event)
    ensure_invitable(event)
    errors: dict[str, Any] = {}
    parsed: dict[str, Any] = {}
    texts, moment = Texts(), None
    try:
        parsed = audiences.parse_audience(audience)
    except ValidationError as err:
        errors.update({f"audience.{k}": v for k, v in err.fields.items()})
    try:
        texts = parse_texts(subjects, bodies)
    except ValidationError as err:
        errors.update(err.fields)
    try:
        moment = parse_send_at(event, send_at)
    except ValidationError as err:
        errors.update(err.fields)
    if errors:
        raise ValidationError(errors)
    with write_transaction():
        campaign = Campaign(
            event_id=event.id,
            created_by_id=organiser.id,
            audience=parsed,
            subjects=texts.subjects,
            bodies=texts.bodies,
            send_at=moment or utcnow(),
            status="scheduled",
            recipient_count=0,
        )
        db.session.add(campaign)
        db.session.flush()
        record(  # invitations to earlier participants: mass email on personal data
            "mailing_sent",
            event_id=event.id,
            subject=f"campaign:{campaign.id}",
            detail={"scheduled": moment is not None, "campaign": True},
            organiser=organiser,
        )
        db.session.commit()
    return campaign


def get_campaign(event: Event, campaign_id: int) -> Campaign:
    if not 0 < campaign_id < 2**31:  # beyond any id (and PostgreSQL's integer)
        raise NotFound(_l("No such campaign."))
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.event_id != event.id:
        raise NotFound(_l("No such campaign."))
    return campaign


def cancel_campaign(organiser: Organiser, event: Event, campaign_id: int) -> Campaign:
    """Stop a scheduled campaign, or one still sending (the invitations queued stay queued);
    Conflict when it has been sent or cancelled."""
    require_manage(organiser, event)
    get_campaign(event, campaign_id)
    with write_transaction():
        changed = db.session.execute(
            sa.update(Campaign)
            .where(Campaign.id == campaign_id, Campaign.status.in_(("scheduled", "sending")))
            .values(status="cancelled")
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
    if changed != 1:
        raise Conflict(_l("Only a campaign not yet sent can be cancelled; this one is not."))
    return db.session.get(Campaign, campaign_id, populate_existing=True)


def event_campaigns(event: Event) -> list[Campaign]:
    """The event's campaigns, the latest first."""
    return list(
        db.session.scalars(
            sa.select(Campaign)
            .where(Campaign.event_id == event.id)
            .order_by(Campaign.send_at.desc(), Campaign.id.desc())
        )
    )


# --- sending, in batches ------------------------------------------------------------------------


def _due_campaign(now: datetime) -> Campaign | None:
    query = (
        sa.select(Campaign)
        .where(Campaign.status.in_(("scheduled", "sending")), Campaign.send_at <= now)
        .order_by(Campaign.send_at, Campaign.id)
        .limit(1)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return db.session.scalar(query.execution_options(populate_existing=True))


def _queue_batch(campaign: Campaign, event: Event, batch_size: int) -> int:
    """Reach the next addresses of the campaign's audience (in the caller's transaction)."""
    texts = Texts(dict(campaign.subjects or {}), dict(campaign.bodies or {}))
    rows = db.session.execute(
        audiences.pending_query(event, campaign.id, campaign.audience or {}).limit(batch_size)
    ).all()
    now = utcnow()
    recipients = []
    for row in rows:
        token = secrets.token_urlsafe(24)
        recipients.append({
            "campaign_id": campaign.id, "email": row.email, "token": token,
            "language": row.language, "target_group": row.target_group,
            "organisation_id": row.organisation_id, "source_registration_id": row.registration_id,
            "invited_at": now,
        })  # fmt: skip
        facts = invitation_facts(
            event, row.language, row.name, token, texts.subjects, texts.bodies,
            campaign_id=campaign.id,
        )  # fmt: skip
        queue_invitation(row.email, row.language, facts)
    if recipients:
        db.session.execute(sa.insert(CampaignRecipient), recipients)
    campaign.recipient_count = (campaign.recipient_count or 0) + len(rows)
    if len(rows) < batch_size:
        campaign.status, campaign.sent_at = "sent", now
    else:
        campaign.status = "sending"
    return len(rows)


def send_due_campaigns(
    now: datetime | None = None, batch_size: int = BATCH_SIZE, max_batches: int | None = None
) -> int:
    """Queue the due campaigns' invitations, a batch per transaction; the number queued.
    `max_batches` stops after that many (the tests' interruption; the worker gives none)."""
    now = now or utcnow()
    queued = batches = 0
    while max_batches is None or batches < max_batches:
        with write_transaction():
            campaign = _due_campaign(now)
            if campaign is None:
                return queued
            event = db.session.get(Event, campaign.event_id)
            if event is None or event.status != "published" or event.starts_at <= now:
                campaign.status = "cancelled"  # too late: nobody may register any more
                db.session.commit()
                continue
            try:
                queued += _queue_batch(campaign, event, batch_size)
                db.session.commit()
            except IntegrityError:  # another worker reached one of them first: read again
                db.session.rollback()
        batches += 1
    return queued


# --- what came of it ----------------------------------------------------------------------------


@dataclass
class Stage:
    invited: int = 0
    opened: int = 0
    registered: int = 0
    attended: int = 0


@dataclass
class Progress:
    total: Stage
    by_group: dict[str, Stage]


def progress(campaign: Campaign) -> Progress:
    """Invited -> opened -> registered -> attended, in all and by target group (one query)."""
    r = CampaignRecipient
    rows = db.session.execute(
        sa.select(
            r.target_group,
            sa.func.count(),
            sa.func.count(r.opened_at),
            sa.func.count(r.registration_id),
            sa.func.count(Registration.attended_at),
        )
        .select_from(r)
        .outerjoin(Registration, Registration.id == r.registration_id)
        .where(r.campaign_id == campaign.id)
        .group_by(r.target_group)
    ).all()
    by_group = {row[0]: Stage(*row[1:]) for row in rows}
    total = Stage(*(sum(getattr(s, k) for s in by_group.values()) for k in vars(Stage())))
    order = {code: i for i, code in enumerate(TARGET_GROUPS)}
    return Progress(total, dict(sorted(by_group.items(), key=lambda kv: order.get(kv[0], 99))))


# --- the person's link ------------------------------------------------------------------------


def recipient_by_token(token: str) -> CampaignRecipient:
    """The invitation with this secret; NotFound for anything else (nothing else is looked up
    for a value that cannot be one)."""
    found = None
    if isinstance(token, str) and 0 < len(token) <= 64 and token.isascii():
        found = db.session.scalar(
            sa.select(CampaignRecipient).where(CampaignRecipient.token == token)
        )
    if found is None:
        raise NotFound(_l("This invitation link is not valid."))
    return found


def open_invitation(token: str) -> CampaignRecipient:
    """The person followed their link: the first visit is recorded (opened_at)."""
    recipient = recipient_by_token(token)
    if recipient.opened_at is None:
        with write_transaction():
            db.session.execute(
                sa.update(CampaignRecipient)
                .where(CampaignRecipient.id == recipient.id, CampaignRecipient.opened_at.is_(None))
                .values(opened_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
        recipient = db.session.get(CampaignRecipient, recipient.id, populate_existing=True)
    return recipient


def prefill_for(event: Event, token: str) -> dict[str, Any] | None:
    """What the registration form fills in for the person invited with this secret: their
    latest registration's name, address, organisation, target group and language; None when the
    secret is not an invitation to this event."""
    try:
        recipient = recipient_by_token(token)
    except NotFound:
        return None
    if recipient.campaign.event_id != event.id or recipient.source_registration_id is None:
        return None
    source = db.session.get(Registration, recipient.source_registration_id)
    if source is None:
        return None
    organisation = source.organisation
    return {
        "name": source.name,
        "email": recipient.email,
        "role": source.role,
        "organisation": organisation.name,
        "org_number": organisation.org_number or "",
        "country": organisation.country,
        "target_group": source.target_group,
        "language": recipient.language,
    }


def record_conversion(registration_id: int, invitation: str, event_id: int) -> bool:
    """A registration was made from the form this invitation filled in: the invitation is
    converted (once; an invitation to another event does not count). The address may have
    been changed in the form (a colleague registered instead): it still came of the link."""
    if not invitation or len(invitation) > 64:
        return False
    in_event = sa.select(Campaign.id).where(Campaign.event_id == event_id)
    with write_transaction():
        changed = db.session.execute(
            sa.update(CampaignRecipient)
            .where(
                CampaignRecipient.token == invitation,
                CampaignRecipient.registration_id.is_(None),
                CampaignRecipient.campaign_id.in_(in_event),
            )
            .values(registration_id=registration_id)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
    return changed == 1


# --- withdrawing the consent ------------------------------------------------------------------


def withdraw(email: str, recipient_id: int | None = None) -> InvitationWithdrawal:
    """Record that this address withdrew its consent to invitations, now. Idempotent: a second
    withdrawal keeps the first date, unless the person opted in again since (then it is a new
    withdrawal of the new consent)."""
    email = email.strip().lower()
    with write_transaction():
        found = db.session.get(InvitationWithdrawal, email)
        if found is None:
            found = InvitationWithdrawal(email=email, campaign_recipient_id=recipient_id)
            db.session.add(found)
        elif _consented_since(email, found.withdrawn_at):
            found.withdrawn_at, found.campaign_recipient_id = utcnow(), recipient_id
        db.session.commit()
    return found


def _consented_since(email: str, moment: datetime) -> bool:
    return bool(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Registration)
            .where(
                Registration.email == email,
                Registration.consent_future_invitations.is_(True),
                Registration.created_at > moment,
            )
        )
    )


def consent_of(email: str) -> tuple[bool, datetime | None]:
    """(whether the address may be invited now, when it withdrew if that withdrawal stands)."""
    email = email.strip().lower()
    found = db.session.get(InvitationWithdrawal, email)
    latest = db.session.scalar(
        sa.select(sa.func.max(Registration.created_at)).where(
            Registration.email == email, Registration.consent_future_invitations.is_(True)
        )
    )
    if found is not None and (latest is None or found.withdrawn_at >= latest):
        return False, found.withdrawn_at
    return latest is not None, None
