"""Campaigns to an upcoming event (issue 12), received by a real SMTP server: the opted-in get
one invitation per address in their language, the others never, those who withdrew never again
(until they opt in again), those registered for the event never; the personal link fills the
registration form and the registration counts as converted; a campaign interrupted after a
batch resumes with nobody reached twice; the filters; the organiser's page and the API."""

from __future__ import annotations

import html
import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.db import db, utcnow
from core.errors import Conflict, ValidationError
from core.models import OutboxMessage
from core.outbox_sending import send_due
from outreach import audience as audiences
from outreach import campaigns
from outreach.models import Campaign, CampaignRecipient, InvitationWithdrawal
from participants import services
from participants.models import Registration
from tests.participants.helpers import as_stored, person

_made = iter(range(1, 100_000))


pytestmark = pytest.mark.real_smtp


def _register(event, email=None, **overrides) -> Registration:
    n = next(_made)
    data = person(n, email=email or f"person{n}@example.se", **overrides)
    return as_stored(services.register(event, data))


def _quiet() -> None:
    """The confirmations are not what these tests look at."""
    db.session.execute(sa.update(OutboxMessage).values(status="sent"))
    db.session.commit()


def _past(event, attended: list[Registration] = ()) -> None:
    """The event took place a month ago; these people came."""
    start = utcnow() - timedelta(days=30)
    db.session.execute(
        sa.text("UPDATE event SET starts_at = :s, ends_at = :e WHERE id = :id"),
        {"s": start, "e": start + timedelta(hours=6), "id": event.id},
    )
    for r in attended:
        db.session.execute(
            sa.update(Registration).where(Registration.id == r.id).values(attended_at=start)
        )
    db.session.commit()


def _withdraw(email: str, when) -> None:
    db.session.add(InvitationWithdrawal(email=email, withdrawn_at=when))
    db.session.commit()


def _send_all(now=None) -> int:
    queued = campaigns.send_due_campaigns(now=now or utcnow() + timedelta(seconds=1))
    send_due()
    return queued


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def _by_address(smtp) -> dict:
    got: dict = {}
    for r in smtp.received:
        got.setdefault(r.recipients[0], []).append(r.message)
    return got


def _link(text: str, path: str) -> str:
    found = re.search(rf"http://localhost({path}[^\s\"<]*)", text)
    assert found, text
    return found.group(1)


@pytest.fixture
def earlier(make_event):
    """Two earlier events (held, a month ago) and the upcoming one invited to."""
    a = make_event(title="Workshop A")
    b = make_event(title="Workshop B")
    upcoming = make_event(title="Konferensen", language="sv")
    return a, b, upcoming


def test_the_opted_in_get_it_once_the_others_never(smtp, client, organiser, earlier):
    a, b, upcoming = earlier
    # Anna opted in twice; her latest registration (Finnish) decides the language.
    _register(a, "anna@example.se", consent_future_invitations=True, language="sv")
    _register(b, "anna@example.se", consent_future_invitations=True, language="fi",
              name="Anna Hankkija")  # fmt: skip
    _register(a, "bo@example.se")  # never opted in
    cia = _register(a, "cia@example.se", consent_future_invitations=True)
    _register(a, "dan@example.se", consent_future_invitations=True)
    _register(a, "eva@example.se", consent_future_invitations=True)
    _past(a)
    _past(b)
    _withdraw("cia@example.se", cia.created_at + timedelta(minutes=1))  # withdrew after
    _withdraw("eva@example.se", utcnow() - timedelta(days=40))  # before her consent: a new one
    _register(upcoming, "dan@example.se")  # already registered: never
    _quiet()

    reached = audiences.reach(upcoming, {})
    assert (reached.people, reached.organisations) == (2, 1)
    campaign = campaigns.create_campaign(organiser, upcoming, {})
    assert _send_all() == 2
    got = _by_address(smtp)
    assert sorted(got) == ["anna@example.se", "eva@example.se"]
    assert all(len(m) == 1 for m in got.values())
    anna = got["anna@example.se"][0]
    text = _text(anna)
    assert anna["Subject"] == "Kutsu: Konferensen"
    assert "Hei Anna Hankkija," in text
    assert "Konferensen" in text and "Stadshuset" in text
    assert "Kenelle: Hankintayksiköt, Toimittajat" in text  # who it is for, in her language
    assert anna.get_body(("html",)).get_content().count('lang="fi"') >= 1
    assert _link(text, "/i/[^/\\s]+/withdraw")
    assert "anna" not in _link(text, "/i/")  # no personal data in the link
    db.session.rollback()
    assert db.session.get(Campaign, campaign.id).status == "sent"
    assert db.session.get(Campaign, campaign.id).recipient_count == 2

    # A second campaign to the same event: nobody again who withdrew from the first.
    withdraw = _link(text, "/i/[^/\\s]+/withdraw")
    page = client.get(withdraw)
    assert page.status_code == 200 and "Peru suostumukseni" in page.get_data(as_text=True)
    assert client.post(withdraw).status_code == 302
    assert client.post(withdraw).status_code == 302  # idempotent
    db.session.rollback()
    first = db.session.get(InvitationWithdrawal, "anna@example.se")
    assert first is not None and first.campaign_recipient_id is not None
    smtp.received.clear()
    campaigns.create_campaign(organiser, upcoming, {})
    assert _send_all() == 1
    assert sorted(_by_address(smtp)) == ["eva@example.se"]


