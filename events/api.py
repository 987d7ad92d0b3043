"""The events part of JSON API v1."""

from flask import Blueprint

bp = Blueprint("events_api", __name__, url_prefix="/api/v1")
