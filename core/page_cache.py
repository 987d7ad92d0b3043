"""A few seconds of memory for public pages, so a crowd opening one event page at once costs
one render per worker process instead of one per visitor.

Only anonymous visitors with no pending flash message are served from it (an organiser always
sees the live page); the key is the path with its query and the page's language. What can be
stale is at most PUBLIC_PAGE_CACHE_SECONDS old: the seat count shown on the event page, or an
organiser's edit. Registering itself always counts the seats afresh under a lock.

A page must not depend on who asked for it beyond its path, query and language: its absolute
links come from PUBLIC_BASE_URL (core/urls.py), and a request for another host than that one
is neither answered from the cache nor remembered, so a forged Host header cannot put a page
in front of the next visitors. Without PUBLIC_BASE_URL (a developer's machine) the host is part
of the key.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, request, session
from flask_login import current_user

from core.i18n import current_language

_pages: dict[tuple[str, str, str], tuple[float, Any]] = {}
_MAX_PAGES = 2000


def cached_for_visitors(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        seconds = current_app.config["PUBLIC_PAGE_CACHE_SECONDS"]
        if seconds <= 0 or current_user.is_authenticated or session.get("_flashes"):
            return view(*args, **kwargs)
        base = current_app.config.get("PUBLIC_BASE_URL")
        if base and request.host != urlsplit(base).netloc:
            return view(*args, **kwargs)
        key = ("" if base else request.host, request.full_path, current_language())
        now = time.monotonic()
        hit = _pages.get(key)
        if hit and hit[0] > now:
            return hit[1]
        page = view(*args, **kwargs)
        if len(_pages) >= _MAX_PAGES:
            _pages.clear()
        _pages[key] = (now + seconds, page)
        return page

    return wrapper
