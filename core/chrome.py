"""What templates/base.html writes on every page around its content: the fixed texts of the
header, the menu and the footer in the page's language (translated once per language a process,
core.i18n.FixedTexts) and the addresses they link to (built once per script root a process:
the routes do not change while it runs). base.html had called gettext and url_for for each,
a dozen of each on every page."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request, url_for
from flask_babel import lazy_gettext as _l

from core.i18n import FixedTexts

TEXTS = FixedTexts(
    {
        "skip": _l("Skip to content"),
        "language": _l("Language"),
        "main_menu": _l("Main menu"),
        "upcoming": _l("Upcoming events"),
        "past": _l("Past events"),
        "library": _l("Material library"),
        "support_links": _l("Support links"),
        "accessibility": _l("Accessibility"),
        "privacy": _l("Privacy"),
        "calendar_feed": _l("Calendar feed"),
        "sign_in": _l("Organiser sign-in"),
    }
)

_ENDPOINTS = {
    "css": ("static", {"filename": "css/motesplats.min.css"}),
    "js": ("static", {"filename": "js/motesplats.js"}),
    "index": ("events.index", {}),
    "past": ("events.past", {}),
    "library": ("materials.library", {}),
    "accessibility": ("core.accessibility", {}),
    "privacy": ("privacy.page", {}),
    "calendar_feed": ("calendar.feed", {}),
    "login": ("core.login", {}),
}
_urls: dict[tuple[int, str], dict[str, str]] = {}


def site_urls() -> dict[str, str]:
    """The addresses base.html links to on every page, for this app and script root."""
    key = (id(current_app._get_current_object()), request.script_root)  # type: ignore[attr-defined]
    urls = _urls.get(key)
    if urls is None:
        urls = {
            name: url_for(endpoint, **values) for name, (endpoint, values) in _ENDPOINTS.items()
        }
        _urls[key] = urls
    return urls


def site() -> dict[str, Any]:
    """base.html's texts (`site.texts`) and links (`site.urls`)."""
    return {"texts": TEXTS(), "urls": site_urls()}


def init_app(app: Flask) -> None:
    app.jinja_env.globals["site_chrome"] = site
