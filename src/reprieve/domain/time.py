"""Instants (RFC 3339, UTC) and durations (ISO 8601), and their integer form.

Projections store instants as integer microseconds since the epoch so that SQLite and
PostgreSQL compare them identically; ``END_OF_TIME`` stands for "no end".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from reprieve.domain.errors import ValidationError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Microseconds of 9999-12-31T23:59:59.999999Z + 1: later than any instant a datetime can hold.
END_OF_TIME = 253402300800000000

_SHORT_YEAR = re.compile(r"^\d{1,3}-\d\d-\d\dT")
_OUT_OF_RANGE = "{} is out of the range of instants (0001-01-01 to 9999-12-31 in UTC)"

#: The longest exact part of a duration, in days (about 10,000 years): longer than any term.
MAX_DURATION_DAYS = 3_650_000
#: A duration component of more digits than this is longer than any term whatever its unit.
_MAX_DIGITS = 18

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def _shown(value: str) -> str:
    """``value`` quoted for a message, cut short if it is long."""
    return repr(value) if len(value) <= 40 else repr(value[:37] + "...")


def parse_instant(value: str | datetime, *, field: str = "instant") -> datetime:
    """Parse an RFC 3339 instant (or a bare date, read as midnight UTC) into an aware UTC datetime."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValidationError("an instant needs a time zone offset, e.g. Z", field=field)
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValidationError(_OUT_OF_RANGE.format(value.isoformat()), field=field) from None
    if not isinstance(value, str):
        raise ValidationError(f"{value!r} is not an RFC 3339 instant such as 2021-01-07T00:00:00Z", field=field)
    text = value.strip()
    if not text:
        raise ValidationError("empty instant", field=field)
    if len(text) > 64:
        raise ValidationError("is not an RFC 3339 instant such as 2021-01-07T00:00:00Z", field=field)
    if text[-1] == "z":  # RFC 3339 allows a lower-case z, which fromisoformat does not read
        text = text[:-1] + "Z"
    if _SHORT_YEAR.match(text):  # format_instant writes years before 1000 unpadded: read them back
        year, _, rest = text.partition("-")
        text = f"{year.zfill(4)}-{rest}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"{value!r} is not an RFC 3339 instant such as 2021-01-07T00:00:00Z", field=field
        ) from None
    if len(text) == 10:  # a bare date
        parsed = parsed.replace(tzinfo=UTC)
    if parsed.tzinfo is None:
        raise ValidationError(f"{value!r} has no time zone offset; write it as e.g. {text}Z", field=field)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-23:59 is past year 9999 in UTC
        raise ValidationError(_OUT_OF_RANGE.format(_shown(value)), field=field) from None


