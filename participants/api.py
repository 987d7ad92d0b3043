"""The registrations part of JSON API v1."""

from flask import Blueprint

bp = Blueprint("participants_api", __name__, url_prefix="/api/v1")
