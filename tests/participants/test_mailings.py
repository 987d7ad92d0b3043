"""Messages to an event's registrants (participants.mailings): who they reach and in which
language, received by a real SMTP server in each person's language with the wrapper in the same
language; scheduled and sent once at their time with a clock the test holds; two workers at
once; a test copy to the organiser only; bad input refused with nothing written."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from core.db import db, utcnow
from core.errors import Conflict, ValidationError
from core.models import OutboxMessage
from core.outbox import queue_email, rendered
from core.outbox_sending import send_due
from participants import mailings, services
from participants.models import Mailing, Registration
from tests.participants.helpers import as_stored, person
from tests.server import ROOT

SV = {"sv": "Välkommen till workshopen"}
SV_BODY = {"sv": "Ta med din senaste upphandling.\n\nVi ses!"}
FI = {"fi": "Tervetuloa työpajaan"}
FI_BODY = {"fi": "Ota mukaan viimeisin hankintasi.\n\nNähdään!"}


pytestmark = pytest.mark.real_smtp


_made = iter(range(1, 10_000))


def _register(event, **overrides) -> Registration:
    n = next(_made)
    overrides.setdefault("email", f"person{n}@example.se")
    return as_stored(services.register(event, person(n, **overrides)))


def _quiet() -> None:
    """The confirmations are not what these tests look at."""
    db.session.execute(sa.update(OutboxMessage).values(status="sent"))
    db.session.commit()


def _by_address(smtp) -> dict:
    return {r.recipients[0]: r.message for r in smtp.received}


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def _html(message) -> str:
    return message.get_body(("html",)).get_content()


def _mailings() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Mailing))


def _bulk_rows() -> list[OutboxMessage]:
    db.session.rollback()
    return list(
        db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "bulk_message"))
    )


# --- reach -------------------------------------------------------------------------------------


def test_reach_counts_people_once_and_per_language(make_event):
    event = make_event()
    anna = _register(event)
    _register(event)
    _register(event, language="fi")
    _register(event, language="en", target_group="supplier")
    gone = _register(event)
    services.cancel(gone)

    everyone = mailings.reach(event, {})
    people = {r.email.lower() for r in mailings.audience_of(event, {})}
    assert everyone.total == len(people) == 4
    assert everyone.by_language == {"sv": 2, "fi": 1, "en": 1}
    # With texts in Swedish and Finnish only, the English reader gets the event's Swedish.
    assert mailings.reach(event, {}, frozenset({"sv", "fi"})).by_language == {"sv": 3, "fi": 1}
    assert mailings.reach(event, {"target_group": "supplier"}).total == 1
    assert mailings.reach(event, {"status": "cancelled"}).total == 1
    assert mailings.reach(event, {"ids": [gone.id, anna.id]}).total == 1  # cancelled left out
    with pytest.raises(ValidationError) as refused:
        mailings.parse_audience({"status": "everyone"})
    assert "status" in refused.value.fields


# --- each person's language, through a real SMTP server ----------------------------------------


def test_each_recipient_gets_their_language_and_the_wrapper_in_the_same(
    smtp, organiser, make_event
):
    event = make_event()  # in Swedish
    swede = _register(event)
    finn = _register(event, language="fi")
    english = _register(event, language="en")  # no English text: the event's Swedish
    _quiet()
    mailing = mailings.create_mailing(organiser, event, {**SV, **FI}, {**SV_BODY, **FI_BODY}, {})
    assert mailing.status == "sent" and mailing.recipient_count == 3
    send_due()
    received = _by_address(smtp)
    assert sorted(received) == sorted([swede.email, finn.email, english.email])

    finnish = received[finn.email]
    assert finnish["Subject"] == "Tervetuloa työpajaan"
    text = _text(finnish)
    assert text.startswith(f"Hei {finn.name},")
    assert "Ota mukaan viimeisin hankintasi." in text
    assert "Katso, muuta tai peruuta ilmoittautumisesi:" in text
    assert f"/r/{finn.token}" in text
    assert '<html lang="fi">' in _html(finnish)
    assert "Ta med" not in text and "Se, ändra" not in text

    for who in (swede, english):
        message = received[who.email]
        assert message["Subject"] == "Välkommen till workshopen"
        text = _text(message)
        assert text.startswith(f"Hej {who.name}!")
        assert "Ta med din senaste upphandling." in text
        assert "Se, ändra eller avboka din anmälan:" in text  # the wrapper in Swedish too
        assert f"/r/{who.token}" in text
        assert '<html lang="sv">' in _html(message)
        assert "Katso" not in text and "See, change" not in text
    rows = {r.recipient: r for r in _bulk_rows()}
    assert rows[english.email].language == "sv"
    assert rows[english.email].registration_id == english.id


def test_a_row_queued_before_the_mailings_still_renders(make_event):
    event = make_event()
    who = _register(event, language="fi")
    from events.facts import event_facts
    from participants.emails import manage_url

    queue_email(
        who.email,
        "bulk_message",
        "fi",
        {
            "registration": {"name": who.name, "email": who.email, "status": who.status},
            "event": event_facts(event, "fi"),
            "manage_url": manage_url(who),
            "subject": "Vanha viesti",
            "body": "Teksti",
        },
    )
    db.session.commit()
    [row] = _bulk_rows()
    content = rendered(row)
    assert content.subject == "Vanha viesti"
    assert "Teksti" in content.body_text and f"/r/{who.token}" in content.body_text


# --- scheduled ---------------------------------------------------------------------------------


def test_scheduled_is_not_sent_before_its_time_and_once_at_it(smtp, organiser, make_event):
    event = make_event(timezone="Europe/Helsinki")
    people = [_register(event), _register(event, language="fi")]
    _quiet()
    local = (event.starts_at - timedelta(days=1)).astimezone(UTC).replace(second=0, microsecond=0)
    local_text = local.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Helsinki"))
    local_text = local_text.replace(tzinfo=None).isoformat(timespec="minutes")
    mailing = mailings.create_mailing(organiser, event, SV, SV_BODY, {}, send_at=local_text)
    assert mailing.status == "scheduled"
    assert mailing.send_at == local  # the local time read in the event's zone
    assert _bulk_rows() == []

    assert mailings.send_due_mailings(now=local - timedelta(minutes=1)) == 0
    send_due()
    assert smtp.received == []

    assert mailings.send_due_mailings(now=local + timedelta(seconds=1)) == 2
    assert mailings.send_due_mailings(now=local + timedelta(minutes=5)) == 0
    send_due()
    assert Counter(r.recipients[0] for r in smtp.received) == {p.email: 1 for p in people}
    db.session.expire_all()
    stored = db.session.get(Mailing, mailing.id)
    assert stored.status == "sent" and stored.recipient_count == 2 and stored.sent_at


def test_the_audience_is_read_when_it_is_sent(organiser, make_event):
    event = make_event()
    first = _register(event)
    at = utcnow() + timedelta(hours=1)
    mailing = mailings.create_mailing(organiser, event, SV, SV_BODY, {}, send_at=at.isoformat())
    late = _register(event)
    services.cancel(first)
    assert mailings.send_due_mailings(now=at) == 1
    assert [r.recipient for r in _bulk_rows()] == [late.email]
    db.session.expire_all()
    assert db.session.get(Mailing, mailing.id).recipient_count == 1


def test_a_cancelled_mailing_is_never_sent(organiser, make_event):
    event = make_event()
    _register(event)
    at = utcnow() + timedelta(hours=1)
    mailing = mailings.create_mailing(organiser, event, SV, SV_BODY, {}, send_at=at.isoformat())
    mailings.cancel_mailing(organiser, event, mailing.id)
    assert mailings.send_due_mailings(now=at + timedelta(minutes=1)) == 0
    assert _bulk_rows() == []
    with pytest.raises(Conflict):
        mailings.cancel_mailing(organiser, event, mailing.id)


def test_a_crash_while_sending_sends_nothing_and_it_is_sent_later(
    organiser, make_event, monkeypatch
):
    event = make_event()
    for _n in range(3):
        _register(event)
    _quiet()
    at = utcnow() + timedelta(hours=1)
    mailing = mailings.create_mailing(organiser, event, SV, SV_BODY, {}, send_at=at.isoformat())
    real, calls = mailings.queue_email, []

    def breaks(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the worker died")
        return real(*args, **kwargs)

    monkeypatch.setattr(mailings, "queue_email", breaks)
    with pytest.raises(RuntimeError):
        mailings.send_due_mailings(now=at)
    monkeypatch.undo()
    assert _bulk_rows() == []
    assert db.session.get(Mailing, mailing.id).status == "scheduled"
    assert mailings.send_due_mailings(now=at) == 3
    assert len(_bulk_rows()) == 3


def test_two_calls_at_once_send_it_once(app, organiser, make_event):
    event = make_event()
    for _n in range(5):
        _register(event)
    _quiet()
    at = utcnow() + timedelta(hours=1)
    mailings.create_mailing(organiser, event, SV, SV_BODY, {}, send_at=at.isoformat())
    db.session.commit()
    barrier, results, errors = threading.Barrier(2), [], []

    def worker() -> None:
        with app.app_context():
            try:
                barrier.wait()
                results.append(mailings.send_due_mailings(now=at))
            except Exception as err:  # reported below
                errors.append(err)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(results) == [0, 5]
    assert Counter(r.recipient for r in _bulk_rows()).most_common(1)[0][1] == 1
    assert len(_bulk_rows()) == 5


def test_two_workers_at_once_send_it_once(smtp, organiser, make_event, database_url):
    event = make_event()
    people = [_register(event) for _n in range(12)]
    _quiet()
    at = utcnow() + timedelta(hours=1)
    mailing = mailings.create_mailing(organiser, event, SV, SV_BODY, {}, send_at=at.isoformat())
    # Its time has come (the workers read the real clock).
    db.session.execute(
        sa.update(Mailing)
        .where(Mailing.id == mailing.id)
        .values(send_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    env = os.environ.copy()
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="worker-test",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp.port),
        PUBLIC_BASE_URL="http://localhost",
        OUTBOX_BATCH_SIZE="5",
    )
    command = [sys.executable, "-m", "flask", "--app", "app", "worker", "--once"]
    workers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=120)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    send_due()  # whatever one worker queued after the other had finished sending
    reached = Counter(r.recipients[0] for r in smtp.received)
    assert sorted(reached) == sorted(p.email for p in people)
    assert set(reached.values()) == {1}


# --- the test copy -----------------------------------------------------------------------------


def test_a_test_goes_to_the_organiser_only(smtp, organiser, make_event):
    event = make_event()
    _register(event)
    _register(event, language="fi")
    _quiet()
    address = mailings.test_send(organiser, event, {**SV, **FI}, {**SV_BODY, **FI_BODY}, "fi")
    assert address == organiser.email
    send_due()
    [received] = smtp.received
    assert received.recipients == [organiser.email]
    message = received.message
    assert message["Subject"] == "[Testi] Tervetuloa työpajaan"
    text = _text(message)
    assert "Ota mukaan viimeisin hankintasi." in text and "Hei Anna Organiser," in text
    assert "/r/" not in text  # no registrant's link
    assert _mailings() == 0


def test_the_preview_is_the_message_the_worker_sends(make_event):
    event = make_event()
    shown = mailings.preview(event, {**SV, **FI}, {**SV_BODY, **FI_BODY}, "en")
    assert shown.subject == "Välkommen till workshopen"  # English falls back to Swedish
    assert "Ta med din senaste upphandling." in shown.body_text
    assert '<html lang="sv">' in shown.body_html


# --- refused -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subjects", "bodies", "send_at", "field"),
    [
        ({}, {}, None, "subjects.sv"),
        (FI, FI_BODY, None, "subjects.sv"),  # not in the event's language
        (SV, {"sv": " "}, None, "bodies.sv"),
        ({"sv": "x" * 201}, SV_BODY, None, "subjects.sv"),
        (SV, {"sv": "x" * 20_001}, None, "bodies.sv"),
        (SV, {"sv": "Hej\x00"}, None, "bodies.sv"),
        ({**SV, "fi": "Otsikko"}, SV_BODY, None, "bodies.fi"),  # a subject without a body
        ({**SV, "de": "Betreff"}, SV_BODY, None, "languages"),
        (SV, SV_BODY, "imorgon", "send_at"),
        (SV, SV_BODY, "2020-01-01T09:00", "send_at"),  # in the past
        (SV, SV_BODY, "2099-01-01T09:00", "send_at"),  # long after the event
    ],
)
def test_bad_mailings_are_refused_and_nothing_is_written(
    organiser, make_event, subjects, bodies, send_at, field
):
    event = make_event()
    _register(event)
    _quiet()
    with pytest.raises(ValidationError) as refused:
        mailings.create_mailing(organiser, event, subjects, bodies, {}, send_at=send_at)
    assert field in refused.value.fields
    assert _mailings() == 0 and _bulk_rows() == []


def test_a_local_time_the_clocks_skip_is_refused(organiser, make_event):
    start = datetime(2027, 3, 28, 8, 0, tzinfo=UTC)
    event = make_event(
        starts_at=start.isoformat(), ends_at=(start + timedelta(hours=6)).isoformat()
    )
    with pytest.raises(ValidationError) as refused:
        mailings.create_mailing(organiser, event, SV, SV_BODY, {}, send_at="2027-03-28T02:30")
    assert "02:30 den 2027-03-28 finns inte i Europe/Stockholm" in str(
        refused.value.fields["send_at"]
    )
    assert _mailings() == 0


# --- the pages ---------------------------------------------------------------------------------


@pytest.fixture
def signed_in(client, organiser, login):
    login()
    client.get("/?lang=en")
    return client


def _page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _form(**values) -> dict:
    data = {"subject_sv": SV["sv"], "body_sv": SV_BODY["sv"], "when": "now", "action": "preview"}
    data.update(values)
    return data


def test_the_page_previews_the_reach_and_each_language_then_sends(signed_in, make_event):
    event = make_event()
    for language in ("sv", "sv", "fi", "en"):
        _register(event, language=language)
    _quiet()
    url = f"/manage/events/{event.slug}/message"
    assert signed_in.get(url).status_code == 200
    shown = signed_in.post(url, data=_form(subject_fi=FI["fi"], body_fi=FI_BODY["fi"]))
    assert shown.status_code == 200
    page = _page(shown)
    assert "It will reach 4 people." in page
    assert re.search(r"Swedish</th>\s*<td[^>]*>3 people<", page)
    assert re.search(r"Finnish</th>\s*<td[^>]*>1 person<", page)
    assert "Tervetuloa työpajaan" in page and "Hei (the recipient" in page
    assert "Välkommen till workshopen" in page
    assert _bulk_rows() == [] and _mailings() == 0

    tested = signed_in.post(
        url, data=_form(action="test", subject_fi=FI["fi"], body_fi=FI_BODY["fi"])
    )
    assert tested.status_code == 200
    assert "2 test copies are on their way to anna@upphandlingsmyndigheten.se." in _page(tested)
    assert {r.recipient for r in _bulk_rows()} == {"anna@upphandlingsmyndigheten.se"}

    sent = signed_in.post(
        url, data=_form(action="send", subject_fi=FI["fi"], body_fi=FI_BODY["fi"])
    )
    assert sent.status_code == 302
    assert sent.headers["Location"].endswith(f"/manage/events/{event.slug}/mailings")
    listing = _page(signed_in.get(sent.headers["Location"]))
    assert "The message is queued for 4 people." in listing
    assert "Välkommen till workshopen" in listing and "Swedish, Finnish" in listing
    assert len(_bulk_rows()) == 2 + 4


def test_the_chosen_people_only(signed_in, make_event):
    event = make_event()
    a, b, c = (_register(event) for _n in range(3))
    _quiet()
    url = f"/manage/events/{event.slug}/message"
    page = _page(signed_in.get(f"{url}?id={a.id}&id={c.id}"))
    assert "Only the people you chose in the list of registrations: 2 people." in page
    assert f'name="id" value="{a.id}"' in page and f'name="id" value="{c.id}"' in page
    sent = signed_in.post(url, data={**_form(action="send"), "id": [str(a.id), str(c.id)]})
    assert sent.status_code == 302
    assert sorted(r.recipient for r in _bulk_rows()) == sorted([a.email, c.email])
    assert b.email not in {r.recipient for r in _bulk_rows()}


def test_the_filters_choose_who_gets_it(signed_in, make_event):
    event = make_event(capacity=2)
    first = _register(event)
    _register(event, target_group="supplier")
    _register(event)  # waitlisted
    gone = _register(event)
    services.cancel(gone)
    services.check_in(first, True)
    _quiet()
    url = f"/manage/events/{event.slug}/message"
    for filters, expected in [
        ({}, 3),
        ({"status": "confirmed", "attended": "yes"}, 1),
        ({"target_group": "supplier"}, 1),
        ({"status": "cancelled"}, 1),
    ]:
        before = len(_bulk_rows())
        assert signed_in.post(url, data=_form(action="send", **filters)).status_code == 302
        assert len(_bulk_rows()) - before == expected, filters
    assert signed_in.post(url, data=_form(action="send", status="everyone")).status_code == 400


def test_bad_input_on_the_page_is_400_at_the_field_and_nothing_is_written(signed_in, make_event):
    event = make_event()
    _register(event)
    _quiet()
    url = f"/manage/events/{event.slug}/message"
    refused = signed_in.post(url, data=_form(action="send", subject_sv=" ", body_sv=""))
    assert refused.status_code == 400
    page = _page(refused)
    assert re.search(r'id="subject_sv-error"><span[^>]*>Error:</span> Enter a subject\.', page)
    assert re.search(r'id="body_sv-error"><span[^>]*>Error:</span> Enter the text of the', page)
    assert 'href="#subject_sv"' in page  # the error summary links to the field
    assert _mailings() == 0 and _bulk_rows() == []


def test_a_nonexistent_local_time_on_the_page(signed_in, make_event):
    start = datetime(2027, 3, 28, 8, 0, tzinfo=UTC)
    event = make_event(
        starts_at=start.isoformat(), ends_at=(start + timedelta(hours=6)).isoformat()
    )
    url = f"/manage/events/{event.slug}/message"
    for action in ("preview", "send"):
        refused = signed_in.post(
            url, data=_form(action=action, when="at", send_at="2027-03-28T02:30")
        )
        assert refused.status_code == 400
        page = _page(refused)
        assert re.search(r'id="send_at-error".*does not exist in Europe/Stockholm', page)
    assert _mailings() == 0


def test_scheduling_and_cancelling_on_the_page(signed_in, make_event):
    event = make_event()
    _register(event)
    _quiet()
    url = f"/manage/events/{event.slug}/message"
    at = (event.starts_at - timedelta(days=1)).astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Stockholm")
    )
    when = at.replace(tzinfo=None).isoformat(timespec="minutes")
    preview = _page(signed_in.post(url, data=_form(when="at", send_at=when)))
    assert "Schedule it" in preview
    done = signed_in.post(url, data=_form(action="send", when="at", send_at=when))
    assert done.status_code == 302
    listing = _page(signed_in.get(done.headers["Location"]))
    assert f"The message will be sent on {at:%Y-%m-%d} at {at:%H:%M} (Europe/Stockholm)." in listing
    assert "Scheduled" in listing and "1 now" in listing
    [mailing] = db.session.scalars(sa.select(Mailing)).all()
    cancelled = signed_in.post(f"/manage/events/{event.slug}/mailings/{mailing.id}/cancel")
    assert cancelled.status_code == 302
    listing = _page(signed_in.get(cancelled.headers["Location"]))
    assert "The scheduled message is cancelled." in listing
    db.session.expire_all()
    assert db.session.get(Mailing, mailing.id).status == "cancelled"
    again = signed_in.post(f"/manage/events/{event.slug}/mailings/{mailing.id}/cancel")
    assert "Only a scheduled message can be cancelled" in _page(
        signed_in.get(again.headers["Location"])
    )


def test_another_organisers_event_is_not_theirs(client, make_event, app):
    from core.auth import create_organiser

    event = make_event()
    create_organiser("bo@example.org", "Bo", "secret-pass")
    client.post("/login", data={"email": "bo@example.org", "password": "secret-pass"})
    assert client.get(f"/manage/events/{event.slug}/message").status_code == 403
    assert client.get(f"/manage/events/{event.slug}/mailings").status_code == 403


# --- the JSON API ------------------------------------------------------------------------------


def test_the_api_schedules_lists_and_refuses(client, auth, make_event, organiser):
    event = make_event()
    _register(event)
    _register(event, language="fi")
    _quiet()
    url = f"/api/v1/events/{event.slug}/mailings"
    at = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    created = client.post(
        url,
        json={
            "subjects": {**SV, **FI},
            "bodies": {**SV_BODY, **FI_BODY},
            "audience": {"status": "confirmed"},
            "send_at": at.isoformat(),
        },
        headers=auth,
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["status"] == "scheduled" and body["recipient_count"] is None
    assert body["reach"] == {"total": 2, "by_language": {"sv": 1, "fi": 1}}
    assert datetime.fromisoformat(body["send_at"]) == at
    assert _bulk_rows() == []

    now = client.post(url, json={"subjects": SV, "bodies": SV_BODY}, headers=auth)
    assert now.status_code == 201 and now.get_json()["status"] == "sent"
    assert now.get_json()["recipient_count"] == 2
    listing = client.get(url, headers=auth).get_json()["mailings"]
    assert [m["status"] for m in listing] == ["scheduled", "sent"]

    for payload, field in [
        ({"subjects": FI, "bodies": FI_BODY}, "subjects.sv"),
        ({"bodies": SV_BODY}, "subjects.sv"),
        ({"subjects": SV, "bodies": {"sv": "Hej\x00"}}, "bodies.sv"),
        ({"subjects": SV, "bodies": SV_BODY, "send_at": "2020-01-01T09:00"}, "send_at"),
        (
            {"subjects": SV, "bodies": SV_BODY, "audience": {"status": "everyone"}},
            "audience.status",
        ),
        ({"subjects": SV, "bodies": SV_BODY, "audience": {"q": "x" * 101}}, "audience.q"),
        ({"subjects": SV, "bodies": SV_BODY, "audience": {"ids": [0]}}, "audience.ids"),
    ]:
        refused = client.post(url, json=payload, headers=auth)
        assert refused.status_code == 422, payload  # the API answers invalid bodies 422
        assert field in refused.get_json()["error"]["fields"], (payload, refused.get_json())
    assert _mailings() == 2
    from core.auth import create_api_token, create_organiser

    other = create_organiser("bo@example.org", "Bo", "secret-pass")
    other_auth = {"Authorization": f"Bearer {create_api_token(other)}"}
    assert (
        client.post(url, json={"subjects": SV, "bodies": SV_BODY}, headers=other_auth).status_code
        == 403
    )
    assert (
        client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/events/{slug}/mailings"][
            "post"
        ]["operationId"]
        == "createMailing"
    )
