"""Writing an email from an outbox row: the kinds of message, and rendering one in a language.

A row holds what its message needs (kind, recipient, language and a snapshot of the facts,
plain JSON taken in the transaction that queued it); the worker turns it into a subject, a
text and an HTML part and any attachments (a calendar file) when it sends, outside any request,
and keeps the result on the row. The organiser's view of a queued message renders it through
the same `render_message`.

Each kind is registered by the feature that owns it (`@mail_kind("confirmed", ...)` in
participants.emails): a function of the kind and its snapshot that gives a `MailDraft` (which
template, the subject, the template's context, the attachments it builds), called in the
recipient's language. Core's own kind, "message", is a subject and a text. The templates' helpers
(external_url, the date filters, format_span, zone_label) are registered on the app by core
itself, so rendering reaches no views module.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound

from core.urls import external_url


@dataclass
class RenderedMail:
    """What goes out: the subject (one line), the text and HTML parts, the attachments as
    rows ({"filename", "content_type", "data"[, "encoding": "base64"]})."""

    subject: str
    body_text: str
    body_html: str | None
    attachments: list[dict[str, str]] = field(default_factory=list)
    unsubscribe_url: str | None = None  # List-Unsubscribe, one-click (RFC 8058)


@dataclass
class MailDraft:
    """What a kind makes of its snapshot: the template (templates/email/<template>.txt and
    .html), the subject in the recipient's language, the template's context and any
    attachments it builds (given as for queue_email: str or bytes data)."""

    template: str
    subject: Any
    context: dict[str, Any] = field(default_factory=dict)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    # For mail a person can stop (invitations, reminders): the link that stops it, given to
    # mail programs as List-Unsubscribe with one-click POST (RFC 8058). The page behind it
    # takes a POST of "List-Unsubscribe=One-Click" without a form token (core.pages.one_click).
    unsubscribe_url: str | None = None


class RenderError(Exception):
    """A snapshot that cannot be written as an email (no such kind, a template error, facts
    missing): the worker fails that message with this reason, the rest of the batch goes on."""


Reader = Callable[[str, Mapping[str, Any]], MailDraft]
_KINDS: dict[str, Reader] = {}


def mail_kind(*kinds: str) -> Callable[[Reader], Reader]:
    """Register the function that turns (kind, snapshot) of these kinds into a MailDraft."""

    def register(reader: Reader) -> Reader:
        for kind in kinds:
            _KINDS[kind] = reader
        return reader

    return register


def attachment_row(attachment: Mapping[str, Any]) -> dict[str, str]:
    """{"filename", "content_type", "data"}: str data is kept as text, bytes as base64."""
    try:
        filename = str(attachment["filename"])
        content_type = str(attachment["content_type"])
        data = attachment["data"]
    except KeyError as err:
        raise ValueError(f"an attachment needs filename, content_type and data: {err}") from err
    if isinstance(data, bytes):
        return {
            "filename": filename,
            "content_type": content_type,
            "data": base64.b64encode(data).decode("ascii"),
            "encoding": "base64",
        }
    if not isinstance(data, str):
        raise ValueError("attachment data must be str or bytes")
    return {"filename": filename, "content_type": content_type, "data": data}


def mail_language(language: str | None) -> str:
    """The language a message is written in: the recipient's when we have it, else the default."""
    if language in current_app.config["LANGUAGES"]:
        return str(language)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def render_email(
    template: str, language: str, subject: Any, **context: Any
) -> tuple[str, str, str | None]:
    """(subject, text, html) of templates/email/<template>.txt/.html in the given language.

    Works inside a request and outside one (the worker, the CLI): links in the templates use
    `external_url()`, which is a template global here."""
    language = mail_language(language)
    with force_locale(language):
        subject_text = " ".join(str(subject).split())  # a header: one line
        values = dict(context, language=language, subject=subject_text)
        text = render_template(f"email/{template}.txt", **values)
        try:
            html: str | None = render_template(f"email/{template}.html", **values)
        except TemplateNotFound:
            html = None
    return subject_text, text, html


def render_message(
    kind: str,
    language: str,
    facts: Mapping[str, Any],
    attachments: list[dict[str, str]] | None = None,
) -> RenderedMail:
    """The email an outbox row describes, in its recipient's language: what the worker sends
    and what the organiser's view of a queued message shows. `attachments` are the row's own
    (given ready to queue_email); the kind's own (a calendar file) follow them.

    Raises RenderError, never anything else, when the snapshot cannot be written."""
    reader = _KINDS.get(kind)
    if reader is None:
        raise RenderError(f"no email of the kind {kind!r} is known")
    language = mail_language(language)
    try:
        with force_locale(language):
            draft = reader(kind, facts)
            subject, text, html = render_email(
                draft.template, language, draft.subject, **draft.context
            )
            built = [attachment_row(a) for a in draft.attachments]
    except Exception as err:  # a template error, a fact missing: this message, not the batch
        raise RenderError(f"{type(err).__name__}: {err}") from err
    return RenderedMail(
        subject[:300], text, html, [*(attachments or []), *built], draft.unsubscribe_url
    )


@mail_kind("message")
def _message(kind: str, facts: Mapping[str, Any]) -> MailDraft:
    """Core's own message: a subject and a text (templates/email/message.*)."""
    return MailDraft("message", facts["subject"], {"body": facts["body"]})


def init_app(app: Flask) -> None:
    # Absolute links in email templates (and pages), inside a request or not.
    app.jinja_env.globals["external_url"] = external_url
