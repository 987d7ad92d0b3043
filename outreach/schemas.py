"""The campaigns part of JSON API v1, declared once: what the API takes and answers
(outreach/api.py builds the answers; core/openapi.py puts these classes into the document).
Inputs check JSON types only; outreach.campaigns and outreach.audience check the rules."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, StrictStr

from core.identifiers import COUNTRIES
from core.schemas import Input, MomentInput, Output, doc
from events.models import LANGUAGES, TARGET_GROUPS
from outreach.audience import ATTENDED
from outreach.models import CAMPAIGN_STATUSES
from participants.kinds import KINDS

CampaignStatus = Literal[CAMPAIGN_STATUSES]  # type: ignore[valid-type]


class AudienceInput(Input):
    target_groups: list[StrictStr] | None = doc(
        default=None,
        items={"enum": list(TARGET_GROUPS)},
        description="Their target group at their latest registration; left out or empty: all.",
    )
    countries: list[StrictStr] | None = doc(
        default=None, items={"enum": list(COUNTRIES)}, description="The organisation's country."
    )
    organisation_kinds: list[StrictStr] | None = doc(
        default=None,
        items={"enum": list(KINDS)},
        description="The organisation's kind: as asked, else read from a Swedish number.",
    )
    attended: StrictStr | None = doc(
        default=None,
        enum=list(ATTENDED),
        description="came: checked in at some event; did_not_come: held a place at an event "
        "that has ended and never checked in; left out: anyone.",
    )


class CampaignCreate(Input):
    audience: AudienceInput | None = doc(
        default=None,
        description="Left out: everyone who opted in to future invitations (and has not "
        "withdrawn), not registered for this event.",
    )
    send_at: MomentInput | None = doc(
        default=None,
        description="Left out: on the worker's next round. Else in the future, before the event "
        "starts.",
    )
    subjects: dict[StrictStr, StrictStr] | None = doc(
        default=None,
        propertyNames={"enum": list(LANGUAGES)},
        description="An optional subject per language (at most 200 characters); without one "
        "the invitation is titled with the event's name.",
    )
    bodies: dict[StrictStr, StrictStr] | None = doc(
        default=None,
        propertyNames={"enum": list(LANGUAGES)},
        description="An optional personal word per language, plain text, at most 5000.",
    )


class Audience(Output):
    target_groups: list[str]
    countries: list[str]
    organisation_kinds: list[str]
    attended: str | None


class CampaignGroupReach(Output):
    people: int
    organisations: int


class CampaignReach(Output):
    people: int = Field(description="One per email address.")
    organisations: int
    by_target_group: dict[str, CampaignGroupReach]
    by_language: dict[str, int] = Field(description="The language each person reads it in.")


class Stage(Output):
    invited: int
    opened: int = Field(description="Followed their personal link at least once.")
    registered: int = Field(description="Registered through the form the link filled in.")
    attended: int = Field(description="Of those registered, checked in.")


class Campaign(Output):
    id: int
    event: str = Field(description="The event's slug.")
    audience: Audience
    subjects: dict[str, str]
    bodies: dict[str, str]
    send_at: datetime
    status: CampaignStatus
    recipient_count: int = Field(description="Invitations queued so far.")
    reach: CampaignReach | None = Field(
        description="Whom it reaches now, before it is sent (scheduled); else null."
    )
    progress: Stage
    progress_by_target_group: dict[str, Stage]
    created_at: datetime
    sent_at: datetime | None = Field(description="When its last batch was queued.")


class CampaignList(Output):
    campaigns: list[Campaign] = Field(description="The latest first.")
