"""A period of time, ``from <= t < to``, either bound open: what the DSA exports, submissions and
reports cover. The edges parse it once (``period``) from what a request or a command line says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reprieve.domain.errors import ValidationError
from reprieve.domain.time import format_instant, parse_instant, to_micros

_END_OF_TIME = 2**62


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime | None
    end: datetime | None

    @property
    def start_us(self) -> int:
        return to_micros(self.start) if self.start else -_END_OF_TIME

    @property
    def end_us(self) -> int:
        return to_micros(self.end) if self.end else _END_OF_TIME

    def label(self) -> tuple[str, str]:
        return format_instant(self.start) or "", format_instant(self.end) or ""


def period(start: str | datetime | None, end: str | datetime | None, *, required: bool = False) -> Period:
    """``from <= t < to``; dates are read as midnight UTC."""
    if required and (start is None or end is None):
        raise ValidationError("a period needs both from and to", field="from" if start is None else "to")
    begin = parse_instant(start, field="from") if start is not None else None
    finish = parse_instant(end, field="to") if end is not None else None
    if begin is not None and finish is not None and finish <= begin:
        raise ValidationError("must be after from", field="to")
    return Period(begin, finish)
