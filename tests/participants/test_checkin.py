"""Check-in at the door: the list with search, the scan result page (checked in, already
checked in at a time on the event's clock, waitlisted, cancelled, another event, unknown),
undo and check in again without a dead end, the ticket-code field, and per-session attendance
with its rules, counts, the session form and the export."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from core.auth import create_organiser
from core.db import db
from core.errors import Conflict, NotFound
from core.i18n import format_clock
from events.models import Session
from participants import attendance, services
from participants.models import Registration, registration_session
from tests.conftest import event_data
from tests.participants.helpers import as_stored, person, sessions_for


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))


def fresh(registration) -> Registration:
    db.session.rollback()
    return db.session.get(Registration, registration.id)


def result(response) -> str:
    """The scan page's result heading."""
    found = re.search(r'<h1 class="mp-door__title"[^>]*>(.*?)</h1>', text(response))
    assert found, text(response)[:2000]
    return found.group(1).strip()


def outcome(response) -> str:
    return re.search(r'data-outcome="([a-z_]+)"', text(response)).group(1)


def scan_url(event, registration) -> str:
    return f"/manage/events/{event.slug}/checkin/scan/{registration.token}"


def session_time(registration, session_id: int):
    db.session.rollback()
    return db.session.scalar(
        sa.select(registration_session.c.attended_at).where(
            registration_session.c.registration_id == registration.id,
            registration_session.c.session_id == session_id,
        )
    )


@pytest.fixture
def workshop(make_event):
    """An event with two sessions: the first keeps its own attendance."""
    start = datetime.fromisoformat(event_data()["starts_at"])
    sessions = sessions_for(start, None, None)
    sessions[0]["track_attendance"] = True
    sessions[0]["title"] = "Verkstad A"
    return make_event(sessions=sessions)


# --- the list ----------------------------------------------------------------------------


