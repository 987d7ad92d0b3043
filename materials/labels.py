"""The library's words for its codes, in the reader's language."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from events.labels import LANGUAGE_LABELS, TARGET_GROUP_LABELS
from materials.filetypes import ACCEPTED

CATEGORY_LABELS = {
    "good_example": _l("Good example"),
    "model": _l("Model"),
    "template": _l("Template"),
    "guide": _l("Guide"),
    "presentation": _l("Presentation"),
    "report": _l("Report"),
    "other": _l("Other"),
}
AUDIENCE_LABELS = {
    "public": _l("Everyone"),
    "registrants": _l("Registrants of chosen events"),
    "attendees": _l("Attendees of chosen events (checked in)"),
    "organisers": _l("Organisers only (a draft)"),
}
FILE_KINDS = {
    "application/pdf": "PDF",
    "text/plain": _l("Text"),
    "text/csv": "CSV",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
}


def file_kind(content_type: str) -> Any:
    return FILE_KINDS.get(content_type) or ACCEPTED.get(content_type, content_type)


def template_labels() -> dict[str, Any]:
    return {
        "CATEGORY_LABELS": CATEGORY_LABELS,
        "AUDIENCE_LABELS": AUDIENCE_LABELS,
        "MATERIAL_LANGUAGE_LABELS": LANGUAGE_LABELS,
        "MATERIAL_TARGET_GROUP_LABELS": TARGET_GROUP_LABELS,
        "file_kind": file_kind,
    }
