"""The codes of the adoption indicators (DOMAIN.md): the built-in follow-up template asks
them, and the impact report reads the answers by these codes, whatever an organiser changed
in a survey's wording."""

from __future__ import annotations

USED = "used_employment_requirements"  # single_choice: yes / planned / no
USED_OPTIONS = ("yes", "planned", "no")
ADOPTED = "yes"  # the answer that counts as adoption
NATIONAL_QUESTION = "national_question"  # likert5, the 2018 national survey's question
ORGANISATION_KIND = "organisation_kind"  # single_choice of participants.kinds.ASKED_KINDS
# number questions: procurements with employment requirements, by clause level
PROCUREMENTS = {
    "basic": "procurements_basic",
    "advanced": "procurements_advanced",
    "spearhead": "procurements_spearhead",
}
READINESS = "readiness"  # multiple_choice
READINESS_OPTIONS = ("decision", "matchmaker", "regional_network")
# number questions: placements so far, by type
PLACEMENTS = {
    "employment": "placements_employment",
    "internship": "placements_internship",
    "apprenticeship": "placements_apprenticeship",
    "trainee": "placements_trainee",
}
PLACEMENTS_NEWLY_ARRIVED = "placements_newly_arrived"  # number: of the people placed
FULLTIME_MONTHS = "fulltime_months"  # number: full-time months agreed
PLACEMENTS_WITHIN_6_MONTHS = "placements_within_6_months"  # number
# asked of suppliers instead
CONTRACTS_WON = "contracts_won"  # number: contracts won that carried the requirements
PEOPLE_HIRED = "people_hired"  # number: people hired or placed

# the feedback template
USEFUL = "useful"  # likert5
NEXT_STEPS = "next_steps"  # multiple_choice
COMMENTS = "comments"  # long_text
