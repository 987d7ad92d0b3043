"""Duplicating an event: the same workshop in Stockholm, then Helsinki, then Vantaa. The copy
keeps the agenda, groups, quotas and texts, not the registrations; its sessions keep their
distance from the start on the new zone's clock; a time the clocks skip there is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openapi_schema_validator import OAS31Validator, validate

from core.auth import create_api_token, create_organiser
from core.db import db
from core.errors import Forbidden
from events.duplicate import duplicate_event
from events.models import Event
from events.services import create_event, update_event
from participants import services as participants
from participants.models import Registration
from tests.conftest import event_data
from tests.participants.helpers import person

STOCKHOLM = ZoneInfo("Europe/Stockholm")
HELSINKI = ZoneInfo("Europe/Helsinki")

VENUE_HELSINKI = {
    "name": "Helsingin kaupungintalo",
    "address": "Pohjoisesplanadi 11-13",
    "city": "Helsinki",
    "country": "Suomi",
}


def workshop(organiser, **overrides):
    """A Stockholm workshop on 2027-05-12, 09:00-15:00, with a two-session agenda in Swedish
    and Finnish, groups with quotas, and a registration window."""
    data = event_data(
        title="Sysselsättningskrav i praktiken",
        description="Hur man **ställer** krav.",
        translations={
            "fi": {"title": "Työllistämisehto käytännössä", "description": "Miten ehto asetetaan."},
            "en": {"title": "Employment requirements in practice"},
        },
        starts_at="2027-05-12T09:00",
        ends_at="2027-05-12T15:00",
        registration_opens_at="2026-11-01T08:00",
        registration_closes_at="2027-05-10T23:59",
        capacity=40,
        target_groups=[
            {"code": "contracting_authority", "quota": 25},
            {"code": "supplier", "quota": 10},
            {"code": "matchmaker", "quota": None},
        ],
        sessions=[
            {
                "title": "Planera",
                "description": "Steg 1 och 2.",
                "translations": {"fi": {"title": "Suunnittele", "description": "Vaiheet 1 ja 2."}},
                "starts_at": "2027-05-12T09:30",
                "ends_at": "2027-05-12T11:00",
                "room": "Rum A",
                "capacity": 20,
                "speakers": [{"name": "Eva Ek", "organisation": "Upphandlingsmyndigheten"}],
            },
            {
                "title": "Följa upp",
                "starts_at": "2027-05-12T13:00",
                "ends_at": "2027-05-12T14:30",
                "room": "Rum B",
                "capacity": None,
                "speakers": [],
            },
        ],
        **overrides,
    )
    event = create_event(organiser, data)
    event.sessions[1].track_attendance = True
    db.session.commit()
    return event


def local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def test_copy_to_helsinki_keeps_the_agenda_on_the_helsinki_clock(app, organiser):
    source = workshop(organiser)
    participants.register(source, person(1))
    participants.register(source, person(2, target_group="supplier"))
    copy = duplicate_event(
        organiser,
        source,
        {
            "starts_at": "2027-06-09T09:00",
            "timezone": "Europe/Helsinki",
            "language": "fi",
            "venue": VENUE_HELSINKI,
        },
    )
    db.session.expire_all()
    copy = db.session.get(Event, copy.id)
    assert copy.id != source.id and copy.slug != source.slug
    assert copy.status == "draft" and copy.sequence == 0
    assert copy.timezone == "Europe/Helsinki" and copy.language == "fi"
    # 09:00-15:00 on the Helsinki clock (06:00 UTC), not Stockholm's 09:00 (07:00 UTC).
    assert local(copy.starts_at, HELSINKI) == "2027-06-09 09:00"
    assert local(copy.ends_at, HELSINKI) == "2027-06-09 15:00"
    assert copy.starts_at == datetime(2027, 6, 9, 6, 0, tzinfo=UTC)
    assert [(local(s.starts_at, HELSINKI), local(s.ends_at, HELSINKI)) for s in copy.sessions] == [
        ("2027-06-09 09:30", "2027-06-09 11:00"),
        ("2027-06-09 13:00", "2027-06-09 14:30"),
    ]
    # The registration window keeps its distance from the start.
    assert local(copy.registration_opens_at, HELSINKI) == "2026-11-29 08:00"
    assert local(copy.registration_closes_at, HELSINKI) == "2027-06-07 23:59"
    # The Finnish texts become its own, the Swedish ones a translation.
    assert copy.title == "Työllistämisehto käytännössä"
    assert copy.description == "Miten ehto asetetaan."
    assert copy.translations == {
        "sv": {
            "title": "Sysselsättningskrav i praktiken",
            "description": "Hur man **ställer** krav.",
        },
        "en": {"title": "Employment requirements in practice"},
    }
    first, second = copy.sessions
    assert (first.title, first.description) == ("Suunnittele", "Vaiheet 1 ja 2.")
    assert first.translations == {"sv": {"title": "Planera", "description": "Steg 1 och 2."}}
    assert (first.room, first.capacity, first.speakers) == (
        "Rum A",
        20,
        [{"name": "Eva Ek", "organisation": "Upphandlingsmyndigheten"}],
    )
    assert (second.title, second.room, second.capacity) == ("Följa upp", "Rum B", None)
    assert (first.track_attendance, second.track_attendance) == (False, True)
    assert [(tg.code, tg.quota) for tg in copy.target_groups] == [
        ("contracting_authority", 25),
        ("matchmaker", None),
        ("supplier", 10),
    ]
    assert (copy.kind, copy.format, copy.capacity) == ("workshop", "in_person", 40)
    assert (copy.venue_name, copy.venue_city, copy.venue_country) == (
        "Helsingin kaupungintalo",
        "Helsinki",
        "Suomi",
    )
    # No registrations, every counter at zero; the source keeps its own.
    count = sa.select(sa.func.count()).select_from(Registration)
    assert db.session.scalar(count.where(Registration.event_id == copy.id)) == 0
    assert db.session.scalar(count.where(Registration.event_id == source.id)) == 2
    assert copy.confirmed_count == 0
    assert [tg.confirmed_count for tg in copy.target_groups] == [0, 0, 0]
    assert [s.confirmed_count for s in copy.sessions] == [0, 0]
    assert source.confirmed_count == 2


def test_a_new_title_and_the_same_zone(app, organiser):
    source = workshop(organiser)
    copy = duplicate_event(
        organiser,
        source,
        {
            "starts_at": "2027-10-06T10:00",
            "title": "Sysselsättningskrav i Göteborg",
            "venue": {"name": "Kajskjul 8", "city": "Göteborg", "country": "Sverige"},
        },
    )
    assert copy.title == "Sysselsättningskrav i Göteborg"
    assert copy.slug == "sysselsattningskrav-i-goteborg"
    assert copy.language == "sv" and copy.translations == source.translations
    # Across the change to winter time the sessions keep their wall-clock times.
    assert local(copy.starts_at, STOCKHOLM) == "2027-10-06 10:00"
    assert [local(s.starts_at, STOCKHOLM) for s in copy.sessions] == [
        "2027-10-06 10:30",
        "2027-10-06 14:00",
    ]
    second = duplicate_event(organiser, source, {"starts_at": "2027-11-03T09:00"})
    assert second.slug == "sysselsattningskrav-i-praktiken-2"
    assert second.venue_city == "Stockholm"


def test_a_start_the_clocks_skip_in_the_new_zone_is_refused(app, organiser, client, auth):
    source = workshop(organiser)
    auth = {**auth, "Accept-Language": "en"}
    # 2027-03-28: Helsinki moves from 03:00 to 04:00 (an hour after Stockholm's 02:00).
    response = client.post(
        f"/api/v1/events/{source.slug}/duplicate",
        json={"starts_at": "2027-03-28T03:30", "timezone": "Europe/Helsinki"},
        headers=auth,
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert "03:30 on 2027-03-28 does not exist in Europe/Helsinki" in error["fields"]["starts_at"]
    # A start at 02:30 is fine there, but its 03:00 session is not.
    response = client.post(
        f"/api/v1/events/{source.slug}/duplicate",
        json={"starts_at": "2027-03-28T02:30", "timezone": "Europe/Helsinki"},
        headers=auth,
    )
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert "03:00 on 2027-03-28 does not exist" in fields["sessions[0].starts_at"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 1


def test_bad_choices_are_named(app, organiser, client, auth):
    source = workshop(organiser)
    response = client.post(
        f"/api/v1/events/{source.slug}/duplicate",
        json={"starts_at": "soon", "timezone": "Europe/Atlantis", "language": "de"},
        headers=auth,
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"starts_at", "timezone", "language"}
    response = client.post(f"/api/v1/events/{source.slug}/duplicate", json={}, headers=auth)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"starts_at"}


def test_another_organiser_may_not_duplicate(app, organiser, client):
    source = workshop(organiser)
    other = create_organiser("olle@vantaa.fi", "Olle Other", "other-pass")
    with pytest.raises(Forbidden):
        duplicate_event(other, source, {"starts_at": "2027-06-09T09:00"})
    response = client.post(
        f"/api/v1/events/{source.slug}/duplicate",
        json={"starts_at": "2027-06-09T09:00"},
        headers={"Authorization": f"Bearer {create_api_token(other)}"},
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    response = client.post("/api/v1/events/no-such/duplicate", json={"starts_at": "x"})
    assert response.status_code == 401
    client.post("/login", data={"email": "olle@vantaa.fi", "password": "other-pass"})
    assert client.get(f"/manage/events/{source.slug}/duplicate").status_code == 403
    page = client.post(
        f"/manage/events/{source.slug}/duplicate", data={"starts_at": "2027-06-09T09:00"}
    )
    assert page.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 1


def test_co_organisers_manage_the_copy(app, organiser):
    helper = create_organiser("hanna@hel.fi", "Hanna Helsinki", "hanna-pass")
    source = workshop(organiser, co_organisers=["hanna@hel.fi"])
    copy = duplicate_event(helper, source, {"starts_at": "2027-06-09T09:00"})
    assert copy.created_by_id == helper.id
    assert [o.email for o in copy.co_organisers] == ["anna@upphandlingsmyndigheten.se"]


def test_api_answers_201_with_the_documented_copy(app, organiser, client, auth):
    source = workshop(organiser)
    response = client.post(
        f"/api/v1/events/{source.slug}/duplicate",
        json={
            "starts_at": "2027-09-15T09:00:00+03:00",
            "timezone": "Europe/Helsinki",
            "language": "fi",
            "slug": "tyollistamisehto-vantaa",
            "venue": {"name": "Vantaan kaupungintalo", "city": "Vantaa", "country": "Suomi"},
        },
        headers=auth,
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == "http://localhost/api/v1/events/tyollistamisehto-vantaa"
    assert body["status"] == "draft" and body["slug"] == "tyollistamisehto-vantaa"
    assert body["starts_at"] == "2027-09-15T09:00:00+03:00"
    assert [s["starts_at"] for s in body["sessions"]] == [
        "2027-09-15T09:30:00+03:00",
        "2027-09-15T13:00:00+03:00",
    ]
    assert body["venue"]["city"] == "Vantaa"
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/events/{slug}/duplicate"]["post"]
    assert set(operation["responses"]) >= {"201", "400", "401", "403", "404", "422"}
    schema = {"$ref": "#/components/schemas/ManagedEvent", "components": document["components"]}
    validate(body, schema, cls=OAS31Validator)
    assert document["components"]["schemas"]["EventDuplicate"]["required"] == ["starts_at"]
    error = client.post(
        f"/api/v1/events/{source.slug}/duplicate", json={"starts_at": 5}, headers=auth
    ).get_json()
    validate(error, {**schema, "$ref": "#/components/schemas/Error"}, cls=OAS31Validator)


def test_the_form_page_copies_and_opens_the_copy(app, organiser, client, login):
    source = workshop(organiser)
    login()
    manage = client.get(f"/manage/events/{source.slug}").get_data(as_text=True)
    assert f'href="/manage/events/{source.slug}/duplicate"' in manage
    page = client.get(f"/manage/events/{source.slug}/duplicate").get_data(as_text=True)
    assert 'value="2027-05-12T09:00"' in page  # the source's start, to change
    assert 'value="Stadshuset"' in page
    response = client.post(
        f"/manage/events/{source.slug}/duplicate",
        data={
            "title": "",
            "language": "fi",
            "timezone": "Europe/Helsinki",
            "starts_at": "2027-06-09T09:00",
            "format": "in_person",
            "venue_name": VENUE_HELSINKI["name"],
            "venue_address": VENUE_HELSINKI["address"],
            "venue_city": "Helsinki",
            "venue_country": "Suomi",
            "online_url": "",
        },
    )
    assert response.status_code == 302
    copy = db.session.scalar(sa.select(Event).where(Event.id != source.id))
    assert response.headers["Location"] == f"/manage/events/{copy.slug}"
    assert copy.title == "Työllistämisehto käytännössä" and copy.status == "draft"
    assert local(copy.sessions[0].starts_at, HELSINKI) == "2027-06-09 09:30"


def test_the_form_page_shows_the_gap_at_the_field(app, organiser, client, login):
    source = workshop(organiser)
    login()
    response = client.post(
        f"/manage/events/{source.slug}/duplicate",
        data={
            "language": "sv",
            "timezone": "Europe/Stockholm",
            "starts_at": "2027-03-28T02:30",
            "format": "in_person",
            "venue_name": "Stadshuset",
            "venue_city": "Stockholm",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#starts_at"' in page  # the error summary links to the field
    assert "Klockan 02:30 den 2027-03-28 finns inte i Europe/Stockholm" in page
    response = client.post(
        f"/manage/events/{source.slug}/duplicate",
        data={"language": "sv", "timezone": "Europe/Stockholm", "starts_at": "2027-06-01T09:00",
              "format": "in_person", "venue_name": "", "venue_city": ""},
    )  # fmt: skip
    assert response.status_code == 422
    assert (
        '<p class="govuk-error-message" id="venue_name-error"><span class="govuk-visually-hidden">'
        "Fel:</span> Ett evenemang på plats eller ett hybridevenemang behöver en lokal."
    ) in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 1


def test_the_copy_changes_nothing_of_the_source(app, organiser):
    source = workshop(organiser)
    before = (source.title, source.translations, [s.title for s in source.sessions])
    duplicate_event(organiser, source, {"starts_at": "2027-06-09T09:00", "language": "fi"})
    db.session.expire_all()
    source = db.session.get(Event, source.id)
    assert (source.title, source.translations, [s.title for s in source.sessions]) == before
    update_event(organiser, source, {"capacity": 41})  # still a sound event
