"""Anonymising registrations: the name, address, role and needs go from every table (the
outbox, survey and campaign invitations included); attendance and the statistics stay."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from core.db import db, utcnow
from core.models import OutboxMessage
from core.outbox_admin import retry_failed
from outreach.models import Campaign, CampaignRecipient, InvitationWithdrawal
from participants.models import Printout, Registration
from participants.services import register
from privacy.anonymise import anonymise_registrations
from surveys.models import SurveyDraft, SurveyInvitation, SurveyResponse
from tests.participants.helpers import as_stored, person
from tests.privacy.helpers import traces
from tests.surveys.helpers import build_survey

MAJA = ("Maja Upphandlare 1", "maja1@stockholm.se", "Specialkost: vegansk")


def _later(make_event, event, days: int, title: str):
    start = event.starts_at + timedelta(days=days)
    return make_event(
        title=title, starts_at=start.isoformat(), ends_at=(start + timedelta(hours=2)).isoformat()
    )


def _world(make_event):
    """An event with two people; the first checked in, invited to a survey she answered (not
    anonymously), in a campaign, with a consent withdrawn, a draft and a printout."""
    event = make_event(title="Krav i praktiken")
    maja = as_stored(register(event, person(1, needs=MAJA[2], role="Inköpschef")))
    other = as_stored(register(event, person(2, needs="Rullstol")))
    maja.attended_at = event.starts_at
    survey = build_survey(event, anonymous=False)
    invitation = SurveyInvitation(survey=survey, registration_id=maja.id, email=maja.email)
    db.session.add(invitation)
    db.session.flush()
    db.session.add(
        SurveyResponse(
            survey_id=survey.id, invitation_id=invitation.id, organisation_id=maja.organisation_id,
            event_id=event.id, target_group=maja.target_group, organisation_kind="municipality",
            country="SE", language="sv", submitted_on=utcnow().date(),
        )
    )  # fmt: skip
    other_survey = build_survey(event, anonymous=False, title="Uppföljning")
    draft_invitation = SurveyInvitation(
        survey=other_survey, registration_id=maja.id, email=maja.email
    )
    db.session.add(draft_invitation)
    db.session.flush()
    db.session.add(SurveyDraft(invitation_id=draft_invitation.id, answers={"q-1": [MAJA[0]]}))
    later = _later(make_event, event, 60, "Nästa")
    campaign = Campaign(event_id=later.id)
    db.session.add(campaign)
    db.session.flush()
    db.session.add(
        CampaignRecipient(
            campaign_id=campaign.id, email=maja.email, token="t" * 32, language="sv",
            target_group=maja.target_group, source_registration_id=maja.id,
        )
    )  # fmt: skip
    db.session.add(InvitationWithdrawal(email=maja.email))
    db.session.add(Printout(event_id=event.id, kind="badges", language="sv", content=b"%PDF"))
    db.session.commit()
    return event, maja, other


def test_no_trace_of_the_person_is_left_and_attendance_stays(make_event):
    event, maja, other = _world(make_event)
    maja_id, other_id, token = maja.id, other.id, maja.token
    assert set(traces(*MAJA)) >= {
        "registration.name",
        "registration.email",
        "outbox_message.recipient",
    }

    done = anonymise_registrations([maja_id], now=utcnow(), forget_addresses=True)
    db.session.commit()

    assert traces(*MAJA) == []
    assert traces(token) == []
    assert (
        done.registrations == 1 and done.survey_invitations == 2 and done.campaign_invitations == 1
    )
    row = db.session.get(Registration, maja_id)
    assert row.anonymised_at is not None
    assert row.attended_at == event.starts_at  # the audit's attendance stays
    assert (row.target_group, row.organisation_id, row.status) == (
        "contracting_authority",
        other.organisation_id,
        "confirmed",
    )
    response = db.session.scalar(
        sa.select(SurveyResponse).where(SurveyResponse.event_id == event.id)
    )
    assert response.invitation_id is None and response.organisation_id == row.organisation_id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyDraft)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Printout)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InvitationWithdrawal)) == 0
    # The other person is untouched.
    kept = db.session.get(Registration, other_id)
    assert (kept.name, kept.email, kept.needs) == (
        "Maja Upphandlare 2",
        "maja2@stockholm.se",
        "Rullstol",
    )
    assert traces("maja2@stockholm.se")


def test_an_unsent_email_to_an_anonymised_person_fails_for_good(make_event):
    event, maja, _ = _world(make_event)
    queued = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.registration_id == maja.id)
    ).all()
    assert queued and all(m.status == "queued" for m in queued)

    anonymise_registrations([maja.id], now=utcnow())
    db.session.commit()
    assert retry_failed() == 0

    rows = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.registration_id == maja.id)
    )
    assert {(m.status, m.failure_reason, m.recipient) for m in rows} == {
        ("failed", "anonymised", "")
    }


def test_retention_keeps_a_withdrawal_the_address_still_needs_and_repeats_nothing(make_event):
    event, maja, _ = _world(make_event)
    later = _later(make_event, event, 90, "Senare")
    register(later, person(1))
    first = anonymise_registrations([maja.id], now=utcnow())
    db.session.commit()
    again = anonymise_registrations([maja.id], now=utcnow())

    assert first.registrations == 1 and first.withdrawals == 0
    assert again.registrations == 0  # already anonymised: left as it is
    assert db.session.get(InvitationWithdrawal, "maja1@stockholm.se") is not None
    assert "registration.email" in traces("maja1@stockholm.se")  # the later registration
