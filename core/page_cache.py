"""A few seconds of memory for public pages, so a crowd opening one event page at once costs
one render per worker process instead of one per visitor.

Only anonymous visitors with no pending flash message are served from it (an organiser always
sees the live page); the key is the path with its query and the page's language. What can be
stale is at most PUBLIC_PAGE_CACHE_SECONDS old: the seat count shown on the event page, or an
organiser's edit. Registering itself always counts the seats afresh under a lock.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from flask import current_app, request, session
from flask_login import current_user

from core.i18n import current_language

_pages: dict[tuple[str, str], tuple[float, Any]] = {}
_MAX_PAGES = 2000


def cached_for_visitors(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        seconds = current_app.config["PUBLIC_PAGE_CACHE_SECONDS"]
        if seconds <= 0 or current_user.is_authenticated or session.get("_flashes"):
            return view(*args, **kwargs)
        key = (request.full_path, current_language())
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
