"""Security headers on every response, and what may be kept by a browser or a proxy."""

from flask import Flask, Response, current_app, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)

# What anyone may read and any cache may keep: public pages, static files, public calendars,
# the public side of the API. Everything else (management pages, exports, a person's /r/<token>
# pages, answers with personal data, error pages) is sent with Cache-Control: no-store, so
# a shared computer's history or a proxy never keeps it. New endpoints are private until
# listed here.
PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "events.index",
        "events.past",
        "events.detail",
        "calendar.feed",
        "calendar.event_ics",
        "core.accessibility",
        "privacy.page",
        "events_api.list_events",
        "events_api.get_event",
        "openapi.document",
    }
)


def is_public_response(response: Response) -> bool:
    """A public endpoint's successful answer to an anonymous caller."""
    return (
        request.endpoint in PUBLIC_ENDPOINTS
        and response.status_code < 400
        and "Authorization" not in request.headers
        and not current_user.is_authenticated
    )


def init_app(app: Flask) -> None:
    proxies = int(app.config["TRUSTED_PROXIES"] or 0)
    if proxies:
        # The client's address (for the rate limits) and scheme as the proxies saw them; the
        # Host header is not taken from X-Forwarded-Host (TRUSTED_HOSTS checks the real one).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    @app.after_request
    def set_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        hsts = current_app.config["HSTS_SECONDS"]
        if hsts:
            response.headers.setdefault("Strict-Transport-Security", f"max-age={int(hsts)}")
        if not is_public_response(response):
            response.headers["Cache-Control"] = "no-store"
        return response
