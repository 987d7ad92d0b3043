"""List filters on HTML pages: the same validation as the API's, shown instead of dropped.

Each feature validates its filters in one service function that raises ValidationError for an
unknown value (events.queries.EventFilters.parse, participants.queries.RegistrationFilters
.parse); the API answers 422 with it. An HTML list page gets here instead: a stale or
hand-edited link still shows the list, without the unknown filter, and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask_babel import gettext as _

from core.errors import ValidationError

T = TypeVar("T")


def filters_with_notices(
    parse: Callable[[Mapping[str, Any]], T], args: Mapping[str, Any]
) -> tuple[T, list[str]]:
    """(the filters parse() accepts, a translated notice for the values it refused)."""
    try:
        return parse(args), []
    except ValidationError as err:
        known = {k: v for k, v in args.items() if k not in err.fields}
        why = " ".join(str(message) for message in err.fields.values())
        notice = _("A filter has an unknown value and is not applied: %(why)s", why=why)
        return parse(known), [notice]
