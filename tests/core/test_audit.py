"""The audit log (issue 13): each organiser action on personal data, through the pages and the
API, leaves exactly one entry naming the organiser, the event and the subject by id (never a
name); a refused action leaves none; entries cannot be changed or deleted through the ORM; the
purge's boundary; the admins' page and its CSV, with their filters and access."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from core.audit import ACTIONS, purge_audit_log, record
from core.audit_views import ACTION_LABELS
from core.auth import create_organiser
from core.db import db
from core.models import AuditEntry
from participants import printouts, services
from participants.models import Registration
from tests.conftest import event_data
from tests.participants.helpers import as_stored, person, sessions_for
from tests.surveys.helpers import build_survey
from tests.surveys.test_results import seeded


def entries(action: str | None = None) -> list[AuditEntry]:
    db.session.rollback()
    query = sa.select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))


def only(action: str, organiser, event_id: int | None, subject: str) -> AuditEntry:
    """Exactly one entry of this action, and it is everything the log has."""
    found = entries()
    assert [(e.action, e.organiser_id, e.event_id, e.subject) for e in found] == [
        (action, organiser.id, event_id, subject)
    ]
    assert found[0].organiser_name == organiser.name
    return found[0]


def clear() -> None:
    """Start a step with an empty log (the purge is the one way to delete entries)."""
    db.session.rollback()
    purge_audit_log(datetime.now(UTC) + timedelta(days=1))
    db.session.commit()


@pytest.fixture
def event(make_event):
    return make_event()


@pytest.fixture
def maja(event) -> Registration:
    return as_stored(services.register(event, person(1)))


@pytest.fixture
def signed_in(client, organiser, login):
    login()
    client.get("/?lang=en")
    clear()
    return client


# --- what the actions leave -----------------------------------------------------------------


def test_every_action_has_a_translated_label():
    assert set(ACTION_LABELS) == set(ACTIONS)


def test_opening_the_list_and_one_registration(signed_in, organiser, event, maja):
    assert signed_in.get(f"/manage/events/{event.slug}/registrations").status_code == 200
    only("registrations_viewed", organiser, event.id, f"event:{event.id}")
    clear()
    page = signed_in.get(f"/manage/events/{event.slug}/registrations/{maja.id}")
    assert page.status_code == 200
    only("registration_viewed", organiser, event.id, f"registration:{maja.id}")


def test_the_api_list_of_registrations(client, auth, organiser, event, maja):
    clear()
    assert client.get(f"/api/v1/events/{event.slug}/registrations", headers=auth).status_code == 200
    entry = only("registrations_viewed", organiser, event.id, f"event:{event.id}")
    assert entry.detail == {"api": True}


def test_an_organiser_of_another_event_is_refused_and_leaves_nothing(client, login, event, maja):
    create_organiser("other@example.se", "Other", "other-pass")
    login("other@example.se", "other-pass")
    clear()
    assert client.get(f"/manage/events/{event.slug}/registrations").status_code in (403, 404)
    assert client.get(f"/manage/events/{event.slug}/registrations.csv").status_code in (403, 404)
    assert entries() == []


@pytest.mark.parametrize(
    ("path", "what"),
    [
        ("registrations.csv", "registrations_csv"),
        ("registrations.xlsx", "registrations_xlsx"),
        ("catering.csv", "catering_csv"),
        ("badges.pdf", "badges_pdf"),
        ("attendance-list.pdf", "attendance_list_pdf"),
    ],
)
def test_each_export_leaves_one_entry_with_its_format(
    signed_in, organiser, event, maja, path, what
):
    response = signed_in.get(f"/manage/events/{event.slug}/{path}")
    assert response.status_code == 200
    entry = only("registrations_exported", organiser, event.id, f"event:{event.id}")
    assert entry.detail["format"] == what


def test_an_export_says_which_filters_but_never_their_values(signed_in, organiser, event, maja):
    url = f"/manage/events/{event.slug}/registrations.csv?q=Maja&status=confirmed"
    assert signed_in.get(url).status_code == 200
    entry = only("registrations_exported", organiser, event.id, f"event:{event.id}")
    assert entry.detail == {"format": "registrations_csv", "filters": ["q", "status"]}
    assert "Maja" not in str(entry.detail) and "maja" not in entry.subject


def test_a_refused_export_leaves_none(signed_in, event, maja):
    assert (
        signed_in.get(f"/manage/events/{event.slug}/registrations.csv?status=x").status_code == 422
    )
    assert signed_in.get(f"/manage/events/{event.slug}/catering.csv?sep=tab").status_code == 422
    assert entries() == []


def test_a_printout_made_and_downloaded(signed_in, organiser, event, maja):
    made = signed_in.post(
        f"/manage/events/{event.slug}/printouts", data={"kind": "badges", "language": ""}
    )
    assert made.status_code == 303
    printout_id = int(re.search(r"/printouts/(\d+)$", made.location).group(1))
    entry = only("registrations_exported", organiser, event.id, f"printout:{printout_id}")
    assert entry.detail["format"] == "badges_pdf" and entry.detail["made"] is True
    clear()
    refused = signed_in.post(
        f"/manage/events/{event.slug}/printouts", data={"kind": "posters", "language": ""}
    )
    assert refused.status_code == 400 and entries() == []
    printouts.build_due_printouts()
    pdf = signed_in.get(f"/manage/events/{event.slug}/printouts/{printout_id}.pdf")
    assert pdf.status_code == 200
    entry = only("registrations_exported", organiser, event.id, f"printout:{printout_id}")
    assert entry.detail == {"format": "badges_pdf", "people": 1}


def test_check_in_and_undo_from_the_list(signed_in, organiser, event, maja):
    url = f"/manage/events/{event.slug}/checkin/{maja.id}"
    signed_in.post(url, data={"attended": "1"})
    only("checked_in", organiser, event.id, f"registration:{maja.id}")
    clear()
    signed_in.post(url, data={"attended": "0"})
    only("check_in_undone", organiser, event.id, f"registration:{maja.id}")


def test_the_check_in_list_is_a_list_opened(signed_in, organiser, event, maja):
    assert signed_in.get(f"/manage/events/{event.slug}/checkin").status_code == 200
    entry = only("registrations_viewed", organiser, event.id, f"event:{event.id}")
    assert entry.detail == {"list": "checkin"}


def test_a_refused_check_in_leaves_none(signed_in, event, maja):
    services.cancel(maja)
    clear()
    signed_in.post(f"/manage/events/{event.slug}/checkin/{maja.id}", data={"attended": "1"})
    scan = signed_in.get(f"/manage/events/{event.slug}/checkin/scan/{maja.token}")
    assert scan.status_code == 409
    assert entries() == []
    assert db.session.get(Registration, maja.id).attended_at is None


def test_a_check_in_with_an_expired_form_leaves_none(app, client, organiser, login, event, maja):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        signed = client.post(
            "/login", data={"email": organiser.email, "password": "secret-pass"}
        )  # refused: no CSRF token
        assert signed.status_code != 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    login()
    clear()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client.post(f"/manage/events/{event.slug}/checkin/{maja.id}", data={"attended": "1"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert entries() == []


def test_scanning_a_ticket_and_undoing_on_the_scan_page(signed_in, organiser, event, maja):
    url = f"/manage/events/{event.slug}/checkin/scan/{maja.token}"
    assert signed_in.get(url).status_code == 200
    only("checked_in", organiser, event.id, f"registration:{maja.id}")
    clear()
    signed_in.get(url)  # a second scan: "already", nothing done
    assert entries() == []
    signed_in.post(url, data={"attended": "0"})
    only("check_in_undone", organiser, event.id, f"registration:{maja.id}")


def test_bulk_check_in_leaves_one_entry_per_person_checked_in(signed_in, organiser, make_event):
    event = make_event(capacity=2)
    a, b, waiting = (as_stored(services.register(event, person(n))) for n in (1, 2, 3))
    clear()
    signed_in.post(
        f"/manage/events/{event.slug}/registrations/bulk",
        data={"action": "checkin", "id": [str(a.id), str(b.id), str(waiting.id)]},
    )
    found = entries()
    assert [(e.action, e.organiser_id, e.event_id, e.subject) for e in found] == [
        ("checked_in", organiser.id, event.id, f"registration:{a.id}"),
        ("checked_in", organiser.id, event.id, f"registration:{b.id}"),
    ]
    assert all(e.detail == {"bulk": True} for e in found)


@pytest.fixture
def workshop(make_event):
    start = datetime.fromisoformat(event_data()["starts_at"])
    sessions = sessions_for(start, None)
    sessions[0]["track_attendance"] = True
    return make_event(sessions=sessions)


def test_session_check_in_on_the_pages_and_the_api(client, auth, organiser, login, workshop):
    session_id = workshop.sessions[0].id
    maja = as_stored(services.register(workshop, person(1, sessions=[session_id])))
    login()
    clear()
    base = f"/manage/events/{workshop.slug}/checkin"
    assert client.get(f"{base}/sessions/{session_id}").status_code == 200
    entry = only("registrations_viewed", organiser, workshop.id, f"session:{session_id}")
    assert entry.detail == {"list": "checkin_session"}
    clear()
    client.post(f"{base}/sessions/{session_id}/{maja.id}", data={"attended": "1"})
    entry = only("checked_in", organiser, workshop.id, f"registration:{maja.id}")
    assert entry.detail == {"session": session_id}
    clear()
    client.post(f"{base}/scan/{maja.token}/sessions/{session_id}", data={"attended": "0"})
    only("check_in_undone", organiser, workshop.id, f"registration:{maja.id}")
    clear()
    client.post("/logout")
    api = f"/api/v1/registrations/{maja.token}/sessions/{session_id}/check-in"
    assert client.post(api, json={"attended": True}, headers=auth).status_code == 200
    only("checked_in", organiser, workshop.id, f"registration:{maja.id}")


def test_the_api_check_in_and_a_refused_one(client, auth, organiser, event, maja):
    clear()
    url = f"/api/v1/registrations/{maja.token}/check-in"
    assert client.post(url, json={}, headers=auth).status_code == 200
    only("checked_in", organiser, event.id, f"registration:{maja.id}")
    clear()
    assert client.post(url, json={"attended": False}, headers=auth).status_code == 200
    only("check_in_undone", organiser, event.id, f"registration:{maja.id}")
    services.cancel(maja)
    clear()
    assert client.post(url, json={}, headers=auth).status_code == 422
    assert entries() == []


def test_editing_details_on_the_page_names_the_fields_changed(signed_in, organiser, event, maja):
    url = f"/manage/events/{event.slug}/registrations/{maja.id}"
    form = {
        "name": "Maja Ny",
        "role": "Upphandlare",
        "target_group": "contracting_authority",
        "language": "sv",
        "organisation": "Stockholms stad",
        "country": "SE",
        "org_number": "212000-0142",
        "needs": "",
    }
    assert signed_in.post(url, data=form).status_code == 302
    entry = only("registration_edited", organiser, event.id, f"registration:{maja.id}")
    assert entry.detail == {"fields": ["name"]}
    clear()
    refused = signed_in.post(url, data={**form, "name": ""})
    assert refused.status_code == 422 and entries() == []


def test_editing_details_through_the_api(client, auth, organiser, event, maja):
    clear()
    url = f"/api/v1/events/{event.slug}/registrations/{maja.id}"
    assert client.patch(url, json={"role": "Chef"}, headers=auth).status_code == 200
    entry = only("registration_edited", organiser, event.id, f"registration:{maja.id}")
    assert entry.detail == {"fields": ["role"]}
    clear()
    assert client.patch(url, json={"target_group": "nobody"}, headers=auth).status_code == 422
    assert entries() == []


def test_a_persons_own_changes_are_not_organiser_actions(client, event, maja):
    clear()
    client.post(f"/r/{maja.token}/details", data={"name": "Maja Själv", "organisation": "X"})
    client.delete(f"/api/v1/registrations/{maja.token}")
    assert entries() == []


def test_changing_someones_sessions(signed_in, organiser, workshop):
    session_id = workshop.sessions[0].id
    maja = as_stored(services.register(workshop, person(1)))
    clear()
    url = f"/manage/events/{workshop.slug}/registrations/{maja.id}/sessions"
    assert signed_in.post(url, data={"sessions": [str(session_id)]}).status_code == 302
    entry = only("registration_edited", organiser, workshop.id, f"registration:{maja.id}")
    assert entry.detail == {"fields": ["sessions"], "added": 1, "left": 0}
    clear()
    assert signed_in.post(url, data={"sessions": ["999999"]}).status_code == 422
    assert entries() == []


def test_adding_a_person_and_an_invalid_form(signed_in, organiser, event):
    url = f"/manage/events/{event.slug}/registrations/new"
    refused = signed_in.post(url, data={"name": "", "email": "x"})
    assert refused.status_code == 422 and entries() == []
    form = {
        "name": "Sara Talare",
        "email": "sara@example.se",
        "organisation": "Myndigheten",
        "country": "SE",
        "target_group": "contracting_authority",
        "language": "sv",
    }
    assert signed_in.post(url, data=form).status_code == 302
    added = db.session.scalar(
        sa.select(Registration).where(Registration.email == "sara@example.se")
    )
    entry = only("registration_added", organiser, event.id, f"registration:{added.id}")
    assert entry.detail == {"status": "confirmed"}


def test_cancelling_for_someone_once(signed_in, organiser, event, maja):
    url = f"/manage/events/{event.slug}/registrations/{maja.id}/cancel"
    assert signed_in.post(url).status_code == 302
    entry = only("registration_cancelled", organiser, event.id, f"registration:{maja.id}")
    assert entry.detail == {"was": "confirmed"}
    clear()
    signed_in.post(url)  # already cancelled: nothing done
    assert entries() == []


MAIL = {"subject_sv": "Välkommen", "body_sv": "Vi ses!", "when": "now"}


def test_a_mass_email_from_the_page_and_a_refused_one(signed_in, organiser, event, maja):
    url = f"/manage/events/{event.slug}/message"
    signed_in.post(url, data={**MAIL, "action": "preview"})
    signed_in.post(url, data={**MAIL, "action": "test"})
    assert entries() == []  # a preview and a copy to oneself reach no one else
    refused = signed_in.post(url, data={**MAIL, "subject_sv": " ", "action": "send"})
    assert refused.status_code == 400 and entries() == []
    assert signed_in.post(url, data={**MAIL, "action": "send"}).status_code == 302
    entry = entries()[0]
    assert entry.subject.startswith("mailing:")
    only("mailing_sent", organiser, event.id, entry.subject)
    assert entry.detail == {"scheduled": False, "recipients": 1}


def test_a_scheduled_mass_email(signed_in, organiser, event, maja):
    when = (event.starts_at - timedelta(days=1)).astimezone().strftime("%Y-%m-%dT%H:%M")
    url = f"/manage/events/{event.slug}/message"
    assert (
        signed_in.post(
            url, data={**MAIL, "when": "at", "send_at": when, "action": "send"}
        ).status_code
        == 302
    )
    entry = entries()[0]
    only("mailing_sent", organiser, event.id, entry.subject)
    assert entry.detail == {"scheduled": True, "recipients": None}


def test_a_mass_email_through_the_api(client, auth, organiser, event, maja):
    clear()
    url = f"/api/v1/events/{event.slug}/mailings"
    refused = client.post(url, json={"subjects": {"sv": ""}, "bodies": {}}, headers=auth)
    assert refused.status_code == 422 and entries() == []
    made = client.post(
        url, json={"subjects": {"sv": "Hej"}, "bodies": {"sv": "Vi ses"}}, headers=auth
    )
    assert made.status_code == 201
    only("mailing_sent", organiser, event.id, f"mailing:{made.get_json()['id']}")


def test_a_campaign_from_the_page_and_the_api(client, auth, organiser, login, event):
    url = f"/api/v1/events/{event.slug}/campaigns"
    clear()
    refused = client.post(url, json={"audience": {"countries": ["XX"]}}, headers=auth)
    assert refused.status_code == 422 and entries() == []
    made = client.post(url, json={"audience": {}}, headers=auth)
    assert made.status_code == 201, made.get_json()
    entry = only("mailing_sent", organiser, event.id, f"campaign:{made.get_json()['id']}")
    assert entry.detail == {"scheduled": False, "campaign": True}
    login()
    clear()
    page = f"/manage/events/{event.slug}/campaigns/new"
    form = {"subject_sv": "Inbjudan", "body_sv": "Välkommen", "when": "now"}
    client.post(page, data={**form, "action": "preview"})
    assert entries() == []
    assert client.post(page, data={**form, "action": "send"}).status_code == 302
    assert [e.action for e in entries()] == ["mailing_sent"]
    assert entries()[0].subject.startswith("campaign:")


def test_survey_responses_exported_only_when_not_anonymous(signed_in, organiser, event):
    named = build_survey(event, anonymous=False)
    anonymous = seeded(event, anonymous=True)  # enough responses to be downloaded
    db.session.commit()
    clear()
    assert signed_in.get(f"/manage/surveys/{anonymous.id}/results.csv").status_code == 200
    assert entries() == []
    assert signed_in.get(f"/manage/surveys/{named.id}/results.csv").status_code == 200
    entry = only("responses_exported", organiser, event.id, f"survey:{named.id}")
    assert entry.detail == {"format": "csv"}
    clear()
    assert signed_in.get(f"/manage/surveys/{named.id}/results.xlsx").status_code == 200
    only("responses_exported", organiser, event.id, f"survey:{named.id}")
    clear()
    assert signed_in.get(f"/manage/surveys/{named.id}/results.csv?country=NO").status_code == 422
    assert entries() == []


# --- append-only, purge ---------------------------------------------------------------------


def test_entries_cannot_be_changed_or_deleted_through_the_orm(app, organiser):
    entry = record("checked_in", event_id=1, subject="registration:1", organiser=organiser)
    db.session.commit()
    entry.subject = "registration:2"
    with pytest.raises(RuntimeError, match="cannot be changed"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, entry.id))
    with pytest.raises(RuntimeError, match="cannot be changed"):
        db.session.commit()
    db.session.rollback()
    assert [e.subject for e in entries()] == ["registration:1"]


def test_an_unknown_action_is_refused(app):
    with pytest.raises(ValueError, match="unknown audit action"):
        record("looked_around")


def test_an_entry_without_a_signed_in_organiser(app):
    entry = record("checked_in", subject="registration:3")
    db.session.commit()
    assert entry.organiser_id is None and entry.organiser_name == ""


def test_purge_deletes_only_what_is_older_than_the_boundary(app, organiser):
    boundary = datetime(2027, 3, 31, 22, 0, tzinfo=UTC)
    for at in (
        boundary - timedelta(days=400),
        boundary - timedelta(microseconds=1),
        boundary,
        boundary + timedelta(seconds=1),
    ):
        db.session.add(AuditEntry(action="checked_in", at=at, subject=f"at:{at.isoformat()}"))
    db.session.commit()
    assert purge_audit_log(boundary, dry_run=True) == 2
    db.session.commit()
    assert len(entries()) == 4  # a dry run deletes nothing
    assert purge_audit_log(boundary) == 2
    db.session.commit()
    assert [e.at for e in entries()] == [boundary, boundary + timedelta(seconds=1)]
    assert purge_audit_log(boundary) == 0


# --- the admins' page and CSV ---------------------------------------------------------------


def _seed(admin, organiser, event) -> None:
    at = datetime(2027, 3, 10, 23, 30, tzinfo=UTC)  # 00:30 on 11 March in Stockholm
    rows = [
        ("registrations_viewed", organiser, event.id, f"event:{event.id}", at),
        ("checked_in", organiser, event.id, "registration:7", at + timedelta(days=1)),
        ("mailing_sent", admin, event.id, "mailing:3", at + timedelta(days=2)),
        ("checked_in", admin, 999, "registration:8", at + timedelta(days=3)),
    ]
    for action, who, event_id, subject, moment in rows:
        db.session.add(
            AuditEntry(action=action, organiser_id=who.id, organiser_name=who.name,
                       event_id=event_id, subject=subject, at=moment, detail={"n": 1})
        )  # fmt: skip
    db.session.commit()


def _rows(response) -> list[list[str]]:
    return [
        r
        for r in csv.reader(
            io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"
        )
    ]


def test_the_page_and_csv_are_for_admins_only(client, login, admin, organiser):
    for path in ("/manage/audit", "/manage/audit.csv"):
        anonymous = client.get(path)
        assert anonymous.status_code == 302 and "/login" in anonymous.location
    login()
    assert client.get("/manage/audit").status_code == 403
    assert client.get("/manage/audit.csv").status_code == 403
    assert "/manage/audit" not in client.get("/manage/").get_data(as_text=True)
    client.post("/logout")
    login("admin@upphandlingsmyndigheten.se", "admin-pass")
    assert client.get("/manage/audit").status_code == 200
    assert client.get("/manage/audit.csv").status_code == 200
    assert 'href="/manage/audit"' in client.get("/manage/").get_data(as_text=True)


def test_the_page_lists_newest_first_with_filters(client, login, admin, organiser, event):
    _seed(admin, organiser, event)
    login("admin@upphandlingsmyndigheten.se", "admin-pass")
    client.get("/?lang=en")
    page = client.get("/manage/audit").get_data(as_text=True)
    order = [
        page.index(s)
        for s in ("registration:8", "mailing:3", "registration:7", f"event:{event.id}")
    ]
    assert order == sorted(order)
    assert "Checked in" in page and "Sent or scheduled a mass email" in page
    assert f"{event.title} (#{event.id})" in page and "#999" in page
    assert re.search(r"<time[^>]*>[^<]* 0:30</time>", page)  # Stockholm's clock

    def subjects(query: str) -> set[str]:
        shown = client.get("/manage/audit?" + query).get_data(as_text=True)
        return set(re.findall(r"(?:registration|mailing|event):\d+", shown))

    assert subjects("action=checked_in") == {"registration:7", "registration:8"}
    assert subjects(f"organiser={organiser.id}") == {"registration:7", f"event:{event.id}"}
    assert subjects("event=999") == {"registration:8"}
    assert subjects("from=2027-03-12&to=2027-03-13") == {"registration:7", "mailing:3"}
    assert subjects("to=2027-03-11") == {f"event:{event.id}"}  # the whole day, Stockholm's
    bad = client.get("/manage/audit?from=yesterday&action=nothing")
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "Enter a date as 2027-03-31." in text and "Choose one of the actions." in text
    with_a_bad_one = client.get("/manage/audit?event=999&to=soon")
    assert set(re.findall(r"registration:\d+", with_a_bad_one.get_data(as_text=True))) == {
        "registration:8"
    }


def test_the_page_is_paginated(client, login, admin):
    for n in range(51):
        at = datetime(2027, 1, 1, tzinfo=UTC) + timedelta(minutes=n)
        db.session.add(AuditEntry(action="checked_in", subject=f"registration:{n}", at=at))
    db.session.commit()
    login("admin@upphandlingsmyndigheten.se", "admin-pass")
    client.get("/?lang=en")
    first = client.get("/manage/audit?action=checked_in").get_data(as_text=True)
    assert "registration:50" in first and "registration:0<" not in first
    assert "Page 1 of 2" in first and "page=2" in first and "action=checked_in" in first
    second = client.get("/manage/audit?action=checked_in&page=2").get_data(as_text=True)
    assert "registration:0<" in second and "registration:50" not in second
    assert client.get("/manage/audit?page=x").status_code == 200


def test_the_csv_holds_the_filtered_entries(client, login, admin, organiser, event):
    _seed(admin, organiser, event)
    login("admin@upphandlingsmyndigheten.se", "admin-pass")
    client.get("/?lang=en")
    response = client.get("/manage/audit.csv?action=checked_in")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.get_data(as_text=True).startswith("\ufeff")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _rows(response)
    assert rows[0] == ["Time", "Organiser", "Organiser id", "Action", "Action code", "Event",
                       "Event id", "Concerns", "Details"]  # fmt: skip
    assert [r[7] for r in rows[1:]] == ["registration:8", "registration:7"]
    assert rows[2][0] == "2027-03-12 00:30:00" and rows[2][1] == organiser.name
    assert rows[2][5] == event.title and rows[2][6] == str(event.id)
    assert rows[2][8] == '{"n": 1}'
    comma = client.get("/manage/audit.csv?sep=comma").get_data(as_text=True)
    assert '"Time","Organiser"' in comma
    assert client.get("/manage/audit.csv?from=never").status_code == 422


def test_actions_done_show_on_the_page(client, login, admin, event, maja):
    login("admin@upphandlingsmyndigheten.se", "admin-pass")
    client.get("/?lang=en")
    clear()
    client.get(f"/manage/events/{event.slug}/registrations/{maja.id}")
    page = client.get("/manage/audit").get_data(as_text=True)
    assert "Opened a registration" in page and f"registration:{maja.id}" in page
    assert "Ada Admin" in page and maja.name not in page and maja.email not in page


def test_a_place_given_from_the_waiting_list_and_one_refused(signed_in, organiser, make_event):
    from events.models import Event

    event = make_event(capacity=1)
    services.register(event, person(1))
    waiting, later = (as_stored(services.register(event, person(n))) for n in (2, 3))
    clear()
    url = f"/manage/events/{event.slug}/registrations/{waiting.id}/confirm"
    signed_in.post(url)  # no free seat: refused
    assert entries() == []
    # Two more seats, set in the table itself so that nobody is promoted automatically
    db.session.execute(sa.update(Event).where(Event.id == event.id).values(capacity=3))
    db.session.commit()
    signed_in.post(url)
    entry = only("registration_edited", organiser, event.id, f"registration:{waiting.id}")
    assert entry.detail == {"fields": ["status"], "status": "confirmed"}
    clear()
    signed_in.post(
        f"/manage/events/{event.slug}/registrations/bulk",
        data={"action": "promote", "id": [str(later.id)]},
    )
    entry = only("registration_edited", organiser, event.id, f"registration:{later.id}")
    assert entry.detail["bulk"] is True
