"""The OpenAPI 3.1 document of JSON API v1, served at /api/v1/openapi.json.

Generated, never written by hand: the paths come from the app's URL map, each operation from
the ``@operation`` declaration on its view (core/operations.py), the schemas from the pydantic
models those declarations name (core/schemas.py and each feature's ``schemas.py``). A route
under /api/v1 without a declaration is left out, and a test then fails.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, current_app, jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from core.operations import ERROR_RESPONSES, PATH_PARAMETERS, Operation, Reply, operation
from core.schemas import Error
from core.urls import external_url

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

REF = "#/components/schemas/{model}"
_METHODS = ("get", "post", "put", "patch", "delete")


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _models(reply: Reply) -> tuple[type[BaseModel], ...]:
    if reply.schema is not None:
        return ()
    if reply.model is None:
        return (Error,)
    return reply.model if isinstance(reply.model, tuple) else (reply.model,)


def _response(status: int, reply: Reply) -> dict[str, Any]:
    if not reply.content:
        return {"description": reply.description}
    # An error answer with the shared description is a reference to the shared response.
    if reply.model is None and reply.schema is None and status in ERROR_RESPONSES:
        name, description, _code = ERROR_RESPONSES[status]
        if reply.description == description:
            return {"$ref": f"#/components/responses/{name}"}
    models = _models(reply)
    schema = reply.schema or (
        _ref(models[0]) if len(models) == 1 else {"anyOf": [_ref(m) for m in models]}
    )
    answer: dict[str, Any] = {
        "description": reply.description,
        "content": {"application/json": {"schema": schema}},
    }
    if reply.headers:
        answer["headers"] = {
            name: {"description": text, "required": True,
                   "schema": {"type": "string", "format": "uri"}}
            for name, text in reply.headers.items()
        }  # fmt: skip
    return answer


def _query_parameters(spec: Operation, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    if spec.query is None:
        return []
    schema = schemas[spec.query.__name__]
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema["properties"].items():
        options = [o for o in prop.get("anyOf", []) if o != {"type": "null"}]
        if len(options) == 1:  # "or None" means left out: a query has no null
            prop = {**options[0], **{k: v for k, v in prop.items() if k != "anyOf"}}
        description = prop.get("description")
        prop = {k: v for k, v in prop.items() if k not in ("title", "description")}
        parameter = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _operation(spec: Operation, arguments: list[str], schemas: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "operationId": spec.operation_id,
        "tags": spec.tags,
        "summary": spec.summary,
        "security": {
            "public": [],
            "token": [{"bearerAuth": []}],
            "optional": [{}, {"bearerAuth": []}],
        }[spec.auth],
    }
    parameters = [
        {"name": name, "in": "path", "required": True, **PATH_PARAMETERS.get(name, {})}
        for name in arguments
    ]
    for parameter in parameters:
        parameter.setdefault("schema", {"type": "string"})
    parameters += _query_parameters(spec, schemas)
    if parameters:
        result["parameters"] = parameters
    if spec.body is not None:
        result["requestBody"] = {
            "required": spec.body_required,
            "content": {"application/json": {"schema": _ref(spec.body)}},
        }
    if spec.form is not None:
        result.setdefault("requestBody", {"required": spec.body_required, "content": {}})
        result["requestBody"]["content"]["multipart/form-data"] = {"schema": _ref(spec.form)}
    result["responses"] = {
        str(status): _response(status, reply) for status, reply in spec.responses.items()
    }
    return result


def _specs() -> list[tuple[str, str, list[str], Operation]]:
    """(path, method, path arguments, declaration) of every declared route under /api/v1."""
    found = []
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        spec = getattr(current_app.view_functions[rule.endpoint], "openapi", None)
        if spec is None:
            continue
        arguments = re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", rule.rule)
        for method in sorted(rule.methods or ()):
            if method.lower() in _METHODS:
                found.append((_openapi_path(rule.rule), method.lower(), arguments, spec))
    return found


def _component_schemas(specs: list[Operation]) -> dict[str, Any]:
    inputs: set[type[BaseModel]] = set()
    outputs: set[type[BaseModel]] = {Error}
    for spec in specs:
        inputs.update(m for m in (spec.body, spec.query, spec.form) if m is not None)
        for reply in spec.responses.values():
            outputs.update(_models(reply))
    named: dict[str, type[BaseModel]] = {}
    for model in inputs | outputs:
        # Components are named by class: two schemas of one name would share one entry.
        other = named.setdefault(model.__name__, model)
        if other is not model:
            raise RuntimeError(
                f"two API schemas are named {model.__name__}: {other.__module__}, "
                f"{model.__module__}; rename one"
            )
    pairs = [(m, "validation") for m in inputs] + [(m, "serialization") for m in outputs]
    pairs.sort(key=lambda pair: pair[0].__name__)
    _keys, document = models_json_schema(pairs, ref_template=REF)  # type: ignore[arg-type]
    return dict(sorted(document.get("$defs", {}).items()))


def openapi_document() -> dict[str, Any]:
    """The whole document, built afresh from the declarations (a few ms)."""
    specs = _specs()
    schemas = _component_schemas([spec for *_rest, spec in specs])
    paths: dict[str, Any] = {}
    for path, method, arguments, spec in specs:
        paths.setdefault(path, {})[method] = _operation(spec, arguments, schemas)
    for query in {spec.query for *_rest, spec in specs if spec.query is not None}:
        schemas.pop(query.__name__, None)  # a query is documented as its parameters
    base = external_url("events.index").rstrip("/")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Mötesplats API",
            "version": "1.0.0",
            "description": "Events, their agenda and registrations. Times are ISO 8601 with "
            "the offset of the event's time zone. Errors have one shape: "
            '{"error": {"code", "message", "fields"}}, messages in the language of '
            "`Accept-Language` or `?lang=` (sv, en, fi). Write endpoints need an organiser's "
            "token (`flask create-api-token EMAIL`) as `Authorization: Bearer <token>`.",
            "contact": {"name": current_app.config.get("ORGANISATION_NAME", "")},
        },
        "servers": [{"url": base or "/"}],
        "tags": [
            {"name": "events", "description": "Events and their agenda."},
            {"name": "registrations", "description": "Registrations for events."},
            {"name": "materials", "description": "The material library and distributions."},
            {"name": "outreach", "description": "Campaigns inviting earlier participants."},
            {"name": "surveys", "description": "Surveys and their results."},
            {"name": "meta", "description": "About the API itself."},
        ],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "responses": {
                name: {
                    "description": description,
                    "content": {
                        "application/json": {
                            "schema": _ref(Error),
                            "example": {"error": {"code": code, "message": "…", "fields": {}}},
                        }
                    },
                }
                for name, description, code in ERROR_RESPONSES.values()
            },
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
@operation(
    "getOpenApiDocument",
    tags=["meta"],
    summary="This document.",
    responses={200: Reply("The OpenAPI 3.1 document.", schema={"type": "object"})},
)
def document() -> Response:
    return jsonify(openapi_document())
