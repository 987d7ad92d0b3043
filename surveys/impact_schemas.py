"""The impact report's part of JSON API v1, declared once (core/openapi.py puts these classes
into the document); surveys/impact_api.py builds the answer from surveys.impact.Report."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from core.schemas import Output, Query

DATE = r"^\d{4}-\d{2}-\d{2}$"


class ImpactQuery(Query):
    event: str | None = Field(
        None, max_length=120, description="An event's slug; repeat it for a set of events."
    )
    # Text with the date's pattern: pydantic would take "0" for a Unix time.
    from_: str | None = Field(
        None, alias="from", pattern=DATE, json_schema_extra={"format": "date"},
        description="Events starting on or after (YYYY-MM-DD).",
    )  # fmt: skip
    to: str | None = Field(
        None, pattern=DATE, json_schema_extra={"format": "date"},
        description="Events starting on or before (YYYY-MM-DD).",
    )  # fmt: skip


class Funnel(Output):
    registered: int = Field(description="Distinct people (emails) with a confirmed place.")
    attended: int
    downloaded: int = Field(description="Took a material through their own link.")
    invited: int
    answered: int
    adopted: int | None = Field(
        description="Answered yes to used_employment_requirements; in anonymous surveys "
        "counted by responses (a response cannot be linked to a person). For organisations: "
        "non-anonymous surveys only. null when suppressed (see suppressed beside it)."
    )


SUPPRESSED = (
    "The funnel's adopted is withheld (null): fewer than 5 responses of anonymous surveys "
    "stand behind it (the survey results' rule for small numbers)."
)


class Group(Output):
    value: str
    funnel: Funnel
    suppressed: bool = Field(description=SUPPRESSED)


class Procurements(Output):
    basic: int
    advanced: int
    spearhead: int
    total: int


class Placements(Output):
    employment: int
    internship: int
    apprenticeship: int
    trainee: int
    total: int
    newly_arrived: int
    fulltime_months: int
    within_6_months: int


class Suppliers(Output):
    contracts_won: int
    people_hired: int


class NationalRow(Output):
    kind: str
    answers: int
    mean: float | None = Field(description="null with fewer than 5 answers.")
    baseline_2018: float | None


class ReachRow(Output):
    country: str
    kind: str
    organisations: int
    came_back: int = Field(description="Came to more than one of the events.")
    first_contact: date | None


class ReachMonth(Output):
    month: str = Field(description="YYYY-MM, of the events' start (UTC).")
    total: int = Field(description="Distinct organisations that had taken part by its end.")
    by_kind: dict[str, int] = Field(description="The same, by kind of organisation.")
    by_country: dict[str, int] = Field(description="The same, by country (SE, FI, other).")


class BodyCount(Output):
    total: int = Field(description="On the reference list: 290 municipalities, 21 regions.")
    took_part: int


class PublicBody(Output):
    kind: str = Field(description="municipality or region")
    code: str = Field(description="Kommunkod (4 digits) or county code (2 digits).")
    name: str
    org_number: str | None
    county: str
    invited_at: datetime | None = Field(
        description="The latest invitation by a campaign to an organisation that matches it."
    )


class SwedenReach(Output):
    municipalities: BodyCount
    regions: BodyCount
    not_reached_invited: list[PublicBody] = Field(
        description="Not yet taken part but invited by a campaign: the next campaign's "
        "worklist (all not reached: /manage/impact/worklist.csv)."
    )


class Reach(Output):
    by_country_and_kind: list[ReachRow] = Field(
        description="Organisations with a confirmed place, whether or not anyone came."
    )
    new_by_month: dict[str, int] = Field(description="Organisations by month of first event.")
    took_part_by_month: list[ReachMonth] = Field(
        description="Took part: at least one person from the organisation attended (was "
        "checked in with a confirmed place). Cumulative, every month from the first to the "
        "last with an event."
    )
    sweden: SwedenReach


class ImpactReport(Output):
    events: list[str] = Field(description="The slugs of the events the report covers.")
    funnel: Funnel
    suppressed: bool = Field(description=SUPPRESSED)
    organisations: Funnel
    by_target_group: list[Group]
    by_event: list[Group]
    by_kind: list[Group]
    by_country: list[Group]
    by_month: list[Group]
    procurements: Procurements
    placements: Placements
    suppliers: Suppliers
    national_question: list[NationalRow]
    reach: Reach
