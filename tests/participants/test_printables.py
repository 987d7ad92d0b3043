"""Name badges and the signed attendance list as PDF: opened with pypdf, they hold each
confirmed person's name (in any script), never a waitlisted or cancelled one, the signature
column and the page numbers, in the event's language or the organiser's choice; another
organiser gets nothing."""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from pypdf import PdfReader

from core.auth import create_organiser
from participants import services
from participants.printables import name_key
from tests.conftest import event_data
from tests.participants.helpers import person, sessions_for

NAMES = ["Łukasz Żółć", "Алёна Смирнова", "محمد الأحمد", "Åsa Öberg", "Anna Andersson"]


def pdf_text(response) -> tuple[PdfReader, str]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return reader, text


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def event(make_event):
    event = make_event(capacity=len(NAMES))
    for n, name in enumerate(NAMES):
        services.register(event, person(n, name=name))
    services.register(event, person("w", name="Walter Väntelista"))  # waitlisted: full
    gone = services.register(event, person("c", name="Cecilia Avbokad"))
    return event, gone


def test_the_attendance_list_has_every_confirmed_name_and_a_signature_column(signed_in, event):
    event, _ = event
    reader, text = pdf_text(signed_in.get(f"/manage/events/{event.slug}/attendance-list.pdf"))
    for name in NAMES[:2] + NAMES[3:]:
        assert name in text
    assert "Walter Väntelista" not in text and "Cecilia" not in text
    # The list is in the event's language (Swedish) unless asked otherwise.
    assert "Underskrift" in text
    assert "Sida 1 av 1" in text
    assert "Stadshuset" in text and event.title in squash(text)
    assert reader.metadata.title == f"Deltagarförteckning: {event.title}"


def test_the_list_in_the_organisers_choice_of_language(signed_in, event):
    event, _ = event
    path = f"/manage/events/{event.slug}/attendance-list.pdf"
    _, text = pdf_text(signed_in.get(f"{path}?language=fi"))
    assert "Allekirjoitus" in text and "Sivu 1 / 1" in text and "Osallistujaluettelo" in text
    _, text = pdf_text(signed_in.get(f"{path}?lang=en"))
    assert "Signature" in text and "Page 1 of 1" in text and "Attendance list" in text
    response = signed_in.get(f"{path}?language=xx")
    assert response.status_code == 422


def test_badges_have_names_organisations_and_the_ticket_qr(signed_in, event):
    event, _ = event
    reader, text = pdf_text(signed_in.get(f"/manage/events/{event.slug}/badges.pdf"))
    for name in ("Łukasz Żółć", "Алёна Смирнова", "Åsa Öberg"):
        assert name in text
    assert "Walter" not in text and "Cecilia" not in text
    assert "Stockholms stad" in text
    # One QR code per person, each different (their own check-in link).
    images = {image.name for page in reader.pages for image in page.images}
    assert len(images) == len(NAMES)


def test_another_organiser_gets_403_and_an_unknown_event_404(client, login, event):
    event, _ = event
    create_organiser("bo@vantaa.fi", "Bo Other", "other-pass")
    login("bo@vantaa.fi", "other-pass")
    for path in ("badges.pdf", "attendance-list.pdf"):
        assert client.get(f"/manage/events/{event.slug}/{path}").status_code == 403
        assert client.get(f"/manage/events/no-such-event/{path}").status_code == 404


def test_signed_out_is_sent_to_sign_in(client, event):
    event, _ = event
    response = client.get(f"/manage/events/{event.slug}/badges.pdf")
    assert response.status_code == 302 and "/login" in response.location


def test_a_session_filter_prints_only_its_people(signed_in, make_event):
    start = datetime.fromisoformat(event_data()["starts_at"])
    event = make_event(sessions=sessions_for(start, None, None))
    first, second = (s.id for s in event.sessions)
    services.register(event, person(1, name="Första Passet", sessions=[first]))
    services.register(event, person(2, name="Andra Passet", sessions=[second]))
    _, text = pdf_text(
        signed_in.get(f"/manage/events/{event.slug}/attendance-list.pdf?session={first}")
    )
    assert "Första Passet" in text and "Andra Passet" not in text
    assert "Pass 1" in text
    response = signed_in.get(f"/manage/events/{event.slug}/attendance-list.pdf?session=999999")
    assert response.status_code == 404


def test_names_sort_in_the_languages_order():
    names = ["Örjan", "Anna", "Åsa", "Zara", "Émile", "Ärla"]
    assert sorted(names, key=lambda n: name_key(n, "sv")) == [
        "Anna", "Émile", "Zara", "Åsa", "Ärla", "Örjan",
    ]  # fmt: skip
    assert sorted(names, key=lambda n: name_key(n, "en"))[:3] == ["Anna", "Ärla", "Åsa"]


def test_the_list_numbers_rows_in_name_order_and_repeats_its_header(signed_in, make_event):
    event = make_event(capacity=None)
    for n in range(60):
        services.register(event, person(n, name=f"Person {n:02d}"))
    reader, text = pdf_text(signed_in.get(f"/manage/events/{event.slug}/attendance-list.pdf"))
    pages = len(reader.pages)
    assert pages >= 3
    for number, page in enumerate(reader.pages, start=1):
        page_text = page.extract_text()
        assert f"Sida {number} av {pages}" in page_text
        assert "Underskrift" in page_text  # the header on every page
    assert text.index("Person 00") < text.index("Person 59")
