"""Calendar files, read back with a second parser (vobject), times checked in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
import vobject

from core.db import db
from events.calendar import event_calendar
from tests.conftest import event_data

HELSINKI_MAY = {
    "timezone": "Europe/Helsinki",
    "language": "fi",
    "starts_at": "2026-05-20T09:00",
    "ends_at": "2026-05-20T16:00",
}


def unfold(text: str) -> str:
    return text.replace("\r\n ", "").replace("\r\n\t", "")


def read(body: bytes) -> Any:
    """Parse with vobject, from our own VTIMEZONE: vobject keeps the first definition of a
    TZID it meets in a process-wide map, so forget earlier files' zones first."""
    zones = vars(vobject.icalendar)["__tzidMap"]
    for tzid in [t for t in zones if t != "UTC"]:
        del zones[tzid]
    return vobject.readOne(body.decode("utf-8"))


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def by_uid(calendar: Any) -> dict[str, Any]:
    return {ve.uid.value: ve for ve in calendar.vevent_list}


def get_ics(client, path: str):
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return response


def test_helsinki_event_is_in_helsinki_time(client, make_event):
    event = make_event(
        **HELSINKI_MAY,
        sessions=[
            {"title": "Avaus", "starts_at": "2026-05-20T09:00", "ends_at": "2026-05-20T09:30"},
            {
                "title": "Työpaja",
                "starts_at": "2026-05-20T13:00",
                "ends_at": "2026-05-20T15:00",
                "room": "Sali 2",
                "speakers": [{"name": "Maija Virtanen", "organisation": "Helsingin kaupunki"}],
            },
        ],
    )

    body = get_ics(client, f"/events/{event.slug}.ics").data
    text = unfold(body.decode())
    calendar = read(body)

    assert "BEGIN:VTIMEZONE\r\nTZID:Europe/Helsinki" in text
    assert "DTSTART;TZID=Europe/Helsinki:20260520T090000" in text
    vevents = by_uid(calendar)
    main = vevents[f"event-{event.id}@localhost"]
    assert utc(main.dtstart.value) == datetime(2026, 5, 20, 6, 0, tzinfo=UTC)
    assert utc(main.dtend.value) == datetime(2026, 5, 20, 13, 0, tzinfo=UTC)
    assert main.summary.value == event.title
    assert main.status.value == "CONFIRMED"
    assert main.sequence.value == "0"
    assert main.url.value == f"http://localhost/events/{event.slug}"
    assert main.location.value == "Stadshuset, Hantverkargatan 1, Stockholm, Sverige"
    assert main.dtstamp.value.tzinfo is not None
    # One entry for the event, not one per session: the agenda is in its description.
    assert set(vevents) == {f"event-{event.id}@localhost"}
    description = main.description.value
    assert "2026-05-20 09:00–09:30 Avaus" in description
    assert "2026-05-20 13:00–15:00 Työpaja (Sali 2), Maija Virtanen (Helsingin kaupunki)" in (
        description
    )


def test_stockholm_winter_event(client, make_event):
    event = make_event(starts_at="2027-01-14T09:00", ends_at="2027-01-14T12:00")

    calendar = read(get_ics(client, f"/events/{event.slug}.ics").data)

    (vevent,) = calendar.vevent_list
    assert utc(vevent.dtstart.value) == datetime(2027, 1, 14, 8, 0, tzinfo=UTC)
    assert calendar.vtimezone.tzid.value == "Europe/Stockholm"


def test_online_event_location_and_stable_uid(client, make_event):
    event = make_event(format="online", venue=None)

    first = read(get_ics(client, f"/events/{event.slug}.ics").data)
    second = read(get_ics(client, f"/events/{event.slug}.ics").data)

    assert first.vevent.location.value == "Online"
    assert first.vevent.uid.value == second.vevent.uid.value == f"event-{event.id}@localhost"


def test_uid_host_comes_from_public_base_url(app, client, make_event):
    app.config["PUBLIC_BASE_URL"] = "https://motesplats.upphandlingsmyndigheten.se"
    event = make_event()

    calendar = read(get_ics(client, f"/events/{event.slug}.ics").data)

    assert calendar.vevent.uid.value == f"event-{event.id}@motesplats.upphandlingsmyndigheten.se"
    assert calendar.vevent.url.value.startswith("https://motesplats.upphandlingsmyndigheten.se/")


def test_draft_and_unknown_events_have_no_calendar(client, make_event):
    draft = make_event(status="draft")

    assert client.get(f"/events/{draft.slug}.ics").status_code == 404
    assert client.get("/events/finns-inte.ics").status_code == 404


