"""The one parser of the console's duration fields: ISO 8601 or words, in English and French."""

from __future__ import annotations

import pytest

from reprieve.domain.errors import ValidationError
from reprieve.domain.time import parse_duration, parse_duration_input


@pytest.mark.parametrize(
    ("typed", "iso"),
    [
        ("7 days", "P7D"),
        ("1 day", "P1D"),
        ("48 hours", "PT48H"),
        ("1 week", "P1W"),
        ("2 years", "P2Y"),
        ("3 months", "P3M"),
        ("30 minutes", "PT30M"),
        ("7 jours", "P7D"),
        ("2 ans", "P2Y"),
        ("1 an", "P1Y"),
        ("6 mois", "P6M"),
        ("2 semaines", "P2W"),
        ("12 heures", "PT12H"),
        ("3 années", "P3Y"),
        ("1 year and 6 months", "P1Y6M"),
        ("1 an et 2 mois", "P1Y2M"),
        ("1 year, 2 days", "P1Y2D"),
        ("  7   Days ", "P7D"),
        ("7d", "P7D"),
        ("P30D", "P30D"),
        ("p2y", "P2Y"),
        ("PT48H", "PT48H"),
    ],
)
def test_words_and_iso_8601_give_the_domain_duration(typed: str, iso: str) -> None:
    assert parse_duration_input(typed) == parse_duration(iso)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "seven days",
        "7",
        "days",
        "7 parsecs",
        "days 7",
        "1 day 2 days",
        "7 days or so",
        "0 days",
        "P",
        "P7X",
        "99999999999999999999 days",
        "100000 years",
        "-7 days",
    ],
)
def test_anything_else_is_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_duration_input(typed, field="probation")
    assert refused.value.field == "probation"
