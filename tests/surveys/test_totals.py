"""The kept sums of numeric answers (surveys/totals.py) that the impact report reads: added to
by every response stored through the survey page, equal to a recount of the answers, also
when many people answer at once through several server processes."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from core.db import db
from surveys.cli import surveys_command
from surveys.models import SurveyInvitation, SurveyNumberTotal
from surveys.totals import recount
from tests.surveys.helpers import attendees, build_survey


def invitations(survey: Any, people: list[Any]) -> list[SurveyInvitation]:
    rows = [
        SurveyInvitation(survey_id=survey.id, registration_id=r.id, email=r.email, language="sv")
        for r in people
    ]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def question_id(survey: Any, code: str) -> int:
    return next(q.id for q in survey.questions if q.code == code)


def answers(survey: Any, useful: int, procurements: str | None) -> dict[str, str]:
    data = {
        f"q-{question_id(survey, 'useful')}": str(useful),
        f"q-{question_id(survey, 'used_employment_requirements')}": "yes",
    }
    if procurements is not None:
        data[f"q-{question_id(survey, 'procurements_advanced')}"] = procurements
    return data


def kept(survey: Any) -> dict[str, tuple[int, Decimal]]:
    codes = {q.id: q.code for q in survey.questions}
    return {
        codes[row.question_id]: (row.answers, row.total)
        for row in db.session.scalars(sa.select(SurveyNumberTotal))
    }


def test_each_response_adds_to_the_kept_sums(client, make_event):
    event = make_event()
    survey = build_survey(event)
    people = invitations(survey, attendees(event, 3))
    for invitation, (useful, procurements) in zip(
        people, [(4, "3,5"), (2, None), (5, "10")], strict=True
    ):
        sent = client.post(f"/s/{invitation.token}", data=answers(survey, useful, procurements))
        assert sent.status_code == 302
    db.session.expire_all()
    assert kept(survey) == {
        "useful": (3, Decimal("11")),
        "procurements_advanced": (2, Decimal("13.5")),
    }
    assert recount() == []


def test_the_command_finds_and_mends_a_wrong_sum(app, client, make_event):
    event = make_event()
    survey = build_survey(event)
    (invitation,) = invitations(survey, attendees(event, 1))
    client.post(f"/s/{invitation.token}", data=answers(survey, 3, "7"))
    db.session.execute(
        sa.update(SurveyNumberTotal)
        .where(SurveyNumberTotal.question_id == question_id(survey, "procurements_advanced"))
        .values(total=99)
    )
    db.session.commit()
    runner = app.test_cli_runner()
    found = runner.invoke(surveys_command, ["totals"])
    assert found.exit_code == 1
    assert "kept 1 answers summing 99.00, counted 1 summing 7.00" in found.output
    assert "Found 1 wrong sums." in found.output
    mended = runner.invoke(surveys_command, ["totals", "--fix"])
    assert mended.exit_code == 1 and "Corrected 1 wrong sums." in mended.output
    assert runner.invoke(surveys_command, ["totals"]).output.strip() == (
        "Every kept sum equals the recount."
    )


@pytest.mark.server
def test_many_people_answering_at_once_lose_no_addition(app, database_url, make_event):
    """Twelve people submit at the same moment through three server processes: every
    response is added to the same kept rows, and the sums equal the recount."""
    import requests

    from tests.server import gunicorn_server

    event = make_event()
    survey = build_survey(event)
    people = invitations(survey, attendees(event, 12))
    barrier = threading.Barrier(len(people))

    forms = [(i.token, answers(survey, 1 + n % 5, str(n))) for n, i in enumerate(people)]

    def one(job: tuple[str, str, dict[str, str]]) -> int:
        base_url, token, data = job
        tab = requests.Session()
        form = tab.get(f"{base_url}/s/{token}", timeout=120).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        barrier.wait()
        sent = tab.post(
            f"{base_url}/s/{token}",
            data=data | {"csrf_token": csrf},
            allow_redirects=False,
            timeout=90,
        )
        return sent.status_code

    with (
        gunicorn_server(database_url, workers=3, threads=2) as base_url,
        ThreadPoolExecutor(max_workers=len(people)) as pool,
    ):
        jobs = [(base_url, token, data) for token, data in forms]
        statuses = list(pool.map(one, jobs))
    assert statuses == [302] * len(people)
    db.session.rollback()
    assert kept(survey) == {
        "useful": (12, Decimal(sum(1 + n % 5 for n in range(12)))),
        "procurements_advanced": (12, Decimal(sum(range(12)))),
    }
    assert recount() == []
