"""How a JSON API v1 view is declared: one ``@operation`` says who may call it, what it takes
and what it answers, and that declaration is both what the view runs and what
core/openapi.py writes into the OpenAPI document.

    @bp.post("/events")
    @operation("createEvent", tags=["events"], summary="Create an event.", auth="token",
               body=EventCreate, responses={201: Reply("Created.", EventDetail)})
    def create_event(body: dict) -> Response:
        event = services.create_event(g.organiser, body)
        return reply(event_detail(event), 201)

Before the view runs (core/guard.py has already refused an address holding NUL, a lone
surrogate or bytes that are not UTF-8), the decorator
- checks the token (``auth="token"``: 401 without a valid one, the organiser in
  ``g.organiser``; ``"optional"``: the same when an Authorization header is sent, else None);
- reads the query into the ``query`` model and passes it as ``query=``;
- reads the JSON body (400 ``malformed_json`` when it is not UTF-8, not JSON or not an object;
  422 naming the field when a string holds NUL or a lone surrogate), checks its JSON types
  against the ``body`` model (422 naming each field, messages translated) and passes the
  body as a plain dict, ``body=``, with the model's declared defaults filled in. The services
  take that dict and apply the rules, as they do for the HTML forms.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Literal

from flask import Response, g, jsonify, request
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError
from pydantic_core import PydanticUndefined

from core.auth import organiser_from_token
from core.errors import ServiceError, ValidationError
from core.schemas import Input, Output, Query
from core.text import is_bad_text
from core.urls import external_url

Auth = Literal["public", "token", "optional"]


@dataclass
class Reply:
    """One documented answer: a description, and the model (or models, any of which) of its
    body; no model means the Error schema. headers: name -> description (a URI)."""

    description: str
    model: type[BaseModel] | tuple[type[BaseModel], ...] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    schema: dict[str, Any] | None = None  # a raw JSON Schema instead of a model
    content: bool = True  # False: an answer the app does not write (no body is documented)


@dataclass
class Operation:
    operation_id: str
    summary: str
    tags: list[str]
    auth: Auth
    body: type[Input] | None
    body_required: bool
    query: type[Query] | None
    responses: dict[int, Reply]
    form: type[Input] | None = None  # the same body as multipart/form-data (with files)


# Path parameters are the same wherever they appear: features describe each name once.
PATH_PARAMETERS: dict[str, dict[str, Any]] = {}

# The shared error answers, by status, in components.responses.
ERROR_RESPONSES: dict[int, tuple[str, str, str]] = {
    400: ("BadRequest", "The address holds characters that cannot be read (NUL, a lone "
          "surrogate, not UTF-8: bad_request), or the body is not UTF-8, not valid JSON or not a "
          "JSON object (malformed_json).", "bad_request"),
    401: ("Unauthorized", "No API token, or one that is not valid.", "unauthorized"),
    403: ("Forbidden", "The token's organiser may not do this.", "forbidden"),
    404: ("NotFound", "No such thing (drafts do not exist for the public).", "not_found"),
    409: ("Conflict", "The request conflicts with the current state.", "conflict"),
    413: ("TooLarge", "The body is larger than the server accepts.", "too_large"),
    422: ("Invalid", "Some fields need correcting; `fields` names each.", "invalid"),
    429: ("RateLimited", "Too many requests from this address; wait a minute.", "rate_limited"),
    503: ("Unavailable", "The database is not taking requests for a moment; try again after "
          "Retry-After seconds.", "unavailable"),
}  # fmt: skip


# Any operation: the HTTP server in front of the app (gunicorn, at most 8,190 bytes; nginx's
# large_client_header_buffers) refuses a longer request line itself, in its own words.
TOO_LONG_REQUEST_LINE = Reply(
    "The request line (path and query) is longer than the HTTP server takes; it answers "
    "before the app, with a body of its own.",
    content=False,
)


def describe_path_parameter(name: str, description: str, **schema: Any) -> None:
    PATH_PARAMETERS[name] = {"description": description, "schema": schema}


def operation(
    operation_id: str,
    *,
    summary: str,
    tags: list[str],
    responses: dict[int, Reply | str],
    auth: Auth = "public",
    body: type[Input] | None = None,
    body_required: bool = True,
    query: type[Query] | None = None,
    form: type[Input] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an API view (see the module's docstring). responses: the answers this view
    gives itself; a string is an Error answer with that description. The errors the
    declaration implies are added: 400 (an unreadable address) and 503 (the database is away)
    for every view, 413 and 422 for a body, 422 for a query, 401 for a token; and 414, the
    HTTP server's answer to a request line too long for it."""
    documented: dict[int, Reply] = {
        status: Reply(item) if isinstance(item, str) else item for status, item in responses.items()
    }
    implied = [400, 503]
    if body is not None:
        implied += [413, 422]
    if query is not None:
        implied.append(422)
    if auth != "public":
        implied.append(401)
    for status in implied:
        documented.setdefault(status, Reply(ERROR_RESPONSES[status][1]))
    documented.setdefault(414, TOO_LONG_REQUEST_LINE)
    spec = Operation(
        operation_id,
        summary,
        tags,
        auth,
        body,
        body_required,
        query,
        dict(sorted(documented.items())),
        form,
    )

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if auth == "token" or (auth == "optional" and request.headers.get("Authorization")):
                g.organiser = organiser_from_token()
            elif auth == "optional":
                g.organiser = None
            if query is not None:
                kwargs["query"] = parse_query(query)
            if form is not None and request.mimetype == "multipart/form-data":
                kwargs["body"] = parse_form(form)
            elif body is not None:
                kwargs["body"] = parse_body(body, required=body_required)
            return view(*args, **kwargs)

        wrapper.openapi = spec  # type: ignore[attr-defined]
        return wrapper

    return decorate


