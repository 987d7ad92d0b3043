"""One error shape for the JSON API, and error pages for people."""

from __future__ import annotations

import contextlib
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, jsonify, render_template, request
from flask.globals import request_ctx
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from core.db import db

# Headers of an HTTP error that the answer must keep (405 names the methods it takes).
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")
# How long a client should wait before trying again when the database refuses writes.
RETRY_AFTER_SECONDS = 30


class ServiceError(Exception):
    """A rule said no. Services raise it; views show the message, the API serialises it."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: Any = None,
        fields: dict[str, Any] | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
    ) -> None:
        self.message = message or _l("The request could not be processed.")
        self.fields = fields or {}
        if code:
            self.code = code
        if status:
            self.status = status
        super().__init__(str(self.message))

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": str(self.message),
                "fields": {k: str(v) for k, v in self.fields.items()},
            }
        }


class ValidationError(ServiceError):
    status = 422
    code = "invalid"

    def __init__(self, fields: dict[str, Any], message: Any = None, **kw: Any) -> None:
        super().__init__(message or _l("Some fields need correcting."), fields, **kw)


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


def api_error(status: int, code: str, message: Any, fields: dict[str, Any] | None = None):
    response = jsonify(ServiceError(message, fields, code=code).to_dict())
    response.status_code = status
    return response


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    503: "unavailable",
}


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _unavailable_error(err: Exception) -> bool:
    """The database cannot take the request now (read-only, disk full, gone, locked): a 503,
    not a bug. SQLAlchemy wraps every driver's operational errors in OperationalError;
    PostgreSQL's read-only transaction (SQLSTATE 25006) arrives as an InternalError."""
    if isinstance(err, sa.exc.OperationalError):
        return True
    if isinstance(err, sa.exc.DBAPIError):
        return getattr(err.orig, "sqlstate", None) == "25006"
    return False


def _page(status: int, message: Any):
    """The error page; plain text when the request has no URL adapter (a Host that is not in
    TRUSTED_HOSTS), since the page's links cannot be built then."""
    if request_ctx.url_adapter is None:
        return Response(f"{status} {message}", mimetype="text/plain"), status
    return render_template("core/error.html", status=status, message=message), status


def _kept_headers(err: HTTPException) -> list[tuple[str, str]]:
    return [(k, v) for k, v in err.get_headers() if k in _KEPT_HEADERS]


def init_app(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(err: ServiceError):
        if _is_api():
            response = jsonify(err.to_dict())
            response.status_code = err.status
            return response
        return _page(err.status, err.message)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        status = err.code or 500
        messages = {
            400: _("The request could not be understood."),
            401: _("You need to sign in."),
            403: _("You do not have permission to do that."),
            404: _("The page you asked for does not exist."),
            405: _("That method is not allowed here."),
            413: _("The request is too large."),
            429: _("Too many requests. Please wait a minute and try again."),
        }
        message = messages.get(status, err.description)
        limit = getattr(err, "limit", None)  # Flask-Limiter's, with a message of our own
        if status == 429 and limit is not None and limit.error_message:
            message = err.description
        headers = _kept_headers(err)
        if _is_api():
            response = api_error(status, _HTTP_CODES.get(status, "error"), message)
            response.headers.extend(headers)
            return response
        page, _status = _page(status, message)
        return page, status, headers

    @app.errorhandler(Exception)
    def unexpected(err: Exception):
        if _unavailable_error(err):
            return unavailable(err)
        app.logger.exception("Unhandled error")
        message = _("Something went wrong on our side. Please try again later.")
        if _is_api():
            return api_error(500, "server_error", message)
        return _page(500, message)

    def unavailable(err: Exception):
        app.logger.exception("Database unavailable")
        # The session is unusable until rolled back, and the page reads the signed-in user.
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            db.session.rollback()
        message = _("The service is temporarily unavailable. Please try again in a few minutes.")
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if _is_api():
            response = api_error(503, "unavailable", message)
            response.headers.update(headers)
            return response
        try:
            page, _status = _page(503, message)
        except sa.exc.SQLAlchemyError:
            # The database cannot even be read (the page's context reads the signed-in user):
            # a page rendered without the context processors.
            template = app.jinja_env.get_template("core/unavailable.html")
            page = template.render(message=message)
        return page, 503, headers
