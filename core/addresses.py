"""Email addresses: the one form they are stored and compared in, and the forms SMTP needs.

Stored form (`normalise_email`): Unicode NFKC (a full-width ａｎｎａ＠ｅｘａｍｐｌｅ．ｓｅ is
anna@example.se), the whole address in lower case, the domain in its Unicode form
(anna@xn--malm-8qa.se is stored as anna@malmö.se). RFC 5321 lets a server treat the local part
as case-sensitive, but no mail system people use here does, and people type their address with
capitals one day and without the next: one registration per address must see both as the
same. Lower case, not `casefold()`, which would turn ß into ss and so name another mailbox.

SMTP form (`smtp_address`): the domain in IDNA (xn--malm-8qa.se) is understood by every mail
server; a local part with letters outside ASCII (åsa.öberg@…) needs a server that offers
SMTPUTF8 (RFC 6531), see `needs_smtputf8`.
"""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l


class InvalidEmail(ValueError):
    """Its message is a lazy translated string, ready to show."""


class UnsendableAddress(ValueError):
    """An address that no mail server can be given (its domain has no IDNA form)."""


def _compatible(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().lower()


def normalise_email(value: str) -> str:
    """The address in its stored form; InvalidEmail when it is not an address.

    Idempotent: the stored form of a stored form is itself."""
    text = _compatible(value)
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as err:
        raise InvalidEmail(_l("Enter a valid email address, such as name@example.se.")) from err
    return checked.normalized.lower()


def email_key(value: str) -> str:
    """The form to look an address up by: the stored form, or for something that is not an
    address (a typo at sign-in) the same NFKC and lower case, so a lookup never fails loudly."""
    try:
        return normalise_email(value)
    except InvalidEmail:
        return _compatible(value)


def _split(address: str) -> tuple[str, str]:
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        raise UnsendableAddress(f"not an address: {address!r}")
    return local, domain


def ascii_domain(domain: str) -> str:
    """The domain as DNS and SMTP know it: IDNA (A-labels) for å, ä, ö and the rest."""
    if domain.isascii():
        return domain.lower()
    try:
        # email_validator applies IDNA 2008 with UTS #46, as browsers and registries do.
        return validate_email(f"a@{domain}", check_deliverability=False).ascii_domain
    except EmailNotValidError as err:
        raise UnsendableAddress(f"the domain {domain!r} has no IDNA form: {err}") from err


def smtp_address(address: str) -> str:
    """The address for the SMTP envelope and for an ASCII header: local@xn--….

    The local part is left as it is: one outside ASCII needs SMTPUTF8."""
    local, domain = _split(address)
    return f"{local}@{ascii_domain(domain)}"


def needs_smtputf8(address: str) -> bool:
    """True when the local part has letters outside ASCII: no IDNA-like form exists for it,
    so only a server offering SMTPUTF8 can take it."""
    local, _domain = _split(address)
    return not local.isascii()
