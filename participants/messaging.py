"""A message from the organiser to the event's registrants: who gets it, and queueing it."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from core.db import db, write_transaction
from core.errors import ValidationError
from events.models import Event
from participants import emails
from participants.models import Registration
from participants.queries import RegistrationFilters, registrations_query


def message_recipients(event: Event, filters: RegistrationFilters) -> list[Registration]:
    """Who a message to registrants goes to: the filtered registrations, leaving out cancelled
    ones unless cancelled people are asked for; one message per email address."""
    query = registrations_query(event, filters)
    if not filters.status:
        query = query.where(Registration.status != "cancelled")
    chosen: dict[str, Registration] = {}
    for registration in db.session.scalars(query):
        chosen[registration.email] = registration  # the latest registration of an address
    return list(chosen.values())


def message_registrants(event: Event, filters: RegistrationFilters, subject: str, body: str) -> int:
    """Queue one email to each recipient (see message_recipients); returns how many."""
    subject = " ".join((subject or "").split())
    body = (body or "").strip()
    errors: dict[str, Any] = {}
    if not subject:
        errors["subject"] = _l("Enter a subject.")
    elif len(subject) > 200:
        errors["subject"] = _l("At most %(n)s characters.", n=200)
    if not body:
        errors["body"] = _l("Enter the text of the message.")
    elif len(body) > 20000:
        errors["body"] = _l("At most %(n)s characters.", n=20000)
    if errors:
        raise ValidationError(errors)
    with write_transaction():
        recipients = message_recipients(event, filters)
        for registration in recipients:
            emails.bulk_message(registration, subject, body)
        db.session.commit()
    return len(recipients)
