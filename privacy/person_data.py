"""Everything held about the person who holds a manage link: GDPR article 15's copy, as
machine-readable JSON (/r/<token>/data.json).

"The person" is the address of that registration: every registration made with it (not the
anonymised ones, which no longer hold it), and what hangs on those registrations or was sent
to that address: survey invitations (with the answers of a non-anonymous survey; an anonymous
survey's answers are tied to nobody, so they are never here, only that and when the person
answered), downloads made through their links, campaign invitations, a withdrawn consent,
erasure requests, the emails sent to them, and the organisers' recorded actions on their
registrations (the audit log's entries: what and when, not which organiser). Nothing of
anyone else: every query is by their registrations' ids or by their exact address.

Times are ISO 8601 with their offset (UTC, as stored); days are ISO dates.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from core.db import db, folded, utcnow
from core.models import AuditEntry, OutboxMessage
from materials.models import Material, MaterialDownload
from outreach.models import Campaign, CampaignRecipient, InvitationWithdrawal
from participants.models import Registration, registration_session
from privacy.models import ErasureRequest
from surveys.models import (
    SurveyAnswer,
    SurveyAnswered,
    SurveyDraft,
    SurveyInvitation,
    SurveyOption,
    SurveyQuestion,
    SurveyResponse,
)

FORMAT = "motesplats-person-data/1"


def _iso(moment: datetime | date | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def registrations_of(registration: Registration) -> list[Registration]:
    """Every registration with this registration's address, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Registration)
            .where(Registration.email == registration.email, Registration.anonymised_at.is_(None))
            .order_by(Registration.created_at, Registration.id)
        )
    )


def _registration(registration: Registration) -> dict[str, Any]:
    event = registration.event
    organisation = registration.organisation
    attended = dict(
        db.session.execute(
            sa.select(registration_session.c.session_id, registration_session.c.attended_at).where(
                registration_session.c.registration_id == registration.id
            )
        ).all()
    )
    return {
        "id": registration.id,
        "event": {
            "title": event.title,
            "slug": event.slug,
            "starts_at": _iso(event.starts_at),
            "ends_at": _iso(event.ends_at),
            "timezone": event.timezone,
        },
        "status": registration.status,
        "registered_at": _iso(registration.created_at),
        "cancelled_at": _iso(registration.cancelled_at),
        "added_by_organiser": registration.added_by_organiser,
        "name": registration.name,
        "email": registration.email,
        "organisation": {
            "name": organisation.name,
            "number": organisation.org_number,
            "country": organisation.country,
        },
        "role": registration.role,
        "target_group": registration.target_group,
        "language": registration.language,
        "needs": registration.needs,
        "consent_future_invitations": registration.consent_future_invitations,
        "sessions": [
            {
                "title": s.title,
                "starts_at": _iso(s.starts_at),
                "ends_at": _iso(s.ends_at),
                "attended_at": _iso(attended.get(s.id)),
            }
            for s in registration.sessions
        ],
        "checked_in_at": _iso(registration.attended_at),
        "manage_link_sent_again_at": _iso(registration.manage_link_sent_at),
    }


def _answer_value(answer: SurveyAnswer, options: dict[int, SurveyOption]) -> Any:
    if answer.option_id is not None:
        option = options.get(answer.option_id)
        return option.label if option else None
    if answer.number is not None:
        number = Decimal(answer.number)
        return int(number) if number == number.to_integral_value() else float(number)
    return answer.text


def _answers(response: SurveyResponse) -> list[dict[str, Any]]:
    """A non-anonymous response's answers, question by question, in the survey's order."""
    rows = list(
        db.session.scalars(
            sa.select(SurveyAnswer)
            .where(SurveyAnswer.response_id == response.id)
            .order_by(SurveyAnswer.id)
        )
    )
    questions = {
        q.id: q
        for q in db.session.scalars(
            sa.select(SurveyQuestion).where(SurveyQuestion.survey_id == response.survey_id)
        )
    }
    options = {
        o.id: o
        for o in db.session.scalars(
            sa.select(SurveyOption).where(SurveyOption.question_id.in_(list(questions)))
        )
    }
    by_question: dict[int, list[Any]] = {}
    for answer in rows:
        by_question.setdefault(answer.question_id, []).append(_answer_value(answer, options))
    ordered = sorted(by_question, key=lambda qid: (questions[qid].position, qid))
    return [
        {"question": questions[qid].text, "code": questions[qid].code, "answers": by_question[qid]}
        for qid in ordered
    ]


def _draft(invitation: SurveyInvitation) -> dict[str, Any] | None:
    draft = db.session.get(SurveyDraft, invitation.id)
    if draft is None:
        return None
    texts = dict(
        db.session.execute(
            sa.select(SurveyQuestion.id, SurveyQuestion.text).where(
                SurveyQuestion.survey_id == invitation.survey_id
            )
        ).all()
    )
    answers = {}
    for key, values in (draft.answers or {}).items():
        question = key.removeprefix("q-")
        label = texts.get(int(question)) if question.isdigit() else None
        answers[label or key] = values
    return {"saved_at": _iso(draft.saved_at), "answers": answers}


