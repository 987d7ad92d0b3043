"""Organisers manage events through the HTML forms: create, edit, agenda, publish, cancel."""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from core.auth import create_organiser
from core.db import db, utcnow
from events.models import Event

DAY = (utcnow() + timedelta(days=30)).date().isoformat()


@pytest.fixture
def english(client):
    """Messages in English: the msgids, whatever the Swedish catalogue says."""
    client.get("/?lang=en")
    return client


@pytest.fixture
def signed_in(english, organiser, login):
    login()
    return english


def event_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Sysselsättningskrav för beställare",
        "description": "Vi går igenom **modellen** i sex steg.",
        "kind": "workshop",
        "format": "in_person",
        "language": "sv",
        "timezone": "Europe/Stockholm",
        "starts_at": f"{DAY}T09:00",
        "ends_at": f"{DAY}T15:30",
        "venue_name": "Stadshuset",
        "venue_address": "Hantverkargatan 1",
        "venue_city": "Stockholm",
        "venue_country": "Sverige",
        "online_url": "",
        "capacity": "60",
        "registration_opens_at": "",
        "registration_closes_at": "",
        "target_group_contracting_authority": "y",
        "target_group_supplier": "y",
        "quota_supplier": "30",
        "co_organisers": "",
    }
    data.update(overrides)
    return data


def session_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Workshop: kartlägg era upphandlingar",
        "description": "",
        "starts_at": f"{DAY}T10:00",
        "ends_at": f"{DAY}T11:30",
        "room": "Sal A",
        "speakers": "Karin Lindqvist, Upphandlingsmyndigheten\nJohan Berg, Arbetsförmedlingen",
        "capacity": "25",
    }
    data.update(overrides)
    return data


def load(slug: str) -> Event | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Event).where(Event.slug == slug))


def field_error(html: str, field: str) -> str:
    """The message shown next to a field (the <p> its aria-describedby points to)."""
    match = re.search(
        rf'<p class="govuk-error-message" id="{re.escape(field)}-error">'
        rf'<span class="govuk-visually-hidden">[^<]*</span> ([^<]*)</p>',
        html,
    )
    assert match, f"no error shown next to {field}"
    assert f'aria-describedby="{field}-error"' in html or (
        f'aria-describedby="{field}-hint {field}-error"' in html
    )
    return html_lib.unescape(match.group(1))


