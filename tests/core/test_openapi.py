"""The OpenAPI document is valid and says exactly what the app serves under /api/v1."""

from __future__ import annotations

import re
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
    schemas = document["components"]["schemas"]
    assert schemas["Error"]["required"] == ["error"]
    assert set(schemas["ErrorDetail"]["required"]) == {"code", "message", "fields"}
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
    validate(created.get_json(), _schema(document, "ManagedEvent"), cls=OAS31Validator)
    listing = client.get("/api/v1/events").get_json()
    assert listing["events"]
    validate(listing, _schema(document, "EventList"), cls=OAS31Validator)
    online = client.post(
        "/api/v1/events", json=event_data(format="online", venue=None), headers=auth
    ).get_json()
    validate(online, _schema(document, "ManagedEvent"), cls=OAS31Validator)
    public = client.get(f"/api/v1/events/{online['slug']}").get_json()
    validate(public, _schema(document, "EventDetail"), cls=OAS31Validator)
    error = client.post("/api/v1/events", json={"title": ""}, headers=auth).get_json()
    validate(error, _schema(document, "Error"), cls=OAS31Validator)


def test_a_declared_view_is_documented_from_its_declaration(app):
    """How a later feature adds its endpoints: @operation on the view, nothing else."""
    from flask import Blueprint
    from pydantic import StrictStr

    from core.openapi import openapi_document
    from core.operations import Reply, operation
    from core.schemas import Input, Output

    class ThingInput(Input):
        name: StrictStr

    class Thing(Output):
        id: int
        name: str

    bp = Blueprint("things_api", __name__, url_prefix="/api/v1")

    @bp.post("/things/<int:id>")
    @operation(
        "makeThing",
        tags=["meta"],
        summary="A thing.",
        auth="token",
        body=ThingInput,
        responses={201: Reply("Made.", Thing)},
    )
    def make_thing(id: int, body: dict) -> dict:
        return body

    app.register_blueprint(bp)
    with app.test_request_context():
        document = openapi_document()

    operation_ = document["paths"]["/api/v1/things/{id}"]["post"]
    assert [p["name"] for p in operation_["parameters"]] == ["id"]
    assert operation_["security"] == [{"bearerAuth": []}]
    assert set(operation_["responses"]) == {"201", "400", "401", "413", "414", "422", "503"}
    # 414 is the HTTP server's own answer (gunicorn's, nginx's), not a JSON error of the app
    assert "content" not in operation_["responses"]["414"]
    assert document["components"]["schemas"]["Thing"]["required"] == ["id", "name"]
    assert document["components"]["schemas"]["ThingInput"]["required"] == ["name"]
    validate_spec(document)


@pytest.mark.parametrize(
    ("path", "schema"),
    [
        ("/api/v1/events", "EventCreate"),
        ("/api/v1/events/{slug}/registrations", "RegistrationInput"),
    ],
)
def test_the_schemas_required_fields_are_the_services(
    client, auth, make_event, document, path, schema
):
    """The services say what is required; the document must say the same."""
    event = make_event()
    response = client.post(path.format(slug=event.slug), json={}, headers=auth)
    assert response.status_code == 422
    required = set(document["components"]["schemas"][schema]["required"])
    assert set(response.get_json()["error"]["fields"]) == required


def test_the_documented_limits_are_the_services():
    from events import parsing, schemas

    assert schemas.MAX_NUMBER == parsing.MAX_NUMBER
