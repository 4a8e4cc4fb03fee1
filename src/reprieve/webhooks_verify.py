"""Verifying a Reprieve webhook delivery on the receiving side: standard library only, copy freely.

A delivery is a POST whose headers carry ``Reprieve-Timestamp`` (Unix seconds) and
``Reprieve-Signature: v1=<hex>``, the HMAC-SHA256 of ``f"{timestamp}.{body}"`` under the
endpoint's secret. ``verify`` checks the signature in constant time, refuses a timestamp more
than ``tolerance`` seconds away from now, and, given a ``ReplayGuard``, refuses a message it
has already accepted (the same delivery id and attempt, which the signed body carries).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Mapping
from typing import Any

SIGNATURE_HEADER = "Reprieve-Signature"
TIMESTAMP_HEADER = "Reprieve-Timestamp"
DEFAULT_TOLERANCE = 300


class WebhookVerificationError(ValueError):
    """Raised when a delivery is not authentic, too old, or a replay."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Reprieve-Signature`` header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


class ReplayGuard:
    """Remembers the deliveries accepted within the tolerance window (after it, the timestamp
    check refuses them anyway, so they can be forgotten). Thread-safe; one per receiver process."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def check_and_remember(self, key: str, *, expires: float, now: float) -> None:
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {k: t for k, t in self._seen.items() if t > now}
            expiry = self._seen.get(key)
            if expiry is not None and expiry > now:
                raise WebhookVerificationError(f"replayed delivery {key}")
            self._seen[key] = expires


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    raise WebhookVerificationError(f"missing header {name}")


def verify(
    body: bytes, headers: Mapping[str, str], secret: str, *, tolerance: int = DEFAULT_TOLERANCE,
    guard: ReplayGuard | None = None, now: float | None = None,
) -> dict[str, Any]:
    """The delivery's JSON if it is authentic, fresh and not seen before; WebhookVerificationError if not."""
    current = time.time() if now is None else now
    stamp = _header(headers, TIMESTAMP_HEADER)
    if not stamp.isdigit():
        raise WebhookVerificationError("malformed timestamp")
    timestamp = int(stamp)
    expected = sign(secret, timestamp, body)
    given = _header(headers, SIGNATURE_HEADER)
    if not any(hmac.compare_digest(expected, part.strip()) for part in given.split(",")):
        raise WebhookVerificationError("bad signature")
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError("timestamp outside the tolerance: too old or from the future")
    payload: dict[str, Any] = json.loads(body)
    if guard is not None:
        delivery = payload.get("delivery", {})
        key = f"{delivery.get('id')}.{delivery.get('attempt')}"
        guard.check_and_remember(key, expires=timestamp + tolerance, now=current)
    return payload
