"""``FastWrite``: what the fast paths of the hot write routes (``FastViolations``,
``FastNotices``) share: which requests they take, the token's principal, the role, the group
commit's answers brought back to the event loop, and the hand-over of whatever they are unsure
of to the full application, body included, so that every refusal of a request is the route's own.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Awaitable
from datetime import datetime
from typing import Any, ClassVar

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from reprieve.api.enforcement import CommittedWrites
from reprieve.api.fast.common import JSON, eligible_authorization, read_or_hand_over, replay
from reprieve.api.middleware import DEFAULT_MAX_BODY_BYTES
from reprieve.api.observability.middleware import OPERATOR
from reprieve.api.problems import problem_for
from reprieve.domain.errors import ForbiddenError, ReprieveError
from reprieve.domain.model import Role
from reprieve.http.deps import Tenant
from reprieve.runtime.group_commit import GroupCommitter
from reprieve.services.callers import Caller
from reprieve.services.committing import Answer
from reprieve.services.tokens import Principal, authenticate, remembered_principal


class Unsure(Exception):
    """The fast path cannot answer this request exactly as the route would: hand it over."""


class FastWrite(ABC):
    """``POST path`` without FastAPI's dependency solving and pydantic parsing; every other
    request, and every body it is not sure of, goes to ``app`` unchanged.

    A subclass says which ``path`` and ``roles`` (those the route's dependency admits), how a
    body certainly valid for the route's schema becomes its command (``parse``, else ``Unsure``),
    how the command is submitted to the group commit (``submit``), and the answer's status and
    body (``respond``)."""

    path: ClassVar[str]
    roles: ClassVar[frozenset[Role]]

    def __init__(self, app: ASGIApp, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        #: Requests answered here (not handed over), for tests and benchmarks.
        self.answered = 0
        #: Token lookups under way, by secret: requests that arrive meanwhile wait for the same one.
        self._lookups: dict[str, asyncio.Future[Principal]] = {}
        self._answers: CommittedWrites | None = None

    @abstractmethod
    def parse(self, body: bytes) -> Any:
        """The command of a body the route's schema certainly accepts; else ``Unsure``."""

    @abstractmethod
    def submit(self, committer: GroupCommitter, command: Any, caller: Caller, answer: Answer) -> None:
        """Submit ``command``; a ``ReprieveError`` raised here (before the writer) is the route's to answer."""

    @abstractmethod
    def respond(self, result: Any) -> tuple[int, bytes]:
        """The status and the JSON body of a committed ``result``."""

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine itself: it hands back the coroutine that answers, so it adds no frame
        # for every resumption of the request's task to pass through.
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST":
            return self.app(scope, receive, send)
        authorization = eligible_authorization(scope, self.max_body_bytes)
        committer: GroupCommitter | None = scope["app"].state.committer
        if authorization is None or committer is None:
            return self.app(scope, receive, send)
        return self._answer(committer, authorization, scope, receive, send)

    async def _answer(
        self, committer: GroupCommitter, authorization: bytes, scope: Scope, receive: Receive, send: Send
    ) -> None:
        body = await read_or_hand_over(self.app, self.max_body_bytes, scope, receive, send)
        if body is None:
            return
        state = scope["app"].state
        now: datetime = state.clock()
        try:
            command = self.parse(body)
            principal = await self._principal(state.db, authorization, now)
            scope[OPERATOR] = principal.operator
            if principal.role not in self.roles:
                raise Unsure
            # A command the service refuses before the writer is refused by the route with the
            # same error: it is handed over, not answered here.
            # Read your own writes, as CatchUpAfterWrites promises for the routes (this path
            # answers before them): a success comes once the index holds it.
            committed, answered = self._committed(state).expect()
            self.submit(committer, command, Tenant(principal, state.db).caller(now), answered)
        except (Unsure, ReprieveError):
            await self.app(scope, replay(body, receive, more=False), send)
            return
        try:
            result = await committed
        except ReprieveError as exc:  # refused by the writer (another operator's platform...)
            self.answered += 1
            await problem_for(exc)(scope, receive, send)
            return
        self.answered += 1
        status, content = self.respond(result)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-length", b"%d" % len(content)), (b"content-type", JSON)],
            }
        )
        await send({"type": "http.response.body", "body": content})

    def _committed(self, state: Any) -> CommittedWrites:
        """The answers' way to this event loop (tests may run each request on a loop of its own)."""
        loop = asyncio.get_running_loop()
        committed = self._answers
        if committed is None or committed.loop is not loop:
            committed = self._answers = CommittedWrites(loop, lambda: getattr(state.enforcement, "follower", None))
        return committed

    async def _principal(self, db: Any, authorization: bytes, now: datetime) -> Principal:
        """``deps.current_principal`` on the raw header; ``Unsure`` for what the route refuses.

        When the remembered principal has lapsed (each second), the requests in flight with the
        same token share one lookup instead of each sending its own to the thread pool."""
        scheme, _, secret = authorization.decode("latin-1").partition(" ")
        secret = secret.strip()
        if not secret or scheme.lower() != "bearer":
            raise Unsure
        try:
            principal = remembered_principal(db, secret, now=now)
            if principal is None:
                lookup = self._lookups.get(secret)
                if lookup is None:
                    lookup = self._lookups[secret] = asyncio.ensure_future(
                        run_in_threadpool(authenticate, db, secret, now=now)
                    )
                    lookup.add_done_callback(lambda _: self._lookups.pop(secret, None))
                principal = await asyncio.shield(lookup)
        except ForbiddenError:
            raise Unsure from None
        return principal


def loads(body: bytes) -> dict[str, Any]:
    """The body's JSON object; ``Unsure`` for anything else."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Unsure from None
    if type(data) is not dict:
        raise Unsure
    return data
