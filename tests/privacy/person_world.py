"""Shared by the person-data and erasure tests: a person's whole life in the application,
built through the services and the pages, with emails sent over SMTP to a real server, and
two other people around her (a colleague at the same organisation and event, and someone
whose address looks like hers)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from core.db import db, utcnow
from core.outbox_sending import send_due
from materials import services as materials
from outreach import campaigns
from outreach.models import CampaignRecipient
from participants import services
from participants.attendance import check_in_session
from participants.models import Registration
from surveys import invitations
from surveys.answering import questions_for
from surveys.models import SurveyInvitation
from surveys.services import create_survey
from tests.conftest import event_data
from tests.materials.helpers import material_data
from tests.participants.helpers import as_stored, person, sessions_for

MAJA = {
    "name": "Maja Uppgiftsdotter",
    "email": "maja.uppgift@stockholm.se",
    "needs": "Glutenfri kost, hörslinga",
    "role": "Inköpschef",
}
COLLEAGUE = {"name": "Kalle Kollega", "email": "kalle.kollega@stockholm.se", "needs": "Vegan"}
LOOKALIKE = {"name": "Maja Annan", "email": "maja.uppgift@stockholms.se", "needs": "Laktosfri"}
ANSWER_TEXT = "Mycket givande, tack från Maja"


@dataclass
class World:
    maja: Registration  # at the workshop
    maja_later: Registration  # at the conference, from the campaign's invitation
    colleague: Registration
    lookalike: Registration
    workshop: Any
    conference: Any
    open_survey_id: int
    anonymous_survey_id: int
    checked_in_at: datetime


def _register(event, who: dict[str, str], **extra: Any) -> Registration:
    return as_stored(services.register(event, person(1, **who, **extra)))


def _past(event) -> None:
    """The event took place three days ago (registering needed it ahead)."""
    start = utcnow() - timedelta(days=3)
    db.session.execute(
        sa.text("UPDATE event SET starts_at = :s, ends_at = :e WHERE id = :id"),
        {"s": start, "e": start + timedelta(hours=6), "id": event.id},
    )
    db.session.commit()
    db.session.expire_all()


def _answer(client, invitation: SurveyInvitation, comment: str | None) -> None:
    """Answer through the survey's page: every question, a comment in the text ones."""
    data: dict[str, Any] = {"action": "submit"}
    for q in questions_for(invitation):
        name = f"q-{q.id}"
        if q.type == "likert5":
            data[name] = "4"
        elif q.type in ("single_choice", "yes_no", "multiple_choice"):
            data[name] = q.options[0].code
        elif q.type == "number":
            data[name] = "3"
        elif comment:
            data[name] = comment
    response = client.post(f"/s/{invitation.token}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)


def build(client, organiser, make_event) -> World:
    start = datetime.fromisoformat(event_data()["starts_at"])
    sessions = sessions_for(start, None, None)
    sessions[0]["track_attendance"] = True
    sessions[0]["title"] = "Verkstad A"
    workshop = make_event(title="Krav i praktiken", sessions=sessions)
    first_session, second_session = (s.id for s in workshop.sessions)
    conference = make_event(title="Konferensen", starts_at=(start + timedelta(days=30)).isoformat(),
                            ends_at=(start + timedelta(days=30, hours=6)).isoformat())  # fmt: skip

    maja = _register(workshop, MAJA, sessions=[first_session, second_session],
                     consent_future_invitations=True)  # fmt: skip
    colleague = _register(workshop, COLLEAGUE, sessions=[first_session],
                          consent_future_invitations=True)  # fmt: skip
    lookalike = _register(workshop, LOOKALIKE, consent_future_invitations=True)
    for who in (maja, colleague):
        check_in_session(who, db.session.get(type(workshop.sessions[0]), first_session))
    services.check_in(db.session.get(Registration, lookalike.id))
    checked_in_at = db.session.get(Registration, maja.id).attended_at

    # A material downloaded through her manage link (and one through the colleague's).
    material = materials.create_material(
        organiser, material_data(title="Avtalsklausul", url="https://example.se/klausul"), None
    )
    assert client.get(f"/materials/{material.id}/download?t={maja.token}").status_code == 302
    assert client.get(f"/materials/{material.id}/download?t={colleague.token}").status_code == 302

    _past(workshop)
    # Two surveys of the workshop: one not anonymous, one anonymous; everyone answers both.
    open_survey = create_survey(
        organiser, {"template": "feedback", "event": workshop.slug, "anonymous": False}
    )
    anonymous = create_survey(organiser, {"template": "feedback", "event": workshop.slug})
    open_survey_id, anonymous_id = open_survey.id, anonymous.id
    invitations.send_due_invitations(now=utcnow())
    for inv in db.session.scalars(sa.select(SurveyInvitation).order_by(SurveyInvitation.id)):
        mine = inv.registration_id == maja.id
        _answer(client, inv, ANSWER_TEXT if mine else f"Svar från {inv.email}")

    # The conference's campaign reaches the consenting; Maja opens it and registers from it.
    campaigns.create_campaign(organiser, conference, {})
    campaigns.send_due_campaigns(now=utcnow() + timedelta(seconds=1))
    recipient = db.session.scalar(
        sa.select(CampaignRecipient).where(CampaignRecipient.email == MAJA["email"])
    )
    assert client.get(f"/i/{recipient.token}").status_code == 302
    maja_later = _register(conference, MAJA, language="fi")
    assert campaigns.record_conversion(maja_later.id, recipient.token, conference.id)
    # …and withdraws her consent to more invitations from her manage page.
    assert client.post(f"/r/{maja.token}/invitations/withdraw").status_code == 302

    send_due()
    db.session.expire_all()
    return World(
        maja=db.session.get(Registration, maja.id),
        maja_later=db.session.get(Registration, maja_later.id),
        colleague=db.session.get(Registration, colleague.id),
        lookalike=db.session.get(Registration, lookalike.id),
        workshop=workshop,
        conference=conference,
        open_survey_id=open_survey_id,
        anonymous_survey_id=anonymous_id,
        checked_in_at=checked_in_at,
    )


def link(text: str, path: str) -> str:
    found = re.search(rf"http://localhost({path}[^\s\"<]*)", text)
    assert found, text
    return found.group(1)