def test_the_link_fills_the_form_and_the_registration_counts(smtp, client, organiser, earlier):
    a, _b, upcoming = earlier
    source = _register(
        a, "maja@example.se", consent_future_invitations=True, target_group="supplier",
        organisation={"name": "Bygg AB", "org_number": "556677-8899", "country": "SE"},
        language="en",
    )  # fmt: skip
    _past(a, attended=[source])
    _quiet()
    campaign = campaigns.create_campaign(organiser, upcoming, {"attended": "came"})
    assert _send_all() == 1
    text = _text(_by_address(smtp)["maja@example.se"][0])
    assert f"Hello {source.name}," in text
    link = _link(text, "/i/")

    opened = client.get(link)
    assert opened.status_code == 302
    form_url = opened.headers["Location"]
    assert "maja" not in form_url and "invitation=" in form_url
    page = html.unescape(client.get(form_url).get_data(as_text=True))
    for value in (source.name, "maja@example.se", "Bygg AB", "556677-8899", "Upphandlare"):
        assert f'value="{value}"' in page
    assert 'value="supplier" checked' in page and '<option selected value="en">' in page
    assert "We have filled in what we know" in page
    client.get(link)  # a second visit keeps the first time
    db.session.rollback()
    recipient = db.session.scalar(sa.select(CampaignRecipient))
    assert recipient.opened_at is not None and recipient.registration_id is None
    first_open = recipient.opened_at

    token = re.search(r"invitation=([^&]+)", form_url).group(1)
    done = client.post(form_url, data={
        "name": source.name, "email": "maja@example.se", "organisation": "Bygg AB",
        "org_number": "556677-8899", "country": "SE", "target_group": "supplier",
        "language": "en", "invitation": token,
    })  # fmt: skip
    assert done.status_code == 302, done.get_data(as_text=True)
    db.session.rollback()
    recipient = db.session.get(CampaignRecipient, recipient.id, populate_existing=True)
    assert recipient.opened_at == first_open
    made = db.session.scalar(sa.select(Registration).where(Registration.event_id == upcoming.id))
    assert recipient.registration_id == made.id
    stage = campaigns.progress(db.session.get(Campaign, campaign.id)).by_group["supplier"]
    assert (stage.invited, stage.opened, stage.registered, stage.attended) == (1, 1, 1, 0)
    db.session.execute(
        sa.update(Registration).where(Registration.id == made.id).values(attended_at=utcnow())
    )
    db.session.commit()
    assert campaigns.progress(db.session.get(Campaign, campaign.id)).total.attended == 1


def test_interrupted_after_a_batch_and_resumed_reaches_nobody_twice(smtp, organiser, earlier):
    a, b, upcoming = earlier
    for _ in range(5):
        _register(a, consent_future_invitations=True)
    _past(a)
    _quiet()
    campaign = campaigns.create_campaign(organiser, upcoming, {})
    now = utcnow() + timedelta(seconds=1)
    # The worker stops after one batch (as if killed), then runs again.
    assert campaigns.send_due_campaigns(now=now, batch_size=2, max_batches=1) == 2
    db.session.rollback()
    assert db.session.get(Campaign, campaign.id).status == "sending"
    send_due()
    # A new consent between two batches is reached too; nobody already reached again.
    _register(b, consent_future_invitations=True)
    _quiet()
    assert campaigns.send_due_campaigns(now=now, batch_size=2, max_batches=1) == 2
    assert campaigns.send_due_campaigns(now=now, batch_size=2) == 2
    assert campaigns.send_due_campaigns(now=now, batch_size=2) == 0
    send_due()
    db.session.rollback()
    done = db.session.get(Campaign, campaign.id)
    assert (done.status, done.recipient_count) == ("sent", 6)
    addresses = [r.recipients[0] for r in smtp.received]
    assert len(addresses) == len(set(addresses)) == 6


