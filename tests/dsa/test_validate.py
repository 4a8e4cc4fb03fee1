"""The local validator refuses each class of invalid statement, naming the field the database would."""

from __future__ import annotations

import json
from typing import Any

import pytest
from dsa_support import GOLDEN, with_puids

from reprieve.domain.errors import ValidationError
from reprieve.dsa import enums
from reprieve.dsa.validate import ensure_valid, problems


def valid(name: str = "suspension") -> dict[str, Any]:
    text = with_puids(
        (GOLDEN / "statements.json").read_text(),
        {
            "suspension": "snc_A",
            "termination": "snc_B",
            "restriction": "snc_C",
        },
    )
    statement: dict[str, Any] = json.loads(text)[name]
    return statement


def without(statement: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in statement.items() if k not in keys}


CASES: list[tuple[str, dict[str, Any], str]] = [
    # at least one of the four decision fields
    ("no decision at all", without(valid(), "decision_account", "end_date_account_restriction"), "decision_visibility"),
    # enumerations
    (
        "decision_account not in its list",
        {**valid(), "decision_account": "DECISION_ACCOUNT_BANNED"},
        "decision_account",
    ),
    (
        "decision_visibility not a list",
        {**valid(), "decision_visibility": "DECISION_VISIBILITY_CONTENT_REMOVED"},
        "decision_visibility",
    ),
    (
        "decision_provision unknown",
        {**valid(), "decision_provision": "DECISION_PROVISION_FOREVER"},
        "decision_provision",
    ),
    ("v1 category", {**valid(), "category": "STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT"}, "category"),
    (
        "v1 keyword",
        {**valid(), "category_specification": ["KEYWORD_ONLINE_BULLYING_INTIMIDATION"]},
        "category_specification",
    ),
    ("content type unknown", {**valid(), "content_type": ["CONTENT_TYPE_HOLOGRAM"]}, "content_type"),
    ("territory outside the EEA", {**valid(), "territorial_scope": ["FR", "CH"]}, "territorial_scope"),
    ("all of the EEA and more", {**valid(), "territorial_scope": [*enums.EEA_COUNTRIES, "CH"]}, "territorial_scope"),
    ("a territory not in a list", {**valid(), "territorial_scope": "FR"}, "territorial_scope"),
    ("source type of v1 wording", {**valid(), "source_type": "SOURCE_OTHER_NOTIFICATION"}, "source_type"),
    ("automated_detection as a boolean", {**valid(), "automated_detection": True}, "automated_detection"),
    ("automated_decision of v1", {**valid(), "automated_decision": "Yes"}, "automated_decision"),
    ("decision_ground unknown", {**valid(), "decision_ground": "DECISION_GROUND_OTHER"}, "decision_ground"),
    # fields required by a ground
    ("incompatible without its ground", without(valid(), "incompatible_content_ground"), "incompatible_content_ground"),
    (
        "incompatible without explanation",
        without(valid(), "incompatible_content_explanation"),
        "incompatible_content_explanation",
    ),
    (
        "illegal without legal ground",
        without(valid("termination"), "illegal_content_legal_ground"),
        "illegal_content_legal_ground",
    ),
    (
        "illegal without explanation",
        without(valid("termination"), "illegal_content_explanation"),
        "illegal_content_explanation",
    ),
    # fields required by an _OTHER value
    (
        "visibility other without text",
        {**valid(), "decision_visibility": ["DECISION_VISIBILITY_OTHER"]},
        "decision_visibility_other",
    ),
    (
        "monetary other without text",
        {**valid(), "decision_monetary": "DECISION_MONETARY_OTHER"},
        "decision_monetary_other",
    ),
    ("content type other without text", {**valid(), "content_type": ["CONTENT_TYPE_OTHER"]}, "content_type_other"),
    # required fields
    ("no content type", without(valid(), "content_type"), "content_type"),
    ("no facts", without(valid(), "decision_facts"), "decision_facts"),
    ("no content date", without(valid(), "content_date"), "content_date"),
    ("no puid", without(valid(), "puid"), "puid"),
    # maximum lengths
    ("facts too long", {**valid(), "decision_facts": "x" * 5001}, "decision_facts"),
    (
        "contractual ground too long",
        {**valid(), "incompatible_content_ground": "x" * 501},
        "incompatible_content_ground",
    ),
    (
        "explanation too long",
        {**valid(), "incompatible_content_explanation": "x" * 2001},
        "incompatible_content_explanation",
    ),
    ("puid too long", {**valid(), "puid": "p" * 501}, "puid"),
    ("puid with a space", {**valid(), "puid": "snc 1"}, "puid"),
    ("puid with a slash", {**valid(), "puid": "snc/1"}, "puid"),
    # dates: format and ranges
    ("content date before 2000", {**valid(), "content_date": "1999-12-31"}, "content_date"),
    ("application date before 2020", {**valid(), "application_date": "2019-12-31"}, "application_date"),
    (
        "application date after 2038",
        {**without(valid(), "end_date_account_restriction"), "application_date": "2038-01-02"},
        "application_date",
    ),
    (
        "end date before application",
        {**valid(), "end_date_account_restriction": "2024-03-03"},
        "end_date_account_restriction",
    ),
    ("end date after 2038", {**valid(), "end_date_account_restriction": "2040-01-01"}, "end_date_account_restriction"),
    ("date with a time", {**valid(), "application_date": "2024-03-04T10:00:00Z"}, "application_date"),
    ("date not a date", {**valid(), "content_date": "2024-02-30"}, "content_date"),
    # fields the schema does not have
    ("unknown field", {**valid(), "decision_severity": "high"}, "decision_severity"),
]


@pytest.mark.parametrize(("label", "statement", "field"), CASES, ids=[c[0] for c in CASES])
def test_the_validator_names_the_field(label: str, statement: dict[str, Any], field: str) -> None:
    found = problems(statement)
    assert [p.field for p in found] == [field], (label, found)
    with pytest.raises(ValidationError) as refused:
        ensure_valid(statement)
    assert refused.value.field == field


def test_valid_statements_of_each_decision_pass() -> None:
    for name in ("suspension", "termination", "restriction"):
        ensure_valid(valid(name))
    ensure_valid(
        {
            **without(valid(), "decision_account", "end_date_account_restriction"),
            "decision_visibility": ["DECISION_VISIBILITY_OTHER"],
            "decision_visibility_other": "Blurred",
        }
    )
