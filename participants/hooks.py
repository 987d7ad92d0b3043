"""What the registration pages ask of features above participants, which participants may not
import (layers): a feature registers its answer here, participants calls it.

- `prefill(event, invitation)`: the registration form filled in from a personal invitation
  link's secret (outreach's campaigns): {"name", "email", "organisation", "org_number",
  "country", "target_group", "language", "role"} or None. Called only when the page was opened with
  ?invitation=, so the ordinary registration costs nothing more.
- `registered_by_invitation`: sent after a registration made from such a form has committed,
  with the registration's id (sender), `invitation` (the hidden field's value) and `event_id`.
- `consent_note(registration)`: what the person's own page says of their consent to
  invitations to future events ({"consented", "withdrawn_at", "withdraw_url"}) or None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from blinker import Namespace

from events.models import Event
from participants.models import Registration

Prefill = Callable[[Event, str], dict[str, Any] | None]
ConsentNote = Callable[[Registration], dict[str, Any] | None]

_PREFILLS: list[Prefill] = []
_CONSENT_NOTES: list[ConsentNote] = []

registered_by_invitation = Namespace().signal("registered-by-invitation")


def register_prefill(hook: Prefill) -> Prefill:
    if hook not in _PREFILLS:
        _PREFILLS.append(hook)
    return hook


def register_consent_note(hook: ConsentNote) -> ConsentNote:
    if hook not in _CONSENT_NOTES:
        _CONSENT_NOTES.append(hook)
    return hook


def prefill(event: Event, invitation: str) -> dict[str, Any] | None:
    for hook in _PREFILLS:
        found = hook(event, invitation)
        if found:
            return found
    return None


def consent_note(registration: Registration) -> dict[str, Any] | None:
    for hook in _CONSENT_NOTES:
        found = hook(registration)
        if found:
            return found
    return None
