"""Merging two records of one organisation: everything moves, nothing is lost, a later
registration finds the survivor; the organisers' pages for it and their bad input."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from core.db import db
from outreach.models import Campaign, CampaignRecipient
from participants import organisations
from participants.details import update_details
from participants.models import Organisation, Registration
from participants.services import register
from surveys.models import SurveyResponse
from tests.participants.helpers import person

WHEN = datetime(2027, 4, 1, 9, tzinfo=UTC)


def org(name: str, number: str | None = None, country: str = "SE", kind: str | None = None,
        key: str | None = None) -> Organisation:  # fmt: skip
    o = Organisation(key=key or number or f"name:{country}:{name.casefold()}", name=name,
                     org_number=number, country=country, kind=kind)  # fmt: skip
    db.session.add(o)
    db.session.commit()
    return o


def registration(event: Any, o: Organisation, email: str) -> Registration:
    r = Registration(event_id=event.id, organisation_id=o.id, token=secrets.token_urlsafe(16),
                     name=email, email=email, target_group="contracting_authority",
                     status="confirmed", attended_at=event.starts_at)  # fmt: skip
    db.session.add(r)
    db.session.commit()
    return r


@pytest.fixture
def pair(make_event: Any) -> dict[str, Any]:
    """Botkyrka twice: once by name only (asked kind municipality), once by number; two events,
    a campaign recipient and a named survey response on the record by name."""
    first, second = make_event(title="Första"), make_event(title="Andra")
    by_name = org("Botkyrka kommun", kind="municipality")
    by_number = org("Botkyrka Kommun", "212000-2882")
    r1 = registration(first, by_name, "a@botkyrka.se")
    r2 = registration(second, by_name, "b@botkyrka.se")
    r3 = registration(second, by_number, "c@botkyrka.se")
    campaign = Campaign(event_id=second.id)
    db.session.add(campaign)
    db.session.flush()
    recipient = CampaignRecipient(campaign_id=campaign.id, email="a@botkyrka.se",
                                  token=secrets.token_urlsafe(16), language="sv",
                                  target_group="contracting_authority",
                                  organisation_id=by_name.id)  # fmt: skip
    from surveys.models import Survey

    survey = Survey(event_id=first.id, language="sv", title="Hur gick det?", introduction="",
                    audience="attendees", anonymous=False, status="scheduled",
                    send_at=WHEN, closes_at=WHEN)  # fmt: skip
    db.session.add_all([recipient, survey])
    db.session.flush()
    response = SurveyResponse(survey_id=survey.id, organisation_id=by_name.id,
                              event_id=first.id, target_group="contracting_authority",
                              organisation_kind="municipality", country="SE", language="sv",
                              submitted_on=date(2027, 4, 1))  # fmt: skip
    db.session.add(response)
    db.session.commit()
    return {
        "loser": by_name, "survivor": by_number, "registrations": [r1, r2, r3],
        "recipient": recipient.id, "response": response.id, "events": (first, second),
    }  # fmt: skip


def test_a_merge_moves_everything_and_keeps_the_record(pair: dict[str, Any]) -> None:
    loser, survivor = pair["loser"].id, pair["survivor"].id
    organisations.merge_organisations(loser, survivor, now=WHEN)

    owners = db.session.scalars(
        sa.select(Registration.organisation_id).order_by(Registration.id)
    ).all()
    assert owners == [survivor, survivor, survivor]
    assert db.session.get(CampaignRecipient, pair["recipient"]).organisation_id == survivor
    assert db.session.get(SurveyResponse, pair["response"]).organisation_id == survivor
    kept = db.session.get(Organisation, survivor)
    # the survivor had no kind: it takes the loser's; its own number and name stay
    assert (kept.name, kept.org_number, kept.kind) == ("Botkyrka Kommun", "212000-2882",
                                                       "municipality")  # fmt: skip
    merged = db.session.get(Organisation, loser)
    assert merged.merged_into_id == survivor
    assert merged.merged_at == WHEN
    # every registration's own history is as it was (who, when, checked in)
    for before in pair["registrations"]:
        after = db.session.get(Registration, before.id, populate_existing=True)
        assert (after.email, after.status, after.attended_at, after.event_id) == (
            before.email, "confirmed", before.attended_at, before.event_id)  # fmt: skip


def test_the_survivor_keeps_its_own_kind_and_takes_a_missing_number(make_event: Any) -> None:
    loser = org("Region Halland", "232100-0115", kind="region", key="232100-0115")
    survivor = org("Region Halland", kind="state_agency")
    organisations.merge_organisations(loser.id, survivor.id)
    kept = db.session.get(Organisation, survivor.id)
    assert (kept.kind, kept.org_number) == ("state_agency", "232100-0115")


def test_a_later_registration_finds_the_survivor(pair: dict[str, Any]) -> None:
    loser, survivor = pair["loser"], pair["survivor"]
    organisations.merge_organisations(loser.id, survivor.id)
    first, _second = pair["events"]
    by_name = {"name": "Botkyrka kommun", "org_number": "", "country": "SE"}
    registered = register(first, person(7, organisation=by_name, email="d@botkyrka.se"))
    assert db.session.get(Registration, registered.id).organisation_id == survivor.id
    # changing one's details to the merged record's name finds the survivor too
    reg = db.session.get(Registration, pair["registrations"][2].id)
    update_details(reg, person(3, organisation=by_name, name="C"), by_organiser=True)
    assert db.session.get(Registration, reg.id, populate_existing=True).organisation_id == (
        survivor.id
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 2


def test_merging_a_record_merged_into_the_loser_follows_on(make_event: Any) -> None:
    a, b, c = org("Ale kommun"), org("Ale Kommun "), org("Ale kommun", "212000-1439")
    organisations.merge_organisations(a.id, b.id)
    organisations.merge_organisations(b.id, c.id)
    assert db.session.get(Organisation, a.id).merged_into_id == c.id
    assert organisations.organisation_id_for_key(a.key) == c.id


@pytest.mark.parametrize("case", ["itself", "into_merged", "from_merged"])
def test_merges_that_are_refused(pair: dict[str, Any], case: str) -> None:
    loser, survivor = pair["loser"].id, pair["survivor"].id
    third = org("Botkyrka", key="name:SE:botkyrka").id
    if case == "itself":
        args = (loser, loser)
    else:
        organisations.merge_organisations(third, survivor)
        args = (loser, third) if case == "into_merged" else (third, loser)
    with pytest.raises(organisations.CannotMerge) as err:
        organisations.merge_organisations(*args)
    assert err.value.status == 409
    # nothing moved
    assert db.session.get(Registration, pair["registrations"][0].id).organisation_id == loser


def test_an_unknown_record(pair: dict[str, Any]) -> None:
    with pytest.raises(organisations.NotFound):
        organisations.merge_organisations(pair["loser"].id, 99999)


def test_search_by_name_or_number_fifty_a_page(app: Any) -> None:
    for n in range(120):
        db.session.add(Organisation(key=f"name:SE:kommun {n:03d}", name=f"Kommun {n:03d}",
                                    country="SE"))  # fmt: skip
    db.session.add(Organisation(key="212000-0142", name="Stockholms stad",
                                org_number="212000-0142", country="SE"))  # fmt: skip
    db.session.commit()
    page = organisations.search_organisations("kommun", 3)
    assert (page.total, page.pages, len(page.items)) == (120, 3, 20)
    assert page.items[0].name == "Kommun 100"
    assert [o.name for o in organisations.search_organisations("2120000142").items] == [
        "Stockholms stad"
    ]
    assert [o.name for o in organisations.search_organisations("212000-0142").items] == [
        "Stockholms stad"
    ]
    assert organisations.search_organisations("%").total == 0


# --- the pages ----------------------------------------------------------------------------------


def test_the_flow_list_choose_preview_confirm(pair: dict[str, Any], client: Any, login: Any,
                                              ) -> None:  # fmt: skip
    login()
    client.get("/?lang=en")
    loser, survivor = pair["loser"], pair["survivor"]
    page = client.get("/manage/organisations?q=botkyrka")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Botkyrka kommun" in html and "212000-2882" in html
    assert f"/manage/organisations/{loser.id}/merge" in html

    choose = client.get(f"/manage/organisations/{loser.id}/merge?q=2882")
    assert f"/manage/organisations/{loser.id}/merge/{survivor.id}" in choose.get_data(True)

    preview = client.get(f"/manage/organisations/{loser.id}/merge/{survivor.id}")
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Första" in text and "Andra" in text and "Merge the records" in text
    done = client.post(f"/manage/organisations/{loser.id}/merge/{survivor.id}")
    assert done.status_code == 302
    assert db.session.get(Organisation, loser.id, populate_existing=True).merged_into_id == (
        survivor.id
    )
    again = client.post(f"/manage/organisations/{loser.id}/merge/{survivor.id}")
    assert again.status_code == 409
    assert "already been merged" in again.get_data(as_text=True)


@pytest.mark.parametrize("path", [
    "/manage/organisations/{loser}/merge/{loser}",
    "/manage/organisations/99999999999999999999/merge",
    "/manage/organisations/{loser}/merge/99999999999999999999",
    "/manage/organisations/%00/merge",
    "/manage/organisations/1%002/merge",
    "/manage/organisations/{loser}/merge/%C2%B2",
    "/manage/organisations/77777/merge",
    "/manage/organisations?page=99999999999999999999&q=%00",
])  # fmt: skip
def test_bad_input_is_a_4xx(pair: dict[str, Any], client: Any, login: Any, path: str) -> None:
    login()
    url = path.format(loser=pair["loser"].id)
    for method in (client.get, client.post):
        status = method(url).status_code
        assert status < 500 and (status != 200 or "page=" in url), (url, status)


def test_the_pages_need_a_sign_in(pair: dict[str, Any], client: Any) -> None:
    assert client.get("/manage/organisations").status_code in (302, 401)
    url = f"/manage/organisations/{pair['loser'].id}/merge/{pair['survivor'].id}"
    assert client.post(url).status_code in (302, 401)
    assert db.session.get(Organisation, pair["loser"].id).merged_into_id is None


def test_crossing_merges_at_once_one_wins(app: Any, make_event: Any) -> None:
    """A into B and B into A at the same moment, in two threads with their own sessions: one
    merge is done, the other refused; never both (which would leave each merged into the
    other) and never an error."""
    import threading

    first = make_event(title="Första")
    a, b = org("Järfälla kommun"), org("Järfälla Kommun AB")
    registration(first, a, "a@jarfalla.se")
    registration(first, b, "b@jarfalla.se")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def merge(loser: int, survivor: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                organisations.merge_organisations(loser, survivor)
                outcomes.append("merged")
            except organisations.CannotMerge:
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=merge, args=pair) for pair in ((a.id, b.id), (b.id, a.id))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["merged", "refused"]
    db.session.expire_all()
    merged = [o for o in (db.session.get(Organisation, a.id), db.session.get(Organisation, b.id))
              if o.merged_into_id is not None]  # fmt: skip
    assert len(merged) == 1
    survivor = merged[0].merged_into_id
    assert set(db.session.scalars(sa.select(Registration.organisation_id))) == {survivor}
