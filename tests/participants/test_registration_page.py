"""One registration's own page for organisers (details, target group under the seat rules,
sessions, confirmation sent again, a place from the waiting list, the emails sent), the
person's own correction of their details from the manage link, the list's bulk actions, and
the "add a person" form in the organiser's voice."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from core.auth import create_api_token, create_organiser
from core.db import db, utcnow
from core.models import OutboxMessage
from participants import details, seats, services
from participants.models import Organisation, Registration
from tests.conftest import event_data
from tests.participants.helpers import (
    as_stored,
    assert_seat_counts_kept,
    outbox,
    page_text,
    person,
    sessions_for,
)


def fresh(registration) -> Registration:
    db.session.rollback()
    return db.session.get(Registration, registration.id, populate_existing=True)


def page_of(event, registration) -> str:
    return f"/manage/events/{event.slug}/registrations/{registration.id}"


def organiser_form(**overrides):
    data = {
        "name": "Maja Lind",
        "role": "Inköpschef",
        "target_group": "contracting_authority",
        "language": "en",
        "organisation": "Vantaan kaupunki",
        "country": "FI",
        "org_number": "0124610-9",
        "needs": "Vegetarian",
    }
    data.update(overrides)
    return data


def own_form(**overrides):
    data = organiser_form(**overrides)
    data.pop("target_group")
    return data


# --- the organiser's page ----------------------------------------------------------------------


def test_the_list_links_each_name_to_their_page(signed_in, make_event):
    event = make_event()
    registration = services.register(event, person(1))
    page = page_text(signed_in.get(f"/manage/events/{event.slug}/registrations"))
    assert f'href="{page_of(event, registration)}">Maja Upphandlare 1</a>' in page


def test_the_page_shows_the_person_and_the_address_is_read_only(signed_in, make_event):
    event = make_event()
    registration = services.register(event, person(1))
    response = signed_in.get(page_of(event, registration))
    assert response.status_code == 200
    page = page_text(response)
    assert "maja1@stockholm.se" in page
    assert 'value="Maja Upphandlare 1"' in page
    assert 'value="Stockholms stad"' in page
    assert 'name="email"' not in page
    assert "The email address cannot be changed" in page
    # The confirmation queued at registration is listed with its subject and status.
    emails = page[page.index('id="emails"') :]
    # In the person's language, as it goes out.
    assert "Anmälan bekräftad: Sysselsättningskrav i praktiken" in emails
    assert "Queued" in emails


def test_an_organiser_edits_the_details(signed_in, make_event):
    event = make_event()
    registration = services.register(event, person(1))
    response = signed_in.post(page_of(event, registration), data=organiser_form())
    assert response.status_code == 302
    row = fresh(registration)
    assert (row.name, row.role, row.language, row.needs) == (
        "Maja Lind",
        "Inköpschef",
        "en",
        "Vegetarian",
    )
    assert row.email == "maja1@stockholm.se"
    assert (row.organisation.name, row.organisation.org_number, row.organisation.country) == (
        "Vantaan kaupunki",
        "0124610-9",
        "FI",
    )
    assert "The details of Maja Lind are saved." in page_text(
        signed_in.get(page_of(event, registration))
    )


def test_an_organisation_is_found_by_its_key_as_at_registration(signed_in, make_event):
    event = make_event()
    first = services.register(event, person(1))
    second = services.register(
        event,
        person(2, organisation={"name": "Vantaa", "country": "FI", "org_number": "0124610-9"}),
    )
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Organisation))
    signed_in.post(page_of(event, first), data=organiser_form(org_number="0124610 9"))
    assert fresh(first).organisation_id == as_stored(second).organisation_id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "Maja\x00Lind", "cannot be saved"),
        ("name", "M" * 201, "At most 200 characters."),
        ("organisation", "", "Enter the name of their organisation."),
        ("org_number", "212000-0143", "organisation number"),
        ("needs", "x" * 2001, "At most 2000 characters."),
    ],
)
def test_bad_details_are_refused_and_nothing_is_written(
    signed_in, make_event, field, value, message
):
    event = make_event()
    registration = services.register(event, person(1))
    form = organiser_form(country="SE", **{field: value})
    if field == "org_number":
        form["org_number"] = value
    response = signed_in.post(page_of(event, registration), data=form)
    assert 400 <= response.status_code < 500
    assert message.lower() in page_text(response).lower()
    row = fresh(registration)
    assert row.name == "Maja Upphandlare 1"
    assert row.organisation.name == "Stockholms stad"
    assert row.language == "sv"


def test_the_service_refuses_nul_and_writes_nothing(make_event):
    event = make_event()
    registration = as_stored(services.register(event, person(1)))
    data = {"name": "Maja", "organisation": {"name": "Stad\x00", "country": "SE"}}
    with pytest.raises(details.ValidationError) as err:
        details.update_details(registration, data, by_organiser=False)
    assert set(err.value.fields) == {"organisation"}
    assert fresh(registration).organisation.name == "Stockholms stad"


def test_changing_the_target_group_moves_the_seat(signed_in, make_event):
    event = make_event()
    registration = services.register(event, person(1))
    response = signed_in.post(
        page_of(event, registration), data=organiser_form(target_group="supplier")
    )
    assert response.status_code == 302
    assert fresh(registration).target_group == "supplier"
    counts = {tg.code: tg.confirmed_count for tg in seats.lock_event(event.id).target_groups}
    db.session.rollback()
    assert counts == {"contracting_authority": 0, "supplier": 1}
    assert_seat_counts_kept()


def test_a_full_quota_refuses_the_new_target_group(signed_in, make_event):
    event = make_event(
        target_groups=[
            {"code": "contracting_authority", "quota": None},
            {"code": "supplier", "quota": 1},
        ]
    )
    services.register(event, person(1, target_group="supplier"))
    registration = services.register(event, person(2))
    response = signed_in.post(
        page_of(event, registration), data=organiser_form(target_group="supplier")
    )
    assert response.status_code == 422
    assert "The places of this target group are taken (quota 1)" in page_text(response)
    row = fresh(registration)
    assert (row.target_group, row.name) == ("contracting_authority", "Maja Upphandlare 2")
    assert_seat_counts_kept()


def test_moving_out_of_a_full_group_gives_its_seat_to_someone_waiting(signed_in, make_event):
    event = make_event(
        target_groups=[
            {"code": "contracting_authority", "quota": None},
            {"code": "supplier", "quota": 1},
        ]
    )
    mover = services.register(event, person(1, target_group="supplier"))
    waiting = services.register(event, person(2, target_group="supplier"))
    assert waiting.status == "waitlisted"
    signed_in.post(page_of(event, mover), data=organiser_form(target_group="contracting_authority"))
    assert fresh(mover).target_group == "contracting_authority"
    assert fresh(waiting).status == "confirmed"
    assert [m.recipient for m in outbox("promoted")] == ["maja2@stockholm.se"]
    assert_seat_counts_kept()


def test_resend_queues_the_confirmation_about_the_registration(signed_in, make_event):
    event = make_event()
    registration = services.register(event, person(1))
    before = len(outbox("confirmed"))
    response = signed_in.post(page_of(event, registration) + "/resend")
    assert response.status_code == 302
    confirmations = outbox("confirmed")
    assert len(confirmations) == before + 1
    assert confirmations[-1].registration_id == registration.id
    assert confirmations[-1].recipient == "maja1@stockholm.se"
    page = page_text(signed_in.get(page_of(event, registration)))
    emails = page[page.index('id="emails"') :]
    assert emails.count("Anmälan bekräftad: Sysselsättningskrav i praktiken") == 2


def test_the_emails_table_shows_sent_and_failed(signed_in, make_event):
    event = make_event()
    registration = services.register(event, person(1))
    other = services.register(event, person(2))
    row = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.registration_id == registration.id)
    )
    row.status, row.subject, row.sent_at = "sent", "The subject that went out", utcnow()
    db.session.add(
        OutboxMessage(
            recipient="maja1@stockholm.se",
            registration_id=registration.id,
            kind="manage_link",
            language="sv",
            facts=None,
            subject="Failed one",
            status="failed",
            created_at=utcnow() - timedelta(hours=1),
        )
    )
    db.session.commit()
    emails = page_text(signed_in.get(page_of(event, registration)))
    emails = emails[emails.index('id="emails"') :]
    assert "The subject that went out" in emails and "Sent" in emails
    assert "Failed one" in emails and "Failed" in emails
    assert "maja2" not in emails and other.id != registration.id


def test_a_place_from_the_waiting_list_on_the_page(signed_in, make_event):
    event = make_event(capacity=1)
    first = services.register(event, person(1))
    waiting = services.register(event, person(2))
    response = signed_in.post(page_of(event, waiting) + "/place")
    assert response.status_code == 409
    assert "The event is full." in page_text(response)
    services.cancel(as_stored(first))
    # The cancellation promoted them already; the button is then gone.
    assert fresh(waiting).status == "confirmed"
    assert_seat_counts_kept()


def test_sessions_are_changed_from_the_page_with_the_seat_rules(signed_in, make_event):
    start = datetime.fromisoformat(event_data()["starts_at"])
    event = make_event(sessions=sessions_for(start, None, 1))
    first_session, small_session = (s.id for s in event.sessions)
    services.register(event, person(1, sessions=[small_session]))
    registration = services.register(event, person(2, sessions=[first_session]))
    response = signed_in.post(
        page_of(event, registration) + "/sessions", data={"sessions": [str(small_session)]}
    )
    assert response.status_code == 422
    assert "Pass 2 is full." in page_text(response)
    assert [s.id for s in fresh(registration).sessions] == [first_session]
    response = signed_in.post(page_of(event, registration) + "/sessions", data={"sessions": []})
    assert response.status_code == 302
    assert fresh(registration).sessions == []
    assert_seat_counts_kept()


def test_another_events_organiser_cannot_see_or_change(client, make_event, login):
    event = make_event()
    registration = services.register(event, person(1))
    create_organiser("other@vantaa.fi", "Olli Other", "other-pass")
    login("other@vantaa.fi", "other-pass")
    base = page_of(event, registration)
    assert client.get(base).status_code == 403
    assert client.post(base, data=organiser_form()).status_code == 403
    assert client.post(base + "/resend").status_code == 403
    assert client.post(base + "/sessions").status_code == 403
    assert (
        client.post(
            f"/manage/events/{event.slug}/registrations/bulk",
            data={"action": "checkin", "id": [registration.id]},
        ).status_code
        == 403
    )
    assert fresh(registration).name == "Maja Upphandlare 1"
    assert fresh(registration).attended_at is None


def test_a_registration_of_another_event_is_not_found(signed_in, make_event):
    event = make_event()
    other = make_event(title="Annat evenemang")
    registration = services.register(other, person(1))
    assert signed_in.get(page_of(event, registration)).status_code == 404


# --- the person's own correction ---------------------------------------------------------------


def test_a_person_corrects_their_organisation(en, make_event):
    event = make_event()
    registration = services.register(event, person(1))
    manage = page_text(en.get(f"/r/{registration.token}?lang=en"))
    assert f"/r/{registration.token}/details" in manage
    form_page = page_text(en.get(f"/r/{registration.token}/details?lang=en"))
    assert 'name="email"' not in form_page
    assert "cancel this registration and register again" in form_page
    response = en.post(f"/r/{registration.token}/details", data=own_form(target_group="supplier"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/r/{registration.token}")
    row = fresh(registration)
    assert row.organisation.name == "Vantaan kaupunki"
    assert row.target_group == "contracting_authority"  # not theirs to change
    assert row.email == "maja1@stockholm.se"
    assert_seat_counts_kept()


def test_a_person_gets_field_errors_and_nothing_changes(en, make_event):
    event = make_event()
    registration = services.register(event, person(1))
    response = en.post(
        f"/r/{registration.token}/details?lang=en",
        data=own_form(country="SE", org_number="12345", name=""),
    )
    assert response.status_code == 422
    page = page_text(response)
    assert "Enter your name." in page
    assert 'href="#org_number"' in page and 'href="#name"' in page
    assert fresh(registration).organisation.name == "Stockholms stad"


def test_a_nul_character_in_the_form_is_a_400(en, make_event):
    event = make_event()
    registration = services.register(event, person(1))
    response = en.post(f"/r/{registration.token}/details", data=own_form(role="a\x00b"))
    assert response.status_code == 400
    assert fresh(registration).role == "Upphandlare"


def test_a_cancelled_registration_cannot_be_corrected_by_the_person(en, make_event):
    event = make_event()
    registration = services.register(event, person(1))
    services.cancel(as_stored(registration))
    response = en.post(f"/r/{registration.token}/details", data=own_form())
    assert response.status_code == 409
    assert fresh(registration).name == "Maja Upphandlare 1"


def test_the_correction_page_is_in_the_persons_language(client, make_event):
    event = make_event()
    registration = services.register(event, person(1, language="fi"))
    page = page_text(client.get(f"/r/{registration.token}/details"))
    assert 'lang="fi"' in page


# --- bulk actions -------------------------------------------------------------------------------


def bulk(client, event, action, *registrations):
    return client.post(
        f"/manage/events/{event.slug}/registrations/bulk",
        data={"action": action, "id": [str(r.id) for r in registrations]},
    )


def test_the_list_has_labelled_checkboxes_and_a_bulk_form(signed_in, make_event):
    event = make_event()
    registration = services.register(event, person(1))
    page = page_text(signed_in.get(f"/manage/events/{event.slug}/registrations"))
    assert re.search(
        rf'<input [^>]*form="bulk" name="id" value="{registration.id}" '
        rf'id="choose-{registration.id}"',
        page,
    )
    assert (
        f'<label class="govuk-label govuk-checkboxes__label" for="choose-{registration.id}">'
        in page
    )
    assert "Choose Maja Upphandlare 1" in page
    assert '<form method="post" id="bulk"' in page
    assert "With the people chosen in the table" in page


def test_bulk_check_in(signed_in, make_event):
    event = make_event(capacity=2)
    a = services.register(event, person(1))
    b = services.register(event, person(2))
    waiting = services.register(event, person(3))
    response = bulk(signed_in, event, "checkin", a, b, waiting)
    assert response.status_code == 302
    assert fresh(a).attended_at is not None and fresh(b).attended_at is not None
    assert fresh(waiting).attended_at is None
    page = page_text(signed_in.get(response.headers["Location"]))
    assert "2 people are checked in." in page
    assert "1 person was not checked in" in page


def test_bulk_promote_only_where_seats_exist(signed_in, make_event, organiser):
    event = make_event(capacity=1)
    services.register(event, person(1))
    w2 = services.register(event, person(2))
    w3 = services.register(event, person(3))
    w4 = services.register(event, person(4))
    response = bulk(signed_in, event, "promote", w2, w3)
    page = page_text(signed_in.get(response.headers["Location"]))
    assert "0 people moved off the waiting list." in page
    assert "2 people could not move" in page
    assert fresh(w2).status == fresh(w3).status == "waitlisted"
    assert_seat_counts_kept()

    # Two seats more, without the automatic promotion: taken by hand from the list.
    db.session.execute(sa.text("UPDATE event SET capacity = 3 WHERE id = :id"), {"id": event.id})
    db.session.commit()
    response = bulk(signed_in, event, "promote", w3, w4, w2)
    page = page_text(signed_in.get(response.headers["Location"]))
    assert "2 people moved off the waiting list." in page
    assert "1 person could not move" in page
    # First come, first served among the chosen.
    assert (fresh(w2).status, fresh(w3).status, fresh(w4).status) == (
        "confirmed",
        "confirmed",
        "waitlisted",
    )
    assert {m.recipient for m in outbox("promoted")} == {"maja2@stockholm.se", "maja3@stockholm.se"}
    assert_seat_counts_kept()


def test_bulk_email_goes_to_the_message_page_with_the_ids(signed_in, make_event):
    event = make_event()
    a = services.register(event, person(1))
    b = services.register(event, person(2))
    response = bulk(signed_in, event, "email", b, a)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/manage/events/{event.slug}/message?id={a.id}&id={b.id}"
    )


@pytest.mark.parametrize("odd", ["\u00b2", "\u0663", "99999999999", "-1", "0", "1e3"])
def test_bulk_ids_that_are_no_registration_are_left_out(signed_in, make_event, odd):
    """A superscript two is a digit to str.isdigit() but not to int(); a number past what
    the database's ids hold would overflow PostgreSQL's integer: both are left out, no 500."""
    event = make_event()
    services.register(event, person(1))
    response = signed_in.post(
        f"/manage/events/{event.slug}/registrations/bulk", data={"action": "checkin", "id": odd}
    )
    assert response.status_code == 302
    page = page_text(signed_in.get(response.headers["Location"]))
    assert "Tick at least one person in the table first." in page


def test_bulk_without_anyone_chosen_says_so(signed_in, make_event):
    event = make_event()
    services.register(event, person(1))
    response = bulk(signed_in, event, "checkin")
    page = page_text(signed_in.get(response.headers["Location"]))
    assert "Tick at least one person in the table first." in page


def test_bulk_ignores_another_events_registrations(signed_in, make_event):
    event = make_event()
    other = make_event(title="Annat")
    theirs = services.register(other, person(1))
    bulk(signed_in, event, "checkin", theirs)
    assert fresh(theirs).attended_at is None


# --- the add form speaks to the organiser ------------------------------------------------------


def test_the_add_form_speaks_to_the_organiser(signed_in, make_event):
    event = make_event()
    page = page_text(signed_in.get(f"/manage/events/{event.slug}/registrations/new"))
    assert "The person's name" in page
    assert "Their email address" in page
    assert "Their organisation" in page
    assert "your registration page" not in page
    assert "send me" not in page
    response = signed_in.post(f"/manage/events/{event.slug}/registrations/new", data={})
    assert "Enter the person's name." in page_text(response)


# --- the JSON API ------------------------------------------------------------------------------


def api_url(event, registration) -> str:
    return f"/api/v1/events/{event.slug}/registrations/{registration.id}"


def test_the_api_changes_only_the_fields_given(client, auth, make_event):
    event = make_event()
    registration = services.register(event, person(1))
    response = client.patch(
        api_url(event, registration),
        json={"role": "Inköpschef", "target_group": "supplier"},
        headers=auth,
    )
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert (answer["role"], answer["target_group"], answer["name"]) == (
        "Inköpschef",
        "supplier",
        "Maja Upphandlare 1",
    )
    assert answer["organisation"]["name"] == "Stockholms stad"
    row = fresh(registration)
    assert (row.role, row.target_group, row.needs) == ("Inköpschef", "supplier", "")
    assert_seat_counts_kept()


def test_the_api_refuses_bad_details_with_field_errors(client, auth, make_event):
    event = make_event()
    registration = services.register(event, person(1))
    url = api_url(event, registration)
    bad = client.patch(
        url, json={"organisation": {"name": "Stad", "org_number": "123", "country": "SE"}},
        headers=auth,
    )  # fmt: skip
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) == {"org_number"}
    nul = client.patch(url, json={"name": "Maja\x00"}, headers=auth)
    assert nul.status_code == 422 and "name" in nul.get_json()["error"]["fields"]
    email = client.patch(url, json={"email": "other@stockholm.se"}, headers=auth)
    assert email.status_code == 422 and "email" in email.get_json()["error"]["fields"]
    row = fresh(registration)
    assert (row.name, row.email, row.organisation.org_number) == (
        "Maja Upphandlare 1",
        "maja1@stockholm.se",
        "212000-0142",
    )


def test_the_api_is_for_the_events_organisers(client, make_event):
    event = make_event()
    registration = services.register(event, person(1))
    other = create_organiser("other@vantaa.fi", "Olli Other", "other-pass")
    token = create_api_token(other)
    response = client.patch(
        api_url(event, registration),
        json={"name": "X"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403
    assert client.patch(api_url(event, registration), json={"name": "X"}).status_code == 401
    assert fresh(registration).name == "Maja Upphandlare 1"
