"""Answers for what is not the caller's fault and not a bug: a body too large (413, before it is
read), a method not taken here (405 with Allow), a database that refuses writes (503 with
Retry-After). Each in HTML and in the JSON API, translated."""

from __future__ import annotations

import html
import io

import pytest
import sqlalchemy as sa

from core.db import db
from tests.conftest import event_data
from tests.core.helpers import all_row_counts


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def registration_body(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Maja Upphandlare",
        "email": "maja@stockholm.se",
        "organisation": "Stockholms stad",
        "country": "SE",
        "target_group": "contracting_authority",
        "language": "en",
    }
    data.update(overrides)
    return data


# --- 413 ---------------------------------------------------------------------------------------


class UnreadableBody(io.RawIOBase):
    """A request body that fails the test if anyone reads it."""

    read_from = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        UnreadableBody.read_from = True
        raise AssertionError("the body was read")


def test_a_50_mb_json_body_is_refused_before_it_is_read(client, auth):
    UnreadableBody.read_from = False
    response = client.post(
        "/api/v1/events",
        headers={**auth, "Accept-Language": "en"},
        environ_overrides={
            "wsgi.input": UnreadableBody(),
            "CONTENT_LENGTH": str(50 * 1024 * 1024),
            "CONTENT_TYPE": "application/json",
        },
    )
    assert response.status_code == 413
    assert response.get_json()["error"] == {
        "code": "too_large",
        "message": "The request is too large.",
        "fields": {},
    }
    assert not UnreadableBody.read_from


def test_a_real_50_mb_json_body_is_refused(client, auth):
    body = b'{"title": "' + b"x" * (50 * 1024 * 1024) + b'"}'
    before = all_row_counts()
    response = client.post(
        "/api/v1/events", data=body, content_type="application/json", headers=auth
    )
    assert response.status_code == 413
    assert all_row_counts() == before


def test_a_big_form_is_refused_with_a_translated_page(client, make_event):
    event = make_event()
    before = all_row_counts()
    response = client.post(
        f"/events/{event.slug}/register",
        data=registration_body(needs="x" * (2 * 1024 * 1024)),
        headers={"Accept-Language": "sv"},
    )
    assert response.status_code == 413
    assert "<html" in text(response)
    assert all_row_counts() == before


def test_a_form_just_under_the_limit_is_read(client, make_event):
    event = make_event()
    response = client.post(
        f"/events/{event.slug}/register", data=registration_body(needs="x" * 900_000)
    )
    assert response.status_code == 422  # read, and the service says the text is too long


def test_the_limit_is_a_setting(make_app):
    app = make_app(MAX_BODY_LENGTH=2048)
    with app.app_context():
        response = app.test_client().post("/login", data={"email": "x" * 4000})
    assert response.status_code == 413


# --- 405 ---------------------------------------------------------------------------------------


def test_405_page_names_the_allowed_methods(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}


def test_405_json_names_the_allowed_methods(client):
    response = client.delete("/api/v1/events", headers={"Accept-Language": "en"})
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert response.get_json()["error"]["code"] == "method_not_allowed"


# --- 503 ---------------------------------------------------------------------------------------


@pytest.fixture
def read_only(app):
    """From now on the database refuses every write, as a read-only file or a standby would."""
    engine = db.engine

    def refuse_writes(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA query_only = ON")
        else:
            cursor.execute("SET default_transaction_read_only = on")
            dbapi_connection.commit()
        cursor.close()

    db.session.remove()
    sa.event.listen(engine, "connect", refuse_writes)
    engine.dispose()
    yield
    db.session.remove()
    sa.event.remove(engine, "connect", refuse_writes)
    engine.dispose()


@pytest.fixture
def published(make_event):
    return make_event().slug


def test_registering_when_the_database_refuses_writes_is_503(client, published, request):
    request.getfixturevalue("read_only")
    before = all_row_counts()
    response = client.post(
        f"/events/{published}/register",
        data=registration_body(),
        headers={"Accept-Language": "fi"},
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "Palvelu ei ole tilapäisesti käytettävissä" in text(response)
    assert all_row_counts() == before


def test_the_api_answers_503_unavailable_when_writes_are_refused(client, auth, request):
    request.getfixturevalue("read_only")
    response = client.post(
        "/api/v1/events", json=event_data(), headers={**auth, "Accept-Language": "en"}
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    error = response.get_json()["error"]
    assert error["code"] == "unavailable"
    assert error["message"].startswith("The service is temporarily unavailable.")


def test_a_database_that_cannot_even_be_read_still_gets_a_503_page(client, organiser, login):
    login()  # the page would read the signed-in organiser: that read fails too
    engine = db.engine

    def gone(*_args, **_kwargs) -> None:
        raise sa.exc.OperationalError("SELECT", {}, Exception("disk I/O error"))

    db.session.remove()
    sa.event.listen(engine, "before_cursor_execute", gone)
    try:
        response = client.get("/manage/", headers={"Accept-Language": "sv"})
    finally:
        sa.event.remove(engine, "before_cursor_execute", gone)
        db.session.remove()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "Tjänsten är tillfälligt otillgänglig" in text(response)
    assert response.headers["Cache-Control"] == "no-store"
