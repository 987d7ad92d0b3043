"""A person's request to be erased, and an administrator's decision on it.

A person asks from their manage page (/r/<token>/erase): one pending request per address, the
registration's language, an acknowledgement by email. An administrator approves or rejects it
(/manage/erasure-requests).

Approving erases the person everywhere in ONE write transaction: every registration with the
request's address is anonymised with forget_addresses (privacy.anonymise: the registrations,
survey and campaign invitations, the tie to a response, drafts, download records stay tied
only to the anonymised row, the outbox, a withdrawn consent), the request is marked approved
and the audit log records it. Attendance (the check-in and the sessions' attendance) stays, as
the project's audit and the archiving rules require.

The person must still be told, yet no trace of the address may remain afterwards. So the
notice is queued in the same transaction, after the anonymisation (which empties every other
message to the address), with a snapshot that holds no name; its kind is marked
core.outbox.forget_after_sending, so the worker empties its recipient and text in the same
UPDATE that marks it sent (or fails it for good). Until then the address is only on that one
queued row; if the transaction rolls back, nothing is erased and nothing is sent.

Rejecting keeps everything and tells the person why, and how to complain to IMY.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core import audit
from core.db import db, utcnow, write_transaction
from core.errors import Conflict, NotFound, ValidationError
from core.models import Organiser, OutboxMessage
from events.models import Event
from outreach.models import CampaignRecipient
from participants.models import Registration
from privacy import emails
from privacy.anonymise import anonymise_registrations
from privacy.models import ErasureRequest
from surveys.models import SurveyInvitation

MAX_NOTE = 2000


def _registrations_of(address: str, *, lock: bool = False) -> list[Registration]:
    """Every registration (not yet anonymised) with this address; locked FOR UPDATE on
    PostgreSQL, so two requests or decisions for one person take their turns."""
    query = (
        sa.select(Registration)
        .where(Registration.email == address, Registration.anonymised_at.is_(None))
        .order_by(Registration.id)
    )
    if lock and db.engine.dialect.name == "postgresql":
        query = query.with_for_update().execution_options(populate_existing=True)
    return list(db.session.scalars(query))


def pending_request(address: str) -> ErasureRequest | None:
    """The person's request waiting for a decision, if any (by address: any of their
    registrations may have asked)."""
    return db.session.scalar(
        sa.select(ErasureRequest)
        .join(Registration, Registration.id == ErasureRequest.registration_id)
        .where(Registration.email == address, ErasureRequest.status == "pending")
        .order_by(ErasureRequest.id)
        .limit(1)
    )


def request_erasure(registration: Registration) -> ErasureRequest:
    """A pending request for the holder of this registration, acknowledged by email in their
    language. Conflict (409, "erasure_pending") when one is already pending for the address."""
    with write_transaction():
        registration = db.session.get(Registration, registration.id, populate_existing=True)
        if registration is None or registration.anonymised_at is not None:
            raise NotFound(_l("There is no registration with this link."))
        _registrations_of(registration.email, lock=True)
        if pending_request(registration.email) is not None:
            raise Conflict(
                _l("Your request to be erased is already waiting for a decision."),
                code="erasure_pending",
            )
        now = utcnow()
        request = ErasureRequest(
            registration_id=registration.id,
            language=registration.language,
            status="pending",
            requested_at=now,
        )
        db.session.add(request)
        db.session.flush()
        emails.requested(registration, registration.language, now.date())
        db.session.commit()
    return request


# --- what the administrator sees -----------------------------------------------------------


@dataclass
class Scope:
    """What approving a request would anonymise: the person's registrations (with their
    events) and how many survey invitations, campaign invitations and emails hang on them."""

    request: ErasureRequest
    address: str | None  # None: the registration is gone or already anonymised
    name: str
    registrations: list[Registration]
    events: list[Event]
    survey_invitations: int
    campaign_invitations: int
    emails: int


def _count(query: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def scope(request: ErasureRequest) -> Scope:
    registration = (
        db.session.get(Registration, request.registration_id) if request.registration_id else None
    )
    if registration is None or registration.anonymised_at is not None:
        return Scope(request, None, "", [], [], 0, 0, 0)
    address = registration.email
    rows = _registrations_of(address)
    ids = [r.id for r in rows]
    return Scope(
        request=request,
        address=address,
        name=registration.name,
        registrations=rows,
        events=[r.event for r in rows],
        survey_invitations=_count(
            sa.select(SurveyInvitation.id).where(
                SurveyInvitation.registration_id.in_(ids) | (SurveyInvitation.email == address)
            )
        ),
        campaign_invitations=_count(
            sa.select(CampaignRecipient.id).where(
                CampaignRecipient.registration_id.in_(ids)
                | CampaignRecipient.source_registration_id.in_(ids)
                | (CampaignRecipient.email == address)
            )
        ),
        emails=_count(
            sa.select(OutboxMessage.id).where(
                OutboxMessage.registration_id.in_(ids) | (OutboxMessage.recipient == address)
            )
        ),
    )


def pending_count() -> int:
    """How many requests wait for a decision (the administrators' link says so)."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ErasureRequest)
            .where(ErasureRequest.status == "pending")
        )
        or 0
    )


