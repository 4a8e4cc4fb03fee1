"""ASGI middleware around every route: a cap on request bodies, and ``Idempotency-Key``.

Both are plain ASGI (not ``BaseHTTPMiddleware``) so that bodies are read once, responses are
streamed untouched, and errors come out of ``reprieve.api.problems`` like all others.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from anyio import to_thread
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reprieve.api.fast.common import replay
from reprieve.api.observability.logs import REQUEST_ID
from reprieve.api.problems import PROBLEM_JSON, PayloadTooLarge, problem_for
from reprieve.domain.errors import ForbiddenError, ReprieveError, ValidationError
from reprieve.services import Database, idempotency
from reprieve.services.tokens import authenticate, hash_secret

log = logging.getLogger(__name__)

#: A request body larger than this is refused with 413. A full batch of 10,000 checks with
#: long account names fits.
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
#: Expired idempotency keys are deleted at most this often (one indexed DELETE).
FORGET_EXPIRED_KEYS_EVERY = timedelta(minutes=1)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class _BodyTooLarge(Exception):
    pass


async def _read_body(receive: Receive, limit: int | None = None) -> bytes | None:
    """The whole request body; None if the client went away first."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413, whether or not Content-Length says so."""

    def __init__(self, app: ASGIApp, *, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await problem_for(PayloadTooLarge(self.max_bytes))(scope, receive, send)
            return
        try:
            body = await _read_body(receive, self.max_bytes)
        except _BodyTooLarge:
            await problem_for(PayloadTooLarge(self.max_bytes))(scope, receive, send)
            return
        if body is None:
            return
        await self.app(scope, replay(body, receive, more=False), send)


class Idempotency:
    """``Idempotency-Key`` on POST: a retry gets the first answer (status and body) again.

    Keys belong to the bearer token that sent them, and only a valid token gets answers back.
    The same key with another method, path, query or body is refused with 422; while the first
    request runs, a copy gets 409. Server errors are not kept, so that a retry runs again.
    Secrets in an answer (a new token's) are not kept: a replay shows them as null.
    Keys older than ``idempotency.KEY_LIFETIME`` are deleted at most once a minute (by the app's
    clock), before the first keyed request of that minute.
    """

    def __init__(self, app: ASGIApp, *, db: Database, clock: Callable[[], datetime]) -> None:
        self.app = app
        self.db = db
        self.clock = clock
        self._next_forgetting: datetime | None = None  # None: at the first keyed request

    async def _forget_expired_keys(self) -> None:
        now = self.clock()
        if self._next_forgetting is not None and now < self._next_forgetting:
            return
        self._next_forgetting = now + FORGET_EXPIRED_KEYS_EVERY  # set first: one sweep at a time
        try:
            await to_thread.run_sync(partial(idempotency.forget_expired_keys, self.db, now=now))
        except SQLAlchemyError:  # the request itself will meet the same trouble and report it
            log.exception("could not forget expired idempotency keys; trying again in a minute")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get("idempotency-key")
        authorization = headers.get("authorization")
        if key is None or not authorization:
            await self.app(scope, receive, send)
            return
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not await self._authentic(secret.strip()):
            await self.app(scope, receive, send)  # the route answers 401; nothing to keep or replay
            return
        if not IDEMPOTENCY_KEY.match(key):
            error = ValidationError("must be 1 to 255 printable ASCII characters", field="Idempotency-Key")
            await problem_for(error)(scope, receive, send)
            return
        await self._forget_expired_keys()
        body = await _read_body(receive)
        if body is None:
            return
        owner = hash_secret(authorization)
        fingerprint = request_fingerprint(scope["method"], scope["path"], scope.get("query_string", b""), body)
        try:
            stored = await to_thread.run_sync(
                partial(
                    idempotency.reserve_key,
                    self.db,
                    scope=owner,
                    key=key,
                    fingerprint=fingerprint,
                    now=self.clock(),
                )
            )
        except ReprieveError as exc:
            await problem_for(exc)(scope, receive, send)
            return
        if stored is not None:
            await _send_stored(stored, send)
            return
        await self._run_and_keep(scope, replay(body, receive, more=False), send, owner, key)

    async def _authentic(self, secret: str) -> bool:
        """Whether the token is valid now: a revoked token does not get its old answers back."""
        try:
            await to_thread.run_sync(partial(authenticate, self.db, secret, now=self.clock()))
        except ForbiddenError:
            return False
        return True

    async def _run_and_keep(self, scope: Scope, receive: Receive, send: Send, owner: str, key: str) -> None:
        status = 500
        content_type: str | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                content_type = Headers(raw=message.get("headers", [])).get("content-type")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            await to_thread.run_sync(partial(idempotency.release_key, self.db, scope=owner, key=key))
            raise
        if status >= 500 or status == 401:
            await to_thread.run_sync(partial(idempotency.release_key, self.db, scope=owner, key=key))
            return
        body = b"".join(chunks).decode("utf-8", "replace")
        body = _with_request_id(_without_secrets(body, scope), content_type)
        answer = idempotency.StoredAnswer(status, content_type, body)
        await to_thread.run_sync(partial(idempotency.complete_key, self.db, scope=owner, key=key, answer=answer))


#: Where a route lists the fields of its answer that hold a secret (see ``shown_once``).
SECRET_FIELDS = "reprieve.secret_fields"


def _without_secrets(body: str, scope: Scope) -> str:
    """The answer as kept for retries: a secret shown once is not kept, even for a replay."""
    fields = scope.get("state", {}).get(SECRET_FIELDS)
    if not fields:
        return body
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if isinstance(data, dict):
        for name in fields:
            if name in data:
                data[name] = None
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _with_request_id(body: str, content_type: str | None) -> str:
    """A problem as kept for retries names the request that met it: a replay is the first
    answer, ``request_id`` included (``X-Request-ID`` names the retry)."""
    request_id = REQUEST_ID.get()
    if request_id is None or content_type is None or not content_type.startswith(PROBLEM_JSON):
        return body
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if not isinstance(data, dict):
        return body
    data["request_id"] = request_id
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def request_fingerprint(method: str, path: str, query_string: bytes, body: bytes) -> str:
    """What makes two requests "the same" for an Idempotency-Key."""
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), query_string, body])).hexdigest()


async def _send_stored(stored: idempotency.StoredAnswer, send: Send) -> None:
    body = stored.body.encode()
    headers = [(b"content-length", str(len(body)).encode()), (b"idempotent-replayed", b"true")]
    if stored.content_type:
        headers.append((b"content-type", stored.content_type.encode("latin-1")))
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
