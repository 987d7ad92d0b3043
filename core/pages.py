"""What every feature's HTML pages share: the "(required)" mark on form labels, the service's
field messages put back next to the fields, and the signed-in organiser.

The rules themselves are the services' (ValidationError names each bad field); forms only
render fields and check the CSRF token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import Field

from core.models import Organiser


class MarkRequired:
    """Marks a label "(required)". The check itself is the service's, so it never fails here."""

    field_flags = {"required": True}

    def __call__(self, form: FlaskForm, field: Field) -> None:
        return None


def put_errors(
    form: Any, fields: Mapping[str, Any], names: Mapping[str, str] | None = None
) -> list[str]:
    """Attach the service's field messages to the form's fields (`names` maps a service
    field to a form field where they differ); return those that fit no field."""
    general: list[str] = []
    for key, message in fields.items():
        name = (names or {}).get(key, key)
        if name in form and name != "csrf_token":
            form[name].errors = [*form[name].errors, str(message)]
        else:
            general.append(str(message))
    return general


def current_organiser() -> Organiser:
    """The signed-in organiser (behind @login_required)."""
    return current_user._get_current_object()  # type: ignore[attr-defined]


def csrf_failed(form: Any) -> list[str]:
    """The message for a form whose CSRF token expired (shown above the form)."""
    return [_("The form has expired. Please send it again.")] if "csrf_token" in form.errors else []


def download(body: str | bytes, filename: str, mimetype: str) -> Response:
    """A file the browser saves under filename."""
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def one_click() -> bool:
    """A mail program's one-click unsubscribe (RFC 8058): a POST of List-Unsubscribe=One-Click
    to the link in the List-Unsubscribe header, with no cookies and no form token. The link's
    own secret token is what authorises it, so its views are exempt from CSRF and check the
    form token themselves for every other POST."""
    return request.method == "POST" and request.form.get("List-Unsubscribe") == "One-Click"
