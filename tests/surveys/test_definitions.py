"""Surveys made from the built-in templates, and the rules of changing them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from werkzeug.exceptions import NotFound

from core.auth import create_organiser
from core.db import db
from core.errors import Forbidden, ServiceError, ValidationError
from participants.kinds import ASKED_KINDS
from surveys import indicators, questions, services
from surveys.content import survey_text
from surveys.models import SurveyAnswer, SurveyResponse


def _texts(item, field, own="sv"):
    return {lang: survey_text(item, field, own, lang).text for lang in ("sv", "en", "fi")}


def test_feedback_template_in_three_languages(organiser, make_event):
    event = make_event()
    survey = services.create_survey(organiser, {"template": "feedback", "event": event.slug})
    assert [q.code for q in survey.questions] == ["useful", "next_steps", "comments"]
    assert [q.type for q in survey.questions] == ["likert5", "multiple_choice", "long_text"]
    useful = survey.questions[0]
    assert useful.required
    assert _texts(useful, "text")["en"] == "Was the event useful to you?"
    assert len(set(_texts(useful, "text").values())) == 3  # a text of its own in each
    next_steps = survey.questions[1]
    assert [o.code for o in next_steps.options] == [
        "use_requirements", "share_material", "contact_matchmaker", "another_event",
        "nothing_yet",
    ]  # fmt: skip
    for option in next_steps.options:
        assert all(_texts(option, "label").values())
    assert survey.anonymous is True and survey.status == "scheduled"
    assert survey.send_at == event.ends_at + timedelta(days=1)
    assert survey.closes_at == survey.send_at + timedelta(days=30)
    assert (survey.reminder_max, survey.reminder_every_days) == (2, 7)


def test_followup_template_asks_the_indicators(organiser, make_event):
    event = make_event()
    survey = services.create_survey(
        organiser, {"template": "adoption_followup", "event": event.slug}
    )
    first = survey.questions[0]
    assert first.code == indicators.USED and first.type == "single_choice" and first.required
    assert [o.code for o in first.options] == list(indicators.USED_OPTIONS)
    by_code = {q.code: q for q in survey.questions}
    kinds = by_code[indicators.ORGANISATION_KIND]
    assert [o.code for o in kinds.options] == list(ASKED_KINDS)
    national = by_code[indicators.NATIONAL_QUESTION]
    assert national.type == "likert5"
    assert "employment-promoting requirements" in _texts(national, "text")["en"]
    for code in [*indicators.PROCUREMENTS.values(), *indicators.PLACEMENTS.values(),
                 indicators.PLACEMENTS_NEWLY_ARRIVED, indicators.FULLTIME_MONTHS,
                 indicators.PLACEMENTS_WITHIN_6_MONTHS]:  # fmt: skip
        assert by_code[code].type == "number" and by_code[code].min_value == 0
        assert "supplier" not in by_code[code].target_groups and by_code[code].target_groups
    assert [o.code for o in by_code[indicators.READINESS].options] == list(
        indicators.READINESS_OPTIONS
    )
    for code in (indicators.CONTRACTS_WON, indicators.PEOPLE_HIRED):
        assert by_code[code].target_groups == ["supplier"]
    assert by_code[indicators.COMMENTS].type == "long_text"
    assert len(survey.sections) > 1
    assert survey.anonymous is False
    assert survey.send_at == event.ends_at + timedelta(days=90)
    # Every text in the three languages.
    for question in survey.questions:
        assert all(_texts(question, "text").values())
        assert survey_text(question, "text", "sv", "fi").lang == "fi"


def test_a_survey_in_finnish_keeps_finnish_as_its_own(organiser, make_event):
    survey = services.create_survey(
        organiser,
        {"template": "feedback", "event": make_event().slug, "language": "fi",
         "audience": ["supplier", "matchmaker"], "anonymous": False, "send_after_days": 3,
         "reminders": {"max": 0, "every_days": 14}, "open_days": 10, "status": "draft"},
    )  # fmt: skip
    assert survey.language == "fi" and survey.title == "Mitä pidit tapahtumasta?"
    assert survey.translations["en"]["title"] == "What did you think of the event?"
    assert (survey.audience, survey.target_groups) == ("groups", ["supplier", "matchmaker"])
    assert survey.status == "draft" and survey.anonymous is False
    assert survey.closes_at - survey.send_at == timedelta(days=10)
    assert (survey.reminder_max, survey.reminder_every_days) == (0, 14)


@pytest.mark.parametrize(
    "data, field",
    [
        ({"template": "nope"}, "template"),
        ({"template": "feedback", "event": "no-such-event"}, "event"),
        ({"template": "feedback", "reminders": {"max": 6}}, "reminders.max"),
        ({"template": "feedback", "reminders": {"every_days": 0}}, "reminders.every_days"),
        ({"template": "feedback", "reminders": {"every_days": 61}}, "reminders.every_days"),
        ({"template": "feedback", "audience": ["nobody"]}, "audience"),
        ({"template": "feedback", "audience": "everyone"}, "audience"),
        ({"template": "feedback", "send_after_days": True}, "send_after_days"),
        ({"template": "feedback", "language": "de"}, "language"),
        ({"template": "feedback", "send_at": "tomorrow"}, "send_at"),
        ({"template": "feedback", "send_at": "9999-12-31T23:59:00-05:00"}, "send_at"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(organiser, data, field):
    from surveys.models import Survey

    with pytest.raises(ValidationError) as caught:
        services.create_survey(organiser, data)
    assert field in caught.value.fields
    assert db.session.query(Survey).count() == 0


def test_an_event_of_someone_else_is_refused(organiser, make_event):
    other = create_organiser("bo@example.se", "Bo", "secret-pass")
    event = make_event()
    with pytest.raises(Forbidden):
        services.create_survey(other, {"template": "feedback", "event": event.slug})


def test_a_standalone_survey_is_sent_now_or_when_asked(organiser):
    survey = services.create_survey(organiser, {"template": "feedback"})
    assert survey.event is None and survey.send_after_days is None
    timed = services.create_survey(
        organiser, {"template": "feedback", "send_at": "2030-01-02T09:00:00+00:00"}
    )
    assert timed.send_at.isoformat().startswith("2030-01-02T09:00")


def _answer(survey, question, option=None):
    response = SurveyResponse(survey_id=survey.id, target_group="supplier",
                              organisation_kind="company", country="SE", language="sv",
                              submitted_on=survey.send_at.date())  # fmt: skip
    db.session.add(response)
    db.session.flush()
    db.session.add(SurveyAnswer(response_id=response.id, question_id=question.id,
                                option_id=option.id if option else None))  # fmt: skip
    db.session.commit()


def test_editing_texts_and_settings(organiser, make_event):
    survey = services.create_survey(organiser, {"template": "feedback", "event": make_event().slug})
    services.update_survey(
        organiser, survey,
        {"title": "Ny titel", "translations": {"en": {"title": "New title"}},
         "reminders": {"max": 3, "every_days": 5}, "anonymous": False},
    )  # fmt: skip
    assert survey.title == "Ny titel" and survey.translations["en"]["title"] == "New title"
    assert survey.reminder_max == 3 and survey.anonymous is False
    with pytest.raises(ValidationError) as caught:
        services.update_survey(organiser, survey, {"closes_at": "2000-01-01T00:00"})
    assert "closes_at" in caught.value.fields
    _answer(survey, survey.questions[0])
    with pytest.raises(ValidationError) as caught:
        services.update_survey(organiser, survey, {"anonymous": True})
    assert "anonymous" in caught.value.fields
    services.close_survey(organiser, survey)
    assert survey.status == "closed"


def test_questions_added_changed_moved_and_removed(organiser, make_event):
    survey = services.create_survey(organiser, {"template": "feedback", "event": make_event().slug})
    question = questions.add_question(
        organiser, survey,
        {"code": "role", "type": "single_choice", "text": "Din roll?",
         "translations": {"fi": {"text": "Roolisi?"}},
         "options": [{"code": "a", "label": "A"}, {"code": "b", "label": "B"}]},
    )  # fmt: skip
    assert [q.code for q in survey.questions][-1] == "role"
    assert survey_text(question, "text", "sv", "fi").text == "Roolisi?"
    questions.move_question(organiser, question, "up")
    db.session.expire_all()
    assert [q.code for q in survey.questions] == ["useful", "next_steps", "role", "comments"]
    with pytest.raises(ValidationError) as caught:
        questions.add_question(
            organiser, survey, {"code": "role", "type": "long_text", "text": "x"}
        )
    assert "code" in caught.value.fields
    with pytest.raises(ValidationError) as caught:
        questions.add_question(organiser, survey, {"code": "z", "type": "nope", "text": "x"})
    assert "type" in caught.value.fields
    with pytest.raises(ValidationError) as caught:
        questions.update_question(organiser, question, {"type": "number", "min": 5, "max": 1})
    assert "max" in caught.value.fields
    _answer(survey, question, question.options[0])
    with pytest.raises(ValidationError) as caught:
        questions.update_question(organiser, question, {"type": "multiple_choice"})
    assert "type" in caught.value.fields
    with pytest.raises(ValidationError) as caught:
        questions.update_question(
            organiser,
            question,
            {"options": [{"code": "b", "label": "B"}, {"code": "c", "label": "C"}]},
        )
    assert "options" in caught.value.fields
    # New options and new wording are fine.
    questions.update_question(
        organiser,
        question,
        {
            "text": "Vilken roll?",
            "options": [
                {"code": "a", "label": "Första"},
                {"code": "b", "label": "B"},
                {"code": "c", "label": "C"},
            ],
        },
    )
    assert [o.label for o in question.options] == ["Första", "B", "C"]
    with pytest.raises(ServiceError):
        questions.remove_question(organiser, question)
    comments = next(q for q in survey.questions if q.code == "comments")
    questions.remove_question(organiser, comments)
    assert "comments" not in [q.code for q in survey.questions]


def test_sections(organiser, make_event):
    survey = services.create_survey(organiser, {"template": "feedback", "event": make_event().slug})
    section = questions.add_section(organiser, survey, {"title": "Mer", "translations": {
        "en": {"title": "More"}}})  # fmt: skip
    assert [s.title for s in survey.sections][-1] == "Mer"
    questions.update_section(organiser, survey, section, {"title": "Ännu mer"})
    assert section.title == "Ännu mer"
    questions.remove_section(organiser, survey, section)
    assert len(survey.sections) == 1


def test_only_those_who_manage_it_change_a_survey(organiser, make_event):
    survey = services.create_survey(organiser, {"template": "feedback", "event": make_event().slug})
    other = create_organiser("bo@example.se", "Bo", "secret-pass")
    with pytest.raises(NotFound):
        services.update_survey(other, survey, {"title": "Mine"})
    with pytest.raises(NotFound):
        services.close_survey(other, survey)


# --- the organiser pages ----------------------------------------------------------------------


def test_pages_create_edit_and_list(client, organiser, login, make_event):
    from surveys.models import Survey

    login()
    event = make_event()
    page = client.get("/manage/surveys/new")
    assert page.status_code == 200
    form = {
        "template": "feedback",
        "event": event.slug,
        "audience": "attendees",
        "anonymous": "default",
        "language": "sv",
    }
    bad = client.post("/manage/surveys/new", data={**form, "reminder_max": "9"})
    assert bad.status_code == 422
    done = client.post(
        "/manage/surveys/new", data={**form, "template": "adoption_followup", "language": "en"}
    )
    assert done.status_code == 302
    survey = db.session.query(Survey).one()
    assert survey.language == "en" and survey.questions[0].code == indicators.USED
    page = client.get(f"/manage/surveys/{survey.id}").get_data(as_text=True)
    assert "Has your organisation used employment requirements since the event?" in page
    question = survey.questions[0]
    options = {f"options-{i}-{k}": v for i, o in enumerate(question.options)
               for k, v in (("code", o.code), ("label_en", o.label))}  # fmt: skip
    saved = client.post(
        f"/manage/surveys/{survey.id}/questions/{question.id}",
        data={
            "type": question.type,
            "code": question.code,
            "text_en": "Used them?",
            "text_fi": "Käytittekö?",
            "text_sv": "Använde ni?",
            "required": "y",
            **options,
        },
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert question.text == "Used them?" and question.translations["fi"]["text"] == "Käytittekö?"
    listing = client.get("/manage/surveys").get_data(as_text=True)
    assert "How has it gone since the event?" in listing
    other = make_event(by=create_organiser("bo@example.se", "Bo", "secret-pass"))
    refused = client.post("/manage/surveys/new", data={**form, "event": other.slug})
    assert refused.status_code == 403


def test_pages_hide_a_survey_of_someone_else(client, login, make_event):
    bo = create_organiser("bo@example.se", "Bo", "secret-pass")
    survey = services.create_survey(bo, {"template": "feedback"})
    login()
    assert client.get(f"/manage/surveys/{survey.id}").status_code == 404
