"""The labels every registration page's template may use (participants' and organisers'), as
one context processor."""

from __future__ import annotations

from typing import Any

from events import labels as event_labels
from events.models import local
from participants import seats
from participants.forms import ATTENDED_LABELS, COUNTRY_LABELS, STATUS_LABELS


def template_labels() -> dict[str, Any]:
    return {
        "TARGET_GROUP_LABELS": event_labels.TARGET_GROUP_LABELS,
        "LANGUAGE_LABELS": event_labels.LANGUAGE_LABELS,
        "FORMAT_LABELS": event_labels.FORMAT_LABELS,
        "STATUS_LABELS": STATUS_LABELS,
        "COUNTRY_LABELS": COUNTRY_LABELS,
        "ATTENDED_LABELS": ATTENDED_LABELS,
        "FULL_MESSAGES": seats.FULL_MESSAGES,
        "event_local": local,
        "sorted_target_groups": event_labels.sorted_target_groups,
        "target_group_names": lambda items: [
            str(event_labels.TARGET_GROUP_LABELS[i if isinstance(i, str) else i.code])
            for i in event_labels.sorted_target_groups(items)
        ],
    }
