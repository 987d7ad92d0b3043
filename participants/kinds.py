"""The kind of an organisation, for the impact report and the national baseline (DOMAIN.md).

A Swedish organisation number's first digit tells public bodies (2: state, regions,
municipalities) from companies (5) and associations (7, 8) and partnerships (9), but not a
municipality from a region or an agency, nor a publicly owned company from a private one: the
finer kind is asked once (the follow-up survey) and kept on the organisation. Until then the
number gives the coarse kind, and nothing gives "unknown".
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Asked: the national baseline's kinds and the rest.
ASKED_KINDS = (
    "municipality",
    "region",
    "state_agency",
    "public_company",
    "company",
    "association",
    "other",
)
# Read from a Swedish number while the finer kind is not known.
DERIVED_KINDS = ("public_body", "partnership", "unknown")
KINDS = ASKED_KINDS + DERIVED_KINDS

# The national survey of 2018: "Does your organisation set employment-promoting requirements
# in its procurements?", 1 to 5, the average by kind.
NATIONAL_BASELINE_2018 = {
    "municipality": 2.5,
    "region": 2.2,
    "state_agency": 1.8,
    "public_company": 2.3,
}

KIND_LABELS = {
    "municipality": _l("Municipality"),
    "region": _l("Region"),
    "state_agency": _l("State agency"),
    "public_company": _l("Publicly owned company"),
    "company": _l("Company"),
    "association": _l("Association or foundation"),
    "other": _l("Other organisation"),
    "public_body": _l("Municipality, region or state agency"),
    "partnership": _l("Partnership"),
    "unknown": _l("Kind not known"),
}

_BY_FIRST_DIGIT = {"2": "public_body", "5": "company", "7": "association", "8": "association",
                   "9": "partnership"}  # fmt: skip


def organisation_kind(asked: str | None, org_number: str | None, country: str) -> str:
    """The kind to report: the asked kind, else what a Swedish number says, else unknown."""
    if asked:
        return asked
    if country == "SE" and org_number:
        return _BY_FIRST_DIGIT.get(org_number[0], "unknown")
    return "unknown"
