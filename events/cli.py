"""flask demo-data: realistic events about employment requirements, made through the services."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from flask import g

from core.auth import create_organiser, find_organiser
from core.db import db, utcnow
from core.errors import ServiceError
from core.models import Organiser
from events.demo_texts import with_translations
from events.models import TARGET_GROUPS, Event
from events.services import create_event, demo_events_created

DEMO_ADMIN_EMAIL = "admin@example.org"
DEMO_ADMIN_PASSWORD = "motesplats-demo"


def _day(days_from_today: int, tz: str) -> date:
    return utcnow().astimezone(ZoneInfo(tz)).date() + timedelta(days=days_from_today)


def _at(day: date, clock: str) -> str:
    """Naive local time, as the service takes it in the event's zone."""
    return f"{day.isoformat()}T{clock}"


def _all_groups(**quotas: int) -> list[dict[str, Any]]:
    return [{"code": code, "quota": quotas.get(code)} for code in TARGET_GROUPS]


def _stockholm_conference() -> dict[str, Any]:
    tz = "Europe/Stockholm"
    d1 = _day(21, tz)
    d2 = d1 + timedelta(days=1)

    def session(day: date, start: str, end: str, title: str, **more: Any) -> dict[str, Any]:
        return {"title": title, "starts_at": _at(day, start), "ends_at": _at(day, end), **more}

    return {
        "title": "Sysselsättningskrav i offentlig upphandling – nationell konferens",
        "description": (
            "Två dagar om hur upphandlande organisationer använder **sysselsättningskrav** för "
            "att fler nyanlända och långtidsarbetslösa ska få jobb eller praktik i offentligt "
            "upphandlade avtal.\n\n"
            "Vi går igenom Upphandlingsmyndighetens modell i sex steg – planera, kartlägga, "
            "analysera, upphandla, genomföra och förvalta – och kriterietjänstens tre nivåer: "
            "bas, avancerad och spjutspets.\n\n"
            "- Rättslig grund: särskilda kontraktsvillkor, 17 kap. 1 § LOU\n"
            "- Matchningsansvarigas roll: Arbetsförmedlingen och kommunernas "
            "arbetsmarknadsenheter\n"
            "- Uppföljning: placeringar, heltidsmånader och könsfördelning\n\n"
            "Konferensen genomförs inom ett ESF-finansierat transnationellt projekt med "
            "partner i Sverige och Finland."
        ),
        "kind": "conference",
        "format": "hybrid",
        "language": "sv",
        "timezone": tz,
        "starts_at": _at(d1, "09:00"),
        "ends_at": _at(d2, "15:30"),
        "venue": {
            "name": "Stockholm Waterfront Congress Centre",
            "address": "Nils Ericsons Plan 4",
            "city": "Stockholm",
            "country": "Sverige",
        },
        "online_url": "https://meet.example.org/sysselsattningskrav-2026",
        "capacity": 200,
        "target_groups": _all_groups(supplier=60, other=20),
        "status": "published",
        "sessions": [
            session(
                d1,
                "09:00",
                "09:45",
                "Välkomna: varför sysselsättningskrav?",
                room="Auditoriet",
                speakers=[{"name": "Karin Lindqvist", "organisation": "Upphandlingsmyndigheten"}],
            ),
            session(
                d1,
                "10:00",
                "12:00",
                "Workshop: kartlägg och analysera – var passar kraven?",
                description="Vi arbetar med era egna kommande upphandlingar i små grupper.",
                room="Sal A",
                capacity=30,
                speakers=[{"name": "Sara Nilsson", "organisation": "Stockholms stad"}],
            ),
            session(
                d1,
                "10:00",
                "12:00",
                "Workshop: matchningsansvarig – så hittar vi kandidaterna",
                room="Sal B",
                capacity=25,
                speakers=[
                    {"name": "Johan Berg", "organisation": "Arbetsförmedlingen"},
                    {"name": "Leila Haddad", "organisation": "Botkyrka kommun"},
                ],
            ),
            session(
                d1,
                "13:00",
                "14:30",
                "Panel: leverantörer om att anställa via avtalen",
                room="Auditoriet",
                speakers=[
                    {"name": "Peter Ek", "organisation": "Byggföretaget Ek AB"},
                    {"name": "Anna Svensson", "organisation": "Städ & Service i Göteborg AB"},
                ],
            ),
            session(
                d1,
                "14:45",
                "16:00",
                "Uppföljning: placeringar, heltidsmånader och start inom sex månader",
                room="Auditoriet",
                speakers=[{"name": "Maria Holm", "organisation": "Göteborgs Stad"}],
            ),
            session(
                d2,
                "09:00",
                "10:30",
                "Kriterietjänsten: bas, avancerad och spjutspets",
                room="Auditoriet",
                speakers=[{"name": "Karin Lindqvist", "organisation": "Upphandlingsmyndigheten"}],
            ),
            session(
                d2,
                "10:45",
                "12:00",
                "Workshop: skriv en avtalsklausul som går att följa upp",
                room="Sal A",
                capacity=30,
                speakers=[{"name": "Erik Dahl", "organisation": "Helsingborgs stad"}],
            ),
            session(
                d2,
                "13:00",
                "14:30",
                "Erfarenheter från Helsingfors: työllistämisehto i över 48 avtal",
                room="Auditoriet",
                speakers=[{"name": "Mikko Virtanen", "organisation": "Helsingin kaupunki"}],
            ),
            session(d2, "14:45", "15:30", "Nästa steg och avslutning", room="Auditoriet"),
        ],
    }


