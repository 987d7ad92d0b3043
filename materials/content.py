"""A material's title and description in the reader's language (as events/content.py does for
events): the text in the language asked where it was given, else the material's own."""

from __future__ import annotations

from typing import Any

from core.i18n import current_language
from events.content import Localized, translation
from events.models import LANGUAGES
from materials.models import Material


def material_text(material: Material, field: str, locale: str | None = None) -> Localized:
    locale = locale or current_language()
    if locale != material.language and locale in LANGUAGES:
        text = translation(material, field, locale)
        if text:
            return Localized(text, locale)
    return Localized(getattr(material, field) or "", material.language)


def translations_out(material: Material) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        if lang == material.language:
            continue
        texts = {f: translation(material, f, lang) for f in ("title", "description")}
        if any(texts.values()):
            out[lang] = texts
    return out


def template_helpers() -> dict[str, Any]:
    return {"material_text": material_text}
