"""What people read for the stable codes of events: target groups, kinds, formats, languages
and statuses, translated."""

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from flask_babel import get_translations, lazy_pgettext
from flask_babel import lazy_gettext as _l
from jinja2 import pass_context
from markupsafe import Markup

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


def _collation_key(text: str, lang: str) -> str:
    """Sorts as a reader of lang expects: in Swedish and Finnish å, ä and ö come after z."""
    text = text.casefold()
    if lang in ("sv", "fi"):
        text = text.translate(str.maketrans({"å": "z\x01", "ä": "z\x02", "ö": "z\x03"}))
    return text


def sorted_target_groups(
    items: Iterable[Any], labels: Mapping[str, Any] | None = None
) -> list[Any]:
    """Target groups (codes, or objects with a .code) in the order of their names in the
    page's language, "other" last whatever its name ("Övriga" would sort last in Swedish
    anyway, "Others" would not in English)."""
    from core.i18n import current_language

    labels = labels or TARGET_GROUP_LABELS
    lang = current_language()

    def key(item: Any) -> tuple[bool, str]:
        code = item if isinstance(item, str) else item.code
        return (code == "other", _collation_key(str(labels[code]), lang))

    return sorted(items, key=key)


class TranslatedOnce(Mapping[str, str]):
    """A label table read during one render: each label is translated (gettext) the first time
    it is used and then read from memory, so a loop over sessions, groups or events does not
    call gettext once a row. Build a fresh one per render (the language may differ)."""

    def __init__(self, labels: Mapping[str, Any]) -> None:
        self._labels = labels
        self._done: dict[str, str] = {}

    def __getitem__(self, code: str) -> str:
        text = self._done.get(code)
        if text is None:
            text = self._done[code] = str(self._labels[code])
        return text

    def __iter__(self) -> Iterator[str]:
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)


def template_translations() -> dict[str, Any]:
    """gettext, ngettext and pgettext for one render, bound once to the current language's
    catalogue: Flask-Babel's template callables look the catalogue up again on every call
    (about ten microseconds each, a few dozen times a page). They behave as Jinja's newstyle
    callables do: the translation is autoescaped and always %-formatted with the keywords."""
    catalogue = get_translations()

    @pass_context
    def gettext(context: Any, string: str, **variables: Any) -> str:
        text = catalogue.ugettext(string)
        return (Markup(text) if context.eval_ctx.autoescape else text) % variables

    @pass_context
    def ngettext(context: Any, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        text = catalogue.ungettext(singular, plural, num)
        return (Markup(text) if context.eval_ctx.autoescape else text) % variables

    @pass_context
    def pgettext(context: Any, string_ctx: str, string: str, **variables: Any) -> str:
        variables.setdefault("context", string_ctx)
        text = catalogue.upgettext(string_ctx, string)
        return (Markup(text) if context.eval_ctx.autoescape else text) % variables

    return {"gettext": gettext, "ngettext": ngettext, "pgettext": pgettext}


def template_labels() -> dict[str, Any]:
    """The label tables, each label translated once per render (events.TranslatedOnce),
    and gettext bound to the page's catalogue once (events.template_translations)."""
    target_groups = TranslatedOnce(TARGET_GROUP_LABELS)

    def target_group_names(items: Iterable[Any]) -> list[str]:
        return [
            target_groups[i if isinstance(i, str) else i.code]
            for i in sorted_target_groups(items, target_groups)
        ]

    return {
        **template_translations(),
        "sorted_target_groups": lambda items: sorted_target_groups(items, target_groups),
        "target_group_names": target_group_names,
        "KIND_LABELS": TranslatedOnce(KIND_LABELS),
        "FORMAT_LABELS": TranslatedOnce(FORMAT_LABELS),
        "LANGUAGE_LABELS": TranslatedOnce(LANGUAGE_LABELS),
        "STATUS_LABELS": TranslatedOnce(STATUS_LABELS),
        "TARGET_GROUP_LABELS": target_groups,
    }
