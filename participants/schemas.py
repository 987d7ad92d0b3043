"""The registrations part of JSON API v1, declared once: what the API takes and answers.
participants/api.py builds the answers; core/openapi.py puts these classes into the document.

Inputs check JSON types only; participants.services checks the rules and names each field.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field, StrictBool, StrictInt, StrictStr

from core.identifiers import COUNTRIES
from core.schemas import Email, Input, Moment, MomentInput, Output, Query, Url, doc, one_of
from events.models import LANGUAGES, TARGET_GROUPS
from events.schemas import EventSummary
from participants.models import REGISTRATION_STATUSES

RegistrationStatus = Literal[REGISTRATION_STATUSES]  # type: ignore[valid-type]

_ORG_NUMBER = (
    "Swedish organisation number (NNNNNN-NNNN, Luhn; digits 3-4 at least 20) when country is "
    "SE, Finnish business ID (NNNNNNN-N, mod 11) when FI; stored normalised."
)


# --- answers ---------------------------------------------------------------------------------


class SessionRef(Output):
    id: int
    title: str


class Registration(Output):
    """What the person holding the token sees."""

    status: RegistrationStatus
    waitlist_position: int | None = Field(
        ge=1, description="1 for the first in line; null unless waitlisted."
    )
    event: EventSummary
    sessions: list[SessionRef]
    manage_url: Url


class RegistrationCreated(Registration):
    token: str = Field(description="The secret of the manage link; keep it.")
    reason: Literal["event", "quota", "session"] | None = Field(
        None,
        exclude_if=lambda value: value is None,
        description="Only when waitlisted: what is full. When only a chosen session is "
        "full the whole registration waits; choosing other sessions (PATCH) confirms it if they "
        "have room.",
    )


class Organisation(Output):
    name: str
    org_number: str | None
    country: str


class OrganiserRegistration(Output):
    """A row of the organiser's list. Needs stay out: caterers get counts, never names."""

    id: int
    token: str
    name: str
    email: Email
    organisation: Organisation
    target_group: str
    role: str
    language: str
    sessions: list[SessionRef]
    status: RegistrationStatus
    waitlist_position: int | None
    consent_future_invitations: bool
    added_by_organiser: bool
    registered_at: Moment
    cancelled_at: Moment | None
    attended_at: Moment | None


class RegistrationCounts(Output):
    by_status: dict[str, int]
    by_target_group: dict[str, dict[str, int]] = Field(
        description="Target group -> status -> count."
    )
    attended: int


class RegistrationList(Output):
    event: EventSummary
    registrations: list[OrganiserRegistration] = Field(description="In order of registering.")
    counts: RegistrationCounts


class CheckIn(Output):
    token: str
    name: str
    status: RegistrationStatus
    attended_at: Moment | None


class SessionCheckIn(Output):
    token: str
    name: str
    session_id: int
    session_title: str
    attended_at: Moment | None = Field(description="When the person arrived at the session.")
    event_attended_at: Moment | None = Field(
        description="The event's own check-in, set by the first session check-in too."
    )


# --- requests --------------------------------------------------------------------------------


class RegistrationListQuery(Query):
    status: one_of(REGISTRATION_STATUSES, "Only this status.") | None = None  # type: ignore[valid-type]
    target_group: one_of(TARGET_GROUPS, "Only this target group.") | None = None  # type: ignore[valid-type]


class OrganisationInput(Input):
    name: StrictStr = doc(maxLength=200)
    org_number: StrictStr | None = doc(default=None, description=_ORG_NUMBER)
    country: StrictStr = doc(default=None, enum=list(COUNTRIES), description="SE when left out.")


class RegistrationInput(Input):
    service_reports_missing: ClassVar[bool] = True

    name: StrictStr = doc(maxLength=200)
    email: StrictStr = doc(format="email", maxLength=254)
    organisation: OrganisationInput
    target_group: StrictStr = doc(enum=list(TARGET_GROUPS), description="One the event admits.")
    role: StrictStr | None = doc(default=None, maxLength=200)
    language: StrictStr = doc(
        default=None,
        enum=list(LANGUAGES),
        description="For emails and the manage page; the event's language when left out.",
    )
    sessions: list[StrictInt] | None = doc(
        default=None, description="Session ids from the event's agenda, none at the same time."
    )
    needs: StrictStr | None = doc(
        default=None, maxLength=2000, description="Dietary and accessibility needs; deleted "
        "after the event."
    )  # fmt: skip
    consent_future_invitations: StrictBool = False


class SessionsChange(Input):
    sessions: list[StrictInt] = doc(description="Session ids from the event's agenda.")


class CheckInInput(Input):
    attended: StrictBool = doc(default=True, description="false undoes the check-in.")


# --- messages to registrants (participants.mailings) -----------------------------------------


MailingStatus = Literal["scheduled", "sending", "sent", "cancelled"]
_TEXTS = (
    "By language (sv, en, fi): the event's language is required; a recipient without a text "
    "in their registration's language gets the event's."
)


class MailingAudienceInput(Input):
    status: StrictStr | None = doc(
        default=None,
        enum=list(REGISTRATION_STATUSES),
        description="Left out: confirmed and waitlisted (cancelled only when asked for).",
    )
    target_group: StrictStr | None = doc(default=None, enum=list(TARGET_GROUPS))
    attended: StrictStr | None = doc(default=None, enum=["yes", "no"])
    q: StrictStr | None = doc(
        default=None, maxLength=100, description="Name, email or organisation."
    )
    ids: list[StrictInt] | None = doc(
        default=None,
        description="Only these registrations (ids from the list), narrowed by the filters.",
    )


class MailingCreate(Input):
    service_reports_missing: ClassVar[bool] = True

    subjects: dict[StrictStr, StrictStr] = doc(description=_TEXTS + " At most 200 characters.")
    bodies: dict[StrictStr, StrictStr] = doc(description=_TEXTS + " Plain text, at most 20000.")
    audience: MailingAudienceInput | None = doc(
        default=None, description="Left out: every confirmed and waitlisted registrant."
    )
    send_at: MomentInput | None = doc(
        default=None,
        description="Left out: sent now. Else in the future and at most 90 days after the event "
        "ends; a local time the clocks skip in the event's zone is refused.",
    )


class MailingReach(Output):
    total: int = Field(description="People it reaches now, one per email address.")
    by_language: dict[str, int] = Field(description="How many get it in each language.")


class Mailing(Output):
    id: int
    event: str = Field(description="The event's slug.")
    subjects: dict[str, str]
    bodies: dict[str, str]
    audience: dict[str, str | list[int]]
    send_at: datetime
    status: MailingStatus
    recipient_count: int | None = Field(description="The people it went to; null until sent.")
    reach: MailingReach | None = Field(description="Whom a scheduled one reaches now; else null.")
    created_at: datetime
    sent_at: datetime | None


class MailingList(Output):
    mailings: list[Mailing] = Field(description="The latest first.")


class DetailsChange(Input):
    """An organiser's correction of a registration (participants.details.update_details):
    only the fields given change. The address is the identity and cannot be changed (a change
    of address is a new registration); sessions have their own request."""

    name: StrictStr = doc(default=None, maxLength=200)
    organisation: OrganisationInput = doc(
        default=None, description="The whole organisation: name, number and country."
    )
    target_group: StrictStr = doc(
        default=None,
        enum=list(TARGET_GROUPS),
        description="A confirmed person moves only if the new group's quota has room.",
    )
    role: StrictStr = doc(default=None, maxLength=200)
    language: StrictStr = doc(default=None, enum=list(LANGUAGES))
    needs: StrictStr = doc(default=None, maxLength=2000)
