"""Changing a published event's time or place: the organiser first sees who will be emailed
and the notice, and only "Save and notify" saves; the notice each person receives (through a
real SMTP server) says what the time and place were and are, in their own language."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from core.db import db
from core.i18n import format_span
from core.models import OutboxMessage
from core.outbox_sending import send_due
from events.changes import change_preview
from events.models import TARGET_GROUPS, Event
from events.services import update_event
from participants import services as participants
from participants.models import Registration
from tests.core.smtp import smtp_server
from tests.participants.helpers import outbox, person

STOCKHOLM = ZoneInfo("Europe/Stockholm")
FORMAT = "%Y-%m-%dT%H:%M"


def registered(make_event, capacity=3):
    """A published event, three confirmed (sv, fi, en), one waitlisted (fi), one cancelled."""
    event = make_event(capacity=capacity)
    for n, language in enumerate(["sv", "fi", "en", "fi"], 1):
        participants.register(event, person(n, language=language))
    gone = participants.register(event, person(5, language="sv"))
    participants.cancel(db.session.get(Registration, gone.id))
    db.session.commit()
    return db.session.get(Event, event.id)


def local(moment, tz="Europe/Stockholm") -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime(FORMAT)


def edit_form(event: Event, **changes: str) -> dict[str, str]:
    """What the edit page sends for the event as it is, with `changes`."""
    data = {
        "title": event.title,
        "description": event.description,
        "kind": event.kind,
        "format": event.format,
        "language": event.language,
        "timezone": event.timezone,
        "starts_at": local(event.starts_at, event.timezone),
        "ends_at": local(event.ends_at, event.timezone),
        "venue_name": event.venue_name,
        "venue_address": event.venue_address,
        "venue_city": event.venue_city,
        "venue_country": event.venue_country,
        "online_url": event.online_url,
        "capacity": "" if event.capacity is None else str(event.capacity),
        "registration_opens_at": "",
        "registration_closes_at": "",
        "co_organisers": "",
    }
    quotas = {tg.code: tg.quota for tg in event.target_groups}
    for code in TARGET_GROUPS:
        if code in quotas:
            data[f"target_group_{code}"] = "y"
            data[f"quota_{code}"] = "" if quotas[code] is None else str(quotas[code])
    data.update(changes)
    return data


def hidden_fields(page: str) -> list[tuple[str, str]]:
    return [
        (html.unescape(name), html.unescape(value))
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    ]


def notices() -> int:
    query = sa.select(sa.func.count()).where(OutboxMessage.kind == "event_changed")
    return db.session.scalar(query)


def test_the_preview_counts_who_would_be_told_without_loading_them(app, make_event):
    event = registered(make_event)
    later = event.starts_at + timedelta(days=1)
    db.session.expunge_all()
    event = db.session.get(Event, event.id)
    preview = change_preview(
        event,
        {
            "starts_at": local(later),
            "ends_at": local(later + timedelta(hours=6)),
        },
    )
    assert not any(isinstance(o, Registration) for o in db.session.identity_map.values())
    assert (preview.confirmed, preview.waitlisted, preview.recipients) == (3, 1, 4)
    assert preview.languages == {"sv": 1, "fi": 2, "en": 1}
    assert preview.time_changed and not preview.place_changed and preview.notifies
    assert preview.after.starts_at == later and preview.before.starts_at == event.starts_at
    # Nothing was saved.
    db.session.rollback()
    assert db.session.get(Event, event.id).starts_at == event.starts_at
    assert notices() == 0


def test_no_preview_for_what_emails_nobody(app, make_event):
    event = registered(make_event)
    assert not change_preview(event, {"capacity": 70}).notifies  # neither time nor place
    draft = make_event(status="draft")
    moved = change_preview(draft, {"venue": {"name": "Kulturhuset", "city": "Stockholm"}})
    assert moved.place_changed and not moved.notifies  # a draft has nobody to tell
    empty = make_event()
    assert not change_preview(empty, {"venue": {"name": "Kulturhuset"}}).notifies


def test_the_edit_page_shows_the_check_and_saves_only_after_confirming(
    app, make_event, client, login
):
    event = registered(make_event)
    old_start = event.starts_at
    later = old_start + timedelta(days=2, hours=1)
    login()
    client.get("/?lang=en")
    response = client.post(
        f"/manage/events/{event.slug}/edit",
        data=edit_form(
            event,
            starts_at=local(later),
            ends_at=local(later + timedelta(hours=6)),
            venue_name="Kulturhuset",
            venue_address="Sergels torg 3",
        ),
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "This change will email 4 people" in page
    assert "3 confirmed, 1 on the waiting list." in page
    assert "Finnish: 2" in page and "Swedish: 1" in page and "English: 1" in page
    assert format_span(old_start, event.ends_at, "Europe/Stockholm", "en") in page
    assert format_span(later, later + timedelta(hours=6), "Europe/Stockholm", "en") in page
    assert "Stadshuset, Hantverkargatan 1, Stockholm, Sverige" in page
    assert "Kulturhuset, Sergels torg 3, Stockholm, Sverige" in page
    # The notice in the event's language (Swedish), old and new side by side.
    assert 'lang="sv"' in page and "Tidigare:" in page and "Nu:" in page
    assert "Save and notify" in page and "Go back" in page
    db.session.rollback()
    assert db.session.get(Event, event.id).starts_at == old_start and notices() == 0

    carried = hidden_fields(page)
    assert ("venue_name", "Kulturhuset") in carried
    edit = f"/manage/events/{event.slug}/edit"
    back = client.post(edit, data=MultiDict([*carried, ("back", "1")]))
    assert back.status_code == 200
    assert 'value="Kulturhuset"' in back.get_data(as_text=True)  # the form again, as written
    db.session.rollback()
    assert db.session.get(Event, event.id).venue_name == "Stadshuset" and notices() == 0

    saved = client.post(edit, data=MultiDict([*carried, ("confirmed", "1")]))
    assert saved.status_code == 302
    assert saved.headers["Location"] == f"/manage/events/{event.slug}"
    db.session.rollback()
    event = db.session.get(Event, event.id)
    assert event.starts_at == later and event.venue_name == "Kulturhuset"
    assert notices() == 4


def test_a_change_nobody_hears_of_is_saved_at_once(app, make_event, client, login):
    event = registered(make_event)
    login()
    edit = f"/manage/events/{event.slug}/edit"
    response = client.post(edit, data=edit_form(event, title="Krav i praktiken, del 2"))
    assert response.status_code == 302
    draft = make_event(status="draft")
    later = draft.starts_at + timedelta(days=1)
    response = client.post(
        f"/manage/events/{draft.slug}/edit",
        data=edit_form(draft, starts_at=local(later), ends_at=local(later + timedelta(hours=2))),
    )
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(Event, draft.id).starts_at == later


def test_a_wrong_field_is_shown_at_the_field_not_as_a_preview(app, make_event, client, login):
    event = registered(make_event)
    login()
    response = client.post(
        f"/manage/events/{event.slug}/edit", data=edit_form(event, starts_at="2027-03-28T02:30")
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#starts_at"' in page and "Spara och meddela" not in page


def test_the_api_saves_without_the_step(app, make_event, client, auth):
    event = registered(make_event)
    later = event.starts_at + timedelta(days=1)
    response = client.patch(
        f"/api/v1/events/{event.slug}",
        json={"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=6)).isoformat()},
        headers=auth,
    )
    assert response.status_code == 200
    assert notices() == 4
    document = client.get("/api/v1/openapi.json").get_json()
    summary = document["paths"]["/api/v1/events/{slug}"]["patch"]["summary"]
    assert "no confirmation step" in summary


def test_each_person_receives_the_old_and_new_time_and_place_in_their_language(
    app, make_app, make_event, organiser
):
    event = registered(make_event)
    old_start, old_end = event.starts_at, event.ends_at
    later = old_start + timedelta(days=3)
    with smtp_server() as smtp:
        worker = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
        with worker.app_context():
            send_due()  # the confirmations, the waiting-list notice, the cancellation
            db.session.remove()
        smtp.received.clear()
        update_event(
            organiser,
            event,
            {
                "starts_at": local(later),
                "ends_at": local(later + timedelta(hours=6)),
                "venue": {"name": "Kulturhuset", "city": "Stockholm", "country": "Sverige"},
            },
        )
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
        new = format_span(later, later + timedelta(hours=6), "Europe/Stockholm", language)
        assert f"{was} {old}" in text, text
        assert f"{now} {new}" in text
        assert f"{was} Stadshuset, Hantverkargatan 1, Stockholm, Sverige" in text
        assert f"{now} Kulturhuset, Stockholm, Sverige" in text
        body = message.get_body(("html",)).get_content()
        assert f'<html lang="{language}">' in body
        assert f"<del>{old}" in body and new in body


def test_only_the_time_is_compared_when_only_the_time_changed(app, make_event, organiser):
    event = registered(make_event)
    later = event.starts_at + timedelta(hours=1)
    update_event(
        organiser,
        event,
        {"starts_at": local(later), "ends_at": local(event.ends_at + timedelta(hours=1))},
    )
    [message, *_rest] = outbox("event_changed", "maja3@stockholm.se")
    assert message.body_text.count("Was:") == 1  # the time, not the place
    assert (
        "Was: "
        + format_span(
            later - timedelta(hours=1), event.ends_at - timedelta(hours=1), "Europe/Stockholm", "en"
        )
        in message.body_text
    )


def test_an_older_notice_without_the_old_values_still_renders(app, make_event, organiser):
    event = registered(make_event)
    update_event(organiser, event, {"venue": {"name": "Kulturhuset", "city": "Stockholm"}})
    row = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.kind == "event_changed"))
    facts = dict(row.facts)
    facts.pop("previous")
    row.facts = facts  # as queued before the notice carried them
    db.session.commit()
    [message] = outbox("event_changed", row.recipient)
    assert "Tidigare:" not in message.body_text and "Kulturhuset" in message.body_text