def _survey_invitations(address: str, ids: list[int]) -> list[dict[str, Any]]:
    invitations = db.session.scalars(
        sa.select(SurveyInvitation)
        .where(SurveyInvitation.registration_id.in_(ids) | (SurveyInvitation.email == address))
        .order_by(SurveyInvitation.invited_at, SurveyInvitation.id)
    )
    found = []
    for invitation in invitations:
        survey = invitation.survey
        answered = db.session.get(SurveyAnswered, invitation.id)
        response = None
        if not survey.anonymous:
            response = db.session.scalar(
                sa.select(SurveyResponse).where(SurveyResponse.invitation_id == invitation.id)
            )
        found.append(
            {
                "survey": {"title": survey.title, "anonymous": survey.anonymous},
                "registration_id": invitation.registration_id,
                "language": invitation.language,
                "invited_at": _iso(invitation.invited_at),
                "reminders_sent": invitation.reminders_sent,
                "reminded_at": _iso(invitation.reminded_at),
                "opted_out_at": _iso(invitation.opted_out_at),
                "answered": answered is not None or response is not None,
                "answered_on": _iso(
                    answered.answered_on if answered else response and response.submitted_on
                ),
                # Only a non-anonymous survey's; an anonymous one's are tied to nobody.
                "answers": _answers(response) if response is not None else None,
                "saved_draft": _draft(invitation),
            }
        )
    return found


def _downloads(ids: list[int]) -> list[dict[str, Any]]:
    rows = db.session.execute(
        sa.select(Material.title, MaterialDownload.downloaded_at, MaterialDownload.registration_id)
        .join(Material, Material.id == MaterialDownload.material_id)
        .where(MaterialDownload.registration_id.in_(ids))
        .order_by(MaterialDownload.downloaded_at, MaterialDownload.id)
    ).all()
    return [
        {"material": title, "downloaded_at": _iso(at), "registration_id": registration_id}
        for title, at, registration_id in rows
    ]


def _campaign_invitations(address: str, ids: list[int]) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        sa.select(CampaignRecipient)
        .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
        .where(
            (CampaignRecipient.email == address)
            | CampaignRecipient.registration_id.in_(ids)
            | CampaignRecipient.source_registration_id.in_(ids)
        )
        .order_by(CampaignRecipient.invited_at, CampaignRecipient.id)
    )
    return [
        {
            "event": {"title": r.campaign.event.title, "slug": r.campaign.event.slug},
            "language": r.language,
            "invited_at": _iso(r.invited_at),
            "opened_at": _iso(r.opened_at),
            "converted": r.registration_id is not None,
            "registration_id": r.registration_id,
        }
        for r in rows
    ]


def _emails(address: str, ids: list[int]) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        sa.select(OutboxMessage)
        .where(
            OutboxMessage.registration_id.in_(ids) | (folded(OutboxMessage.recipient) == address)
        )
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return [
        {
            "kind": m.kind,
            "subject": m.subject,
            "status": m.status,
            "registration_id": m.registration_id,
            "created_at": _iso(m.created_at),
            "sent_at": _iso(m.sent_at),
            # What was sent; None while it waits (it is written when sent).
            "text": m.body_text if m.status == "sent" else None,
        }
        for m in rows
    ]


def _erasure_requests(ids: list[int]) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        sa.select(ErasureRequest)
        .where(ErasureRequest.registration_id.in_(ids))
        .order_by(ErasureRequest.requested_at, ErasureRequest.id)
    )
    return [
        {
            "requested_at": _iso(r.requested_at),
            "status": r.status,
            "decided_at": _iso(r.decided_at),
            "note": r.note if r.status == "rejected" else "",
        }
        for r in rows
    ]


def _organiser_actions(ids: list[int]) -> list[dict[str, Any]]:
    """The audit log's entries on these registrations (core.audit): a person may know who
    has handled their data; the organiser's name is theirs, so the action and time only."""
    rows = db.session.execute(
        sa.select(AuditEntry.at, AuditEntry.action, AuditEntry.subject)
        .where(AuditEntry.subject.in_([f"registration:{i}" for i in ids]))
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    return [
        {"at": _iso(at), "action": action, "registration_id": int(subject.partition(":")[2])}
        for at, action, subject in rows
    ]


def person_data(registration: Registration) -> dict[str, Any]:
    """Everything held about the holder of this registration's address (the module's
    docstring), as plain JSON."""
    address = registration.email
    registrations = registrations_of(registration)
    ids = [r.id for r in registrations]
    withdrawal = db.session.get(InvitationWithdrawal, address)
    return {
        "format": FORMAT,
        "generated_at": _iso(utcnow()),
        "email": address,
        "registrations": [_registration(r) for r in registrations],
        "survey_invitations": _survey_invitations(address, ids),
        "material_downloads": _downloads(ids),
        "campaign_invitations": _campaign_invitations(address, ids),
        "consent_withdrawn_at": _iso(withdrawal.withdrawn_at) if withdrawal else None,
        "erasure_requests": _erasure_requests(ids),
        "emails": _emails(address, ids),
        "organiser_actions": _organiser_actions(ids),
    }
