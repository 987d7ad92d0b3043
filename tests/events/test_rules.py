"""Rules the event pages and the API share: who sees an event, and the list filters."""

from __future__ import annotations

import html

import pytest

from core.auth import create_organiser
from core.errors import NotFound, ValidationError
from events import queries


def test_a_draft_is_visible_only_to_its_organisers(organiser, make_event):
    draft = make_event(status="draft")
    published = make_event()
    other = create_organiser("bo@example.se", "Bo Other", "secret-pass")
    assert queries.visible_event(draft.slug, organiser) == draft
    for caller in (None, other):
        with pytest.raises(NotFound):
            queries.visible_event(draft.slug, caller)
        assert queries.visible_event(published.slug, caller) == published
    with pytest.raises(NotFound):
        queries.visible_event("no-such-event", organiser)


def test_event_filters_refuse_unknown_values():
    assert queries.EventFilters.parse({"kind": "", "city": " Umeå "}).city == "Umeå"
    with pytest.raises(ValidationError) as err:
        queries.EventFilters.parse({"kind": "party", "format": "online", "target_group": "x"})
    assert set(err.value.fields) == {"kind", "target_group"}


def test_an_unknown_filter_is_422_in_the_api_and_a_notice_on_the_page(client, make_event):
    make_event(title="Frukostseminarium")
    response = client.get("/api/v1/events?kind=party")
    assert response.status_code == 422
    assert "kind" in response.get_json()["error"]["fields"]

    page = client.get("/?lang=en&kind=party")
    assert page.status_code == 200
    body = html.unescape(page.get_data(as_text=True))
    assert "A filter has an unknown value and is not applied" in body
    assert "Frukostseminarium" in body