def test_sequence_rises_with_time_and_place_not_with_title(client, auth, make_event):
    event = make_event()
    path = f"/api/v1/events/{event.slug}"

    def sequence() -> int:
        calendar = read(get_ics(client, f"/events/{event.slug}.ics").data)
        return int(calendar.vevent.sequence.value)

    assert sequence() == 0
    assert client.patch(path, json={"title": "Bara nytt namn"}, headers=auth).status_code == 200
    assert sequence() == 0
    new_time = {"starts_at": "2030-02-01T10:00", "ends_at": "2030-02-01T15:00"}
    moved = client.patch(path, json=new_time, headers=auth)
    assert moved.status_code == 200
    assert sequence() == 1
    calendar = read(get_ics(client, f"/events/{event.slug}.ics").data)
    assert utc(calendar.vevent.dtstart.value) == datetime(2030, 2, 1, 9, 0, tzinfo=UTC)
    venue = {"name": "Kulturhuset", "address": "Sergels torg", "city": "Stockholm", "country": "SE"}
    assert client.patch(path, json={"venue": venue}, headers=auth).status_code == 200
    assert sequence() == 2
    assert (
        "Kulturhuset"
        in read(get_ics(client, f"/events/{event.slug}.ics").data).vevent.location.value
    )


def test_cancelled_event_is_marked_cancelled(client, auth, make_event):
    event = make_event(
        sessions=[
            {
                "title": "Pass 1",
                "starts_at": event_data()["starts_at"],
                "ends_at": event_data()["ends_at"],
            }
        ]  # fmt: skip
    )
    assert client.post(f"/api/v1/events/{event.slug}/cancel", headers=auth).status_code == 200

    calendar = read(get_ics(client, f"/events/{event.slug}.ics").data)

    (vevent,) = calendar.vevent_list
    assert vevent.status.value == "CANCELLED"
    assert vevent.sequence.value == "1"


# --- the feed --------------------------------------------------------------------------------


def test_feed_has_published_and_cancelled_events_not_drafts(client, auth, make_event):
    published = make_event(title="Publicerat")
    cancelled = make_event(title="Inställt")
    make_event(title="Utkast", status="draft")
    past = make_event(title="Förra året", starts_at="2025-03-01T09:00", ends_at="2025-03-01T12:00")
    client.post(f"/api/v1/events/{cancelled.slug}/cancel", headers=auth)

    response = get_ics(client, "/calendar.ics")
    calendar = read(response.data)

    vevents = by_uid(calendar)
    assert set(vevents) == {f"event-{e.id}@localhost" for e in (published, cancelled, past)}
    assert vevents[f"event-{cancelled.id}@localhost"].status.value == "CANCELLED"
    assert vevents[f"event-{published.id}@localhost"].status.value == "CONFIRMED"
    assert "X-WR-CALNAME:" in unfold(response.get_data(as_text=True))


def test_feed_filters_by_target_group_and_language(client, make_event):
    for_suppliers = make_event(title="Leverantörer", target_groups=[{"code": "supplier"}])
    for_authorities = make_event(
        title="Upphandlare", target_groups=["contracting_authority"], language="fi",
        timezone="Europe/Helsinki",
    )  # fmt: skip

    def titles(query: str) -> set[str]:
        calendar = read(get_ics(client, f"/calendar.ics?{query}").data)
        return {ve.summary.value for ve in getattr(calendar, "vevent_list", [])}

    assert titles("target_group=supplier") == {for_suppliers.title}
    assert titles("target_group=contracting_authority") == {for_authorities.title}
    assert titles("language=fi") == {for_authorities.title}
    assert titles("language=sv") == {for_suppliers.title}
    assert titles("language=fi&target_group=supplier") == set()
    assert titles("target_group=nonsense") == {for_suppliers.title, for_authorities.title}
    calname = unfold(client.get("/calendar.ics?target_group=supplier").get_data(as_text=True))
    assert "X-WR-CALNAME:" in calname


def test_feed_mixes_zones_correctly(client, make_event):
    make_event(title="Helsinki", **HELSINKI_MAY)
    make_event(title="Stockholm", starts_at="2027-01-14T09:00", ends_at="2027-01-14T12:00")
    # Years apart, so the zones have many transitions (vobject misreads them on one RDATE line).
    make_event(
        title="Helsinki 2030",
        timezone="Europe/Helsinki",
        starts_at="2030-06-12T09:00",
        ends_at="2030-06-12T12:00",
    )
    make_event(title="Stockholm 2031", starts_at="2031-08-20T09:00", ends_at="2031-08-20T12:00")

    calendar = read(get_ics(client, "/calendar.ics").data)

    starts = {ve.summary.value: utc(ve.dtstart.value) for ve in calendar.vevent_list}
    assert starts == {
        "Helsinki": datetime(2026, 5, 20, 6, 0, tzinfo=UTC),
        "Stockholm": datetime(2027, 1, 14, 8, 0, tzinfo=UTC),
        "Helsinki 2030": datetime(2030, 6, 12, 6, 0, tzinfo=UTC),
        "Stockholm 2031": datetime(2031, 8, 20, 7, 0, tzinfo=UTC),
    }
    assert {tz.tzid.value for tz in calendar.vtimezone_list} == {
        "Europe/Helsinki",
        "Europe/Stockholm",
    }


