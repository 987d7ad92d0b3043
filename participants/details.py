"""One registration after it is made: a correction of the person's details (by themselves
from their manage link, or by an organiser), the confirmation sent again, and the organisers'
bulk actions on the list (check in, move off the waiting list).

The address is never changed here: it is the person's identity (their manage link is sent to
it, one active registration per address and event); a change of address is a new
registration. Sessions have their own service (services.change_sessions).

A change of target group moves the confirmed seat between the groups' kept counts under the
event's lock (participants.seats), and is refused when the new group's quota is full.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from core.audit import record
from core.db import db, utcnow, write_transaction
from core.errors import ValidationError
from events.models import TARGET_GROUPS, Event
from participants import emails
from participants.models import Organisation, Registration
from participants.organisations import organisation_id_for_key
from participants.parsing import PersonDetails, parse_details
from participants.seats import (
    apply,
    full_reason,
    lock_event,
    promote_from_waitlist,
    shift,
    taken_seats,
    waitlist_position,
)

CANCELLED = _l("This registration is cancelled.")


def _organisation_key(details: PersonDetails) -> str:
    # The same key as at registration (services._organisation_key).
    return details.org_number or f"name:{details.country}:{details.organisation_name.casefold()}"


def _organisation_id(details: PersonDetails) -> int:
    """The organisation's row by key, as at registration: found, or inserted in a short
    transaction of its own (another request may insert it first)."""
    key = _organisation_key(details)
    found = organisation_id_for_key(key)  # a merged record leads to its survivor
    if found is not None:
        return found
    with write_transaction():
        organisation = Organisation(
            key=key,
            name=details.organisation_name,
            org_number=details.org_number,
            country=details.country,
        )
        db.session.add(organisation)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return organisation_id_for_key(key)
        return organisation.id


def _parse_group(data: Mapping[str, Any], current: str) -> str:
    group = data.get("target_group")
    if group in (None, ""):
        return current
    if group not in TARGET_GROUPS:
        raise ValidationError({"target_group": _l("Choose one of the target groups.")})
    return group


def _detail_values(registration: Registration) -> dict[str, Any]:
    return {
        "name": registration.name,
        "organisation": registration.organisation_id,
        "role": registration.role,
        "language": registration.language,
        "needs": registration.needs,
        "target_group": registration.target_group,
    }


def update_details(
    registration: Registration, data: Mapping[str, Any], *, by_organiser: bool
) -> Registration:
    """Correct a registration's name, organisation (name, number, country), role, language
    and needs, checked by the rules of registering (participants.parsing); an organiser may
    also change the target group (`target_group`). `email` and `sessions` in the data are not
    read. ValidationError names each bad field and nothing is written. A person cannot
    change a cancelled registration; an organiser can (for the records)."""
    event = registration.event
    details = parse_details(event, data, by_organiser=by_organiser)
    group = _parse_group(data, registration.target_group) if by_organiser else None
    if not by_organiser and registration.status == "cancelled":
        raise ValidationError({"name": CANCELLED})
    organisation_id = _organisation_id(details)
    with write_transaction():
        locked = lock_event(registration.event_id)
        registration = db.session.get(Registration, registration.id, populate_existing=True)
        if not by_organiser and registration.status == "cancelled":
            raise ValidationError({"name": CANCELLED})
        moved = group is not None and group != registration.target_group
        if moved and registration.status == "confirmed":
            quota = locked.quota_for(group)
            if quota is not None and taken_seats(locked).by_group.get(group, 0) >= quota:
                raise ValidationError(
                    {
                        "target_group": _l(
                            "The places of this target group are taken (quota %(n)s). "
                            "Raise its quota first.",
                            n=quota,
                        )
                    }
                )
            shift(locked, groups={registration.target_group: -1, group: +1})
        before = _detail_values(registration)
        registration.name = details.name
        registration.organisation_id = organisation_id
        registration.role = details.role
        registration.language = details.language
        registration.needs = details.needs
        if moved:
            registration.target_group = group
        db.session.flush()
        if moved:  # a seat of the old group may fit someone waiting; the mover may fit now
            promote_from_waitlist(locked)
        if by_organiser:  # which fields changed, by name: never their values
            after = _detail_values(registration)
            record(
                "registration_edited",
                event_id=registration.event_id,
                subject=f"registration:{registration.id}",
                detail={"fields": sorted(k for k in after if after[k] != before[k])},
            )
        db.session.commit()
    db.session.expire(registration, ["organisation"])
    return registration


def resend_confirmation(registration: Registration) -> str:
    """Queue the person's confirmation again (a waitlisted person's waiting-list notice with
    their place in line). Returns the kind queued. A cancelled registration has none."""
    with write_transaction():
        registration = db.session.get(Registration, registration.id, populate_existing=True)
        if registration.status == "cancelled":
            raise ValidationError({"status": CANCELLED})
        if registration.status == "confirmed":
            emails.confirmed(registration)
            kind = "confirmed"
        else:
            emails.waitlisted(registration, waitlist_position(registration))
            kind = "waitlisted"
        db.session.commit()
    return kind


# --- bulk actions on the list --------------------------------------------------------------


@dataclass
class BulkResult:
    """How a bulk action went: who it was done for, and who it could not be done for."""

    done: list[str]
    not_done: list[str]


def _chosen(event: Event, ids: Iterable[int]) -> list[Registration]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    return list(
        db.session.scalars(
            sa.select(Registration)
            .where(Registration.event_id == event.id, Registration.id.in_(wanted))
            .order_by(Registration.id)
            .execution_options(populate_existing=True)
        )
    )


def check_in_many(event: Event, ids: Iterable[int]) -> BulkResult:
    """Mark the chosen confirmed people attended (keeping an earlier time); the others (on
    the waiting list, cancelled) are not checked in. Ids of other events are ignored."""
    result = BulkResult([], [])
    with write_transaction():
        now = utcnow()
        for registration in _chosen(event, ids):
            if registration.status == "confirmed":
                registration.attended_at = registration.attended_at or now
                result.done.append(registration.name)
                record(  # one entry per person, as a check-in one by one leaves
                    "checked_in",
                    event_id=event.id,
                    subject=f"registration:{registration.id}",
                    detail={"bulk": True},
                )
            else:
                result.not_done.append(registration.name)
        db.session.commit()
    return result


def promote_many(event: Event, ids: Iterable[int]) -> BulkResult:
    """Move the chosen waitlisted people off the waiting list, first come first served, each
    only into a seat that exists (the event, their group's quota, their sessions), all under
    one hold of the event's lock. Each one moved is told by email."""
    result = BulkResult([], [])
    with write_transaction():
        locked = lock_event(event.id)
        for registration in _chosen(event, ids):
            if registration.status != "waitlisted":
                continue
            reason = full_reason(
                locked, taken_seats(locked), registration.target_group, registration.sessions
            )
            if reason:
                result.not_done.append(registration.name)
                continue
            registration.status = "confirmed"
            apply(locked, registration, +1)
            emails.promoted(registration)
            result.done.append(registration.name)
            record(
                "registration_edited",
                event_id=event.id,
                subject=f"registration:{registration.id}",
                detail={"fields": ["status"], "status": "confirmed", "bulk": True},
            )
        db.session.commit()
    return result