def test_check_in_by_search_and_undo(signed_in, make_event):
    event = make_event(capacity=2)
    maja = services.register(event, person(1))
    services.register(
        event, person(2, name="Olli Toimittaja", organisation={"name": "Vantaa", "country": "FI"})
    )
    services.register(event, person(3, name="Waiting Person"))  # waitlisted: not listed
    url = f"/manage/events/{event.slug}/checkin"

    page = text(signed_in.get(url))
    assert "Waiting Person" not in page
    assert "0 of 2 confirmed people have arrived." in page
    assert re.search(r'<input [^>]*id="code" name="code"[^>]*autofocus', page)
    page = text(signed_in.get(url + "?q=vantaa"))
    assert "Olli Toimittaja" in page and "Maja Upphandlare 1" not in page

    response = signed_in.post(f"{url}/{maja.id}", data={"attended": "1", "q": "maja"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/checkin?q=maja#registration-{maja.id}")
    assert fresh(maja).attended_at is not None
    page = text(signed_in.get(url + "?q=maja"))
    assert "Maja Upphandlare 1 is checked in." in page
    assert re.search(r"Undo<span class=\"govuk-visually-hidden\"> check-in of Maja", page)

    signed_in.post(f"{url}/{maja.id}", data={"attended": "0"})
    assert fresh(maja).attended_at is None


def test_a_waitlisted_person_cannot_be_checked_in_from_the_list(signed_in, make_event):
    event = make_event(capacity=0)
    waiting = services.register(event, person(1))
    response = signed_in.post(
        f"/manage/events/{event.slug}/checkin/{waiting.id}",
        data={"attended": "1"},
        follow_redirects=True,
    )
    assert "Only a confirmed registration can be checked in." in text(response)
    assert fresh(waiting).attended_at is None


# --- the scan result page ------------------------------------------------------------------


def test_scanning_checks_in_and_shows_the_person(signed_in, workshop):
    maja = services.register(
        workshop,
        person(
            1,
            needs="Vegetarian, wheelchair",
            sessions=[workshop.sessions[0].id, workshop.sessions[1].id],
        ),
    )
    response = signed_in.get(scan_url(workshop, maja))
    assert response.status_code == 200
    assert (outcome(response), result(response)) == ("checked_in", "Checked in")
    page = text(response)
    assert 'role="status"' in page
    assert "<title>Checked in: Maja Upphandlare 1 – Mötesplats</title>" in page
    for fact in (
        "Stockholms stad",
        "Upphandlare",
        "Contracting authorities",
        "Vegetarian, wheelchair",
        "Verkstad A",
        "Pass 2",
    ):
        assert fact in page, fact
    assert fresh(maja).attended_at is not None
    # The next scan is ready: a link back to the door's list and the code field, focused.
    assert f'href="/manage/events/{workshop.slug}/checkin"' in page and "Scan next" in page
    assert re.search(r'<input [^>]*id="code" name="code"[^>]*autofocus', page)


def test_a_second_scan_says_already_with_the_time_on_the_events_clock(signed_in, make_event):
    event = make_event(timezone="Europe/Helsinki")
    maja = as_stored(services.register(event, person(1)))
    first = event.starts_at.replace(minute=12) - timedelta(hours=1)  # before the start, in UTC
    with db.session.begin_nested():
        maja.attended_at = first
    db.session.commit()
    helsinki = first.astimezone(ZoneInfo("Europe/Helsinki"))
    assert helsinki.utcoffset() != timedelta(0)  # the event's clock is not UTC's

    response = signed_in.get(scan_url(event, maja))

    assert response.status_code == 200
    assert outcome(response) == "already"
    assert result(response) == f"Already checked in at {format_clock(helsinki, 'en')}"
    assert fresh(maja).attended_at == first  # the first time is kept


@pytest.mark.parametrize(
    ("status", "words", "why"),
    [
        ("waitlisted", "On the waiting list", "Not checked in: the person has no place yet."),
        ("cancelled", "Cancelled", "Not checked in: the registration is cancelled."),
    ],
)
def test_a_ticket_without_a_place_is_refused(signed_in, make_event, status, words, why):
    event = make_event(capacity=1)
    services.register(event, person(1))
    registration = services.register(event, person(2))  # waitlisted
    if status == "cancelled":
        services.cancel(as_stored(registration))
    assert fresh(registration).status == status

    response = signed_in.get(scan_url(event, registration))

    assert response.status_code == 409
    assert (outcome(response), result(response)) == (status, words)
    assert why in text(response)
    assert "Undo the check-in" not in text(response)
    assert fresh(registration).attended_at is None


def test_a_ticket_of_another_event_is_refused_at_this_door(signed_in, make_event):
    door = make_event(title="Dörren i Stockholm")
    other = make_event(title="Verkstad i Vantaa")
    olli = services.register(other, person(1, name="Olli Other"))

    response = signed_in.get(scan_url(door, olli))

    assert response.status_code == 409
    assert result(response) == "Another event: Verkstad i Vantaa"
    assert "Not checked in: this ticket is not for Dörren i Stockholm." in text(response)
    assert fresh(olli).attended_at is None
    # The organiser manages the other event too: one step to check in there instead.
    link = f'href="/manage/events/{other.slug}/checkin/scan/{olli.token}"'
    assert link in text(response)


def test_another_events_person_stays_private_to_its_organisers(client, make_event, login):
    theirs = make_event(title="Their event")
    olli = services.register(theirs, person(1, name="Olli Other", needs="Gluten"))
    create_organiser("door@vantaa.fi", "Door Staff", "door-pass")
    from core.auth import find_organiser
    from events.services import create_event

    mine = create_event(find_organiser("door@vantaa.fi"), event_data(title="My door"))
    login("door@vantaa.fi", "door-pass")
    client.get("/?lang=en")

    response = client.get(scan_url(mine, olli))

    assert response.status_code == 409
    assert result(response) == "Another event: Their event"
    assert "Olli Other" not in text(response) and "Gluten" not in text(response)
    # Nor may they open that event's door or its ticket address.
    assert client.get(scan_url(theirs, olli)).status_code == 403
    client.get(f"/manage/events/{mine.slug}/checkin")  # the door is remembered...
    assert client.get(f"/manage/checkin/{olli.token}").status_code == 302  # ...and used
    assert fresh(olli).attended_at is None


def test_an_unknown_ticket_is_404(signed_in, make_event):
    event = make_event()
    response = signed_in.get(f"/manage/events/{event.slug}/checkin/scan/no-such-ticket")
    assert response.status_code == 404
    assert result(response) == "Unknown ticket"
    assert "Scan next" in text(response)
    # The QR address of an unknown ticket: on to this door (remembered), and the same answer.
    response = signed_in.get("/manage/checkin/no-such-ticket", follow_redirects=True)
    assert response.status_code == 404 and result(response) == "Unknown ticket"


def test_another_organiser_may_not_scan(client, make_event, login):
    event = make_event()
    maja = services.register(event, person(1))
    create_organiser("other@vantaa.fi", "Olli Other", "other-pass")
    login("other@vantaa.fi", "other-pass")
    assert client.get(scan_url(event, maja)).status_code == 403
    assert client.get(f"/manage/checkin/{maja.token}").status_code == 403
    assert client.post(scan_url(event, maja), data={"attended": "1"}).status_code == 403
    assert client.get(f"/manage/events/{event.slug}/checkin").status_code == 403
    assert fresh(maja).attended_at is None


def test_the_scan_pages_need_a_sign_in(client, make_event):
    event = make_event()
    maja = services.register(event, person(1))
    for url in (f"/manage/checkin/{maja.token}", scan_url(event, maja)):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert fresh(maja).attended_at is None


# --- undo and again: no dead end -------------------------------------------------------------


def test_undo_then_check_in_again_from_the_result_page(signed_in, make_event):
    event = make_event()
    maja = services.register(event, person(1))
    url = scan_url(event, maja)
    assert outcome(signed_in.get(url)) == "checked_in"

    response = signed_in.post(url, data={"attended": "0"})
    assert response.status_code == 302
    assert fresh(maja).attended_at is None
    page = signed_in.get(response.headers["Location"])
    assert page.status_code == 200
    assert result(page) == "Check-in undone"
    assert "Check in again" in text(page) and "Scan next" in text(page)
    assert fresh(maja).attended_at is None  # showing the undone page does not check in

    response = signed_in.post(url, data={"attended": "1"})
    assert fresh(maja).attended_at is not None
    page = signed_in.get(response.headers["Location"])
    assert result(page) == "Checked in"
    assert "Undo the check-in" in text(page)


def test_the_qr_address_goes_to_the_door_of_the_event_last_opened(signed_in, make_event):
    first = make_event(title="Konferens")
    second = make_event(title="Verkstad")
    maja = services.register(first, person(1))

    # No door chosen yet: the ticket's own event.
    response = signed_in.get(f"/manage/checkin/{maja.token}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(scan_url(first, maja))

    signed_in.get(f"/manage/events/{second.slug}/checkin")
    response = signed_in.get(f"/manage/checkin/{maja.token}", follow_redirects=True)
    assert result(response) == "Another event: Konferens"
    assert fresh(maja).attended_at is None


def test_the_code_field_takes_the_address_or_the_code(signed_in, make_event):
    event = make_event()
    maja = services.register(event, person(1))
    base = f"/manage/events/{event.slug}/checkin/scan"
    for code in (f"http://localhost/manage/checkin/{maja.token}", f"  {maja.token} "):
        response = signed_in.get(base, query_string={"code": code})
        assert response.status_code == 302
        assert response.headers["Location"].endswith(scan_url(event, maja))
    response = signed_in.get(base, query_string={"code": "not a ticket!"})
    assert response.status_code == 404 and result(response) == "Unknown ticket"
    response = signed_in.get(base, query_string={"code": ""}, follow_redirects=True)
    assert "Scan a ticket or type its code." in text(response)


# --- sessions that keep their own attendance ------------------------------------------------


def test_session_check_in_rules(app, make_event, workshop):
    tracked, plain = workshop.sessions
    maja = as_stored(services.register(workshop, person(1, sessions=[tracked.id, plain.id])))
    olli = as_stored(services.register(workshop, person(2, sessions=[plain.id])))

    at = attendance.check_in_session(maja, tracked, True)
    assert at is not None and session_time(maja, tracked.id) == at
    assert fresh(maja).attended_at is not None  # there, so at the event too
    assert attendance.check_in_session(fresh(maja), tracked, True) == at  # first time kept

    with pytest.raises(Conflict) as err:
        attendance.check_in_session(fresh(maja), db.session.get(Session, plain.id), True)
    assert (err.value.status, err.value.code) == (409, "not_tracked")
    with pytest.raises(Conflict) as err:
        attendance.check_in_session(olli, db.session.get(Session, tracked.id), True)
    assert err.value.code == "not_in_session"
    other = make_event()
    with pytest.raises(NotFound):
        attendance.find_session(other, tracked.id)

    assert (
        attendance.check_in_session(fresh(maja), db.session.get(Session, tracked.id), False) is None
    )
    assert session_time(maja, tracked.id) is None
    assert fresh(maja).attended_at is not None  # undoing the session keeps the event's


def test_a_waitlisted_person_cannot_be_checked_in_to_a_session(make_event):
    start = datetime.fromisoformat(event_data()["starts_at"])
    sessions = sessions_for(start, 1)
    sessions[0]["track_attendance"] = True
    event = make_event(sessions=sessions)
    session_id = event.sessions[0].id
    services.register(event, person(1, sessions=[session_id]))
    waiting = as_stored(services.register(event, person(2, sessions=[session_id])))
    assert waiting.status == "waitlisted"
    with pytest.raises(Conflict) as err:
        attendance.check_in_session(waiting, db.session.get(Session, session_id), True)
    assert err.value.code == "not_confirmed"
    assert session_time(waiting, session_id) is None


def test_the_scan_page_offers_the_sessions_that_keep_attendance(signed_in, workshop):
    tracked, plain = workshop.sessions
    maja = services.register(workshop, person(1, sessions=[tracked.id, plain.id]))
    page = text(signed_in.get(scan_url(workshop, maja)))
    assert "Check in to Verkstad A" in page
    assert "Check in to Pass 2" not in page  # it keeps no attendance of its own

    action = f"{scan_url(workshop, maja)}/sessions/{tracked.id}"
    response = signed_in.post(action, data={"attended": "1"})
    assert response.status_code == 302
    assert session_time(maja, tracked.id) is not None
    page = signed_in.get(response.headers["Location"])
    assert result(page) == "Checked in"
    assert "Maja Upphandlare 1 is checked in to Verkstad A." in text(page)
    assert "Undo check-in to Verkstad A" in re.sub(r"<[^>]+>", "", text(page))

    response = signed_in.post(
        f"{scan_url(workshop, maja)}/sessions/{plain.id}", data={"attended": "1"}
    )
    page = signed_in.get(response.headers["Location"])
    assert "This session does not keep its own attendance." in text(page)
    assert session_time(maja, plain.id) is None


def test_the_session_page_lists_its_people_with_counts(signed_in, workshop):
    tracked, plain = workshop.sessions
    maja = services.register(workshop, person(1, sessions=[tracked.id]))
    services.register(workshop, person(2, name="Olli Toimittaja", sessions=[tracked.id]))
    services.register(workshop, person(3, name="Not In It", sessions=[plain.id]))
    url = f"/manage/events/{workshop.slug}/checkin/sessions/{tracked.id}"

    page = text(signed_in.get(url))
    assert "Maja Upphandlare 1" in page and "Olli Toimittaja" in page
    assert "Not In It" not in page
    assert "0 of 2 arrived" in page
    assert "Verkstad A: 0 of 2 arrived" in re.sub(
        r"<[^>]+>", "", text(signed_in.get(f"/manage/events/{workshop.slug}/checkin"))
    )

    response = signed_in.post(f"{url}/{maja.id}", data={"attended": "1", "q": "maja"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"?q=maja#registration-{maja.id}")
    page = text(signed_in.get(url))
    assert "1 of 2 arrived" in page
    assert "Maja Upphandlare 1 is checked in to Verkstad A." in page
    assert "Olli Toimittaja" not in text(signed_in.get(url + "?q=Upphandlare"))

    signed_in.post(f"{url}/{maja.id}", data={"attended": "0"})
    assert session_time(maja, tracked.id) is None
    assert (
        signed_in.get(f"/manage/events/{workshop.slug}/checkin/sessions/{plain.id}").status_code
        == 409
    )


def test_the_session_form_turns_attendance_on_and_off(signed_in, make_event):
    start = datetime.fromisoformat(event_data()["starts_at"])
    event = make_event(sessions=sessions_for(start, None, None))
    first, second = event.sessions
    tz = ZoneInfo(event.timezone)
    url = f"/manage/events/{event.slug}/sessions/{first.id}/edit"
    form = {
        "title": "Pass 1",
        "starts_at": first.starts_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": first.ends_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
        "track_attendance": "y",
    }
    assert 'name="track_attendance"' in text(signed_in.get(url))
    assert signed_in.post(url, data=form).status_code == 302
    db.session.rollback()
    assert db.session.get(Session, first.id).track_attendance is True
    box = re.search(r'<input[^>]*name="track_attendance"[^>]*>', text(signed_in.get(url)))
    assert "checked" in box.group(0)
    # Saving another session keeps this one's choice.
    other = f"/manage/events/{event.slug}/sessions/{second.id}/edit"
    form2 = {
        "title": "Pass 2",
        "starts_at": second.starts_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": second.ends_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
    }
    assert signed_in.post(other, data=form2).status_code == 302
    db.session.rollback()
    assert db.session.get(Session, first.id).track_attendance is True
    assert db.session.get(Session, second.id).track_attendance is False

    del form["track_attendance"]
    assert signed_in.post(url, data=form).status_code == 302
    db.session.rollback()
    assert db.session.get(Session, first.id).track_attendance is False


def test_the_agenda_refuses_a_track_attendance_that_is_not_true_or_false(make_event):
    from core.errors import ValidationError
    from events.services import update_event

    start = datetime.fromisoformat(event_data()["starts_at"])
    sessions = sessions_for(start, None)
    sessions[0]["track_attendance"] = "yes"
    event = make_event()
    with pytest.raises(ValidationError) as err:
        update_event(event.created_by, event, {"sessions": sessions})
    assert "sessions[0].track_attendance" in err.value.fields


def test_counts_count_only_confirmed_people(workshop):
    tracked = workshop.sessions[0]
    maja = as_stored(services.register(workshop, person(1, sessions=[tracked.id])))
    gone = as_stored(services.register(workshop, person(2, sessions=[tracked.id])))
    attendance.check_in_session(maja, tracked, True)
    services.cancel(gone)
    db.session.rollback()
    [count] = attendance.session_counts(db.session.merge(workshop))
    assert (count.session.id, count.arrived, count.registered) == (tracked.id, 1, 1)


# --- the JSON API and the export ----------------------------------------------------------------


def test_session_check_in_through_the_api(client, auth, workshop):
    tracked, plain = workshop.sessions
    maja = services.register(workshop, person(1, sessions=[tracked.id, plain.id]))
    url = f"/api/v1/registrations/{maja.token}/sessions/{tracked.id}/check-in"

    response = client.post(url, headers=auth)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["session_id"], body["session_title"]) == (tracked.id, "Verkstad A")
    arrived = datetime.fromisoformat(body["attended_at"])
    assert (
        arrived.utcoffset()
        == session_time(maja, tracked.id).astimezone(ZoneInfo("Europe/Stockholm")).utcoffset()
    )
    assert body["event_attended_at"] == body["attended_at"]
    assert client.post(url, headers=auth).get_json()["attended_at"] == body["attended_at"]

    undone = client.post(url, headers=auth, json={"attended": False}).get_json()
    assert undone["attended_at"] is None and undone["event_attended_at"] is not None

    response = client.post(
        f"/api/v1/registrations/{maja.token}/sessions/{plain.id}/check-in", headers=auth
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "not_tracked"
    response = client.post(
        f"/api/v1/registrations/{maja.token}/sessions/999999/check-in", headers=auth
    )
    assert response.status_code == 404 and "error" in response.get_json()
    assert client.post(url).status_code == 401
    assert client.post(url, headers=auth, json={"attended": "yes"}).status_code == 422


def test_another_organiser_cannot_check_in_to_a_session_by_api(client, workshop):
    from core.auth import create_api_token

    tracked = workshop.sessions[0]
    maja = services.register(workshop, person(1, sessions=[tracked.id]))
    other = create_organiser("other@vantaa.fi", "Olli Other", "other-pass")
    headers = {"Authorization": f"Bearer {create_api_token(other)}"}
    url = f"/api/v1/registrations/{maja.token}/sessions/{tracked.id}/check-in"
    assert client.post(url, headers=headers).status_code == 403
    assert session_time(maja, tracked.id) is None


def test_the_export_has_a_column_per_session_that_keeps_attendance(signed_in, workshop):
    tracked, plain = workshop.sessions
    maja = as_stored(services.register(workshop, person(1, sessions=[tracked.id, plain.id])))
    services.register(workshop, person(2, sessions=[tracked.id]))
    at = attendance.check_in_session(maja, tracked, True)

    csv_text = signed_in.get(f"/manage/events/{workshop.slug}/registrations.csv").get_data(
        as_text=True
    )
    lines = list(csv.reader(io.StringIO(csv_text.lstrip("\ufeff")), delimiter=";"))
    assert lines[0][-2:] == ["Attended", "Attended: Verkstad A"]
    assert "Attended: Pass 2" not in lines[0]
    local = at.astimezone(ZoneInfo("Europe/Stockholm")).strftime("%Y-%m-%d %H:%M")
    assert lines[1][-1] == local
    assert lines[2][-1] == ""