def _helsinki_workshop() -> dict[str, Any]:
    tz = "Europe/Helsinki"
    day = _day(35, tz)
    return {
        "title": "Työllistämisehto julkisissa hankinnoissa – työpaja hankintayksiköille",
        "description": (
            "Työpajassa käydään läpi, miten **työllistämisehto** otetaan käyttöön "
            "hankinnoissa. Helsinki harkitsee ehtoa kaikissa yli 200 000 euron hankinnoissa.\n\n"
            "- Kenelle työpaikka tai oppisopimus: yli kolme kuukautta työttömänä olleet, alle "
            "30-vuotiaat, maahanmuuttajat ja osatyökykyiset\n"
            "- Miten ehdon toteutumista seurataan sopimuskauden aikana\n"
            "- Kokemuksia Vantaalta ja Ruotsista"
        ),
        "kind": "workshop",
        "format": "in_person",
        "language": "fi",
        "timezone": tz,
        "starts_at": _at(day, "09:00"),
        "ends_at": _at(day, "15:30"),
        "venue": {
            "name": "Helsingin kaupungintalo",
            "address": "Pohjoisesplanadi 11–13",
            "city": "Helsinki",
            "country": "Suomi",
        },
        "capacity": 60,
        "target_groups": [
            {"code": "contracting_authority", "quota": 30},
            {"code": "supplier", "quota": 20},
            {"code": "matchmaker", "quota": None},
            {"code": "civil_society", "quota": None},
        ],
        "status": "published",
        "sessions": [
            {
                "title": "Työllistämisehto Helsingissä: mitä olemme oppineet",
                "starts_at": _at(day, "09:00"),
                "ends_at": _at(day, "10:30"),
                "room": "Juhlasali",
                "speakers": [{"name": "Mikko Virtanen", "organisation": "Helsingin kaupunki"}],
            },
            {
                "title": "Ryhmätyö: ehdon muotoilu omaan hankintaan",
                "starts_at": _at(day, "10:45"),
                "ends_at": _at(day, "12:15"),
                "room": "Kokoushuone 2",
                "capacity": 30,
                "speakers": [{"name": "Aino Mäkinen", "organisation": "Vantaan kaupunki"}],
            },
            {
                "title": "Seuranta ja vaikutukset",
                "starts_at": _at(day, "13:15"),
                "ends_at": _at(day, "15:30"),
                "room": "Juhlasali",
                "speakers": [{"name": "Laura Korhonen", "organisation": "THL"}],
            },
        ],
    }


def _english_webinar() -> dict[str, Any]:
    tz = "Europe/Stockholm"
    day = _day(14, tz)
    return {
        "title": "Employment requirements in public contracts: a webinar for suppliers",
        "description": (
            "What does it mean for a supplier when a contract carries an **employment "
            "requirement**? We explain the three clause levels (basic, advanced, spearhead), "
            "how matchmakers help you find candidates, and what you report during the "
            "contract.\n\nThe webinar is in English; questions are welcome in Swedish and "
            "Finnish too."
        ),
        "kind": "webinar",
        "format": "online",
        "language": "en",
        "timezone": tz,
        "starts_at": _at(day, "10:00"),
        "ends_at": _at(day, "11:30"),
        "online_url": "https://meet.example.org/employment-requirements-webinar",
        "capacity": 500,
        "target_groups": [
            {"code": "supplier", "quota": None},
            {"code": "civil_society", "quota": None},
            {"code": "other", "quota": None},
        ],
        "status": "published",
        "sessions": [
            {
                "title": "Employment requirements in five minutes",
                "starts_at": _at(day, "10:00"),
                "ends_at": _at(day, "10:30"),
                "speakers": [
                    {"name": "Karin Lindqvist", "organisation": "Upphandlingsmyndigheten"}
                ],
            },
            {
                "title": "A supplier's story, and questions",
                "starts_at": _at(day, "10:30"),
                "ends_at": _at(day, "11:30"),
                "speakers": [{"name": "Peter Ek", "organisation": "Byggföretaget Ek AB"}],
            },
        ],
    }


