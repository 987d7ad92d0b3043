"""Language choice and the date and time conventions of Swedish, English and Finnish."""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, get_timezone_location, get_timezone_name
from flask import Flask, current_app, request, session
from flask.globals import _cv_app
from flask_babel import get_locale
from markupsafe import Markup
from werkzeug.datastructures import LanguageAccept

from core.catalogues import ensure_compiled

STOCKHOLM = ZoneInfo("Europe/Stockholm")

# Per language: a date pattern for Babel and how a clock time is written (DOMAIN.md).
#
# Every date these produce stands alone: a heading, a label, a fact box ("When:"), a line in a
# list ("sunnuntai 13.12.2026 klo 9.00–15.30"). So the weekday is the stand-alone form, `cccc`:
# in Finnish the nominative "sunnuntai", which is right for a date standing alone. The format
# form `EEEE` is the one CLDR means inside a sentence, and since Babel 2.19 (CLDR 49) it is the
# essive "sunnuntaina" ("on Sunday") in Finnish, wrong in a heading. Swedish and English have
# one form for both ("söndag", "Sunday"). The Finnish sentences that embed a date are worded
# around it ("Tapahtuman ajankohta: %(span)s"), so the nominative is right there too; a
# sentence that wants "sunnuntaina" needs a pattern of its own with `EEEE`.
# tests/core/test_i18n.py states this rule, so a Babel upgrade that changes it fails there.
_DATE_PATTERN = {"sv": "cccc d MMMM y", "en": "cccc d MMMM y", "fi": "cccc d.M.y"}
_SHORT_DATE_PATTERN = {"sv": "d MMM y", "en": "d MMM y", "fi": "d.M.y"}
_TIME_PREFIX = {"sv": "kl. ", "en": "", "fi": "klo "}
_TIME_SEP = {"sv": ".", "en": ":", "fi": "."}


def select_locale() -> str:
    """?lang= (remembered in the session), then the remembered choice, then Accept-Language."""
    languages = current_app.config["LANGUAGES"]
    if not request:
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    asked = request.args.get("lang")
    if asked in languages:
        session["lang"] = asked
        return asked
    if session.get("lang") in languages:
        return session["lang"]
    return preferred_language(request.accept_languages, current_app.config)


def preferred_language(accepted: LanguageAccept, config: Mapping[str, Any]) -> str:
    """The language Accept-Language asks for among ours, else the default; also the page
    cache's choice for a visitor without a session (core/page_cache.py)."""
    return accepted.best_match(config["LANGUAGES"]) or config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    """The page's language code ("sv"). Read straight from Flask-Babel's place for it on the
    app context (a template asks a few dozen times a page; get_locale() walks two proxies and
    str(Locale) formats the identifier each time); get_locale() chooses it the first time."""
    ctx = _cv_app.get(None)
    if ctx is not None:
        chosen = ctx.g.__dict__.get("_flask_babel")
        locale = getattr(chosen, "babel_locale", None)
        if locale is not None:
            if not (locale.territory or locale.script or locale.variant or locale.modifier):
                return locale.language
            return str(locale)
    return str(get_locale() or "sv")


class FixedTexts:
    """A page's fixed strings (headings, labels, link texts), translated once per language a
    process rather than once per render: ``TEXTS = FixedTexts({"skip": _l("Skip to content")})``
    at import, ``TEXTS()`` in a request gives them in its language as a template's _() would
    (Markup, %-formatted with no variables); with formatted=False as the catalogue has them, for
    strings with placeholders filled in later. Translations do not change while a process runs."""

    def __init__(self, texts: Mapping[str, Any], *, formatted: bool = True) -> None:
        self._texts = dict(texts)
        self._formatted = formatted
        self._done: dict[str, dict[str, Any]] = {}

    def __call__(self) -> Mapping[str, Any]:
        lang = current_language()
        done = self._done.get(lang)
        if done is None:
            if self._formatted:
                done = {name: Markup(str(text)) % {} for name, text in self._texts.items()}
            else:
                done = {name: str(text) for name, text in self._texts.items()}
            self._done[lang] = done
        return done


def _lang(lang: str | None) -> str:
    lang = lang or current_language()
    return lang if lang in _DATE_PATTERN else "sv"


# Babel's format_date parses the pattern and reads the locale's data on every call (~0.1 ms);
# a day in a language always reads the same, so each distinct one is formatted once a process.
@functools.lru_cache(maxsize=4096)
def _formatted_day(day: date, pattern: str, lang: str) -> str:
    return format_date(day, pattern, locale=lang)


def format_day(moment: datetime, lang: str | None = None) -> str:
    lang = _lang(lang)
    return _formatted_day(_day_of(moment), _DATE_PATTERN[lang], lang)


