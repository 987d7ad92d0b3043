"""Issue 12's reach pages in a browser: the impact report's reach section (charts with their
tables, Sweden's municipalities and regions), the worklist, the organisations' list and the
merge flow. axe-core finds nothing on them and nothing scrolls sideways on a 320 px screen;
the merge is done by clicking through. With SCREENSHOTS=<dir> each page is saved at 1280 and
320 px for a person to look at."""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.browser.conftest import ORGANISER_PASSWORD, LiveServer, assert_accessible, login, visit
from tests.browser.flows import unique

WIDE = """() => [...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > 322)
  .map(e => `${e.tagName}.${e.className}#${e.id}`).slice(0, 10)"""


def _seed(live_server: LiveServer, email: str) -> dict[str, int]:
    """Two past events with people checked in from Swedish municipalities, a region, a company
    and a Finnish city; a campaign that invited a municipality not yet reached; and one
    organisation recorded twice (by name and by number)."""
    from core.db import db
    from events.models import Event
    from outreach.models import Campaign, CampaignRecipient
    from participants.models import Organisation, Registration

    tag = secrets.token_hex(3)
    start = datetime(2026, 3, 10, 8, tzinfo=UTC)
    slugs = [
        live_server.create_event(
            email,
            title=unique(title),
            starts_at=s.isoformat(),
            ends_at=(s + timedelta(hours=6)).isoformat(),
        )  # fmt: skip
        for title, s in (("Vår", start), ("Höst", start + timedelta(days=200)))
    ]
    upcoming = live_server.create_event(email, title=unique("Nästa"))
    with live_server.app.app_context():
        events = [db.session.query(Event).filter_by(slug=s).one() for s in slugs]
        next_event = db.session.query(Event).filter_by(slug=upcoming).one()

        def org(name: str, key: str | None, country: str, kind: str | None) -> Any:
            o = Organisation(key=key or f"name:{country}:{name.casefold()}", name=name,
                             country=country, kind=kind)  # fmt: skip
            db.session.add(o)
            db.session.flush()
            return o

        people = [
            (org(f"Stockholms stad {tag}", None, "SE", "municipality"), 0),
            (org("Botkyrka kommun", f"name:SE:botkyrka {tag}", "SE", None), 1),
            (org("Region Skåne", f"name:SE:region skåne {tag}", "SE", "region"), 1),
            (org(f"Bygg AB {tag}", None, "SE", "company"), 0),
            (org(f"Helsingin kaupunki {tag}", None, "FI", "municipality"), 1),
        ]
        for n, (o, which) in enumerate(people):
            e = events[which]
            db.session.add(Registration(
                event_id=e.id, organisation_id=o.id, token=secrets.token_urlsafe(16),
                name=f"Person {n}", email=f"p{n}-{tag}@example.se",
                target_group="contracting_authority", status="confirmed",
                attended_at=e.starts_at,
            ))  # fmt: skip
        ale = org("Ale kommun", f"name:SE:ale kommun {tag}", "SE", None)
        campaign = Campaign(event_id=next_event.id, status="sent")
        db.session.add(campaign)
        db.session.flush()
        db.session.add(CampaignRecipient(
            campaign_id=campaign.id, email=f"ale-{tag}@ale.se", token=secrets.token_urlsafe(16),
            language="sv", target_group="contracting_authority", organisation_id=ale.id,
        ))  # fmt: skip
        twin = org(f"Tvilling kommun {tag}", None, "SE", None)
        keep = org(f"Tvillings kommun {tag}", None, "SE", "municipality")
        db.session.add(Registration(
            event_id=events[0].id, organisation_id=twin.id, token=secrets.token_urlsafe(16),
            name="Tvilling", email=f"twin-{tag}@example.se", target_group="supplier",
            status="confirmed",
        ))  # fmt: skip
        db.session.commit()
        return {"twin": twin.id, "keep": keep.id, "tag": tag}


def _check(page: Any, path: str, lang: str, name: str, status: int = 200) -> None:
    visit(page, path, lang=lang, status=status)
    assert_accessible(page)
    shots = os.environ.get("SCREENSHOTS")
    if shots:
        page.screenshot(path=str(Path(shots) / f"{name}-{lang}-1280.png"), full_page=True)
    page.set_viewport_size({"width": 320, "height": 640})
    wide = page.evaluate(WIDE)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, (path, wide)
    if shots:
        page.screenshot(path=str(Path(shots) / f"{name}-{lang}-320.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_reach_pages_are_accessible(
    page: Any, live_server: LiveServer, organiser_account: dict[str, Any]
) -> None:
    seeded = _seed(live_server, organiser_account["email"])
    login(page, organiser_account["email"], ORGANISER_PASSWORD)
    twin, keep = seeded["twin"], seeded["keep"]
    for lang in ("sv", "fi", "en"):
        _check(page, "/manage/impact", lang, "impact")
        _check(page, "/manage/impact/worklist", lang, "worklist")
        _check(page, "/manage/impact/worklist?invited=1", lang, "worklist-invited")
        _check(page, f"/manage/organisations?q={seeded['tag']}", lang, "organisations")
        _check(page, f"/manage/organisations/{twin}/merge?q=tvilling", lang, "choose")
        _check(page, f"/manage/organisations/{twin}/merge/{keep}", lang, "merge")
        _check(page, f"/manage/organisations/{twin}/merge/{twin}", lang, "refused", 409)

    visit(page, "/manage/impact", lang="en")
    assert page.locator("#reach ~ .mp-charts-stacked figure svg").count() == 2
    invited = page.get_by_role("rowheader", name="Ale", exact=True)
    assert invited.count() >= 1  # invited, not reached

    # the merge, clicked through from the list
    visit(page, f"/manage/organisations?q={seeded['tag']}", lang="en")
    page.locator(f'a[href="/manage/organisations/{twin}/merge"]').click()
    page.get_by_label("Name or organisation number").fill(f"Tvillings kommun {seeded['tag']}")
    page.get_by_role("button", name="Search").click()
    page.locator(f'a[href="/manage/organisations/{twin}/merge/{keep}"]').click()
    page.get_by_role("button", name="Merge the records").click()
    assert "was merged into" in page.locator(".govuk-notification-banner, main").first.inner_text()
    assert_accessible(page)
    from core.db import db
    from participants.models import Organisation, Registration

    with live_server.app.app_context():
        assert db.session.get(Organisation, twin).merged_into_id == keep
        assert db.session.query(Registration).filter_by(organisation_id=keep).count() == 1
