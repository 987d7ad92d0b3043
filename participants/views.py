"""Registration pages for participants, and organisers' registration management (HTML)."""

from flask import Blueprint

bp = Blueprint("participants", __name__)
manage_bp = Blueprint("participants_manage", __name__, url_prefix="/manage")
