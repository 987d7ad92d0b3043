"""The impact report against figures worked out by hand for a small data set.

Two events: A (March 2027) and B (May 2027). Organisations: O1 Stockholm (SE, asked kind
municipality), O2 Saab (SE 5…, so company), O3 Helsinki (FI, no kind: unknown).
People: a (O1, contracting authority) at A and at B; b (O1) at A; c (O2, supplier) at A;
d (O3) registered for A, did not come; e (O2) cancelled at A; f (O3) at B.
Downloads through their links: a and c (at A). Survey SA (anonymous, event A): a, b and c
invited, a and b answered (both yes), plus three more anonymous responses (no). Survey SN
(named, event B): a (B registration) yes, f planned.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from core.auth import create_organiser
from core.db import db
from materials.models import Material, MaterialDownload
from participants.models import Organisation, Registration
from surveys import totals
from surveys.impact import ImpactFilters, impact_report
from surveys.models import SurveyAnswer, SurveyAnswered, SurveyInvitation, SurveyResponse
from tests.statements import count_statements
from tests.surveys.helpers import build_survey

NUMBERS = [
    "procurements_basic", "procurements_advanced", "procurements_spearhead",
    "placements_employment", "placements_internship", "placements_apprenticeship",
    "placements_trainee", "placements_newly_arrived", "fulltime_months",
    "placements_within_6_months", "contracts_won", "people_hired",
]  # fmt: skip
QUESTIONS: list[tuple[str, str, bool, Any]] = [
    ("used_employment_requirements", "single_choice", True, ["yes", "planned", "no"]),
    ("national_question", "likert5", False, None),
    *[(code, "number", False, (0, 100000)) for code in NUMBERS],
]
A_START = datetime(2027, 3, 10, 8, tzinfo=UTC)
B_START = datetime(2027, 5, 12, 8, tzinfo=UTC)


def organisation(key: str, number: str | None, country: str, kind: str | None) -> Organisation:
    org = Organisation(key=key, name=key, org_number=number, country=country, kind=kind)
    db.session.add(org)
    db.session.flush()
    return org


def registration(event: Any, org: Organisation, email: str, group: str = "contracting_authority",
                 status: str = "confirmed", came: bool = True) -> Registration:  # fmt: skip
    reg = Registration(
        event_id=event.id, organisation_id=org.id, token=secrets.token_urlsafe(16), name=email,
        email=email, target_group=group, status=status,
        attended_at=event.starts_at if came else None,
    )  # fmt: skip
    db.session.add(reg)
    db.session.flush()
    return reg


def invite(survey: Any, reg: Registration, answered: bool) -> SurveyInvitation:
    invitation = SurveyInvitation(survey_id=survey.id, registration_id=reg.id, email=reg.email)
    db.session.add(invitation)
    db.session.flush()
    if answered:
        db.session.add(SurveyAnswered(invitation_id=invitation.id, answered_on=date(2027, 6, 1)))
    return invitation


def respond(survey: Any, event: Any, used: str, national: int | None, invitation: Any = None,
            org: Organisation | None = None, kind: str = "municipality", country: str = "SE",
            group: str = "contracting_authority", **numbers: int) -> None:  # fmt: skip
    questions = {q.code: q for q in survey.questions}
    response = SurveyResponse(
        survey_id=survey.id, invitation_id=invitation.id if invitation else None,
        organisation_id=org.id if org else None, event_id=event.id, target_group=group,
        organisation_kind=kind, country=country, language="sv", submitted_on=date(2027, 6, 1),
    )  # fmt: skip
    used_q = questions["used_employment_requirements"]
    option = next(o for o in used_q.options if o.code == used)
    response.answers.append(SurveyAnswer(question_id=used_q.id, option_id=option.id))
    if national is not None:
        response.answers.append(
            SurveyAnswer(question_id=questions["national_question"].id, number=Decimal(national))
        )
    for code, value in numbers.items():
        response.answers.append(SurveyAnswer(question_id=questions[code].id, number=value))
    db.session.add(response)
    db.session.flush()
    # the kept sums, as surveys.answering adds to them when a response is stored
    totals.add_response(
        response, {a.question_id: a.number for a in response.answers if a.number is not None}
    )


@pytest.fixture
def data(make_event: Any) -> dict[str, Any]:
    event_a = make_event(
        title="Dag A", starts_at=A_START.isoformat(), ends_at=A_START.replace(hour=15).isoformat()
    )
    event_b = make_event(
        title="Dag B", starts_at=B_START.isoformat(), ends_at=B_START.replace(hour=15).isoformat()
    )
    o1 = organisation("stockholm", "2120000142", "SE", "municipality")
    o2 = organisation("saab", "5560360793", "SE", None)
    o3 = organisation("helsinki", "0201256-6", "FI", None)
    a_at_a = registration(event_a, o1, "a@x.se")
    b = registration(event_a, o1, "b@x.se")
    c = registration(event_a, o2, "c@x.se", "supplier")
    registration(event_a, o3, "d@x.fi", came=False)
    registration(event_a, o2, "e@x.se", "supplier", status="cancelled", came=False)
    a_at_b = registration(event_b, o1, "a@x.se")
    f = registration(event_b, o3, "f@x.fi")
    material = Material(title="Guide", category="guide", url="https://example.org/guide")
    db.session.add(material)
    db.session.flush()
    for reg in (a_at_a, c, c):  # c twice: still one person
        db.session.add(MaterialDownload(material_id=material.id, registration_id=reg.id))
    db.session.commit()

    anonymous = build_survey(event_a, QUESTIONS, anonymous=True)
    named = build_survey(event_b, QUESTIONS, anonymous=False)
    invite(anonymous, a_at_a, True)
    invite(anonymous, b, True)
    invite(anonymous, c, False)
    respond(anonymous, event_a, "yes", 3, procurements_basic=2)
    respond(anonymous, event_a, "yes", 4, procurements_advanced=1, placements_internship=1)
    for national in (2, 2, 4):
        respond(anonymous, event_a, "no", national)
    inv_a = invite(named, a_at_b, True)
    inv_f = invite(named, f, True)
    respond(named, event_b, "yes", 5, inv_a, o1, procurements_spearhead=1,
            placements_employment=2, placements_newly_arrived=1, fulltime_months=12,
            placements_within_6_months=2)  # fmt: skip
    respond(named, event_b, "planned", 1, inv_f, o3, "unknown", "FI", contracts_won=3,
            people_hired=4)  # fmt: skip
    db.session.commit()
    return {"a": event_a, "b": event_b}


def funnel(*values: int) -> dict[str, int]:
    return dict(zip(("registered", "attended", "downloaded", "invited", "answered", "adopted"),
                    values, strict=True))  # fmt: skip


def breakdown(report: Any, dimension: str) -> dict[str, dict[str, int]]:
    return {value: f.as_dict() for value, f in report.breakdowns[dimension]}


def test_every_figure_as_worked_out_by_hand(data: dict[str, Any], organiser: Any) -> None:
    report = impact_report(organiser)
    # adopted: a (named survey) + the two anonymous yes responses
    assert report.people.as_dict() == funnel(5, 4, 2, 4, 3, 3)
    assert report.organisations.as_dict() == funnel(3, 3, 2, 3, 2, 1)
    a, b = data["a"].slug, data["b"].slug
    assert breakdown(report, "event") == {a: funnel(4, 3, 2, 3, 2, 2), b: funnel(2, 2, 0, 2, 2, 1)}
    assert breakdown(report, "month") == {
        "2027-03": funnel(4, 3, 2, 3, 2, 2),
        "2027-05": funnel(2, 2, 0, 2, 2, 1),
    }
    assert breakdown(report, "target_group") == {
        "contracting_authority": funnel(4, 3, 1, 3, 3, 3),
        "supplier": funnel(1, 1, 1, 1, 0, 0),
    }
    assert breakdown(report, "kind") == {
        "company": funnel(1, 1, 1, 1, 0, 0),
        "municipality": funnel(2, 2, 1, 2, 2, 3),
        "unknown": funnel(2, 1, 0, 1, 1, 0),
    }
    assert breakdown(report, "country") == {
        "FI": funnel(2, 1, 0, 1, 1, 0),
        "SE": funnel(3, 3, 2, 3, 2, 3),
    }
    assert report.procurements == {"basic": 2, "advanced": 1, "spearhead": 1, "total": 4}
    assert report.placements == {
        "employment": 2, "internship": 1, "apprenticeship": 0, "trainee": 0, "total": 3,
        "newly_arrived": 1, "fulltime_months": 12, "within_6_months": 2,
    }  # fmt: skip
    assert report.suppliers == {"contracts_won": 3, "people_hired": 4}
    national = {row.kind: (row.answers, row.mean, row.baseline) for row in report.national_question}
    # municipality: 3, 4, 2, 2, 4 (anonymous) and 5 (named) → 20 / 6
    assert national == {
        "municipality": (6, 3.33, 2.5),
        "region": (0, None, 2.2),
        "state_agency": (0, None, 1.8),
        "public_company": (0, None, 2.3),
        "unknown": (1, None, None),  # one answer: withheld
    }
    reach = {(r.country, r.kind): (r.organisations, r.came_back, r.first_contact)
             for r in report.reach}  # fmt: skip
    assert reach == {
        ("FI", "unknown"): (1, 1, A_START.date()),  # d at A, f at B
        ("SE", "company"): (1, 0, A_START.date()),
        ("SE", "municipality"): (1, 1, A_START.date()),
    }
    assert report.new_organisations_by_month == [("2027-03", 3)]


def test_filters(data: dict[str, Any], organiser: Any) -> None:
    only_b = impact_report(organiser, ImpactFilters(events=(data["b"].id,)))
    assert only_b.people.as_dict() == funnel(2, 2, 0, 2, 2, 1)
    assert only_b.procurements["total"] == 1
    later = impact_report(organiser, ImpactFilters(date_from=date(2027, 4, 1)))
    assert later.people.as_dict() == funnel(2, 2, 0, 2, 2, 1)
    earlier = impact_report(organiser, ImpactFilters(date_to=date(2027, 3, 10)))
    # a's yes came through the B registration: outside A
    assert earlier.people.as_dict() == funnel(4, 3, 2, 3, 2, 2)
    assert earlier.organisations.as_dict() == funnel(3, 2, 2, 2, 1, 0)
    assert [e[1] for e in earlier.events] == [data["a"].slug]
    none = impact_report(organiser, ImpactFilters(date_from=date(2030, 1, 1)))
    assert none.people.as_dict() == funnel(0, 0, 0, 0, 0, 0)


def test_only_the_events_an_organiser_manages(data: dict[str, Any], admin: Any) -> None:
    other = create_organiser("olle@example.se", "Olle", "secret-pass")
    assert impact_report(other).people.as_dict() == funnel(0, 0, 0, 0, 0, 0)
    assert impact_report(admin).people.as_dict() == funnel(5, 4, 2, 4, 3, 3)


def _people(event: Any, n: int, org: Organisation) -> None:
    for i in range(n):
        registration(event, org, f"p{i}-{event.id}@x.se")
    db.session.commit()


def test_statements_do_not_grow_with_the_data(make_event: Any, organiser: Any) -> None:
    event = make_event(starts_at=A_START.isoformat(), ends_at=A_START.replace(hour=15).isoformat())
    org = organisation("o", "2120000142", "SE", None)
    _people(event, 10, org)
    with count_statements() as small:
        impact_report(organiser)
    other = make_event(starts_at=B_START.isoformat(), ends_at=B_START.replace(hour=15).isoformat())
    _people(other, 100, org)
    with count_statements() as large:
        report = impact_report(organiser)
    assert report.people.registered == 110
    assert len(small) == len(large)


def test_api_answers_the_report(data: dict[str, Any], client: Any, auth: dict) -> None:
    response = client.get("/api/v1/reports/impact", headers=auth)
    assert response.status_code == 200
    body = response.get_json()
    assert body["funnel"] == funnel(5, 4, 2, 4, 3, 3)
    assert body["organisations"] == funnel(3, 3, 2, 3, 2, 1)
    assert {g["value"]: g["funnel"] for g in body["by_target_group"]}["supplier"] == funnel(
        1, 1, 1, 1, 0, 0
    )
    assert body["procurements"]["total"] == 4
    assert body["placements"]["fulltime_months"] == 12
    assert body["national_question"][0] == {
        "kind": "municipality", "answers": 6, "mean": 3.33, "baseline_2018": 2.5,
    }  # fmt: skip
    assert body["reach"]["new_by_month"] == {"2027-03": 3}
    b = data["b"].slug
    only_b = client.get(f"/api/v1/reports/impact?event={b}", headers=auth).get_json()
    assert only_b["funnel"] == funnel(2, 2, 0, 2, 2, 1)
    assert only_b["events"] == [b]
    both = client.get(
        f"/api/v1/reports/impact?event={b}&event={data['a'].slug}", headers=auth
    ).get_json()
    assert both["funnel"] == funnel(5, 4, 2, 4, 3, 3)
    march = client.get("/api/v1/reports/impact?from=2027-03-01&to=2027-03-31", headers=auth)
    assert march.get_json()["funnel"] == funnel(4, 3, 2, 3, 2, 2)


@pytest.mark.parametrize(
    ("query", "field"),
    [("event=no-such-event", "event"), ("from=31.03.2027", "from"), ("to=2027-13-01", "to"),
     ("from=2027-04-01&to=2027-03-01", "to")],
)  # fmt: skip
def test_api_bad_values(data: dict[str, Any], client: Any, auth: dict, query: str,
                        field: str) -> None:  # fmt: skip
    response = client.get(f"/api/v1/reports/impact?{query}", headers=auth)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]


def test_api_needs_a_token_and_shows_only_ones_own_events(
    data: dict[str, Any], client: Any
) -> None:
    assert client.get("/api/v1/reports/impact").status_code == 401
    from core.auth import create_api_token

    other = create_organiser("olle@example.se", "Olle", "secret-pass")
    headers = {"Authorization": f"Bearer {create_api_token(other)}"}
    body = client.get("/api/v1/reports/impact", headers=headers).get_json()
    assert body["funnel"] == funnel(0, 0, 0, 0, 0, 0)
    # someone else's event is as unknown as one that does not exist
    response = client.get(f"/api/v1/reports/impact?event={data['a'].slug}", headers=headers)
    assert response.status_code == 422


def test_page_and_csv(data: dict[str, Any], client: Any, login: Any) -> None:
    assert client.get("/manage/impact").status_code == 302  # sign in first
    login()
    page = client.get("/manage/impact")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<svg" in text and "Effektrapport" in text  # the page is in Swedish by default
    assert 'href="/manage/impact"' in text  # in the navigation
    # the breakdown by event names each event by its title, not its address
    by_event = (
        text.split("By event", 1)[-1] if "By event" in text else text.split("Per evenemang", 1)[-1]
    )
    assert data["a"].title in by_event and f">{data['a'].slug}<" not in text
    # The funnel's first stage is the people who registered, not the time of registering.
    assert '<th scope="row" class="govuk-table__header">Anmälda</th>' in text
    finnish = client.get("/manage/impact?lang=fi").get_data(as_text=True)
    assert ">Ilmoittautuneet</th>" in finnish and "Ilmoittautumisaika" not in finnish
    only_b = client.get(f"/manage/impact?event={data['b'].id}")
    assert only_b.status_code == 200
    bad = client.get("/manage/impact?from=yesterday")
    assert bad.status_code == 422
    assert "govuk-error-summary" in bad.get_data(as_text=True)
    csv = client.get("/manage/impact.csv?sep=comma")
    assert csv.status_code == 200
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[1].endswith(",5,4,2,4,3,3")
    assert lines[2].endswith(",3,3,2,3,2,1")
