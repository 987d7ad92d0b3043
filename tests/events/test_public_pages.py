"""The public event pages: the list with filters and pages, past events, one event's page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from core.db import utcnow
from events.services import cancel_event, create_event
from tests.conftest import event_data


def _titles(html: str) -> list[str]:
    """The event titles listed on a list page, in order."""
    return re.findall(
        r'<h[23] class="[^"]*"[^>]*><a class="govuk-link" href="/events/[^"]+"[^>]*>'
        r"([^<]+)</a></h[23]>",
        html,
    )


def _when(days: int, hour: int = 8) -> tuple[str, str]:
    start = (utcnow() + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return start.isoformat(), (start + timedelta(hours=3)).isoformat()


def _event(make_event, title: str, days: int = 7, **overrides):
    starts, ends = _when(days)
    return make_event(title=title, starts_at=starts, ends_at=ends, **overrides)


def test_front_page_lists_upcoming_published_events_nearest_first(client, make_event):
    _event(make_event, "Later workshop", days=20)
    _event(make_event, "Sooner workshop", days=3)
    _event(make_event, "Hidden draft", days=5, status="draft")
    _event(make_event, "Done already", days=-10)

    html = client.get("/").get_data(as_text=True)

    assert _titles(html) == ["Sooner workshop", "Later workshop"]


def test_filters_narrow_the_list(client, make_event):
    _event(make_event, "Stockholm workshop")
    _event(
        make_event,
        "English webinar",
        kind="webinar",
        format="online",
        language="en",
        venue={},
        target_groups=[{"code": "supplier"}],
    )
    _event(
        make_event,
        "Helsinki conference",
        kind="conference",
        language="fi",
        timezone="Europe/Helsinki",
        venue={"name": "Kaupungintalo", "city": "Helsinki", "country": "Suomi"},
        target_groups=[{"code": "decision_maker"}],
    )

    def listed(query: str) -> list[str]:
        return sorted(_titles(client.get("/?" + query).get_data(as_text=True)))

    assert listed("kind=webinar") == ["English webinar"]
    assert listed("format=online") == ["English webinar"]
    assert listed("language=fi") == ["Helsinki conference"]
    assert listed("city=online") == ["English webinar"]
    assert listed("city=helsinki") == ["Helsinki conference"]
    assert listed("target_group=decision_maker") == ["Helsinki conference"]
    assert listed("target_group=supplier") == ["English webinar", "Stockholm workshop"]
    assert listed("kind=workshop&city=Stockholm") == ["Stockholm workshop"]
    assert listed("kind=nonsense") == sorted(
        ["Stockholm workshop", "English webinar", "Helsinki conference"]
    )


def test_filter_form_is_a_get_form_with_labelled_selects(client, make_event):
    _event(make_event, "In Helsinki", venue={"name": "Talo", "city": "Helsinki"})
    html = client.get("/?kind=workshop").get_data(as_text=True)

    form = re.search(r'<form method="get"[^>]*>(.*?)</form>', html, re.S)
    assert form, "no GET form on the front page"
    for name in ("kind", "format", "language", "city", "target_group"):
        select = re.search(
            rf'<select class="govuk-select" id="([^"]+)" name="{name}">', form.group(1)
        )
        assert select, f"no select for {name}"
        assert f'<label class="govuk-label govuk-label--s" for="{select.group(1)}">' in form.group(
            1
        )
    assert '<option value="workshop" selected>' in html  # the choice is kept
    assert '<option value="Helsinki">Helsinki</option>' in html  # cities with events
    assert '<option value="online"' in html


def test_pagination_keeps_the_filters(client, make_event):
    for i in range(12):
        _event(make_event, f"Workshop {i:02d}", days=2 + i)
    _event(make_event, "A webinar", days=1, kind="webinar", format="online", venue={})

    first = client.get("/?kind=workshop").get_data(as_text=True)
    assert _titles(first) == [f"Workshop {i:02d}" for i in range(10)]
    next_link = re.search(
        r'<a class="govuk-link govuk-pagination__link" href="([^"]+)" rel="next">', first
    )
    assert next_link
    href = next_link.group(1).replace("&amp;", "&")
    assert "page=2" in href and "kind=workshop" in href

    second = client.get(href).get_data(as_text=True)
    assert _titles(second) == ["Workshop 10", "Workshop 11"]
    assert 'rel="next"' not in second
    assert 'rel="prev"' in second

    # A page past the end is empty, not an error.
    assert client.get("/?page=99").status_code == 200


def test_past_page_lists_past_events_latest_first(client, make_event):
    _event(make_event, "Long ago", days=-60)
    _event(make_event, "Last week", days=-7)
    _event(make_event, "Upcoming", days=7)
    _event(make_event, "Past draft", days=-3, status="draft")

    html = client.get("/past").get_data(as_text=True)

    assert _titles(html) == ["Last week", "Long ago"]
    assert _titles(client.get("/").get_data(as_text=True)) == ["Upcoming"]
    # The page of a past event stays reachable.
    assert client.get("/events/long-ago").status_code == 200


def test_draft_is_not_found_for_the_public(client, make_event):
    draft = _event(make_event, "Secret plans", status="draft")
    response = client.get(f"/events/{draft.slug}")
    assert response.status_code == 404
    assert "Secret plans" not in response.get_data(as_text=True)
    assert client.get("/events/no-such-event").status_code == 404


def test_cancelled_event_stays_visible_and_is_marked(client, make_event, organiser):
    event = _event(make_event, "Called off")
    cancel_event(organiser, event)

    page = client.get(f"/events/{event.slug}?lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'class="govuk-warning-text status-cancelled"' in html
    assert "This event has been cancelled" in html  # in words, not colour only

    listing = client.get("/?lang=en").get_data(as_text=True)
    card = listing[listing.index("Called off") :]
    assert "Cancelled" in card[: card.index("</li>")]


def test_event_page_shows_what_a_participant_needs(client, app, make_event):
    starts, ends = _when(10)
    start_day = starts[:10]
    event = make_event(
        title="Sysselsättningskrav i praktiken",
        starts_at=starts,
        ends_at=ends,
        description="Hur man **ställer** krav.\n\n<script>alert(1)</script>",
        sessions=[
            {
                "title": "Inledning",
                "starts_at": f"{start_day}T09:00",
                "ends_at": f"{start_day}T09:45",
                "room": "Sal A",
                "speakers": [
                    {"name": "Karin Lindqvist", "organisation": "Upphandlingsmyndigheten"}
                ],
            },
            {
                "title": "Workshop: skriv klausulen",
                "starts_at": f"{start_day}T10:00",
                "ends_at": f"{start_day}T11:30",
                "room": "Sal B",
                "capacity": 25,
                "speakers": [{"name": "Johan Berg", "organisation": "Arbetsförmedlingen"}],
            },
        ],
    )

    assert event.slug == "sysselsattningskrav-i-praktiken"  # readable, without å, ä, ö
    html = client.get("/events/sysselsattningskrav-i-praktiken?lang=en").get_data(as_text=True)

    assert "<h1" in html and "Sysselsättningskrav i praktiken</h1>" in html
    assert "Hur man <strong>ställer</strong> krav." in html
    assert "<script>alert(1)</script>" not in html
    # The venue and address.
    assert "Stadshuset" in html and "Hantverkargatan 1" in html and "Stockholm" in html
    # Who it is for: the labels of the admitted groups, with the quota.
    assert "Contracting authorities" in html
    assert "Suppliers (at most 30 places)" in html
    assert "Decision-makers" not in html
    # The agenda, in order, with times, rooms and speakers.
    assert html.index("Inledning") < html.index("Workshop: skriv klausulen")
    assert "9:00–9:45" in html and "10:00–11:30" in html
    assert "Sal A" in html and "Sal B" in html
    assert "Karin Lindqvist (Upphandlingsmyndigheten)" in html
    assert "Johan Berg (Arbetsförmedlingen)" in html
    assert "25 places" in html
    # Kind, format and language in words.
    assert "Workshop" in html and "In person" in html and "Swedish" in html


def test_event_page_links_to_its_calendar_file(client, make_event):
    event = _event(make_event, "Med kalender")
    html = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert f'href="/events/{event.slug}.ics"' in html


def _fixed_event(organiser, tz: str, lang: str = "sv"):
    """An event on 13 December next year from 10:00 to 15:30 local time in the zone tz."""
    year = utcnow().year + 1
    data = event_data(
        title=f"Event in {tz.split('/')[1]}",
        timezone=tz,
        language=lang,
        starts_at=f"{year}-12-13T10:00",
        ends_at=f"{year}-12-13T15:30",
    )
    return create_event(organiser, data), year


def test_helsinki_event_shows_helsinki_time_and_names_the_zone(client, organiser):
    event, year = _fixed_event(organiser, "Europe/Helsinki", "fi")

    html = client.get(f"/events/{event.slug}").get_data(as_text=True)

    # 10:00 in Helsinki is 9:00 in Stockholm: the page must keep Helsinki's clock.
    assert f"13 december {year} kl. 10.00–15.30" in html
    assert "kl. 9.00" not in html
    # The zone in one clean form, never "(östeuropeisk tid (Europe/Helsinki))".
    assert "Tiderna anges i östeuropeisk tid (Helsingfors)." in html
    assert "((" not in html and "))" not in html


def test_stockholm_event_does_not_name_a_zone(client, organiser):
    event, year = _fixed_event(organiser, "Europe/Stockholm")
    html = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert f"13 december {year} kl. 10.00–15.30" in html
    assert "Europe/Stockholm" not in html


def test_dates_follow_the_page_language(client, organiser):
    event, year = _fixed_event(organiser, "Europe/Helsinki", "fi")

    finnish = client.get(f"/events/{event.slug}?lang=fi").get_data(as_text=True)
    assert f"13.12.{year} klo 10.00–15.30" in finnish
    assert "kl. 10.00" not in finnish

    english = client.get(f"/events/{event.slug}?lang=en").get_data(as_text=True)
    assert f"13 December {year} 10:00–15:30" in english


def test_demo_data_fills_the_pages_once(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo-data", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "admin@example.org" in result.output and "motesplats-demo" in result.output

    front = client.get("/?lang=en").get_data(as_text=True)
    titles = _titles(front)
    assert len(titles) == 3
    # Every demo event is in all three languages: the English page lists English titles.
    assert all(t.startswith("Employment requirements") for t in titles), titles
    assert "Frukostseminarium" not in front  # the draft
    finnish = _titles(client.get("/?lang=fi").get_data(as_text=True))
    assert all(t.startswith("Työllistämisehto") for t in finnish), finnish
    swedish = _titles(client.get("/?lang=sv").get_data(as_text=True))
    assert any("konferens" in t for t in swedish) and any("webbinarium" in t for t in swedish)
    # Two past events (participants/demo.py adds a webinar), with attendance and no-shows.
    assert len(_titles(client.get("/past").get_data(as_text=True))) == 2

    helsinki = client.get("/?language=fi&lang=fi").get_data(as_text=True)
    slug = re.search(
        r'<a class="govuk-link" href="/events/([^"]+)"[^>]*>Työllistämisehto', helsinki
    ).group(1)
    page = client.get(f"/events/{slug}?lang=fi").get_data(as_text=True)
    assert "klo 9.00–15.30" in page and "Itä-Euroopan aika (Helsinki)" in page

    conference = client.get("/?kind=conference").get_data(as_text=True)
    slug = re.search(
        r'<a class="govuk-link" href="/events/([^"]+)"',
        conference.split('class="mp-event-card"')[1],
    ).group(1)
    agenda = client.get(f"/events/{slug}?lang=en").get_data(as_text=True)
    assert agenda.count('class="mp-agenda__item"') >= 8 and "30 places" in agenda

    again = runner.invoke(args=["demo-data", "--if-empty"])
    assert again.exit_code == 0
    assert len(_titles(client.get("/").get_data(as_text=True))) == 3

    assert (
        client.post(
            "/login", data={"email": "admin@example.org", "password": "motesplats-demo"}
        ).status_code
        == 302
    )


@pytest.mark.parametrize("page", ["abc", "-1", "0", "99999999999999999999999"])
def test_any_page_number_in_the_address_gives_a_page(client, make_event, page):
    """A hand-edited ?page= never reaches the database as a number it cannot hold."""
    make_event(title="Listad")
    for path in ("/", "/past"):
        response = client.get(f"{path}?page={page}")
        assert response.status_code == 200, path
