"""Verifying a Reprieve webhook delivery on the receiving side: standard library only, copy freely.

A delivery is a POST whose headers carry ``Reprieve-Timestamp`` (Unix seconds) and
``Reprieve-Signature: v1=<hex>``, the HMAC-SHA256 of ``f"{timestamp}.{body}"`` under the
endpoint's secret. ``verify`` checks the signature in constant time, refuses a timestamp more
than ``tolerance`` seconds away from now, and refuses a message it has already accepted: by
default through a guard shared by the process, which remembers the signatures accepted within
the tolerance window (``guard=`` your own ``ReplayGuard``, or one over a shared store; or
``guard=False`` to opt out). Anything wrong with a delivery, a malformed header included, raises
``WebhookVerificationError`` and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Literal, Protocol

SIGNATURE_HEADER = "Reprieve-Signature"
TIMESTAMP_HEADER = "Reprieve-Timestamp"
DEFAULT_TOLERANCE = 300
_TIMESTAMP = re.compile(r"[0-9]{1,12}", re.ASCII)
_SIGNATURE = re.compile(r"v1=[0-9a-f]{64}", re.ASCII)


class WebhookVerificationError(ValueError):
    """Raised when a delivery is not authentic, too old, a replay, or malformed."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Reprieve-Signature`` header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


class Guard(Protocol):
    """Remembers accepted messages: WebhookVerificationError if ``key`` was seen and has not expired."""

    def check_and_remember(self, key: str, *, expires: float, now: float) -> None: ...


class ReplayGuard:
    """Remembers the signatures accepted within the tolerance window (after it, the timestamp
    check refuses them anyway, so they can be forgotten), at most ``max_entries`` of them: past
    that, the oldest are forgotten first. Thread-safe; one per receiver process."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._seen)

    def check_and_remember(self, key: str, *, expires: float, now: float) -> None:
        with self._lock:
            while self._seen:  # oldest first: forget what expired
                oldest, until = next(iter(self._seen.items()))
                if until > now and len(self._seen) < self.max_entries:
                    break
                del self._seen[oldest]
            seen_until = self._seen.get(key)
            if seen_until is not None and seen_until > now:
                raise WebhookVerificationError("replayed delivery")
            self._seen[key] = expires
            self._seen.move_to_end(key)


#: The guard ``verify`` uses unless given another (or ``guard=False``).
DEFAULT_GUARD = ReplayGuard()


def _header(headers: Mapping[str, str], name: str) -> str:
    try:
        for key, value in headers.items():
            if isinstance(key, str) and key.lower() == name.lower():
                if not isinstance(value, str):
                    raise WebhookVerificationError(f"malformed header {name}")
                return value
    except AttributeError:
        raise WebhookVerificationError("headers must be a mapping") from None
    raise WebhookVerificationError(f"missing header {name}")


def verify(
    body: bytes,
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    guard: Guard | Literal[False] | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The delivery's JSON if it is authentic, fresh and not seen before; WebhookVerificationError if not.

    ``guard``: None (the default) uses ``DEFAULT_GUARD``, shared by the process; ``False`` turns
    replay protection off (a caller that de-duplicates by itself)."""
    current = time.time() if now is None else now
    stamp = _header(headers, TIMESTAMP_HEADER).strip()
    if not _TIMESTAMP.fullmatch(stamp):
        raise WebhookVerificationError("malformed timestamp")
    timestamp = int(stamp)
    if not isinstance(body, bytes | bytearray):
        raise WebhookVerificationError("the body must be bytes")
    expected = sign(secret, timestamp, bytes(body))
    given = _header(headers, SIGNATURE_HEADER)
    candidates = [part.strip() for part in given.split(",")]
    if not any(_SIGNATURE.fullmatch(c) and hmac.compare_digest(expected, c) for c in candidates):
        raise WebhookVerificationError("bad signature")
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError("timestamp outside the tolerance: too old or from the future")
    try:
        payload = json.loads(body)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        raise WebhookVerificationError("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise WebhookVerificationError("the body is not a JSON object")
    if guard is not False:
        (DEFAULT_GUARD if guard is None else guard).check_and_remember(
            expected, expires=timestamp + tolerance, now=current
        )
    return payload
