"""On PostgreSQL each process keeps the events' versions as PostgreSQL pushes them (LISTEN/NOTIFY,
core/pushed_versions.py), so a cached event page costs no query, and is still never older than
its data: a change committed by another process or connection shows on the very next request,
a change made while the listener is disconnected too, and a request never trusts a map that
may have missed something."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest
import sqlalchemy as sa

from core import page_cache, pushed_versions
from core.db import db
from events import queries
from events.services import update_event
from participants.services import register
from tests.participants.helpers import person
from tests.statements import count_statements


@pytest.fixture
def pushed(app, client):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL pushes versions; on SQLite every hit reads the version")
    page_cache._pages.clear()
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = 3600
    yield app, client
    page_cache._pages.clear()
    queries._PUSHED.stop()


def listening(timeout: float = 10.0) -> None:
    """Wait until this process's listener answers look-ups from its map."""
    queries.event_page_version("-")  # the first look-up starts it
    deadline = time.monotonic() + timeout
    while not queries._PUSHED.listening(db.engine):
        assert time.monotonic() < deadline, "the listener did not connect"
        time.sleep(0.02)


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def other_connection():
    """Another session on the same database, as another worker process has."""
    return sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)


def test_a_remembered_page_costs_no_query(pushed, make_event):
    app, client = pushed
    event = make_event()
    url = f"/events/{event.slug}"
    listening()
    page(client, url)
    page(client, url)  # the version is in the map now
    with count_statements() as statements:
        body = page(client, url)
    assert statements == []
    assert event.title in body


EDITOR = """
import sys
from app import create_app
from core.auth import create_organiser
from events.queries import get_public_event
from events.services import update_event
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "TESTING": True, "SECRET_KEY": "x",
                  "MAIL_SERVER": None})
with app.app_context():
    editor = create_organiser("editor@example.se", "Editor", "secret-pass", True)
    for line in sys.stdin:
        event = get_public_event(sys.argv[2])
        update_event(editor, event, {"title": line.strip()})
        print("done", flush=True)
"""


def test_an_edit_in_another_process_shows_on_the_very_next_request(
    pushed, make_event, database_url
):
    """Another worker process edits through the service; this process's request starts as soon
    as the edit was answered, before the notification may have arrived, every time."""
    app, client = pushed
    event = make_event()
    url = f"/events/{event.slug}?lang=en"
    listening()
    editor = subprocess.Popen(
        [sys.executable, "-c", EDITOR, database_url, event.slug],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for round in range(30):
            page(client, url)
            assert page(client, url) == page(client, url)  # answered from memory
            editor.stdin.write(f"Titel nummer {round}\n")
            editor.stdin.flush()
            assert editor.stdout.readline().strip() == "done"
            assert f"Titel nummer {round}" in page(client, url), round
    finally:
        editor.stdin.close()
        editor.wait(timeout=30)
    assert queries._PUSHED.listening(db.engine)  # the map was in use all along


def test_a_change_made_outside_the_app_shows_once_notified(pushed, make_event):
    """A change from another host or from psql: only the notification tells; it shows within
    milliseconds, and the map is in use again after it."""
    app, client = pushed
    event = make_event()
    url = f"/events/{event.slug}?lang=en"
    listening()
    engine = other_connection()
    delays = []
    try:
        for round in range(20):
            page(client, url)
            page(client, url)
            with engine.begin() as conn:
                conn.execute(
                    sa.text("UPDATE event SET title = :t, version = version + 1 WHERE id = :id"),
                    {"t": f"Utifrån {round}", "id": event.id},
                )
            committed = time.monotonic()
            while f"Utifrån {round}" not in page(client, url):
                assert time.monotonic() - committed < 1.0, "not notified within a second"
            delays.append(time.monotonic() - committed)
    finally:
        engine.dispose()
    assert sorted(delays)[len(delays) // 2] < 0.05
    assert queries._PUSHED.listening(db.engine)


def test_the_last_seat_taken_in_another_process_shows_on_the_next_request(
    pushed, make_event, database_url
):
    app, client = pushed
    event = make_event(capacity=1)
    url = f"/events/{event.slug}?lang=en"
    listening()
    assert "1 place left" in page(client, url)
    assert "1 place left" in page(client, url)
    script = textwrap.dedent(f"""
        from app import create_app
        from events.queries import get_public_event
        from participants.services import register
        from tests.participants.helpers import person
        app = create_app({{"SQLALCHEMY_DATABASE_URI": {database_url!r}, "TESTING": True,
                          "SECRET_KEY": "x", "MAIL_SERVER": None}})
        with app.app_context():
            register(get_public_event({event.slug!r}), person(7))
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert "The event is full" in page(client, url)


def test_a_change_in_this_process_shows_at_once(pushed, make_event, organiser):
    app, client = pushed
    event = make_event(capacity=2)
    url = f"/events/{event.slug}?lang=en"
    listening()
    for round in range(10):
        page(client, url)
        update_event(organiser, event, {"title": f"Egen ändring {round}"})
        assert f"Egen ändring {round}" in page(client, url)
    register(event, person(1))
    assert "1 place left" in page(client, url)


def test_a_lost_listener_falls_back_to_the_query_and_never_serves_stale(pushed, make_event):
    app, client = pushed
    event = make_event()
    url = f"/events/{event.slug}?lang=en"
    listening()
    page(client, url)
    engine = other_connection()
    try:
        with engine.begin() as conn:  # the listener's session goes away, as in a restart
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = 'listen event_version'"
                    " AND datname = current_database()"
                )
            )
        with engine.begin() as conn:  # a change while nobody listens
            conn.execute(
                sa.text(
                    "UPDATE event SET title = 'Under avbrottet', version = version + 1"
                    " WHERE id = :id"
                ),  # fmt: skip
                {"id": event.id},
            )
        assert "Under avbrottet" in page(client, url)
        with count_statements() as statements:
            page(client, url)
        assert len(statements) == 1 or queries._PUSHED.listening(db.engine)
        listening()  # it reconnects by itself
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE event SET title = 'Efter avbrottet', version = version + 1"
                    " WHERE id = :id"
                ),  # fmt: skip
                {"id": event.id},
            )
        assert "Efter avbrottet" in page(client, url)
    finally:
        engine.dispose()


def test_without_the_trigger_the_map_is_never_used(pushed, make_event):
    app, client = pushed
    event = make_event()
    url = f"/events/{event.slug}?lang=en"
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE event DISABLE TRIGGER event_version_notify")
    try:
        queries.event_page_version("-")
        time.sleep(0.5)
        assert not queries._PUSHED.listening(db.engine)
        page(client, url)
        with count_statements() as statements:
            page(client, url)
        assert len(statements) == 1
    finally:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE event ENABLE TRIGGER event_version_notify")


def test_a_commit_drops_the_maps(pushed, make_event, organiser):
    app, client = pushed
    event = make_event()
    listening()
    assert queries.event_page_version(event.slug) == queries.event_page_version(event.slug)
    listener = queries._PUSHED._listeners[pushed_versions._name(db.engine)]
    assert event.slug in listener.versions
    update_event(organiser, event, {"title": "Ändrad"})
    assert event.slug not in listener.versions or listener.versions[event.slug] == event.version
    queries.event_page_version(event.slug)
    assert listener.versions[event.slug] == event.version
    pushed_versions.written(db.engine)  # any commit, in any process of this host
    assert listener.versions == {}