def _draft() -> dict[str, Any]:
    tz = "Europe/Stockholm"
    day = _day(60, tz)
    return {
        "title": "Frukostseminarium för beslutsfattare: sysselsättningskrav i budgeten",
        "description": "Utkast: program och talare är inte klara.",
        "kind": "workshop",
        "format": "in_person",
        "language": "sv",
        "timezone": tz,
        "starts_at": _at(day, "08:00"),
        "ends_at": _at(day, "09:30"),
        "venue": {
            "name": "Göteborgs Stadshus",
            "address": "Gustaf Adolfs torg 1",
            "city": "Göteborg",
            "country": "Sverige",
        },
        "capacity": 40,
        "target_groups": [{"code": "decision_maker", "quota": None}],
        "status": "draft",
    }


def _past_event() -> dict[str, Any]:
    tz = "Europe/Stockholm"
    day = _day(-40, tz)
    return {
        "title": "Uppstartsmöte: sysselsättningskrav i Botkyrka och Helsingborg",
        "description": (
            "Projektets första nätverksmöte för upphandlare och matchningsansvariga. "
            "Vi gick igenom beredskapsfrågorna: finns ett politiskt beslut, är beställaren "
            "intresserad, finns en matchningsansvarig och ett regionalt nätverk?"
        ),
        "kind": "workshop",
        "format": "in_person",
        "language": "sv",
        "timezone": tz,
        "starts_at": _at(day, "13:00"),
        "ends_at": _at(day, "16:00"),
        "venue": {
            "name": "Botkyrka kommunhus",
            "address": "Munkhättevägen 45",
            "city": "Tumba",
            "country": "Sverige",
        },
        "capacity": 40,
        "target_groups": [
            {"code": "contracting_authority", "quota": None},
            {"code": "matchmaker", "quota": None},
        ],
        "status": "published",
    }


DEMO_EVENTS = (_stockholm_conference, _helsinki_workshop, _english_webinar, _draft, _past_event)


def demo_organiser() -> tuple[Organiser, bool]:
    """The demo admin, or any admin already there. True when the account was created now."""
    organiser = find_organiser(DEMO_ADMIN_EMAIL) or db.session.scalar(
        sa.select(Organiser).where(Organiser.role == "admin").order_by(Organiser.id).limit(1)
    )
    if organiser is not None:
        return organiser, False
    return create_organiser(DEMO_ADMIN_EMAIL, "Demo Admin", DEMO_ADMIN_PASSWORD, admin=True), True


@click.command("demo-data")
@click.option("--if-empty", is_flag=True, help="Do nothing when any event exists already.")
def demo_data_command(if_empty: bool) -> None:
    """Load realistic demo events (and a demo admin account when there is no admin)."""
    if if_empty and db.session.scalar(sa.select(Event.id).limit(1)) is not None:
        click.echo("Events exist already; no demo data loaded.")
        return
    organiser, created = demo_organiser()
    try:
        events = [create_event(organiser, with_translations(build())) for build in DEMO_EVENTS]
    except ServiceError as err:
        db.session.rollback()
        detail = "; ".join(f"{k}: {v}" for k, v in err.fields.items()) or str(err.message)
        raise click.ClickException(f"Demo data was refused: {detail}") from err
    # The people the demo adds are added by its organiser, as the audit log records them.
    g.organiser = organiser
    demo_events_created.send(None, events=events)  # participants add registrations
    for event in events:
        click.echo(f"{event.status:10} {event.slug}")
    if created:
        click.echo(f"Sign in at /login as {DEMO_ADMIN_EMAIL} with password {DEMO_ADMIN_PASSWORD}")
    else:
        click.echo(f"Demo events belong to {organiser.email}.")
