"""Changing, adding or removing a session of a published event with registrants: the organiser
first sees how many people will be emailed (by status and language), the session's old and new
time and room, and the notice in each recipient's language; only "Save and notify" (or "Remove
and notify") saves and queues. The notices that reach a real SMTP server say what the session
was and is, in each person's language. Cancelling shows the count and the notice too."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from core.db import db, utcnow
from core.i18n import format_span
from core.models import OutboxMessage
from core.outbox_sending import send_due
from events.models import Event
from tests.core.smtp import smtp_server
from tests.events.test_change_notice import hidden_fields, local, notices, registered

STOCKHOLM = ZoneInfo("Europe/Stockholm")
TITLES = {"sv": "Verkstad", "en": "Workshop", "fi": "Työpaja"}


def with_agenda(make_event):
    """registered()'s event (3 confirmed sv, fi, en; 1 waitlisted fi) with two sessions, the
    first with its title in all three languages."""
    start = (utcnow() + timedelta(days=7)).replace(hour=8, minute=0, second=0, microsecond=0)

    def at(hours: float) -> str:
        return (start + timedelta(hours=hours)).isoformat()

    sessions = [
        {
            "title": TITLES["sv"],
            "translations": {"en": {"title": TITLES["en"]}, "fi": {"title": TITLES["fi"]}},
            "starts_at": at(1),
            "ends_at": at(2),
            "room": "Sal A",
        },
        {"title": "Lunch", "starts_at": at(3), "ends_at": at(4), "room": ""},
    ]
    return registered(lambda **kw: make_event(sessions=sessions, **kw))


def session_form(event: Event, index: int = 0, **changes: str) -> dict[str, str]:
    """What the session's edit page sends for it as it is, with `changes`."""
    session = event.sessions[index]
    data = {
        "title": session.title,
        "description": session.description or "",
        "starts_at": local(session.starts_at),
        "ends_at": local(session.ends_at),
        "room": session.room or "",
        "speakers": "",
        "capacity": "",
    }
    for lang, texts in (session.translations or {}).items():
        data[f"title_{lang}"] = texts.get("title", "")
        data[f"description_{lang}"] = texts.get("description", "")
    data.update(changes)
    return data


def saved(event_id: int) -> Event:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Event, event_id)


def test_a_session_edit_shows_the_count_and_the_notice_in_every_language(
    app, make_event, client, login
):
    event = with_agenda(make_event)
    session = event.sessions[0]
    old_start, old_end = session.starts_at, session.ends_at
    new_start = old_start + timedelta(minutes=30)
    login()
    client.get("/?lang=en")
    edit = f"/manage/events/{event.slug}/sessions/{session.id}/edit"
    form = session_form(
        event, starts_at=local(new_start), ends_at=local(old_end + timedelta(minutes=30))
    )
    form["room"] = "Sal B"
    response = client.post(edit, data=form)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "This change will email 4 people" in page
    assert "3 confirmed, 1 on the waiting list." in page
    assert "Swedish: 1 person" in page and "English: 1 person" in page
    assert "Finnish: 2 people" in page
    # Old and new side by side, in the page's language.
    assert "Session: Workshop" in page
    assert format_span(old_start, old_end, "Europe/Stockholm", "en") + ", Sal A" in page
    new_span = format_span(new_start, old_end + timedelta(minutes=30), "Europe/Stockholm", "en")
    assert new_span + ", Sal B" in page
    # The notice in each recipient's language, with the session's title in it.
    for lang, was, now in (("sv", "Tidigare:", "Nu:"), ("fi", "Aiemmin:", "Nyt:")):
        span = format_span(old_start, old_end, "Europe/Stockholm", lang)
        assert f'lang="{lang}"' in page and f"{was} {span}, Sal A" in page
        assert now in page and TITLES[lang] in page
    assert "Save and notify" in page and "Go back" in page
    # Nothing saved, nothing queued.
    assert saved(event.id).sessions[0].room == "Sal A" and notices() == 0

    carried = hidden_fields(page)
    assert ("room", "Sal B") in carried
    back = client.post(edit, data=MultiDict([*carried, ("back", "1")]))
    assert back.status_code == 200
    assert 'value="Sal B"' in back.get_data(as_text=True)  # the form again, as written
    assert saved(event.id).sessions[0].room == "Sal A" and notices() == 0

    done = client.post(edit, data=MultiDict([*carried, ("confirmed", "1")]))
    assert done.status_code == 302
    event = saved(event.id)
    assert event.sessions[0].room == "Sal B" and event.sessions[0].starts_at == new_start
    assert notices() == 4


