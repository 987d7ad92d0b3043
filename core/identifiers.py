"""Organisation numbers: Swedish organisationsnummer and Finnish Y-tunnus (DOMAIN.md)."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

COUNTRIES = ("SE", "FI", "other")


class InvalidOrgNumber(ValueError):
    """Its message is a lazy translated string, ready to show."""


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def normalise_swedish(value: str) -> str:
    digits = re.sub(r"[\s-]", "", value)
    if len(digits) == 12 and digits.startswith("16"):  # the 16-prefixed long form
        digits = digits[2:]
    if not re.fullmatch(r"\d{10}", digits):
        raise InvalidOrgNumber(_l("A Swedish organisation number has ten digits: NNNNNN-NNNN."))
    if int(digits[2:4]) < 20:
        raise InvalidOrgNumber(
            _l(
                "This looks like a personal identity number, not an organisation number "
                "(digits 3 and 4 of an organisation number form a number of at least 20). "
                "Please give your organisation's number, or leave the field empty."
            )
        )
    if not _luhn_ok(digits):
        raise InvalidOrgNumber(_l("The organisation number's check digit is wrong."))
    return f"{digits[:6]}-{digits[6:]}"


_FI_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)


def normalise_finnish(value: str) -> str:
    compact = re.sub(r"\s", "", value)
    if re.fullmatch(r"\d{6}-\d", compact):  # old IDs with six digits take a leading zero
        compact = "0" + compact
    if not re.fullmatch(r"\d{7}-?\d", compact):
        raise InvalidOrgNumber(_l("A Finnish business ID has the form NNNNNNN-N."))
    digits = compact.replace("-", "")
    r = sum(int(d) * w for d, w in zip(digits[:7], _FI_WEIGHTS, strict=True)) % 11
    if r == 1 or int(digits[7]) != (0 if r == 0 else 11 - r):
        raise InvalidOrgNumber(_l("The business ID's check digit is wrong."))
    return f"{digits[:7]}-{digits[7]}"


def normalise_org_number(value: str | None, country: str) -> str | None:
    """The number in its normal form, None when empty; InvalidOrgNumber when it is not valid."""
    value = (value or "").strip()
    if not value:
        return None
    if country == "SE":
        return normalise_swedish(value)
    if country == "FI":
        return normalise_finnish(value)
    if len(value) > 40:
        raise InvalidOrgNumber(_l("The organisation number is too long."))
    return value
