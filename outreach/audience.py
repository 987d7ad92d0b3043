"""Who a campaign to an event reaches: everyone who opted in to future invitations, narrowed by
the organiser's filters, once per address.

The rule, in one SQL statement (`audience_query`):
- one row per lower-case address: its latest registration that ticked "send me invitations to
  future events" (Registration.consent_future_invitations), at any event. That registration
  gives the name, organisation, target group and language the invitation uses;
- not an address whose consent was withdrawn (InvitationWithdrawal) at or after that
  registration: a registration made later with the box ticked again is a new consent;
- not an address with any registration for this event, active or cancelled: someone who
  cancelled has already decided about this event, and an invitation to it would read as a
  mistake (decided for issue 12);
- narrowed by the target group, the organisation's country and kind (participants/kinds.py,
  in SQL as `kind_of`) of that latest consenting registration, and by past attendance:
  `came` = checked in at some event, `did_not_come` = never checked in but held a place at an
  event that has ended.
A campaign's own recipients are left out by `pending_query`, which is how a resumed campaign
reaches nobody twice (with the unique (campaign, address) as the guarantee).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from core.db import db, utcnow
from core.errors import ValidationError
from core.identifiers import COUNTRIES
from events.models import LANGUAGES, TARGET_GROUPS, Event
from outreach.models import CampaignRecipient, InvitationWithdrawal
from participants.kinds import KINDS
from participants.models import Organisation, Registration
from participants.organisations import kind_of

ATTENDED = ("came", "did_not_come")
AUDIENCE_KEYS = ("target_groups", "countries", "organisation_kinds")
_CHOICES = {"target_groups": TARGET_GROUPS, "countries": COUNTRIES, "organisation_kinds": KINDS}


def parse_audience(data: Any) -> dict[str, Any]:
    """The audience as stored: {"target_groups", "countries", "organisation_kinds"} (lists of
    known codes; empty or left out: all) and "attended" (came, did_not_come or None: anyone).
    ValidationError names each field with an unknown value, never widens the audience."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ValidationError({"audience": _l("Choose who gets the invitation.")})
    errors: dict[str, Any] = {}
    audience: dict[str, Any] = {}
    for key in AUDIENCE_KEYS:
        value = data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors[key] = _l("Choose from the list.")
            continue
        if any(v not in _CHOICES[key] for v in value):
            errors[key] = _l("Choose one of: %(choices)s.", choices=", ".join(_CHOICES[key]))
            continue
        audience[key] = sorted(set(value))
    attended = data.get("attended") or None
    if attended is not None and attended not in ATTENDED:
        errors["attended"] = _l("Choose one of: %(choices)s.", choices=", ".join(ATTENDED))
    audience["attended"] = attended
    if errors:
        raise ValidationError(errors)
    return audience


def _attendance(audience: Mapping[str, Any], email: Any) -> sa.ColumnElement[bool] | None:
    other = aliased(Registration)
    came = sa.exists().where(other.email == email, other.attended_at.is_not(None))
    if audience.get("attended") == "came":
        return came
    if audience.get("attended") == "did_not_come":
        ended = sa.select(Event.id).where(Event.ends_at < utcnow())
        held = sa.exists().where(
            other.email == email, other.status == "confirmed", other.event_id.in_(ended)
        )
        return sa.and_(held, ~came)
    return None


def audience_query(event: Event, audience: Mapping[str, Any]) -> sa.Select:
    """SELECT one row per address the campaign reaches now: email, registration_id, name,
    target_group, language, organisation_id, organisation, kind."""
    consenting = (
        sa.select(
            Registration.id,
            Registration.email,
            Registration.created_at,
            sa.func.row_number()
            .over(
                partition_by=Registration.email,
                order_by=(Registration.created_at.desc(), Registration.id.desc()),
            )
            .label("rank"),
        )
        .where(Registration.consent_future_invitations.is_(True))
        .subquery("consenting")
    )
    latest = aliased(Registration)
    here = aliased(Registration)
    query = (
        sa.select(
            consenting.c.email,
            latest.id.label("registration_id"),
            latest.name,
            latest.target_group,
            latest.language,
            latest.organisation_id,
            Organisation.name.label("organisation"),
            kind_of().label("kind"),
        )
        .select_from(consenting)
        .join(latest, latest.id == consenting.c.id)
        .join(Organisation, Organisation.id == latest.organisation_id)
        .where(
            consenting.c.rank == 1,
            ~sa.exists().where(
                InvitationWithdrawal.email == consenting.c.email,
                InvitationWithdrawal.withdrawn_at >= consenting.c.created_at,
            ),
            ~sa.exists().where(here.event_id == event.id, here.email == consenting.c.email),
        )
    )
    if audience.get("target_groups"):
        query = query.where(latest.target_group.in_(audience["target_groups"]))
    if audience.get("countries"):
        query = query.where(Organisation.country.in_(audience["countries"]))
    if audience.get("organisation_kinds"):
        query = query.where(kind_of().in_(audience["organisation_kinds"]))
    attendance = _attendance(audience, consenting.c.email)
    if attendance is not None:
        query = query.where(attendance)
    return query


def pending_query(event: Event, campaign_id: int, audience: Mapping[str, Any]) -> sa.Select:
    """The audience not yet reached by this campaign, in address order (for the batches)."""
    query = audience_query(event, audience)
    email = query.selected_columns.email
    return query.where(
        ~sa.exists().where(
            CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.email == email
        )
    ).order_by(email)


@dataclass
class Reach:
    """Whom a campaign reaches now: people and organisations, in all and by target group, and
    the people by language (which preview each one gets)."""

    people: int = 0
    organisations: int = 0
    by_group: dict[str, tuple[int, int]] = field(default_factory=dict)  # (people, organisations)
    by_language: dict[str, int] = field(default_factory=dict)


def reach(event: Event, audience: Mapping[str, Any]) -> Reach:
    """Count whom the audience reaches now (one query; counted here, the rows are small)."""
    rows = db.session.execute(audience_query(event, audience)).all()
    groups: dict[str, tuple[int, set[int]]] = {}
    for row in rows:
        people, orgs = groups.setdefault(row.target_group, (0, set()))
        orgs.add(row.organisation_id)
        groups[row.target_group] = (people + 1, orgs)
    languages = Counter(row.language for row in rows)
    order = [event.language, *(lang for lang in LANGUAGES if lang != event.language)]
    return Reach(
        people=len(rows),
        organisations=len({row.organisation_id for row in rows}),
        by_group={
            code: (groups[code][0], len(groups[code][1]))
            for code in TARGET_GROUPS
            if code in groups
        },
        by_language={lang: languages[lang] for lang in order if languages[lang]},
    )
