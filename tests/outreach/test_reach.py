"""Reach against figures worked out by hand for a small data set.

Events (one organiser): A (10 March 2027), B (12 May 2027), C (June 2027, upcoming, with the
campaign). Who came (checked in with a confirmed place) and who did not:

- O1 "Stockholms stad" 212000-0142, asked kind municipality: came to A and to B.
- O2 "Botkyrka kommun", no number, no kind (unknown): came to B.
- O3 "Region Uppsala", asked kind region: confirmed at A, never checked in.
- O4 "Saab AB" 556036-0793 (company): came to A.
- O5 Helsinki (FI, municipality): came to B.
- O6 "Region Gotland", asked kind region: came to A; Gotland is a municipality and a region.
- O7 "Malmö" with a company's number 556703-7485: came to A (a company, not Malmö stad).
- O8 "Ale kommun": checked in on a cancelled registration at A (does not count).

Took part, first month: March O1, O4, O6, O7; May O2, O5. Cumulative, March…May (April
has no event and is shown): total 4, 4, 6; municipality 1, 1, 2; region 1, 1, 1; company
2, 2, 2; unknown 0, 0, 1; SE 4, 4, 5; FI 0, 0, 1.

Sweden: municipalities Stockholm (by number), Botkyrka (by name), Gotland (Region Gotland):
3 of 290; regions Gotland: 1 of 21; 307 not reached. The campaign to C invited O3 (on 1 and
20 April: the latest counts), O1 (reached, so not on the worklist) and O9 "Vallentuna
kommun" (5 April, never registered): 2 invited on the worklist.

Only March (to 2027-03-31): Stockholm and Gotland 2, Gotland 1; Botkyrka not reached.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from typing import Any

import pytest

from core.auth import create_organiser
from core.db import db
from core.identifiers import normalise_swedish
from outreach.models import Campaign, CampaignRecipient
from outreach.reach import (
    match_name,
    match_organisation,
    public_bodies,
    reach_over_time,
    sweden_reach,
)
from participants.models import Organisation, Registration
from surveys.impact import ImpactFilters, events_in_scope
from tests.statements import count_statements

A_START = datetime(2027, 3, 10, 8, tzinfo=UTC)
B_START = datetime(2027, 5, 12, 8, tzinfo=UTC)
C_START = datetime(2027, 6, 9, 8, tzinfo=UTC)


def org(name: str, number: str | None, country: str, kind: str | None) -> Organisation:
    o = Organisation(key=number or f"name:{country}:{name.casefold()}", name=name,
                     org_number=number, country=country, kind=kind)  # fmt: skip
    db.session.add(o)
    db.session.flush()
    return o


def came(event: Any, o: Organisation, email: str, status: str = "confirmed",
         checked_in: bool = True) -> None:  # fmt: skip
    db.session.add(Registration(
        event_id=event.id, organisation_id=o.id, token=secrets.token_urlsafe(16), name=email,
        email=email, target_group="contracting_authority", status=status,
        attended_at=event.starts_at if checked_in else None,
    ))  # fmt: skip


def invited(campaign: Campaign, o: Organisation, email: str, when: datetime) -> None:
    db.session.add(CampaignRecipient(
        campaign_id=campaign.id, email=email, token=secrets.token_urlsafe(16), language="sv",
        target_group="contracting_authority", organisation_id=o.id, invited_at=when,
    ))  # fmt: skip


def event(make_event: Any, title: str, start: datetime) -> Any:
    return make_event(title=title, starts_at=start.isoformat(),
                      ends_at=start.replace(hour=15).isoformat())  # fmt: skip


@pytest.fixture
def data(make_event: Any) -> dict[str, Any]:
    a, b, c = (
        event(make_event, "A", A_START),
        event(make_event, "B", B_START),
        event(make_event, "C", C_START),
    )
    o1 = org("Stockholms stad", "212000-0142", "SE", "municipality")
    o2 = org("Botkyrka kommun", None, "SE", None)
    o3 = org("Region Uppsala", None, "SE", "region")
    o4 = org("Saab AB", "556036-0793", "SE", None)
    o5 = org("Helsingin kaupunki", "0201256-6", "FI", "municipality")
    o6 = org("Region Gotland", None, "SE", "region")
    o7 = org("Malmö", "556703-7485", "SE", None)
    o8 = org("Ale kommun", None, "SE", None)
    o9 = org("Vallentuna kommun", None, "SE", None)
    came(a, o1, "a@stockholm.se")
    came(b, o1, "a@stockholm.se")
    came(b, o2, "b@botkyrka.se")
    came(a, o3, "c@regionuppsala.se", checked_in=False)
    came(a, o4, "d@saab.se")
    came(b, o5, "e@hel.fi")
    came(a, o6, "f@gotland.se")
    came(a, o7, "g@malmo-konsult.se")
    came(a, o8, "h@ale.se", status="cancelled")
    campaign = Campaign(event_id=c.id, status="sent")
    db.session.add(campaign)
    db.session.flush()
    invited(campaign, o3, "c@regionuppsala.se", datetime(2027, 4, 1, 9, tzinfo=UTC))
    invited(campaign, o3, "k@regionuppsala.se", datetime(2027, 4, 20, 9, tzinfo=UTC))
    invited(campaign, o1, "a@stockholm.se", datetime(2027, 4, 2, 9, tzinfo=UTC))
    invited(campaign, o9, "v@vallentuna.se", datetime(2027, 4, 5, 9, tzinfo=UTC))
    db.session.commit()
    return {"a": a, "b": b, "c": c}


def scopes(organiser: Any, **filters: Any) -> tuple[Any, Any]:
    return (events_in_scope(organiser, ImpactFilters(**filters)),
            events_in_scope(organiser, ImpactFilters()))  # fmt: skip


def test_over_time_as_worked_out_by_hand(data: dict[str, Any], organiser: Any) -> None:
    scope, _campaigns = scopes(organiser)
    over = reach_over_time(scope)
    assert over.months == ["2027-03", "2027-04", "2027-05"]
    assert over.total == [4, 4, 6]
    assert over.by_kind == {
        "municipality": [1, 1, 2], "region": [1, 1, 1], "company": [2, 2, 2],
        "unknown": [0, 0, 1],
    }  # fmt: skip
    assert over.by_country == {"SE": [4, 4, 5], "FI": [0, 0, 1]}


def test_sweden_as_worked_out_by_hand(data: dict[str, Any], organiser: Any) -> None:
    sweden = sweden_reach(*scopes(organiser))
    assert (sweden.municipalities, sweden.regions) == (290, 21)
    assert (sweden.municipalities_reached, sweden.regions_reached) == (3, 1)
    assert len(sweden.worklist) == 307
    names = {row.body.name for row in sweden.worklist}
    assert {"Stockholm", "Botkyrka", "Gotland", "Region Gotland"} & names == set()
    assert {"Malmö", "Ale", "Region Uppsala"} <= names
    on_list = {row.body.name: row.invited_at for row in sweden.worklist if row.invited_at}
    assert on_list == {
        "Vallentuna": datetime(2027, 4, 5, 9, tzinfo=UTC),
        "Region Uppsala": datetime(2027, 4, 20, 9, tzinfo=UTC),
    }
    assert sweden.invited == 2


def test_the_filters_apply(data: dict[str, Any], organiser: Any) -> None:
    scope, campaigns = scopes(organiser, date_to=date(2027, 3, 31))
    over = reach_over_time(scope)
    assert (over.months, over.total) == (["2027-03"], [4])
    sweden = sweden_reach(scope, campaigns)
    assert (sweden.municipalities_reached, sweden.regions_reached) == (2, 1)
    only_b = reach_over_time(events_in_scope(organiser, ImpactFilters(events=(data["b"].id,))))
    assert (only_b.months, only_b.total) == (["2027-05"], [3])


def test_someone_elses_events_do_not_count(data: dict[str, Any]) -> None:
    other = create_organiser("olle@example.se", "Olle", "secret-pass")
    scope, campaigns = scopes(other)
    assert reach_over_time(scope).months == []
    sweden = sweden_reach(scope, campaigns)
    assert (sweden.municipalities_reached, sweden.invited) == (0, 0)


def test_a_fixed_number_of_statements(data: dict[str, Any], organiser: Any) -> None:
    scope, campaigns = scopes(organiser)
    with count_statements() as statements:
        reach_over_time(scope)
        sweden_reach(scope, campaigns)
    assert len(statements) == 3


# --- the reference list ---------------------------------------------------------------------


def test_the_list_has_290_municipalities_and_21_regions() -> None:
    bodies = public_bodies()
    assert sum(b.kind == "municipality" for b in bodies) == 290
    assert sum(b.kind == "region" for b in bodies) == 21
    assert len({b.key for b in bodies}) == 311
    assert len({b.code for b in bodies if b.kind == "municipality"}) == 290
    numbers = [b.org_number for b in bodies if b.org_number]
    # every number given is a valid Swedish number of a municipality (212000-) or region
    assert numbers and all(normalise_swedish(n) == n for n in numbers)
    assert all(n.startswith(("212000-", "232100-")) for n in numbers)
    assert {"212000-0142", "212000-1355"} <= set(numbers)  # DOMAIN.md


@pytest.mark.parametrize(("name", "expected"), [
    ("Stockholms stad", ["Stockholm"]),
    ("STOCKHOLMS KOMMUN", ["Stockholm"]),
    ("Göteborgs Stad", ["Göteborg"]),
    ("Borås stad", ["Borås"]),
    ("Upplands-Bro kommun", ["Upplands-Bro"]),
    ("Region Stockholm", ["Region Stockholm"]),
    ("Region Jönköping", ["Region Jönköpings län"]),
    ("Region Jönköpings län", ["Region Jönköpings län"]),
    ("Västra Götalandsregionen", ["Västra Götalandsregionen"]),
    ("Region Västra Götaland", ["Västra Götalandsregionen"]),
    ("Region Gotland", ["Gotland", "Region Gotland"]),
    ("Gotlands kommun", ["Gotland", "Region Gotland"]),
    ("Uppsala universitet", []),
    ("Stockholms stadsmission", []),
])  # fmt: skip
def test_matching_by_name(app: Any, name: str, expected: list[str]) -> None:
    assert sorted(b.name for b in match_name(name)) == sorted(expected)


def test_matching_by_number_first(app: Any) -> None:
    assert [b.name for b in match_organisation("Whatever", "212000-1355", "SE")] == ["Göteborg"]
    assert match_organisation("Göteborg", "556036-0793", "SE") == []  # a company's number
    assert match_organisation("Stockholms stad", None, "FI") == []
    assert [b.name for b in match_organisation("Ale kommun", "212000-1439", "SE")] == ["Ale"]
