"""What a person sees in their calendar from our public files: one entry per event (a block on
each day for a multi-day event), a plain-text description in their language, no internal
codes, no join link; and the "Add to Google Calendar" / "Add to Outlook" links. Each file is
read back by vobject (a second parser) and by icalendar's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import icalendar

from core.db import utcnow
from tests.events.test_calendar import get_ics, read, unfold, utc

TWO_DAYS_HELSINKI = {
    "timezone": "Europe/Helsinki",
    "language": "fi",
    "starts_at": "2027-05-20T09:00",
    "ends_at": "2027-05-21T16:00",
}
MARKDOWN = "## Välkommen\n\n**Sysselsättningskrav** i praktiken.\n\n- Planera\n- Följ upp"


def occurrences(vevent) -> list[tuple[datetime, datetime]]:
    """Each day's (start, end) in UTC as a calendar program expands the entry (vobject)."""
    length = vevent.dtend.value - vevent.dtstart.value
    rules = vevent.getrruleset()
    starts = list(rules) if rules is not None else [vevent.dtstart.value]
    return [(utc(start), utc(start + length)) for start in starts]


def test_a_two_day_event_is_one_entry_with_a_block_on_each_day(client, make_event):
    event = make_event(**TWO_DAYS_HELSINKI)

    body = get_ics(client, f"/events/{event.slug}.ics?lang=en").data
    (vevent,) = read(body).vevent_list

    # 9.00–16.00 Helsinki time (UTC+3 in May) on each of the two days, not one block
    # from the first morning to the second afternoon.
    assert occurrences(vevent) == [
        (datetime(2027, 5, 20, 6, 0, tzinfo=UTC), datetime(2027, 5, 20, 13, 0, tzinfo=UTC)),
        (datetime(2027, 5, 21, 6, 0, tzinfo=UTC), datetime(2027, 5, 21, 13, 0, tzinfo=UTC)),
    ]
    assert "2 days, 09:00–16:00 each day: 2027-05-20, 2027-05-21" in vevent.description.value
    (parsed,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert parsed["RRULE"]["FREQ"] == ["DAILY"] and parsed["RRULE"]["COUNT"] == [2]


def test_an_evening_past_midnight_stays_one_entry(client, make_event):
    event = make_event(starts_at="2026-09-10T18:00", ends_at="2026-09-11T01:00")

    (vevent,) = read(get_ics(client, f"/events/{event.slug}.ics").data).vevent_list

    assert occurrences(vevent) == [
        (datetime(2026, 9, 10, 16, 0, tzinfo=UTC), datetime(2026, 9, 10, 23, 0, tzinfo=UTC))
    ]
    assert "RRULE" not in unfold(get_ics(client, f"/events/{event.slug}.ics").data.decode())


def test_the_description_is_plain_text_in_the_readers_language(client, make_event):
    event = make_event(
        description=MARKDOWN,
        format="hybrid",
        online_url="https://meet.example/secret-room",
        target_groups=[{"code": "civil_society"}, {"code": "contracting_authority"}],
    )

    body = get_ics(client, f"/events/{event.slug}.ics?lang=en").data
    vevent = read(body).vevent
    text = vevent.description.value

    assert text.startswith("Välkommen\n\nSysselsättningskrav i praktiken.\n\n• Planera\n• Följ upp")
    for markup in ("**", "##", "<", "- Planera"):
        assert markup not in text
    assert "Who it is for: Civil society and social economy, Contracting authorities" in text
    assert "civil_society" not in unfold(body.decode())  # no internal codes anywhere
    assert vevent.categories.value == ["Workshop"]
    # The join link is for confirmed registrants only, never in the public entry.
    assert "secret-room" not in unfold(body.decode())


def test_the_swedish_file_names_the_groups_in_swedish(client, make_event):
    event = make_event(target_groups=[{"code": "supplier"}])

    text = read(get_ics(client, f"/events/{event.slug}.ics?lang=sv").data).vevent.description.value

    assert "Leverantörer" in text and "supplier" not in text


def _links(page: str, client=None) -> dict[str, dict[str, list[str]]]:
    """The Google and Outlook links of a page, each as its decoded query; with a client, the
    page's own "add to" links are followed to where they send the visitor."""
    import html
    import re

    found = {}
    for href in re.findall(r'href="([^"]+)"', page):
        url = html.unescape(href)
        if client is not None and re.search(r"/calendar/(google|outlook)$", url):
            answer = client.get(url)
            assert answer.status_code == 303
            url = answer.headers["Location"]
        host = urlsplit(url).netloc
        if host in ("calendar.google.com", "outlook.live.com"):
            found[host] = parse_qs(urlsplit(url).query)
    return found


def test_the_event_page_offers_google_and_outlook(client, make_event):
    event = make_event(
        title="Krav & kvalitet: 100 % sysselsättning?",
        description=MARKDOWN,
        **TWO_DAYS_HELSINKI,
    )

    page = client.get(f"/events/{event.slug}?lang=en").get_data(as_text=True)
    links = _links(page, client)

    google, outlook = links["calendar.google.com"], links["outlook.live.com"]
    assert google["action"] == ["TEMPLATE"]
    assert google["text"] == [event.title]  # &, %, ? and : arrive as written
    assert google["dates"] == ["20270520T060000Z/20270520T130000Z"]
    assert google["recur"] == ["RRULE:FREQ=DAILY;COUNT=2"]
    assert google["ctz"] == ["Europe/Helsinki"]
    assert google["location"] == ["Stadshuset, Hantverkargatan 1, Stockholm, Sverige"]
    assert "**" not in google["details"][0] and "• Planera" in google["details"][0]
    assert outlook["subject"] == [event.title]
    assert outlook["startdt"] == ["2027-05-20T06:00:00Z"]
    assert outlook["enddt"] == ["2027-05-21T13:00:00Z"]
    assert "09:00–16:00 each day" in outlook["body"][0]
    assert f'href="/events/{event.slug}.ics"' in page


def test_a_past_event_offers_no_calendar_entry(client, make_event):
    start = (utcnow() - timedelta(days=3)).replace(microsecond=0)
    event = make_event(
        starts_at=start.isoformat(), ends_at=(start + timedelta(hours=3)).isoformat()
    )

    page = client.get(f"/events/{event.slug}?lang=en").get_data(as_text=True)

    assert _links(page, client) == {}
    assert f"/events/{event.slug}.ics" not in page
    assert "/calendar/google" not in page
    assert client.get(f"/events/{event.slug}/calendar/google").status_code == 404
