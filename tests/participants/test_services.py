"""The registration rules: organisation numbers, duplicates, seats, quotas, sessions, the
waiting list and promotion, and the registration window."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale

from core.db import db
from core.errors import ServiceError, ValidationError
from events.services import cancel_event, update_event
from participants import queries, seats, services, window
from participants.models import Organisation, Registration
from tests.conftest import event_data
from tests.participants.helpers import as_stored, outbox, person, row_counts, sessions_for


@pytest.fixture(autouse=True)
def english(app):
    """These tests read the services' messages outside a request, where the default language
    (Swedish) applies; they assert the English text."""
    with force_locale("en"):
        yield


def _start() -> datetime:
    return datetime.fromisoformat(event_data()["starts_at"])


def reg(event, n, **overrides) -> Registration:
    return services.register(event, person(n, **overrides))


# --- organisation numbers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "country", "stored"),
    [
        ("212000-0142", "SE", "212000-0142"),  # Stockholm
        ("2120001355", "SE", "212000-1355"),  # Göteborg, without the hyphen
        (" 556036-0793 ", "SE", "556036-0793"),  # Saab, with spaces
        ("16556036-0793", "SE", "556036-0793"),  # the 16-prefixed long form
        ("0201256-6", "FI", "0201256-6"),  # Helsinki
        ("01246109", "FI", "0124610-9"),  # Vantaa, without the hyphen
        ("2229500-6", "FI", "2229500-6"),  # THL
        ("", "SE", None),  # optional
    ],
)
def test_valid_organisation_numbers_are_stored_normalised(make_event, given, country, stored):
    event = make_event()
    organisation = {"name": "Organisationen", "org_number": given, "country": country}
    registration = as_stored(reg(event, 1, organisation=organisation))
    assert registration.organisation.org_number == stored
    assert registration.organisation.country == country


@pytest.mark.parametrize(
    ("given", "country", "message"),
    [
        ("212000-0143", "SE", "check digit is wrong"),  # Luhn fails
        ("12345", "SE", "ten digits"),
        # Digits 3-4 below 20: a personal identity number, refused with the reason.
        ("811218-9876", "SE", "personal identity number"),
        ("19811218-9876", "SE", "ten digits"),
        ("0201256-5", "FI", "check digit is wrong"),  # mod 11 fails
        ("0000010-0", "FI", "check digit is wrong"),  # r = 1 is never issued
        ("020125-66", "FI", "NNNNNNN-N"),
    ],
)
def test_bad_organisation_numbers_are_refused_and_nothing_is_written(
    make_event, given, country, message
):
    event = make_event()
    before = row_counts()
    organisation = {"name": "Organisationen", "org_number": given, "country": country}
    with pytest.raises(ValidationError) as caught:
        reg(event, 1, organisation=organisation)
    assert set(caught.value.fields) == {"org_number"}
    assert message in str(caught.value.fields["org_number"])
    assert row_counts() == before


def test_the_personal_identity_number_message_explains_why(make_event):
    event = make_event()
    with pytest.raises(ValidationError) as caught:
        reg(event, 1, organisation={"name": "Enskild firma", "org_number": "8112189876"})
    text = str(caught.value.fields["org_number"])
    assert "personal identity number" in text
    assert "at least 20" in text


def test_one_organisation_row_per_number(make_event):
    event = make_event()
    a = as_stored(reg(event, 1))
    b = as_stored(
        reg(event, 2, organisation={"name": "Stockholm stad (typo)", "org_number": "2120000142"})
    )
    assert a.organisation_id == b.organisation_id
    assert db.session.query(Organisation).count() == 1


# --- duplicates --------------------------------------------------------------------------------


def test_a_second_registration_is_refused_and_the_manage_link_sent_again(make_event):
    event = make_event()
    first = reg(event, 1)
    before = row_counts()
    with pytest.raises(services.AlreadyRegistered) as caught:
        services.register(event, person(1, email="MAJA1@Stockholm.se", name="Someone Else"))
    after = row_counts()
    assert after["registration"] == before["registration"]
    assert after["outbox_message"] == before["outbox_message"] + 1
    resent = outbox("manage_link")
    assert len(resent) == 1
    assert resent[0].recipient == "maja1@stockholm.se"
    assert first.token in resent[0].body_text
    # The answer says nothing about the first registration: not its status, name or link.
    error = caught.value.to_dict()["error"]
    assert error["code"] == "already_registered"
    text = str(error)
    for secret in (first.token, first.name, "confirmed", "waitlist"):
        assert secret not in text


def test_after_cancelling_the_same_email_may_register_again(make_event):
    event = make_event()
    first = reg(event, 1)
    services.cancel(first)
    again = reg(event, 1)
    assert again.status == "confirmed"
    assert again.token != first.token


# --- seats, quotas, sessions -------------------------------------------------------------------


def test_the_event_fills_then_waitlists_in_order(make_event):
    event = make_event(capacity=2)
    results = [reg(event, n) for n in range(1, 6)]
    assert [r.status for r in results] == ["confirmed"] * 2 + ["waitlisted"] * 3
    assert [seats.waitlist_position(r) for r in results] == [None, None, 1, 2, 3]
    assert results[2].full_reason == "event"
    assert seats.seats_left(event) == 0


def test_a_full_quota_waitlists_only_that_group(make_event):
    event = make_event(
        capacity=10,
        target_groups=[{"code": "supplier", "quota": 1}, {"code": "contracting_authority"}],
    )
    first = reg(event, 1, target_group="supplier")
    second = reg(event, 2, target_group="supplier")
    other = reg(event, 3, target_group="contracting_authority")
    assert (first.status, second.status, other.status) == ("confirmed", "waitlisted", "confirmed")
    assert second.full_reason == "quota"


def test_a_target_group_the_event_does_not_admit_is_refused(make_event):
    event = make_event(target_groups=["contracting_authority"])
    with pytest.raises(ValidationError) as caught:
        reg(event, 1, target_group="supplier")
    assert "target_group" in caught.value.fields


def test_a_full_session_waitlists_the_registration_until_other_sessions_are_chosen(make_event):
    """The documented decision: when only a chosen session is full the whole registration
    waits (reason "session"); choosing sessions with room confirms it at once."""
    event = make_event(capacity=10, sessions=sessions_for(_start(), 1, None))
    small, large = event.sessions
    first = reg(event, 1, sessions=[small.id])
    second = reg(event, 2, sessions=[small.id, large.id])
    assert first.status == "confirmed"
    assert second.status == "waitlisted"
    assert second.full_reason == "session"
    assert seats.waitlist_position(second) == 1
    assert outbox("waitlisted", "maja2@stockholm.se")

    changed = services.change_sessions(second, [large.id])
    assert changed.status == "confirmed"
    assert [s.id for s in changed.sessions] == [large.id]
    assert len(outbox("promoted", "maja2@stockholm.se")) == 1


def test_a_confirmed_person_cannot_move_into_a_full_session(make_event):
    event = make_event(capacity=10, sessions=sessions_for(_start(), 1, None))
    small, large = event.sessions
    reg(event, 1, sessions=[small.id])
    other = reg(event, 2, sessions=[large.id])
    with pytest.raises(ValidationError) as caught:
        services.change_sessions(other, [small.id])
    assert "is full" in str(caught.value.fields["sessions"])
    db.session.rollback()
    assert [s.id for s in db.session.get(Registration, other.id).sessions] == [large.id]


def test_sessions_at_the_same_time_cannot_both_be_chosen(make_event):
    start = _start()
    hour = timedelta(hours=1)
    overlapping = [
        {"title": "A", "starts_at": start.isoformat(), "ends_at": (start + 2 * hour).isoformat()},
        {
            "title": "B",
            "starts_at": (start + hour).isoformat(),
            "ends_at": (start + 3 * hour).isoformat(),
        },
    ]
    event = make_event(sessions=overlapping)
    with pytest.raises(ValidationError) as caught:
        reg(event, 1, sessions=[s.id for s in event.sessions])
    assert "at the same time" in str(caught.value.fields["sessions"])


# --- cancelling and promotion ------------------------------------------------------------------


def test_cancel_promotes_the_first_waitlisted_person_who_fits(make_event):
    event = make_event(
        capacity=3,
        target_groups=[{"code": "supplier", "quota": 1}, {"code": "contracting_authority"}],
    )
    reg(event, "a", target_group="supplier")
    b = reg(event, "b")
    reg(event, "c")
    d = reg(event, "d", target_group="supplier")  # waits first, but the supplier quota is full
    e = reg(event, "e")
    assert (d.status, e.status) == ("waitlisted", "waitlisted")

    cancelled = services.cancel(b)
    assert cancelled.status == "cancelled"
    assert cancelled.cancelled_at is not None
    db.session.expire_all()
    assert db.session.get(Registration, e.id).status == "confirmed"
    assert db.session.get(Registration, d.id).status == "waitlisted"
    assert seats.waitlist_position(db.session.get(Registration, d.id)) == 1
    assert len(outbox("promoted", "majae@stockholm.se")) == 1
    assert outbox("promoted", "majad@stockholm.se") == []
    assert len(outbox("cancelled", "majab@stockholm.se")) == 1


def test_cancelling_twice_changes_nothing(make_event):
    event = make_event()
    registration = reg(event, 1)
    services.cancel(registration)
    before = row_counts()
    services.cancel(registration)
    assert row_counts() == before


def test_a_waitlisted_person_cancelling_moves_the_others_up(make_event):
    event = make_event(capacity=1)
    reg(event, 1)
    second, third = reg(event, 2), reg(event, 3)
    services.cancel(second)
    assert seats.waitlist_position(db.session.get(Registration, third.id)) == 1
    assert db.session.get(Registration, third.id).status == "waitlisted"


def test_raising_the_capacity_promotes(make_event, organiser):
    event = make_event(capacity=1)
    reg(event, 1)
    second, third = reg(event, 2), reg(event, 3)
    update_event(organiser, event, {"capacity": 2})
    db.session.expire_all()
    assert db.session.get(Registration, second.id).status == "confirmed"
    assert db.session.get(Registration, third.id).status == "waitlisted"
    assert len(outbox("promoted", "maja2@stockholm.se")) == 1


def test_raising_a_quota_promotes(make_event, organiser):
    groups = [{"code": "supplier", "quota": 1}, {"code": "contracting_authority"}]
    event = make_event(capacity=10, target_groups=groups)
    reg(event, 1, target_group="supplier")
    waiting = reg(event, 2, target_group="supplier")
    assert waiting.status == "waitlisted"
    raised = [{"code": "supplier", "quota": 2}, {"code": "contracting_authority"}]
    update_event(organiser, event, {"target_groups": raised})
    db.session.expire_all()
    assert db.session.get(Registration, waiting.id).status == "confirmed"
    assert len(outbox("promoted", "maja2@stockholm.se")) == 1


def test_an_organiser_moves_someone_off_the_waiting_list_only_into_a_free_seat(make_event):
    event = make_event(capacity=1)
    first = reg(event, 1)
    waiting = reg(event, 2)
    with pytest.raises(ServiceError) as caught:
        services.confirm_from_waitlist(waiting)
    assert caught.value.code == "no_free_seat"
    services.cancel(first, by_organiser=True)  # promotes the waiting person by itself
    assert db.session.get(Registration, waiting.id).status == "confirmed"


def test_an_organiser_adds_a_speaker_outside_the_window_but_not_beyond_the_seats(make_event):
    event = make_event(capacity=1, target_groups=["contracting_authority"])
    reg(event, 1)
    speaker = services.register(
        event, person("s", target_group="other"), by_organiser=True
    )  # a group the form does not offer
    assert speaker.status == "waitlisted"
    assert as_stored(speaker).added_by_organiser


# --- the registration window -------------------------------------------------------------------


def test_registration_not_yet_open(make_event):
    event = make_event(
        registration_opens_at=(datetime.now().astimezone() + timedelta(days=1)).isoformat()
    )
    before = row_counts()
    with pytest.raises(window.RegistrationClosed) as caught:
        reg(event, 1)
    assert caught.value.code == "registration_closed"
    assert "not opened yet" in str(caught.value.message)
    assert row_counts() == before


def test_registration_closes_at_the_closing_time(make_event, monkeypatch):
    closes = _start() - timedelta(days=1)
    event = make_event(registration_closes_at=closes.isoformat())
    monkeypatch.setattr(window, "utcnow", lambda: closes - timedelta(seconds=1))
    assert reg(event, 1).status == "confirmed"
    monkeypatch.setattr(window, "utcnow", lambda: closes)
    before = row_counts()
    with pytest.raises(window.RegistrationClosed) as caught:
        reg(event, 2)
    assert "Registration has closed" in str(caught.value.message)
    assert row_counts() == before


def test_registration_closes_when_the_event_starts(make_event, monkeypatch):
    event = make_event()
    monkeypatch.setattr(window, "utcnow", lambda: event.starts_at)
    with pytest.raises(window.RegistrationClosed) as caught:
        reg(event, 1)
    assert "has started" in str(caught.value.message)


def test_a_cancelled_event_takes_no_registrations(make_event, organiser):
    event = make_event()
    cancel_event(organiser, event)
    before = row_counts()
    with pytest.raises(window.EventCancelled) as caught:
        reg(event, 1)
    assert caught.value.code == "event_cancelled"
    with pytest.raises(window.EventCancelled):  # bad input too: the form is closed first
        services.register(event, {"name": ""})
    assert row_counts() == before


def test_a_draft_takes_no_registrations(make_event):
    event = make_event(status="draft")
    with pytest.raises(window.RegistrationClosed):
        reg(event, 1)


# --- check-in and counts -----------------------------------------------------------------------


def test_check_in_only_for_confirmed_and_undo(make_event):
    event = make_event(capacity=1)
    confirmed, waiting = as_stored(reg(event, 1)), as_stored(reg(event, 2))
    services.check_in(confirmed)
    assert confirmed.attended_at is not None
    with pytest.raises(ValidationError):
        services.check_in(waiting)
    services.check_in(confirmed, attended=False)
    assert confirmed.attended_at is None


def test_counts_by_status_and_group(make_event):
    event = make_event(capacity=2)
    reg(event, 1)
    reg(event, 2, target_group="supplier")
    services.cancel(reg(event, 3))
    reg(event, 4)
    counts = queries.counts(event)
    assert counts.by_status == {"confirmed": 2, "waitlisted": 1, "cancelled": 1}
    assert counts.by_group["supplier"]["confirmed"] == 1
    assert counts.by_group["contracting_authority"] == {
        "confirmed": 1,
        "waitlisted": 1,
        "cancelled": 1,
    }
