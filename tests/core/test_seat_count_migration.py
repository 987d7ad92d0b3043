"""The migration that keeps the seats taken on the rows they limit (59a43e2b6a2e) fills them
from the registrations already there, and can be undone."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import create_app
from core.db import db, utcnow
from participants.seats import recount

BEFORE = "3b8f1d2a9c47"  # the revision before the seat counts


def test_the_counts_are_filled_from_the_registrations(tmp_path: Path) -> None:
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
                    "VALUES (:id, :slug, 'E', '', 'workshop', 'online', 'sv', "
                    "'Europe/Stockholm', :now, :later, '', '', '', '', '', 'published', 0, "
                    ":now, :now)"
                ),
                [
                    {"id": 1, "slug": "a", "now": now, "later": later},
                    {"id": 2, "slug": "b", "now": now, "later": later},
                ],
            )
            conn.execute(
                sa.text(
                    "INSERT INTO event_target_group (event_id, code, quota) VALUES "
                    "(1, 'supplier', 2), (1, 'contracting_authority', NULL), (2, 'supplier', 1)"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO event_session (id, event_id, title, description, starts_at, "
                    "ends_at, room, capacity, speakers) VALUES "
                    "(1, 1, 'S1', '', :now, :later, '', 5, '[]'), "
                    "(2, 1, 'S2', '', :now, :later, '', NULL, '[]')"
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
                    "status, added_by_organiser, created_at) VALUES (:id, :event, 1, :token, "
                    "'P', :email, :group, '', 'sv', '', 0, :status, 0, :now)"
                ),
                [
                    {
                        "id": n,
                        "event": event,
                        "token": f"t{n}",
                        "email": f"p{n}@example.se",
                        "group": group,
                        "status": status,
                        "now": now,
                    }
                    for n, event, group, status in [
                        (1, 1, "supplier", "confirmed"),
                        (2, 1, "supplier", "confirmed"),
                        (3, 1, "supplier", "waitlisted"),
                        (4, 1, "contracting_authority", "confirmed"),
                        (5, 1, "contracting_authority", "cancelled"),
                        (6, 1, "other", "confirmed"),  # added by an organiser
                        (7, 2, "supplier", "confirmed"),
                    ]
                ],
            )
            conn.execute(
                sa.text(
                    "INSERT INTO registration_session (registration_id, session_id) VALUES "
                    "(1, 1), (1, 2), (2, 1), (3, 1), (5, 1), (6, 2)"
                )
            )

        upgrade()

        with db.engine.connect() as conn:
            events = dict(conn.execute(sa.text("SELECT id, confirmed_count FROM event")).all())
            groups = {
                (row[0], row[1]): row[2]
                for row in conn.execute(
                    sa.text("SELECT event_id, code, confirmed_count FROM event_target_group")
                )
            }
            sessions = dict(
                conn.execute(sa.text("SELECT id, confirmed_count FROM event_session")).all()
            )
        assert events == {1: 4, 2: 1}
        assert groups == {(1, "supplier"): 2, (1, "contracting_authority"): 1, (2, "supplier"): 1}
        assert sessions == {1: 2, 2: 2}
        assert recount() == []
        db.session.remove()

        downgrade(revision=BEFORE)  # in place: no table is rebuilt, so no registration is lost
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM registration")).scalar() == 7
            columns = {c["name"] for c in sa.inspect(conn).get_columns("event")}
        assert "confirmed_count" not in columns
        db.engine.dispose()
