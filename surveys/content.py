"""A survey's texts in the reader's language, as events/content.py does for events: a
survey's, section's, question's or option's own texts are in the survey's language, and
`translations` holds the others, ``{"fi": {"text": "…", "help": "…"}}``; a missing text falls
back to the survey's own."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel import Locale
from babel.numbers import format_decimal, format_percent

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


def percent(share: float | None, locale: str | None = None, *, decimals: int = 0) -> str:
    """A share 0…1 as a percentage in the page's conventions: "25 %" in Swedish and Finnish
    (a no-break space before the sign), "25%" in English; "12,5 %" with decimals=1. "–"
    for None (nothing to count yet)."""
    if share is None:
        return "–"
    locale = locale or current_language()
    pattern = Locale.parse(locale).percent_formats[None].pattern
    if decimals:
        pattern = pattern.replace("0", "0." + "#" * decimals, 1)
    return format_percent(share, format=pattern, locale=locale)


def decimal(value: float | Decimal | int | None, locale: str | None = None) -> str:
    """A mean or a median in the page's conventions: "3,5" in Swedish and Finnish, "3.5" in
    English; at most two decimals. "–" for None."""
    if value is None:
        return "–"
    return format_decimal(value, format="#,##0.##", locale=locale or current_language())
