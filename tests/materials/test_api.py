"""JSON API v1 for materials: list (as the caller may have them), create as JSON or multipart,
change, remove; the answers match the OpenAPI document."""

from __future__ import annotations

import io
import json

import pytest
from openapi_schema_validator import OAS31Validator, validate

from core.auth import create_api_token, create_organiser
from participants import services as registrations
from tests.materials.helpers import EXE, PDF, material_data
from tests.participants.helpers import as_stored, person


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def _valid(document, body, name):
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    validate(body, schema, cls=OAS31Validator)


def _titles(response) -> set[str]:
    assert response.status_code == 200, response.get_json()
    return {m["title"] for m in response.get_json()["materials"]}


def test_create_a_link_as_json_and_read_it_back(client, auth, document, make_event):
    event = make_event()
    data = material_data(url="https://example.org/modell", events=[event.slug])
    created = client.post("/api/v1/materials", json=data, headers=auth)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    _valid(document, body, "Material")
    assert body["title"] == data["title"] and body["url"] == "https://example.org/modell"
    assert body["events"] == [event.slug] and body["file"] is None
    assert created.headers["Location"].endswith(f"/api/v1/materials/{body['id']}")
    listing = client.get("/api/v1/materials").get_json()
    _valid(document, listing, "MaterialList")
    assert [m["id"] for m in listing["materials"]] == [body["id"]]
    download = client.get(body["download_url"])
    assert download.status_code == 302 and download.headers["Location"] == data["url"]


def test_upload_a_file_as_multipart(client, auth, document, make_event):
    event = make_event()
    form = {
        "file": (io.BytesIO(PDF), "../../Avtal för upphandling.pdf"),
        "title": "Avtal",
        "category": "model",
        "target_groups": ["supplier", "contracting_authority"],
        "tags": ["avtal", "klausul"],
        "audience": json.dumps({"kind": "registrants", "events": [event.slug]}),
        "translations": json.dumps({"fi": {"title": "Sopimus"}}),
    }
    created = client.post(
        "/api/v1/materials", data=form, headers=auth, content_type="multipart/form-data"
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    _valid(document, body, "Material")
    assert body["file"]["name"] == "Avtal för upphandling.pdf"
    assert body["file"]["content_type"] == "application/pdf"
    assert body["audience"] == {
        "kind": "registrants", "events": [event.slug], "target_groups": []
    }  # fmt: skip
    assert set(body["target_groups"]) == {"supplier", "contracting_authority"}
    assert body["translations"]["fi"]["title"] == "Sopimus"
    # Restricted: the anonymous list does not hold it, the registrant's token does.
    assert _titles(client.get("/api/v1/materials")) == set()
    registration = as_stored(registrations.register(event, person(1)))
    mine = client.get(f"/api/v1/materials?t={registration.token}").get_json()
    assert [m["title"] for m in mine["materials"]] == ["Avtal"]
    link = mine["materials"][0]["download_url"]
    assert f"t={registration.token}" in link
    assert client.get(link).data == PDF
    assert client.get(f"/materials/{body['id']}/download").status_code == 404


def test_refused_kinds_and_bad_parts_are_422(client, auth):
    exe = client.post(
        "/api/v1/materials",
        data={"file": (io.BytesIO(EXE), "avtal.pdf"), "title": "X", "category": "model"},
        headers=auth,
        content_type="multipart/form-data",
    )
    assert exe.status_code == 422
    assert "file" in exe.get_json()["error"]["fields"]
    bad_json = client.post(
        "/api/v1/materials",
        data={"file": (io.BytesIO(PDF), "a.pdf"), "title": "X", "category": "model",
              "audience": "{not json"},
        headers=auth,
        content_type="multipart/form-data",
    )  # fmt: skip
    assert bad_json.status_code == 422
    assert "audience" in bad_json.get_json()["error"]["fields"]
    script = client.post(
        "/api/v1/materials", json=material_data(url="javascript:alert(1)"), headers=auth
    )
    assert script.status_code == 422 and "url" in script.get_json()["error"]["fields"]
    neither = client.post("/api/v1/materials", json=material_data(), headers=auth)
    assert neither.status_code == 422
    assert (
        client.post("/api/v1/materials", json=material_data(url="https://a.b")).status_code == 401
    )


def test_organiser_token_lists_own_drafts_and_only_organisers_change(
    client, auth, app, make_material
):
    draft = make_material(title="Utkast", audience={"kind": "organisers"})
    public = make_material(title="Öppen")
    assert _titles(client.get("/api/v1/materials")) == {"Öppen"}
    assert _titles(client.get("/api/v1/materials", headers=auth)) == {"Öppen", "Utkast"}
    other = create_organiser("bo@example.org", "Bo", "secret-pass")
    other_auth = {"Authorization": f"Bearer {create_api_token(other)}"}
    assert _titles(client.get("/api/v1/materials", headers=other_auth)) == {"Öppen"}
    assert client.get(f"/api/v1/materials/{draft.id}", headers=other_auth).status_code == 404
    refused = client.patch(
        f"/api/v1/materials/{public.id}", json={"title": "Kapad"}, headers=other_auth
    )
    assert refused.status_code == 403
    assert client.delete(f"/api/v1/materials/{public.id}", headers=other_auth).status_code == 403
    changed = client.patch(
        f"/api/v1/materials/{draft.id}",
        json={"title": "Klar", "audience": {"kind": "public"}},
        headers=auth,
    )
    assert changed.status_code == 200 and changed.get_json()["title"] == "Klar"
    assert _titles(client.get("/api/v1/materials")) == {"Öppen", "Klar"}
    new_version = client.patch(
        f"/api/v1/materials/{draft.id}",
        data={"file": (io.BytesIO(PDF + b"v2"), "v2.pdf")},
        headers=auth,
        content_type="multipart/form-data",
    )
    assert new_version.status_code == 200
    assert new_version.get_json()["file"]["version"] == 2
    removed = client.delete(f"/api/v1/materials/{draft.id}", headers=auth)
    assert removed.get_json() == {"id": draft.id, "deleted": True}
    assert client.get(f"/api/v1/materials/{draft.id}", headers=auth).status_code == 404


def test_the_document_names_the_multipart_body(document):
    post = document["paths"]["/api/v1/materials"]["post"]["requestBody"]["content"]
    assert set(post) == {"application/json", "multipart/form-data"}
    upload = document["components"]["schemas"]["MaterialUpload"]["properties"]
    assert upload["file"]["contentMediaType"] == "application/octet-stream"
