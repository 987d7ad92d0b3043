"""The migration that gives events and sessions their translations (b7e4c1d9a2f3): rows
already there get none, keep their registrations, and it can be undone in place."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import create_app
from core.db import db, utcnow
from events.content import localized
from events.models import Event

BEFORE = "59a43e2b6a2e"  # the revision before the translations


def test_existing_events_get_no_translations_and_keep_their_registrations(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(revision=BEFORE)
        now = utcnow().replace(tzinfo=None)
        later = now.replace(year=now.year + 1)
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO event (id, slug, title, description, kind, format, language, "
                    "timezone, starts_at, ends_at, venue_name, venue_address, venue_city, "
                    "venue_country, online_url, status, sequence, created_at, updated_at) "
                    "VALUES (1, 'a', 'Gammalt', '', 'workshop', 'online', 'sv', "
                    "'Europe/Stockholm', :now, :later, '', '', '', '', '', 'published', 0, "
                    ":now, :now)"
                ),
                {"now": now, "later": later},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO event_session (id, event_id, title, description, starts_at, "
                    "ends_at, room, capacity, speakers) VALUES "
                    "(1, 1, 'S1', '', :now, :later, '', NULL, '[]')"
                ),
                {"now": now, "later": later},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO organisation (id, key, name, country, created_at) "
                    "VALUES (1, 'k', 'Org', 'SE', :now)"
                ),
                {"now": now},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO registration (id, event_id, organisation_id, token, name, "
                    "email, target_group, role, language, needs, consent_future_invitations, "
                    "status, added_by_organiser, created_at) VALUES (1, 1, 1, 't1', 'P', "
                    "'p@example.se', 'supplier', '', 'sv', '', 0, 'confirmed', 0, :now)"
                ),
                {"now": now},
            )

        upgrade()

        event = db.session.get(Event, 1)
        assert event.translations == {} and event.sessions[0].translations == {}
        assert localized(event, "title", "fi") == ("Gammalt", "sv")
        db.session.remove()

        downgrade(revision=BEFORE)  # in place: no table is rebuilt, so no registration is lost
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM registration")).scalar() == 1
            for table in ("event", "event_session"):
                columns = {c["name"] for c in sa.inspect(conn).get_columns(table)}
                assert "translations" not in columns
        db.engine.dispose()
