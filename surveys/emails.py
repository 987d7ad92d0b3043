"""The invitation to a survey and its reminder (surveys/invitations.py), written by the worker
from their snapshot in the recipient's language: the survey's title in that language, the
event's name and date, the personal link, the closing date and the opt-out link."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from core.mail_render import MailDraft, mail_kind
from events.facts import EventFacts

# A standalone survey has no event's time zone; its closing day is told in Sweden's.
DEFAULT_ZONE = "Europe/Stockholm"


@mail_kind("survey_invitation", "survey_reminder")
def write_survey_mail(kind: str, facts: Mapping[str, Any]) -> MailDraft:
    event = EventFacts.from_json(facts["event"]) if facts.get("event") else None
    survey = dict(facts["survey"])
    zone = ZoneInfo(event.timezone if event is not None else DEFAULT_ZONE)
    closes = survey.get("closes_at")
    context = {
        "event": event,
        "name": facts.get("name") or "",
        "survey": survey,
        "closes_on": datetime.fromisoformat(closes).astimezone(zone) if closes else None,
        "answer_url": facts["answer_url"],
        "opt_out_url": facts["opt_out_url"],
    }
    if kind == "survey_reminder":
        subject = _l("Reminder: %(title)s", title=survey["title"])
    else:
        subject = _l("Survey: %(title)s", title=survey["title"])
    return MailDraft(kind, subject, context, unsubscribe_url=facts["opt_out_url"])