def format_instant(value: datetime | None) -> str | None:
    """RFC 3339 in UTC with a Z, microseconds only when there are some."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return _format_utc(value)


@lru_cache(maxsize=4096)
def _format_utc(value: datetime) -> str:
    # Cached: one command formats the same few instants many times (its own, the sanction's
    # start, the strike's), and a cache hit costs a tenth of formatting.
    if value.year < 1000:  # strftime does not pad these years; keep what earlier events hold
        pattern = "%Y-%m-%dT%H:%M:%S.%fZ" if value.microsecond else "%Y-%m-%dT%H:%M:%SZ"
        return value.strftime(pattern)
    # isoformat is several times faster than strftime and omits zero microseconds the same way.
    return value.isoformat()[:-6] + "Z"


@dataclass(frozen=True, slots=True)
class Duration:
    """An ISO 8601 duration; years and months are calendar units, the rest are exact."""

    text: str
    years: int = 0
    months: int = 0
    exact: timedelta = timedelta(0)

    def after(self, start: datetime, *, field: str | None = None) -> datetime:
        """The instant this duration after ``start`` (end-of-month days are clamped); past year
        9999 it is a ValidationError naming ``field``."""
        try:
            shifted = start
            if self.years or self.months:
                total_months = start.month - 1 + self.months + 12 * self.years
                year = start.year + total_months // 12
                month = total_months % 12 + 1
                day = min(start.day, calendar.monthrange(year, month)[1])
                shifted = start.replace(year=year, month=month, day=day)
            return shifted + self.exact
        except (ValueError, OverflowError):
            raise ValidationError(f"{self.text} after {format_instant(start)} is out of range", field=field) from None

    def __str__(self) -> str:
        return self.text


def parse_duration(value: str, *, field: str = "duration") -> Duration:
    """Parse an ISO 8601 duration such as P2Y, P30D or PT48H."""
    if isinstance(value, str):
        return _parse_duration_text(value, field)
    raise ValidationError(f"{value!r} is not an ISO 8601 duration such as P2Y, P30D or PT48H", field=field)


@lru_cache(maxsize=1024)
def _parse_duration_text(value: str, field: str) -> Duration:
    # Cached: a bulk import names the same few durations (P7D, P30D, P1Y) again and again.
    match = _DURATION.match(value.strip().upper())
    if match is None:
        raise ValidationError(f"{_shown(value)} is not an ISO 8601 duration such as P2Y, P30D or PT48H", field=field)
    too_long = ValidationError(f"{_shown(value)} is longer than any term Reprieve can hold", field=field)
    groups = match.groupdict()
    if any(v is not None and len(v.lstrip("0")) > _MAX_DIGITS for v in groups.values()):
        raise too_long  # before int(): no huge numbers, and no timedelta that overflows
    parts = {k: int(v.lstrip("0") or "0") if v else 0 for k, v in groups.items()}
    seconds = (
        (parts["weeks"] * 7 + parts["days"]) * 86_400 + parts["hours"] * 3600 + parts["minutes"] * 60 + parts["seconds"]
    )
    if parts["years"] > 9999 or parts["months"] > 9999 * 12 or seconds // 86_400 > MAX_DURATION_DAYS:
        raise too_long
    exact = timedelta(seconds=seconds)
    duration = Duration(value.strip().upper(), parts["years"], parts["months"], exact)
    if duration.years == 0 and duration.months == 0 and not exact:
        raise ValidationError(f"{value!r} is a zero duration", field=field)
    return duration


#: The units a person types, in English and French, as the ISO 8601 designator they stand for
#: (``T`` marks a time unit). Plurals and a few abbreviations are listed; accents are optional.
_HUMAN_UNITS = {
    **dict.fromkeys(("y", "yr", "yrs", "year", "years", "an", "ans", "annee", "annees", "année", "années"), "Y"),
    **dict.fromkeys(("mo", "month", "months", "mois"), "M"),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks", "semaine", "semaines", "sem"), "W"),
    **dict.fromkeys(("d", "day", "days", "j", "jour", "jours"), "D"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours", "heure", "heures"), "TH"),
    **dict.fromkeys(("min", "mins", "minute", "minutes"), "TM"),
}
_HUMAN_PART = re.compile(r"(\d{1,18})\s*([^\W\d_]+)")
_HUMAN_GLUE = re.compile(r"^(?:\s|,|\band\b|\bet\b)*$")
_DURATION_ORDER = ("Y", "M", "W", "D", "TH", "TM")


def parse_duration_input(value: str, *, field: str = "duration") -> Duration:
    """A duration as a person types it into a form: ISO 8601 (``P30D``) or words in English or
    French (``7 days``, ``48 hours``, ``1 week``, ``2 years``, ``7 jours``, ``2 ans``, ``1 year and
    6 months``), as the domain's Duration; anything else is a ValidationError naming ``field``.
    The one parser of the console's duration fields (the API and files take ISO 8601 only)."""
    given = value.strip() if isinstance(value, str) else ""
    if given[:1] in ("P", "p"):
        return parse_duration(given, field=field)
    lowered = given.lower()
    parts = list(_HUMAN_PART.finditer(lowered))
    starts, ends = [0, *(m.end() for m in parts)], [*(m.start() for m in parts), len(lowered)]
    glue = [lowered[a:b] for a, b in zip(starts, ends, strict=True)]
    amounts: dict[str, int] = {}
    understood = bool(parts) and all(_HUMAN_GLUE.match(piece) for piece in glue)
    for match in parts if understood else ():
        unit = _HUMAN_UNITS.get(match.group(2))
        if unit is None or unit in amounts:
            understood = False
            break
        amounts[unit] = int(match.group(1))
    if not understood:
        raise ValidationError(
            f"{_shown(given)} is not a duration: type, for example, 7 days, 48 hours, 2 years or P30D", field=field
        )
    date_part = "".join(f"{amounts[u]}{u}" for u in _DURATION_ORDER[:4] if u in amounts)
    time_part = "".join(f"{amounts[u]}{u[1]}" for u in _DURATION_ORDER[4:] if u in amounts)
    return parse_duration("P" + date_part + ("T" + time_part if time_part else ""), field=field)


def to_micros(value: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def end_to_micros(value: datetime | None) -> int:
    return END_OF_TIME if value is None else to_micros(value)


def end_from_micros(value: int | None) -> datetime | None:
    return None if value is None or value >= END_OF_TIME else from_micros(value)
