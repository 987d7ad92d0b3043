"""Organisers' registration pages: the list with counts, search and filters, moving someone off
the waiting list, cancelling on someone's behalf, adding a person by hand, and email to
registrants through the outbox. Check-in at the door: tests/participants/test_checkin.py."""

from __future__ import annotations

import html
import re

import pytest

from core.auth import create_organiser
from core.db import db
from participants import services
from participants.models import Registration
from tests.participants.helpers import Mail, as_stored, outbox, person, row_counts


@pytest.fixture
def signed_in(client, organiser, login):
    login()
    client.get("/?lang=en")
    return client


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def fresh(registration: Registration) -> Registration:
    db.session.rollback()
    return db.session.get(Registration, registration.id)


def names_in_table(page: str) -> list[str]:
    return re.findall(
        r'<th scope="row" class="govuk-table__header">(?:<a [^>]*>)?([^<]+)(?:</a>)?<br>', page
    )


# --- access ------------------------------------------------------------------------------------


PAGES = [
    "/manage/events/{slug}/registrations",
    "/manage/events/{slug}/registrations/new",
    "/manage/events/{slug}/checkin",
    "/manage/events/{slug}/catering",
    "/manage/events/{slug}/catering.csv",
    "/manage/events/{slug}/registrations.csv",
    "/manage/events/{slug}/registrations.xlsx",
    "/manage/events/{slug}/message",
]


@pytest.mark.parametrize("page", PAGES)
def test_organiser_pages_need_a_sign_in(client, make_event, page):
    event = make_event()
    response = client.get(page.format(slug=event.slug))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("page", PAGES)
def test_organiser_pages_need_rights_to_the_event(client, make_event, login, page):
    event = make_event()
    create_organiser("other@vantaa.fi", "Olli Other", "other-pass")
    login("other@vantaa.fi", "other-pass")
    assert client.get(page.format(slug=event.slug)).status_code == 403


def test_actions_need_rights_to_the_event(client, make_event, login):
    event = make_event(capacity=0)
    registration = services.register(event, person(1))
    create_organiser("other@vantaa.fi", "Olli Other", "other-pass")
    login("other@vantaa.fi", "other-pass")
    base = f"/manage/events/{event.slug}/registrations/{registration.id}"
    assert client.post(f"{base}/confirm").status_code == 403
    assert client.post(f"{base}/cancel").status_code == 403
    assert client.get(f"/manage/checkin/{registration.token}").status_code == 403
    assert fresh(registration).status == "waitlisted"


def test_an_admin_manages_every_event(client, make_event, admin, login):
    event = make_event()
    login("admin@upphandlingsmyndigheten.se", "admin-pass")
    assert client.get(f"/manage/events/{event.slug}/registrations").status_code == 200


# --- the list ----------------------------------------------------------------------------------


def test_registrations_page_counts_by_status_and_target_group(signed_in, make_event):
    event = make_event(capacity=2)
    first = services.register(event, person(1))
    services.register(event, person(2, target_group="supplier"))
    third = services.register(event, person(3, target_group="supplier"))
    services.register(event, person(4))
    services.cancel(first)  # promotes the third, the first in line
    services.register(event, person(5))
    assert fresh(third).status == "confirmed"

    page = text(signed_in.get(f"/manage/events/{event.slug}/registrations"))

    assert "Confirmed: 2 of 2 places (0 left)." in page
    assert "Waitlisted: 2." in page
    assert "Cancelled: 1." in page

    # Columns: confirmed, waitlisted, cancelled.
    def cells(group: str) -> list[str]:
        row = re.search(
            rf'<th scope="row" class="govuk-table__header">{group}</th>(.*?)</tr>', page, re.S
        )
        return re.findall(r"<td [^>]*>([^<]+)</td>", row.group(1))

    assert cells("Suppliers") == ["30", "2", "0", "0"]
    assert cells("Contracting authorities") == ["–", "0", "2", "1"]


