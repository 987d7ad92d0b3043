"""The campaign's invitation (kind "campaign_invitation"): queued per address by
outreach.campaigns with a snapshot of the facts, written by the worker in the person's language.

It carries the event's box (when, where, who it is for: events.facts), the organiser's optional
personal word in that language, the personal link to the registration form (/i/<token>) and the
link that withdraws the consent (/i/<token>/withdraw). No personal data is in either link.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from core.mail_render import MailDraft, mail_kind
from core.outbox import queue_email
from core.urls import external_url
from events.facts import EventFacts, event_facts
from events.labels import TARGET_GROUP_LABELS, sorted_target_groups
from events.models import Event

KIND = "campaign_invitation"


def invitation_url(token: str) -> str:
    return external_url("outreach_invitations.open_invitation", token=token)


def withdraw_url(token: str) -> str:
    return external_url("outreach_invitations.withdraw", token=token)


def invitation_facts(
    event: Event,
    language: str,
    name: str,
    token: str | None,
    subjects: Mapping[str, str],
    bodies: Mapping[str, str],
    **extra: Any,
) -> dict[str, Any]:
    """The snapshot of one invitation (`token` None: a preview or a test copy, no links)."""
    return {
        "name": name,
        "event": event_facts(event, language),
        "invitation_url": invitation_url(token) if token else None,
        "withdraw_url": withdraw_url(token) if token else None,
        "subject": subjects.get(language) or "",
        "body": bodies.get(language) or "",
        **extra,
    }


def queue_invitation(email: str, language: str, facts: Mapping[str, Any]) -> int:
    """One invitation into the outbox, in the caller's transaction."""
    return queue_email(email, KIND, language, facts)


@mail_kind(KIND)
def write_invitation(kind: str, facts: Mapping[str, Any]) -> MailDraft:
    """The invitation from its snapshot, in the current (the recipient's) language."""
    event = EventFacts.from_json(facts["event"])
    subject: Any = facts.get("subject") or _l("Invitation: %(title)s", title=event.title)
    if facts.get("test"):
        subject = _l("[Test] %(subject)s", subject=str(subject))
    groups = [str(TARGET_GROUP_LABELS[c]) for c in sorted_target_groups(event.target_group_codes)]
    context = {
        "event": event,
        "name": facts["name"],
        "body": facts.get("body") or "",
        "invitation_url": facts.get("invitation_url"),
        "withdraw_url": facts.get("withdraw_url"),
        "for_groups": groups,
        "test": bool(facts.get("test")),
    }
    return MailDraft(KIND, subject, context, unsubscribe_url=facts.get("withdraw_url"))
