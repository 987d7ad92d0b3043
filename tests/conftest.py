"""Fixtures: a fresh app and database per test, on SQLite or on PostgreSQL (TEST_DATABASE_URL).

The schema is made by the Alembic migrations once per run; each test then starts from a copy
(SQLite) or from emptied tables (PostgreSQL).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, g, request_started
from flask.testing import FlaskClient

from app import create_app
from core.auth import create_api_token, create_organiser
from core.db import db, utcnow
from core.models import Organiser
from tests.core.smtp import smtp_server

IN_CI = os.environ.get("CI", "").lower() == "true"


def need(condition: bool, reason: str) -> None:
    """Skip with a reason on a laptop that lacks a service; fail in CI, where it must be there."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def base_config(url: str, instance: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MAIL_SERVER": None,
        "PUBLIC_BASE_URL": "http://localhost",
        "PUBLIC_PAGE_CACHE_SECONDS": 0,  # tests see every change at once; test_page_cache.py
        "MAIL_OUTBOX_DIR": str(instance / "mail"),
        "UPLOAD_DIR": str(instance / "uploads"),
    }


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "x"})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a migrated database: a template SQLite file, or a fresh PostgreSQL database."""
    pg_url = os.environ.get("TEST_DATABASE_URL")
    if pg_url:
        admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
        name = f"motesplats_test_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = admin.url.set(database=name).render_as_string(hide_password=False)
        _migrate(url)
        yield url
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.sqlite"
        url = f"sqlite:///{path}"
        _migrate(url)
        yield url


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> str:
    """A database of its own for one test, already migrated."""
    if database_template.startswith("sqlite"):
        source = Path(database_template.removeprefix("sqlite:///"))
        target = tmp_path / "test.sqlite"
        shutil.copy(source, target)
        return f"sqlite:///{target}"
    engine = sa.create_engine(database_template)
    with engine.begin() as conn:
        tables = [
            t
            for t in conn.execute(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
            if t != "alembic_version"
        ]
        if tables:
            conn.exec_driver_sql(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
            )
    engine.dispose()
    return database_template


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[Any]:
    """Build an app on this test's database, with extra config when a test needs it."""
    apps: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        instance = tmp_path / "instance"
        instance.mkdir(exist_ok=True)
        config = base_config(database_url, instance) | overrides
        app = create_app(config)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _fresh_request_globals(sender: Flask, **extra: Any) -> None:
    """The app fixture keeps one app context open, so test-client requests share flask.g.
    Forget what Flask-Babel (the locale) and Flask-Login (the user) cache there, as a real
    request, with an app context of its own, would."""
    g.pop("_flask_babel", None)
    g.pop("_login_user", None)


@pytest.fixture
def smtp() -> Iterator[Any]:
    """A real SMTP server (aiosmtpd) on loopback, for this test alone."""
    with smtp_server() as server:
        yield server


@pytest.fixture
def app(make_app: Any, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The app on this test's database. A module marked `real_smtp` (with any extra config as
    the marker's keywords) gets an app whose worker sends to the test's `smtp` server."""
    overrides: dict[str, Any] = {}
    marker = request.node.get_closest_marker("real_smtp")
    if marker is not None:
        server = request.getfixturevalue("smtp")
        overrides = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": server.port, **marker.kwargs}
    app = make_app(**overrides)
    request_started.connect(_fresh_request_globals, app)
    with app.app_context():
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def organiser(app: Flask) -> Organiser:
    return create_organiser("anna@upphandlingsmyndigheten.se", "Anna Organiser", "secret-pass")


@pytest.fixture
def admin(app: Flask) -> Organiser:
    return create_organiser("admin@upphandlingsmyndigheten.se", "Ada Admin", "admin-pass", True)


@pytest.fixture
def login(client: FlaskClient):
    """Sign a client in through the real form."""

    def do(email: str = "anna@upphandlingsmyndigheten.se", password: str = "secret-pass"):
        response = client.post("/login", data={"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    return do


@pytest.fixture
def token(organiser: Organiser) -> str:
    return create_api_token(organiser)


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def event_data(**overrides: Any) -> dict[str, Any]:
    """A valid event as the API and the services take it: a workshop a week from now."""
    start = (utcnow() + timedelta(days=7)).replace(hour=8, minute=0, second=0, microsecond=0)
    data: dict[str, Any] = {
        "title": "Sysselsättningskrav i praktiken",
        "description": "Hur man **ställer** krav.",
        "kind": "workshop",
        "format": "in_person",
        "language": "sv",
        "timezone": "Europe/Stockholm",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=6)).isoformat(),
        "venue": {
            "name": "Stadshuset",
            "address": "Hantverkargatan 1",
            "city": "Stockholm",
            "country": "Sverige",
        },
        "capacity": 60,
        "target_groups": [
            {"code": "contracting_authority", "quota": None},
            {"code": "supplier", "quota": 30},
        ],
        "status": "published",
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_event(organiser: Organiser):
    """Create an event through the service (published unless told otherwise)."""
    from events.services import create_event

    def do(**overrides: Any):
        return create_event(overrides.pop("by", organiser), event_data(**overrides))

    return do
