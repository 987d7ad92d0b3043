"""Memory for public pages, so a crowd opening one event page at once costs one render per
worker process instead of one per visitor, and a cached page is never older than its data.

Only anonymous visitors with no pending flash message are served from it (an organiser always
sees the live page). Each page is remembered under its path with its query and the page's
language, together with a *freshness* value that the view names: for the event page, the
event's version (raised in the same transaction as every organiser change and every change of
seats, events.models.bump_version); for the lists, the sum of all public events' versions and
how many have ended (events/queries.py). A hit costs the one small query that reads the
freshness; when it differs from the remembered one, the page is rendered again. A page that
changes by itself at a moment (registration opens or closes, the event starts) says so while
it renders (changes_at), and is not served from memory from that moment on.
PUBLIC_PAGE_CACHE_SECONDS only bounds how long an unchanged page is kept (0 turns the cache
off); nothing shown can be out of date.

A visitor who sends no cookie (no session, so neither signed in nor holding a flash message or
a chosen language) is answered before Flask sees the request (`VisitorPages`, a WSGI
middleware): the whole response as Flask last sent it for that key, after the same freshness
query. That costs less than the smallest Flask view, which a crowd on one page needs. Every
other request goes through Flask, where the decorator serves the remembered body.

The freshness is read before the view reads its data, so a remembered page is never older than
its freshness: at worst it is newer, and the next visitor's look-up renders it again.

A page must not depend on who asked for it beyond its path, query and language: its absolute
links come from PUBLIC_BASE_URL (core/urls.py), and a request for another host than that one
is neither answered from the cache nor remembered, so a forged Host header cannot put a page
in front of the next visitors. Without PUBLIC_BASE_URL (a developer's machine) the host is part
of the key.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request, session
from flask_login import current_user
from werkzeug.wrappers import Request

from core.db import utcnow
from core.i18n import current_language, preferred_language

_MAX_PAGES = 2000
_FILLED = "motesplats.page_cache.filled"  # environ key: the entry the view just made


@dataclass
class _Page:
    fresh: Hashable  # the freshness the page was made at
    expires: float  # time.monotonic()
    changes_at: datetime | None  # UTC: the page changes by itself then
    page: Any  # the view's return value
    freshness: Callable[..., Hashable | None]  # to ask again, with the view's arguments
    arguments: dict[str, Any]
    # The whole response as Flask sent it (status, headers, body), for VisitorPages.
    response: tuple[str, list[tuple[str, str]], bytes] | None = field(default=None)

    def usable(self, fresh: Hashable | None = None) -> bool:
        if fresh is not None and fresh != self.fresh:
            return False
        return self.expires > time.monotonic() and (
            self.changes_at is None or utcnow() < self.changes_at
        )


# (host, path with query, language) -> the remembered page
_pages: dict[tuple[str, str, str], _Page] = {}


def changes_at(moment: datetime | None) -> None:
    """Called by a view while it renders: the page it is making changes by itself at this
    moment (its data unchanged), so it must not be served from memory from then on."""
    if moment is not None:
        earlier = g.get("page_changes_at")
        g.page_changes_at = moment if earlier is None else min(earlier, moment)


def _host_part(host: str) -> str | None:
    """The key's host: "" behind PUBLIC_BASE_URL (None when the request names another host:
    never answered from memory nor remembered), else the request's own."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        return host
    return "" if host == urlsplit(base).netloc else None


def cached_for_visitors(
    freshness: Callable[..., Hashable | None],
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Remember the view's page for visitors while `freshness(**view_kwargs)` stays the same.
    freshness returns None when the page must not be remembered (no such event: the view then
    answers, e.g. 404)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            seconds = current_app.config["PUBLIC_PAGE_CACHE_SECONDS"]
            if seconds <= 0 or current_user.is_authenticated or session.get("_flashes"):
                return view(*args, **kwargs)
            host = _host_part(request.host)
            if host is None:
                return view(*args, **kwargs)
            fresh = freshness(**kwargs)
            if fresh is None:
                return view(*args, **kwargs)
            key = (host, request.full_path, current_language())
            hit = _pages.get(key)
            if hit and hit.usable(fresh):
                return hit.page
            g.pop("page_changes_at", None)
            page = view(*args, **kwargs)
            if len(_pages) >= _MAX_PAGES:
                _pages.clear()
            made = _Page(
                fresh, time.monotonic() + seconds, g.pop("page_changes_at", None), page,
                freshness, kwargs,
            )  # fmt: skip
            _pages[key] = made
            if "lang" not in request.args:  # that answer sets a cookie: not for VisitorPages
                request.environ[_FILLED] = made
            return page

        return wrapper

    return decorator


class VisitorPages:
    """WSGI middleware in front of Flask: answers a remembered page to a visitor without a
    cookie, and keeps the whole response of each page the decorator remembers."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.cookies = (
            app.config["SESSION_COOKIE_NAME"],
            app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if method not in ("GET", "HEAD"):
            return self.wsgi_app(environ, start_response)
        if _pages:
            answer = self._remembered(environ, start_response, head=method == "HEAD")
            if answer is not None:
                return answer
        sent: list[Any] = []

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            sent[:] = [status, headers]
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, keep)
        made: _Page | None = environ.get(_FILLED)
        if made is None or method != "GET" or not sent or not sent[0].startswith("200 "):
            return body
        status, headers = sent
        if any(name.lower() == "set-cookie" for name, _ in headers):
            return body
        try:
            content = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        kept = [(name, value) for name, value in headers if name != "X-Statements"]
        made.response = (status, kept, content)
        return [content]

    def _remembered(
        self, environ: dict[str, Any], start_response: Callable, head: bool
    ) -> Iterable[bytes] | None:
        cookie = environ.get("HTTP_COOKIE", "")
        if any(name in cookie for name in self.cookies) or "HTTP_AUTHORIZATION" in environ:
            return None  # Flask decides: signed in, a flash, a chosen language, a token
        incoming = Request(environ)
        if "lang" in incoming.args:
            return None
        config = self.app.config
        with self.app.app_context():
            host = _host_part(incoming.host)
            if host is None:
                return None
            key = (host, incoming.full_path, preferred_language(incoming.accept_languages, config))
            page = _pages.get(key)
            if page is None or page.response is None or not page.usable():
                return None
            if not page.usable(page.freshness(**page.arguments)):
                return None
            statements = g.get("bench_statements")  # core/statements.py, for the benchmark
        status, headers, content = page.response
        if statements is not None:
            headers = [*headers, ("X-Statements", str(statements))]
        start_response(status, headers)
        return [] if head else [content]


def init_app(app: Flask) -> None:
    app.wsgi_app = VisitorPages(app, app.wsgi_app)  # type: ignore[method-assign]
