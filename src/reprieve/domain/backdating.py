"""Backdated decisions (PRODUCT.md section 8): a decision whose own instant lies more than
``TOLERANCE`` before it is recorded must say why.

A decision's own instant is a creation's ``starts_at``, an amendment's, a lift's, a review
decision's or an amnesty's ``effective_at``; it is judged against the instant the unit of work
records it at (read once the write lock is held), whoever asks (API, console, command line).
A ``backdated_reason`` given to a decision that is not backdated is accepted and ignored: a form
may always send the field, and nothing is marked that was not backdated. Imports (history
written by nature after the fact) and the reported facts (a violation's ``occurred_at``, a
letter's ``received_at``) are not decisions: they need no reason.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from reprieve.domain.errors import ValidationError
from reprieve.domain.model import ensure_text
from reprieve.domain.time import format_instant

#: How far before its recording a decision may take effect without a reason (a day's slack for
#: a decision written down the morning after).
TOLERANCE = timedelta(hours=24)
#: The longest reason, as long as an amendment's or a lift's.
MAX_REASON = 2000
#: The ``personal_data`` kind of a backdated decision's reason (staff's free text, kept outside
#: the chain: it may name people).
REASON_KIND = "decision.backdated_reason"


def parse_backdated_reason(value: str | None) -> str | None:
    """A ``backdated_reason`` as an edge gave it: None, or a non-blank text of at most
    ``MAX_REASON`` characters (a blank text counts as none)."""
    if value is None:
        return None
    text = ensure_text(value, field="backdated_reason", max_length=MAX_REASON, required=False)
    return text or None


def is_backdated(decided_at: datetime, recorded_at: datetime) -> bool:
    """More than ``TOLERANCE`` before it is recorded (exactly 24 hours is not backdated)."""
    return recorded_at - decided_at > TOLERANCE


def backdating_reason(decided_at: datetime, recorded_at: datetime, reason: str | None, *, field: str) -> str | None:
    """The reason to record with a decision taking effect at ``decided_at`` (its ``field``) and
    recorded at ``recorded_at``: None when it is not backdated (a reason given is ignored), the
    reason when it is; ValidationError naming ``backdated_reason`` when it is and has none."""
    if not is_backdated(decided_at, recorded_at):
        return None
    if reason is None:
        raise ValidationError(
            f"the decision is backdated by {describe(recorded_at - decided_at)}: its {field} "
            f"({format_instant(decided_at)}) lies more than 24 hours before it is recorded "
            f"({format_instant(recorded_at)}); give backdated_reason, saying why it takes effect "
            "before it was decided, or leave the date out",
            field="backdated_reason",
        )
    return reason


def describe(delta: timedelta) -> str:
    """``3 days 4 hours``, ``1 day 30 minutes``: the whole days, hours and minutes of ``delta``."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute"))]
    shown = [p for p, n in zip(parts, (days, hours, minutes), strict=True) if n]
    return " ".join(shown) or "less than a minute"
