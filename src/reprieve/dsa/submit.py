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

Where it goes is configuration, never a request's choice (``TdbSettings``): ``REPRIEVE_TDB_URL``, the
database's API base, and each operator's token (``REPRIEVE_TDB_TOKEN_<OPERATOR>``, or
``REPRIEVE_TDB_TOKEN`` when the installation has one operator). Nothing the database answers is
copied as text: a failure is a short class (``connection refused``, ``no answer``, ``timeout``,
``HTTP 4xx``, ``HTTP 5xx``) with its status, and a 422 keeps only its parsed fields and messages.
"""

from __future__ import annotations

import errno
import json
import os
import re
import socket
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

from reprieve.domain.errors import ConflictError, ValidationError

URL_SETTING = "REPRIEVE_TDB_URL"
TOKEN_SETTING = "REPRIEVE_TDB_TOKEN"


def token_setting(operator: str) -> str:
    """The variable holding ``operator``'s token: ``x-corp`` -> ``REPRIEVE_TDB_TOKEN_X_CORP``."""
    return f"{TOKEN_SETTING}_{re.sub(r'[^A-Z0-9]', '_', operator.upper())}"


@dataclass(frozen=True)
class TdbSettings:
    """Where statements go, and with which token: read from the environment, never from a request."""

    url: str | None
    tokens: Mapping[str, str] = field(default_factory=dict)  #: variable name -> token

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TdbSettings:
        env = os.environ if environ is None else environ
        url = (env.get(URL_SETTING) or "").strip() or None
        tokens = {k: v for k, v in env.items() if k == TOKEN_SETTING or k.startswith(TOKEN_SETTING + "_")}
        return cls(url, tokens)

    def endpoint(self) -> str:
        """The configured API base (the key of the submission state); ConflictError when unset."""
        if self.url is None:
            raise ConflictError(
                f"Transparency Database submission is off: set {URL_SETTING} to the database's API base "
                "(e.g. https://transparency.dsa.ec.europa.eu/api/v1) to turn it on"
            )
        url = self.url
        if not url.startswith(("http://", "https://")) or any(c in url for c in "#?\r\n\t @") or len(url) > 500:
            raise ConflictError(
                f"{URL_SETTING} must be an http(s) URL such as https://host/api/v1, without "
                "query, fragment or credentials"
            )
        return url.rstrip("/")

    def token_for(self, operator: str, operators: Sequence[str]) -> str:
        """``operator``'s token: its own variable, else ``REPRIEVE_TDB_TOKEN`` if it is the only operator.

        ``operators`` are every operator of the installation: a shared token never sends one
        operator's statements under another's name, and two ids naming the same variable are refused.
        """
        name = token_setting(operator)
        if sum(1 for o in operators if token_setting(o) == name) > 1:
            raise ConflictError(
                f"{name} would serve several operators (their ids differ only by '-', '_' or '.'): rename one of them"
            )
        token = self.tokens.get(name)
        if not token and len(operators) == 1:
            token = self.tokens.get(TOKEN_SETTING)
        if not token:
            alone = f" (or {TOKEN_SETTING}, when the installation has only this operator)"
            raise ConflictError(f"no Transparency Database token for {operator}: set {name}{alone}")
        if any(c in token for c in "\r\n"):
            raise ConflictError(f"{name} must hold one line")
        return token


def failure_class(exc: BaseException) -> str:
    """A short class for a request that got no answer; never the OS's or the library's text."""
    seen: BaseException | None = exc
    for _ in range(4):  # urllib wraps the socket's error in URLError(reason=...)
        if seen is None:
            break
        if isinstance(seen, TimeoutError | socket.timeout):
            return "timeout"
        if isinstance(seen, ConnectionRefusedError) or getattr(seen, "errno", None) == errno.ECONNREFUSED:
            return "connection refused"
        reason = getattr(seen, "reason", None)
        seen = reason if isinstance(reason, BaseException) else seen.__cause__
    return "no answer"


def status_class(status: int) -> str:
    return f"HTTP {status // 100}xx"


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


def urllib_transport(method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float) -> Response:
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
    message: str = ""  #: a short class (``failure_class``, ``status_class``), never the answer's text
    attempts: int = 0
    fields: list[str] = field(default_factory=list)  #: a 422 without per-statement errors: the fields named


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
            raise ValidationError("must be an http(s) URL such as https://host/api/v1", field=URL_SETTING)
        if not self.token or any(c in self.token for c in "\r\n"):
            raise ValidationError("is required (the API token of the Transparency Database)", field=TOKEN_SETTING)
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
                return BatchResult(Outcome.NO_ANSWER, message=failure_class(exc), attempts=attempts)
            if answer.status in (200, 201):
                return BatchResult(Outcome.CREATED, answer.status, attempts=attempts)
            if answer.status == 422:
                return _refused(answer, attempts)
            retryable = answer.status == 429 or answer.status >= 500
            if not retryable or attempts >= self.max_attempts:
                return BatchResult(
                    Outcome.FAILED, answer.status, attempts=attempts, message=status_class(answer.status)
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


_FIELD = re.compile(r"^[A-Za-z0-9_.]{1,64}$")
_PUID = re.compile(r"^[A-Za-z0-9_-]{1,500}$")


def _messages(value: Any) -> list[str]:
    """A field's messages, as parsed: strings only, each one line of at most 200 characters, 10 at most."""
    items = value if isinstance(value, list) else [value]
    kept = []
    for item in items[:10]:
        if isinstance(item, str):
            kept.append(" ".join(item.split())[:200])
    return kept


def _field_errors(value: Any) -> dict[str, list[str]]:
    """``{field: [messages]}`` of one statement: field names the database's own (``[A-Za-z0-9_.]``), 100 at most."""
    if not isinstance(value, dict):
        return {}
    return {k: _messages(v) for k, v in list(value.items())[:100] if isinstance(k, str) and _FIELD.match(k)}


def _refused(answer: Response, attempts: int) -> BatchResult:
    """A 422, parsed: per-statement field errors, the puids it already holds, the fields it names.
    Nothing of the body is kept as text."""
    try:
        data = json.loads(answer.body or b"{}")
    except ValueError:
        data = {}
    errors = data.get("errors") if isinstance(data, dict) else None
    result = BatchResult(Outcome.REFUSED, 422, attempts=attempts, message="HTTP 422")
    if isinstance(errors, dict):
        existing = errors.get("existing_puids")
        if isinstance(existing, list):
            result.existing = [p for p in existing if isinstance(p, str) and _PUID.match(p)]
        for key, value in errors.items():
            if not isinstance(key, str):
                continue
            if key.startswith("statement_") and key[10:].isdigit() and isinstance(value, dict):
                result.errors[int(key[10:])] = _field_errors(value)
            elif _FIELD.match(key) and key != "existing_puids":
                result.fields.append(key)
    return result