def test_search_and_filters_narrow_the_list(signed_in, make_event):
    event = make_event(capacity=1)
    services.register(event, person(1))
    services.register(
        event,
        person(2, target_group="supplier", organisation={"name": "Saab AB", "country": "SE"}),
    )
    url = f"/manage/events/{event.slug}/registrations"

    assert names_in_table(text(signed_in.get(url))) == ["Maja Upphandlare 1", "Maja Upphandlare 2"]
    assert names_in_table(text(signed_in.get(url + "?q=saab"))) == ["Maja Upphandlare 2"]
    assert names_in_table(text(signed_in.get(url + "?q=MAJA1@"))) == ["Maja Upphandlare 1"]
    assert names_in_table(text(signed_in.get(url + "?status=waitlisted"))) == ["Maja Upphandlare 2"]
    assert names_in_table(text(signed_in.get(url + "?target_group=contracting_authority"))) == [
        "Maja Upphandlare 1"
    ]
    assert names_in_table(text(signed_in.get(url + "?attended=yes"))) == []
    page = text(signed_in.get(url + "?status=waitlisted"))
    assert "Waitlisted</strong> (number 1)" in page  # the status as a tag, then the place


def test_the_search_folds_every_letters_case(signed_in, make_event):
    """Åsa is found as åsa and Örebro as ÖREBRO, on SQLite (whose lower() folds ASCII only)
    as on PostgreSQL."""
    event = make_event()
    services.register(event, person(1))
    örebro = {"name": "Örebro kommun", "org_number": "212000-1967", "country": "SE"}
    services.register(event, person(2, name="Åsa Öberg", organisation=örebro))
    url = f"/manage/events/{event.slug}/registrations"
    assert names_in_table(text(signed_in.get(url + "?q=åsa"))) == ["Åsa Öberg"]
    assert names_in_table(text(signed_in.get(url + "?q=ÖREBRO"))) == ["Åsa Öberg"]
    assert names_in_table(text(signed_in.get(url + "?q=öberg"))) == ["Åsa Öberg"]


def test_move_someone_off_the_waiting_list_into_a_free_seat(signed_in, make_event):
    event = make_event(capacity=0)
    waiting = services.register(event, person(1))
    url = f"/manage/events/{event.slug}/registrations/{waiting.id}/confirm"
    page = text(signed_in.get(f"/manage/events/{event.slug}/registrations"))
    assert f'action="{url}"' in page

    # No free seat: refused with the reason, nothing changes.
    response = signed_in.post(url, follow_redirects=True)
    assert "The event is full." in text(response)
    assert fresh(waiting).status == "waitlisted"

    # A seat appears without the automatic promotion (changed behind the service's back).
    event.capacity = 1
    db.session.commit()
    response = signed_in.post(url, follow_redirects=True)
    assert "Maja Upphandlare 1 now has a place." in text(response)
    assert fresh(waiting).status == "confirmed"
    assert [m.kind for m in outbox(recipient="maja1@stockholm.se")][-1] == "promoted"


def test_a_quota_blocks_moving_someone_off_the_waiting_list(signed_in, make_event):
    event = make_event(capacity=2, target_groups=[{"code": "contracting_authority", "quota": 1}])
    services.register(event, person(1))
    waiting = services.register(event, person(2))
    url = f"/manage/events/{event.slug}/registrations/{waiting.id}/confirm"

    response = signed_in.post(url, follow_redirects=True)
    assert "The places for your target group are taken." in text(response)
    assert fresh(waiting).status == "waitlisted"


def test_cancel_on_someones_behalf_asks_first_and_promotes(signed_in, make_event):
    event = make_event(capacity=1)
    first = services.register(event, person(1))
    second = services.register(event, person(2))
    url = f"/manage/events/{event.slug}/registrations/{first.id}/cancel"

    page = text(signed_in.get(url))
    assert "Cancel the registration of Maja Upphandlare 1" in page
    assert fresh(first).status == "confirmed"

    response = signed_in.post(url)
    assert response.status_code == 302
    assert fresh(first).status == "cancelled"
    assert fresh(second).status == "confirmed"
    assert [m.kind for m in outbox(recipient="maja1@stockholm.se")][-1] == "cancelled"


def test_a_registration_of_another_event_is_not_found(signed_in, make_event):
    event = make_event()
    other = make_event(title="Another")
    registration = services.register(other, person(1))
    url = f"/manage/events/{event.slug}/registrations/{registration.id}/cancel"
    assert signed_in.post(url).status_code == 404
    assert fresh(registration).status == "confirmed"


