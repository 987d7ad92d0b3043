"""Absolute links for emails, calendar files and the API, from PUBLIC_BASE_URL; the current
page in another language."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from flask import Flask, current_app, has_request_context, request


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL: PUBLIC_BASE_URL when set (always in production, see core/settings.py),
    else the request's own host on a developer's machine. Works outside a request too.
    Every absolute link is built here; never url_for(..., _external=True), request.host_url
    or request.url_root, which follow the Host header a client sends."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        base = request.host_url if has_request_context() else "http://127.0.0.1:5000/"
    return _adapter(current_app._get_current_object(), base).build(  # type: ignore[attr-defined]
        endpoint, values, force_external=True
    )


# (app, base) -> the URL map bound to that base. Binding costs more than building one link, and
# a registration builds six; the map's rules do not change once the app serves requests.
_adapters: dict[tuple[int, str], tuple[Flask, Any]] = {}


def _adapter(app: Flask, base: str) -> Any:
    key = (id(app), base)
    held = _adapters.get(key)
    if held is None or held[0] is not app:
        parts = urlsplit(base)
        adapter = app.url_map.bind(
            parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
        )
        if len(_adapters) > 64:  # tests make many apps
            _adapters.clear()
        held = _adapters[key] = (app, adapter)
    return held[1]


def language_url(code: str) -> str:
    """This page with ?lang=code: its own path and query with only lang replaced.

    Not url_for(request.endpoint, **request.args): url_for reads _external, _scheme, _anchor,
    _method and endpoint from its arguments, so a query could change the link or break it."""
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    pairs.append(("lang", code))
    path = quote(request.script_root + request.path, safe="/:@!$&'()*+,;=-._~")
    return f"{path}?{urlencode(pairs)}"


def language_urls(codes: tuple[str, ...] = ("sv", "en", "fi")) -> dict[str, str]:
    """language_url for each code, the page's path and query read once (base.html's
    language switcher)."""
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    path = quote(request.script_root + request.path, safe="/:@!$&'()*+,;=-._~")
    return {code: f"{path}?{urlencode([*pairs, ('lang', code)])}" for code in codes}


def init_app(app: Flask) -> None:
    app.jinja_env.globals["language_url"] = language_url
    app.jinja_env.globals["language_urls"] = language_urls
