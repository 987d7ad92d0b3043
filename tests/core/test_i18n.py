"""Language choice (?lang=, remembered; else Accept-Language; else Swedish) and the date and
time conventions of each language."""

from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.support import Translations
from flask_babel import gettext as _

from core.catalogues import ensure_compiled
from core.i18n import format_day, format_span, zone_label


def html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True))
    assert match
    return match.group(1)


def test_swedish_is_the_default(client):
    assert html_lang(client.get("/")) == "sv"


def test_lang_parameter_sets_the_language_and_is_remembered(client):
    assert html_lang(client.get("/?lang=fi")) == "fi"
    assert html_lang(client.get("/past")) == "fi"  # remembered in the session
    assert html_lang(client.get("/", headers={"Accept-Language": "en"})) == "fi"
    assert html_lang(client.get("/?lang=en")) == "en"
    assert html_lang(client.get("/")) == "en"


def test_unknown_lang_parameter_is_ignored(client):
    assert html_lang(client.get("/?lang=de")) == "sv"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-GB,en;q=0.9", "en"),
        ("fi-FI,fi;q=0.9,en;q=0.5", "fi"),
        ("de-DE,de;q=0.9", "sv"),
        ("de;q=0.9,en;q=0.5", "en"),
    ],
)
def test_accept_language_is_used_without_a_choice(client, header, expected):
    assert html_lang(client.get("/", headers={"Accept-Language": header})) == expected


def test_language_switch_links_keep_the_page(client):
    html = client.get("/past?kind=workshop").get_data(as_text=True)
    assert 'href="/past?kind=workshop&amp;lang=fi"' in html
    assert 'lang="fi" hreflang="fi"' in html


def test_footer_links_to_the_accessibility_statement(client):
    html = client.get("/").get_data(as_text=True)
    footer = html[html.index("<footer") :]
    assert 'href="/accessibility"' in footer
    assert client.get("/accessibility").status_code == 200


# Winter: Stockholm is UTC+1, Helsinki UTC+2.
START = datetime(2026, 12, 13, 8, 0, tzinfo=UTC)
END = datetime(2026, 12, 13, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("sv", "söndag 13 december 2026 kl. 9.00–15.30"),
        ("fi", "sunnuntai 13.12.2026 klo 9.00–15.30"),
        ("en", "Sunday 13 December 2026 9:00–15:30"),
    ],
)
def test_span_in_each_language(app, lang, expected):
    assert format_span(START, END, "Europe/Stockholm", lang) == expected, (
        f"{lang}: a date in a heading, a fact box or a list reads {expected!r} "
        "(DOMAIN.md; the patterns are in core/i18n.py)"
    )


FINNISH_RULE = (
    "Finnish dates standing alone use the nominative weekday (sunnuntai), not the essive "
    "(sunnuntaina): the pattern is 'cccc', the stand-alone form (core/i18n.py)"
)


def test_finnish_dates_standing_alone_use_the_nominative_weekday(app):
    """Every date the app writes stands alone (a heading, "When:", a line in a list), so the
    weekday is in the nominative. Babel 2.19's format form ('EEEE') writes the essive."""
    monday = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    weekdays = [format_day(monday + timedelta(days=n), "fi").split()[0] for n in range(7)]
    assert weekdays == [
        "maanantai",
        "tiistai",
        "keskiviikko",
        "torstai",
        "perjantai",
        "lauantai",
        "sunnuntai",
    ], f"{FINNISH_RULE}; got {weekdays}"
    assert format_day(START, "fi") == "sunnuntai 13.12.2026", FINNISH_RULE


def test_span_in_the_events_own_zone(app):
    assert format_span(START, END, "Europe/Helsinki", "sv") == (
        "söndag 13 december 2026 kl. 10.00–16.30"
    )


def test_span_over_two_days_names_both(app):
    end = datetime(2026, 12, 14, 15, 0, tzinfo=UTC)
    assert format_span(START, end, "Europe/Stockholm", "sv") == (
        "söndag 13 december 2026 kl. 9.00 – måndag 14 december 2026 kl. 16.00"
    )


def test_zone_is_named_only_when_it_differs_from_stockholm(app):
    assert zone_label("Europe/Stockholm", START, "sv") is None
    assert zone_label("Europe/Oslo", START, "sv") is None  # same clock as Stockholm
    # One clean form, no brackets inside brackets: "Itä-Euroopan aika (Helsinki)".
    assert zone_label("Europe/Helsinki", START, "fi") == "Itä-Euroopan aika (Helsinki)"
    assert zone_label("Europe/Helsinki", START, "sv") == "östeuropeisk tid (Helsingfors)"


def test_an_online_event_names_its_zone_even_in_stockholm(app):
    """People join an online event from Sweden and Finland: the zone is always said."""
    assert zone_label("Europe/Stockholm", START, "sv", online=True) == (
        "centraleuropeisk tid (Stockholm)"
    )
    assert zone_label("Europe/Stockholm", START, "fi", online=True) == (
        "Keski-Euroopan aika (Tukholma)"
    )


def test_translated_swedish_interface(client):
    """Needs the Swedish catalogue (filled in by the lead): the footer link says
    "Tillgänglighet", and the menu is in Swedish."""
    html = client.get("/").get_data(as_text=True)
    footer = html[html.index("<footer") :]
    assert re.search(
        r'<a class="govuk-footer__link" href="/accessibility">Tillgänglighet</a>', footer
    )
    assert "Upcoming events" not in html


# --- compiled catalogues: every way of starting the app serves Swedish ---------------------

ROOT = Path(__file__).resolve().parents[2]


def test_catalogues_are_compiled_when_missing_or_older_than_their_po(tmp_path):
    """Only the .po files are in git; the app compiles a .mo that is missing or stale when it
    starts, so `pip install -e .` and `flask run` (or gunicorn) do not fall back to the
    English msgids."""
    folder = tmp_path / "translations"
    shutil.copytree(ROOT / "translations", folder, ignore=shutil.ignore_patterns("*.mo"))
    written = ensure_compiled(folder)
    assert sorted(mo.parent.parent.name for mo in written) == ["en", "fi", "sv"]
    sv = folder / "sv" / "LC_MESSAGES"
    with (sv / "messages.mo").open("rb") as mo:
        assert Translations(mo).gettext("Accessibility") == "Tillgänglighet"

    assert ensure_compiled(folder) == []  # up to date: nothing is written

    po = sv / "messages.po"
    po.write_text(
        po.read_text(encoding="utf-8").replace('msgstr "Tillgänglighet"', 'msgstr "Tillgängligt"'),
        encoding="utf-8",
    )
    later = (sv / "messages.mo").stat().st_mtime + 10
    os.utime(po, (later, later))
    assert ensure_compiled(folder) == [sv / "messages.mo"]
    with (sv / "messages.mo").open("rb") as mo:
        assert Translations(mo).gettext("Accessibility") == "Tillgängligt"


def test_app_start_compiles_a_missing_catalogue(tmp_path, make_app):
    """create_app() compiles the catalogues of every translation directory it is given."""
    folder = tmp_path / "translations"
    shutil.copytree(ROOT / "translations", folder, ignore=shutil.ignore_patterns("*.mo"))
    fresh = make_app(BABEL_TRANSLATION_DIRECTORIES=str(folder))
    assert (folder / "sv" / "LC_MESSAGES" / "messages.mo").exists()
    with fresh.test_request_context("/"):
        assert str(_("Accessibility")) == "Tillgänglighet"
