"""On PostgreSQL a pooled connection is checked at checkout without a round trip (the socket and
libpq's status, core.pg_liveness): one the server closed is replaced before
a request uses it, so a restart or a terminated backend costs no failed request."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from core.db import db
from tests.participants.helpers import person


def backend_pid() -> int:
    with db.engine.connect() as connection:
        return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()


def terminate(pid: int) -> None:
    # autocommit: within one transaction pg_stat_activity keeps showing its first snapshot
    other = sa.create_engine(
        db.engine.url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT"
    )
    try:
        with other.connect() as connection:
            assert connection.exec_driver_sql(f"SELECT pg_terminate_backend({pid})").scalar()
            deadline = time.monotonic() + 10
            while connection.exec_driver_sql(
                f"SELECT count(*) FROM pg_stat_activity WHERE pid = {pid}"
            ).scalar():
                assert time.monotonic() < deadline, "the backend did not end"
                time.sleep(0.02)
    finally:
        other.dispose()


@pytest.fixture
def postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's pooled connections; SQLite has no server to lose")
    with app.app_context():
        db.engine.dispose()  # one pooled connection, the one the checks below find again
        yield app


def test_a_connection_the_server_closed_is_replaced_at_checkout(postgresql):
    with postgresql.app_context():
        first = backend_pid()
        assert backend_pid() == first  # the pool hands the same connection out again
        terminate(first)
        second = backend_pid()  # would raise OperationalError had the dead one been used
        assert second != first


def test_a_registration_after_the_server_dropped_the_pool_succeeds(postgresql, make_event):
    event = make_event()
    client = postgresql.test_client()
    with postgresql.app_context():
        terminate(backend_pid())
    response = client.post(f"/api/v1/events/{event.slug}/registrations", json=person())
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["status"] == "confirmed"


def test_checkout_sends_nothing_to_the_server(postgresql):
    other = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
    try:
        with postgresql.app_context():
            # in autocommit, so that returning it to the pool sends no ROLLBACK
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as first:
                pid = first.exec_driver_sql("SELECT pg_backend_pid() AS last_one").scalar()
            with db.engine.connect():  # checked out again, nothing sent yet
                with other.connect() as watcher:
                    last = watcher.exec_driver_sql(
                        f"SELECT query FROM pg_stat_activity WHERE pid = {pid}"
                    ).scalar()
                assert "last_one" in last  # a ping would have been the last statement
    finally:
        other.dispose()
