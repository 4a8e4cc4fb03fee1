"""Instants (RFC 3339, UTC) and durations (ISO 8601)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from reprieve.domain.errors import ValidationError
from reprieve.domain.time import (
    END_OF_TIME,
    end_from_micros,
    end_to_micros,
    format_instant,
    from_micros,
    parse_duration,
    parse_instant,
    to_micros,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class TestParseInstant:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("2021-01-07T00:00:00Z", utc(2021, 1, 7)),
            ("2021-01-07T01:30:00+01:30", utc(2021, 1, 7)),
            ("2021-01-06T19:00:00-05:00", utc(2021, 1, 7)),
            ("2021-01-07T00:00:00.250000Z", utc(2021, 1, 7, 0, 0, 0, 250_000)),
            ("  2021-01-07T00:00:00Z ", utc(2021, 1, 7)),
            ("2021-01-07", utc(2021, 1, 7)),  # a bare date is midnight UTC
            ("2021-01-07t00:00:00z", utc(2021, 1, 7)),  # RFC 3339 allows lower case
            ("2021-01-07 00:00:00Z", utc(2021, 1, 7)),  # ... and a space
        ],
    )
    def test_reads_rfc3339_into_utc(self, text: str, expected: datetime) -> None:
        parsed = parse_instant(text)
        assert parsed == expected
        assert parsed.utcoffset() == timedelta(0)

    def test_converts_an_aware_datetime_to_utc(self) -> None:
        paris = timezone(timedelta(hours=1))
        assert parse_instant(datetime(2021, 1, 7, 1, tzinfo=paris)) == utc(2021, 1, 7)
        assert parse_instant(datetime(2021, 1, 7, 1, tzinfo=paris)).tzinfo is UTC

    @pytest.mark.parametrize(
        "text",
        ["", "   ", "yesterday", "2021-13-01T00:00:00Z", "2021-02-30", "07/01/2021", "2021-01-07T00:00:00"],
    )
    def test_refuses_what_is_not_an_aware_instant(self, text: str) -> None:
        with pytest.raises(ValidationError) as caught:
            parse_instant(text, field="starts_at")
        assert caught.value.field == "starts_at"

    @pytest.mark.parametrize("value", [None, 1610000000, 1.5, ["2021-01-07"]])
    def test_refuses_what_is_not_text(self, value: object) -> None:
        with pytest.raises(ValidationError) as caught:
            parse_instant(value, field="ends_at")  # type: ignore[arg-type]
        assert caught.value.field == "ends_at"

    def test_refuses_a_naive_datetime(self) -> None:
        with pytest.raises(ValidationError, match="time zone"):
            parse_instant(datetime(2021, 1, 7))


class TestFormatInstant:
    def test_writes_utc_with_a_z(self) -> None:
        assert format_instant(utc(2021, 1, 7)) == "2021-01-07T00:00:00Z"
        eastern = timezone(timedelta(hours=-5))
        assert format_instant(datetime(2021, 1, 6, 19, tzinfo=eastern)) == "2021-01-07T00:00:00Z"

    def test_writes_microseconds_only_when_there_are_some(self) -> None:
        assert format_instant(utc(2021, 1, 7, 0, 0, 0, 5)) == "2021-01-07T00:00:00.000005Z"

    def test_none_stays_none(self) -> None:
        assert format_instant(None) is None

    @pytest.mark.parametrize("value", [utc(2021, 1, 7), utc(1999, 12, 31, 23, 59, 59, 999_999)])
    def test_round_trips(self, value: datetime) -> None:
        text = format_instant(value)
        assert text is not None
        assert parse_instant(text) == value


class TestParseDuration:
    @pytest.mark.parametrize(
        ("text", "start", "expected"),
        [
            ("P30D", utc(2021, 1, 7), utc(2021, 2, 6)),
            ("PT48H", utc(2021, 1, 7), utc(2021, 1, 9)),
            ("P2W", utc(2021, 1, 7), utc(2021, 1, 21)),
            ("PT90M", utc(2021, 1, 7), utc(2021, 1, 7, 1, 30)),
            ("P1Y2M3DT4H5M6S", utc(2021, 1, 7), utc(2022, 3, 10, 4, 5, 6)),
            ("P2Y", utc(2021, 1, 7), utc(2023, 1, 7)),  # Meta's "initial period of two years"
            ("p30d", utc(2021, 1, 7), utc(2021, 2, 6)),
            # Calendar units clamp to the end of a shorter month...
            ("P2Y", utc(2020, 2, 29, 12), utc(2022, 2, 28, 12)),
            ("P1Y", utc(2024, 2, 29), utc(2025, 2, 28)),
            ("P4Y", utc(2024, 2, 29), utc(2028, 2, 29)),
            ("P1M", utc(2024, 1, 31), utc(2024, 2, 29)),
            ("P1M", utc(2023, 1, 31), utc(2023, 2, 28)),
            ("P13M", utc(2023, 12, 31), utc(2025, 1, 31)),
            # ...exact units do not: a year of days is not a year.
            ("P365D", utc(2020, 2, 29), utc(2021, 2, 28)),
            ("P366D", utc(2020, 1, 1), utc(2021, 1, 1)),
        ],
    )
    def test_adds_calendar_and_exact_units(self, text: str, start: datetime, expected: datetime) -> None:
        assert parse_duration(text).after(start) == expected

    def test_keeps_its_text(self) -> None:
        assert str(parse_duration(" p2y ")) == "P2Y"

    @pytest.mark.parametrize(
        "text",
        ["", "P", "PT", "30D", "P1.5Y", "P-1D", "PT1D", "P1H", "P1DT", "2 years", "P0D", "PT0S", "P10000Y"],
    )
    def test_refuses_bad_durations(self, text: str) -> None:
        with pytest.raises(ValidationError) as caught:
            parse_duration(text, field="duration")
        assert caught.value.field == "duration"

    @pytest.mark.parametrize("value", [None, 30, ["P1D"]])
    def test_refuses_what_is_not_text(self, value: object) -> None:
        with pytest.raises(ValidationError):
            parse_duration(value)  # type: ignore[arg-type]

    def test_refuses_an_end_beyond_the_calendar(self) -> None:
        with pytest.raises(ValidationError, match="out of range"):
            parse_duration("P9000Y").after(utc(2021, 1, 7))
        with pytest.raises(ValidationError, match="out of range"):
            parse_duration("P3650000D").after(utc(2021, 1, 7))


class TestMicros:
    def test_round_trips(self) -> None:
        for value in (utc(1970, 1, 1), utc(2021, 1, 7, 0, 0, 0, 1), utc(1960, 5, 1)):
            assert from_micros(to_micros(value)) == value
        assert to_micros(utc(1970, 1, 1, 0, 0, 1)) == 1_000_000

    def test_orders_like_instants(self) -> None:
        assert to_micros(utc(2021, 1, 7)) < to_micros(utc(2021, 1, 7, 0, 0, 0, 1))

    def test_no_end_is_the_end_of_time(self) -> None:
        assert end_to_micros(None) == END_OF_TIME
        assert end_from_micros(END_OF_TIME) is None
        assert end_from_micros(None) is None
        assert to_micros(datetime.max.replace(tzinfo=UTC)) < END_OF_TIME
        assert end_from_micros(end_to_micros(utc(2023, 1, 7))) == utc(2023, 1, 7)