def format_short_day(moment: datetime, lang: str | None = None) -> str:
    lang = _lang(lang)
    return _formatted_day(_day_of(moment), _SHORT_DATE_PATTERN[lang], lang)


def _day_of(moment: date) -> date:
    """The calendar day as Babel's format_date reads it (a datetime's own date, on its own
    clock)."""
    return moment.date() if isinstance(moment, datetime) else moment


def format_clock(moment: datetime, lang: str | None = None) -> str:
    """9.00 (9:00 in English); in the autumn hour that happens twice, with its offset:
    2.30 (UTC+2) is the first, 2.30 (UTC+1) the second."""
    lang = _lang(lang)
    text = f"{moment.hour}{_TIME_SEP[lang]}{moment.minute:02d}"
    offset = moment.utcoffset()
    if offset is not None and moment.replace(fold=1 - moment.fold).utcoffset() != offset:
        hours, rest = divmod(int(offset.total_seconds()) // 60, 60)
        text += f" (UTC{hours:+d}" + (f":{rest:02d})" if rest else ")")
    return text


def format_span(starts: datetime, ends: datetime, tz: str, lang: str | None = None) -> str:
    """'söndag 13 december 2026 kl. 9.00–15.30' in the zone tz; two dates when it spans days."""
    lang = _lang(lang)
    zone = ZoneInfo(tz)
    start, end = starts.astimezone(zone), ends.astimezone(zone)
    prefix = _TIME_PREFIX[lang]
    if start.date() == end.date():
        text = (
            f"{format_day(start, lang)} {prefix}{format_clock(start, lang)}"
            f"–{format_clock(end, lang)}"
        )
    else:
        text = (
            f"{format_day(start, lang)} {prefix}{format_clock(start, lang)} – "
            f"{format_day(end, lang)} {prefix}{format_clock(end, lang)}"
        )
    return text


def format_times(starts: datetime, ends: datetime, tz: str, lang: str | None = None) -> str:
    """'kl. 9.00–9.45' in the zone tz, for a line under a heading that names the day; the
    whole span (format_span) when it runs past midnight."""
    lang = _lang(lang)
    zone = ZoneInfo(tz)
    start, end = starts.astimezone(zone), ends.astimezone(zone)
    if start.date() != end.date():
        return format_span(starts, ends, tz, lang)
    return f"{_TIME_PREFIX[lang]}{format_clock(start, lang)}–{format_clock(end, lang)}"


def zone_label(
    tz: str, moment: datetime, lang: str | None = None, online: bool = False
) -> str | None:
    """The zone in one clean form, "östeuropeisk tid (Helsingfors)", "Itä-Euroopan aika
    (Helsinki)": only when its clock differs from Stockholm's at that moment, or always for an
    online event (online=True), whose audience may sit in either country. Else None.
    Templates show it as it is, never inside another pair of brackets."""
    zone = ZoneInfo(tz)
    if (
        not online
        and moment.astimezone(zone).utcoffset() == moment.astimezone(STOCKHOLM).utcoffset()
    ):
        return None
    return _zone_name(tz, _lang(lang))


@functools.lru_cache(maxsize=256)
def _zone_name(tz: str, lang: str) -> str:
    """The zone's long name with its city, once per zone and language a process (Babel reads
    its locale data for each)."""
    zone = ZoneInfo(tz)
    name = get_timezone_name(zone, "long", locale=lang)
    city = get_timezone_location(zone, locale=lang, return_city=True)
    return f"{name} ({city})" if city and city not in name else name


def compile_catalogues(app: Flask) -> None:
    """Compile each .po whose .mo is missing or older (a checkout; a wheel ships them compiled).

    Without a .mo, Flask-Babel silently serves the English msgids: that is how `pip install -e .`
    and `flask run` used to serve English. A directory that cannot be written is reported."""
    for directory in app.extensions["babel"].translation_directories:
        try:
            ensure_compiled(Path(directory))
        except OSError as error:
            logging.getLogger(__name__).warning(
                "message catalogues in %s could not be compiled: %s", directory, error
            )


def in_zone(moment: datetime, tz: str) -> datetime:
    """The moment on the clock of the zone tz (a filter: ``survey.send_at|in_zone(zone)``)."""
    return moment.astimezone(ZoneInfo(tz))


def init_app(app: Flask) -> None:
    compile_catalogues(app)
    app.jinja_env.filters["in_zone"] = in_zone
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["short_day"] = format_short_day
    app.jinja_env.filters["clock"] = format_clock
    app.jinja_env.globals.update(
        format_span=format_span,
        format_times=format_times,
        zone_label=zone_label,
        current_language=current_language,
    )