def test_add_a_person_by_hand_from_any_target_group(signed_in, make_event):
    event = make_event()
    response = signed_in.post(
        f"/manage/events/{event.slug}/registrations/new",
        data={
            "name": "Sara Speaker",
            "email": "sara@helsinki.fi",
            "organisation": "Helsingin kaupunki",
            "org_number": "0201256-6",
            "country": "FI",
            "target_group": "decision_maker",  # not admitted to the public form
            "language": "fi",
        },
    )
    assert response.status_code == 302
    registration = db.session.scalars(
        db.select(Registration).where(Registration.email == "sara@helsinki.fi")
    ).one()
    assert registration.status == "confirmed"
    assert registration.added_by_organiser is True
    assert registration.organisation.org_number == "0201256-6"
    assert "Sara Speaker is registered." in text(signed_in.get(response.headers["Location"]))


def test_add_a_person_shows_errors_and_duplicates(signed_in, make_event):
    event = make_event()
    services.register(event, person(1))
    before = row_counts()
    url = f"/manage/events/{event.slug}/registrations/new"

    response = signed_in.post(url, data={"name": "", "email": "x", "organisation": "Org"})
    assert response.status_code == 422
    assert re.search(
        r'id="name-error"><span[^>]*>Error:</span> Enter the person\'s name\.',
        text(response),
    )

    response = signed_in.post(
        url,
        data={
            "name": "Maja",
            "email": "MAJA1@stockholm.se",
            "organisation": "Org",
            "target_group": "other",
        },
    )
    assert response.status_code == 409
    assert "already registered" in text(response)
    assert row_counts()["registration"] == before["registration"]


# --- email to registrants ----------------------------------------------------------------------


def _bulk() -> list[Mail]:
    db.session.rollback()
    return outbox("bulk_message")


def test_message_goes_to_each_matching_registrant_once(signed_in, make_event):
    event = make_event(capacity=2)
    a = as_stored(services.register(event, person(1, language="fi")))
    services.register(event, person(2, target_group="supplier"))
    services.register(event, person(3))  # waitlisted
    gone = services.register(event, person(4))
    services.cancel(gone)
    services.check_in(a, True)
    url = f"/manage/events/{event.slug}/message"

    response = signed_in.post(
        url, data={"action": "send", "subject_sv": "Welcome", "body_sv": "Hello\n\nSee you."}
    )
    assert response.status_code == 302
    assert sorted(m.recipient for m in _bulk()) == [
        "maja1@stockholm.se",
        "maja2@stockholm.se",
        "maja3@stockholm.se",
    ]
    message = next(m for m in _bulk() if m.recipient == "maja1@stockholm.se")
    assert message.subject == "Welcome"
    assert "Hello" in message.body_text and f"/r/{a.token}" in message.body_text
    assert ">Hello</p>" in message.body_html and ">See you.</p>" in message.body_html
    assert "The message is queued for 3 people." in text(signed_in.get("/"))

    signed_in.post(
        url,
        data={
            "action": "send",
            "subject_sv": "Thanks",
            "body_sv": "Thank you",
            "status": "confirmed",
            "attended": "yes",
        },
    )
    assert [m.recipient for m in _bulk() if m.subject == "Thanks"] == ["maja1@stockholm.se"]

    signed_in.post(
        url,
        data={
            "action": "send",
            "subject_sv": "Suppliers",
            "body_sv": "Hi",
            "target_group": "supplier",
        },
    )
    assert [m.recipient for m in _bulk() if m.subject == "Suppliers"] == ["maja2@stockholm.se"]

    signed_in.post(
        url, data={"action": "send", "subject_sv": "Sorry", "body_sv": "Hi", "status": "cancelled"}
    )
    assert [m.recipient for m in _bulk() if m.subject == "Sorry"] == ["maja4@stockholm.se"]


def test_message_needs_a_subject_and_a_text(signed_in, make_event):
    event = make_event()
    services.register(event, person(1))
    response = signed_in.post(
        f"/manage/events/{event.slug}/message",
        data={"action": "send", "subject_sv": " ", "body_sv": ""},
    )
    assert response.status_code == 400
    page = text(response)
    assert re.search(
        r'id="subject_sv-error"><span[^>]*>Error:</span> Enter a subject\.',
        page,
    )
    assert re.search(
        r'id="body_sv-error"><span[^>]*>Error:</span> Enter the text of the message\.',
        page,
    )
    assert _bulk() == []
