"""Arbitrary input to the HTML forms (registration, event, session, sign-in): NUL, lone
surrogates, huge strings, odd dates and numbers. No answer is a 5xx, and an answer that is not
a success writes no row at all.

They run on both databases: PostgreSQL is where NUL and bad encodings fail loudly
(`make test-postgres`, and always in CI); on SQLite, which would store them silently, they show
that nothing bad is stored either."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.db import utcnow
from tests.core.helpers import all_row_counts

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same examples on every run: a failure can be repeated
)

NASTY = ["\x00", "\ud800", "\udfff", "\ufffd", "\u202e", "ä", "'", '"', "<", "%", "&", "=", "+"]
DAY = (utcnow() + timedelta(days=40)).date().isoformat()


def texts(max_size: int = 60) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(st.sampled_from(NASTY + ["a", " "]), min_size=1, max_size=max_size),
        st.text(max_size=max_size),
        st.text(st.characters(codec=None, categories=["Cs", "Cc", "Lo", "So"]), max_size=20),
        st.integers(0, 1_100_000).map(lambda n: "x" * n),  # up to beyond the 1 MB body limit
    )


def moments() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(
            [
                f"{DAY}T09:00",
                f"{DAY}T15:00",
                "2027-03-28T02:30",  # the clocks skip it
                "2027-10-31T02:30",  # it happens twice
                "0001-01-01T00:00",
                "9999-12-31T23:59",
                "2026-02-30T10:00",
                "2027-03-28T02:30+25:00",
                "2027-03-28T02:30:00Z",
                "",
            ]
        ),
        st.datetimes().map(lambda d: d.isoformat(timespec="minutes")),
        texts(30),
    )


def numbers() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(-(10**20), 10**20).map(str), st.sampled_from(["", "1e9", "0x10"]), texts(10)
    )


def body(fields: dict[str, str | list[str]]) -> bytes:
    """A urlencoded body as a broken or hostile client sends it: a lone surrogate is written
    as its UTF-8 bytes (which no decoder accepts)."""
    parts = []
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            parts.append(quote(key) + "=" + quote(item.encode("utf-8", "surrogatepass"), safe=""))
    return "&".join(parts).encode("ascii")


def post(client, url: str, fields: dict[str, str | list[str]], resend: bool = False):
    """Post the form; no 5xx, and no row written unless it succeeded (a redirect). With
    resend, a 409 may queue one mail: the manage link sent again to an address already
    registered (participants' rule, at most once every few minutes)."""
    before = all_row_counts()
    response = client.post(url, data=body(fields), content_type="application/x-www-form-urlencoded")
    assert response.status_code < 500, (response.status_code, fields.keys())
    if response.status_code != 302:  # every form answers success with a redirect
        after = all_row_counts()
        if resend and response.status_code == 409:
            assert after["outbox_message"] - before["outbox_message"] in (0, 1)
            after["outbox_message"] = before["outbox_message"]
        assert after == before, response.status_code
    return response


@pytest.fixture
def signed_in(client, organiser, login):
    login()
    return client


@st.composite
def variations(draw, valid: dict[str, str], fuzzers: dict[str, st.SearchStrategy]):
    """A valid form with one to three of its fields replaced by arbitrary values, so that the
    odd value reaches the service and the database instead of failing beside another field."""
    fields: dict[str, str | list[str]] = dict(valid)
    names = draw(st.lists(st.sampled_from(sorted(fuzzers)), min_size=1, max_size=3, unique=True))
    for name in names:
        fields[name] = draw(fuzzers[name])
    return fields


_events: dict[int, object] = {}


def _event(make_event):
    """One event per test (hypothesis runs the examples on one set of fixtures)."""
    key = id(make_event)
    if key not in _events:
        _events.clear()
        _events[key] = make_event(capacity=3, starts_at=f"{DAY}T08:00", ends_at=f"{DAY}T16:00")
    return _events[key]


REGISTRATION = {
    "name": "Maja Upphandlare",
    "organisation": "Stockholms stad",
    "org_number": "212000-0142",
    "country": "SE",
    "target_group": "contracting_authority",
    "role": "Upphandlare",
    "language": "sv",
    "needs": "",
}


@given(
    fields=variations(
        REGISTRATION,
        {
            "name": texts(),
            "email": texts(),
            "organisation": texts(),
            "org_number": texts(15),
            "country": texts(5),
            "target_group": texts(10),
            "role": texts(),
            "language": texts(4),
            "needs": texts(),
            "sessions": st.lists(numbers(), max_size=3),
            "consent_future_invitations": texts(3),
        },
    ),
    n=st.integers(0, 10**6),
)
@example(fields={**REGISTRATION, "name": "Maja\x00"}, n=1)
@example(fields={**REGISTRATION, "needs": "a\ud800"}, n=2)
@FUZZ
def test_registration_form(client, make_event, fields, n):
    fields.setdefault("email", f"maja{n}@stockholm.se")
    event = _event(make_event)
    post(client, f"/events/{event.slug}/register", fields, resend=True)


EVENT = {
    "title": "Sysselsättningskrav i praktiken",
    "description": "Hur man **ställer** krav.",
    "kind": "workshop",
    "format": "in_person",
    "language": "sv",
    "timezone": "Europe/Stockholm",
    "starts_at": f"{DAY}T09:00",
    "ends_at": f"{DAY}T15:00",
    "venue_name": "Stadshuset",
    "venue_address": "Hantverkargatan 1",
    "venue_city": "Stockholm",
    "venue_country": "Sverige",
    "online_url": "",
    "capacity": "60",
    "registration_opens_at": "",
    "registration_closes_at": "",
    "target_group_supplier": "y",
    "quota_supplier": "30",
    "co_organisers": "",
}


@given(
    fields=variations(
        EVENT,
        {
            "title": texts(),
            "description": texts(),
            "kind": texts(8),
            "format": texts(8),
            "language": texts(3),
            "timezone": st.one_of(
                st.sampled_from(["Europe/Helsinki", "UTC", "Mars/Olympus", "../etc"]), texts(20)
            ),
            "starts_at": moments(),
            "ends_at": moments(),
            "venue_name": texts(),
            "venue_address": texts(),
            "venue_city": texts(),
            "venue_country": texts(),
            "online_url": st.one_of(st.just("https://meet.example/x"), texts()),
            "capacity": numbers(),
            "registration_opens_at": moments(),
            "registration_closes_at": moments(),
            "quota_supplier": numbers(),
            "target_group_other": texts(3),
            "co_organisers": st.one_of(st.just("anna@upphandlingsmyndigheten.se"), texts()),
        },
    )
)
@example(fields={**EVENT, "title": "Work\x00shop"})
@example(fields={**EVENT, "venue_city": "\udfff", "starts_at": "2027-03-28T02:30"})
@FUZZ
def test_event_form(signed_in, fields):
    post(signed_in, "/manage/events/new", fields)


SESSION = {
    "title": "Workshop: kartlägg era upphandlingar",
    "description": "",
    "starts_at": f"{DAY}T10:00",
    "ends_at": f"{DAY}T11:30",
    "room": "Sal A",
    "speakers": "Karin Lindqvist, Upphandlingsmyndigheten",
    "capacity": "25",
}


@given(
    fields=variations(
        SESSION,
        {
            "title": texts(),
            "description": texts(),
            "starts_at": moments(),
            "ends_at": moments(),
            "room": texts(),
            "speakers": texts(),
            "capacity": numbers(),
        },
    )
)
@example(fields={**SESSION, "title": "Pass\x00"})
@example(fields={**SESSION, "room": "\ud800"})
@FUZZ
def test_session_form(signed_in, make_event, fields):
    event = _event(make_event)
    post(signed_in, f"/manage/events/{event.slug}/sessions/new", fields)


LOGIN = {"email": "anna@upphandlingsmyndigheten.se", "password": "secret-pass"}


@given(fields=variations(LOGIN, {"email": texts(), "password": texts(), "remember": texts(3)}))
@example(fields={**LOGIN, "email": "anna\x00@upphandlingsmyndigheten.se"})
@FUZZ
def test_login_form(client, organiser, fields):
    response = post(client, "/login", fields)
    if response.status_code == 302:
        client.post("/logout")
