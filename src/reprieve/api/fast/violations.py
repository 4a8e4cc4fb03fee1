"""``FastViolations``: ``POST /v1/violations`` taken before FastAPI's machinery, as the route would.

It reads the body with orjson, admits it only if ``ViolationCreate`` certainly would (its
limits, shared with ``api.due_process_schemas``, and its text rule, ``domain.text``),
authenticates and admits roles as the route does, and submits it to the group commit.
Whenever it is not sure, it hands the request, body included, to the full application, so
every refusal of a request is the route's own.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable
from datetime import datetime
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from reprieve.api.due_process_schemas import (
    EXTERNAL_ID_MAX_LENGTH,
    POLICY_MAX_LENGTH,
    VIOLATION_CODE_LISTS,
    ViolationCreate,
)
from reprieve.api.enforcement import CommittedWrites
from reprieve.api.fast.common import JSON, eligible_authorization, read_or_hand_over, replay
from reprieve.api.middleware import DEFAULT_MAX_BODY_BYTES
from reprieve.api.observability.middleware import OPERATOR
from reprieve.api.problems import problem_for
from reprieve.api.routes.violations import PATH, REPORTER_ROLES
from reprieve.api.schemas import CATEGORY_MAX_LENGTH, FACTS_MAX_LENGTH, INSTANT_MAX_LENGTH, SLUG_PATTERN
from reprieve.domain.errors import ForbiddenError, ReprieveError, ValidationError
from reprieve.domain.policy import Severity
from reprieve.domain.roles import admitted
from reprieve.domain.text import check_text
from reprieve.http.deps import Tenant
from reprieve.runtime.group_commit import GroupCommitter
from reprieve.services import violations
from reprieve.services.tokens import Principal, authenticate, remembered_principal

_FIELDS = frozenset(ViolationCreate.model_fields)
#: Roles ``Reporter`` admits.
_REPORTERS = admitted(*REPORTER_ROLES)
_SLUG = re.compile(SLUG_PATTERN.removeprefix("^").removesuffix("$"))
# Stricter than the schema's patterns (printable ASCII only), so that whatever passes here the
# schema accepts too; anything else is for the route to judge.
_EXTERNAL_ID = re.compile(f"[\\x21-\\x7e](?:[\\x20-\\x7e]{{0,{EXTERNAL_ID_MAX_LENGTH - 2}}}[\\x21-\\x7e])?")
_ACCOUNT = re.compile(r"[\x21-\x2e\x30-\x7e][\x21-\x7e]{0,199}")
_SEVERITIES = frozenset(s.value for s in Severity)
#: ``ContentDate``, in ASCII digits only (the schema's ``\d`` takes other digits too: the route's to judge).
_CONTENT_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class _Unsure(Exception):
    """The fast path cannot answer this request exactly as the route would: hand it over."""


class FastViolations:
    """``POST /v1/violations`` without FastAPI's dependency solving and pydantic parsing; every
    other request, and every violation it is not sure of, goes to ``app`` unchanged."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        #: Requests answered here (not handed over), for tests and benchmarks.
        self.answered = 0
        #: Token lookups under way, by secret: requests that arrive meanwhile wait for the same one.
        self._lookups: dict[str, asyncio.Future[Principal]] = {}
        self._answers: CommittedWrites | None = None

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine itself: it hands back the coroutine that answers, so it adds no frame
        # for every resumption of the request's task to pass through.
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
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
            report = _report(body)
            tenant = Tenant(await self._principal(state.db, authorization, now), state.db)
            scope[OPERATOR] = tenant.principal.operator
            if tenant.principal.role not in _REPORTERS:
                raise _Unsure
            # A report the service refuses before the writer (a category, an instant) is refused
            # by the route with the same error: it is handed over, not answered here.
            # Read your own writes, as CatchUpAfterWrites promises for the routes (this path
            # answers before them): a success comes once the index holds it.
            committed, answered = self._committed(state).expect()
            violations.submit_violation(committer, report, caller=tenant.caller(now), answer=answered)
        except (_Unsure, ReprieveError):
            await self.app(scope, replay(body, receive, more=False), send)
            return
        try:
            answer: violations.ViolationAnswer = await committed
        except ReprieveError as exc:  # refused by the writer (another operator's platform...)
            self.answered += 1
            await problem_for(exc)(scope, receive, send)
            return
        self.answered += 1
        # The body is the service's view in the documented shape (the tests hold it to the
        # route's, which ViolationOut validates), so it is serialised directly.
        content = orjson.dumps(answer.body)
        await send(
            {
                "type": "http.response.start",
                "status": 201 if answer.created else 200,
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
        """``deps.current_principal`` on the raw header; ``_Unsure`` for what the route refuses.

        When the remembered principal has lapsed (each second), the requests in flight with the
        same token share one lookup instead of each sending its own to the thread pool."""
        scheme, _, secret = authorization.decode("latin-1").partition(" ")
        secret = secret.strip()
        if not secret or scheme.lower() != "bearer":
            raise _Unsure
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
            raise _Unsure from None
        return principal


def _report(body: bytes) -> violations.RecordViolation:
    """The report of a body ``ViolationCreate`` certainly accepts; else ``_Unsure``."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise _Unsure from None
    if type(data) is not dict or not _FIELDS.issuperset(data) or data.get("automated") is not None:
        raise _Unsure
    if "item" in data or "kind" in data:  # a content decision too: the route's
        raise _Unsure
    try:
        id_, platform, account, policy, severity, category = (
            data["id"],
            data["platform"],
            data["account"],
            data["policy"],
            data["severity"],
            data["category"],
        )
    except KeyError:
        raise _Unsure from None
    facts = data.get("facts", "")
    occurred_at = data.get("occurred_at")
    if not (
        type(id_) is str
        and _EXTERNAL_ID.fullmatch(id_)
        and _text_ok(id_, required=True, multiline=False)
        and type(platform) is str
        and _SLUG.fullmatch(platform)
        and type(account) is str
        and _ACCOUNT.fullmatch(account)
        and type(policy) is str
        and 0 < len(policy) <= POLICY_MAX_LENGTH
        and _text_ok(policy, required=True)
        and type(severity) is str
        and severity in _SEVERITIES
        and type(category) is str
        and len(category) <= CATEGORY_MAX_LENGTH
        and type(facts) is str
        and len(facts) <= FACTS_MAX_LENGTH
        and _text_ok(facts, required=False)
        and (
            occurred_at is None
            or (type(occurred_at) is str and 0 < len(occurred_at) <= INSTANT_MAX_LENGTH and "\x00" not in occurred_at)
        )
    ):
        raise _Unsure
    lists = [_codes(data.get(field), most, longest) for field, most, longest in VIOLATION_CODE_LISTS]
    content_date = data.get("content_date")
    if content_date is not None and not (type(content_date) is str and _CONTENT_DATE.fullmatch(content_date)):
        raise _Unsure
    # The route's schema would accept it: what it parses, the service's own parsing checks alike
    # (a refusal is handed over to the route, which refuses it with the same error).
    return violations.RecordViolation.parse(
        id=id_,
        platform=platform,
        account=account,
        policy=policy,
        severity=severity,
        category=category,
        facts=facts,
        occurred_at=occurred_at,
        content_type=lists[0],
        content_date=content_date,
        keywords=lists[1],
        territorial_scope=lists[2],
    )


def _text_ok(value: str, *, required: bool, multiline: bool = True) -> bool:
    """Whether the schema's text rule (``reprieve.domain.text``) lets ``value`` through."""
    try:
        check_text(value, field="text", required=required, multiline=multiline)
    except ValidationError:
        return False
    return True


def _codes(value: Any, most: int, longest: int) -> list[str] | None:
    """A list of codes as the schema certainly accepts it (the service judges the codes); else ``_Unsure``."""
    if value is None:
        return None
    if type(value) is not list or len(value) > most:
        raise _Unsure
    for item in value:
        if type(item) is not str or len(item) > longest or "\x00" in item:
            raise _Unsure
    return value
