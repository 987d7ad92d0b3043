"""The migration that brings stored addresses to their normal form (ee0b26ecc22b)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from core.db import db, utcnow

BEFORE = "7c2c794037f7"


def test_stored_addresses_take_their_normal_form_without_breaking_the_unique_index(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(revision=BEFORE)
        now = utcnow().replace(tzinfo=None)
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO organiser (id, email, name, password_hash, role, active, "
                    "created_at) VALUES (:id, :email, 'O', 'x', 'organiser', 1, :now)"
                ),
                [
                    {"id": 1, "email": "ada@xn--malm-8qa.se", "now": now},
                    {"id": 2, "email": "ｂｏ@example.se", "now": now},
                    {"id": 3, "email": "bo@example.se", "now": now},  # 2 is its copy
                ],
            )
            conn.execute(
                sa.text(
                    "INSERT INTO event (id, slug, title, description, kind, format, language, "
                    "timezone, starts_at, ends_at, venue_name, venue_address, venue_city, "
                    "venue_country, online_url, status, sequence, created_at, updated_at) "
                    "VALUES (1, 'e', 'E', '', 'workshop', 'online', 'sv', 'Europe/Stockholm', "
                    ":now, :later, '', '', '', '', '', 'published', 0, :now, :now)"
                ),
                {"now": now, "later": now.replace(year=now.year + 1)},
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
                    "status, added_by_organiser, created_at) VALUES (:id, 1, 1, :token, 'P', "
                    ":email, 'supplier', '', 'sv', '', 0, :status, 0, :now)"
                ),
                [
                    {"id": n, "token": f"t{n}", "email": email, "status": status, "now": now}
                    for n, email, status in [
                        (1, "ａｎｎａ@example.se", "confirmed"),
                        (2, "anna@example.se", "cancelled"),
                        (3, "ｋｉｍ@example.se", "confirmed"),
                        (4, "kim@example.se", "waitlisted"),
                    ]
                ],
            )

        upgrade()

        with db.engine.connect() as conn:
            organisers = dict(conn.execute(sa.text("SELECT id, email FROM organiser")).all())
            registrations = dict(conn.execute(sa.text("SELECT id, email FROM registration")).all())
            columns = {c["name"] for c in sa.inspect(conn).get_columns("registration")}
        db.engine.dispose()
    assert organisers == {1: "ada@malmö.se", 2: "ｂｏ@example.se", 3: "bo@example.se"}
    assert registrations == {
        1: "anna@example.se",  # the cancelled twin does not count
        2: "anna@example.se",
        3: "ｋｉｍ@example.se",  # kim@example.se is active too: left for an organiser to sort
        4: "kim@example.se",
    }
    assert "manage_link_sent_at" in columns
