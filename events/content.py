"""An event's and a session's text in the reader's language: the one accessor every page, the
calendar files and the email snapshot use.

The event's own `title` and `description` are written in its own language (`Event.language`;
a session's in its event's). `translations` holds the same fields in the other languages,
``{"en": {"title": "…", "description": "…"}, "fi": {…}}``, only the texts given. A reader
gets the text in the language asked where it exists, field by field, and the event's own text
otherwise; `Localized.lang` says which language it is, so the page can mark it with `lang`
where it differs from the page's (WCAG 3.1.2, language of parts).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from markupsafe import Markup, escape

from core.i18n import current_language
from events.models import LANGUAGES, Event, Session
from events.records import EventRecord, SessionRecord

TRANSLATABLE = ("title", "description")


class Localized(NamedTuple):
    """A text and the language it is written in."""

    text: str
    lang: str

    def __str__(self) -> str:
        return self.text

    @property
    def attr(self) -> Markup:
        """` lang="xx"` when the text's language is not the page's, else nothing."""
        return lang_attr(self.lang)

    @property
    def html(self) -> Markup:
        """The text, escaped, inside `<span lang="xx">` when its language is not the page's:
        for a title inside a translated sentence ("Register for %(title)s")."""
        if not self.lang or self.lang == current_language():
            return escape(self.text)
        return Markup('<span lang="%s">%s</span>') % (self.lang, self.text)


def lang_attr(lang: str | None) -> Markup:
    """` lang="xx"` when lang is set and is not the page's language, else an empty string."""
    if not lang or lang == current_language():
        return Markup("")
    return Markup(' lang="%s"') % lang


def own_language(item: Any) -> str:
    """The language of the item's own fields: the event's language (a session's event's). For
    a snapshot (events.facts) the language its text was taken in."""
    if isinstance(item, Event | EventRecord):
        return item.language
    if isinstance(item, Session | SessionRecord):
        return item.event.language
    return getattr(item, "title_lang", "") or ""


def translation(item: Any, field: str, lang: str) -> str:
    """The field's text in lang as given in the item's translations ("" when there is none)."""
    texts = (getattr(item, "translations", None) or {}).get(lang) or {}
    value = texts.get(field) if isinstance(texts, dict) else None
    return value if isinstance(value, str) else ""


def localized(item: Any, field: str, locale: str | None = None) -> Localized:
    """The field (title or description) of an event, a session or their snapshot in `locale`
    (the page's language when None) where it has that text, else in the event's own language.
    A snapshot (events.facts) holds one language already and is given back as it is."""
    if not isinstance(item, Event | Session | EventRecord | SessionRecord):
        return Localized(getattr(item, field) or "", getattr(item, f"{field}_lang", "") or "")
    own = own_language(item)
    locale = locale or current_language()
    if locale != own and locale in LANGUAGES:
        text = translation(item, field, locale)
        if text:
            return Localized(text, locale)
    return Localized(getattr(item, field) or "", own)


def translations_out(item: Event | Session, own: str | None = None) -> dict[str, dict[str, str]]:
    """The translations as the API gives them: every language other than the own one (own, or
    the item's) that has a text, each with both fields ("" where only one was given)."""
    own = own or own_language(item)
    out = {}
    for lang in LANGUAGES:
        if lang == own:
            continue
        texts = {field: translation(item, field, lang) for field in TRANSLATABLE}
        if any(texts.values()):
            out[lang] = texts
    return out


def template_helpers() -> dict[str, Any]:
    """For Jinja (registered app-wide by events.views): localized() and lang_attr()."""
    return {"localized": localized, "lang_attr": lang_attr}
