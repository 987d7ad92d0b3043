"""Printouts the worker builds (participants.printouts): asked for on the print page, built by
the due work, downloaded as a PDF that pypdf reads with the people's names; two workers never
build one twice; an expired lease is taken over; a failure is recorded once; old printouts are
deleted after 7 days, with a clock the test holds; only the event's organisers see them."""

from __future__ import annotations

import io
import re
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from core.auth import create_organiser
from core.db import db, utcnow
from events.services import create_event
from participants import printables, printouts, services
from participants.models import Printout
from tests.conftest import event_data
from tests.participants.helpers import person, sessions_for

NAMES = ["Łukasz Żółć", "Алёна Смирнова", "Åsa Öberg", "Anna Andersson"]


def pdf_text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    return "\n".join(page.extract_text() for page in reader.pages)


def _row(printout_id: int) -> Printout | None:
    return db.session.scalar(
        sa.select(Printout)
        .where(Printout.id == printout_id)
        .execution_options(populate_existing=True)
    )


@pytest.fixture
def event(make_event):
    event = make_event(capacity=len(NAMES))
    for n, name in enumerate(NAMES):
        services.register(event, person(n, name=name))
    services.register(event, person("w", name="Walter Väntelista"))  # waitlisted: full
    return event


def _ask(client, event, kind="badges", **form):
    return client.post(
        f"/manage/events/{event.slug}/printouts", data={"kind": kind, "language": "", **form}
    )


def _id(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return int(re.search(r"/printouts/(\d+)$", response.location).group(1))


def test_asked_built_by_the_worker_and_downloaded(signed_in, event):
    page = signed_in.get(f"/manage/events/{event.slug}/printouts")
    assert page.status_code == 200
    assert "Make badges" in page.get_data(as_text=True)
    assert "deleted 7 days after" in page.get_data(as_text=True)

    response = _ask(signed_in, event, "attendance_list", language="fi")
    printout_id = _id(response)
    status = signed_in.get(response.location).get_data(as_text=True)
    assert "Queued" in status and "Refresh" in status
    assert "printout-status.js" in status  # polls while not finished
    assert signed_in.get(f"{response.location}.json").json["status"] == "queued"
    assert signed_in.get(f"{response.location}.pdf").status_code == 404  # not ready yet

    assert printouts.build_due_printouts() == 1
    assert printouts.build_due_printouts() == 0
    status = signed_in.get(response.location).get_data(as_text=True)
    assert "Ready" in status and "printout-status.js" not in status and "Refresh" not in status
    assert ">4<" in status.replace(" ", "").replace("\n", "")  # four people listed
    built = _row(printout_id).finished_at.astimezone(ZoneInfo(event.timezone))
    assert f"{built.hour}:{built:%M}" in status and event.timezone in status  # 9:05, English

    pdf = signed_in.get(f"{response.location}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment;")
    assert f"{event.slug}-attendance-list-fi-" in pdf.headers["Content-Disposition"]
    assert pdf.headers["Cache-Control"] == "no-store"
    text = pdf_text(pdf.data)
    for name in NAMES:
        assert name in text
    assert "Walter" not in text
    assert "Allekirjoitus" in text  # in Finnish, as asked

    listing = signed_in.get(f"/manage/events/{event.slug}/printouts").get_data(as_text=True)
    assert f"/printouts/{printout_id}" in listing and "Ready" in listing


def test_badges_of_one_session(signed_in, make_event):
    start = datetime.fromisoformat(event_data()["starts_at"])
    event = make_event(sessions=sessions_for(start, None, None))
    first, _second = (s.id for s in event.sessions)
    services.register(event, person(1, name="Första Passet", sessions=[first]))
    services.register(event, person(2, name="Andra Passet", sessions=[_second]))
    response = _ask(signed_in, event, "badges", session=str(first))
    printout_id = _id(response)
    printouts.build_due_printouts()
    row = _row(printout_id)
    assert (row.status, row.people, row.session_id) == ("ready", 1, first)
    text = pdf_text(row.content)
    assert "Första Passet" in text and "Andra Passet" not in text


def test_asking_twice_while_queued_gives_the_same_printout(signed_in, event):
    one, two = _id(_ask(signed_in, event)), _id(_ask(signed_in, event))
    assert one == two
    other = _id(_ask(signed_in, event, language="en"))  # another language is another printout
    assert other != one
    printouts.build_due_printouts()
    assert _id(_ask(signed_in, event)) != one  # once it is built, a new one is made


def test_bad_choices_are_refused_with_nothing_written(signed_in, event):
    assert _ask(signed_in, event, "posters").status_code == 400
    assert _ask(signed_in, event, language="xx").status_code == 400
    assert _ask(signed_in, event, session="999999").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Printout)) == 0


def test_two_workers_at_once_build_it_once(app, organiser, event, monkeypatch):
    printouts.request_printout(event, "badges", "sv", None, organiser)
    built, real = [], printables.pdf_from_html

    def counted(html: str) -> bytes:
        built.append(1)
        return real(html)

    monkeypatch.setattr(printables, "pdf_from_html", counted)
    at = utcnow()
    barrier, results, errors = threading.Barrier(2), [], []

    def worker() -> None:
        with app.app_context():
            try:
                barrier.wait()
                results.append(printouts.build_due_printouts(now=at))
            except Exception as err:  # reported below
                errors.append(err)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert sorted(results) == [0, 1]
    assert len(built) == 1