def pending_requests() -> list[Scope]:
    """Every pending request with what approving it would anonymise, oldest first."""
    requests = db.session.scalars(
        sa.select(ErasureRequest)
        .where(ErasureRequest.status == "pending")
        .order_by(ErasureRequest.requested_at, ErasureRequest.id)
    )
    return [scope(r) for r in requests]


def decided_requests(limit: int = 50) -> list[ErasureRequest]:
    """The latest decisions, newest first: the record that requests were handled."""
    return list(
        db.session.scalars(
            sa.select(ErasureRequest)
            .where(ErasureRequest.status != "pending")
            .order_by(ErasureRequest.decided_at.desc(), ErasureRequest.id.desc())
            .limit(limit)
        )
    )


# --- deciding ------------------------------------------------------------------------------


def _pending(request_id: int) -> ErasureRequest:
    request = db.session.get(ErasureRequest, request_id, populate_existing=True)
    if request is None:
        raise NotFound(_l("There is no such erasure request."))
    if request.status != "pending":
        raise Conflict(_l("This request has already been decided."), code="decided")
    return request


def _locked_pending(request_id: int) -> ErasureRequest:
    query = sa.select(ErasureRequest).where(ErasureRequest.id == request_id)
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update()
    db.session.execute(query.execution_options(populate_existing=True))
    return _pending(request_id)


def approve(request_id: int, admin: Organiser, now: datetime | None = None) -> ErasureRequest:
    """Erase the person everywhere and tell them, in one transaction (the module's docstring).
    A registration already anonymised (by the retention purge) leaves nothing to erase: the
    request is approved with none, and there is no address left to tell."""
    now = now or utcnow()
    with write_transaction():
        request = _locked_pending(request_id)
        registration = (
            db.session.get(Registration, request.registration_id)
            if request.registration_id
            else None
        )
        address = None
        ids: list[int] = []
        if registration is not None and registration.anonymised_at is None:
            address = registration.email
            ids = [r.id for r in _registrations_of(address, lock=True)]
        done = anonymise_registrations(ids, now=now, forget_addresses=True)
        if address is not None:
            # After the anonymisation, which empties every other message to the address.
            emails.approved(address, request.language, now.date(), done.registrations)
        request = db.session.get(ErasureRequest, request_id)  # anonymise expired the session
        request.status = "approved"
        request.decided_at = now
        request.decided_by_id = admin.id
        request.registrations_anonymised = done.registrations
        audit.record(
            "erasure_approved",
            subject=f"erasure_request:{request.id}",
            detail={
                "registrations": done.registrations,
                "survey_invitations": done.survey_invitations,
                "campaign_invitations": done.campaign_invitations,
                "outbox_messages": done.outbox_messages,
            },
            organiser=admin,
        )
        db.session.commit()
    return request


def reject(request_id: int, admin: Organiser, note: str) -> ErasureRequest:
    """Refuse the request with a reason that is told to the person (ValidationError "note"
    when it is empty), with how to complain."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _l("Tell the person why their request is rejected.")})
    if len(note) > MAX_NOTE:
        raise ValidationError(
            {"note": _l("Keep the reason within %(max)s characters.", max=MAX_NOTE)}
        )
    with write_transaction():
        request = _locked_pending(request_id)
        now = utcnow()
        request.status = "rejected"
        request.decided_at = now
        request.decided_by_id = admin.id
        request.note = note
        registration = (
            db.session.get(Registration, request.registration_id)
            if request.registration_id
            else None
        )
        if registration is not None and registration.anonymised_at is None:
            emails.rejected(registration, request.language, note, request.requested_at.date())
        audit.record("erasure_rejected", subject=f"erasure_request:{request.id}", organiser=admin)
        db.session.commit()
    return request
