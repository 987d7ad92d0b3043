"""The edge of the app: what every request must be before a view sees it.

- A body larger than MAX_BODY_LENGTH (1 MB) is refused (413) from its Content-Length header,
  before a byte of it is read. The endpoints that take uploads (named by their feature with
  `allow_uploads`) have MAX_CONTENT_LENGTH (50 MB) instead, and their 413 says how large a
  file may be (a page, or the API's JSON error); a body sent without Content-Length is cut
  off at the same limit while it is read (Werkzeug's max_content_length).
- The path and the query must be valid UTF-8 without NUL or lone surrogates (400): PostgreSQL
  text cannot hold a NUL, and a surrogate cannot be encoded, so either would be a 500 later.
- So must the fields of an HTML form (400); browsers never send such characters, so the
  answer is a page that says what was wrong rather than a re-rendered form. The JSON API's
  body is checked where it is parsed (events/api.py), not here.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge

from core.errors import ServiceError
from core.text import is_bad_text

BAD_ADDRESS = _l(
    "The web address contains characters that cannot be read. Check the link and try again."
)
BAD_FORM = _l(
    "The form contains characters that cannot be saved (such as a NUL character). "
    "Remove them and try again."
)


# The endpoints that take files: the larger limit applies to them alone.
UPLOAD_ENDPOINTS: set[str] = set()


def allow_uploads(*endpoints: str) -> None:
    """These endpoints take bodies up to MAX_CONTENT_LENGTH (the others MAX_BODY_LENGTH)."""
    UPLOAD_ENDPOINTS.update(endpoints)


class UploadTooLarge(ServiceError):
    status = 413
    code = "too_large"


class BadText(ServiceError):
    status = 400
    code = "bad_request"


def _strict_pairs(raw: bytes) -> list[tuple[str, str]]:
    """The pairs of a query string or urlencoded body; UnicodeDecodeError if not UTF-8."""
    return parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")


def _bad_pairs(pairs: list[tuple[str, str]]) -> bool:
    return any(is_bad_text(key) or is_bad_text(value) for key, value in pairs)


def _path_is_bad() -> bool:
    # PATH_INFO holds the percent-decoded bytes as latin-1; Werkzeug would replace invalid
    # UTF-8 with U+FFFD, so decode it strictly here.
    raw = request.environ.get("PATH_INFO", "")
    try:
        path = raw.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return True
    return is_bad_text(path)


def _query_is_bad() -> bool:
    try:
        return _bad_pairs(_strict_pairs(request.query_string))
    except UnicodeError:
        return True


def _form_is_bad() -> bool:
    if request.mimetype == "application/x-www-form-urlencoded":
        # get_data caches the body, and request.form is then parsed from that cache.
        try:
            return _bad_pairs(_strict_pairs(request.get_data(cache=True)))
        except UnicodeError:
            return True
    if request.mimetype == "multipart/form-data":
        # Werkzeug decodes multipart text with "replace": invalid UTF-8 arrives as U+FFFD.
        return _bad_pairs(list(request.form.items(multi=True)))
    return False


def check_request() -> None:
    if request.endpoint in UPLOAD_ENDPOINTS:
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        request.max_content_length = limit
        if (request.content_length or 0) > limit:
            raise UploadTooLarge(
                _l(
                    "The file is too large. Files of up to %(size)s MB are accepted.",
                    size=limit // (1024 * 1024),
                ),
                {"file": _l("At most %(size)s MB.", size=limit // (1024 * 1024))},
            )
    else:
        request.max_content_length = current_app.config["MAX_BODY_LENGTH"]
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
    if _path_is_bad() or _query_is_bad():
        raise BadText(BAD_ADDRESS)
    if (
        request.method in ("POST", "PUT", "PATCH", "DELETE")
        and not request.path.startswith("/api/")
        and _form_is_bad()
    ):
        raise BadText(BAD_FORM)


def init_app(app: Flask) -> None:
    # First of the before_request functions, so no other (CSRF, the rate limiter) reads the
    # body or the query before it is checked.
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)
