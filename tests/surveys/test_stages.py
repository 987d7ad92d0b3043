"""The kept stages of each registration (surveys/stages.py) that the impact report's funnel
reads: turned on by the download, the invitation, the answer and the yes answer of a named
survey as they are written, recounted when a material is deleted, equal to a fresh count
after each of those flows; `flask surveys totals` finds and mends a wrong one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from core.db import db
from materials.audience import Viewer
from materials.models import Material
from materials.services import delete_material, record_download
from surveys import stages
from surveys.cli import surveys_command
from surveys.invitations import invite_batch
from surveys.models import RegistrationStage, SurveyInvitation
from tests.surveys.helpers import attendees, build_survey


def kept() -> dict[int, tuple[bool, ...]]:
    db.session.expire_all()
    return {
        row.registration_id: tuple(getattr(row, flag) for flag in stages.FLAGS)
        for row in db.session.scalars(sa.select(RegistrationStage))
    }


def yes(survey: Any) -> dict[str, str]:
    question = next(q for q in survey.questions if q.code == "used_employment_requirements")
    return {f"q-{question.id}": "yes", f"q-{survey.questions[0].id}": "4"}


def test_each_flow_keeps_the_stages_as_a_recount_finds_them(client, make_event, organiser):
    event = make_event()
    a, b, c = attendees(event, 3)
    assert kept() == {}  # registering writes no stage

    guide = Material(
        title="Guide", category="guide", url="https://example.org/guide", created_by=organiser
    )
    db.session.add(guide)
    db.session.commit()
    record_download(guide, Viewer(registrations=[a]))
    record_download(guide, Viewer(registrations=[a]))  # twice: still one flag
    assert kept() == {a.id: (True, False, False, False)}
    assert stages.recount() == []

    named = build_survey(event, anonymous=False)
    assert invite_batch(named.send_at + timedelta(minutes=1)) == 3
    assert kept() == {
        a.id: (True, True, False, False),
        b.id: (False, True, False, False),
        c.id: (False, True, False, False),
    }
    tokens = {i.registration_id: i.token for i in db.session.scalars(sa.select(SurveyInvitation))}
    assert client.post(f"/s/{tokens[a.id]}", data=yes(named)).status_code == 302
    answer = yes(named) | {next(iter(yes(named))): "no"}
    assert client.post(f"/s/{tokens[b.id]}", data=answer).status_code == 302
    assert kept() == {
        a.id: (True, True, True, True),
        b.id: (False, True, True, False),
        c.id: (False, True, False, False),
    }
    assert stages.recount() == []

    # A yes in an anonymous survey leads to nobody: answered, not adopted.
    anonymous = build_survey(event, anonymous=True)
    assert invite_batch(anonymous.send_at + timedelta(minutes=1)) == 3
    token = db.session.scalar(
        sa.select(SurveyInvitation.token).where(
            SurveyInvitation.survey_id == anonymous.id, SurveyInvitation.registration_id == c.id
        )
    )
    assert client.post(f"/s/{token}", data=yes(anonymous)).status_code == 302
    assert kept()[c.id] == (False, True, True, False)

    delete_material(organiser, db.session.get(Material, guide.id))
    assert kept()[a.id] == (False, True, True, True)
    assert stages.recount() == []


def test_the_command_finds_and_mends_a_wrong_stage(app, make_event):
    event = make_event()
    (a,) = attendees(event, 1)
    db.session.add(RegistrationStage(registration_id=a.id, answered=True))
    db.session.commit()
    runner = app.test_cli_runner()
    found = runner.invoke(surveys_command, ["totals"])
    assert found.exit_code == 1
    assert f"registration {a.id}: kept answered, counted none" in found.output
    assert "Found 1 registrations with wrong stages." in found.output
    mended = runner.invoke(surveys_command, ["totals", "--fix"])
    assert mended.exit_code == 1 and "Corrected 1 registrations" in mended.output
    assert kept() == {}
    assert runner.invoke(surveys_command, ["totals"]).output.strip() == (
        "Every kept sum equals the recount."
    )
