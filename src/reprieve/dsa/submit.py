"""The submitter's HTTP side: POST batches to the Transparency Database, retry what may be retried.

The database's API (its documentation, "Creating Multiple Statements"): ``POST {base}/statements``
with ``{"statements": [...]}`` (1 to 100), ``Authorization: Bearer <token>``; 201 when every
statement was created; 422 when the batch was refused, with per-statement errors
(``{"errors": {"statement_3": {"field": ["why"]}}}``) or with the puids it already holds
(``{"errors": {"puid": [...], "existing_puids": [...]}}``); nothing is created unless the answer is
201. ``GET {base}/statement/existing-puid/{puid}`` answers 302 when the puid is known, 404 if not.

429 (after its ``Retry-After``) and 5xx (after an exponential back-off) are retried: the database
did not create anything. A request that got no answer at all is not blindly sent again: the caller
asks the database which of its puids it holds (``exists``). Clock and sleep are injected, so that
tests do not wait.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from reprieve.domain.errors import ValidationError


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes


#: ``(method, url, headers, body, timeout) -> Response``; raises OSError when no answer came.
Transport = Callable[[str, str, Mapping[str, str], bytes | None, float], Response]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """``existing-puid`` answers 302 with a JSON body: an answer, not a redirect to follow."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect())


def urllib_transport(
    method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
) -> Response:
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers))
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            return Response(answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return Response(exc.code, {k.lower(): v for k, v in (exc.headers or {}).items()}, exc.read())


class Outcome(StrEnum):
    CREATED = "created"  #: 201: every statement of the batch is in the database
    REFUSED = "refused"  #: 422: nothing created; ``errors`` per position, ``existing`` puids already there
    FAILED = "failed"  #: an answer that will not change by retrying (401, 403, other 4xx) or retries exhausted
    NO_ANSWER = "no_answer"  #: the request may or may not have reached the database


@dataclass
class BatchResult:
    outcome: Outcome
    status: int | None = None
    errors: dict[int, dict[str, Any]] = field(default_factory=dict)  #: position -> {field: [messages]}
    existing: list[str] = field(default_factory=list)
    message: str = ""
    attempts: int = 0


@dataclass
class Client:
    """The Transparency Database's API at ``base`` (e.g. ``https://.../api/v1``), with a bearer token."""

    base: str
    token: str
    transport: Transport = urllib_transport
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    max_attempts: int = 6
    backoff: float = 1.0  #: first wait after a 5xx, doubled each time
    max_wait: float = 300.0
    timeout: float = 60.0
    waits: list[float] = field(default_factory=list)  #: every wait, for the report

    def __post_init__(self) -> None:
        if not self.base.startswith(("http://", "https://")):
            raise ValidationError("must be an http(s) URL such as https://host/api/v1", field="endpoint")
        if not self.token or any(c in self.token for c in "\r\n"):
            raise ValidationError("is required (the API token of the Transparency Database)", field="token")
        self.base = self.base.rstrip("/")

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        }

    def post_batch(self, statements: Sequence[Mapping[str, Any]]) -> BatchResult:
        """POST one batch (1 to 100 statements), retrying 429 and 5xx answers."""
        if not 1 <= len(statements) <= 100:
            raise ValueError("a batch holds 1 to 100 statements")
        body = json.dumps({"statements": list(statements)}, ensure_ascii=False).encode()
        delay = self.backoff
        attempts = 0
        while True:
            attempts += 1
            try:
                answer = self.transport("POST", f"{self.base}/statements", self._headers(), body, self.timeout)
            except OSError as exc:
                return BatchResult(Outcome.NO_ANSWER, message=f"no answer: {exc}", attempts=attempts)
            if answer.status in (200, 201):
                return BatchResult(Outcome.CREATED, answer.status, attempts=attempts)
            if answer.status == 422:
                return _refused(answer, attempts)
            retryable = answer.status == 429 or answer.status >= 500
            if not retryable or attempts >= self.max_attempts:
                return BatchResult(
                    Outcome.FAILED, answer.status, attempts=attempts,
                    message=f"HTTP {answer.status}: {answer.body[:300].decode(errors='replace')}",
                )
            if answer.status == 429:
                wait = self._retry_after(answer.headers.get("retry-after"), default=delay)
            else:
                wait = delay
                delay = min(delay * 2, self.max_wait)
            wait = min(wait, self.max_wait)
            self.waits.append(wait)
            self.sleep(wait)

    def exists(self, puid: str) -> bool | None:
        """Whether the database holds ``puid``: True (302), False (404), None when it cannot tell."""
        url = f"{self.base}/statement/existing-puid/{quote(puid, safe='')}"
        try:
            answer = self.transport("GET", url, self._headers(), None, self.timeout)
        except OSError:
            return None
        if answer.status in (200, 302):
            return True
        if answer.status == 404:
            return False
        return None

    def _retry_after(self, value: str | None, *, default: float) -> float:
        if not value:
            return default
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return default
        return max(0.0, (when - self.clock()).total_seconds())


def _refused(answer: Response, attempts: int) -> BatchResult:
    try:
        data = json.loads(answer.body or b"{}")
    except ValueError:
        data = {}
    errors = data.get("errors") if isinstance(data, dict) else None
    result = BatchResult(Outcome.REFUSED, 422, attempts=attempts, message=str(data.get("message", "")))
    if isinstance(errors, dict):
        existing = errors.get("existing_puids")
        if isinstance(existing, list):
            result.existing = [str(p) for p in existing]
        for key, value in errors.items():
            if key.startswith("statement_") and key[10:].isdigit() and isinstance(value, dict):
                result.errors[int(key[10:])] = value
    return result
