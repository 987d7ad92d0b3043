"""No seat that does not exist: hundreds of simultaneous registrations against a real
multi-process server (gunicorn, 4 workers) on this test's database, SQLite or PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from core.db import db
from core.models import OutboxMessage
from participants.models import Registration, registration_session
from tests.conftest import event_data
from tests.participants.helpers import assert_seat_counts_kept, person, sessions_for
from tests.server import gunicorn_server

pytestmark = pytest.mark.server

N = 200


def fire(base_url: str, slug: str, bodies: list[dict[str, Any]]) -> list[tuple[int, Any]]:
    """POST every body at once: one thread each, all released by one barrier."""
    url = f"{base_url}/api/v1/events/{slug}/registrations"
    barrier = threading.Barrier(len(bodies))

    def one(body: dict[str, Any]) -> tuple[int, Any]:
        barrier.wait()
        response = requests.post(url, json=body, timeout=90, headers={"Accept-Language": "en"})
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, response.text

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(one, bodies))


def check_answers(answers: list[tuple[int, Any]], seats: int, event_id: int) -> None:
    """Every answer 201; `seats` confirmed, the rest waitlisted at places 1..N exactly, and
    the database agrees with what each person was told."""
    statuses = [status for status, _body in answers]
    assert [s for s in statuses if s >= 500] == []
    assert statuses == [201] * len(answers), {s: statuses.count(s) for s in set(statuses)}

    db.session.rollback()
    rows = db.session.scalars(
        sa.select(Registration).where(Registration.event_id == event_id).order_by(Registration.id)
    ).all()
    assert len(rows) == len(answers)
    confirmed = [r for r in rows if r.status == "confirmed"]
    waitlisted = [r for r in rows if r.status == "waitlisted"]
    assert len(confirmed) == seats
    assert len(waitlisted) == len(answers) - seats
    position_in_db = {r.token: n for n, r in enumerate(waitlisted, start=1)}

    told = {body["token"]: body for _status, body in answers}
    assert {t for t, b in told.items() if b["status"] == "confirmed"} == {
        r.token for r in confirmed
    }
    told_positions = sorted(b["waitlist_position"] for b in told.values() if b["waitlist_position"])
    assert told_positions == list(range(1, len(waitlisted) + 1))
    for token, position in position_in_db.items():
        assert told[token]["waitlist_position"] == position
    # One email per registration, written in the same transaction.
    kinds = db.session.execute(
        sa.select(OutboxMessage.kind, sa.func.count()).group_by(OutboxMessage.kind)
    ).all()
    assert dict(kinds) == {"confirmed": seats, "waitlisted": len(answers) - seats}
    # The kept counts equal a fresh count after the burst.
    assert_seat_counts_kept()


def test_200_registrations_for_20_seats(app, database_url, make_event):
    event = make_event(capacity=20, target_groups=["contracting_authority"])
    bodies = [person(n) for n in range(N)]
    with gunicorn_server(database_url, workers=4) as base_url:
        answers = fire(base_url, event.slug, bodies)
    check_answers(answers, 20, event.id)


def test_a_target_group_quota_holds_under_concurrency(app, database_url, make_event):
    event = make_event(
        capacity=1000,
        target_groups=[{"code": "supplier", "quota": 10}, {"code": "contracting_authority"}],
    )
    bodies = [person(n, target_group="supplier") for n in range(N)]
    with gunicorn_server(database_url, workers=4) as base_url:
        answers = fire(base_url, event.slug, bodies)
    check_answers(answers, 10, event.id)
    db.session.rollback()
    assert set(db.session.scalars(sa.select(Registration.target_group))) == {"supplier"}


def test_a_session_capacity_holds_under_concurrency(app, database_url, make_event):
    start = datetime.fromisoformat(event_data()["starts_at"])
    event = make_event(
        capacity=1000, target_groups=["contracting_authority"], sessions=sessions_for(start, 15)
    )
    session_id = event.sessions[0].id
    bodies = [person(n, sessions=[session_id]) for n in range(N)]
    with gunicorn_server(database_url, workers=4) as base_url:
        answers = fire(base_url, event.slug, bodies)
    check_answers(answers, 15, event.id)
    taken = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(registration_session)
        .join(Registration, Registration.id == registration_session.c.registration_id)
        .where(registration_session.c.session_id == session_id, Registration.status == "confirmed")
    )
    assert taken == 15
    assert all(body["reason"] == "session" for _s, body in answers if body["status"] != "confirmed")
