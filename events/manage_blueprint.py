"""The organisers' event management pages under /manage, one blueprint (`events_manage`) that
events/manage_views.py (events) and events/session_views.py (the agenda) both add to."""

from flask import Blueprint

from events import labels

manage_bp = Blueprint("events_manage", __name__, url_prefix="/manage")
manage_bp.context_processor(labels.template_labels)
