"""/healthz: what a load balancer asks, and what it is told when the database is away."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest

from core.db import db, utcnow
from core.models import OutboxMessage
from core.outbox import queue_email

# What a load balancer sends: the backend's address as its Host, no cookie, nothing else.
BY_ADDRESS = {"Host": "10.0.0.5:8000", "User-Agent": "ELB-HealthChecker/2.0"}


def test_ok_with_an_empty_outbox(client):
    response = client.get("/healthz", headers=BY_ADDRESS)
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "database": "ok",
        "outbox": {"due": 0, "oldest_due_seconds": None},
    }
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_the_backlog_counts_due_messages_and_the_oldest_wait(client):
    now = utcnow()
    queue_email("a@example.se", "confirmed", "sv", {})
    queue_email("b@example.se", "confirmed", "sv", {})
    later = queue_email("c@example.se", "confirmed", "sv", {})  # not due yet
    db.session.commit()
    rows = {m.id: m for m in db.session.scalars(db.select(OutboxMessage))}
    first, second = sorted(set(rows) - {later})
    rows[first].next_attempt_at = now - timedelta(minutes=10)
    rows[second].next_attempt_at = now - timedelta(minutes=1)
    rows[later].next_attempt_at = now + timedelta(hours=1)
    # A claim whose lease ran out is due again, since its lease's end.
    expired = OutboxMessage(
        recipient="d@example.se", kind="confirmed", language="sv", status="sending",
        claimed_until=now - timedelta(minutes=20), next_attempt_at=now - timedelta(hours=1),
    )  # fmt: skip
    db.session.add(expired)
    db.session.commit()
    body = client.get("/healthz", headers=BY_ADDRESS).json
    assert body["outbox"]["due"] == 3
    assert 20 * 60 <= body["outbox"]["oldest_due_seconds"] < 21 * 60
    text = json.dumps(body)
    assert "@" not in text  # counts only


def test_head_works_too(client):
    assert client.head("/healthz", headers=BY_ADDRESS).status_code == 200


def test_no_host_header_at_all(client):
    """An HTTP/1.0 check without Host: the server's own address stands in for it."""
    environ = {"SERVER_NAME": "10.0.0.5", "SERVER_PORT": "8000"}
    response = client.get("/healthz", headers={}, environ_overrides=environ)
    assert response.status_code == 200


def test_other_pages_still_refuse_a_host_by_address(client):
    assert client.get("/", headers=BY_ADDRESS).status_code == 400
    assert client.get("/healthz/", headers=BY_ADDRESS).status_code == 400


def test_not_rate_limited_nor_csrf_checked(make_app):
    app = make_app(RATELIMIT_ENABLED=True, WTF_CSRF_ENABLED=True, RATELIMIT_PUBLIC="2 per minute")
    client = app.test_client()
    for _ in range(30):
        assert client.get("/healthz", headers=BY_ADDRESS).status_code == 200


def test_at_most_two_statements(app, client, monkeypatch):
    import sqlalchemy as sa

    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get("/healthz", headers=BY_ADDRESS).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert 1 <= len(statements) <= 2, statements


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once closed


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_503_when_the_database_does_not_answer(make_app, tmp_path, kind):
    if kind == "postgresql":
        url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/nowhere"
        options = {"connect_args": {"connect_timeout": 2}}
    else:  # a file in a folder that does not exist cannot be opened
        url = f"sqlite:///{tmp_path}/no/such/folder/db.sqlite"
        options = {}
    app = make_app(SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS=options)
    response = app.test_client().get("/healthz", headers=BY_ADDRESS)
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "unavailable", "outbox": None}
    assert response.headers["Cache-Control"] == "no-store"
