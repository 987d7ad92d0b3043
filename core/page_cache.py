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
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, g, request, session
from flask_login import current_user

from core.db import utcnow
from core.i18n import current_language

# (host, path with query, language) -> (freshness, expires (monotonic), changes at (UTC), page)
_pages: dict[tuple[str, str, str], tuple[Hashable, float, datetime | None, Any]] = {}
_MAX_PAGES = 2000


def changes_at(moment: datetime | None) -> None:
    """Called by a view while it renders: the page it is making changes by itself at this
    moment (its data unchanged), so it must not be served from memory from then on."""
    if moment is not None:
        earlier = g.get("page_changes_at")
        g.page_changes_at = moment if earlier is None else min(earlier, moment)


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
            base = current_app.config.get("PUBLIC_BASE_URL")
            if base and request.host != urlsplit(base).netloc:
                return view(*args, **kwargs)
            fresh = freshness(**kwargs)
            if fresh is None:
                return view(*args, **kwargs)
            key = ("" if base else request.host, request.full_path, current_language())
            now = time.monotonic()
            hit = _pages.get(key)
            if hit and hit[0] == fresh and hit[1] > now and (hit[2] is None or utcnow() < hit[2]):
                return hit[3]
            g.pop("page_changes_at", None)
            page = view(*args, **kwargs)
            if len(_pages) >= _MAX_PAGES:
                _pages.clear()
            _pages[key] = (fresh, now + seconds, g.pop("page_changes_at", None), page)
            return page

        return wrapper

    return decorator
