"""A survey's results: the figures against a small data set worked out by hand, the filters,
the small-number rule of anonymous surveys, a fixed number of statements, the API, the page and
the exports."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from core.auth import create_api_token, create_organiser
from core.db import db
from core.errors import ValidationError
from surveys.models import Survey, SurveyAnswer, SurveyInvitation, SurveyResponse
from surveys.results import Filters, median_of, parse_filters, survey_results
from tests.statements import count_statements
from tests.surveys.helpers import build_survey

BREAKDOWN = {"target_group": "supplier", "organisation_kind": "company", "country": "SE"}


def respond(survey: Survey, answers: dict[str, Any], **breakdown: Any) -> SurveyResponse:
    """One response with answers by question code: an int for likert5 and number questions, an
    option code (or a list of them) for choices, a str for texts."""
    values = {**BREAKDOWN, "event_id": survey.event_id, "language": "sv",
              "submitted_on": date(2026, 11, 2), **breakdown}  # fmt: skip
    response = SurveyResponse(survey_id=survey.id, **values)
    by_code = {q.code: q for q in survey.questions}
    for code, value in answers.items():
        question = by_code[code]
        if question.type in ("likert5", "number"):
            response.answers.append(SurveyAnswer(question_id=question.id, number=Decimal(value)))
        elif question.type in ("short_text", "long_text"):
            response.answers.append(SurveyAnswer(question_id=question.id, text=value))
        else:
            options = {o.code: o.id for o in question.options}
            for chosen in [value] if isinstance(value, str) else value:
                response.answers.append(
                    SurveyAnswer(question_id=question.id, option_id=options[chosen])
                )
    db.session.add(response)
    db.session.flush()
    return response


CA = {"target_group": "contracting_authority", "organisation_kind": "municipality"}

# Six responses. Worked out by hand below each question in the tests.
DATA: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"useful": 5, "used_employment_requirements": "yes", "readiness": ["decision", "matchmaker"],
      "would_recommend": "yes", "procurements_advanced": 10, "comments": "Bra dag"}, {}),
    ({"useful": 4, "used_employment_requirements": "yes", "readiness": ["decision"],
      "would_recommend": "yes", "procurements_advanced": 0}, {}),
    ({"useful": 3, "used_employment_requirements": "planned",
      "readiness": ["matchmaker", "regional_network"], "would_recommend": "no",
      "procurements_advanced": 3, "comments": "Mer fika"}, CA),
    ({"useful": 1, "used_employment_requirements": "no", "procurements_advanced": 2},
     {**CA, "country": "FI"}),
    ({"useful": 4, "used_employment_requirements": "yes"}, {"country": "FI"}),
    ({"used_employment_requirements": "no", "role_text": "Inköpare"},
     {"target_group": "contracting_authority", "organisation_kind": "state_agency"}),
]  # fmt: skip


def seeded(event: Any, anonymous: bool = False, **fields: Any) -> Survey:
    survey = build_survey(event, anonymous=anonymous, **fields)
    for answers, breakdown in DATA:
        respond(survey, answers, **breakdown)
    db.session.commit()
    return survey


def by_code(results: Any) -> dict[str, Any]:
    return {q.code: q for q in results.questions}


def counts(question: Any) -> dict[str, tuple[int | None, float | None]]:
    return {o.code: (o.count, o.percent) for o in question.options}


# --- the figures -----------------------------------------------------------------------------


def test_the_figures_match_those_worked_out_by_hand(make_event):
    survey = seeded(make_event())
    results = survey_results(survey, Filters())
    q = by_code(results)

    assert results.responses == 6 and not results.suppressed
    # useful: 5, 4, 3, 1, 4 → sorted 1 3 4 4 5; mean 17/5 = 3.4; median 4.
    assert q["useful"].answered == 5
    assert counts(q["useful"]) == {"1": (1, 20.0), "2": (0, 0.0), "3": (1, 20.0),
                                   "4": (2, 40.0), "5": (1, 20.0)}  # fmt: skip
    assert (q["useful"].mean, q["useful"].median) == (3.4, 4.0)
    # single choice: yes 3, planned 1, no 2 of 6.
    assert q["used_employment_requirements"].answered == 6
    assert counts(q["used_employment_requirements"]) == {
        "yes": (3, 50.0), "planned": (1, 16.7), "no": (2, 33.3)}  # fmt: skip
    # multiple choice: three people answered; percentages are of people, so they add up to
    # more than 100.
    assert q["readiness"].answered == 3
    assert counts(q["readiness"]) == {
        "decision": (2, 66.7), "matchmaker": (2, 66.7), "regional_network": (1, 33.3)}  # fmt: skip
    assert counts(q["would_recommend"]) == {"yes": (2, 66.7), "no": (1, 33.3)}
    # number: 10, 0, 3, 2 → sorted 0 2 3 10; an even count: median (2 + 3) / 2 = 2.5;
    # mean 15/4 = 3.75.
    number = q["procurements_advanced"]
    assert (number.answered, number.mean, number.median) == (4, 3.75, 2.5)
    assert number.options == []
    # texts, in the order of the text (not of answering).
    assert q["comments"].texts == ["Bra dag", "Mer fika"] and q["comments"].answered == 2
    assert q["role_text"].texts == ["Inköpare"]
    assert q["useful"].texts == [] and q["comments"].mean is None


def test_a_question_nobody_answered_has_zeroes_and_no_mean(make_event):
    survey = build_survey(make_event(), anonymous=False)
    results = survey_results(survey, Filters())
    q = by_code(results)
    assert results.responses == 0
    assert q["useful"].answered == 0 and q["useful"].mean is None and q["useful"].median is None
    assert counts(q["would_recommend"]) == {"yes": (0, 0.0), "no": (0, 0.0)}


def test_the_median_of_value_counts():
    assert median_of([]) is None
    assert median_of([(Decimal(3), 1)]) == 3.0
    assert median_of([(Decimal(1), 2), (Decimal(5), 2)]) == 3.0  # 1 1 5 5
    assert median_of([(Decimal(5), 1), (Decimal(1), 3)]) == 1.0  # 1 1 1 5
    assert median_of([(Decimal("2.5"), 1), (Decimal(4), 1), (Decimal(9), 1)]) == 4.0


def test_invited_and_reminded_counts(make_event):
    survey = seeded(make_event())
    for i, reminders in enumerate([0, 0, 1, 2]):
        db.session.add(SurveyInvitation(survey_id=survey.id, email=f"p{i}@example.se",
                                        reminders_sent=reminders))  # fmt: skip
    db.session.commit()
    results = survey_results(survey, Filters())
    assert (results.invited, results.reminded) == (4, 2)


# --- filters ---------------------------------------------------------------------------------


def test_filters_narrow_every_figure(make_event):
    event = make_event()
    survey = seeded(event)
    # country FI: responses 4 and 5; useful 1 and 4 → mean 2.5, median 2.5.
    fi = survey_results(survey, Filters(country="FI"))
    q = by_code(fi)
    assert fi.responses == 2
    assert (q["useful"].answered, q["useful"].mean, q["useful"].median) == (2, 2.5, 2.5)
    assert counts(q["used_employment_requirements"]) == {
        "yes": (1, 50.0), "planned": (0, 0.0), "no": (1, 50.0)}  # fmt: skip
    # contracting authorities: 3, 4 and 6.
    ca = survey_results(survey, Filters(target_group="contracting_authority"))
    assert ca.responses == 3
    assert by_code(ca)["comments"].texts == ["Mer fika"]
    kind = survey_results(survey, Filters(organisation_kind="municipality", country="SE"))
    assert kind.responses == 1 and by_code(kind)["useful"].mean == 3.0
    assert survey_results(survey, Filters(event=event.id)).responses == 6
    assert survey_results(survey, Filters(event=event.id + 1000)).responses == 0


def test_unknown_filter_values_name_the_field():
    assert parse_filters({}) == Filters()
    assert parse_filters({"country": "FI", "event": "12", "target_group": ""}) == Filters(
        event=12, country="FI"
    )
    with pytest.raises(ValidationError) as error:
        parse_filters({"target_group": "pirates", "organisation_kind": "x", "country": "NO",
                       "event": "första"})  # fmt: skip
    assert set(error.value.fields) == {"target_group", "organisation_kind", "country", "event"}


# --- small numbers ---------------------------------------------------------------------------


def test_an_anonymous_survey_hides_a_breakdown_of_fewer_than_five(make_event):
    survey = seeded(make_event(), anonymous=True)
    # Four contracting authorities + suppliers in FI... the whole set of 6 shows, but the
    # questions answered by fewer than five are hidden.
    whole = by_code(survey_results(survey, Filters()))
    assert not whole["useful"].suppressed and whole["useful"].answered == 5
    assert whole["useful"].mean == 3.4
    assert whole["readiness"].suppressed and whole["readiness"].answered is None
    assert counts(whole["readiness"]) == {
        "decision": (None, None),
        "matchmaker": (None, None),
        "regional_network": (None, None),
    }
    assert whole["comments"].suppressed and whole["comments"].texts == []
    assert whole["procurements_advanced"].mean is None  # 4 answers
    # suppliers: responses 1, 2, 5 → fewer than five: everything hidden.
    suppliers = survey_results(survey, Filters(target_group="supplier"))
    assert suppliers.suppressed
    assert all(q.suppressed and q.answered is None and q.mean is None for q in suppliers.questions)


def test_four_responses_are_hidden_five_are_shown(make_event):
    survey = build_survey(make_event(), anonymous=True)
    for value in (1, 2, 4, 5):
        respond(survey, {"useful": value, "comments": f"Text {value}"})
    db.session.commit()
    four = survey_results(survey, Filters())
    assert four.suppressed and by_code(four)["useful"].suppressed
    assert by_code(four)["comments"].texts == []
    respond(survey, {"useful": 3, "comments": "Text 3"})
    db.session.commit()
    five = by_code(survey_results(survey, Filters()))
    assert not five["useful"].suppressed
    assert (five["useful"].answered, five["useful"].mean, five["useful"].median) == (5, 3.0, 3.0)
    assert five["comments"].texts == ["Text 1", "Text 2", "Text 3", "Text 4", "Text 5"]


def test_a_named_survey_shows_small_numbers(make_event):
    survey = build_survey(make_event(), anonymous=False)
    respond(survey, {"useful": 2, "comments": "Hej"})
    db.session.commit()
    results = survey_results(survey, Filters())
    assert not results.suppressed
    q = by_code(results)
    assert q["useful"].mean == 2.0 and q["comments"].texts == ["Hej"]


# --- statements ------------------------------------------------------------------------------


def test_the_statements_do_not_grow_with_the_responses(make_event):
    survey = build_survey(make_event(), anonymous=True)

    def add(n: int) -> None:
        for i in range(n):
            respond(survey, {"useful": 1 + i % 5, "used_employment_requirements": "yes",
                             "readiness": ["decision", "matchmaker"], "would_recommend": "no",
                             "procurements_advanced": i, "comments": f"Text {i}"},
                    country=("SE", "FI")[i % 2])  # fmt: skip
        db.session.commit()
        db.session.expire_all()

    add(10)
    with count_statements() as ten:
        small = survey_results(survey, Filters(country="SE"))
    add(190)
    with count_statements() as two_hundred:
        large = survey_results(survey, Filters())
    assert small.responses == 5 and large.responses == 200
    assert by_code(large)["useful"].options[0].count == 40
    assert len(ten) == len(two_hundred) <= 9  # 8 and the expired survey's reload


# --- the API ---------------------------------------------------------------------------------


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def _valid(document: dict, body: Any, name: str) -> None:
    from openapi_schema_validator import OAS31Validator, validate

    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    validate(body, schema, cls=OAS31Validator)


def test_the_api_answers_the_results_in_the_documented_shape(client, auth, document, make_event):
    survey = seeded(make_event())
    db.session.add(SurveyInvitation(survey_id=survey.id, email="a@example.se", reminders_sent=1))
    db.session.commit()
    response = client.get(f"/api/v1/surveys/{survey.id}/results", headers=auth)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    _valid(document, body, "SurveyResults")
    assert (body["invited"], body["reminded"], body["responses"]) == (1, 1, 6)
    useful = next(q for q in body["questions"] if q["code"] == "useful")
    assert (useful["answered"], useful["mean"], useful["median"]) == (5, 3.4, 4.0)
    assert [(o["code"], o["count"], o["percent"]) for o in useful["options"]] == [
        ("1", 1, 20.0), ("2", 0, 0.0), ("3", 1, 20.0), ("4", 2, 40.0), ("5", 1, 20.0)]  # fmt: skip
    single = next(q for q in body["questions"] if q["code"] == "used_employment_requirements")
    assert single["options"][0] == {"code": "yes", "label": "Val yes", "count": 3, "percent": 50.0}
    assert "/api/v1/surveys/{survey_id}/results" in document["paths"]

    fi = client.get(f"/api/v1/surveys/{survey.id}/results?country=FI", headers=auth).get_json()
    assert fi["responses"] == 2


def test_the_api_suppresses_small_anonymous_breakdowns(client, auth, make_event):
    survey = seeded(make_event(), anonymous=True)
    body = client.get(
        f"/api/v1/surveys/{survey.id}/results?target_group=supplier", headers=auth
    ).get_json()
    assert body["suppressed"] is True and body["responses"] is None  # not "3": fewer than 5
    assert all(q["suppressed"] and q["answered"] is None for q in body["questions"])
    assert all(o["count"] is None for q in body["questions"] for o in q["options"])


def test_the_api_refuses_bad_filters_strangers_and_no_token(client, auth, make_event, app):
    survey = seeded(make_event())
    url = f"/api/v1/surveys/{survey.id}/results"
    bad = client.get(f"{url}?country=NO&target_group=x&event=abc", headers=auth)
    assert bad.status_code == 422
    error = bad.get_json()["error"]
    assert error["code"] and error["message"]
    assert {"country", "target_group", "event"} <= set(error["fields"])
    assert client.get(url).status_code == 401
    other = create_organiser("bo@example.se", "Bo Other", "other-pass")
    stranger = {"Authorization": f"Bearer {create_api_token(other)}"}
    missing = client.get(url, headers=stranger)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"]
    assert client.get("/api/v1/surveys/999999/results", headers=auth).status_code == 404


# --- the page and the exports ----------------------------------------------------------------


def test_the_page_shows_a_chart_with_its_table_per_question(client, login, make_event):
    survey = seeded(make_event())
    login()
    page = client.get(f"/manage/surveys/{survey.id}/results")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('class="mp-chart-figure"') == 4  # the likert and the three choices
    assert f'id="chart-question-{survey.questions[0].id}' in html and "<svg" in html
    assert "<table" in html and "Val planned" in html
    assert "Bra dag" in html and "Mer fika" in html
    assert "3,4" in html or "3.4" in html  # the mean of "useful", in the page's language
    filtered = client.get(f"/manage/surveys/{survey.id}/results?country=FI").get_data(as_text=True)
    assert "Bra dag" not in filtered


def test_the_page_says_fewer_than_five_and_names_a_bad_filter(client, login, make_event):
    survey = seeded(make_event(), anonymous=True)
    login()
    html = client.get(f"/manage/surveys/{survey.id}/results?target_group=supplier").get_data(
        as_text=True
    )
    assert "mp-chart-figure" not in html and "govuk-inset-text" in html
    bad = client.get(f"/manage/surveys/{survey.id}/results?country=NO")
    assert bad.status_code == 422
    assert "govuk-error-summary" in bad.get_data(as_text=True)


def test_another_organiser_is_told_there_is_no_such_survey(client, login, make_event):
    survey = seeded(make_event())
    create_organiser("bo@example.se", "Bo Other", "other-pass")
    login("bo@example.se", "other-pass")
    for suffix in ("", ".csv", ".xlsx"):
        assert client.get(f"/manage/surveys/{survey.id}/results{suffix}").status_code == 404


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))  # fmt: skip


def test_the_csv_has_a_row_per_response_and_no_person_for_an_anonymous_survey(
    client, login, make_event
):
    survey = seeded(make_event(), anonymous=True)
    login()
    rows = _csv(client.get(f"/manage/surveys/{survey.id}/results.csv"))
    headers = rows[0]
    assert headers[:4] == ["target_group", "organisation_kind", "country", "event_id"]
    assert headers[4:] == [q.code for q in survey.questions]
    assert not {"organisation", "name", "email"} & set(headers)
    assert len(rows) == 7
    readiness = headers.index("readiness")
    assert sorted(r[readiness] for r in rows[1:]) == [
        "", "", "", "decision", "decision, matchmaker", "matchmaker, regional_network"]  # fmt: skip
    # Three suppliers: fewer than five, so the download is refused, saying why.
    few = client.get(f"/manage/surveys/{survey.id}/results.csv?target_group=supplier&lang=en")
    assert few.status_code == 409 and few.mimetype == "text/html"
    assert "Fewer than 5 responses match these filters" in few.get_data(as_text=True)
    assert client.get(f"/manage/surveys/{survey.id}/results.csv?country=NO").status_code == 422


def test_the_xlsx_of_a_named_survey_names_the_organisation(client, login, make_event):
    from participants.models import Organisation

    survey = build_survey(make_event(), anonymous=False)
    organisation = Organisation(key="name:SE:kommunen", name="Kommunen", country="SE")
    db.session.add(organisation)
    db.session.flush()
    respond(survey, {"useful": 4, "readiness": ["decision", "matchmaker"]},
            organisation_id=organisation.id)  # fmt: skip
    db.session.commit()
    login()
    response = client.get(f"/manage/surveys/{survey.id}/results.xlsx")
    assert response.status_code == 200
    try:
        import openpyxl
    except ImportError:
        with zipfile.ZipFile(io.BytesIO(response.data)) as book:
            strings = book.read("xl/sharedStrings.xml").decode()
        assert "organisation" in strings and "Kommunen" in strings
        assert "decision, matchmaker" in strings
        return
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:5] == ["target_group", "organisation_kind", "country", "event_id",
                           "organisation"]  # fmt: skip
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["organisation"] == "Kommunen" and record["useful"] == 4
    assert record["readiness"] == "decision, matchmaker"
