"""Absolute links for emails, calendar files and the API, from PUBLIC_BASE_URL."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request, url_for


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL: PUBLIC_BASE_URL when set (behind a proxy, in the worker), else the
    request's own host."""
    path = url_for(endpoint, _external=False, **values)
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        base = request.host_url if has_request_context() else "http://127.0.0.1:5000/"
    return base.rstrip("/") + path
