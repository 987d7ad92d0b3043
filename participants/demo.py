"""The demo's registrations (flask demo-data): people registered over several days, some
cancelled, one quota full with a waiting list, and a past event where most were checked in and
some did not come, so a newcomer's first look at the dashboard and the lists is not empty.

Made through the services (register, cancel, check in) so every kept count is right, then
dated back: each registration's time spread over the weeks before its event, attendance at
the event's start. The demo's confirmation emails are taken out of the outbox again (they
would go to made-up addresses). events' demo-data sends `demo_events_created`; this listens.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from blinker import Namespace

from core.db import db, utcnow
from core.models import OutboxMessage
from events.models import Event
from events.services import create_event, demo_events_created
from participants import services
from participants.models import Registration

FIRST_NAMES = (
    "Anna", "Erik", "Sara", "Johan", "Maria", "Ahmed", "Leila", "Mikko", "Aino", "Laura",
    "Oskar", "Fatima", "Jonas", "Elin", "Karin", "Ville", "Noora", "Omar", "Linnea", "Petra",
)  # fmt: skip
LAST_NAMES = (
    "Lindqvist", "Virtanen", "Hassan", "Korhonen", "Berg", "Mäkinen", "Nyström", "Ali",
    "Johansson", "Laine", "Ekström", "Heikkinen", "Svensson", "Karimi", "Nieminen",
)  # fmt: skip
ORGANISATIONS = {
    "contracting_authority": [
        {"name": "Stockholms stad", "org_number": "212000-0142", "country": "SE"},
        {"name": "Göteborgs Stad", "org_number": "212000-1355", "country": "SE"},
        {"name": "Helsingin kaupunki", "org_number": "0201256-6", "country": "FI"},
        {"name": "Vantaan kaupunki", "org_number": "0124610-9", "country": "FI"},
    ],
    "supplier": [
        {"name": "Saab AB", "org_number": "556036-0793", "country": "SE"},
        {"name": "Byggservice Norr AB", "org_number": "", "country": "SE"},
        {"name": "Siivouspalvelu Oy", "org_number": "", "country": "FI"},
    ],
    "decision_maker": [{"name": "Botkyrka kommun", "org_number": "", "country": "SE"}],
    "civil_society": [{"name": "Stadsmissionen", "org_number": "", "country": "SE"}],
    "matchmaker": [{"name": "Arbetsförmedlingen", "org_number": "", "country": "SE"}],
    "other": [{"name": "THL", "org_number": "2229500-6", "country": "FI"}],
}

# Per demo event (by its language and kind): how many of each group register, spread over
# how many days before the event (or before now, for an upcoming one).
PLANS: dict[str, dict[str, Any]] = {
    "conference": {"groups": {"contracting_authority": 14, "supplier": 8, "decision_maker": 4,
                              "matchmaker": 4, "civil_society": 3}, "days": 12},
    "workshop-fi": {"groups": {"contracting_authority": 12, "supplier": 21, "matchmaker": 3,
                               "civil_society": 2}, "days": 9},
    "webinar": {"groups": {"supplier": 9, "civil_society": 4, "other": 3}, "days": 6},
    "past": {"groups": {"contracting_authority": 16, "matchmaker": 8}, "days": 14},
}  # fmt: skip


def _past_webinar() -> dict[str, Any]:
    """A second past event: a webinar ten days ago, with attendance and no-shows."""
    start = (utcnow() - timedelta(days=10)).replace(hour=8, minute=0, second=0, microsecond=0)
    return {
        "title": "Webbinarium: uppföljning av sysselsättningskrav i avtal",
        "description": (
            "Hur följer man upp ett **sysselsättningskrav** under avtalstiden?\n\n"
            "- Platser per typ: anställning, praktik, lärlingsplats\n"
            "- Heltidsmånader och placeringar inom sex månader"
        ),
        "kind": "webinar",
        "format": "online",
        "language": "sv",
        "timezone": "Europe/Stockholm",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1, minutes=30)).isoformat(),
        "online_url": "https://meet.example.org/uppfoljning",
        "capacity": 100,
        "target_groups": [
            {"code": "contracting_authority", "quota": None},
            {"code": "supplier", "quota": None},
            {"code": "matchmaker", "quota": None},
        ],
        "status": "published",
        "translations": {
            "en": {
                "title": "Webinar: following up employment requirements in contracts",
                "description": (
                    "How do you follow up an **employment requirement** during the contract?\n\n"
                    "- Placements by type: employment, internship, apprenticeship\n"
                    "- Full-time months and placements within six months"
                ),
            },
            "fi": {
                "title": "Webinaari: työllistämisehtojen seuranta sopimuksissa",
                "description": (
                    "Miten **työllistämisehdon** toteutumista seurataan sopimuskauden aikana?\n\n"
                    "- Työllistymiset tyypeittäin: työsuhde, harjoittelu, oppisopimus\n"
                    "- Kokoaikaiset työkuukaudet ja kuuden kuukauden kuluessa alkaneet jaksot"
                ),
            },
        },
    }


def _plan(event: Event) -> dict[str, Any] | None:
    if event.status != "published":
        return None
    if event.ends_at < utcnow():
        return PLANS["past"] if event.kind == "workshop" else _webinar_past_plan()
    if event.kind == "workshop" and event.language == "fi":
        return PLANS["workshop-fi"]
    return PLANS.get(event.kind)


def _webinar_past_plan() -> dict[str, Any]:
    return {"groups": {"contracting_authority": 9, "supplier": 6, "matchmaker": 3}, "days": 8}


def _register_people(event: Event, plan: dict[str, Any], rng: random.Random) -> list:
    registrations = []
    groups = [g for g, count in plan["groups"].items() for _i in range(count)]
    rng.shuffle(groups)
    for n, group in enumerate(groups, start=1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        sessions = [s.id for s in _sessions(event, rng)]
        data = {
            "name": f"{first} {last}",
            "email": f"{first}.{last}.{n}@example.org".lower(),
            "organisation": rng.choice(ORGANISATIONS[group]),
            "target_group": group,
            "role": "",
            "language": event.language if rng.random() < 0.8 else "sv",
            "sessions": sessions,
            "needs": "",
            "consent_future_invitations": rng.random() < 0.5,
        }
        registrations.append(services.register(event, data, by_organiser=True))
    return registrations


def _sessions(event: Event, rng: random.Random) -> list:
    """Most sessions, and one of each set of parallel ones (they may not overlap)."""
    candidates = list(event.sessions)
    rng.shuffle(candidates)
    chosen: list = []
    for session in candidates:
        overlaps = any(
            session.starts_at < other.ends_at and other.starts_at < session.ends_at
            for other in chosen
        )
        if not overlaps and rng.random() < 0.85:
            chosen.append(session)
    return chosen


def _date_back(event: Event, registrations: list, days: int, rng: random.Random) -> None:
    """Spread the registrations over `days` days before the event (before now when it is
    upcoming), more of them near the start, in the order they were made."""
    end = min(event.starts_at, utcnow()) - timedelta(hours=2)
    start = end - timedelta(days=days)
    moments = sorted(
        start + (end - start) * (1 - rng.random() ** 1.6) for _r in registrations
    )  # fmt: skip
    for registration, moment in zip(registrations, moments, strict=True):
        db.session.execute(
            sa.update(Registration).where(Registration.id == registration.id).values(
                created_at=moment
            )
        )  # fmt: skip
    db.session.commit()


def add_demo_registrations(events: list[Event], seed: int = 8) -> int:
    """Register, cancel and check in demo people for the demo events (and a past webinar of
    our own); returns how many registrations were made."""
    rng = random.Random(seed)
    last_mail = db.session.scalar(sa.select(sa.func.max(OutboxMessage.id))) or 0
    owner = events[0].created_by if events else None
    events = [*events, create_event(owner, _past_webinar())] if owner else list(events)
    made = 0
    for event in events:
        plan = _plan(event)
        if plan is None:
            continue
        registrations = _register_people(event, plan, rng)
        made += len(registrations)
        for registration in registrations[3:5]:  # two change their minds
            services.cancel(registration)
        _date_back(event, registrations, plan["days"], rng)
        if event.ends_at < utcnow():
            _check_in_most(event, rng)
    db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.id > last_mail))
    db.session.commit()
    return made


def _check_in_most(event: Event, rng: random.Random) -> None:
    """About five in six of the confirmed came; the rest are the no-shows."""
    confirmed = db.session.scalars(
        sa.select(Registration).where(
            Registration.event_id == event.id, Registration.status == "confirmed"
        )
    ).all()
    for registration in confirmed:
        if rng.random() < 0.83:
            registration.attended_at = event.starts_at + timedelta(minutes=rng.randint(-20, 15))
    db.session.commit()


# Sent once the demo's people are registered and checked in: what builds on them (the
# surveys) listens to this, not to demo_events_created, whose receivers run in no set order.
demo_registrations_created = Namespace().signal("demo-registrations-created")


@demo_events_created.connect
def _on_demo_events(_sender: Any, events: list[Event], **_extra: Any) -> None:
    add_demo_registrations(events)
    demo_registrations_created.send(None, events=events)
