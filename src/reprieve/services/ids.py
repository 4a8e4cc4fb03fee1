"""Identifiers: a prefix and a ULID (time-ordered, so lists sort by creation)."""

from __future__ import annotations

import base64
import os
from datetime import datetime

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: From the RFC 4648 base32 alphabet to Crockford's, which ULIDs use.
_TO_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ALPHABET.encode())


def new_id(prefix: str, now: datetime) -> str:
    return new_ids(prefix, now, 1)[0]


def new_ids(prefix: str, now: datetime, count: int) -> list[str]:
    """``count`` ids for the instant ``now``, in increasing order (a monotonic ULID run).

    The 80 random bits start at a random value and count up, so that ids made together sort in
    the order they were made, and rows inserted together sit side by side in the indexes.
    """
    millis = int(now.timestamp() * 1000) & ((1 << 48) - 1)
    timestamp = "".join(_ALPHABET[(millis >> shift) & 31] for shift in range(45, -5, -5))
    start = int.from_bytes(os.urandom(10), "big") >> 1  # room to count up without overflow
    raw = b"".join((start + i).to_bytes(10, "big") for i in range(count))
    randomness = base64.b32encode(raw).translate(_TO_CROCKFORD).decode("ascii")
    head = f"{prefix}_{timestamp}"
    return [head + randomness[i : i + 16] for i in range(0, 16 * count, 16)]
