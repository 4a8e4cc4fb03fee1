"""The rule of a backdated decision (``domain.backdating``, PRODUCT.md section 8): more than 24
hours before its recording needs a reason; exactly 24 hours does not; a reason given when it is
not backdated is ignored; the message says by how much."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reprieve.domain.backdating import backdating_reason, describe, is_backdated, parse_backdated_reason
from reprieve.domain.errors import ValidationError

RECORDED = datetime(2024, 6, 1, 12, tzinfo=UTC)


def test_more_than_24_hours_back_is_backdated_and_exactly_24_is_not() -> None:
    assert not is_backdated(RECORDED - timedelta(hours=24), RECORDED)
    assert is_backdated(RECORDED - timedelta(hours=24, microseconds=1), RECORDED)
    assert not is_backdated(RECORDED + timedelta(days=3), RECORDED)  # a scheduled change is not backdated


def test_a_backdated_decision_without_a_reason_is_refused_saying_by_how_much() -> None:
    with pytest.raises(ValidationError) as caught:
        backdating_reason(RECORDED - timedelta(days=2, hours=3), RECORDED, None, field="effective_at")
    assert caught.value.field == "backdated_reason"
    assert "backdated by 2 days 3 hours" in str(caught.value) and "effective_at" in str(caught.value)
    assert backdating_reason(RECORDED - timedelta(days=2), RECORDED, "late", field="effective_at") == "late"


def test_a_reason_for_a_decision_not_backdated_is_ignored() -> None:
    assert backdating_reason(RECORDED - timedelta(hours=1), RECORDED, "late", field="starts_at") is None


def test_a_reason_is_text_within_bounds() -> None:
    assert parse_backdated_reason(None) is None
    assert parse_backdated_reason("   ") is None  # blank counts as none, which a backdated decision refuses
    assert parse_backdated_reason("  why  ") is not None
    with pytest.raises(ValidationError):
        parse_backdated_reason("x" * 2001)
    with pytest.raises(ValidationError):
        parse_backdated_reason("bell\x07")


def test_describe() -> None:
    assert describe(timedelta(days=1, minutes=30)) == "1 day 30 minutes"
    assert describe(timedelta(days=1100, hours=2)) == "1100 days 2 hours"
    assert describe(timedelta(seconds=20)) == "less than a minute"
