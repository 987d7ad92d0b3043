"""The organisers' upload form, downloads' headers, the size limit, and the library's search."""

from __future__ import annotations

import io
import os

from core.db import db
from materials.models import Material
from tests.materials.helpers import HTML, PDF, docx
from tests.statements import count_statements


def _form(**overrides):
    data = {
        "title": "Mall för avtalsvillkor",
        "description": "Om upphandlingar med sysselsättningskrav.",
        "language": "sv",
        "category": "template",
        "languages": ["sv"],
        "target_groups": ["supplier"],
        "tags": "mall, avtal",
        "audience": "public",
    }
    data.update(overrides)
    return data


def test_an_organiser_uploads_and_people_download_with_safe_headers(client, organiser, login, app):
    login()
    form = _form(file=(io.BytesIO(docx()), "../../Avtalsmall för sysselsättningskrav.pdf"))
    response = client.post("/manage/materials/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    material = db.session.query(Material).one()
    assert material.current_file.display_name == "Avtalsmall för sysselsättningskrav.pdf"
    client.post("/logout")
    download = client.get(f"/materials/{material.id}/download")
    assert download.status_code == 200
    assert download.mimetype.startswith("application/vnd.openxmlformats-officedocument.word")
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Avtalsmall%20f%C3%B6r%20syssels%C3%A4ttningskrav.pdf" in disposition
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert os.listdir(app.config["UPLOAD_DIR"]) == [material.current_file.content_hash]


def test_a_new_version_is_kept_and_the_same_content_stored_once(client, organiser, login, app):
    login()
    for _n in range(2):
        client.post("/manage/materials/new", data=_form(file=(io.BytesIO(PDF), "a.pdf")),
                    content_type="multipart/form-data")  # fmt: skip
    first = db.session.query(Material).order_by(Material.id).first()
    response = client.post(
        f"/manage/materials/{first.id}",
        data=_form(file=(io.BytesIO(docx()), "b.docx")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [f.version for f in first.files] == [2, 1]
    assert len(os.listdir(app.config["UPLOAD_DIR"])) == 2  # PDF once, DOCX once
    assert client.get(f"/materials/{first.id}/download").data == docx()


def test_a_refused_kind_is_a_422_naming_the_kinds(client, organiser, login, app):
    login()
    response = client.post(
        "/manage/materials/new?lang=en",
        data=_form(file=(io.BytesIO(HTML), "rapport.pdf")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Accepted: PDF, DOCX" in response.get_data(as_text=True)
    assert db.session.query(Material).count() == 0
    assert os.listdir(app.config["UPLOAD_DIR"]) == []


def test_only_http_links(client, organiser, login):
    login()
    for url in ("javascript:alert(1)", "ftp://example.org/x", "data:text/html,x"):
        response = client.post("/manage/materials/new?lang=en", data=_form(url=url))
        assert response.status_code == 422
        assert "http:// or https://" in response.get_data(as_text=True)
    response = client.post("/manage/materials/new", data=_form(url="https://example.org/mall"))
    assert response.status_code == 302


def test_too_large_an_upload_is_refused_before_reading(make_app, organiser, login, tmp_path):
    app = make_app(MAX_CONTENT_LENGTH=1024 * 1024, UPLOAD_DIR=str(tmp_path / "u"))
    with app.app_context():
        client = app.test_client()
        client.post("/login", data={"email": organiser.email, "password": "secret-pass"})
        big = _form(file=(io.BytesIO(PDF + b"0" * 2 * 1024 * 1024), "big.pdf"))
        response = client.post("/manage/materials/new?lang=en", data=big,
                               content_type="multipart/form-data")  # fmt: skip
        assert response.status_code == 413
        assert "Files of up to 1 MB are accepted" in response.get_data(as_text=True)
        # A page that takes no file keeps the 1 MB limit of every other request.
        assert client.post("/login", data={"x": "y" * 2 * 1024 * 1024}).status_code == 413


def test_the_library_finds_inflected_forms_and_filters(client, make_material):
    make_material(title="Upphandling med sysselsättningskrav", tags=["modell"])
    make_material(
        title="Workshop slides",
        description="Slides of the workshop.",
        language="en",
        category="presentation",
        languages=["fi"],
        translations={
            "fi": {"title": "Työpajan diat", "description": "Työllistämisehdot hankinnoissa"}
        },
    )
    page = client.get("/materials?q=upphandlingar&lang=sv").get_data(as_text=True)
    assert "Upphandling med sysselsättningskrav" in page and "Workshop slides" not in page
    page = client.get("/materials?q=hankinta&lang=fi").get_data(as_text=True)
    assert "Työpajan diat" in page and "Upphandling med" not in page
    page = client.get("/materials?category=presentation&language=fi&lang=fi").get_data(as_text=True)
    assert "Työpajan diat" in page and "Upphandling med" not in page
    page = client.get("/materials?category=model&lang=sv").get_data(as_text=True)
    assert "Upphandling med" in page and "Workshop" not in page


def test_the_event_page_lists_its_public_materials(client, make_event, make_material):
    event = make_event()
    make_material(title="Bilder från workshoppen", events=[event.slug])
    make_material(title="Bara för anmälda", events=[event.slug],
                  audience={"kind": "registrants", "events": [event.slug]})  # fmt: skip
    page = client.get(f"/events/{event.slug}?lang=sv").get_data(as_text=True)
    assert "Bilder från workshoppen" in page and "Bara för anmälda" not in page


def test_the_event_page_reads_its_materials_with_the_event(client, make_event, make_material):
    """The page's four reads (the event, its groups, its sessions, its materials) are all it
    sends, rendered afresh: they go to the server together (one round trip on PostgreSQL)."""
    event = make_event()
    make_material(title="Bilder från workshoppen", events=[event.slug])
    with count_statements() as statements:
        page = client.get(f"/events/{event.slug}?lang=sv").get_data(as_text=True)
    assert "Bilder från workshoppen" in page
    assert len(statements) == 4, statements
    assert "material" in statements[3] and "slug" in statements[3]


def test_each_session_lists_its_own_materials(client, make_event, make_material):
    """A workshop's slides belong to its session: the agenda shows them under it."""
    event = make_event(
        sessions=[
            {"title": "Planera", "starts_at": "2030-05-20T09:00", "ends_at": "2030-05-20T10:00"},
            {"title": "Upphandla", "starts_at": "2030-05-20T10:30", "ends_at": "2030-05-20T11:30"},
        ],
        starts_at="2030-05-20T09:00",
        ends_at="2030-05-20T12:00",
    )
    first, second = event.sessions
    make_material(title="Bilder: planera", events=[event.slug], sessions=[first.id])
    page = client.get(f"/events/{event.slug}?lang=sv").get_data(as_text=True)
    agenda = page.split('id="agenda-heading"')[1]
    planera, upphandla = agenda.split("Upphandla</h4>")
    assert "Material till passet" in planera and "Bilder: planera" in planera
    assert "Bilder: planera" not in upphandla.split('id="event-materials-heading"')[0]
