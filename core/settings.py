"""Configuration: defaults here, every key overridable by an environment variable of its name."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

DEFAULTS: dict[str, Any] = {
    "SQLALCHEMY_DATABASE_URI": None,  # from DATABASE_URL, else a SQLite file in instance/
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "PUBLIC_BASE_URL": None,  # required in production: every absolute link is built from it
    "TRUSTED_HOSTS": None,  # None: the host of PUBLIC_BASE_URL only (others get 400)
    "MAX_CONTENT_LENGTH": 50 * 1024 * 1024,  # an upload (core/guard.py; Flask's own limit)
    "MAX_BODY_LENGTH": 1024 * 1024,  # any other request body (413 above it)
    "UPLOAD_DIR": None,  # where uploaded files are kept; default instance/uploads
    "PG_BIN_DIR": None,  # flask backup/restore: pg_dump's folder when not on PATH (core/backup.py)
    "MAX_FORM_MEMORY_SIZE": 500_000,  # one text field of a multipart form
    "MAX_FORM_PARTS": 500,  # fields in a multipart form (the largest form has under 100)
    "BABEL_DEFAULT_LOCALE": "sv",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Stockholm",
    "LANGUAGES": ["sv", "en", "fi"],
    "DEFAULT_TIMEZONE": "Europe/Stockholm",
    "EVENTS_PER_PAGE": 10,
    # SQLite: a write that leaves more WAL pages than this unchecked checkpoints (core/db.py)
    "SQLITE_WAL_CHECKPOINT_PAGES": 4000,
    "PUBLIC_PAGE_CACHE_SECONDS": 300,  # the longest an unchanged page is kept; 0: off
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_TIMEOUT": 30,  # seconds the worker waits on the SMTP server
    "MAIL_DEFAULT_SENDER": "Mötesplats <noreply@motesplats.example>",
    "MAIL_SUPPRESS_SEND": False,  # Flask-Mail would otherwise drop mail when TESTING
    "MAIL_OUTBOX_DIR": None,  # .eml files when no MAIL_SERVER; default instance/mail
    "OUTBOX_LEASE_SECONDS": 300,  # how long a worker holds a claimed batch
    "OUTBOX_MAX_ATTEMPTS": 8,
    "OUTBOX_BACKOFF_BASE": 30,
    "OUTBOX_BACKOFF_CAP": 3600,
    "OUTBOX_BATCH_SIZE": 50,
    "DISTRIBUTION_BATCH_SIZE": 100,  # people queued per transaction (materials/distribution.py)
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_PUBLIC": "60 per minute",
    "LOG_FORMAT": None,  # "json" (one object per line) or "text"; None: json unless debug/testing
    "LOG_LEVEL": None,  # None: INFO (a line per request); WARNING leaves the request lines out
    "TRUSTED_PROXIES": 0,  # reverse proxies in front: X-Forwarded-For/-Proto are read from them
    "LOGIN_FAILURES_PER_ACCOUNT": "10 per 15 minutes",  # failed sign-ins, then 429
    "LOGIN_FAILURES_PER_ADDRESS": "30 per 15 minutes",
    "PASSWORD_RESET_SECONDS": 3600,  # how long a password reset link works (core/password_reset.py)
    "PASSWORD_RESETS_PER_ACCOUNT": "5 per hour",  # reset links asked for, then 429
    "PASSWORD_RESETS_PER_ADDRESS": "20 per hour",
    "HSTS_SECONDS": None,  # None: two years in production, off elsewhere; 0 turns it off
    "SESSION_COOKIE_SECURE": None,  # None: True in production
    "REMEMBER_COOKIE_SECURE": None,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_HTTPONLY": True,
    "WTF_CSRF_TIME_LIMIT": None,
    "ACCESSIBILITY_FEEDBACK_EMAIL": "tillganglighet@motesplats.example",
    "ORGANISATION_NAME": "Upphandlingsmyndigheten",
    "PRIVACY_CONTACT_EMAIL": "dataskydd@motesplats.example",  # on the privacy page
    # How long personal data is kept (privacy/retention.py; an admin may set an event's own):
    "RETENTION_NEEDS_DAYS": 1,  # dietary and accessibility needs, after the event ends
    "RETENTION_PERSONAL_MONTHS": 24,  # names, addresses, roles, survey links, after the event
    "RETENTION_OUTBOX_DAYS": 90,  # the text of emails sent, after sending
    "RETENTION_AUDIT_MONTHS": 36,  # the audit log of organisers' actions
}


def _parse(value: str) -> Any:
    """Environment values are strings; JSON literals (true, 5, [..]) become their type."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def load_config(app: Flask, overrides: dict[str, Any] | None) -> None:
    app.config.update(DEFAULTS)
    for key in list(app.config) + ["DATABASE_URL", "SECRET_KEY"]:
        if key in os.environ:
            app.config[key] = _parse(os.environ[key])
    if overrides:
        app.config.update(overrides)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    url = app.config.pop("DATABASE_URL", None) or app.config["SQLALCHEMY_DATABASE_URI"]
    if not url:
        url = "sqlite:///" + str(Path(app.instance_path) / "motesplats.sqlite")
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if not url.startswith("sqlite") and "+psycopg" not in url:
        # a server may drop idle connections (a file cannot); with psycopg the checkout looks
        # without a round trip (core.pg_liveness)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("pool_pre_ping", True)

    production = os.environ.get("MOTESPLATS_ENV") == "production"
    base = app.config.get("PUBLIC_BASE_URL")
    if app.config["TRUSTED_HOSTS"] is None and base:
        app.config["TRUSTED_HOSTS"] = [urlsplit(base).hostname]
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config[key] is None:
            app.config[key] = production
    if app.config["HSTS_SECONDS"] is None:
        app.config["HSTS_SECONDS"] = 2 * 365 * 24 * 3600 if production else 0

    if not app.config.get("SECRET_KEY"):
        if production:
            raise RuntimeError("SECRET_KEY must be set in production")
        key_file = Path(app.instance_path) / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        app.config["SECRET_KEY"] = key_file.read_text().strip()
    if production and not app.config.get("PUBLIC_BASE_URL"):
        # Without it, links in mail, calendars and the API would follow the Host header.
        raise RuntimeError("PUBLIC_BASE_URL must be set in production")
