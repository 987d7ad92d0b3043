"""The OpenAPI document is valid and says exactly what the app serves under /api/v1."""

from __future__ import annotations

import re
import sys
import types
from typing import Any

import pytest
from openapi_schema_validator import OAS31Validator, validate
from openapi_spec_validator import validate as validate_spec

from tests.conftest import event_data

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def openapi_path(rule: str) -> str:
    """Werkzeug's /api/v1/events/<slug> or <int:id> as OpenAPI's /api/v1/events/{slug}."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def served(app) -> set[tuple[str, str]]:
    pairs = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1":
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                pairs.add((openapi_path(rule.rule), method.lower()))
    return pairs


def documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


@pytest.fixture
def document(client) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    return response.get_json()


def test_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate_spec(document)


def test_every_endpoint_is_documented_and_nothing_else(app, document):
    """Runs against the whole app, so every feature's endpoints must be in the document."""
    assert served(app) - documented(document) == set(), "served but not documented"
    assert documented(document) - served(app) == set(), "documented but not served"
    assert ("/api/v1/events/{slug}", "patch") in served(app)  # the comparison is not empty


def test_path_parameters_are_declared(document):
    for path, item in document["paths"].items():
        names = set(re.findall(r"{([^}]+)}", path))
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            params = item.get("parameters", []) + operation.get("parameters", [])
            declared = {p["name"] for p in params if p.get("in") == "path"}
            assert declared == names, f"{method.upper()} {path}"


def test_write_operations_need_the_bearer_token_and_document_errors(document):
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An organiser's API token.",
    }
    error = document["components"]["schemas"]["Error"]
    assert set(error["properties"]["error"]["required"]) == {"code", "message", "fields"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            assert operation.get("responses"), f"{method} {path}"
            if {"bearerAuth": []} in operation.get("security", []):
                assert "401" in operation["responses"], f"{method} {path}"
            if method in ("post", "patch", "put") and "requestBody" in operation:
                assert "400" in operation["responses"], f"{method} {path}: malformed JSON"


def _schema(document: dict[str, Any], name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}", "components": document["components"]}


def test_real_answers_match_their_schemas(client, auth, document):
    created = client.post(
        "/api/v1/events",
        json=event_data(
            sessions=[
                {
                    "title": "Pass",
                    "starts_at": event_data()["starts_at"],
                    "ends_at": event_data()["ends_at"],
                    "speakers": [{"name": "Anna", "organisation": "UHM"}],
                }
            ]
        ),
        headers=auth,
    )
    assert created.status_code == 201
    validate(created.get_json(), _schema(document, "EventDetail"), cls=OAS31Validator)
    listing = client.get("/api/v1/events").get_json()
    assert listing["events"]
    validate(listing, _schema(document, "EventList"), cls=OAS31Validator)
    online = client.post(
        "/api/v1/events", json=event_data(format="online", venue=None), headers=auth
    ).get_json()
    validate(online, _schema(document, "EventDetail"), cls=OAS31Validator)
    error = client.post("/api/v1/events", json={"title": ""}, headers=auth).get_json()
    validate(error, _schema(document, "Error"), cls=OAS31Validator)


def test_feature_modules_contribute_their_paths(app, monkeypatch):
    """How participants/api.py (or any later feature) adds its endpoints to the document."""
    from core import openapi

    module = types.ModuleType("tests_fake_feature_api")
    module.OPENAPI_PATHS = {
        "/api/v1/things/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {}}],
            "get": {"responses": {"200": {"description": "A thing."}}},
        }
    }
    module.OPENAPI_SCHEMAS = {"Thing": {"type": "object"}}
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(openapi, "API_MODULES", (*openapi.API_MODULES, module.__name__))

    with app.test_request_context():
        document = openapi.openapi_document()

    assert "get" in document["paths"]["/api/v1/things/{id}"]
    assert "/api/v1/events" in document["paths"]
    assert document["components"]["schemas"]["Thing"] == {"type": "object"}
    assert "Error" in document["components"]["schemas"]
