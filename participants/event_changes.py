"""How registrations follow a change of their event (events' signals; events never imports
participants): a new time, place or agenda and a cancellation tell each active registrant; a
change preview counts who would be told; a group let in has its seats counted; more places
move people off the waiting list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from events.models import Event
from events.services import (
    change_audience,
    event_cancelled,
    event_rescheduled,
    groups_admitted,
    seats_added,
)
from participants import emails
from participants.queries import active_registrations, audience_counts
from participants.seats import lock_event, promote_from_waitlist, recount_groups


@event_rescheduled.connect
def _tell_of_change(
    event: Event,
    before: Mapping[str, Any] | None = None,
    agenda_before: list[dict[str, Any]] | None = None,
    **_: Any,
) -> None:
    previous: dict[str, dict[str, Any] | None] = {}  # by language: the sessions' titles differ
    for registration in active_registrations(event):
        language = registration.language
        if language not in previous:
            previous[language] = emails.previous_facts(event, before, agenda_before, language)
        emails.event_changed(registration, previous[language])


@change_audience.connect
def _count_audience(event: Event, **_: Any) -> dict[str, Any]:
    """Who a change of the event's time or place would email (events.changes.change_preview):
    the active registrations by status and by language, counted in one query."""
    return audience_counts(event)


@event_cancelled.connect
def _tell_of_cancellation(event: Event) -> None:
    for registration in active_registrations(event):
        emails.event_cancelled(registration)


@groups_admitted.connect
def _count_admitted_groups(event: Event, codes: list[str]) -> None:
    # Confirmed people of a group the event did not admit until now (added by an organiser)
    # hold seats its new row must count. update_event() holds the write transaction.
    lock_event(event.id)
    recount_groups(event, codes)


@seats_added.connect
def _promote_after_raise(event: Event) -> None:
    # update_event() already holds a write transaction on the event row.
    lock_event(event.id)
    promote_from_waitlist(event)
