"""The OpenAPI 3.1 document of JSON API v1, served at /api/v1/openapi.json.

Each feature's api module describes its own endpoints; this module merges them:

- ``OPENAPI_PATHS: dict`` – OpenAPI path items keyed by the full path in template form
  (``"/api/v1/events/{slug}"``), methods in lower case.
- ``OPENAPI_SCHEMAS: dict`` (optional) – entries for ``components.schemas``.

Shared parts every module may reference: the schema ``#/components/schemas/Error``, the
responses ``#/components/responses/{BadRequest,Unauthorized,Forbidden,NotFound,Conflict,
Invalid}`` and the security scheme ``bearerAuth`` (``"security": [{"bearerAuth": []}]``).
A test compares the document with the app's URL map in both directions.
"""

from __future__ import annotations

import importlib
from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from core.urls import external_url

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

# The feature modules that contribute paths, in the order they appear in the document.
API_MODULES = ("events.api", "participants.api")


def ref(name: str) -> dict[str, str]:
    """A reference to a schema in components."""
    return {"$ref": f"#/components/schemas/{name}"}


def response(name: str) -> dict[str, str]:
    """A reference to a shared response (BadRequest, NotFound, …)."""
    return {"$ref": f"#/components/responses/{name}"}


def query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    """An optional query parameter."""
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}  # fmt: skip


SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}


def error_response(description: str, example_code: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/Error"},
                "example": {"error": {"code": example_code, "message": "…", "fields": {}}},
            }
        },
    }


CORE_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "fields"],
                "properties": {
                    "code": {
                        "type": "string",
                        "description": "Stable, for programs: malformed_json, unauthorized, "
                        "forbidden, not_found, conflict, invalid, …",
                    },
                    "message": {"type": "string", "description": "For people, translated."},
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                        "description": "What is wrong with each field, keyed by its name "
                        '("timezone", "venue.city", "sessions[0].starts_at").',
                    },
                },
            }
        },
    }
}

CORE_RESPONSES: dict[str, Any] = {
    "BadRequest": error_response(
        "The body is not valid JSON or not a JSON object.", "malformed_json"
    ),  # fmt: skip
    "Unauthorized": error_response("No API token, or one that is not valid.", "unauthorized"),
    "Forbidden": error_response("The token's organiser may not do this.", "forbidden"),
    "NotFound": error_response(
        "No such thing (drafts do not exist for the public).", "not_found"
    ),  # fmt: skip
    "Conflict": error_response("The request conflicts with the current state.", "conflict"),
    "Invalid": error_response("Some fields need correcting; `fields` names each.", "invalid"),
}

CORE_PATHS: dict[str, Any] = {
    "/api/v1/openapi.json": {
        "get": {
            "operationId": "getOpenApiDocument",
            "tags": ["meta"],
            "summary": "This document.",
            "security": [],
            "responses": {
                "200": {
                    "description": "The OpenAPI 3.1 document.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    }
}


def _modules() -> list[Any]:
    modules = []
    for name in API_MODULES:
        try:
            modules.append(importlib.import_module(name))
        except ImportError:  # a feature not installed in this deployment
            continue
    return modules


def openapi_document() -> dict[str, Any]:
    """The whole document, built afresh from the feature modules (cheap; a few dicts)."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = dict(CORE_SCHEMAS)
    for module in _modules():
        for path, item in getattr(module, "OPENAPI_PATHS", {}).items():
            paths.setdefault(path, {}).update(item)
        schemas.update(getattr(module, "OPENAPI_SCHEMAS", {}))
    paths.update(CORE_PATHS)
    base = external_url("events.index").rstrip("/")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Mötesplats API",
            "version": "1.0.0",
            "description": "Events, their agenda and registrations. Times are ISO 8601 with "
            "an offset. Errors have one shape: "
            '{"error": {"code", "message", "fields"}}. Write endpoints need an organiser\'s '
            "token (`flask create-api-token EMAIL`) as `Authorization: Bearer <token>`.",
            "contact": {"name": current_app.config.get("ORGANISATION_NAME", "")},
        },
        "servers": [{"url": base or "/"}],
        "tags": [
            {"name": "events", "description": "Events and their agenda."},
            {"name": "registrations", "description": "Registrations for events."},
            {"name": "meta", "description": "About the API itself."},
        ],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "responses": CORE_RESPONSES,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An organiser's API token.",
                }
            },
        },
    }


@bp.get("/openapi.json")
def document() -> Response:
    return jsonify(openapi_document())
