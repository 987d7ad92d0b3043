"""The organisers' pages that change a survey after it is made: its settings (audience with
several target groups, anonymity, send time, reminders, texts in three languages), a question
(type, required, code, range, options with codes and texts) and its sections; with the errors
beside the fields and in the summary, and nothing written when something is wrong."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.db import db
from core.errors import ValidationError
from surveys import questions, services
from surveys.models import Survey, SurveyQuestion
from tests.surveys.helpers import build_survey
from tests.surveys.test_results import respond


@pytest.fixture
def login(login: Any, client: Any) -> Any:
    """Signed in, the pages in English (the messages below are the English source texts)."""

    def do() -> None:
        login()
        client.get("/manage/surveys?lang=en")

    return do


def _survey(organiser: Any, make_event: Any, **fields: Any) -> Survey:
    return build_survey(make_event(), created_by=organiser, **fields)


def _q(survey: Survey, code: str) -> SurveyQuestion:
    return next(q for q in survey.questions if q.code == code)


def field_error(html: str, field_id: str) -> str | None:
    """The error message shown at the field (its govuk-error-message), or None."""
    found = re.search(
        rf'<p class="govuk-error-message" id="{re.escape(field_id)}-error">'
        r'<span class="govuk-visually-hidden">[^<]*</span>\s*([^<]*)</p>',
        html,
    )
    return found.group(1).strip() if found else None


def summary_links(html: str) -> list[str]:
    summary = html.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<a href="#([^"]+)"', summary)


# --- a new survey -----------------------------------------------------------------------------


def test_a_new_survey_goes_to_several_target_groups(client, organiser, login, make_event):
    login()
    event = make_event()
    form = {
        "template": "feedback",
        "event": event.slug,
        "audience": "groups",
        "anonymous": "default",
        "language": "sv",
    }
    page = client.get("/manage/surveys/new").get_data(as_text=True)
    assert 'type="checkbox" value="supplier"' in page
    none = client.post("/manage/surveys/new", data=form)
    assert none.status_code == 422
    html = none.get_data(as_text=True)
    assert field_error(html, "target_groups") and "target_groups" in summary_links(html)
    assert db.session.query(Survey).count() == 0
    done = client.post(
        "/manage/surveys/new", data={**form, "target_groups": ["contracting_authority", "supplier"]}
    )
    assert done.status_code == 302
    survey = db.session.query(Survey).one()
    assert survey.audience == "groups"
    assert survey.target_groups == ["contracting_authority", "supplier"]


# --- settings ---------------------------------------------------------------------------------


def test_settings_change_audience_anonymity_send_time_and_texts(
    client, organiser, login, make_event
):
    survey = _survey(organiser, make_event, send_after_days=1)
    login()
    url = f"/manage/surveys/{survey.id}/settings"
    page = client.get(url).get_data(as_text=True)
    assert 'value="Vad tyckte du?"' in page and 'value="Mitä pidit?"' in page
    fields = {
        "title_sv": "Hur var det?",
        "title_fi": "Miten meni?",
        "title_en": "",
        "introduction_sv": "Kort.",
        "audience": "groups",
        "target_groups": ["contracting_authority", "matchmaker"],
        "anonymous": "no",
        "send_after_days": "90",
        "closes_at": "",
        "reminder_max": "3",
        "reminder_every_days": "10",
    }
    # 90 days after the event's end is after the survey closes (60 days): said at the field.
    late = client.post(url, data=fields)
    assert late.status_code == 422
    assert field_error(late.get_data(as_text=True), "closes_at") == (
        "The survey must close after it is sent."
    )
    # Times are given on the event's own clock (Stockholm here), as its other times are.
    closes = survey.event.ends_at + timedelta(days=120)
    local = closes.astimezone(ZoneInfo(survey.event.timezone))
    saved = client.post(url, data={**fields, "closes_at": local.strftime("%Y-%m-%dT%H:%M")})
    assert saved.status_code == 302, summary_links(saved.get_data(as_text=True))
    db.session.expire_all()
    assert survey.title == "Hur var det?" and survey.translations == {
        "fi": {"title": "Miten meni?"}
    }
    assert survey.audience == "groups"
    assert survey.target_groups == ["contracting_authority", "matchmaker"]
    assert survey.anonymous is False
    assert survey.send_after_days == 90
    assert survey.send_at == survey.event.ends_at + timedelta(days=90)
    assert (survey.reminder_max, survey.reminder_every_days) == (3, 10)
    assert survey.closes_at == closes.replace(second=0, microsecond=0)
    page = client.get(url).get_data(as_text=True)
    assert f'value="{local:%Y-%m-%dT%H:%M}"' in page
    assert re.search(r'value="matchmaker" checked', page)
    assert re.search(r'id="anonymous-no" name="anonymous" type="radio" value="no" checked', page)


def test_bad_settings_are_shown_at_the_field_and_in_the_summary_and_nothing_is_saved(
    client, organiser, login, make_event
):
    survey = _survey(organiser, make_event)
    login()
    response = client.post(
        f"/manage/surveys/{survey.id}/settings",
        data={
            "title_sv": "",
            "title_fi": "Uusi",
            "audience": "groups",
            "send_after_days": "5000",
            "reminder_max": "9",
            "reminder_every_days": "7",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "title_sv") == "This cannot be empty."
    assert field_error(html, "reminder_max") == "Give a whole number from 0 to 5."
    assert field_error(html, "send_after_days") == "Give a whole number from 0 to 730."
    assert field_error(html, "target_groups")
    for target in ("title_sv", "reminder_max", "send_after_days", "target_groups"):
        assert target in summary_links(html)
        assert f'id="{target}' in html
    assert "govuk-form-group--error" in html
    db.session.expire_all()
    assert survey.title == "Vad tyckte du?" and survey.translations["fi"]["title"] == "Mitä pidit?"
    assert survey.audience == "attendees" and survey.reminder_max == 2


def test_anonymity_is_locked_once_someone_has_answered(client, organiser, login, make_event):
    survey = _survey(organiser, make_event)
    respond(survey, {"useful": 4})
    db.session.commit()
    login()
    url = f"/manage/surveys/{survey.id}/settings"
    page = client.get(url).get_data(as_text=True)
    assert 'id="anonymous-locked"' in page and 'name="anonymous"' not in page
    client.post(
        url,
        data={
            "title_sv": "Ny",
            "anonymous": "no",
            "audience": "attendees",
            "reminder_max": "2",
            "reminder_every_days": "7",
        },
    )
    db.session.expire_all()
    assert survey.anonymous is True and survey.title == "Ny"
    with pytest.raises(ValidationError) as refused:
        services.update_survey(organiser, survey, {"anonymous": False})
    assert "anonymous" in refused.value.fields


# --- a question -------------------------------------------------------------------------------


def test_a_question_changes_type_range_and_options(client, organiser, login, make_event):
    survey = _survey(organiser, make_event)
    question = _q(survey, "would_recommend")
    login()
    url = f"/manage/surveys/{survey.id}/questions/{question.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'id="options-0-code"' in page and 'value="Vaihtoehto yes"' in page
    # A choice becomes a number from 0 to 2,5 (the decimal comma); its options go.
    saved = client.post(
        url,
        data={
            "type": "number",
            "code": "days",
            "text_sv": "Hur många dagar?",
            "text_fi": "Montako?",
            "text_en": "",
            "required": "y",
            "min": "0",
            "max": "2,5",
            "options-0-code": "yes",
            "options-0-label_sv": "Ja",
        },
    )
    assert saved.status_code == 302, summary_links(saved.get_data(as_text=True))
    db.session.expire_all()
    assert (question.type, question.code, question.required) == ("number", "days", True)
    assert (question.min_value, question.max_value) == (Decimal("0"), Decimal("2.5"))
    assert question.options == []
    assert question.translations == {"fi": {"text": "Montako?"}}
    # And back to one choice, with options in three languages.
    client.post(
        url,
        data={
            "type": "single_choice",
            "code": "days",
            "text_sv": "Vilket?",
            "options-0-code": "a",
            "options-0-label_sv": "Första",
            "options-0-label_fi": "Eka",
            "options-1-code": "",
            "options-1-label_sv": "",
            "options-2-code": "b",
            "options-2-label_sv": "Andra",
            "options-2-label_en": "Second",
        },
    )
    db.session.expire_all()
    assert [(o.code, o.label, o.translations) for o in question.options] == [
        ("a", "Första", {"fi": {"label": "Eka"}}),
        ("b", "Andra", {"en": {"label": "Second"}}),
    ]
    assert question.min_value is None and question.max_value is None


def test_a_bad_question_is_shown_at_its_fields_and_nothing_is_written(
    client, organiser, login, make_event
):
    survey = _survey(organiser, make_event)
    question = _q(survey, "procurements_advanced")
    login()
    url = f"/manage/surveys/{survey.id}/questions/{question.id}"
    response = client.post(
        url, data={"type": "number", "code": "useful", "text_sv": "", "min": "10", "max": "2"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "code") == "Another question of this survey has this code."
    assert field_error(html, "text_sv") == "This cannot be empty."
    assert field_error(html, "max") == "The highest value must not be below the lowest."
    assert {"code", "text_sv", "max"} <= set(summary_links(html))
    # An option without a code: at that option's field, and linked from the summary.
    choice = client.post(
        url,
        data={
            "type": "single_choice",
            "code": "procurements_advanced",
            "text_sv": "Vilket?",
            "options-0-code": "a",
            "options-0-label_sv": "A",
            "options-1-code": "",
            "options-1-label_sv": "Utan kod",
        },
    )
    assert choice.status_code == 422
    html = choice.get_data(as_text=True)
    assert field_error(html, "options-1-code") == "Use letters a–z, digits and _ (at most 60)."
    assert "options-1-code" in summary_links(html)
    assert "Option 2, Code: Use letters" in html  # the summary says which option
    db.session.expire_all()
    assert (question.type, question.code, question.text) == (
        "number",
        "procurements_advanced",
        "Fråga procurements_advanced",
    )
    assert (question.min_value, question.max_value) == (0, 1000) and question.options == []


def test_a_new_question_from_its_page(client, organiser, login, make_event):
    survey = _survey(organiser, make_event)
    login()
    url = f"/manage/surveys/{survey.id}/questions/new"
    assert client.get(url).status_code == 200
    done = client.post(
        url,
        data={
            "type": "multiple_choice",
            "code": "topics",
            "text_sv": "Vilka ämnen?",
            "section": str(survey.sections[0].id),
            "options-0-code": "law",
            "options-0-label_sv": "Juridik",
            "options-1-code": "cases",
            "options-1-label_sv": "Exempel",
        },
    )
    assert done.status_code == 302
    db.session.expire_all()
    added = _q(survey, "topics")
    assert added.position == len(survey.questions) - 1 and added.section_id == survey.sections[0].id
    assert [o.code for o in added.options] == ["law", "cases"]
    count = len(survey.questions)
    one = client.post(
        url,
        data={
            "type": "yes_no",
            "code": "more",
            "text_sv": "Mer?",
            "options-0-code": "yes",
            "options-0-label_sv": "Ja",
        },
    )
    assert one.status_code == 422
    assert "A choice question needs at least two options." in one.get_data(as_text=True)
    db.session.expire_all()
    assert len(survey.questions) == count


def test_a_question_with_answers_keeps_type_code_and_options(client, organiser, login, make_event):
    survey = _survey(organiser, make_event)
    question = _q(survey, "used_employment_requirements")
    respond(survey, {"used_employment_requirements": "yes"})
    db.session.commit()
    login()
    url = f"/manage/surveys/{survey.id}/questions/{question.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'id="question-locked"' in page and 'id="code"' not in page
    overview = client.get(f"/manage/surveys/{survey.id}").get_data(as_text=True)
    assert "Someone has answered this survey" in overview
    # Changing the type by hand is refused; so is dropping an option.
    forged = client.post(
        url,
        data={
            "type": "multiple_choice",
            "text_sv": "X",
            "options-0-code": "yes",
            "options-0-label_sv": "Ja",
            "options-1-code": "no",
            "options-1-label_sv": "Nej",
        },
    )
    assert forged.status_code == 422
    dropped = client.post(
        url,
        data={
            "type": "single_choice",
            "text_sv": "Nytt",
            "options-0-code": "yes",
            "options-0-label_sv": "Ja",
            "options-1-code": "no",
            "options-1-label_sv": "Nej",
        },
    )
    assert dropped.status_code == 422
    assert "Options cannot be removed" in dropped.get_data(as_text=True)
    db.session.expire_all()
    assert question.text == "Fråga used_employment_requirements"
    # Texts still change, and an option can be added.
    kept = client.post(
        url,
        data={
            "type": "single_choice",
            "text_sv": "Nytt",
            "required": "y",
            "options-0-code": "yes",
            "options-0-label_sv": "Ja",
            "options-1-code": "planned",
            "options-1-label_sv": "Planerat",
            "options-2-code": "no",
            "options-2-label_sv": "Nej",
            "options-3-code": "unsure",
            "options-3-label_sv": "Vet inte",
        },
    )
    assert kept.status_code == 302
    db.session.expire_all()
    assert question.text == "Nytt" and question.type == "single_choice"
    assert [o.code for o in question.options] == ["yes", "planned", "no", "unsure"]


def test_questions_move_and_are_removed_from_the_overview(client, organiser, login, make_event):
    survey = _survey(organiser, make_event)
    first, second = survey.questions[0], survey.questions[1]
    login()
    url = f"/manage/surveys/{survey.id}"
    assert client.post(url, data={"action": "down", "question": str(first.id)}).status_code == 302
    db.session.expire_all()
    assert [q.id for q in survey.questions[:2]] == [second.id, first.id]
    assert (
        client.post(url, data={"action": "remove_question", "question": str(first.id)}).status_code
        == 302
    )
    db.session.expire_all()
    assert first.id not in [q.id for q in survey.questions]


# --- sections ---------------------------------------------------------------------------------


def test_sections_added_changed_moved_and_removed(client, organiser, login, make_event):
    survey = _survey(organiser, make_event)
    login()
    bad = client.post(f"/manage/surveys/{survey.id}/sections/new", data={"title_sv": ""})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert field_error(html, "title_sv") and "title_sv" in summary_links(html)
    assert len(survey.sections) == 1
    added = client.post(
        f"/manage/surveys/{survey.id}/sections/new", data={"title_sv": "Mer", "title_en": "More"}
    )
    assert added.status_code == 302
    db.session.expire_all()
    first, second = survey.sections
    assert second.title == "Mer" and second.translations == {"en": {"title": "More"}}
    moved = _q(survey, "comments")
    questions.update_question(organiser, moved, {"section_id": second.id})
    url = f"/manage/surveys/{survey.id}/sections/{second.id}"
    assert 'value="More"' in client.get(url).get_data(as_text=True)
    assert client.post(url, data={"title_sv": "Sist", "title_fi": "Viimeksi"}).status_code == 302
    db.session.expire_all()
    assert second.title == "Sist" and second.translations == {"fi": {"title": "Viimeksi"}}
    # Up: the section and its question come first.
    overview = f"/manage/surveys/{survey.id}"
    client.post(overview, data={"action": "section_up", "section": str(second.id)})
    db.session.expire_all()
    assert [s.id for s in survey.sections] == [second.id, first.id]
    assert survey.questions[0].code == "comments"
    client.post(overview, data={"action": "remove_section", "section": str(second.id)})
    db.session.expire_all()
    assert [s.id for s in survey.sections] == [first.id]
    assert "comments" in [q.code for q in survey.questions]
