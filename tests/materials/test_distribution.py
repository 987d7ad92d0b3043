"""Distributions through the outbox to a real SMTP server: scheduled "when the event ends",
each email in the person's language with their own links; interrupted and resumed, and two
workers at once, with nobody reached twice."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from core.db import db, utcnow
from core.models import OutboxMessage
from core.outbox_sending import send_due
from materials import distribution
from materials.models import Distribution, DistributionRecipient
from participants import services as registrations
from participants.models import Registration
from tests.participants.helpers import as_stored, person
from tests.server import ROOT

pytestmark = pytest.mark.real_smtp


_made = iter(range(1, 10_000))


def _people(event, count: int, **overrides: Any) -> list[Registration]:
    people = [
        as_stored(registrations.register(event, person(next(_made), **overrides)))
        for _n in range(count)
    ]
    # The confirmations are not what these tests look at.
    db.session.execute(sa.update(OutboxMessage).values(status="sent"))
    db.session.commit()
    return people


def _check_in(*people: Registration) -> None:
    ids = [p.id for p in people]
    db.session.execute(
        sa.update(Registration).where(Registration.id.in_(ids)).values(attended_at=utcnow())
    )
    db.session.commit()


def _reached(smtp) -> Counter:
    return Counter(r.recipients[0] for r in smtp.received)


def test_scheduled_for_the_events_end_reaches_the_attendees_in_their_language(
    client, auth, smtp, make_event, make_material
):
    event = make_event()
    slides = make_material(
        title="Bilder från workshopen",
        translations={"fi": {"title": "Työpajan diat"}},
        audience={"kind": "attendees", "events": [event.slug]},
    )
    came = _people(event, 2) + _people(event, 1, language="fi")
    away = _people(event, 1, email="borta@example.se")
    _check_in(*came)
    created = client.post(
        f"/api/v1/events/{event.slug}/distributions",
        json={"materials": [slides.id], "audience": {"kind": "attendees"}, "send_at": "event_end"},
        headers=auth,
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["status"] == "scheduled" and body["total"] == 3 and body["queued"] == 0

    before_end = event.ends_at - timedelta(minutes=1)
    assert distribution.send_due_distributions(now=before_end) == 0
    send_due()
    assert smtp.received == []

    assert distribution.send_due_distributions(now=event.ends_at + timedelta(minutes=1)) == 3
    send_due()
    assert sorted(_reached(smtp)) == sorted(p.email for p in came)
    assert away[0].email not in _reached(smtp)
    by_address = {r.recipients[0]: r.message for r in smtp.received}
    finnish = by_address[came[2].email]
    assert (
        "Työpajan diat" in finnish["Subject"]
        or "Työpajan diat" in finnish.get_body(("plain",)).get_content()
    )
    text = finnish.get_body(("plain",)).get_content()
    assert "Työpajan diat" in text
    assert f"/materials/{slides.id}/download?t={came[2].token}" in text
    swedish = by_address[came[0].email].get_body(("plain",)).get_content()
    assert "Bilder från workshopen" in swedish and f"t={came[0].token}" in swedish
    # The person's own link works without an account; another's token is not theirs.
    assert client.get(f"/materials/{slides.id}/download?t={came[0].token}").status_code == 200
    assert client.get(f"/materials/{slides.id}/download?t={away[0].token}").status_code == 404

    listing = client.get(f"/api/v1/events/{event.slug}/distributions", headers=auth).get_json()
    [item] = listing["distributions"]
    assert item["queued"] == 3 and item["total"] == 3
    assert distribution.send_due_distributions(now=event.ends_at + timedelta(minutes=2)) == 0
    db.session.expire_all()
    assert db.session.get(Distribution, body["id"]).status == "done"


def test_interrupted_and_resumed_nobody_reached_twice(
    app, smtp, organiser, make_event, make_material, monkeypatch
):
    app.config["DISTRIBUTION_BATCH_SIZE"] = 4
    event = make_event()
    model = make_material(title="Modell")
    people = _people(event, 10)
    sent = distribution.create_distribution(
        organiser, event, {"materials": [model.id], "audience": "registrants"}
    )
    # The first batch goes through, then the worker stops (killed between batches).
    assert distribution.send_due_distributions(max_batches=1) == 4
    send_due()
    assert len(smtp.received) == 4
    # The next batch breaks in the middle of its transaction: none of it stays.
    real = distribution.queue_email
    calls = []

    def breaks(*args: Any, **kwargs: Any) -> int:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the worker died")
        return real(*args, **kwargs)

    monkeypatch.setattr(distribution, "queue_email", breaks)
    with pytest.raises(RuntimeError):
        distribution.send_due_distributions()
    monkeypatch.undo()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DistributionRecipient)) == 4
    assert distribution.progress(sent).queued == 4

    # Started again: the rest, once each.
    assert distribution.send_due_distributions() == 6
    send_due()
    reached = _reached(smtp)
    assert sorted(reached) == sorted(p.email for p in people)
    assert set(reached.values()) == {1}
    assert distribution.progress(sent).queued == distribution.progress(sent).total == 10


def test_two_workers_at_once_reach_each_person_once(
    smtp, organiser, make_event, make_material, database_url
):
    import os

    event = make_event()
    model = make_material(title="Modell")
    people = _people(event, 40)
    distribution.create_distribution(
        organiser, event, {"materials": [model.id], "audience": "registrants"}
    )
    env = os.environ.copy()
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="worker-test",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp.port),
        PUBLIC_BASE_URL="http://localhost",
        DISTRIBUTION_BATCH_SIZE="3",
        OUTBOX_BATCH_SIZE="5",
    )
    command = [sys.executable, "-m", "flask", "--app", "app", "worker", "--once"]
    workers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=120)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    send_due()  # whatever a worker queued after the other had finished sending
    reached = _reached(smtp)
    assert sorted(reached) == sorted(p.email for p in people)
    assert set(reached.values()) == {1}


def test_bad_distributions_are_422_and_others_events_403(
    client, auth, make_event, make_material, app
):
    from core.auth import create_api_token, create_organiser

    event = make_event()
    draft = make_material(title="Utkast", audience={"kind": "organisers"})
    url = f"/api/v1/events/{event.slug}/distributions"
    for body, field in [
        ({"materials": [], "audience": "attendees"}, "materials"),
        ({"materials": [draft.id], "audience": "attendees"}, "materials"),
        ({"materials": [999999], "audience": "attendees"}, "materials"),
        ({"materials": [draft.id], "audience": "everyone"}, "audience"),
        ({"materials": [draft.id], "audience": "attendees", "send_at": "imorgon"}, "send_at"),
    ]:
        answer = client.post(url, json=body, headers=auth)
        assert answer.status_code == 422, body
        assert field in answer.get_json()["error"]["fields"], body
    other = create_organiser("bo@example.org", "Bo", "secret-pass")
    other_auth = {"Authorization": f"Bearer {create_api_token(other)}"}
    public = make_material(title="Öppen")
    refused = client.post(
        url, json={"materials": [public.id], "audience": "attendees"}, headers=other_auth
    )
    assert refused.status_code == 403


def test_the_organisers_page_previews_the_reach_and_schedules(
    client, login, organiser, make_event, make_material
):
    event = make_event()
    model = make_material(title="Modell")
    people = _people(event, 3)
    _check_in(people[0])
    login()
    page = client.get(f"/manage/events/{event.slug}/distributions")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Alla som kom (incheckade): 1 person<" in text
    assert "Alla anmälda: 3 personer<" in text
    empty = client.post(
        f"/manage/events/{event.slug}/distributions",
        data={"audience": "registrants", "when": "now"},
    )
    assert empty.status_code == 422
    sent = client.post(
        f"/manage/events/{event.slug}/distributions",
        data={"materials": [str(model.id)], "audience": "registrants", "when": "now"},
    )
    assert sent.status_code == 302
    assert distribution.send_due_distributions() == 3
    page = client.get(f"/manage/events/{event.slug}/distributions").get_data(as_text=True)
    assert "3 av 3" in page
