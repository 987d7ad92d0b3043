"""Logs: one JSON object per line on stderr in production (LOG_FORMAT "json"), plain text on
a developer's machine and in tests ("text"), each record of a request carrying its request id.

- `RequestLog`, a WSGI middleware outside everything else (the page cache's VisitorPages
  answers some pages before Flask sees them), gives every request an id, returns it in the
  X-Request-ID response header, and writes one line per request: method, path, status,
  duration_ms. The id is the proxy's X-Request-ID when it is a safe value
  ([A-Za-z0-9._-]{1,128}), so one id follows a request through nginx and the app; anything
  else (a value a client made up to forge log lines) is replaced by a new uuid4 hex.
- The path is the matched URL rule ("/r/<token>"), never the raw path or the query string:
  a person's links carry their token in the path. A path that matches no rule is logged as
  "(unmatched)", since it may be a mistyped token.
- `RequestContext`, a filter on the handler, puts request_id, method and path on every record
  logged while a request is handled (a view's warning, Flask's "Exception on …" line), and
  replaces the raw path in a message with the rule.
- Email addresses are masked in every message and traceback ("[email]"): an SMTP refusal or a
  database error may quote one. Nothing else personal is logged: no client address, no
  user agent, no query, no form data.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, g
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

log = logging.getLogger("motesplats.request")

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
_EMAIL = re.compile(r"[^\s<>()\[\]{}\"',;:=/]+@[^\s<>()\[\]{}\"',;:/]+\.[^\s<>()\[\]{}\"',;:/]+")
UNMATCHED = "(unmatched)"

# What the record of the request now being handled carries: set by RequestLog for the length
# of one request (each thread or greenlet has its own context).
_current: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "motesplats_request", default=None
)

# The fields of a JSON line, in order; a record's `extra` fields follow them.
FIELDS = ["asctime", "levelname", "name", "message"]
RENAMED = {"asctime": "time", "levelname": "level", "name": "logger"}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def request_id_from(value: str | None) -> str:
    """The proxy's id when it is safe to write into a log line and a header, else a new one."""
    if value and _SAFE_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def mask_emails(text: str) -> str:
    return _EMAIL.sub("[email]", text)


def mask(text: str) -> str:
    """The text with email addresses masked, and the raw path of the request now being
    handled (it may hold a token) replaced by its rule."""
    text = mask_emails(text)
    current = _current.get()
    raw = current.get("raw_path") if current else None
    if current and raw and raw != current["path"] and raw in text:
        text = text.replace(raw, current["path"])
    return text


class RequestContext(logging.Filter):
    """Adds the request's id, method and rule to each record, and masks what must not be
    written: the raw path of the request (it may hold a token) and email addresses."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = _current.get()
        for key in ("request_id", "method", "path"):
            if not hasattr(record, key):
                setattr(record, key, current[key] if current else None)
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class _Masking:
    """Formats a traceback masked as messages are (an exception's text may quote an address,
    or the path)."""

    def formatException(self, ei: Any) -> str:  # noqa: N802 (logging's name)
        return mask(super().formatException(ei))  # type: ignore[misc]


class JsonLines(_Masking, JsonFormatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message, then the
    record's extra fields (request_id, method, path, status, duration_ms, message_id, …)."""

    def __init__(self) -> None:
        super().__init__(FIELDS, rename_fields=RENAMED, json_ensure_ascii=False)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        moment = time.gmtime(record.created)
        return time.strftime("%Y-%m-%dT%H:%M:%S", moment) + f".{int(record.msecs):03d}Z"


class TextLines(_Masking, logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT, defaults={"request_id": "-"})

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None:
            record.request_id = "-"  # outside a request
        return super().format(record)


def log_format(app: Flask) -> str:
    """LOG_FORMAT, or "json" unless debugging or testing."""
    chosen = app.config.get("LOG_FORMAT")
    if chosen:
        return str(chosen).lower()
    return "text" if app.debug or app.testing else "json"


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is now (a test runner swaps it between tests)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


# The handler this module put on the root logger, replaced when another app is created (tests
# create many), so there is always one.
_handler: logging.Handler | None = None


