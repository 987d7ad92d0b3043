"""One error shape for the JSON API, and error pages for people."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException


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
}


def _is_api() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(err: ServiceError):
        if _is_api():
            response = jsonify(err.to_dict())
            response.status_code = err.status
            return response
        return render_template("core/error.html", status=err.status, message=err.message), (
            err.status
        )

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
        if _is_api():
            return api_error(status, _HTTP_CODES.get(status, "error"), message)
        return render_template("core/error.html", status=status, message=message), status

    @app.errorhandler(Exception)
    def unexpected(err: Exception):
        app.logger.exception("Unhandled error")
        message = _("Something went wrong on our side. Please try again later.")
        if _is_api():
            return api_error(500, "server_error", message)
        return render_template("core/error.html", status=500, message=message), 500
