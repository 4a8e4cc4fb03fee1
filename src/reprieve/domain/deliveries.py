"""Delivery receipts of issued statements (PRODUCT.md section 8, "The user is informed"): when the
platform says the user received a statement, and by which channel. The first receipt counts.

``delivered_at`` reports a fact from outside: it needs no reason, but it is never before the
statement was issued nor in the future. ``channel`` is a short code of the platform's choosing
(``in_app``, ``email``, ``post``, ``other``...), never an address: it goes to the hash-chained log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from reprieve.domain.errors import ValidationError
from reprieve.domain.time import format_instant, parse_instant

#: A channel: a lower-case code, no address (no ``@``, no dot, no space): nothing personal fits.
CHANNEL = re.compile(r"[a-z][a-z0-9_-]{0,31}")
#: The channels the documentation names; any other code of the same shape is accepted.
KNOWN_CHANNELS = ("in_app", "email", "post", "sms", "other")


@dataclass(frozen=True, slots=True)
class Receipt:
    """A delivery as reported: when, and how."""

    delivered_at: datetime
    channel: str

    @classmethod
    def parse(cls, delivered_at: str | datetime | None, channel: str | None) -> Receipt:
        """From an edge's values: ValidationError naming the field."""
        if delivered_at is None:
            raise ValidationError("is required: when the user received the statement", field="delivered_at")
        when = parse_instant(delivered_at, field="delivered_at")
        if not isinstance(channel, str) or CHANNEL.fullmatch(channel) is None:
            raise ValidationError(
                "must be a short code, 1 to 32 lower-case letters, digits, '_' or '-' starting with a letter "
                f"({', '.join(KNOWN_CHANNELS)}...)",
                field="channel",
            )
        return cls(when, channel)

    def ensure_within(self, issued_at: datetime, now: datetime) -> None:
        """Received between the statement's issue and now."""
        if self.delivered_at > now:
            raise ValidationError("lies in the future", field="delivered_at")
        if self.delivered_at < issued_at:
            raise ValidationError(
                f"lies before the statement was issued ({format_instant(issued_at)})", field="delivered_at"
            )
