"""What people read for the stable codes of events: target groups, kinds, formats, languages
and statuses, translated."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

TARGET_GROUP_LABELS = {
    "contracting_authority": _l("Contracting authorities"),
    "supplier": _l("Suppliers"),
    "decision_maker": _l("Decision-makers"),
    "civil_society": _l("Civil society and social economy"),
    "matchmaker": _l("Matchmakers (labour-market units)"),
    "other": _l("Others (research, press…)"),
}
KIND_LABELS = {
    "conference": _l("Conference"),
    "workshop": _l("Workshop"),
    "webinar": _l("Webinar"),
}
FORMAT_LABELS = {
    "in_person": _l("In person"),
    "online": _l("Online"),
    "hybrid": _l("Hybrid (in person and online)"),
}
LANGUAGE_LABELS = {"sv": _l("Swedish"), "en": _l("English"), "fi": _l("Finnish")}
STATUS_LABELS = {
    "draft": _l("Draft"),
    "published": _l("Published"),
    "cancelled": lazy_pgettext("event status", "Cancelled"),
}
