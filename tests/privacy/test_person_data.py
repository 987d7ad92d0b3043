"""A person's own data, /r/<token>/data.json: everything held about the holder of the link
(built through the services and pages, with the emails sent over SMTP), as a JSON file with
ISO times, and nothing of anyone else: not of a colleague at the same organisation and event,
nor of someone whose address looks like hers."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
import sqlalchemy as sa

from core.db import db, utcnow
from privacy.anonymise import anonymise_registrations
from surveys.models import SurveyInvitation
from tests.privacy.person_world import ANSWER_TEXT, COLLEAGUE, LOOKALIKE, MAJA, build

pytestmark = pytest.mark.real_smtp  # an app that sends to a real SMTP server


def _export(client, token: str) -> dict:
    response = client.get(f"/r/{token}/data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=") and disposition.endswith('.json"')
    assert "maja" not in disposition.lower()  # no personal data in the file's name
    assert "no-store" in response.headers["Cache-Control"]
    return json.loads(response.get_data(as_text=True))


def _is_iso_with_offset(value: str) -> bool:
    moment = datetime.fromisoformat(value)
    return moment.utcoffset() is not None


def test_the_export_holds_everything_about_her(client, smtp, organiser, make_event):
    world = build(client, organiser, make_event)
    data = _export(client, world.maja.token)
    assert data["email"] == MAJA["email"]

    # Both registrations by her address: the workshop and the conference.
    regs = {r["event"]["slug"]: r for r in data["registrations"]}
    assert set(regs) == {world.workshop.slug, world.conference.slug}
    first = regs[world.workshop.slug]
    assert first["event"]["title"] == "Krav i praktiken"
    assert _is_iso_with_offset(first["event"]["starts_at"])
    assert _is_iso_with_offset(first["event"]["ends_at"])
    assert (first["name"], first["role"], first["needs"]) == (
        MAJA["name"], MAJA["role"], MAJA["needs"],
    )  # fmt: skip
    assert first["status"] == "confirmed" and first["language"] == "sv"
    assert first["organisation"] == {
        "name": "Stockholms stad", "number": "212000-0142", "country": "SE",
    }  # fmt: skip
    assert first["target_group"] == "contracting_authority"
    assert first["consent_future_invitations"] is True
    assert _is_iso_with_offset(first["registered_at"])
    assert datetime.fromisoformat(first["checked_in_at"]) == world.checked_in_at
    tracked, other = first["sessions"]
    assert tracked["title"] == "Verkstad A" and _is_iso_with_offset(tracked["attended_at"])
    assert other["attended_at"] is None
    assert regs[world.conference.slug]["language"] == "fi"

    # Survey invitations: the open survey with her answers; the anonymous one without.
    surveys = {s["survey"]["anonymous"]: s for s in data["survey_invitations"]}
    assert len(data["survey_invitations"]) == 2
    open_one, anonymous = surveys[False], surveys[True]
    assert open_one["answered"] is True and open_one["answered_on"] == utcnow().date().isoformat()
    assert _is_iso_with_offset(open_one["invited_at"])
    texts = [a for q in open_one["answers"] for a in q["answers"]]
    assert ANSWER_TEXT in texts and 4 in texts
    assert all(q["question"] for q in open_one["answers"])
    assert anonymous["answered"] is True and anonymous["answers"] is None
    assert "opted_out_at" in open_one and "reminded_at" in open_one

    # The download through her link, the campaign's invitation, the withdrawn consent.
    assert [d["material"] for d in data["material_downloads"]] == ["Avtalsklausul"]
    assert _is_iso_with_offset(data["material_downloads"][0]["downloaded_at"])
    (invitation,) = data["campaign_invitations"]
    assert invitation["event"]["slug"] == world.conference.slug
    assert _is_iso_with_offset(invitation["opened_at"]) and invitation["converted"] is True
    assert _is_iso_with_offset(data["consent_withdrawn_at"])

    # The emails sent to her, with what they said.
    kinds = sorted(m["kind"] for m in data["emails"])
    assert kinds == sorted(
        ["confirmed", "confirmed", "survey_invitation", "survey_invitation",
         "campaign_invitation"]
    )  # fmt: skip
    for message in data["emails"]:
        assert message["status"] == "sent" and message["subject"]
        assert _is_iso_with_offset(message["created_at"]) and _is_iso_with_offset(
            message["sent_at"]
        )
        assert message["text"]
    confirmation = next(m for m in data["emails"] if m["kind"] == "confirmed")
    assert MAJA["name"] in confirmation["text"]
    # What went over SMTP is what she is shown.
    sent_to_her = [r for r in smtp.received if r.recipients == [MAJA["email"]]]
    assert len(sent_to_her) == len(data["emails"])

    # What organisers did with her registrations (the audit log): what and when, no names.
    actions = {(a["action"], a["registration_id"]) for a in data["organiser_actions"]}
    assert ("checked_in", first["id"]) in actions
    assert all(_is_iso_with_offset(a["at"]) for a in data["organiser_actions"])
    assert organiser.name not in json.dumps(data["organiser_actions"], ensure_ascii=False)


def test_nothing_of_anyone_else(client, smtp, organiser, make_event):
    world = build(client, organiser, make_event)
    text = json.dumps(_export(client, world.maja.token), ensure_ascii=False).lower()
    for other in (COLLEAGUE, LOOKALIKE):
        for value in other.values():
            assert value.lower() not in text, value
    assert "svar från" not in text  # the others' answers
    # …and the colleague's copy holds nothing of Maja.
    theirs = json.dumps(_export(client, world.colleague.token), ensure_ascii=False)
    for value in MAJA.values():
        assert value not in theirs
    lookalike = _export(client, world.lookalike.token)
    assert lookalike["email"] == LOOKALIKE["email"]
    assert [r["name"] for r in lookalike["registrations"]] == [LOOKALIKE["name"]]
    assert lookalike["campaign_invitations"] == [] or all(
        not c["converted"] for c in lookalike["campaign_invitations"]
    )
    assert lookalike["consent_withdrawn_at"] is None
    own = {r["id"] for r in lookalike["registrations"]}
    assert {a["registration_id"] for a in lookalike["organiser_actions"]} <= own
    assert len(lookalike["survey_invitations"]) == 2


def test_an_unknown_or_anonymised_link_is_404(client, smtp, organiser, make_event):
    world = build(client, organiser, make_event)
    assert client.get("/r/no-such-token/data.json").status_code == 404
    token = world.colleague.token
    anonymise_registrations([world.colleague.id], now=utcnow())
    db.session.commit()
    assert client.get(f"/r/{token}/data.json").status_code == 404
    # What is left of the colleague is nowhere in Maja's copy either.
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(SurveyInvitation)
        .where(SurveyInvitation.email == COLLEAGUE["email"])
    ) == 0  # fmt: skip


def test_the_manage_page_links_the_data_and_shows_the_withdrawn_consent(
    client, smtp, organiser, make_event
):
    world = build(client, organiser, make_event)
    page = client.get(f"/r/{world.maja.token}?lang=en").get_data(as_text=True)
    assert f'href="/r/{world.maja.token}/data.json"' in page
    assert "Download your data (JSON file)" in page
    assert "You withdrew your consent to invitations to future events on" in page
    assert f'href="/r/{world.maja.token}/erase?lang=en"' in page
    sv = client.get(f"/r/{world.maja.token}").get_data(as_text=True)
    assert 'lang="sv"' in sv
