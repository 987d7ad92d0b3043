"""Email addresses: one stored form for every way of typing an address, and the SMTP forms."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from hypothesis import given
from hypothesis import strategies as st

from core.addresses import (
    InvalidEmail,
    UnsendableAddress,
    email_key,
    needs_smtputf8,
    normalise_email,
    smtp_address,
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("anna@example.se", "anna@example.se"),
        (" Anna@Example.SE ", "anna@example.se"),
        ("ａｎｎａ＠ｅｘａｍｐｌｅ．ｓｅ", "anna@example.se"),  # full width, at sign and dot too
        ("ａｎｎａ@example.se", "anna@example.se"),
        ("ﬁnn@example.se", "finn@example.se"),  # the ligature ﬁ is f + i (NFKC)
        ("anna@malmö.se", "anna@malmö.se"),
        ("Anna@MALMÖ.SE", "anna@malmö.se"),
        ("anna@xn--malm-8qa.se", "anna@malmö.se"),  # the IDNA form is the same domain
        ("anna@malmo\u0308.se", "anna@malmö.se"),  # o + combining diaeresis
        ("Åsa.Öberg@Exempel.se", "åsa.öberg@exempel.se"),
        ("jürgen@straße.de", "jürgen@straße.de"),  # lower(), not casefold(): ß stays ß
    ],
)
def test_every_way_of_typing_an_address_has_one_stored_form(typed: str, stored: str) -> None:
    assert normalise_email(typed) == stored
    assert email_key(typed) == stored


@pytest.mark.parametrize(
    "typed", ["", "anna", "anna@", "@example.se", "anna@@example.se", "anna@exa mple.se"]
)
def test_what_is_not_an_address_is_refused_with_a_message(app, typed: str) -> None:
    with pytest.raises(InvalidEmail) as caught:
        normalise_email(typed)
    with force_locale("en"):
        assert "valid email address" in str(caught.value.args[0])


def test_a_lookup_key_never_fails() -> None:
    assert email_key(" ＡＤＭＩＮ＠localhost ") == "admin@localhost"
    assert email_key("not an address") == "not an address"


@given(
    local=st.text(
        alphabet=st.sampled_from("abcxyzåäöüßÅÄÖABCﬁａｂｃＡ.-_0123456789"), min_size=1, max_size=20
    ),
    domain=st.sampled_from(
        ["example.se", "Malmö.SE", "xn--malm-8qa.se", "ｅｘａｍｐｌｅ．ｆｉ", "straße.de"]
    ),
)
def test_the_stored_form_is_its_own_stored_form(local: str, domain: str) -> None:
    try:
        stored = normalise_email(f"{local}@{domain}")
    except InvalidEmail:
        return  # dots at the ends or twice in a row: not an address
    assert normalise_email(stored) == stored
    if "ß" not in stored:  # "ß".upper() is "SS", another mailbox
        assert normalise_email(stored.upper()) == stored


@pytest.mark.parametrize(
    ("stored", "envelope", "smtputf8"),
    [
        ("anna@example.se", "anna@example.se", False),
        ("anna@malmö.se", "anna@xn--malm-8qa.se", False),
        ("jürgen@straße.de", "jürgen@xn--strae-oqa.de", True),  # IDNA 2008: ß is kept
        ("åsa.öberg@exempel.se", "åsa.öberg@exempel.se", True),
        ("åsa@malmö.se", "åsa@xn--malm-8qa.se", True),
    ],
)
def test_smtp_forms(stored: str, envelope: str, smtputf8: bool) -> None:
    assert smtp_address(stored) == envelope
    assert needs_smtputf8(stored) is smtputf8


@pytest.mark.parametrize("address", ["no-at-sign", "anna@", "anna@ä..se"])
def test_an_address_without_an_smtp_form_says_so(address: str) -> None:
    with pytest.raises(UnsendableAddress):
        smtp_address(address)