def page_fields(
    pagination: Any, endpoint: str, keep: tuple[str, ...], per_page: int
) -> dict[str, Any]:
    """A core.schemas.Page's fields for a Flask-SQLAlchemy pagination: the next page's link keeps
    the query arguments named in `keep` (the list's filters), nothing else."""
    next_url = None
    if pagination.has_next:
        args = {k: v for k, v in request.args.items() if k in keep}
        next_url = external_url(endpoint, **args, page=pagination.page + 1)
    return {
        "page": pagination.page,
        "per_page": per_page,
        "total": pagination.total or 0,
        "pages": pagination.pages,
        "next": next_url,
    }


def reply(model: Output, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """The model as the JSON answer."""
    response = jsonify(model.model_dump(mode="json"))
    response.status_code = status
    response.headers.update(headers or {})
    return response


# --- reading the request ---------------------------------------------------------------------


def _malformed(message: Any) -> ServiceError:
    return ServiceError(message, code="malformed_json", status=400)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def json_body(*, required: bool = True) -> dict[str, Any]:
    """The request's JSON object (an empty one when the body is empty and not required), or
    400 malformed_json: not UTF-8, not JSON (NaN and Infinity are not JSON), or not an object.
    A string anywhere in it (keys too) holding NUL or a lone surrogate is a 422 naming it."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise _malformed(_l("The body must be a JSON object."))
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _malformed(_l("The body is not valid UTF-8.")) from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise _malformed(_l("The body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise _malformed(_l("The body must be a JSON object."))
    bad = _first_bad_text(data)
    if bad is not None:
        raise ValidationError({field_name(bad): BAD_TEXT})
    return data


BAD_TEXT = _l("This text holds a character that cannot be stored (NUL or a lone surrogate).")


def _first_bad_text(value: Any, loc: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
    if isinstance(value, str):
        return loc if is_bad_text(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if is_bad_text(key):
                return (*loc, key)
            found = _first_bad_text(item, (*loc, key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_bad_text(item, (*loc, index))
            if found is not None:
                return found
    return None


def field_name(loc: tuple[Any, ...]) -> str:
    """A field as the request names it: venue.city, sessions[0].starts_at."""
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            # A key that cannot be shown (NUL, a lone surrogate) is named by its escapes.
            text = part if not is_bad_text(part) else part.encode("unicode_escape").decode()
            name = f"{name}.{text}" if name else text
    return name


def parse_body(model: type[Input], *, required: bool = True) -> dict[str, Any]:
    """The JSON body, its types checked against model, with the model's defaults filled in."""
    data = json_body(required=required)
    _check(model, data)
    for name, info in model.model_fields.items():
        if name not in data and info.default not in (None, PydanticUndefined):
            data[name] = info.default
        elif name not in data and info.default_factory is not None:
            data[name] = info.default_factory()
    return data


def parse_form(model: type[Input]) -> dict[str, Any]:
    """The text parts of a multipart body as the JSON body would give them: a field the model
    types as a list from its repeated parts, one in ``model.json_parts`` decoded from JSON
    text (422 naming it when it is not JSON); the types checked against model."""
    data: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name not in request.form:
            continue
        values = request.form.getlist(name)
        is_list = "list[" in str(info.annotation)
        data[name] = values if is_list else values[0]
    bad = _first_bad_text(data)
    if bad is not None:
        raise ValidationError({field_name(bad): BAD_TEXT})
    _check(model, data)
    for name in getattr(model, "json_parts", ()):
        if isinstance(data.get(name), str):
            try:
                data[name] = json.loads(data[name], parse_constant=_reject_constant)
            except (ValueError, RecursionError):
                raise ValidationError({name: _l("Must be JSON text.")}) from None
            bad = _first_bad_text(data[name], (name,))
            if bad is not None:
                raise ValidationError({field_name(bad): BAD_TEXT})
    return data


def parse_query(model: type[Query]) -> Query:
    """The query string read into model (422 naming each bad parameter; an empty value is a
    bad one too, as the document says)."""
    args = request.args.to_dict()
    try:
        return model.model_validate(args)
    except PydanticError as err:
        raise ValidationError(dict(_field_errors(err))) from None


def _check(model: type[Input], data: dict[str, Any]) -> None:
    try:
        model.model_validate(data)
    except PydanticError as err:
        # Only missing fields: the service says so, with every other rule, in one answer.
        # Wrong types too: this answer names both.
        only_missing = all(e["type"] == "missing" for e in err.errors())
        if not (only_missing and model.service_reports_missing):
            raise ValidationError(dict(_field_errors(err))) from None


def _field_errors(err: PydanticError) -> Iterator[tuple[str, Any]]:
    """pydantic's errors as (field name, translated message); the first one for each field."""
    seen: set[str] = set()
    for error in err.errors(include_url=False, include_input=False):
        name = field_name(tuple(error["loc"]))
        if name not in seen:
            seen.add(name)
            yield name, _message(error)


def _message(error: dict[str, Any]) -> Any:
    """A translated message for a pydantic error (its own English message never leaks)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return _l("This field is required.")
    if kind in ("string_type", "string_unicode"):
        return _l("Must be text.")
    if kind in ("int_type", "int_parsing", "int_from_float", "int_parsing_size"):
        return _l("Must be a whole number.")
    if kind in ("bool_type", "bool_parsing"):
        return _l("Give true or false.")
    if kind in ("list_type", "tuple_type"):
        return _l("Must be a list.")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _l("Expected an object.")
    if kind == "greater_than_equal":
        return _l("At least %(n)s.", n=ctx.get("ge"))
    if kind == "less_than_equal":
        return _l("At most %(n)s.", n=ctx.get("le"))
    if kind == "string_too_long":
        return _l("At most %(n)s characters.", n=ctx.get("max_length"))
    if kind == "choice":
        return _l("Choose one of: %(choices)s.", choices=ctx.get("choices", ""))
    return _l("This value is not valid.")
