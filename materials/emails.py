"""The email of a distribution (materials/distribution.py), written by the worker from its
snapshot in the recipient's language: the event, and each material with the person's own
download link."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from core.mail_render import MailDraft, mail_kind
from events.facts import EventFacts


@mail_kind("materials")
def write_materials(kind: str, facts: Mapping[str, Any]) -> MailDraft:
    event = EventFacts.from_json(facts["event"])
    context = {
        "event": event,
        "registration": dict(facts["registration"]),
        "materials": list(facts["materials"]),
        "manage_url": facts["manage_url"],
    }
    return MailDraft("materials", _l("Material from %(title)s", title=event.title), context)
