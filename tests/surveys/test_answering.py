"""Answering a survey on /s/<token>: every question type, the messages in three languages,
drafts, the once-only rule and anonymity as the stored rows show it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from core.db import db, utcnow
from participants.models import Organisation
from surveys import answering
from surveys.models import (
    SurveyAnswer,
    SurveyAnswered,
    SurveyDraft,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
    SurveySection,
)
from tests.surveys.helpers import attendees, build_survey


def invite(survey: Any, registration: Any, language: str = "sv") -> SurveyInvitation:
    invitation = SurveyInvitation(survey_id=survey.id, registration_id=registration.id,
                                  email=registration.email, language=language)  # fmt: skip
    db.session.add(invitation)
    db.session.commit()
    return invitation


def q(survey: Any, code: str) -> SurveyQuestion:
    return next(question for question in survey.questions if question.code == code)


def name(survey: Any, code: str) -> str:
    return f"q-{q(survey, code).id}"


def good(survey: Any) -> dict[str, Any]:
    return {
        name(survey, "useful"): "4",
        name(survey, "used_employment_requirements"): "planned",
        name(survey, "readiness"): ["decision", "regional_network"],
        name(survey, "would_recommend"): "yes",
        name(survey, "procurements_advanced"): "3,5",
        name(survey, "role_text"): "Upphandlare",
        name(survey, "comments"): "Bra dag.\nTack!",
    }


def count(model: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def setup(make_event):
    event = make_event()
    survey = build_survey(event)
    reg = attendees(event, 1)[0]
    return survey, reg


def test_unknown_token_is_404(client):
    assert client.get("/s/not-a-token").status_code == 404
    assert client.post("/s/not-a-token", data={}).status_code == 404


def test_the_form_in_the_invitations_language_with_fieldsets(client, setup):
    survey, reg = setup
    invitation = invite(survey, reg, "fi")
    page = client.get(f"/s/{invitation.token}").get_data(as_text=True)
    assert '<html lang="fi"' in page
    assert "Mitä pidit?" in page and "Kysymys useful" in page
    assert page.count("<legend") == 4  # likert, single, multiple, yes/no
    assert "1 – ei lainkaan" in page
    # Options given only in Finnish; English page shows the Swedish label marked as Swedish.
    page = client.get(f"/s/{invitation.token}?lang=en").get_data(as_text=True)
    assert '<html lang="en"' in page and "Question useful" in page
    assert '<label class="govuk-label govuk-radios__label" for="' in page
    assert 'lang="sv">Val yes</label>' in page


def test_a_good_answer_is_stored_with_every_type(client, setup):
    survey, reg = setup
    invitation = invite(survey, reg)
    response = client.post(f"/s/{invitation.token}", data=good(survey))
    assert response.status_code == 302 and response.location.endswith("/thanks")
    assert "Tack för dina svar" in client.get(response.location).get_data(as_text=True)
    stored = db.session.scalars(sa.select(SurveyResponse)).one()
    # A day, never a moment: nothing orders the responses by when they came.
    assert type(stored.submitted_on) is date and stored.submitted_on == utcnow().date()
    answers = {(a.question_id, a.option_id): a for a in stored.answers}
    assert answers[(q(survey, "useful").id, None)].number == 4
    assert answers[(q(survey, "procurements_advanced").id, None)].number == Decimal("3.50")
    chosen = {a.option_id for a in stored.answers if a.question_id == q(survey, "readiness").id}
    assert chosen == {o.id for o in q(survey, "readiness").options
                      if o.code in ("decision", "regional_network")}  # fmt: skip
    assert answers[(q(survey, "comments").id, None)].text == "Bra dag.\nTack!"
    assert (stored.target_group, stored.country, stored.language) == (
        "contracting_authority", "SE", "sv")  # fmt: skip
    assert stored.organisation_kind == "public_body"
    assert stored.event_id == reg.event_id


BAD = [
    (
        "useful",
        "6",
        {
            "sv": "Välj ett svar från 1 till 5.",
            "fi": "Valitse vastaus väliltä 1–5.",
            "en": "Select an answer from 1 to 5.",
        },
    ),
    (
        "used_employment_requirements",
        "maybe",
        {
            "sv": "Välj ett av de svar som finns.",
            "fi": "Valitse jokin annetuista vastauksista.",
            "en": "Select one of the answers given.",
        },
    ),
    (
        "readiness",
        ["decision", "other"],
        {
            "sv": "Välj ett av de svar som finns.",
            "fi": "Valitse jokin annetuista vastauksista.",
            "en": "Select one of the answers given.",
        },
    ),
    (
        "would_recommend",
        ["yes", "no"],
        {
            "sv": "Välj bara ett svar.",
            "fi": "Valitse vain yksi vastaus.",
            "en": "Select only one answer.",
        },
    ),
    (
        "procurements_advanced",
        "1001",
        {
            "sv": "Ange ett tal från 0 till 1\u00a0000.",
            "fi": "Anna luku väliltä 0–1\u00a0000.",
            "en": "Enter a number from 0 to 1,000.",
        },
    ),
    (
        "procurements_advanced",
        "tre",
        {
            "sv": "Ange ett tal, till exempel 3 eller 3,5.",
            "fi": "Anna luku, esimerkiksi 3 tai 3,5.",
            "en": "Enter a number, for example 3 or 3,5.",
        },
    ),
    (
        "role_text",
        "x" * 301,
        {"sv": "Högst 300 tecken.", "fi": "Enintään 300 merkkiä.", "en": "At most 300 characters."},
    ),
    (
        "comments",
        "x" * 5001,
        {
            "sv": "Högst 5000 tecken.",
            "fi": "Enintään 5000 merkkiä.",
            "en": "At most 5000 characters.",
        },
    ),
    (
        "role_text",
        "a\x07b",
        {
            "sv": "Texten innehåller tecken som inte kan sparas. Ta bort dem.",
            "fi": "Tekstissä on merkkejä, joita ei voi tallentaa. Poista ne.",
            "en": "The text contains characters that cannot be saved. Please remove them.",
        },
    ),
]


@pytest.mark.parametrize("lang", ["sv", "fi", "en"])
@pytest.mark.parametrize(("code", "value", "messages"), BAD)
def test_bad_input_is_refused_with_a_translated_message(client, setup, lang, code, value,
                                                        messages):  # fmt: skip
    survey, reg = setup
    invitation = invite(survey, reg, lang)
    data = good(survey) | {name(survey, code): value}
    response = client.post(f"/s/{invitation.token}", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert messages[lang] in page.replace("&nbsp;", "\u00a0")
    assert 'class="govuk-error-summary"' in page
    assert count(SurveyResponse) == 0 and count(SurveyAnswered) == 0


@pytest.mark.parametrize(("lang", "message"), [("sv", "Välj ett svar."), ("fi", "Valitse vastaus."),
                                               ("en", "Select an answer.")])  # fmt: skip
def test_a_required_question_must_be_answered(client, setup, lang, message):
    survey, reg = setup
    invitation = invite(survey, reg, lang)
    data = good(survey)
    del data[name(survey, "useful")]
    page = client.post(f"/s/{invitation.token}", data=data).get_data(as_text=True)
    assert message in page
    assert f'href="#{name(survey, "useful")}-fieldset"' in page
    assert count(SurveyResponse) == 0


def test_optional_questions_may_be_left_empty(client, setup):
    survey, reg = setup
    invitation = invite(survey, reg)
    data = {name(survey, "useful"): "5", name(survey, "used_employment_requirements"): "yes"}
    assert client.post(f"/s/{invitation.token}", data=data).status_code == 302
    assert count(SurveyAnswer) == 2


@pytest.mark.parametrize(("raw", "value"), [("3,5", "3.5"), ("3.5", "3.5"), ("1 000", "1000"),
                                            ("0", "0"), ("-1", "-1"), ("3,5,1", None),
                                            ("", None)])  # fmt: skip
def test_numbers_take_a_decimal_comma(raw, value):
    parsed = answering.parse_number(raw)
    assert (str(parsed) if parsed is not None else None) == value


def test_number_range(app, setup):
    survey, _ = setup
    question = q(survey, "procurements_advanced")
    with app.test_request_context("/"):
        ok = answering.parse_answers([question], _md({f"q-{question.id}": "1000"}))
        assert ok[0].number == 1000
        for raw in ("-1", "1000,01"):
            with pytest.raises(answering.ValidationError):
                answering.parse_answers([question], _md({f"q-{question.id}": raw}))


def _md(data: dict[str, Any]) -> Any:
    from werkzeug.datastructures import MultiDict

    return MultiDict([(k, v) for k, vs in data.items() for v in (vs if isinstance(vs, list)
                                                                else [vs])])  # fmt: skip


def test_closed_and_expired_surveys_say_so(client, make_event):
    event = make_event()
    regs = attendees(event, 2)
    closed = build_survey(event, status="closed")
    expired = build_survey(event, closes_at=utcnow() - timedelta(minutes=1))
    for survey, reg in ((closed, regs[0]), (expired, regs[1])):
        invitation = invite(survey, reg, "en")
        page = client.get(f"/s/{invitation.token}")
        assert page.status_code == 200
        assert "This survey has closed" in page.get_data(as_text=True)
        assert '<form method="post" action="/s/' not in page.get_data(as_text=True)
        assert client.post(f"/s/{invitation.token}", data=good(survey)).status_code == 410
    assert count(SurveyResponse) == 0


def test_an_answered_survey_shows_no_form_and_a_second_submission_is_not_counted(client, setup):
    survey, reg = setup
    invitation = invite(survey, reg, "en")
    assert client.post(f"/s/{invitation.token}", data=good(survey)).status_code == 302
    page = client.get(f"/s/{invitation.token}").get_data(as_text=True)
    assert "This survey has been answered" in page and 'name="action"' not in page
    again = client.post(f"/s/{invitation.token}", data=good(survey))
    assert again.status_code == 409
    assert count(SurveyResponse) == 1 and count(SurveyAnswered) == 1


def test_a_second_tab_that_passed_the_check_is_stopped_by_the_key(app, setup):
    survey, reg = setup
    invitation = invite(survey, reg)
    with app.test_request_context("/"):
        answers = answering.parse_answers(answering.questions_for(invitation), _md(good(survey)))
        answering.submit(invitation, answers)
        # The second tab read "open" before the first committed: only the key stops it.
        db.session.add(SurveyDraft(invitation_id=invitation.id, answers={"x": ["y"]}))
        db.session.commit()
        original = answering.state
        answering.state = lambda *a, **k: "open"  # type: ignore[assignment]
        try:
            with pytest.raises(answering.AlreadyAnswered):
                answering.submit(invitation, answers)
        finally:
            answering.state = original  # type: ignore[assignment]
    assert count(SurveyResponse) == 1 and count(SurveyAnswered) == 1
    assert count(SurveyAnswer) == len(db.session.scalars(sa.select(SurveyAnswer)).all())
    assert count(SurveyDraft) == 1  # the failed submission deleted nothing


def test_an_anonymous_response_has_no_path_to_the_person(client, setup):
    survey, reg = setup
    invitation = invite(survey, reg)
    client.post(f"/s/{invitation.token}", data=good(survey))
    row = db.session.execute(sa.text("SELECT * FROM survey_response")).mappings().one()
    assert row["invitation_id"] is None and row["organisation_id"] is None
    assert set(row.keys()) == {"id", "survey_id", "invitation_id", "organisation_id", "event_id",
                               "target_group", "organisation_kind", "country", "language",
                               "submitted_on"}  # fmt: skip
    assert str(row["submitted_on"]) == utcnow().date().isoformat()  # a day, no time
    # Every foreign key the stored rows fill leads to the survey, its questions or the event,
    # none to the invitation, a registration or an organisation.
    inspector = sa.inspect(db.engine)
    filled = {fk["referred_table"] for fk in inspector.get_foreign_keys("survey_response")
              if row[fk["constrained_columns"][0]] is not None}  # fmt: skip
    assert filled == {"survey", "event"}
    referred = {fk["referred_table"] for fk in inspector.get_foreign_keys("survey_answer")}
    assert referred == {"survey_response", "survey_question", "survey_option"}
    answer_columns = set(db.session.execute(sa.text("SELECT * FROM survey_answer")).keys())
    assert answer_columns == {"id", "response_id", "question_id", "option_id", "number", "text"}
    # The fact that they answered is kept, apart, with a day only.
    assert db.session.get(SurveyAnswered, invitation.id).answered_on == utcnow().date()


def test_a_named_survey_keeps_the_invitation_and_organisation(client, make_event):
    event = make_event()
    survey = build_survey(event, anonymous=False)
    reg = attendees(event, 1)[0]
    invitation = invite(survey, reg)
    client.post(f"/s/{invitation.token}", data=good(survey))
    stored = db.session.scalars(sa.select(SurveyResponse)).one()
    assert stored.invitation_id == invitation.id
    assert stored.organisation_id == reg.organisation_id


def test_a_draft_is_saved_and_restored(client, setup):
    survey, reg = setup
    invitation = invite(survey, reg, "en")
    data = {name(survey, "role_text"): "Buyer", name(survey, "readiness"): ["matchmaker"],
            "action": "save"}  # fmt: skip
    page = client.post(f"/s/{invitation.token}", data=data)
    assert page.status_code == 200 and "Your answers have been saved" in page.get_data(as_text=True)
    assert db.session.get(SurveyDraft, invitation.id).answers[name(survey, "role_text")] == [
        "Buyer"
    ]
    page = client.get(f"/s/{invitation.token}").get_data(as_text=True)
    assert 'value="Buyer"' in page
    assert 'value="matchmaker" checked' in page
    assert count(SurveyResponse) == 0
    client.post(f"/s/{invitation.token}", data=good(survey))
    assert count(SurveyDraft) == 0


def test_a_long_survey_is_answered_page_by_page(client, make_event):
    event = make_event()
    survey = build_survey(event)
    second = SurveySection(survey_id=survey.id, position=1, title="Mer",
                           translations={"en": {"title": "More"}})  # fmt: skip
    db.session.add(second)
    db.session.flush()
    for question in survey.questions[4:]:
        question.section_id = second.id
    db.session.commit()
    reg = attendees(event, 1)[0]
    invitation = invite(survey, reg, "en")
    url = f"/s/{invitation.token}"
    first = client.get(url).get_data(as_text=True)
    assert "Page 1 of 2" in first and name(survey, "comments") not in first
    # Next checks this page only.
    assert client.post(url, data={"page": "1", "action": "next"}).status_code == 422
    moved = client.post(url, data={"page": "1", "action": "next", name(survey, "useful"): "3",
                                   name(survey, "used_employment_requirements"): "no"})  # fmt: skip
    assert moved.status_code == 302 and "page=2" in moved.location
    page2 = client.get(moved.location).get_data(as_text=True)
    assert "Page 2 of 2" in page2 and "More" in page2 and 'value="back"' in page2
    back = client.post(url, data={"page": "2", "action": "back", name(survey, "comments"): "Hi"})
    assert "page=1" in back.location
    assert 'value="3" checked' in client.get(back.location).get_data(as_text=True)
    sent = client.post(url, data={"page": "2", "action": "submit",
                                  name(survey, "comments"): "Hi"})  # fmt: skip
    assert sent.status_code == 302
    stored = db.session.scalars(sa.select(SurveyResponse)).one()
    assert {a.question_id for a in stored.answers} == {
        q(survey, "useful").id, q(survey, "used_employment_requirements").id,
        q(survey, "comments").id}  # fmt: skip


def test_the_organisation_kind_is_asked_once(client, make_event):
    from participants.kinds import ASKED_KINDS

    event = make_event()
    questions = [("organisation_kind", "single_choice", False, list(ASKED_KINDS))]
    survey = build_survey(event, questions)
    regs = attendees(event, 2)  # both of one organisation
    first, second = invite(survey, regs[0]), invite(survey, regs[1])
    field = name(survey, "organisation_kind")
    client.post(f"/s/{first.token}", data={field: "municipality"})
    organisation = db.session.get(Organisation, regs[0].organisation_id)
    db.session.refresh(organisation)
    assert organisation.kind == "municipality"
    assert db.session.scalars(sa.select(SurveyResponse)).one().organisation_kind == "municipality"
    # Known now: not asked again, and an answer sent anyway does not change it.
    assert field not in client.get(f"/s/{second.token}").get_data(as_text=True)
    with client.application.test_request_context("/"):
        answers = answering.parse_answers([q(survey, "organisation_kind")], _md({field: "region"}))
        answering.submit(second, answers)
    db.session.refresh(organisation)
    assert organisation.kind == "municipality"


def test_target_groups_choose_the_questions(app, make_event):
    event = make_event()
    survey = build_survey(event)
    q(survey, "comments").target_groups = ["supplier"]
    q(survey, "role_text").target_groups = ["contracting_authority"]
    db.session.commit()
    reg = attendees(event, 1)[0]
    codes = [x.code for x in answering.questions_for(invite(survey, reg))]
    assert "role_text" in codes and "comments" not in codes


@pytest.mark.parametrize("bad", ["a\x00b", "%ED%A0%80"])
def test_nul_and_lone_surrogates_are_400_and_write_nothing(client, setup, bad):
    survey, reg = setup
    invitation = invite(survey, reg)
    field = name(survey, "role_text")
    body = f"{name(survey, 'useful')}=4&{name(survey, 'used_employment_requirements')}=yes&{field}="
    body += bad.replace("\x00", "%00")
    for action in ("submit", "save"):
        response = client.post(f"/s/{invitation.token}", data=body + f"&action={action}",
                               content_type="application/x-www-form-urlencoded")  # fmt: skip
        assert response.status_code == 400
    assert count(SurveyResponse) == 0 and count(SurveyAnswered) == 0 and count(SurveyDraft) == 0


@pytest.mark.server
def test_simultaneous_submissions_from_one_link_count_once(app, database_url, setup):
    """Several tabs send at the same moment through the real server (CSRF on): one response
    is stored, every other tab is told the survey has been answered."""
    import re
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from tests.server import gunicorn_server

    survey, reg = setup
    invitation = invite(survey, reg, "en")
    data = good(survey)
    attempts = 6
    barrier = threading.Barrier(attempts)

    def one(base_url: str) -> int:
        tab = requests.Session()
        form = tab.get(f"{base_url}/s/{invitation.token}", timeout=60).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        barrier.wait()
        sent = tab.post(f"{base_url}/s/{invitation.token}", data=data | {"csrf_token": csrf},
                        allow_redirects=False, timeout=90)  # fmt: skip
        return sent.status_code

    with (
        gunicorn_server(database_url, workers=3, threads=2) as base_url,
        ThreadPoolExecutor(max_workers=attempts) as pool,
    ):
        statuses = sorted(pool.map(one, [base_url] * attempts))
    assert statuses == [302] + [409] * (attempts - 1)
    db.session.rollback()  # a fresh read of what the server wrote
    assert count(SurveyResponse) == 1 and count(SurveyAnswered) == 1
    assert count(SurveyAnswer) == len(db.session.scalars(sa.select(SurveyAnswer)).all())