def create(client, **overrides: Any) -> Event:
    response = client.post("/manage/events/new", data=event_form(**overrides))
    assert response.status_code == 302, response.get_data(as_text=True)
    slug = response.location.rstrip("/").split("/")[-1]
    event = load(slug)
    assert event is not None
    return event


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/manage/", "/manage/events/new"])
def test_management_needs_sign_in_and_comes_back(client, organiser, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    assert response.location.endswith(path.replace("/", "%2F"))

    back = client.post(
        response.location,
        data={"email": "anna@upphandlingsmyndigheten.se", "password": "secret-pass"},
    )
    assert back.status_code == 302
    assert back.location == path
    assert client.get(path).status_code == 200


def test_non_organiser_gets_403(client, make_event, login):
    event = make_event(status="draft")
    create_organiser("bo@goteborg.se", "Bo Other", "other-pass")
    login("bo@goteborg.se", "other-pass")

    assert event.title not in client.get("/manage/").get_data(as_text=True)
    for path in ("", "/edit", "/sessions/new", "/cancel", "/delete"):
        assert client.get(f"/manage/events/{event.slug}{path}").status_code == 403, path
    assert client.post(f"/manage/events/{event.slug}/publish").status_code == 403
    assert client.post(f"/manage/events/{event.slug}/delete").status_code == 403
    response = client.post(f"/manage/events/{event.slug}/edit", data=event_form(title="Mine"))
    assert response.status_code == 403
    event = load(event.slug)
    assert event.status == "draft" and event.title != "Mine"


def test_admin_manages_every_event(client, make_event, admin, login):
    event = make_event(title="Annas workshop")
    login("admin@upphandlingsmyndigheten.se", "admin-pass")

    listing = client.get("/manage/").get_data(as_text=True)
    assert "Annas workshop" in listing
    assert 'href="/manage/organisers"' in listing

    response = client.post(
        f"/manage/events/{event.slug}/edit", data=event_form(title="Renamed by admin")
    )
    assert response.status_code == 302
    assert load(event.slug).title == "Renamed by admin"


def test_organiser_sees_no_link_to_organiser_accounts(signed_in):
    assert 'href="/manage/organisers"' not in signed_in.get("/manage/").get_data(as_text=True)


def test_co_organiser_can_manage(signed_in):
    create_organiser("bo@goteborg.se", "Bo Co", "other-pass")
    event = create(signed_in, co_organisers="bo@goteborg.se")
    assert [o.email for o in event.co_organisers] == ["bo@goteborg.se"]

    signed_in.post("/logout")
    signed_in.post("/login", data={"email": "bo@goteborg.se", "password": "other-pass"})
    assert event.title in signed_in.get("/manage/").get_data(as_text=True)
    assert signed_in.get(f"/manage/events/{event.slug}/edit").status_code == 200
    assert signed_in.post(f"/manage/events/{event.slug}/publish").status_code == 302
    assert load(event.slug).status == "published"


def test_unknown_co_organiser_is_named(signed_in):
    response = signed_in.post("/manage/events/new", data=event_form(co_organisers="x@y.se"))
    assert response.status_code == 422
    assert "x@y.se" in field_error(response.get_data(as_text=True), "co_organisers")


# --- creating and editing --------------------------------------------------------------------


def test_create_event_through_the_form(signed_in):
    page = signed_in.get("/manage/events/new").get_data(as_text=True)
    assert 'type="datetime-local"' in page
    assert 'value="Europe/Stockholm"' in page  # the default zone

    event = create(
        signed_in,
        timezone="Europe/Helsinki",
        language="fi",
        registration_closes_at=f"{DAY}T08:00",
        target_group_matchmaker="y",
        quota_matchmaker="",
    )

    assert event.status == "draft"
    assert event.title == "Sysselsättningskrav för beställare"
    assert event.timezone == "Europe/Helsinki"
    # 9:00 in Helsinki is 7:00 UTC in winter and 6:00 UTC in summer.
    offset = 2 if event.starts_at.astimezone(UTC).hour == 7 else 3
    assert event.starts_at == datetime.fromisoformat(f"{DAY}T09:00").replace(
        tzinfo=UTC
    ) - timedelta(hours=offset)
    assert event.venue_city == "Stockholm" and event.venue_address == "Hantverkargatan 1"
    assert event.capacity == 60
    assert {tg.code: tg.quota for tg in event.target_groups} == {
        "contracting_authority": None,
        "matchmaker": None,
        "supplier": 30,
    }
    assert event.registration_closes_at is not None
    assert event.registration_opens_at is None
    assert event.created_by.email == "anna@upphandlingsmyndigheten.se"
    # A draft is not public.
    assert signed_in.get(f"/events/{event.slug}").status_code == 404


def test_no_target_group_ticked_means_open_to_all(signed_in):
    data = event_form()
    del data["target_group_contracting_authority"], data["target_group_supplier"]
    event = create(signed_in, **{})
    response = signed_in.post(f"/manage/events/{event.slug}/edit", data=data)
    assert response.status_code == 302
    assert len(load(event.slug).target_groups) == 6


def test_edit_form_shows_the_event_in_its_own_zone(signed_in):
    event = create(signed_in, timezone="Europe/Helsinki")
    html = signed_in.get(f"/manage/events/{event.slug}/edit").get_data(as_text=True)
    assert f'value="{DAY}T09:00"' in html
    assert f'value="{DAY}T15:30"' in html
    assert 'name="target_group_supplier" value="y" checked' in html
    assert 'name="quota_supplier" value="30"' in html


def test_edit_event(signed_in):
    event = create(signed_in)
    response = signed_in.post(
        f"/manage/events/{event.slug}/edit",
        data=event_form(title="Nytt namn", venue_city="Göteborg", ends_at=f"{DAY}T16:00"),
    )
    assert response.status_code == 302
    event = load(event.slug)
    assert event.title == "Nytt namn"
    assert event.venue_city == "Göteborg"
    assert event.ends_at.astimezone(UTC).hour in (14, 15)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"ends_at": f"{DAY}T08:00"}, "ends_at", "The end must be after the start."),
        ({"timezone": "Europe/Atlantis"}, "timezone", "Unknown time zone"),
        ({"title": "  "}, "title", "This field is required."),
        ({"starts_at": "tomorrow"}, "starts_at", "Give a date and time"),
        ({"capacity": "many"}, "capacity", "whole number"),
        ({"venue_name": "", "venue_city": ""}, "venue_name", "needs a venue"),
        ({"online_url": "ftp://x"}, "online_url", "https://"),
    ],
)
def test_invalid_event_shows_the_message_next_to_the_field(signed_in, overrides, field, message):
    response = signed_in.post("/manage/events/new", data=event_form(**overrides))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in field_error(html, field)
    assert 'class="govuk-error-summary"' in html
    # What was typed is kept.
    assert "Sysselsättningskrav för beställare" in html or field == "title"
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0


