"""JSON log lines: one object per line, the request id in and out, no address or token."""

from __future__ import annotations

import json
import logging
import re

import pytest

from core.logs import mask_emails, request_id_from
from core.outbox_sending import send_due
from participants.models import Registration
from tests.participants.helpers import person


@pytest.fixture
def app(make_app):
    """The app of these tests logs JSON (one logging set-up per process: the last app made)."""
    app = make_app(LOG_FORMAT="json")
    with app.app_context():
        yield app


@pytest.fixture
def json_app(app):
    return app


def lines(captured: str) -> list[dict]:
    """Every line on stderr, each parsed as JSON (a line that is not fails the test)."""
    return [json.loads(line) for line in captured.splitlines() if line.strip()]


def test_a_request_writes_one_json_line_with_its_rule_not_its_path(json_app, capsys):
    client = json_app.test_client()
    capsys.readouterr()
    response = client.get("/r/not-a-real-token-abc123?lang=en")
    records = lines(capsys.readouterr().err)
    [line] = [r for r in records if r["logger"] == "motesplats.request"]
    assert line["method"] == "GET"
    assert line["path"] == "/r/<token>"
    assert line["status"] == response.status_code
    assert isinstance(line["duration_ms"], float)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
    assert line["level"] == "INFO"
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", line["request_id"])
    assert "not-a-real-token" not in json.dumps(records)
    assert "lang" not in json.dumps(records)


def test_the_proxys_request_id_round_trips(json_app, capsys):
    client = json_app.test_client()
    response = client.get("/healthz", headers={"X-Request-ID": "nginx-4f2a.b_9"})
    assert response.headers["X-Request-ID"] == "nginx-4f2a.b_9"
    records = lines(capsys.readouterr().err)
    assert [r["request_id"] for r in records if r["logger"] == "motesplats.request"] == [
        "nginx-4f2a.b_9"
    ]


@pytest.mark.parametrize(
    "unsafe", ['x" injected', "a" * 129, "", "ä", "id\tnext", '{"level":"ERROR"}']
)
def test_an_unsafe_request_id_is_replaced(json_app, capsys, unsafe):
    response = json_app.test_client().get("/healthz", headers={"X-Request-ID": unsafe})
    given = response.headers["X-Request-ID"]
    assert given != unsafe and re.fullmatch(r"[0-9a-f]{32}", given)
    assert unsafe not in capsys.readouterr().err or unsafe == ""
    assert request_id_from(unsafe) != unsafe


def test_every_record_of_a_request_carries_its_id(json_app, capsys):
    @json_app.get("/test-logs-warn/<token>")
    def warn(token: str):
        logging.getLogger("participants.something").warning(
            "looked at %s", "/test-logs-warn/" + token
        )
        return "ok"

    response = json_app.test_client().get(
        "/test-logs-warn/SECRETTOKEN", headers={"X-Request-ID": "r1"}
    )
    assert response.status_code == 200
    records = lines(capsys.readouterr().err)
    [warning] = [r for r in records if r["logger"] == "participants.something"]
    assert warning["request_id"] == "r1"
    assert warning["path"] == "/test-logs-warn/<token>"
    assert warning["message"] == "looked at /test-logs-warn/<token>"  # the raw path masked
    assert "SECRETTOKEN" not in json.dumps(records)


def test_an_error_is_logged_with_the_rule_and_the_id(json_app, capsys):
    json_app.config["PROPAGATE_EXCEPTIONS"] = False

    @json_app.get("/test-logs-boom/<token>")
    def boom(token: str):
        raise RuntimeError(f"broke for someone@example.se at /test-logs-boom/{token}")

    response = json_app.test_client().get(
        "/test-logs-boom/SECRETTOKEN", headers={"X-Request-ID": "r2"}
    )
    assert response.status_code == 500
    text = capsys.readouterr().err
    records = lines(text)
    [error] = [r for r in records if r["level"] == "ERROR"]
    assert error["request_id"] == "r2"
    assert error["path"] == "/test-logs-boom/<token>"
    assert "RuntimeError" in error["exc_info"] and "[email]" in error["exc_info"]
    assert "SECRETTOKEN" not in text and "someone@example.se" not in text


