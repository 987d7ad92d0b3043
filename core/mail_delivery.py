"""Sending one email: building it from what was rendered, and handing it to the mail server
(or to an .eml file when no MAIL_SERVER is set). The outbox (core.outbox) decides what is sent
when and records the outcome; this module holds no database state.

Addresses: the SMTP envelope carries the domain in IDNA (anna@xn--malm-8qa.se), which every
server takes. A local part outside ASCII (åsa.öberg@…) is sent with SMTPUTF8 (RFC 6531: the
envelope and the headers in UTF-8) when the server offers it; when it does not, no retry can
help, so the message fails at once ("smtputf8") and the rest of the batch goes on.
"""

from __future__ import annotations

import base64
import email.policy
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from core.addresses import UnsendableAddress, needs_smtputf8, smtp_address
from core.mail_render import RenderedMail

# Why a message failed for good, at its first attempt (OutboxMessage.failure_reason); the
# outbox page shows the text, `last_error` keeps the server's or library's own words.
PERMANENT_FAILURES = {
    "smtputf8": _l(
        "The mail server does not accept international addresses (SMTPUTF8), and this "
        "address has letters other than a–z before the @. Turn on SMTPUTF8 on the mail "
        "server, then retry the message."
    ),
    "address": _l("No mail server can take this address (its domain is not valid)."),
    "render": _l(
        "The message could not be written from what was saved with it (a template error). "
        "Correct the template, then retry the message."
    ),
    "anonymised": _l(
        "The person's data was anonymised (retention or erasure) before the message was sent."
    ),
}


class PermanentFailure(Exception):
    """Sending this message can never succeed as it is: fail it now, do not retry."""

    def __init__(self, reason: str, error: str) -> None:
        super().__init__(error)
        self.reason = reason  # a key of PERMANENT_FAILURES
        self.error = error


def _sender() -> tuple[str, str]:
    """MAIL_DEFAULT_SENDER as (display name, address): "Name <address>", a tuple or an address."""
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "noreply@motesplats.example"
    if isinstance(sender, tuple | list):
        return str(sender[0]), str(sender[-1])
    name, address = parseaddr(sender)
    return name, address or "noreply@motesplats.example"


@dataclass
class OutgoingMail:
    """One outbox row as an email, with its SMTP envelope."""

    mail: EmailMessage
    sender: str  # MAIL FROM
    recipient: str  # RCPT TO: the domain in IDNA
    international: bool  # the envelope needs SMTPUTF8

    def as_bytes(self) -> bytes:
        """The message as it goes out: headers in UTF-8 (RFC 6532) only when international."""
        if self.international:
            return self.mail.as_bytes(policy=self.mail.policy.clone(utf8=True))
        return self.mail.as_bytes()


def _content_type(value: str) -> tuple[str, str, dict[str, str]]:
    header = email.policy.default.header_factory("content-type", value)
    return header.maintype, header.subtype, dict(header.params)


def build_message(
    message_id: int, created_at: datetime, to: str, content: RenderedMail
) -> OutgoingMail:
    """Outbox row `message_id` as an email to `to`: text and HTML alternatives, then the
    attachments; PermanentFailure when the address has no form a mail server could take."""
    try:
        recipient = smtp_address(to)
        international = needs_smtputf8(to)
        name, sender_address = _sender()
        sender = smtp_address(sender_address)
    except UnsendableAddress as err:
        raise PermanentFailure("address", f"UnsendableAddress: {err}") from err

    mail = EmailMessage(policy=email.policy.SMTP)
    mail["Subject"] = content.subject
    mail["From"] = Address(display_name=name, addr_spec=sender)
    # ASCII when it can be (the IDNA domain); as typed, in UTF-8, when it needs SMTPUTF8.
    mail["To"] = to.strip() if international else recipient
    mail["Date"] = formatdate(localtime=True)
    # One Message-ID per outbox row, so a receiving system can recognise a repeat.
    domain = sender.rsplit("@", 1)[-1]
    mail["Message-ID"] = f"<outbox-{message_id}.{int(created_at.timestamp())}@{domain}>"
    mail["X-Outbox-Id"] = str(message_id)
    if content.unsubscribe_url:
        mail["List-Unsubscribe"] = f"<{content.unsubscribe_url}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # Quoted-printable: 7-bit safe on a server without 8BITMIME, readable in the source.
    mail.set_content(content.body_text, cte="quoted-printable")
    if content.body_html is not None:
        mail.add_alternative(content.body_html, subtype="html", cte="quoted-printable")
    for attachment in content.attachments:
        maintype, subtype, params = _content_type(attachment["content_type"])
        data = attachment["data"]
        if attachment.get("encoding") == "base64":
            payload: bytes = base64.b64decode(data)
        else:
            payload = data.encode("utf-8")  # text is sent as UTF-8, base64-encoded
            if maintype == "text":
                params.setdefault("charset", "utf-8")
        mail.add_attachment(
            payload,
            maintype=maintype,
            subtype=subtype,
            filename=attachment["filename"],
            params=params,
        )
    return OutgoingMail(mail, sender, recipient, international)


def outbox_dir() -> Path:
    return Path(
        current_app.config.get("MAIL_OUTBOX_DIR") or Path(current_app.instance_path) / "mail"
    )


def write_eml(message_id: int, kind: str, outgoing: OutgoingMail) -> Path:
    """The message as an .eml file in outbox_dir() (no MAIL_SERVER configured)."""
    folder = outbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{message_id:08d}-{kind}.eml"
    temporary = path.with_suffix(".eml.tmp")
    temporary.write_bytes(outgoing.as_bytes())
    temporary.replace(path)
    return path


def is_connection_error(err: BaseException) -> bool:
    """The SMTP session is gone (as opposed to one message being refused)."""
    if isinstance(err, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(err, OSError) and not isinstance(err, smtplib.SMTPException)


def send(smtp: smtplib.SMTP | None, outgoing: OutgoingMail) -> None:
    """Send one message over an open session (None: MAIL_SUPPRESS_SEND, nothing goes out).

    smtplib's send_message() asks for SMTPUTF8 (and BODY=8BITMIME) itself when the envelope
    is not ASCII, and refuses, before a word is sent, when the server does not offer it: the
    session stays usable for the rest of the batch. (Flask-Mail's send() uses sendmail(),
    which does neither.)"""
    if smtp is None:
        return
    try:
        smtp.send_message(outgoing.mail, outgoing.sender, [outgoing.recipient])
    except smtplib.SMTPNotSupportedError as err:
        raise PermanentFailure("smtputf8", f"{type(err).__name__}: {err}") from err