def configure_logging(kind: str, level: int | str | None = None) -> logging.Handler:
    """A stderr handler on the root logger with the chosen format and the request filter, and
    the root's level: `level` when given, else INFO unless something chose another."""
    global _handler
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    handler = _Stderr()
    handler.setFormatter(JsonLines() if kind == "json" else TextLines())
    handler.addFilter(RequestContext())
    root.addHandler(handler)
    if level is not None:
        root.setLevel(str(level).upper() if isinstance(level, str) else level)
    elif root.level in (logging.WARNING, logging.NOTSET):  # Python's default
        root.setLevel(logging.INFO)
    _handler = handler
    return handler


def gunicorn_logconfig(level: str = "info") -> dict[str, Any]:
    """gunicorn's logconfig_dict: its error log as the same JSON lines on stderr, no access
    log (the app writes the request line, with the rule rather than the raw path)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "INFO", "handlers": []},
        "loggers": {
            "gunicorn.error": {
                "level": level.upper(),
                "handlers": ["error_console"],
                "propagate": False,
                "qualname": "gunicorn.error",
            },
            "gunicorn.access": {
                "level": "CRITICAL",
                "handlers": [],
                "propagate": False,
                "qualname": "gunicorn.access",
            },
        },
        "handlers": {
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
                "filters": ["request"],
            },
        },
        "filters": {"request": {"()": RequestContext}},
        "formatters": {"json": {"()": JsonLines}},
    }


class RequestLog:
    """WSGI middleware: the request id (X-Request-ID in and out) and one line per request."""

    def __init__(self, flask_app: Flask, app: Callable[..., Iterable[bytes]]) -> None:
        self.flask_app = flask_app
        self.app = app  # the WSGI app inside, named as werkzeug's middleware name it
        self._adapter: Any = None

    def rule_of(self, environ: dict[str, Any]) -> str:
        """The URL rule the path matches ("/r/<token>"), or UNMATCHED."""
        try:
            path = environ.get("PATH_INFO", "")
            if self._adapter is None:  # bound once: binding per request cost more than matching
                self._adapter = self.flask_app.url_map.bind("localhost")
            rule, _ = self._adapter.match(
                path_info=path, method=environ.get("REQUEST_METHOD"), return_rule=True
            )
        except RequestRedirect as redirect:  # the same rule with or without its slash
            return _rule_text(self.flask_app, redirect.new_url)
        except Exception:  # no rule (404, 405), or a path the router cannot take
            return UNMATCHED
        return rule.rule

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        environ["motesplats.request_id"] = request_id
        method = environ.get("REQUEST_METHOD", "")
        path = self.rule_of(environ)
        token = _current.set(
            {
                "request_id": request_id,
                "method": method,
                "path": path,
                "raw_path": environ.get("PATH_INFO", ""),
            }
        )
        status: list[int] = [500]

        def respond(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = int(line.split(" ", 1)[0])
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(line, headers, exc_info)

        try:
            return self.app(environ, respond)
        finally:
            # Until the response is ready (a streamed file may still be on its way).
            log.info(
                "%s %s %s",
                method,
                path,
                status[0],
                extra={
                    "status": status[0],
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            _current.reset(token)


def _rule_text(app: Flask, url: str) -> str:
    from urllib.parse import urlsplit

    try:
        adapter = app.url_map.bind("localhost", path_info=urlsplit(url).path)
        rule, _ = adapter.match(return_rule=True)
    except HTTPException:
        return UNMATCHED
    return rule.rule


def init_app(app: Flask) -> None:
    """Configure the log format and wrap the app in RequestLog: call it after every other
    middleware is in place, so that it sees each request first."""
    kind = log_format(app)
    configure_logging(kind, app.config.get("LOG_LEVEL"))
    # Flask's own stderr handler would write app.logger's records a second time, unfiltered.
    app.logger.removeHandler(default_handler)

    @app.before_request
    def remember_request_id() -> None:
        g.request_id = app_request_id()

    app.wsgi_app = RequestLog(app, app.wsgi_app)  # type: ignore[method-assign]


def app_request_id() -> str | None:
    """The id of the request now being handled (also flask.g.request_id), or None."""
    current = _current.get()
    return current["request_id"] if current else None