def test_invalid_quota_is_shown_at_the_target_groups(signed_in):
    response = signed_in.post("/manage/events/new", data=event_form(quota_supplier="-3"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="target-groups-error"' in html
    assert "whole number" in html


def test_invalid_edit_changes_nothing(signed_in):
    event = create(signed_in)
    response = signed_in.post(
        f"/manage/events/{event.slug}/edit",
        data=event_form(title="Changed", ends_at=f"{DAY}T07:00"),
    )
    assert response.status_code == 422
    assert "The end must be after the start." in field_error(
        response.get_data(as_text=True), "ends_at"
    )
    assert load(event.slug).title == "Sysselsättningskrav för beställare"


def test_an_event_may_be_created_in_the_past(signed_in):
    past_day = (utcnow() - timedelta(days=20)).date().isoformat()
    event = create(signed_in, starts_at=f"{past_day}T13:00", ends_at=f"{past_day}T16:00")
    signed_in.post(f"/manage/events/{event.slug}/publish")
    assert event.title in signed_in.get("/past").get_data(as_text=True)


def test_list_of_events_nearest_first(signed_in):
    later = (utcnow() + timedelta(days=40)).date().isoformat()
    sooner = (utcnow() + timedelta(days=5)).date().isoformat()
    past_day = (utcnow() - timedelta(days=5)).date().isoformat()
    long_ago = (utcnow() - timedelta(days=50)).date().isoformat()
    for title, day in (
        ("Long ago", long_ago),
        ("Later", later),
        ("Past", past_day),
        ("Sooner", sooner),
    ):
        create(signed_in, title=title, starts_at=f"{day}T09:00", ends_at=f"{day}T12:00")

    html = signed_in.get("/manage/").get_data(as_text=True)
    order = re.findall(
        r'<th scope="row" class="govuk-table__header">'
        r'<a class="govuk-link" href="/manage/events/[^"]+"[^>]*>([^<]+)</a>',
        html,
    )
    assert order == ["Sooner", "Later", "Past", "Long ago"]  # upcoming nearest first, then past


# --- the agenda ------------------------------------------------------------------------------


def test_add_edit_and_remove_sessions(signed_in):
    event = create(signed_in)
    url = f"/manage/events/{event.slug}/sessions/new"
    assert signed_in.post(url, data=session_form()).status_code == 302
    assert (
        signed_in.post(
            url,
            data=session_form(
                title="Lunch",
                starts_at=f"{DAY}T12:00",
                ends_at=f"{DAY}T13:00",
                speakers="",
                capacity="",
                room="",
            ),
        ).status_code
        == 302
    )

    event = load(event.slug)
    assert [s.title for s in event.sessions] == ["Workshop: kartlägg era upphandlingar", "Lunch"]
    workshop = event.sessions[0]
    assert workshop.capacity == 25 and workshop.room == "Sal A"
    assert workshop.speakers == [
        {"name": "Karin Lindqvist", "organisation": "Upphandlingsmyndigheten"},
        {"name": "Johan Berg", "organisation": "Arbetsförmedlingen"},
    ]

    edit_url = f"/manage/events/{event.slug}/sessions/{workshop.id}/edit"
    form_html = signed_in.get(edit_url).get_data(as_text=True)
    assert f'value="{DAY}T10:00"' in form_html
    assert "Karin Lindqvist, Upphandlingsmyndigheten" in form_html
    response = signed_in.post(edit_url, data=session_form(room="Sal C", capacity=""))
    assert response.status_code == 302
    event = load(event.slug)
    assert event.sessions[0].id == workshop.id
    assert event.sessions[0].room == "Sal C" and event.sessions[0].capacity is None

    delete_url = f"/manage/events/{event.slug}/sessions/{workshop.id}/delete"
    assert "Yes, remove the session" in signed_in.get(delete_url).get_data(as_text=True)
    assert signed_in.post(delete_url).status_code == 302
    assert [s.title for s in load(event.slug).sessions] == ["Lunch"]

    # The manage page lists the agenda.
    assert "Lunch" in signed_in.get(f"/manage/events/{event.slug}").get_data(as_text=True)


def test_session_outside_the_event_is_refused(signed_in):
    event = create(signed_in)
    response = signed_in.post(
        f"/manage/events/{event.slug}/sessions/new",
        data=session_form(starts_at=f"{DAY}T16:00", ends_at=f"{DAY}T17:00"),
    )
    assert response.status_code == 422
    message = field_error(response.get_data(as_text=True), "starts_at")
    assert "within the event's start and end" in message
    assert load(event.slug).sessions == []


def test_session_ending_before_it_starts_is_refused(signed_in):
    event = create(signed_in)
    response = signed_in.post(
        f"/manage/events/{event.slug}/sessions/new",
        data=session_form(starts_at=f"{DAY}T11:00", ends_at=f"{DAY}T10:00"),
    )
    assert response.status_code == 422
    assert "The end must be after the start." in field_error(
        response.get_data(as_text=True), "ends_at"
    )


def test_unknown_session_is_404(signed_in):
    event = create(signed_in)
    assert signed_in.get(f"/manage/events/{event.slug}/sessions/999/edit").status_code == 404


# --- status ----------------------------------------------------------------------------------


def test_publish_then_cancel(signed_in):
    event = create(signed_in)
    page = signed_in.get(f"/manage/events/{event.slug}").get_data(as_text=True)
    assert f'action="/manage/events/{event.slug}/publish"' in page

    response = signed_in.post(f"/manage/events/{event.slug}/publish")
    assert response.status_code == 302
    assert load(event.slug).status == "published"
    assert event.title in signed_in.get("/").get_data(as_text=True)

    confirm = signed_in.get(f"/manage/events/{event.slug}/cancel").get_data(as_text=True)
    assert "Yes, cancel the event" in confirm
    assert load(event.slug).status == "published"  # asking is not cancelling

    assert signed_in.post(f"/manage/events/{event.slug}/cancel").status_code == 302
    assert load(event.slug).status == "cancelled"
    public = signed_in.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "status-cancelled" in public and "This event has been cancelled" in public

    # A cancelled event cannot be published again; the organiser is told why.
    signed_in.post(f"/manage/events/{event.slug}/publish")
    assert load(event.slug).status == "cancelled"
    page = signed_in.get(f"/manage/events/{event.slug}").get_data(as_text=True)
    assert "cannot be published again" in page


def test_delete_draft(signed_in):
    event = create(signed_in)
    confirm = signed_in.get(f"/manage/events/{event.slug}/delete").get_data(as_text=True)
    assert "Yes, delete the draft" in confirm

    response = signed_in.post(f"/manage/events/{event.slug}/delete")
    assert response.status_code == 302
    assert response.location == "/manage/"
    assert load(event.slug) is None


def test_published_event_cannot_be_deleted(signed_in):
    event = create(signed_in)
    signed_in.post(f"/manage/events/{event.slug}/publish")
    signed_in.post(f"/manage/events/{event.slug}/delete")
    assert load(event.slug) is not None
    page = signed_in.get(f"/manage/events/{event.slug}").get_data(as_text=True)
    assert "Only drafts can be deleted" in page
