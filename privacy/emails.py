"""The messages of an erasure request, queued through the outbox in the person's language.

- "erasure_requested": the request is received and waits for an administrator.
- "erasure_approved": the person's data is erased. Queued in the transaction that erases it,
  after the anonymisation (which empties every other message to the address), and marked
  core.outbox.forget_after_sending: the worker empties its recipient and text in the same
  UPDATE that marks it sent, so once it has gone no trace of the address is left. Its
  snapshot holds no name, only the date and how many registrations were anonymised.
- "erasure_rejected": the request was refused, with the administrator's reason and how to
  complain to the supervisory authority (IMY).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from core.mail_render import MailDraft, mail_kind
from core.outbox import forget_after_sending, queue_email
from core.urls import external_url
from participants.models import Registration

REQUESTED = "erasure_requested"
APPROVED = "erasure_approved"
REJECTED = "erasure_rejected"

forget_after_sending(APPROVED)

# The Swedish supervisory authority, where a person may complain (GDPR article 77).
IMY_URL = "https://www.imy.se/"


def _manage_url(registration: Registration) -> str:
    return external_url("participants.manage", token=registration.token)


def requested(registration: Registration, language: str, on: date) -> None:
    queue_email(
        registration.email,
        REQUESTED,
        language,
        {"name": registration.name, "requested_on": on.isoformat()},
        registration_id=registration.id,
    )


def approved(address: str, language: str, on: date, registrations: int) -> None:
    """No registration id: the registrations are anonymised, and nothing ties the notice to
    them once it is sent."""
    queue_email(
        address, APPROVED, language, {"decided_on": on.isoformat(), "registrations": registrations}
    )


def rejected(registration: Registration, language: str, note: str, requested_on: date) -> None:
    queue_email(
        registration.email,
        REJECTED,
        language,
        {
            "name": registration.name,
            "note": note,
            "requested_on": requested_on.isoformat(),
            "manage_url": _manage_url(registration),
        },
        registration_id=registration.id,
    )


@mail_kind(REQUESTED, APPROVED, REJECTED)
def write(kind: str, facts: Mapping[str, Any]) -> MailDraft:
    """The message from its snapshot, in the current (the person's) language."""
    subjects = {
        REQUESTED: _l("We have received your request to erase your data"),
        APPROVED: _l("Your personal data has been erased"),
        REJECTED: _l("Your request to erase your data was not granted"),
    }
    context: dict[str, Any] = {
        "name": facts.get("name") or "",
        "note": facts.get("note") or "",
        "manage_url": facts.get("manage_url"),
        "registrations": int(facts.get("registrations") or 0),
        "imy_url": IMY_URL,
    }
    for key in ("requested_on", "decided_on"):
        if facts.get(key):
            context[key] = date.fromisoformat(facts[key])
    return MailDraft(kind, subjects[kind], context)
