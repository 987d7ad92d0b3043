"""The respondent's pages, /s/<token> (placeholder: the answering work replaces it)."""

from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("surveys", __name__)


@bp.get("/s/<token>")
def answer(token: str) -> str:
    abort(404)
