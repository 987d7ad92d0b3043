"""The event page leads to registering: a box at the top with when, where, for whom, places and
the one button; the agenda by day; the facts as a summary list. A past event says it has ended
and offers no calendar entry; an online event names its zone; the event form offers the zones
we support in a list."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from core.db import utcnow
from tests.events.test_public_pages import _event


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def box_of(page: str) -> str:
    match = re.search(r'<section class="mp-decide".*?</section>', page, re.S)
    assert match, "no decision box"
    return match.group(0)


def test_the_box_at_the_top_holds_what_a_person_decides_on(client, make_event):
    event = _event(make_event, "Workshop i Göteborg", capacity=40)
    page = text(client.get(f"/events/{event.slug}?lang=en"))
    box = box_of(page)
    for key in ("When", "Where", "Who it is for"):
        assert f'<dt class="govuk-summary-list__key">{key}</dt>' in box
    assert "Stadshuset" in box and "Contracting authorities, Suppliers" in box
    assert "Registration is open: 40 places left." in box
    assert box.count("Register for the event") == 1
    assert page.count("Register for the event") == 1  # one primary action
    # Above the description and the agenda.
    assert page.index("mp-decide") < page.index("About the event")
    # The facts as a summary list, not a browser-default list.
    assert '<dl class="govuk-summary-list' in page[page.index("Facts about the event") :]


def test_a_full_event_says_waiting_list_in_the_box(client, make_event):
    from participants import services
    from tests.participants.helpers import person

    event = _event(make_event, "Small workshop", capacity=1)
    services.register(event, person(1))
    box = box_of(text(client.get(f"/events/{event.slug}?lang=en")))
    assert "Waiting list" in box and "(0 waiting)" in box
    assert "Register for the event" in box


def test_a_past_event_says_it_has_ended_and_offers_no_calendar_entry(client, make_event):
    event = _event(make_event, "Last month's workshop", days=-30)
    page = text(client.get(f"/events/{event.slug}?lang=en"))
    assert "This event has ended." in box_of(page)
    assert f"/events/{event.slug}.ics" not in page
    assert "Add to calendar" not in page
    assert "Register for the event" not in page

    upcoming = _event(make_event, "Next week's workshop")
    assert f"/events/{upcoming.slug}.ics" in text(client.get(f"/events/{upcoming.slug}"))


def test_an_online_event_names_its_zone_even_in_stockholm_time(client, make_event):
    event = _event(make_event, "Webbinarium", kind="webinar", format="online", venue={})
    page = text(client.get(f"/events/{event.slug}?lang=fi"))
    assert (
        "Ajat ovat Keski-Euroopan aika (Tukholma)." in page
        or "Keski-Euroopan aika (Tukholma)" in page
    )
    listing = text(client.get("/?lang=sv"))
    card = listing[listing.index("Webbinarium") :]
    assert "centraleuropeisk tid (Stockholm)" in card[: card.index("</li>")]

    in_person = _event(make_event, "På plats")
    assert "centraleuropeisk tid" not in box_of(
        text(client.get(f"/events/{in_person.slug}?lang=sv"))
    )


def test_the_agenda_is_grouped_by_day_with_rooms(client, make_event):
    start = (utcnow() + timedelta(days=10)).replace(hour=8, minute=0, second=0, microsecond=0)
    sessions = [
        {
            "title": "Day one opening",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
            "room": "Sal A",
        },
        {
            "title": "Day two workshop",
            "starts_at": (start + timedelta(days=1)).isoformat(),
            "ends_at": (start + timedelta(days=1, hours=2)).isoformat(),
            "room": "Sal B",
        },
    ]
    event = make_event(
        starts_at=start.isoformat(),
        ends_at=(start + timedelta(days=1, hours=8)).isoformat(),
        sessions=sessions,
    )
    page = text(client.get(f"/events/{event.slug}?lang=en"))
    agenda = page[page.index('id="agenda-heading"') :]
    days = re.findall(r'<h3 class="govuk-heading-m" id="agenda-day-\d+">([^<]+)</h3>', agenda)
    assert len(days) == 2
    assert agenda.index(days[0]) < agenda.index("Day one opening") < agenda.index(days[1])
    assert agenda.index(days[1]) < agenda.index("Day two workshop")
    assert "Room: Sal A" in agenda and "Room: Sal B" in agenda


@pytest.fixture
def signed_in(client, organiser, login):
    login()
    client.get("/?lang=en")
    return client


def test_the_time_zone_is_picked_from_a_list(signed_in, make_event):
    page = text(signed_in.get("/manage/events/new"))
    select = re.search(r'<select [^>]*id="timezone" name="timezone">(.*?)</select>', page, re.S)
    assert select, "the zone is not a list"
    values = re.findall(r'<option (?:selected )?value="([^"]+)"', select.group(1))
    assert values[:2] == ["Europe/Stockholm", "Europe/Helsinki"]
    assert "Helsinki – Eastern European Time" in select.group(1)
    assert '<input id="timezone"' not in page

    # An event saved (through the API) in another zone keeps it as a choice when edited.
    event = make_event(timezone="Europe/London")
    edit = text(signed_in.get(f"/manage/events/{event.slug}/edit"))
    assert re.search(r'<option selected value="Europe/London">', edit)
