"""Public event pages (HTML): the list of upcoming and past events with their filters, and one
event's page. Organisers' pages are events/manage_views.py."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    render_template,
    request,
)
from flask.typing import ResponseReturnValue

from core.db import utcnow
from core.filters import filters_with_notices
from core.i18n import current_language
from core.page_cache import cached_for_visitors, changes_at
from events import content, labels, queries
from events.models import FORMATS, KINDS, LANGUAGES, TARGET_GROUPS
from events.page import event_page
from events.records import public_event_record

bp = Blueprint("events", __name__)


bp.context_processor(labels.template_labels)
# localized() and lang_attr() for every template (the participants' pages show event texts too).
for _name, _helper in content.template_helpers().items():
    bp.add_app_template_global(_helper, _name)


# --- public pages ----------------------------------------------------------------------------


MAX_PAGE = 1_000_000  # as the API's ?page= (events/schemas.py)
_PAGE_ARGS = ("kind", "format", "language", "lang_filter", "city", "target_group", "q", "lang")


def _event_list(past: bool) -> ResponseReturnValue:
    filters, notices = filters_with_notices(queries.EventFilters.parse, request.args)
    # A page number past any real list is the last page's neighbour, not a database overflow.
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    pagination = queries.list_public_events(
        past=past,
        filters=filters,
        page=page,
        per_page=current_app.config["EVENTS_PER_PAGE"],
        language=current_language(),
    )
    # The pages' links keep the filters by name, never all of request.args (which url_for
    # would read _external, _scheme or endpoint from).
    args = {k: v for k, v in request.args.items() if k in _PAGE_ARGS and v}
    return render_template(
        "events/past.html" if past else "events/index.html",
        pagination=pagination,
        events=pagination.items,
        filters=filters,
        cities=[] if past else queries.cities(),
        page_args=args,
        filter_notices=notices,
        kinds=KINDS,
        formats=FORMATS,
        languages=LANGUAGES,
        target_groups=TARGET_GROUPS,
    )


@bp.route("/")
@cached_for_visitors(queries.public_lists_freshness)
def index() -> ResponseReturnValue:
    return _event_list(past=False)


@bp.route("/past")
@cached_for_visitors(queries.public_lists_freshness)
def past() -> ResponseReturnValue:
    return _event_list(past=True)


@bp.route("/events/<slug>")
@cached_for_visitors(queries.event_page_version)
def detail(slug: str) -> ResponseReturnValue:
    # one round trip on the autocommit connection, the page's list of materials with it
    event = public_event_record(slug, page=True)
    changes_at(queries.next_moment(event))  # registration opens or closes, the event starts
    description = content.localized(event, "description")
    return render_template(
        "events/detail.html",
        event=event,
        ended=event.ends_at <= utcnow(),
        page=event_page(event),
        description_html=queries.render_description(description.text),
        description_lang=description.lang,
    )
