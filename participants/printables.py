"""What the organiser prints for the door: name badges and the signed attendance list
(deltagarförteckning, as ESF-funded projects keep for the audit), as PDF.

The rows are built here (confirmed people only, sorted by name in the chosen language's
order, optionally those of one session); the views only render them. The PDF is written by
WeasyPrint from an HTML template (templates/participants/print/…), tagged (PDF/UA-1) with its
language set, in DejaVu Sans from the system so that "Łukasz", "Алёна" and "محمد" print.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import segno
import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from core.db import db
from core.errors import NotFound, ValidationError
from core.i18n import format_day, format_span
from core.urls import external_url
from events.content import localized
from events.labels import TARGET_GROUP_LABELS
from events.models import LANGUAGES, Event, Session
from participants.models import Registration, registration_session

# Swedish and Finnish put å, ä, ö after z (and æ, ø with ä, ö); English reads them as a, o.
# (Characters of a private-use plane stand for them: after every letter of every script.)
_NORDIC_TAIL = {"å": "\U000f0001", "ä": "\U000f0002", "æ": "\U000f0002", "ö": "\U000f0003",
                "ø": "\U000f0003"}  # fmt: skip


def name_key(name: str, language: str) -> tuple[str, str]:
    """A sort key for a name in the language's alphabetical order (without ICU): letters
    with accents sort with their base letter, except the Nordic å, ä, ö in sv and fi."""
    text = name.casefold().strip()
    if language in ("sv", "fi"):
        text = "".join(_NORDIC_TAIL.get(ch, ch) for ch in text)
    base = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return base, text


@dataclass(frozen=True)
class PrintRow:
    number: int
    name: str
    organisation: str
    target_group: str  # its label in the printout's language
    checkin_url: str = ""
    qr_data_uri: str = ""  # the ticket's QR code (badges only)


@dataclass
class Printout:
    """What a badge sheet or an attendance list shows, in `language`."""

    event: Event
    language: str
    title: str
    title_lang: str
    when: str
    day: str
    place: str
    organiser: str
    session: Session | None = None
    session_title: str = ""
    rows: list[PrintRow] = field(default_factory=list)


def print_language(event: Event, requested: str | None) -> str:
    """The printout's language: the organiser's choice (?lang=sv|fi|en) or the event's own.
    An unknown choice is refused (422), not silently replaced."""
    if not requested:
        return event.language if event.language in LANGUAGES else "sv"
    if requested not in LANGUAGES:
        raise ValidationError(
            {"lang": _l("Choose one of: %(choices)s.", choices=", ".join(LANGUAGES))}
        )
    return requested


def chosen_session(event: Event, session_id: str | None) -> Session | None:
    """The session of this event named by ?session=<id>, None for the whole event; NotFound
    for anything else."""
    if not session_id:
        return None
    session = next((s for s in event.sessions if str(s.id) == session_id), None)
    if session is None:
        raise NotFound(_l("There is no such session for this event."))
    return session


def confirmed_people(event: Event, session: Session | None = None) -> list[Registration]:
    """The confirmed registrations (of one session when given), with their organisations."""
    query = (
        sa.select(Registration)
        .where(Registration.event_id == event.id, Registration.status == "confirmed")
        .options(selectinload(Registration.organisation))
    )
    if session is not None:
        query = query.join(
            registration_session, registration_session.c.registration_id == Registration.id
        ).where(registration_session.c.session_id == session.id)
    return list(db.session.scalars(query))


def _place(event: Event) -> str:
    if event.format == "online":
        return str(_l("Online"))
    place = ", ".join(p for p in (event.venue_name, event.venue_address, event.venue_city) if p)
    if event.format == "hybrid":
        place = f"{place} {_l('(and online)')}"
    return place


def _organiser(event: Event) -> str:
    parts = [current_app.config.get("ORGANISATION_NAME") or ""]
    if event.created_by is not None:
        parts.append(event.created_by.name)
    return ", ".join(p for p in parts if p)


def _qr(url: str) -> str:
    """The ticket's QR code (the same link as /r/<token>/ticket) as a PNG of one pixel per
    module, scaled up sharp by the stylesheet. The mask is fixed: segno's search for the best
    of eight takes three quarters of the time (10 ms a code), and any mask scans."""
    return segno.make_qr(url, error="m", mask=0).png_data_uri(scale=1, border=2)


def printout(
    event: Event, language: str, session: Session | None = None, *, badges: bool = False
) -> Printout:
    """The rows and headings of a printout in `language`: confirmed people sorted by name;
    for badges each with the QR code of their ticket (the check-in link it encodes)."""
    people = sorted(
        confirmed_people(event, session), key=lambda r: (name_key(r.name, language), r.id)
    )
    with force_locale(language):
        title, title_lang = localized(event, "title", language)
        rows = []
        for number, person in enumerate(people, start=1):
            checkin = (
                external_url("participants_checkin.ticket", token=person.token) if badges else ""
            )
            rows.append(
                PrintRow(
                    number=number,
                    name=person.name,
                    organisation=person.organisation.name,
                    target_group=str(
                        TARGET_GROUP_LABELS.get(person.target_group, person.target_group)
                    ),
                    checkin_url=checkin,
                    qr_data_uri=_qr(checkin) if badges else "",
                )
            )
        starts, ends = (
            (session.starts_at, session.ends_at) if session else (event.starts_at, event.ends_at)
        )
        return Printout(
            event=event,
            language=language,
            title=title,
            title_lang=title_lang,
            when=format_span(starts, ends, event.timezone, language),
            day=format_day(_local(event.starts_at, event.timezone), language),
            place=_place(event),
            organiser=_organiser(event),
            session=session,
            session_title=localized(session, "title", language)[0] if session else "",
            rows=rows,
        )


def _local(moment: datetime, timezone: str) -> datetime:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(timezone))


def _css_string(text: str) -> str:
    escaped = "".join(f"\\{ord(ch):x} " if ch in '"\\<>' or ord(ch) < 32 else ch for ch in text)
    return f'"{escaped}"'


def css_content(text: str) -> str:
    """A CSS `content` value from a translated text in which \\x01 stands for the page
    number and \\x02 for the page count: '"Sida " counter(page) " av " counter(pages)'."""
    parts: list[str] = []
    chunk = ""
    for ch in text:
        if ch in "\x01\x02":
            if chunk:
                parts.append(_css_string(chunk))
            parts.append("counter(page)" if ch == "\x01" else "counter(pages)")
            chunk = ""
        else:
            chunk += ch
    if chunk:
        parts.append(_css_string(chunk))
    return " ".join(parts) or '""'


def printout_html(template: str, sheet: Printout, **context: Any) -> str:
    """The printout's HTML, from templates/participants/print/<template>, in its language: a
    string that pdf_from_html turns into the PDF without the database (the worker renders it
    inside its read, then writes the PDF after the read has ended)."""
    with force_locale(sheet.language):
        page_numbers = _l("Page %(page)s of %(pages)s", page="\x01", pages="\x02")
        return render_template(
            f"participants/print/{template}",
            sheet=sheet,
            page_numbers=css_content(str(page_numbers)),
            footer=css_content(f"{sheet.title} · {sheet.day}"),
            **context,
        )


def pdf_from_html(html: str) -> bytes:
    """A tagged PDF (PDF/UA-1) of a printout's HTML: WeasyPrint's layout, the slow part."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=current_app.root_path)
    return document.write_pdf(pdf_variant="pdf/ua-1", uncompressed_pdf=False)


def render_pdf(template: str, sheet: Printout, **context: Any) -> bytes:
    """The printout as a tagged PDF (PDF/UA-1), from templates/participants/print/<template>,
    written in the printout's language."""
    return pdf_from_html(printout_html(template, sheet, **context))
