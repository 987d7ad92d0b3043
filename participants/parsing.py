"""Reading a registration as the form and the API send it: the person, their organisation
(organisation numbers checked), target group, sessions, language and consents; one parser for
both, naming each bad field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from core.addresses import InvalidEmail, normalise_email
from core.errors import ValidationError
from core.identifiers import COUNTRIES, InvalidOrgNumber, normalise_org_number
from core.text import is_bad_text
from events.content import localized
from events.models import LANGUAGES, TARGET_GROUPS, Event

# The same message as the JSON API's (core.operations.BAD_TEXT), for a caller of the service.
BAD_TEXT = _l("This text holds a character that cannot be stored (NUL or a lone surrogate).")


@dataclass
class RegistrationInput:
    name: str
    email: str
    organisation_name: str
    org_number: str | None
    country: str
    target_group: str
    role: str
    language: str
    session_ids: list[int]
    needs: str
    consent_future_invitations: bool


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def parse_sessions(event: Event, raw: Any, errors: dict[str, Any]) -> list[int]:
    """Session ids from the event's agenda, none of them at the same time as another."""
    raw = raw or []
    valid = {s.id: s for s in event.sessions}
    ids: list[int] = []
    if not isinstance(raw, list):
        raw = [None]
    for value in raw:
        try:
            session_id = int(value)
        except (TypeError, ValueError):
            session_id = -1
        if session_id not in valid:
            errors["sessions"] = _l("Choose sessions from the event's agenda.")
            return []
        if session_id not in ids:
            ids.append(session_id)
    chosen = sorted((valid[i] for i in ids), key=lambda s: s.starts_at)
    for a, b in zip(chosen, chosen[1:], strict=False):
        if b.starts_at < a.ends_at:
            errors["sessions"] = _l(
                "%(a)s and %(b)s take place at the same time; choose one.",
                a=localized(a, "title").text,
                b=localized(b, "title").text,
            )
    return ids


@dataclass
class PersonDetails:
    """What a person may correct after registering (participants.details): everything but
    the address, which is their identity, and the sessions, which have their own service."""

    name: str
    organisation_name: str
    org_number: str | None
    country: str
    role: str
    language: str
    needs: str


def _parse_person(
    event: Event,
    data: Mapping[str, Any],
    organisation: Mapping[str, Any],
    errors: dict[str, Any],
    *,
    by_organiser: bool = False,
) -> PersonDetails:
    """The person's own fields, by the same rules at registration and when corrected:
    lengths, text that can be stored (no NUL, no lone surrogate), the organisation number
    normalised for its country. Messages go into `errors` under the API's field names."""
    for source, key, field in (
        (data, "name", "name"),
        (data, "role", "role"),
        (data, "needs", "needs"),
        (organisation, "name", "organisation"),
        (organisation, "org_number", "org_number"),
    ):
        value = source.get(key)
        if isinstance(value, str) and is_bad_text(value):
            errors[field] = BAD_TEXT

    name = _str(data.get("name"))
    if not name:
        errors.setdefault(
            "name", _l("Enter the person's name.") if by_organiser else _l("Enter your name.")
        )
    elif len(name) > 200:
        errors.setdefault("name", _l("At most %(n)s characters.", n=200))

    org_name = _str(organisation.get("name"))
    if not org_name:
        errors.setdefault(
            "organisation",
            _l("Enter the name of their organisation.")
            if by_organiser
            else _l("Enter your organisation's name."),
        )
    elif len(org_name) > 200:
        errors.setdefault("organisation", _l("At most %(n)s characters.", n=200))

    country = _str(organisation.get("country")) or "SE"
    if country not in COUNTRIES:
        errors["country"] = _l("Choose Sweden, Finland or another country.")
    org_number = None
    try:
        org_number = normalise_org_number(_str(organisation.get("org_number")), country)
    except InvalidOrgNumber as err:
        errors.setdefault("org_number", err.args[0])

    role = _str(data.get("role"))
    if len(role) > 200:
        errors.setdefault("role", _l("At most %(n)s characters.", n=200))
    language = data.get("language") or event.language
    if language not in LANGUAGES:
        errors["language"] = _l("Choose Swedish, English or Finnish.")

    needs = _str(data.get("needs"))
    if len(needs) > 2000:
        errors.setdefault("needs", _l("At most %(n)s characters.", n=2000))
    return PersonDetails(name, org_name, org_number, country, role, language, needs)


def parse_details(
    event: Event, data: Mapping[str, Any], *, by_organiser: bool = False
) -> PersonDetails:
    """A correction of a registration's details (name, organisation, role, language, needs),
    checked as at registration; ValidationError names each bad field. An `email` or
    `sessions` in the data is not read here."""
    if not isinstance(data, Mapping):
        raise ValidationError({"": _l("Expected an object.")})
    errors: dict[str, Any] = {}
    organisation = data.get("organisation") or {}
    if not isinstance(organisation, Mapping):
        errors["organisation"] = _l("Give the organisation's name, number and country.")
        organisation = {}
    person = _parse_person(event, data, organisation, errors, by_organiser=by_organiser)
    if errors:
        raise ValidationError(errors)
    return person


def parse_registration(event: Event, data: Mapping[str, Any], *, any_group: bool = False):
    """Check the input against the event; ValidationError names each bad field as the API
    does (name, email, organisation, org_number, country, target_group, role, language,
    sessions, needs)."""
    if not isinstance(data, Mapping):
        raise ValidationError({"": _l("Expected an object.")})
    errors: dict[str, Any] = {}
    organisation = data.get("organisation") or {}
    if not isinstance(organisation, Mapping):
        errors["organisation"] = _l("Give the organisation's name, number and country.")
        organisation = {}

    person = _parse_person(event, data, organisation, errors, by_organiser=any_group)

    email = _str(data.get("email"))
    try:
        email = normalise_email(email)  # NFKC, lower case: a full-width copy is the same
    except InvalidEmail as err:
        errors["email"] = err.args[0]

    target_group = data.get("target_group")
    allowed = event.target_group_codes
    if any_group:
        allowed = list(TARGET_GROUPS)
    if target_group not in allowed:
        errors["target_group"] = _l("Choose one of the target groups this event is for.")

    session_ids = parse_sessions(event, data.get("sessions"), errors)

    consent = data.get("consent_future_invitations", False)
    if not isinstance(consent, bool):
        consent = str(consent).lower() in ("1", "true", "on", "yes", "y")

    if errors:
        raise ValidationError(errors)
    assert person is not None
    return RegistrationInput(
        name=person.name,
        email=email,
        organisation_name=person.organisation_name,
        org_number=person.org_number,
        country=person.country,
        target_group=target_group,
        role=person.role,
        language=person.language,
        session_ids=session_ids,
        needs=person.needs,
        consent_future_invitations=consent,
    )


def registration_ids(values: list[str]) -> list[int]:
    """Registration ids as a form or a query sends them (`id`, repeated), in their first
    order without repeats; what is not a plain number a database id can hold is left out
    ("²" is a digit to str.isdigit() but not to int())."""
    ids = [int(v) for v in values if v.isascii() and v.isdigit() and 0 < int(v) < 2**31]
    return list(dict.fromkeys(ids))