def test_scheduled_waits_for_its_time_and_a_cancelled_never_goes(organiser, earlier):
    a, _b, upcoming = earlier
    _register(a, consent_future_invitations=True)
    _past(a)
    at = upcoming.starts_at - timedelta(days=2)
    scheduled = campaigns.create_campaign(organiser, upcoming, {}, at.isoformat())
    assert campaigns.send_due_campaigns(now=at - timedelta(minutes=1)) == 0
    other = campaigns.create_campaign(organiser, upcoming, {}, at.isoformat())
    campaigns.cancel_campaign(organiser, upcoming, other.id)
    with pytest.raises(Conflict):
        campaigns.cancel_campaign(organiser, upcoming, other.id)
    assert campaigns.send_due_campaigns(now=at + timedelta(seconds=1)) == 1
    db.session.rollback()
    assert db.session.get(Campaign, scheduled.id).status == "sent"
    assert db.session.get(Campaign, other.id).recipient_count == 0


def test_the_filters_narrow_the_audience(organiser, earlier):
    a, b, upcoming = earlier
    came = _register(a, consent_future_invitations=True)
    absent = _register(a, consent_future_invitations=True, target_group="supplier",
                       organisation={"name": "Bygg AB", "org_number": "556677-8899",
                                     "country": "SE"})  # fmt: skip
    _register(b, consent_future_invitations=True, target_group="supplier",
              organisation={"name": "Oy Ab", "org_number": "", "country": "FI"})  # fmt: skip
    _past(a, attended=[came])

    def people(**audience) -> set[str]:
        parsed = audiences.parse_audience(audience)
        return {r.email for r in db.session.execute(audiences.audience_query(upcoming, parsed))}

    assert len(people()) == 3
    assert people(attended="came") == {came.email}
    assert people(attended="did_not_come") == {absent.email}  # b has not taken place
    assert people(target_groups=["supplier"], countries=["SE"]) == {absent.email}
    assert people(organisation_kinds=["company"]) == {absent.email}
    assert people(organisation_kinds=["public_body"]) == {came.email}
    assert len(people(countries=["FI", "SE"])) == 3
    reached = audiences.reach(upcoming, {})
    assert reached.by_group == {"contracting_authority": (1, 1), "supplier": (2, 2)}
    with pytest.raises(ValidationError) as refused:
        campaigns.create_campaign(
            organiser, upcoming, {"target_groups": ["everyone"], "attended": "often"}
        )
    assert set(refused.value.fields) == {"audience.target_groups", "audience.attended"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0


def test_bad_times_and_events_are_refused(organiser, make_event):
    upcoming = make_event()
    with pytest.raises(ValidationError) as refused:
        campaigns.create_campaign(organiser, upcoming, {}, "2020-01-01T10:00")
    assert "send_at" in refused.value.fields
    with pytest.raises(ValidationError):
        after = upcoming.starts_at + timedelta(hours=1)
        campaigns.create_campaign(organiser, upcoming, {}, after.isoformat())
    with pytest.raises(ValidationError) as refused:
        campaigns.create_campaign(organiser, upcoming, {}, None, {"sv": "x\x00"}, {"de": "Hallo"})
    assert {"subjects.sv", "languages"} <= set(refused.value.fields)
    draft = make_event(status="draft")
    with pytest.raises(Conflict):
        campaigns.create_campaign(organiser, draft, {})


def test_the_manage_page_tells_of_the_consent_and_its_withdrawal(client, earlier):
    a, b, _upcoming = earlier
    mine = _register(a, "sara@example.se", consent_future_invitations=True, language="en")
    page = client.get(f"/r/{mine.token}").get_data(as_text=True)
    assert "You have agreed to get invitations to future events" in page
    url = f"/r/{mine.token}/invitations/withdraw"
    assert url in page
    assert client.post(url).status_code == 302
    page = client.get(f"/r/{mine.token}").get_data(as_text=True)
    assert "You withdrew your consent to invitations to future events on" in page
    # A later registration with the box ticked again is a new consent.
    db.session.execute(
        sa.update(InvitationWithdrawal).values(withdrawn_at=utcnow() - timedelta(minutes=5))
    )
    db.session.commit()
    _register(b, "sara@example.se", consent_future_invitations=True)
    assert campaigns.consent_of("sara@example.se") == (True, None)
    page = client.get(f"/r/{mine.token}").get_data(as_text=True)
    assert "You have agreed to get invitations" in page


def test_the_page_previews_the_reach_and_each_language_then_schedules(
    smtp, client, organiser, login, earlier
):
    a, _b, upcoming = earlier
    for lang in ("sv", "sv", "fi"):
        _register(a, consent_future_invitations=True, language=lang)
    _register(
        a,
        consent_future_invitations=True,
        language="en",
        target_group="supplier",
        organisation={"name": "Bygg AB", "org_number": "556677-8899", "country": "SE"},
    )
    _past(a)
    _quiet()
    login()
    client.get("/?lang=en")
    manage = client.get(f"/manage/events/{upcoming.slug}").get_data(as_text=True)
    assert f"/manage/events/{upcoming.slug}/campaigns" in manage
    url = f"/manage/events/{upcoming.slug}/campaigns/new"
    assert client.get(url).status_code == 200
    form = {"subject_fi": "Tervetuloa konferenssiin", "body_fi": "Nähdään!", "when": "now"}
    shown = html.unescape(client.post(url, data={**form, "action": "preview"}).get_data(True))
    assert "It will reach 4 people from 2 organisations." in shown
    assert re.search(r"Contracting authorities</th>\s*<td[^>]*>3</td>\s*<td[^>]*>1<", shown)
    assert "Tervetuloa konferenssiin" in shown and "Kutsu" not in shown
    assert "Inbjudan: Konferensen" in shown and "Invitation: Konferensen" in shown
    tested = client.post(url, data={**form, "action": "test"})
    assert "3 test copies are on their way" in tested.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0
    narrowed = client.post(url, data={**form, "action": "preview", "target_groups": "supplier"})
    assert "It will reach 1 person from 1 organisation." in narrowed.get_data(as_text=True)
    at = (upcoming.starts_at - timedelta(days=1)).astimezone()
    local = at.astimezone(__import__("zoneinfo").ZoneInfo(upcoming.timezone))
    sent = client.post(url, data={**form, "action": "send", "when": "at",
                                  "send_at": local.strftime("%Y-%m-%dT%H:%M")})  # fmt: skip
    assert sent.status_code == 302
    listing = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "The invitations will be sent on" in listing
    assert "Scheduled" in listing
    bad = client.post(
        url, data={**form, "action": "send", "when": "at", "send_at": "2020-01-01T10:00"}
    )
    assert bad.status_code == 400 and "Choose a time in the future." in bad.get_data(True)


def test_only_the_events_managers(client, earlier, login):
    from core.auth import create_organiser

    _a, _b, upcoming = earlier
    create_organiser("other@example.se", "Other", "other-pass")
    login("other@example.se", "other-pass")
    assert client.get(f"/manage/events/{upcoming.slug}/campaigns").status_code == 403
    assert client.get(f"/manage/events/{upcoming.slug}/campaigns/new").status_code == 403
    assert client.get("/i/not-a-token").status_code == 404
    assert client.get("/i/not-a-token/withdraw").status_code == 404


def test_two_workers_at_once_reach_everyone_once(app, organiser, earlier):
    a, _b, upcoming = earlier
    for _ in range(7):
        _register(a, consent_future_invitations=True)
    _quiet()
    campaign = campaigns.create_campaign(organiser, upcoming, {})
    now = utcnow() + timedelta(seconds=1)
    barrier, results, errors = threading.Barrier(2), [], []

    def worker() -> None:
        with app.app_context():
            try:
                barrier.wait()
                results.append(campaigns.send_due_campaigns(now=now, batch_size=2))
            except Exception as err:  # reported below
                errors.append(err)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(results) == 7
    db.session.rollback()
    rows = db.session.scalars(
        sa.select(OutboxMessage.recipient).where(OutboxMessage.kind == "campaign_invitation")
    ).all()
    assert len(rows) == len(set(rows)) == 7
    done = db.session.get(Campaign, campaign.id, populate_existing=True)
    assert (done.status, done.recipient_count) == ("sent", 7)
