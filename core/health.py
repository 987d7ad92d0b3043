"""GET /healthz for a load balancer: 200 when the database answers, with the outbox's backlog
(messages due now and how long the oldest has waited, in seconds); 503 when it does not.

    200 {"status": "ok", "database": "ok", "outbox": {"due": 3, "oldest_due_seconds": 12.5}}
    503 {"status": "unavailable", "database": "unavailable", "outbox": null}

What a load balancer sends: `GET /healthz` (or HEAD) every few seconds from each of its nodes,
with no cookie, no CSRF token, and a Host header that names the backend by its address
("10.0.0.5:8000"), or none at all (HTTP/1.0 checks; the server then fills in its own
address). So the answer must not depend on any of them: the check is exempt from the rate
limits and CSRF, is never cached (Cache-Control: no-store; the page cache only keeps the
public pages it is told about), and `HealthHost` lets it through the Host check
(TRUSTED_HOSTS refuses every other host with 400): for this one path it puts the public host
in place of the one sent. The answer holds no link, so the host it names does not matter.

One statement (two on SQLite, where the app emits BEGIN); counts only, no personal data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, jsonify

from core.db import db, utcnow
from core.extensions import csrf, limiter
from core.outbox import due_backlog

PATH = "/healthz"

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get(PATH)
def healthz() -> tuple[Response, int]:
    now = utcnow()
    try:
        due, oldest = due_backlog(now)
    except sa.exc.SQLAlchemyError as err:
        db.session.rollback()
        log.warning("health check: the database does not answer (%s)", type(err).__name__)
        body = {"status": "unavailable", "database": "unavailable", "outbox": None}
        return jsonify(body), 503
    waited = None if oldest is None else round(max((now - oldest).total_seconds(), 0.0), 1)
    body = {
        "status": "ok",
        "database": "ok",
        "outbox": {"due": due, "oldest_due_seconds": waited},
    }
    return jsonify(body), 200


def public_host(app: Flask) -> str | None:
    """A host the Host check accepts: PUBLIC_BASE_URL's, else the first of TRUSTED_HOSTS."""
    base = app.config.get("PUBLIC_BASE_URL")
    if base:
        return urlsplit(base).netloc
    trusted = app.config.get("TRUSTED_HOSTS") or []
    return trusted[0].lstrip(".") if trusted else None


class HealthHost:
    """WSGI middleware: a GET or HEAD of /healthz is given a trusted Host header, so that a
    load balancer's check by address is not refused with 400 by the Host check."""

    def __init__(self, flask_app: Flask, app: Callable[..., Iterable[bytes]]) -> None:
        self.host = public_host(flask_app)
        self.app = app  # the WSGI app inside, named as werkzeug's middleware name it

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if (
            self.host
            and environ.get("PATH_INFO") == PATH
            and environ.get("REQUEST_METHOD") in ("GET", "HEAD")
        ):
            environ["HTTP_HOST"] = self.host
        return self.app(environ, start_response)


def init_app(app: Flask) -> None:
    csrf.exempt(bp)
    limiter.exempt(bp)
    app.register_blueprint(bp)
    app.wsgi_app = HealthHost(app, app.wsgi_app)  # type: ignore[method-assign]