def test_no_address_or_token_in_any_line_of_a_registration_and_its_email(
    json_app, organiser, capsys
):
    from events.services import create_event
    from tests.conftest import event_data

    event = create_event(organiser, event_data())
    client = json_app.test_client()
    capsys.readouterr()
    data = person(7, email="kerstin.larsson@goteborg.se", name="Kerstin Larsson")
    response = client.post(f"/api/v1/events/{event.slug}/registrations", json=data)
    assert response.status_code == 201, response.get_data(as_text=True)
    registration = Registration.query.filter_by(email="kerstin.larsson@goteborg.se").one()
    assert client.get(f"/r/{registration.token}").status_code == 200
    assert client.get(f"/r/{registration.token}/calendar.ics").status_code == 200
    assert send_due() == 1
    text = capsys.readouterr().err
    records = lines(text)
    for secret in (registration.token, "kerstin.larsson", "goteborg.se", "Kerstin", "Larsson"):
        assert secret not in text
    sent = [r for r in records if r.get("outcome") == "sent"]
    assert len(sent) == 1 and sent[0]["kind"] == "confirmed" and sent[0]["attempt"] == 1
    assert isinstance(sent[0]["message_id"], int)
    paths = {r["path"] for r in records if r["logger"] == "motesplats.request"}
    assert "/r/<token>" in paths and "/api/v1/events/<slug>/registrations" in paths


def test_a_retry_and_a_failure_are_logged_without_the_address(json_app, capsys, monkeypatch):
    from core.db import db
    from core.models import OutboxMessage

    json_app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    json_app.config["MAIL_SERVER"] = "127.0.0.1"
    json_app.config["MAIL_PORT"] = 9  # nothing answers: the session fails
    db.session.add(  # a row queued already rendered: nothing to render that could fail
        OutboxMessage(
            recipient="hidden.person@kommun.se", kind="confirmed", language="sv",
            subject="Hej", body_text="Hej", status="queued",
        )
    )  # fmt: skip
    db.session.commit()
    capsys.readouterr()
    send_due()
    message = db.session.scalars(db.select(OutboxMessage)).one()
    message.next_attempt_at = message.created_at
    db.session.commit()
    send_due()
    text = capsys.readouterr().err
    outcomes = [(r["outcome"], r["attempt"]) for r in lines(text) if "outcome" in r]
    assert outcomes == [("retry", 1), ("failed", 2)]
    assert "hidden.person" not in text and "kommun.se" not in text


def test_masking_addresses():
    assert mask_emails("refused <a.b+c@xn--malm-8qa.se>: 550") == "refused <[email]>: 550"
    assert mask_emails("{'x@y.se': (550, b'no')}") == "{'[email]': (550, b'no')}"
    assert mask_emails("version 1.2.3 at 10:00") == "version 1.2.3 at 10:00"


def test_text_by_default_in_tests_and_json_in_production(make_app, capsys):
    app = make_app(LOG_FORMAT=None)
    app.test_client().get("/healthz", headers={"X-Request-ID": "t1"})
    err = capsys.readouterr().err
    assert "[t1] GET /healthz 200" in err
    assert not err.lstrip().startswith("{")
    from core.logs import log_format

    app.testing = False
    app.debug = False
    app.config["LOG_FORMAT"] = None
    assert log_format(app) == "json"


def test_log_level_warning_leaves_the_request_lines_out(make_app, capsys):
    app = make_app(LOG_FORMAT="json", LOG_LEVEL="WARNING")
    try:
        app.test_client().get("/healthz")
        assert "motesplats.request" not in capsys.readouterr().err
    finally:
        logging.getLogger().setLevel(logging.INFO)
