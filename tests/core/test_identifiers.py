"""Organisation numbers as DOMAIN.md describes them."""

import pytest
from flask_babel import force_locale

from core.identifiers import InvalidOrgNumber, normalise_org_number


@pytest.mark.parametrize(
    "given, country, stored",
    [
        ("212000-0142", "SE", "212000-0142"),  # Stockholm
        ("2120001355", "SE", "212000-1355"),  # Göteborg, without the hyphen
        (" 556036-0793 ", "SE", "556036-0793"),  # Saab
        ("16556036-0793", "SE", "556036-0793"),  # the 16-prefixed long form
        ("0201256-6", "FI", "0201256-6"),  # Helsinki
        ("01246109", "FI", "0124610-9"),  # Vantaa, without the hyphen
        ("2229500-6", "FI", "2229500-6"),  # THL
        ("", "SE", None),
        ("GB123456789", "other", "GB123456789"),
    ],
)
def test_valid_numbers_are_stored_normalised(app, given, country, stored):
    assert normalise_org_number(given, country) == stored


@pytest.mark.parametrize(
    "given, country, says",
    [
        ("212000-0143", "SE", "check digit"),
        ("21200-0142", "SE", "ten digits"),
        ("811218-9876", "SE", "personal identity number"),  # a person's number: digits 3-4 = 12
        ("0201256-7", "FI", "check digit"),
        ("1234567-2", "FI", "check digit"),  # 1234567-1 is the valid one
        ("12345", "FI", "NNNNNNN-N"),
    ],
)
def test_invalid_numbers_are_refused_with_a_reason(app, given, country, says):
    with force_locale("en"), pytest.raises(InvalidOrgNumber) as err:
        normalise_org_number(given, country)
    with force_locale("en"):
        assert says in str(err.value.args[0])


def test_finnish_remainder_one_is_never_valid(app):
    # Weights 7,9,10,5,8,4,2 over 0000001 give 2; over 1000000 give 7; 1000010 gives 11 -> r=0.
    # Find a seven-digit body whose remainder is 1 and check every check digit is refused.
    weights = (7, 9, 10, 5, 8, 4, 2)
    body = next(
        f"{n:07d}"
        for n in range(1, 10_000)
        if sum(int(d) * w for d, w in zip(f"{n:07d}", weights, strict=True)) % 11 == 1
    )
    for check in range(10):
        with pytest.raises(InvalidOrgNumber):
            normalise_org_number(f"{body}-{check}", "FI")
