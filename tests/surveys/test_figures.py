"""The figures of the survey pages: percentages and decimals in the page's language (Swedish
and Finnish "25 %" with a no-break space and "3,5", English "25%" and "3.5"), and the small
numbers rule of an anonymous survey under every combination of filters, in the page, the API
and the downloads."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from core.db import db
from events.models import TARGET_GROUPS
from surveys.content import decimal, percent
from surveys.models import SurveyAnswered, SurveyInvitation
from surveys.results import MIN_GROUP, Filters, survey_results
from tests.surveys.helpers import build_survey
from tests.surveys.test_results import respond, seeded

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("lang", "whole", "tenths", "mean"),
    [
        ("sv", f"25{NBSP}%", f"12,5{NBSP}%", "3,5"),
        ("fi", f"25{NBSP}%", f"12,5{NBSP}%", "3,5"),
        ("en", "25%", "12.5%", "3.5"),
    ],
)
def test_percent_and_decimal_follow_the_language(app, lang, whole, tenths, mean):
    assert percent(0.25, lang) == whole
    assert percent(0.125, lang, decimals=1) == tenths
    assert decimal(3.5, lang) == mean
    assert decimal(3.75, lang) == mean.replace("5", "75")
    assert percent(None, lang) == decimal(None, lang) == "–"


@pytest.mark.parametrize(
    ("lang", "rate"), [("sv", f"25{NBSP}%"), ("fi", f"25{NBSP}%"), ("en", "25%")]
)
def test_the_invitations_page_writes_the_response_rate_in_its_language(
    client, login, make_event, lang, rate
):
    survey = build_survey(make_event(), anonymous=False)
    for i in range(4):
        db.session.add(SurveyInvitation(survey_id=survey.id, email=f"p{i}@example.se"))
    db.session.flush()
    first = db.session.query(SurveyInvitation).order_by(SurveyInvitation.id).first()
    db.session.add(SurveyAnswered(invitation_id=first.id, answered_on=survey.send_at.date()))
    db.session.commit()
    login()
    html = client.get(f"/manage/surveys/{survey.id}/invitations?lang={lang}").get_data(as_text=True)
    assert f">{rate}<" in html
    if lang == "en":
        assert f"25{NBSP}%" not in html and "25 %" not in html


@pytest.mark.parametrize(
    ("lang", "mean", "share"),
    [("sv", "3,4", f"16,7{NBSP}%"), ("fi", "3,4", f"16,7{NBSP}%"), ("en", "3.4", "16.7%")],
)
def test_the_results_page_writes_means_and_shares_in_its_language(
    client, login, make_event, lang, mean, share
):
    survey = seeded(make_event())  # six named responses: "planned" is 1 of 6
    login()
    html = client.get(f"/manage/surveys/{survey.id}/results?lang={lang}").get_data(as_text=True)
    useful = html.split('id="question-', 2)[1]
    assert f": {mean}." in useful  # the mean of "useful": (5 + 4 + 3 + 1 + 4) / 5
    assert f"({share})" in html  # beside the option's label, in the chart and its table
    other = "3.4" if lang != "en" else "3,4"
    assert f": {other}." not in useful


# --- small numbers ----------------------------------------------------------------------------


def _anonymous(event: Any) -> Any:
    """Ten anonymous responses: seven suppliers (companies, Sweden), three contracting
    authorities; two from Finland."""
    survey = seeded(event, anonymous=True)
    for value in (2, 3, 4, 5):
        respond(
            survey,
            {"useful": value, "used_employment_requirements": "yes", "comments": f"Text {value}"},
        )
    db.session.commit()
    return survey


def test_every_filter_combination_of_an_anonymous_survey_hides_small_numbers(make_event):
    event = make_event()
    survey = _anonymous(event)
    shown = hidden = 0
    for group, kind, country, event_id in itertools.product(
        (None, *TARGET_GROUPS),
        (None, "municipality", "company", "state_agency"),
        (None, "SE", "FI"),
        (None, event.id),
    ):
        results = survey_results(survey, Filters(group, event_id, kind, country))
        if results.responses is None:
            hidden += 1
            assert results.suppressed
            for q in results.questions:
                assert q.suppressed and q.answered is None and q.mean is None and q.texts == []
                assert all(o.count is None and o.percent is None for o in q.options)
        else:
            shown += 1
            assert results.responses >= MIN_GROUP and not results.suppressed
            for q in results.questions:
                assert q.suppressed == (q.answered is None)
                if q.suppressed:
                    assert q.mean is None and q.texts == [] and q.median is None
                    assert all(o.count is None for o in q.options)
                else:
                    assert q.answered >= MIN_GROUP
    assert shown and hidden  # both sides of the rule were seen
    assert survey_results(survey, Filters()).responses == 10
    assert survey_results(survey, Filters(target_group="supplier")).responses == 7


def test_the_page_api_and_downloads_say_fewer_than_five(client, login, auth, make_event):
    survey = _anonymous(make_event())
    login()
    url = f"/manage/surveys/{survey.id}/results"
    small = client.get(f"{url}?target_group=contracting_authority&lang=en").get_data(as_text=True)
    assert "Responses: fewer than 5." in small and "Responses: 3" not in small
    large = client.get(f"{url}?target_group=supplier&lang=en").get_data(as_text=True)
    assert "Responses: 7." in large
    body = client.get(f"/api/v1/surveys/{survey.id}/results?country=FI", headers=auth).get_json()
    assert body["responses"] is None and body["suppressed"] is True
    for suffix in (".csv", ".xlsx"):
        refused = client.get(f"{url}{suffix}?country=FI&lang=en")
        assert refused.status_code == 409
        assert "Fewer than 5 responses match these filters" in refused.get_data(as_text=True)
        assert client.get(f"{url}{suffix}?target_group=supplier").status_code == 200
