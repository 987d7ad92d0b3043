"""Calendar files (iCalendar): one event, the subscribable feed, and registrants' invitations."""

from flask import Blueprint

bp = Blueprint("calendar", __name__)


@bp.route("/calendar.ics")
def feed():
    return "TODO"
