"""The privacy page states the controller, the legal basis, the periods from the settings (a
change of configuration changes the page), the rights and the contact, in three languages;
every form a person fills in links it; an admin sets an event's own periods."""

from __future__ import annotations

import re

import pytest

from core.db import db
from events.models import Event
from participants.services import register
from tests.participants.helpers import as_stored, person

TEXTS = {
    "sv": ("personuppgiftsansvarig", "allmänt intresse", "Integritetsskyddsmyndigheten", "6.1 e"),
    "en": ("controller", "public interest", "Integritetsskyddsmyndigheten", "6.1 e"),
    "fi": ("rekisterinpitäjä", "yleisen edun", "tietosuojavaltuutettu", "6 artiklan 1 kohdan e"),
}
PERIODS = {
    "sv": ("24 månader", "1 dag", "90 dagar", "36 månader"),
    "en": ("24 months", "1 day", "90 days", "36 months"),
    "fi": ("24 kuukautta", "1 päivä", "90 päivää", "36 kuukauden"),
}


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


@pytest.mark.parametrize("lang", ["sv", "en", "fi"])
def test_the_page_states_what_the_law_asks_in_each_language(client, lang):
    response = client.get(f"/privacy?lang={lang}")
    assert response.status_code == 200
    text = _text(response)
    for phrase in TEXTS[lang] + PERIODS[lang]:
        assert phrase.lower() in text.lower(), phrase
    assert "Upphandlingsmyndigheten" in text
    assert 'href="mailto:dataskydd@motesplats.example"' in response.get_data(as_text=True)
    assert "tillganglighet@" not in text  # the accessibility address is not the privacy one


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "sv",
            ("12 månader", "3 dagar", "30 dagar", "60 månader", "Min myndighet", "skydd@min.se"),
        ),
        ("en", ("12 months", "3 days", "30 days", "60 months", "Min myndighet", "skydd@min.se")),
        ("fi", ("12 kuukautta", "3 päivää", "30 päivää", "60 kuukauden", "Min myndighet")),
    ],
)
def test_the_periods_come_from_the_configuration(make_app, lang, expected):
    app = make_app(
        RETENTION_NEEDS_DAYS=3, RETENTION_PERSONAL_MONTHS=12, RETENTION_OUTBOX_DAYS=30,
        RETENTION_AUDIT_MONTHS=60, ORGANISATION_NAME="Min myndighet",
        PRIVACY_CONTACT_EMAIL="skydd@min.se",
    )  # fmt: skip
    with app.app_context():
        text = _text(app.test_client().get(f"/privacy?lang={lang}"))
    for phrase in expected:
        assert phrase in text, phrase
    assert "24 m" not in text and "24 k" not in text


def test_needs_kept_no_days_says_when_the_event_ends(make_app):
    app = make_app(RETENTION_NEEDS_DAYS=0)
    with app.app_context():
        text = _text(app.test_client().get("/privacy?lang=en"))
    assert "Deleted when the event ends." in text


def test_the_page_is_public_and_may_be_cached(client):
    response = client.get("/privacy")
    assert "no-store" not in response.headers.get("Cache-Control", "")


def _links_privacy(response) -> bool:
    return 'href="/privacy' in response.get_data(as_text=True)


def test_every_form_a_person_fills_in_links_the_page(app, client, make_event):
    from surveys.models import SurveyInvitation
    from tests.surveys.helpers import build_survey

    event = make_event()
    reg = as_stored(register(event, person(1)))
    survey = build_survey(event)
    invitation = SurveyInvitation(survey_id=survey.id, registration_id=reg.id, email=reg.email)
    db.session.add(invitation)
    db.session.commit()
    db.session.expunge_all()  # the request loads the survey as stored
    pages = [
        f"/events/{event.slug}/register",
        f"/r/{reg.token}",
        f"/r/{reg.token}/details",
        f"/r/{reg.token}/cancel",
        "/login",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert _links_privacy(response), path
    for path in (f"/s/{invitation.token}", f"/s/{invitation.token}/opt-out"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert _links_privacy(response), path


# --- an event's own periods -------------------------------------------------------------------


def test_only_an_admin_sets_an_events_periods(client, login, organiser, admin, make_event):
    event = make_event()
    path = f"/manage/events/{event.slug}/retention"
    assert client.get(path).status_code in (302, 401)
    login()
    assert client.get(path).status_code == 403
    assert client.post(path, data={"needs_kept_days": "5"}).status_code in (400, 403)
    assert "/retention" not in client.get(f"/manage/events/{event.slug}").get_data(as_text=True)
    client.post("/logout")
    login("admin@upphandlingsmyndigheten.se", "admin-pass")
    page = client.get(f"/manage/events/{event.slug}").get_data(as_text=True)
    assert f'href="{path}"' in page
    response = client.get(path + "?lang=en")
    assert response.status_code == 200
    text = _text(response)
    assert "the default, 1 day" in text and "the default, 24 months" in text
    assert client.get("/manage/events/no-such-event/retention").status_code == 404


def _form_post(client, path, **data):
    page = client.get(path).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    if csrf:
        data["csrf_token"] = csrf.group(1)
    return client.post(path, data=data)


def test_an_admin_saves_and_clears_the_periods(client, login, admin, make_event):
    event = make_event()
    path = f"/manage/events/{event.slug}/retention"
    login("admin@upphandlingsmyndigheten.se", "admin-pass")
    response = _form_post(client, path, needs_kept_days=" 0 ", personal_data_kept_months="6")
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Event, event.id)
    assert (stored.needs_kept_days, stored.personal_data_kept_months) == (0, 6)
    page = client.get(path).get_data(as_text=True)
    assert 'value="0"' in page and 'value="6"' in page
    response = _form_post(client, path, needs_kept_days="", personal_data_kept_months="")
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Event, event.id)
    assert (stored.needs_kept_days, stored.personal_data_kept_months) == (None, None)


@pytest.mark.parametrize(
    ("needs", "months", "wrong", "lang", "message"),
    [
        ("366", "", "needs", "en", "from 0 to 365"),
        ("-1", "", "needs", "sv", "från 0 till 365"),
        ("1.5", "", "needs", "fi", "0–365"),
        ("", "0", "months", "en", "from 1 to 120"),
        ("", "121", "months", "sv", "från 1 till 120"),
        ("", "tolv", "months", "fi", "1–120"),
    ],
)
def test_the_form_says_what_is_wrong(
    client, login, admin, make_event, needs, months, wrong, lang, message
):
    event = make_event()
    path = f"/manage/events/{event.slug}/retention?lang={lang}"
    login("admin@upphandlingsmyndigheten.se", "admin-pass")
    response = _form_post(client, path, needs_kept_days=needs, personal_data_kept_months=months)
    assert response.status_code == 422
    text = _text(response)
    assert message in text
    assert "govuk-error-summary" in response.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(Event, event.id)
    assert (stored.needs_kept_days, stored.personal_data_kept_months) == (None, None)
