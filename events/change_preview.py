"""The check before a change that emails people is saved (a new time or place, an agenda
change, a cancellation's notice): how many, the old and new, and the notice in each
recipient's language, rendered as the worker will."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from core.i18n import current_language
from events import changes
from events.forms import ConfirmForm
from events.models import Event

# Stand-ins for the person in the preview of the notice, written in the notice's language.
_SAMPLE_NAME = _l("(the person's name)")
_SAMPLE_LINK = _l("(the person's own link)")


def notice_items(audience: changes.Audience, write: Any) -> list[dict[str, Any]]:
    """The notice in each language the recipients have, with how many read it in each:
    `write(language, name, link)` renders it as the worker would (core.mail_render)."""
    items = []
    for language, count in audience.by_language:
        notice = write(language, _SAMPLE_NAME, _SAMPLE_LINK)
        paragraphs = [p for p in notice.body_text.split("\n\n") if p.strip()]
        items.append(
            {"language": language, "count": count, "notice": notice, "paragraphs": paragraphs}
        )
    return items


def _session_rows(preview: changes.ChangePreview) -> list[dict[str, Any]]:
    """The sessions changed, in the page's language, with their times as datetimes."""
    rows = []
    for change in preview.sessions(current_language()):
        rows.append(
            {
                key: datetime.fromisoformat(value)
                if key.endswith(("starts_at", "ends_at"))
                else value
                for key, value in change.items()
            }
        )
    return rows


def render_change_preview(
    event: Event,
    preview: changes.ChangePreview,
    action: str,
    removing: bool = False,
    promotions: changes.Promotions | None = None,
) -> ResponseReturnValue:
    """The check before a change of time, place or agenda that emails people is saved: how
    many, the old and new, the notice in each recipient's language; the form's values ride
    along in hidden fields (sent back as they came, checked again when saved)."""
    carried = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in ("csrf_token", "confirmed", "back")
    ]
    return render_template(
        "events/manage/confirm_change.html",
        event=event,
        preview=preview,
        session_rows=_session_rows(preview),
        notice_items=notice_items(
            preview,
            lambda lang, name, link: changes.notice_preview(event, preview, lang, name, link),
        ),
        promotions=promotions,
        promotion_items=notice_items(promotions, promotions.notice) if promotions else [],
        carried=carried,
        action=action,
        removing=removing,
        form=ConfirmForm(),
    )
