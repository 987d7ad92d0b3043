"""The front page and the past events page use a number of queries that does not grow with
the number of events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa

from core.db import db, utcnow


@contextmanager
def counted() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def _add_events(make_event, n: int, offset: int) -> None:
    """n upcoming and n past events, each with target groups and an agenda."""
    for i in range(n):
        for days in (3 + offset + i, -(3 + offset + i)):
            start = (utcnow() + timedelta(days=days)).replace(hour=8, minute=0, microsecond=0)
            make_event(
                title=f"Workshop {days}",
                starts_at=start.isoformat(),
                ends_at=(start + timedelta(hours=4)).isoformat(),
                venue={"name": "Hall", "city": f"City {i % 4}"},
                sessions=[
                    {
                        "title": "Opening",
                        "starts_at": start.isoformat(),
                        "ends_at": (start + timedelta(hours=1)).isoformat(),
                        "speakers": [{"name": "Karin", "organisation": "UHM"}],
                    }
                ],
            )


def _queries(client, path: str) -> int:
    db.session.expire_all()
    with counted() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


def test_list_pages_use_a_constant_number_of_queries(client, make_event):
    _add_events(make_event, 3, offset=0)
    few = {path: _queries(client, path) for path in ("/", "/past", "/?target_group=supplier")}
    html = client.get("/").get_data(as_text=True)
    assert html.count('class="mp-event-card"') == 3

    _add_events(make_event, 12, offset=100)
    many = {path: _queries(client, path) for path in ("/", "/past", "/?target_group=supplier")}
    html = client.get("/").get_data(as_text=True)
    assert html.count('class="mp-event-card"') == 10  # a full page, from 15 events

    assert many == few
    assert max(few.values()) <= 8, few


def _with_agenda(make_event):
    start = (utcnow() + timedelta(days=7)).replace(hour=8, minute=0, second=0, microsecond=0)
    return make_event(
        sessions=[
            {
                "title": f"Pass {i}",
                "starts_at": (start + timedelta(hours=i)).isoformat(),
                "ends_at": (start + timedelta(hours=i + 1)).isoformat(),
                "room": f"Sal {i}",
                "capacity": 20 if i == 1 else None,
                "speakers": [{"name": "Karin", "organisation": "UHM"}],
            }
            for i in range(4)
        ]
    )


def _agenda_reads(statements: list[str]) -> list[str]:
    """SELECTs that read sessions or target groups on their own, not joined to the event."""
    return [
        s
        for s in statements
        if s.lstrip().upper().startswith("SELECT")
        and ("FROM event_session" in s or "FROM event_target_group" in s)
    ]


def test_the_event_page_reads_its_agenda_once(client, make_event):
    """Three small prepared statements (events.records: the event, its target groups, its
    sessions), the waiting list's length and the event's public materials; cheaper than
    building ORM objects of a join."""
    event = _with_agenda(make_event)
    path = f"/events/{event.slug}"
    db.session.expire_all()
    with counted() as statements:
        body = client.get(path).get_data(as_text=True)
    assert body.count("Sal ") >= 4 and "Karin" in body
    agenda = _agenda_reads(statements)
    assert len(agenda) == 2, statements  # the groups once, the sessions once: no load per row
    assert _queries(client, path) <= 5


def test_the_registration_reads_the_event_with_its_agenda_in_one_query(client, make_event):
    event = _with_agenda(make_event)
    db.session.expire_all()
    with counted() as statements:
        assert client.get(f"/events/{event.slug}/register").status_code == 200
    assert _agenda_reads(statements) == [], statements
    db.session.expire_all()
    with counted() as statements:
        assert client.get(f"/api/v1/events/{event.slug}").status_code == 200
    assert _agenda_reads(statements) == [], statements
