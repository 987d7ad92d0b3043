"""Anonymising registrations everywhere they left a trace, for the retention purge (every
registration of an event past its period) and an approved erasure (every registration with
one address).

What goes: the name, address, role and needs on the registration; its manage link (a new
random token nobody holds); the address and link of its survey invitations and campaign
invitations; the tie between a survey invitation and its response (the response stays, with
the group, organisation and country it was counted under); saved survey drafts; the emails
about it in the outbox (recipient, text and snapshot; one not yet sent fails as
"anonymised"); the printouts of its event (the PDFs name people; they are made again on
demand). What stays, as statistics and the project's audit need: the event, target group,
organisation, language, status, check-in and session attendance, downloads (tied to the
anonymised row) and the funnel's stages.

The caller holds the write transaction and commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime

import sqlalchemy as sa

from core.db import db
from core.models import OutboxMessage
from outreach.models import CampaignRecipient, InvitationWithdrawal
from participants.models import Printout, Registration
from surveys.models import SurveyDraft, SurveyInvitation, SurveyResponse

CHUNK = 500  # ids per statement: well inside SQLite's limit on bound parameters


def placeholder_address(row_id: int) -> str:
    """An address that is unique per row (the one-active-registration-per-address index) and
    can never receive mail: .invalid is reserved for that (RFC 2606)."""
    return f"{row_id}@anonymised.invalid"


def _token() -> str:
    return secrets.token_urlsafe(24)


@dataclass
class Anonymised:
    """How many rows of each kind were changed or removed."""

    registrations: int = 0
    survey_invitations: int = 0
    survey_responses_unlinked: int = 0
    survey_drafts: int = 0
    campaign_invitations: int = 0
    withdrawals: int = 0
    outbox_messages: int = 0
    printouts: int = 0

    def __iadd__(self, other: Anonymised) -> Anonymised:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ids = sorted(set(ids))
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def anonymise_registrations(
    registration_ids: Collection[int], *, now: datetime, forget_addresses: bool = False
) -> Anonymised:
    """Anonymise these registrations and what hangs on them (see the module's docstring).
    Registrations already anonymised are left as they are.

    forget_addresses: also what carries their addresses without naming a registration (emails
    sent to the address, campaign invitations, a withdrawn consent), for an erasure, where the
    person goes everywhere. The retention purge leaves those: the same address may belong to
    a later registration that is still kept."""
    done = Anonymised()
    for chunk in _chunks(registration_ids):
        done += _anonymise_chunk(chunk, now, forget_addresses)
    db.session.expire_all()  # the rows in the session hold what was just replaced
    return done


def _anonymise_chunk(ids: list[int], now: datetime, forget_addresses: bool) -> Anonymised:
    done = Anonymised()
    rows = db.session.execute(
        sa.select(Registration.id, Registration.email, Registration.event_id).where(
            Registration.id.in_(ids), Registration.anonymised_at.is_(None)
        )
    ).all()
    if not rows:
        return done
    ids = [r.id for r in rows]
    emails = sorted({r.email for r in rows})
    event_ids = sorted({r.event_id for r in rows})

    # Survey invitations: a new link nobody holds, no address, no tie to the response.
    invitation_filter = SurveyInvitation.registration_id.in_(ids)
    if forget_addresses:
        invitation_filter = invitation_filter | SurveyInvitation.email.in_(emails)
    invitation_ids = list(
        db.session.scalars(sa.select(SurveyInvitation.id).where(invitation_filter))
    )
    if invitation_ids:
        done.survey_responses_unlinked = db.session.execute(
            sa.update(SurveyResponse)
            .where(SurveyResponse.invitation_id.in_(invitation_ids))
            .values(invitation_id=None)
        ).rowcount
        done.survey_drafts = db.session.execute(
            sa.delete(SurveyDraft).where(SurveyDraft.invitation_id.in_(invitation_ids))
        ).rowcount
        db.session.execute(
            sa.update(SurveyInvitation),
            [{"id": i, "email": placeholder_address(i), "token": _token()} for i in invitation_ids],
        )
        done.survey_invitations = len(invitation_ids)

    # Campaign invitations made from or converted into these registrations (or to the address).
    recipient_filter = CampaignRecipient.registration_id.in_(
        ids
    ) | CampaignRecipient.source_registration_id.in_(ids)
    if forget_addresses:
        recipient_filter = recipient_filter | CampaignRecipient.email.in_(emails)
    recipient_ids = list(
        db.session.scalars(
            sa.select(CampaignRecipient.id).where(
                recipient_filter, ~CampaignRecipient.email.like("%@anonymised.invalid")
            )
        )
    )
    if recipient_ids:
        db.session.execute(
            sa.update(CampaignRecipient),
            [{"id": i, "email": placeholder_address(i), "token": _token()} for i in recipient_ids],
        )
        done.campaign_invitations = len(recipient_ids)

    # The outbox: what was sent about them (or, for an erasure, to them) loses its text.
    outbox_filter = OutboxMessage.registration_id.in_(ids)
    if forget_addresses:
        outbox_filter = outbox_filter | OutboxMessage.recipient.in_(emails)
    unsent = OutboxMessage.status.in_(("queued", "sending"))
    db.session.execute(
        sa.update(OutboxMessage)
        .where(outbox_filter, unsent)
        .values(status="failed", failure_reason="anonymised", claimed_until=None)
    )
    done.outbox_messages = db.session.execute(
        sa.update(OutboxMessage)
        .where(outbox_filter)
        .values(
            recipient="",
            body_text=None,
            body_html=None,
            facts=None,
            attachments=[],
            last_error=None,
        )
    ).rowcount

    done.printouts = db.session.execute(
        sa.delete(Printout).where(Printout.event_id.in_(event_ids))
    ).rowcount

    db.session.execute(
        sa.update(Registration),
        [
            {
                "id": i,
                "name": "",
                "email": placeholder_address(i),
                "role": "",
                "needs": "",
                "token": _token(),
                "consent_future_invitations": False,
                "anonymised_at": now,
            }
            for i in ids
        ],
    )
    done.registrations = len(ids)

    # A withdrawn consent is kept while the address has a registration that could be invited.
    kept = sa.select(Registration.id).where(
        Registration.email == InvitationWithdrawal.email, Registration.anonymised_at.is_(None)
    )
    withdrawn = InvitationWithdrawal.email.in_(emails)
    if not forget_addresses:
        withdrawn = withdrawn & ~kept.exists()
    done.withdrawals = db.session.execute(sa.delete(InvitationWithdrawal).where(withdrawn)).rowcount
    return done
