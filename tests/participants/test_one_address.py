"""One person, one address: however it is typed it is registered once, and asking again sends
the manage link at most once every ten minutes (nobody can fill a registrant's inbox)."""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from flask_babel import force_locale

import core.db
from core.auth import create_organiser
from core.errors import ValidationError
from events.services import create_event
from participants import services
from participants.models import Registration
from tests.conftest import event_data
from tests.participants.helpers import outbox, person
from tests.server import gunicorn_server

EN = {"Accept-Language": "en"}


@pytest.fixture(autouse=True)
def english(app):
    with force_locale("en"):
        yield


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A clock the test moves: every module's `utcnow` (from core.db) reads it."""
    clock = Clock(core.db.utcnow())
    real = core.db.utcnow
    for module in list(sys.modules.values()):
        if getattr(module, "utcnow", None) is real:
            monkeypatch.setattr(module, "utcnow", clock)
    return clock


def post(client, event, body):
    return client.post(f"/api/v1/events/{event.slug}/registrations", json=body, headers=EN)


# --- the same address, typed another way --------------------------------------------------------


@pytest.mark.parametrize(
    "again",
    [
        "MAJA1@Stockholm.SE",
        "ｍａｊａ1@stockholm.se",  # full-width letters
        "ＭＡＪＡ１＠ＳＴＯＣＫＨＯＬＭ．ＳＥ",  # full width throughout, at sign and dot too
        " maja1@stockholm.se ",
    ],
)
def test_a_copy_of_a_registered_address_is_the_same_address(make_event, again: str) -> None:
    event = make_event()
    services.register(event, person(1))
    with pytest.raises(services.AlreadyRegistered):
        services.register(event, person(2, email=again))
    assert [r.email for r in event_registrations(event)] == ["maja1@stockholm.se"]


def test_an_idna_domain_is_the_same_domain(make_event) -> None:
    event = make_event()
    first = services.register(event, person(1, email="Anna@Malmö.se"))
    assert first.email == "anna@malmö.se"
    with pytest.raises(services.AlreadyRegistered):
        services.register(event, person(2, email="anna@xn--malm-8qa.se"))
    with pytest.raises(services.AlreadyRegistered):
        services.register(event, person(3, email="ａｎｎａ@ＭＡＬＭÖ.ＳＥ"))


def test_an_international_address_is_kept_as_typed_in_lower_case(make_event) -> None:
    event = make_event()
    registration = services.register(event, person(1, email="Åsa.Öberg@Exempel.se"))
    assert registration.email == "åsa.öberg@exempel.se"
    assert [m.recipient for m in outbox("confirmed")] == ["åsa.öberg@exempel.se"]


def event_registrations(event) -> list[Registration]:
    from core.db import db

    db.session.expire_all()
    return list(db.session.query(Registration).filter_by(event_id=event.id))


def test_an_organiser_signs_in_with_a_full_width_or_idna_copy_of_their_address(client, app) -> None:
    create_organiser("Ada@Malmö.se", "Ada", "secret-pass")
    for typed in ("ada@malmö.se", "ＡＤＡ＠ＭＡＬＭÖ．ＳＥ", "ada@xn--malm-8qa.se"):
        response = client.post("/login", data={"email": typed, "password": "secret-pass"})
        assert response.status_code == 302, typed
        client.post("/logout")
    with force_locale("en"):
        with pytest.raises(ValidationError) as caught:
            create_organiser("ａｄａ@malmö.se", "Ada again", "secret-pass")
        assert "already exists" in str(caught.value.to_dict()["error"]["fields"]["email"])


def test_a_co_organiser_is_found_by_any_form_of_their_address(app, organiser) -> None:
    create_organiser("bo@göteborg.se", "Bo", "secret-pass")
    event = create_event(organiser, event_data(co_organisers=["ＢＯ@xn--gteborg-90a.se"]))
    assert [o.email for o in event.co_organisers] == ["bo@göteborg.se"]


# --- the manage link sent again ----------------------------------------------------------------


def test_asking_six_times_sends_the_manage_link_once_per_ten_minutes(
    client, make_event, clock: Clock
) -> None:
    event = make_event()
    assert post(client, event, person(1)).status_code == 201

    answers = []
    for _ in range(6):
        response = post(client, event, person(1, name="Someone Else"))
        answers.append((response.status_code, response.get_json()))
        clock.advance(seconds=30)
    assert len(outbox("manage_link", "maja1@stockholm.se")) == 1
    # The same answer each time: nothing tells whether the link went out this time.
    assert answers == [answers[0]] * 6
    assert answers[0][0] == 409 and "sent the link" in answers[0][1]["error"]["message"]

    clock.advance(minutes=7)  # 10 minutes after the first resend, less a moment
    clock.advance(seconds=-1)
    post(client, event, person(1))
    assert len(outbox("manage_link", "maja1@stockholm.se")) == 1

    clock.advance(seconds=1)  # 10 minutes after it
    assert post(client, event, person(1)).get_json() == answers[0][1]
    assert len(outbox("manage_link", "maja1@stockholm.se")) == 2
    post(client, event, person(1, email="MAJA1@stockholm.se"))
    assert len(outbox("manage_link", "maja1@stockholm.se")) == 2


def test_the_html_form_sends_the_link_once_too(client, make_event, clock: Clock) -> None:
    event = make_event()
    services.register(event, person(1))
    form = {
        "name": "Someone Else",
        "email": "maja1@stockholm.se",
        "organisation": "Stockholms stad",
        "org_number": "212000-0142",
        "country": "SE",
        "target_group": "contracting_authority",
        "role": "",
        "language": "sv",
        "needs": "",
    }
    pages = [client.post(f"/events/{event.slug}/register?lang=en", data=form) for _ in range(4)]
    assert {p.status_code for p in pages} == {409}
    assert len(outbox("manage_link")) == 1


def test_each_registration_has_its_own_ten_minutes(make_event, clock: Clock) -> None:
    first, second = make_event(), make_event(title="Ett annat evenemang")
    services.register(first, person(1))
    services.register(second, person(1))
    for event in (first, second, first, second):
        with pytest.raises(services.AlreadyRegistered):
            services.register(event, person(1))
    assert len(outbox("manage_link")) == 2


@pytest.mark.server
def test_simultaneous_attempts_send_the_link_once(app, database_url, make_event) -> None:
    event = make_event()
    services.register(event, person(1))
    url_path = f"/api/v1/events/{event.slug}/registrations"
    attempts = 24
    barrier = threading.Barrier(attempts)

    def one(base_url: str) -> tuple[int, Any]:
        barrier.wait()
        response = requests.post(
            base_url + url_path, json=person(1), timeout=90, headers={"Accept-Language": "en"}
        )
        return response.status_code, response.json()

    with (
        gunicorn_server(database_url, workers=4, threads=2) as base_url,
        ThreadPoolExecutor(max_workers=attempts) as pool,
    ):
        answers = list(pool.map(one, [base_url] * attempts))
    assert [status for status, _ in answers] == [409] * attempts
    assert len({str(body) for _, body in answers}) == 1
    assert len(outbox("manage_link")) == 1
