"""A registrant's own calendar entry (the confirmation's attachment and /r/<token>/calendar.ics):
the event and only the sessions they chose, the join link because they hold a place, in their
language; and their "Add to Google Calendar" / "Add to Outlook" links. Read back by vobject
and by icalendar's own parser."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import icalendar
import vobject

from events.services import update_event
from participants import services
from tests.conftest import event_data
from tests.participants.helpers import outbox, person, unfold

JOIN = "https://meet.example/room-42"


def parallel_workshops(make_event, **kw):
    """A hybrid event with two parallel workshops in the afternoon."""
    start = event_data()["starts_at"]
    from datetime import datetime

    base = datetime.fromisoformat(start)
    afternoon = (base + timedelta(hours=4)).isoformat()
    end = (base + timedelta(hours=5)).isoformat()
    return make_event(
        format="hybrid",
        online_url=JOIN,
        target_groups=[{"code": "contracting_authority"}, {"code": "civil_society"}],
        sessions=[
            {"title": "Verkstad A: Planera", "starts_at": afternoon, "ends_at": end},
            {"title": "Verkstad B: Följa upp", "starts_at": afternoon, "ends_at": end},
        ],
        **kw,
    )


def read(text: str):
    icalendar.Calendar.from_ical(text)
    return vobject.readOne(text)


def test_the_download_holds_the_event_and_only_the_chosen_session(client, make_event):
    event = parallel_workshops(make_event)
    chosen, other = event.sessions
    registration = services.register(event, person(1, sessions=[chosen.id], language="en"))

    response = client.get(f"/r/{registration.token}/calendar.ics")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    cal = read(text)

    (vevent,) = cal.vevent_list  # one entry, not one per session
    description = vevent.description.value
    assert "Your sessions:" in description
    assert "Verkstad A: Planera" in description
    assert "Verkstad B" not in unfold(text)
    assert f"Join online: {JOIN}" in description  # confirmed: the link is theirs
    assert vevent.conference.value == JOIN
    assert "Who it is for: Civil society and social economy, Contracting authorities" in (
        description
    )
    assert "contracting_authority" not in unfold(text)


def test_the_finnish_confirmation_carries_a_finnish_entry_with_the_join_link(make_event):
    event = parallel_workshops(make_event)
    chosen = event.sessions[1]
    services.register(event, person(1, sessions=[chosen.id], language="fi"))

    [message] = outbox("confirmed")
    [attachment, qr] = message.attachments  # the calendar entry, then the ticket's QR code
    assert qr["filename"] == "ticket-qr.png"
    text = attachment["data"]
    vevent = read(text).vevent
    description = vevent.description.value

    assert "Kohderyhmät: Hankintayksiköt, Kansalaisyhteiskunta ja yhteisötalous" in description
    assert "Verkstad B: Följa upp" in description and "Verkstad A" not in description
    assert JOIN in description
    assert "**" not in description  # the Markdown of the description is rendered to text


def test_a_change_of_time_keeps_the_join_link_in_the_updated_entry(make_event, organiser):
    event = parallel_workshops(make_event)
    services.register(event, person(1, language="en"))
    later = event.starts_at + timedelta(hours=1)
    update_event(organiser, event, {"starts_at": later.isoformat()})

    [message] = outbox("event_changed")
    vevent = read(message.attachments[0]["data"]).vevent

    assert JOIN in vevent.description.value
    assert vevent.sequence.value == "1"


def test_a_waitlisted_person_gets_no_entry_and_no_links(client, make_event):
    event = parallel_workshops(make_event, capacity=1)
    services.register(event, person(1))
    waiting = services.register(event, person(2, language="en"))
    assert waiting.status == "waitlisted"

    page = client.get(f"/r/{waiting.token}").get_data(as_text=True)

    assert "calendar.google.com" not in page and "outlook.live.com" not in page
    assert client.get(f"/r/{waiting.token}/calendar.ics").status_code == 409


def test_the_persons_page_offers_their_own_google_and_outlook_entry(client, make_event):
    event = parallel_workshops(make_event)
    chosen = event.sessions[0]
    registration = services.register(event, person(1, sessions=[chosen.id], language="en"))

    page = client.get(f"/r/{registration.token}").get_data(as_text=True)
    queries = {
        urlsplit(url).netloc: parse_qs(urlsplit(url).query)
        for url in map(html.unescape, re.findall(r'href="([^"]+)"', page))
        if urlsplit(url).netloc in ("calendar.google.com", "outlook.live.com")
    }

    google = queries["calendar.google.com"]
    assert google["text"] == [event.title]
    assert "Verkstad A: Planera" in google["details"][0]
    assert "Verkstad B" not in google["details"][0]
    assert JOIN in google["details"][0]
    assert JOIN in queries["outlook.live.com"]["body"][0]
    assert f'href="/r/{registration.token}/calendar.ics"' in page
