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
from events.content import localized
from events.models import LANGUAGES, TARGET_GROUPS, Event


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

    name = _str(data.get("name"))
    if not name:
        errors["name"] = _l("Enter your name.")
    elif len(name) > 200:
        errors["name"] = _l("At most %(n)s characters.", n=200)

    email = _str(data.get("email"))
    try:
        email = normalise_email(email)  # NFKC, lower case: a full-width copy is the same
    except InvalidEmail as err:
        errors["email"] = err.args[0]

    org_name = _str(organisation.get("name"))
    if not org_name:
        errors["organisation"] = _l("Enter your organisation's name.")
    elif len(org_name) > 200:
        errors["organisation"] = _l("At most %(n)s characters.", n=200)

    country = _str(organisation.get("country")) or "SE"
    if country not in COUNTRIES:
        errors["country"] = _l("Choose Sweden, Finland or another country.")
    org_number = None
    try:
        org_number = normalise_org_number(_str(organisation.get("org_number")), country)
    except InvalidOrgNumber as err:
        errors["org_number"] = err.args[0]

    target_group = data.get("target_group")
    allowed = event.target_group_codes
    if any_group:
        allowed = list(TARGET_GROUPS)
    if target_group not in allowed:
        errors["target_group"] = _l("Choose one of the target groups this event is for.")

    role = _str(data.get("role"))
    if len(role) > 200:
        errors["role"] = _l("At most %(n)s characters.", n=200)
    language = data.get("language") or event.language
    if language not in LANGUAGES:
        errors["language"] = _l("Choose Swedish, English or Finnish.")

    session_ids = parse_sessions(event, data.get("sessions"), errors)

    needs = _str(data.get("needs"))
    if len(needs) > 2000:
        errors["needs"] = _l("At most %(n)s characters.", n=2000)
    consent = data.get("consent_future_invitations", False)
    if not isinstance(consent, bool):
        consent = str(consent).lower() in ("1", "true", "on", "yes", "y")

    if errors:
        raise ValidationError(errors)
    return RegistrationInput(
        name=name,
        email=email,
        organisation_name=org_name,
        org_number=org_number,
        country=country,
        target_group=target_group,
        role=role,
        language=language,
        session_ids=session_ids,
        needs=needs,
        consent_future_invitations=consent,
    )