def test_confirming_sends_each_person_the_old_and_new_session_time_in_their_language(
    app, make_app, make_event, client, login
):
    event = with_agenda(make_event)
    session = event.sessions[0]
    old_start, old_end = session.starts_at, session.ends_at
    new_start, new_end = old_start + timedelta(hours=1), old_end + timedelta(hours=1)
    login()
    edit = f"/manage/events/{event.slug}/sessions/{session.id}/edit"
    with smtp_server() as smtp:
        worker = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
        with worker.app_context():
            send_due()  # the confirmations and the waiting-list notice
            db.session.remove()
        smtp.received.clear()
        page = client.post(
            edit, data=session_form(event, starts_at=local(new_start), ends_at=local(new_end))
        ).get_data(as_text=True)
        with worker.app_context():
            assert send_due() == 0  # the check sent nothing
            db.session.remove()
        confirm = MultiDict([*hidden_fields(page), ("confirmed", "1")])
        assert client.post(edit, data=confirm).status_code == 302
        with worker.app_context():
            assert send_due() == 4
            db.session.remove()
    received = {m["To"]: m for m in smtp.messages}
    assert len(received) == 4
    words = {
        "sv": ("Tidigare:", "Nu:", "Ändrad tid eller plats"),
        "fi": ("Aiemmin:", "Nyt:", "Aika tai paikka muuttunut"),
        "en": ("Was:", "Now:", "Changed time or place"),
    }
    for n, language in enumerate(["sv", "fi", "en", "fi"], 1):
        message = received[f"maja{n}@stockholm.se"]
        was, now, subject = words[language]
        assert message["Subject"].startswith(subject)
        text = message.get_body(("plain",)).get_content()
        old = format_span(old_start, old_end, "Europe/Stockholm", language)
        new = format_span(new_start, new_end, "Europe/Stockholm", language)
        assert f"- {TITLES[language]}" in text, text
        assert f"{was} {old}, Sal A" in text and f"{now} {new}, Sal A" in text
        body = message.get_body(("html",)).get_content()
        assert f'<html lang="{language}">' in body and f"<del>{old}, Sal A</del>" in body


def test_removing_a_session_asks_with_the_count_and_sends_only_on_confirm(
    app, make_event, client, login
):
    event = with_agenda(make_event)
    session = event.sessions[0]
    login()
    client.get("/?lang=en")
    url = f"/manage/events/{event.slug}/sessions/{session.id}/delete"
    page = client.get(url).get_data(as_text=True)
    assert "This change will email 4 people" in page
    assert "Removed from the agenda" in page and "Remove and notify" in page
    for lang in ("sv", "en", "fi"):
        assert f'id="notice-{lang}"' in page and TITLES[lang] in page
    assert "tagits bort från programmet" in page  # the Swedish notice says it was removed
    assert len(saved(event.id).sessions) == 2 and notices() == 0
    # No CSRF token: refused, nothing removed.
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(url, data={"confirmed": "1"}).status_code == 400
        assert len(saved(event.id).sessions) == 2 and notices() == 0
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert client.post(url, data={"confirmed": "1"}).status_code == 302
    assert [s.title for s in saved(event.id).sessions] == ["Lunch"]
    assert notices() == 4
    [row] = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.recipient == "maja3@stockholm.se")
        .where(OutboxMessage.kind == "event_changed")
    )
    assert row.facts["previous"]["sessions"][0]["change"] == "removed"
    assert row.facts["previous"]["sessions"][0]["title"] == "Workshop"


def test_a_session_change_nobody_hears_of_is_saved_at_once(app, make_event, client, login):
    event = with_agenda(make_event)
    login()
    client.get("/?lang=en")
    edit = f"/manage/events/{event.slug}/sessions/{event.sessions[0].id}/edit"
    # A description sends no notice.
    response = client.post(edit, data=session_form(event, description="Ta med dator."))
    assert response.status_code == 302
    assert saved(event.id).sessions[0].description == "Ta med dator." and notices() == 0
    # A draft has nobody to tell.
    db.session.execute(sa.delete(OutboxMessage))
    db.session.commit()
    draft = make_event(
        status="draft",
        sessions=[
            {
                "title": "Verkstad",
                "starts_at": (event.starts_at + timedelta(hours=1)).isoformat(),
                "ends_at": (event.starts_at + timedelta(hours=2)).isoformat(),
            }
        ],
    )
    edit = f"/manage/events/{draft.slug}/sessions/{draft.sessions[0].id}/edit"
    response = client.post(edit, data=session_form(draft, room="Sal Ö"))
    assert response.status_code == 302 and saved(draft.id).sessions[0].room == "Sal Ö"
    url = f"/manage/events/{draft.slug}/sessions/{draft.sessions[0].id}/delete"
    assert "Yes, remove the session" in client.get(url).get_data(as_text=True)
    assert notices() == 0


