"""Public event pages and organisers' event management (HTML)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("events", __name__)
manage_bp = Blueprint("events_manage", __name__, url_prefix="/manage")


@bp.route("/")
def index():
    return "TODO"


@bp.route("/past")
def past():
    return "TODO"


@manage_bp.route("/")
def index():  # noqa: F811
    return "TODO"
