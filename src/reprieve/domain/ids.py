"""Identifiers: a prefix and a ULID (time-ordered, so lists sort by creation), from an id source.

The source is injectable, as the clock is: ``RandomIds`` in production, ``SequentialIds`` where a
test must know the bytes of the log it writes (the head hash of a fixed story, say).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from datetime import datetime

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: From the RFC 4648 base32 alphabet to Crockford's, which ULIDs use.
_TO_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ALPHABET.encode())


class IdSource:
    """Makes ids: ``count`` of them at a time, for an instant, from 80 bits it is given.

    ``start`` gives the first of the 80-bit values of a run; the run counts up from it.
    """

    def __init__(self, start: Callable[[int], int]) -> None:
        self._start = start

    def new_id(self, prefix: str, now: datetime) -> str:
        return self.new_ids(prefix, now, 1)[0]

    def new_ids(self, prefix: str, now: datetime, count: int) -> list[str]:
        """``count`` ids for the instant ``now``, in increasing order (a monotonic ULID run).

        The 80 low bits start at the source's value and count up, so that ids made together sort
        in the order they were made, and rows inserted together sit side by side in the indexes.
        """
        millis = int(now.timestamp() * 1000) & ((1 << 48) - 1)
        timestamp = "".join(_ALPHABET[(millis >> shift) & 31] for shift in range(45, -5, -5))
        start = self._start(count)
        raw = b"".join((start + i).to_bytes(10, "big") for i in range(count))
        randomness = base64.b32encode(raw).translate(_TO_CROCKFORD).decode("ascii")
        head = f"{prefix}_{timestamp}"
        return [head + randomness[i : i + 16] for i in range(0, 16 * count, 16)]


def _random_start(count: int) -> int:
    return int.from_bytes(os.urandom(10), "big") >> 1  # room to count up without overflow


class RandomIds(IdSource):
    """The ids of a running installation: 79 random bits, then counting up within a run."""

    def __init__(self) -> None:
        super().__init__(_random_start)


class SequentialIds(IdSource):
    """Deterministic ids for tests: each run continues where the previous one stopped."""

    def __init__(self, first: int = 1) -> None:
        self.next = first
        super().__init__(self._take)

    def _take(self, count: int) -> int:
        start, self.next = self.next, self.next + count
        return start


#: The default source: one for the process, as ``os.urandom`` is.
RANDOM_IDS: IdSource = RandomIds()