def test_a_claimed_printout_is_not_claimed_again_until_its_lease_ends(organiser, event):
    made = printouts.request_printout(event, "badges", "sv", None, organiser)
    at = utcnow()
    claimed = printouts._claim(at)  # a worker takes it, then dies
    assert claimed is not None and claimed[0] == made.id
    assert _row(made.id).status == "building"
    assert printouts._claim(at + timedelta(minutes=1)) is None  # still held
    assert printouts.build_due_printouts(now=at + timedelta(minutes=1)) == 0

    later = at + printouts.LEASE + timedelta(seconds=1)
    assert printouts.build_due_printouts(now=later) == 1  # taken over
    row = _row(made.id)
    assert (row.status, row.people) == ("ready", len(NAMES))
    # The worker that died comes back: its result is not stored over the other's.
    assert printouts._finish(made.id, claimed[1], later, status="failed", error="x") is False
    assert _row(made.id).status == "ready"


def test_a_printout_that_keeps_stopping_its_workers_is_given_up(organiser, event):
    made = printouts.request_printout(event, "badges", "sv", None, organiser)
    at = made.created_at
    moment, claims = at, 0
    while printouts._claim(moment) is not None:  # each worker dies while building it
        claims += 1
        moment += printouts.LEASE + timedelta(seconds=1)
        assert claims < 10
    assert claims == 4  # taken over while within GIVE_UP (an hour) of being asked for
    row = _row(made.id)
    assert row.status == "failed" and "stopped" in row.error
    assert printouts.build_due_printouts(now=moment + printouts.LEASE * 2) == 0


def test_a_failure_is_recorded_and_not_retried(signed_in, organiser, event, monkeypatch):
    made = printouts.request_printout(event, "attendance_list", "sv", None, organiser)
    calls = []

    def breaks(html: str) -> bytes:
        calls.append(1)
        raise RuntimeError("Pango is missing")

    monkeypatch.setattr(printables, "pdf_from_html", breaks)
    at = utcnow()
    assert printouts.build_due_printouts(now=at) == 1
    assert printouts.build_due_printouts(now=at + timedelta(hours=2)) == 0
    assert len(calls) == 1
    row = _row(made.id)
    assert row.status == "failed" and "Pango is missing" in row.error and row.content is None
    page = signed_in.get(f"/manage/events/{event.slug}/printouts/{made.id}")
    text = page.get_data(as_text=True)
    assert "Failed" in text and "Pango is missing" in text and "Try again" in text
    assert signed_in.get(f"/manage/events/{event.slug}/printouts/{made.id}.pdf").status_code == 404


def test_printouts_are_deleted_seven_days_after_they_were_made(organiser, event):
    made = printouts.request_printout(event, "badges", "sv", None, organiser).id
    at = utcnow()
    printouts.build_due_printouts(now=at)
    waiting = printouts.request_printout(event, "attendance_list", "sv", None, organiser).id
    assert printouts.build_due_printouts(now=at + timedelta(days=6, hours=23), limit=0) == 0
    assert _row(made).status == "ready"
    assert printouts.build_due_printouts(now=at + timedelta(days=7, seconds=1), limit=0) == 0
    assert _row(made) is None
    assert _row(waiting).status == "queued"  # a printout not yet made is kept


def test_signed_out_is_sent_to_sign_in(client, organiser, event):
    made = printouts.request_printout(event, "badges", "sv", None, organiser)
    base = f"/manage/events/{event.slug}/printouts"
    for path in (base, f"{base}/{made.id}", f"{base}/{made.id}.pdf", f"{base}/{made.id}.json"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location
    response = client.post(base, data={"kind": "badges"})
    assert response.status_code == 302 and "/login" in response.location


def test_another_organiser_sees_nothing(client, login, organiser, event):
    made = printouts.request_printout(event, "badges", "sv", None, organiser)
    printouts.build_due_printouts()
    bo = create_organiser("bo@vantaa.fi", "Bo Other", "other-pass")
    other_event = create_event(bo, event_data(slug="bos-event", title="Bo's event"))
    login("bo@vantaa.fi", "other-pass")
    base = f"/manage/events/{event.slug}/printouts"
    assert client.get(base).status_code == 403
    assert client.get(f"{base}/{made.id}.pdf").status_code == 403
    assert client.post(base, data={"kind": "badges"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Printout)) == 1
    # Bo asks for this printout's id under his own event: there is no such printout there.
    other = f"/manage/events/{other_event.slug}/printouts/{made.id}"
    for suffix in ("", ".pdf", ".json"):
        assert client.get(f"{other}{suffix}").status_code == 404


def test_the_old_links_build_a_small_event_at_once_and_send_a_large_one_to_the_queue(
    signed_in, event, monkeypatch
):
    response = signed_in.get(f"/manage/events/{event.slug}/badges.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    monkeypatch.setattr(printouts, "SMALL_EVENT", 3)
    response = signed_in.get(f"/manage/events/{event.slug}/attendance-list.pdf?language=en")
    assert response.status_code == 302
    assert response.location.endswith(f"/manage/events/{event.slug}/printouts?language=en")
    page = signed_in.get(response.location).get_data(as_text=True)
    assert "made in the background" in page
    assert '<option selected value="en">' in page or 'value="en" selected' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Printout)) == 0
