"""A survey's texts in the reader's language, as events/content.py does for events: a
survey's, section's, question's or option's own texts are in the survey's language, and
`translations` holds the others, ``{"fi": {"text": "…", "help": "…"}}``; a missing text falls
back to the survey's own."""

from __future__ import annotations

from typing import Any

from core.i18n import current_language
from events.content import Localized
from events.models import LANGUAGES


def survey_text(item: Any, field: str, own: str, locale: str | None = None) -> Localized:
    """`field` of a Survey, SurveySection, SurveyQuestion or SurveyOption in `locale` (the
    page's language by default); `own` is the survey's language."""
    locale = locale or current_language()
    if locale != own and locale in LANGUAGES:
        text = ((item.translations or {}).get(locale) or {}).get(field)
        if text:
            return Localized(text, locale)
    return Localized(getattr(item, field) or "", own)
