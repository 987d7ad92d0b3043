"""What every part of JSON API v1 shares: the error shape and the base classes of the schemas.

The API's input and output are pydantic 2 models, declared once in each feature's
``schemas.py``: the same classes check a request's JSON types, build the answers, and give the
JSON Schema that core/openapi.py puts in the OpenAPI document.

- ``Output`` – an answer. Views build one from the model rows and the API serialises it.
- ``Input`` – a request body or query. It checks the JSON types of the values present (text is
  text, a list is a list); the rules (what is required, lengths, choices, dates, capacity)
  stay in the services, which name each field and say what is wrong in the caller's language.
  ``doc(...)`` adds to the document what a service checks (``maxLength``, ``enum``, …).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError


def doc(**schema: Any) -> Any:
    """A Field whose JSON Schema says what the service checks; pydantic does not check it."""
    description = schema.pop("description", None)
    default = schema.pop("default", ...)
    return Field(default, description=description, json_schema_extra=schema or None)


def _drop_null_defaults(schema: dict[str, Any]) -> None:
    """``None`` marks an input field that may be left out, not one that may be null."""
    for prop in schema.get("properties", {}).values():
        if prop.get("default", ...) is None:
            del prop["default"]


class Input(BaseModel):
    """A request body or query: JSON types checked, unknown keys ignored (as the services do)."""

    model_config = ConfigDict(strict=True, extra="ignore", json_schema_extra=_drop_null_defaults)

    # True when the service says which required fields are missing, with the other rules, in
    # one answer: a body whose only fault is a missing field goes on to it. A test keeps the
    # service's required fields and the schema's equal.
    service_reports_missing: ClassVar[bool] = False


class Output(BaseModel):
    """An answer. Every field is always present (null when it has no value)."""

    model_config = ConfigDict(extra="forbid")


class Query(BaseModel):
    """A query string: values arrive as text, so numbers and true/false are read from it."""

    model_config = ConfigDict(extra="ignore", json_schema_extra=_drop_null_defaults)


def one_of(choices: tuple[str, ...] | list[str], description: str | None = None) -> Any:
    """Text that must be one of choices (for queries; in bodies the services check choices)."""

    def check(value: str) -> str:
        if value not in choices:
            raise PydanticCustomError("choice", "choose one of", {"choices": ", ".join(choices)})
        return value

    schema: dict[str, Any] = {"type": "string", "enum": list(choices)}
    if description:
        schema["description"] = description
    return Annotated[str, AfterValidator(check), WithJsonSchema(schema)]


# ISO 8601 with the offset of the event's zone: 2026-05-20T09:00:00+03:00.
Moment = Annotated[
    datetime,
    Field(
        description="ISO 8601 with the offset, in the event's time zone.",
        examples=["2026-05-20T09:00:00+03:00"],
    ),
]
Url = Annotated[str, WithJsonSchema({"type": "string", "format": "uri"})]


class Page(Output):
    """One page of a list: the list's own field (events, materials) beside these."""

    page: int
    per_page: int
    total: int
    pages: int
    next: Url | None = Field(description="The next page, or null on the last one.")


Email = Annotated[str, WithJsonSchema({"type": "string", "format": "email"})]
# What the caller may send for a time: ISO 8601 with an offset, or naive in the event's zone.
MomentInput = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "description": "ISO 8601 with an offset (2026-05-20T09:00:00+03:00), or naive local "
            "time in the event's `timezone` (2026-05-20T09:00).",
            "examples": ["2026-05-20T09:00:00+03:00", "2026-05-20T09:00"],
        }
    ),
]


class ErrorDetail(Output):
    code: str = Field(
        description="Stable, for programs: malformed_json, unauthorized, forbidden, not_found, "
        "conflict, invalid, …"
    )
    message: str = Field(description="For people, translated.")
    fields: dict[str, str] = Field(
        description='What is wrong with each field, keyed by its name ("timezone", '
        '"venue.city", "sessions[0].starts_at").'
    )


class Error(Output):
    """Every error answer of the API."""

    error: ErrorDetail
