"""Erasure on request: the person asks from the manage page (one pending request per person,
acknowledged by email); an administrator (only) approves it, which anonymises every
registration with the address in one transaction, keeps attendance and tells the person by
a notice that, once sent over SMTP, leaves no trace of the address anywhere in the database;
or rejects it with a reason that is told to the person with how to complain to IMY."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.db import db, utcnow
from core.models import AuditEntry, OutboxMessage
from core.outbox import queue_email
from core.outbox_sending import send_due
from participants.models import Registration, registration_session
from privacy import erasure
from privacy.anonymise import anonymise_registrations
from privacy.models import ErasureRequest
from tests.privacy.helpers import traces
from tests.privacy.person_world import COLLEAGUE, MAJA, build

pytestmark = pytest.mark.real_smtp  # an app that sends to a real SMTP server

ADMIN = ("admin@upphandlingsmyndigheten.se", "admin-pass")


def _text(received) -> str:
    return received.message.get_body(("plain",)).get_content()


def _mail_to(smtp, address: str, subject_part: str):
    found = [
        r
        for r in smtp.received
        if r.recipients == [address] and subject_part in r.message["Subject"]
    ]
    assert len(found) == 1, [r.message["Subject"] for r in smtp.received]
    return found[0]


def _ask(client, token: str, lang: str = "en"):
    return client.post(f"/r/{token}/erase?lang={lang}")


def _pending() -> ErasureRequest:
    db.session.expire_all()
    return db.session.scalar(sa.select(ErasureRequest).where(ErasureRequest.status == "pending"))


def test_asking_once_acknowledged_by_email_and_a_second_request_is_already_pending(
    client, smtp, organiser, make_event
):
    world = build(client, organiser, make_event)
    page = client.get(f"/r/{world.maja.token}/erase?lang=en").get_data(as_text=True)
    assert "What is kept" in page and "whether they attended" in page
    assert "archiving rules" in page

    response = _ask(client, world.maja.token)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/r/{world.maja.token}?lang=en")
    request = _pending()
    assert (request.registration_id, request.language) == (world.maja.id, "sv")
    manage = client.get(f"/r/{world.maja.token}?lang=en").get_data(as_text=True)
    assert "You asked on" in manage and "to have your personal data erased" in manage

    # A second request by the same person (from her other registration) is already pending.
    again = _ask(client, world.maja_later.token)
    assert again.status_code == 409
    assert "already waiting for a decision" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ErasureRequest)) == 1
    # Her colleague may ask for himself.
    assert _ask(client, world.colleague.token).status_code == 302

    send_due()
    ack = _mail_to(smtp, MAJA["email"], "begäran")  # in her language, Swedish
    assert MAJA["name"] in _text(ack)


def test_only_administrators_see_the_requests(client, smtp, organiser, admin, login, make_event):
    world = build(client, organiser, make_event)
    _ask(client, world.maja.token)
    assert client.get("/manage/erasure-requests").status_code in (302, 401)
    login()
    assert client.get("/manage/erasure-requests").status_code == 403
    request = _pending()
    assert client.post(f"/manage/erasure-requests/{request.id}/approve").status_code == 403
    assert client.post(f"/manage/erasure-requests/{request.id}/reject").status_code == 403
    assert _pending().id == request.id
    client.post("/logout")
    login(*ADMIN)
    page = client.get("/manage/erasure-requests?lang=en").get_data(as_text=True)
    assert MAJA["email"] in page and COLLEAGUE["email"] not in page
    assert "Registrations to anonymise" in page
    index = client.get("/manage/?lang=en").get_data(as_text=True)
    assert "Erasure requests (1 waiting)" in index
    scope = erasure.pending_requests()[0]
    assert len(scope.registrations) == 2 and scope.survey_invitations == 2
    assert scope.campaign_invitations == 1
    assert scope.emails == db.session.scalar(
        sa.select(sa.func.count()).select_from(OutboxMessage)
        .where(OutboxMessage.recipient == MAJA["email"])
    )  # fmt: skip


def test_approval_erases_every_trace_after_the_notice_is_sent_and_keeps_attendance(
    client, smtp, organiser, admin, login, make_event
):
    world = build(client, organiser, make_event)
    tokens = [world.maja.token, world.maja_later.token]
    maja_ids = [world.maja.id, world.maja_later.id]
    _ask(client, world.maja.token)
    send_due()
    request = _pending()
    login(*ADMIN)
    assert set(traces(*MAJA.values())) >= {"registration.name", "outbox_message.recipient"}

    response = client.post(f"/manage/erasure-requests/{request.id}/approve")
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/erasure-requests"
    # Before the worker runs, the address is on one row only: the queued notice.
    assert traces(MAJA["email"]) == ["outbox_message.recipient"]
    assert traces(MAJA["name"], MAJA["needs"], MAJA["role"], *tokens) == []
    smtp.received.clear()
    assert send_due() == 1

    notice = _mail_to(smtp, MAJA["email"], "raderade")
    assert "2 anmälningar" in _text(notice)
    assert MAJA["name"] not in _text(notice)
    # Once it is sent, no trace of her anywhere in the database, the outbox included.
    db.session.expire_all()
    assert traces(*MAJA.values(), *tokens) == []
    sent = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "erasure_approved")
    )
    assert (sent.status, sent.recipient, sent.body_text, sent.facts) == ("sent", "", None, None)

    decided = db.session.get(ErasureRequest, request.id)
    assert decided.status == "approved" and decided.registrations_anonymised == 2
    assert decided.decided_by_id == admin.id and decided.decided_at is not None
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "erasure_approved"))
    assert entry.subject == f"erasure_request:{request.id}"
    assert entry.detail["registrations"] == 2 and entry.organiser_id == admin.id

    # Attendance stays for the audit: the check-in and the session's.
    row = db.session.get(Registration, world.maja.id)
    assert row.anonymised_at is not None and row.attended_at == world.checked_in_at
    session_times = db.session.execute(
        sa.select(registration_session.c.attended_at).where(
            registration_session.c.registration_id == world.maja.id
        )
    ).scalars().all()  # fmt: skip
    assert sum(t is not None for t in session_times) == 1
    # Her links are gone; her colleague is untouched.
    for token in tokens:
        assert client.get(f"/r/{token}").status_code == 404
        assert client.get(f"/r/{token}/data.json").status_code == 404
        assert client.get(f"/r/{token}/erase").status_code == 404
    assert all(db.session.get(Registration, i).anonymised_at for i in maja_ids)
    colleague = db.session.get(Registration, world.colleague.id)
    assert (colleague.name, colleague.needs) == (COLLEAGUE["name"], COLLEAGUE["needs"])
    assert client.get(f"/r/{colleague.token}/data.json").status_code == 200
    # A second decision on the same request is refused.
    again = client.post(f"/manage/erasure-requests/{request.id}/approve")
    assert again.status_code == 409


def test_rejection_keeps_everything_and_tells_why_and_how_to_complain(
    client, smtp, organiser, admin, login, make_event
):
    world = build(client, organiser, make_event)
    _ask(client, world.maja.token)
    request = _pending()
    login(*ADMIN)
    empty = client.post(f"/manage/erasure-requests/{request.id}/reject?lang=en", data={"note": " "})
    assert empty.status_code == 422
    assert "Tell the person why" in empty.get_data(as_text=True)
    assert _pending().id == request.id

    reason = "Projektets revision pågår till 2028; uppgifterna får inte gallras förrän då."
    response = client.post(f"/manage/erasure-requests/{request.id}/reject", data={"note": reason})
    assert response.status_code == 302
    send_due()
    text = _text(_mail_to(smtp, MAJA["email"], "beviljades inte"))
    assert reason in text
    assert "Integritetsskyddsmyndigheten" in text and "https://www.imy.se/" in text
    assert f"/r/{world.maja.token}" in text

    db.session.expire_all()
    decided = db.session.get(ErasureRequest, request.id)
    assert (decided.status, decided.note, decided.decided_by_id) == ("rejected", reason, admin.id)
    assert db.session.get(Registration, world.maja.id).name == MAJA["name"]
    assert db.session.scalar(
        sa.select(sa.func.count()).where(AuditEntry.action == "erasure_rejected")
    ) == 1  # fmt: skip
    page = client.get("/manage/erasure-requests").get_data(as_text=True)
    assert reason in page
    # The person may ask again.
    assert _ask(client, world.maja.token).status_code == 302


def test_a_registration_already_anonymised_leaves_nothing_to_erase(
    client, smtp, organiser, admin, make_event
):
    world = build(client, organiser, make_event)
    _ask(client, world.maja.token)
    request = _pending()
    anonymise_registrations([world.maja.id], now=utcnow())  # the retention purge came first
    db.session.commit()
    done = erasure.approve(request.id, admin)
    assert done.status == "approved" and done.registrations_anonymised == 0
    assert db.session.scalar(
        sa.select(sa.func.count()).where(OutboxMessage.kind == "erasure_approved")
    ) == 0  # fmt: skip


# --- the outbox forgets a notice once it is sent ------------------------------------------


def test_a_forgotten_kind_keeps_nothing_once_sent_or_failed_for_good(make_app, smtp):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, OUTBOX_MAX_ATTEMPTS=1)
    smtp.refuse = {"refused@example.se"}
    with app.app_context():
        facts = {"decided_on": "2026-12-03", "registrations": 1}
        sent = queue_email("erased@example.se", "erasure_approved", "en", facts)
        refused = queue_email("refused@example.se", "erasure_approved", "en", facts)
        kept = queue_email("kept@example.se", "message", "en", {"subject": "Hi", "body": "Yo"})
        db.session.commit()
        send_due()
        db.session.expire_all()
        ok, failed, other = (db.session.get(OutboxMessage, i) for i in (sent, refused, kept))
        assert [r.recipients for r in smtp.received] == [["erased@example.se"], ["kept@example.se"]]
        assert (ok.status, ok.recipient, ok.facts, ok.body_text, ok.body_html) == (
            "sent", "", None, None, None,
        )  # fmt: skip
        assert ok.subject == "Your personal data has been erased" and ok.sent_at
        assert (failed.status, failed.recipient, failed.failure_reason, failed.last_error) == (
            "failed", "", "anonymised", None,
        )  # fmt: skip
        assert other.recipient == "kept@example.se" and other.body_text  # other kinds keep theirs
        assert traces("erased@example.se", "refused@example.se") == []