def test_adding_a_session_to_a_published_event_asks_first(app, make_event, client, login):
    event = with_agenda(make_event)
    login()
    client.get("/?lang=en")
    url = f"/manage/events/{event.slug}/sessions/new"
    start = event.sessions[1].ends_at
    form = {
        "title": "Fika",
        "starts_at": local(start),
        "ends_at": local(start + timedelta(minutes=30)),
        "room": "",
    }
    page = client.post(url, data=form).get_data(as_text=True)
    assert "This change will email 4 people" in page and "Not in the agenda" in page
    assert len(saved(event.id).sessions) == 2 and notices() == 0
    done = client.post(url, data=MultiDict([*hidden_fields(page), ("confirmed", "1")]))
    assert done.status_code == 302 and len(saved(event.id).sessions) == 3 and notices() == 4


def test_bad_session_input_is_shown_at_the_field_and_changes_nothing(
    app, make_event, client, login
):
    # An event across the night Stockholm's clocks go forward (02:00 becomes 03:00).
    start = datetime(2027, 3, 27, 9, tzinfo=STOCKHOLM)
    event = registered(
        lambda **kw: make_event(
            starts_at=start.isoformat(),
            ends_at=(start + timedelta(days=1, hours=8)).isoformat(),
            sessions=[
                {
                    "title": "Natt",
                    "starts_at": (start + timedelta(hours=1)).isoformat(),
                    "ends_at": (start + timedelta(hours=2)).isoformat(),
                }
            ],
            **kw,
        )
    )
    login()
    client.get("/?lang=en")
    edit = f"/manage/events/{event.slug}/sessions/{event.sessions[0].id}/edit"
    response = client.post(edit, data=session_form(event, starts_at="2027-03-28T02:30"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#starts_at"' in page and "does not exist" in page
    assert "This change will email" not in page
    # The confirm step checks again what it is sent back (a changed hidden field).
    confirm = MultiDict(
        [*session_form(event, starts_at="2027-03-28T02:30").items(), ("confirmed", "1")]
    )
    assert client.post(edit, data=confirm).status_code == 422
    # A NUL character is refused at the edge (core.guard) with a page that says so.
    nul = client.post(edit, data=session_form(event, room="Sal\x00A"))
    assert nul.status_code == 400
    assert "cannot be saved" in nul.get_data(as_text=True)
    nul = client.post(
        edit, data=MultiDict([*session_form(event, room="A\x00").items(), ("confirmed", "1")])
    )
    assert nul.status_code == 400
    assert saved(event.id).sessions[0].starts_at == start + timedelta(hours=1)
    assert notices() == 0


def test_the_api_saves_sessions_without_the_step(app, make_event, client, auth):
    event = with_agenda(make_event)
    agenda = [
        {
            "id": s.id,
            "title": s.title,
            "starts_at": (s.starts_at + timedelta(minutes=15)).isoformat(),
            "ends_at": (s.ends_at + timedelta(minutes=15)).isoformat(),
            "room": s.room,
        }
        for s in event.sessions
    ]
    response = client.patch(f"/api/v1/events/{event.slug}", json={"sessions": agenda}, headers=auth)
    assert response.status_code == 200 and notices() == 4
    document = client.get("/api/v1/openapi.json").get_json()
    patch = document["paths"]["/api/v1/events/{slug}"]["patch"]
    assert "no confirmation step" in patch["summary"]
    assert "agenda (`sessions`" in patch["summary"]
    cancel = document["paths"]["/api/v1/events/{slug}/cancel"]["post"]["summary"]
    assert "no confirmation step" in cancel


def test_cancelling_shows_how_many_are_emailed_and_the_notice(app, make_event, client, login):
    event = registered(make_event)
    login()
    client.get("/?lang=en")
    page = client.get(f"/manage/events/{event.slug}/cancel").get_data(as_text=True)
    assert "Cancelling will email 4 people" in page
    assert "3 confirmed, 1 on the waiting list." in page
    assert "Finnish: 2 people" in page and "Yes, cancel and notify" in page
    assert "Inställt: " in page and "Peruttu: " in page and "Cancelled: " in page
    assert notices() == 0
    assert client.post(f"/manage/events/{event.slug}/cancel").status_code == 302
    count = sa.select(sa.func.count()).where(OutboxMessage.kind == "event_cancelled")
    assert db.session.scalar(count) == 4
