"""The survey tables as the features build on them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.db import db
from surveys.content import survey_text
from surveys.models import SurveyResponse
from tests.surveys.helpers import attendees, build_survey


def test_a_survey_keeps_its_questions_in_order_with_texts_in_three_languages(make_event):
    event = make_event()
    survey = build_survey(event)
    codes = [q.code for q in survey.questions]
    assert codes[0] == "useful" and codes[-1] == "comments"
    question = survey.questions[1]
    assert [o.code for o in question.options] == ["yes", "planned", "no"]
    assert (
        str(survey_text(question, "text", survey.language, "fi"))
        == "Kysymys used_employment_requirements"
    )
    # English option labels were not given: the Swedish one, marked as Swedish.
    label = survey_text(question.options[0], "label", survey.language, "en")
    assert (label.text, label.lang) == ("Val yes", "sv")


def test_response_ids_are_random_not_a_sequence(make_event):
    event = make_event()
    survey = build_survey(event)
    attendees(event, 1)
    ids = []
    for _ in range(3):
        response = SurveyResponse(survey_id=survey.id, target_group="supplier",
                                  organisation_kind="company", country="SE", language="sv",
                                  submitted_on=event.ends_at.date())  # fmt: skip
        db.session.add(response)
        db.session.flush()
        ids.append(response.id)
    assert len(set(ids)) == 3 and all(len(i) == 32 for i in ids)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 3


def test_a_survey_is_managed_by_its_events_organisers_and_admins_only(make_event, organiser, admin):
    from werkzeug.exceptions import NotFound

    from core.models import Organiser
    from surveys.access import require_survey

    survey = build_survey(make_event())
    other = Organiser(email="o@vantaa.fi", name="O", role="organiser")
    other.set_password("secret-pass")
    db.session.add(other)
    db.session.commit()
    assert require_survey(organiser, survey.id) is survey
    assert require_survey(admin, survey.id) is survey
    with pytest.raises(NotFound):
        require_survey(other, survey.id)