def _count_feed_queries(client) -> int:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        get_ics(client, "/calendar.ics")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def _make_events(make_event, n: int, offset: int = 0) -> None:
    for i in range(offset, offset + n):
        make_event(
            title=f"Event {i}",
            starts_at=f"2030-03-{i + 1:02d}T09:00",
            ends_at=f"2030-03-{i + 1:02d}T16:00",
            sessions=[
                {
                    "title": "A",
                    "starts_at": f"2030-03-{i + 1:02d}T09:00",
                    "ends_at": f"2030-03-{i + 1:02d}T10:00",
                },
                {
                    "title": "B",
                    "starts_at": f"2030-03-{i + 1:02d}T10:00",
                    "ends_at": f"2030-03-{i + 1:02d}T11:00",
                },
            ],  # fmt: skip
        )


def test_feed_queries_do_not_grow_with_events(client, make_event):
    _make_events(make_event, 3)
    db.session.expire_all()
    with_three = _count_feed_queries(client)
    _make_events(make_event, 12, offset=3)
    db.session.expire_all()
    with_fifteen = _count_feed_queries(client)

    assert len(read(get_ics(client, "/calendar.ics").data).vevent_list) == 15  # one per event
    assert with_three == with_fifteen
    assert with_three <= 6


# --- the builder for registrants' emails -----------------------------------------------------


def test_request_for_a_registration(make_event):
    event = make_event(
        **HELSINKI_MAY,
        sessions=[{"title": "Työpaja", "starts_at": "2026-05-20T13:00",
                   "ends_at": "2026-05-20T15:00", "room": "Sali 2"}],
    )  # fmt: skip

    body = event_calendar(
        event,
        method="REQUEST",
        uid="registration-7@localhost",
        attendee=("Maija Virtanen", "maija@hel.fi"),
        sessions=event.sessions,
    )
    calendar = read(body)

    assert calendar.method.value == "REQUEST"
    (vevent,) = calendar.vevent_list  # one UID per scheduling message
    assert vevent.uid.value == "registration-7@localhost"
    assert vevent.sequence.value == "0"
    assert vevent.status.value == "CONFIRMED"
    assert utc(vevent.dtstart.value) == datetime(2026, 5, 20, 6, 0, tzinfo=UTC)
    assert vevent.organizer.value.startswith("mailto:")
    assert vevent.attendee.value == "mailto:maija@hel.fi"
    assert vevent.attendee.params["CN"] == ["Maija Virtanen"]
    assert "2026-05-20 13:00–15:00 Työpaja (Sali 2)" in vevent.description.value


def test_cancel_for_a_registration_supersedes_its_request(make_event):
    event = make_event()

    calendar = read(
        event_calendar(
            event, method="CANCEL", uid="registration-7@localhost", attendee=("A", "a@b.se")
        )
    )

    assert calendar.method.value == "CANCEL"
    assert calendar.vevent.uid.value == "registration-7@localhost"
    assert calendar.vevent.status.value == "CANCELLED"
    assert calendar.vevent.sequence.value == "1"  # newer than the REQUEST with SEQUENCE 0


def test_cancel_for_a_cancelled_event(make_event, organiser):
    from events.services import cancel_event

    event = make_event()
    cancel_event(organiser, event)

    calendar = read(event_calendar(event, method="CANCEL"))

    assert calendar.vevent.uid.value == f"event-{event.id}@localhost"
    assert calendar.vevent.status.value == "CANCELLED"
    assert calendar.vevent.sequence.value == str(event.sequence) == "1"


def test_publish_lists_the_chosen_agenda_and_refuses_a_bad_method(make_event):
    event = make_event(
        sessions=[
            {
                "title": "Förmiddagspass",
                "starts_at": event_data()["starts_at"],
                "ends_at": event_data()["ends_at"],
            },
            {
                "title": "Eftermiddagspass",
                "starts_at": event_data()["starts_at"],
                "ends_at": event_data()["ends_at"],
            },
        ]
    )

    calendar = read(event_calendar(event, sessions=event.sessions[:1]))

    (vevent,) = calendar.vevent_list
    assert "Förmiddagspass" in vevent.description.value
    assert "Eftermiddagspass" not in vevent.description.value
    with pytest.raises(ValueError):
        event_calendar(event, method="REPLY")
    with pytest.raises(ValueError):
        event_calendar(event, join_url="https://meet.example/x")  # never in the public entry
