"""``FastChecks``: ``POST /v1/checks`` answered before FastAPI's machinery, as the route would.

It reads the body with orjson, admits it only if the route's schema (``ChecksRequest``)
certainly would (its patterns and limits, shared with ``api.schemas``), authenticates as the
route does, and decides the batch from ``(platform, account, capability)`` tuples with the
route's own ``answer``. Whenever it is not sure, it hands the request, body included, to the
full application, so every error is the route's own problem+json.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from datetime import datetime
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from reprieve.api.enforcement import Enforcement, unknown_platforms
from reprieve.api.fast.common import JSON, eligible_authorization, read_or_hand_over, replay
from reprieve.api.middleware import DEFAULT_MAX_BODY_BYTES
from reprieve.api.observability.middleware import OPERATOR
from reprieve.api.routes.checks import PATH, answer
from reprieve.api.schemas import ACCOUNT_PATTERN, COUNTRY_MAX_LENGTH, INSTANT_MAX_LENGTH, SLUG_PATTERN
from reprieve.domain.checks import MAX_CHECKS, Check
from reprieve.domain.errors import ForbiddenError, ReprieveError
from reprieve.domain.item_checks import ItemCheck
from reprieve.domain.model import AccountRef
from reprieve.domain.time import parse_instant, to_micros
from reprieve.enforcement import InstantNotCovered
from reprieve.enforcement.items import item_views
from reprieve.http.deps import Tenant
from reprieve.services.tokens import Principal, authenticate, remembered_principal

_SLUG = re.compile(SLUG_PATTERN.removeprefix("^").removesuffix("$"))
#: ACCOUNT_PATTERN over accounts joined by newlines. Python's ``\s`` holds every character
#: that pydantic's (Rust's) does, and more: what this admits, the route's schema admits.
_ACCOUNT = ACCOUNT_PATTERN.removeprefix("^").removesuffix("$")
_ACCOUNTS = re.compile(f"{_ACCOUNT}(?:\\n{_ACCOUNT})*")
_CHECK_KEYS = 3
_ITEM_KEYS = frozenset({"platform", "item", "capability", "country", "account"})
_MAX_SLUGS = 4096


class _Unsure(Exception):
    """The fast path cannot answer this request exactly as the route would: hand it over."""


class _Mixed(Exception):
    """Not a batch of account rows only: perhaps one with item rows."""


class FastChecks:
    """``POST /v1/checks`` without FastAPI's dependency solving and pydantic parsing; every
    other request, and every check request it is not sure of, goes to ``app`` unchanged."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        #: Platform and capability ids that matched the slug pattern (few, asked again and again).
        self._slugs: set[str] = set()
        self.answered = 0  #: requests answered here rather than by the route

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine itself (as FastViolations): no frame for the request's task to pass through.
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            return self.app(scope, receive, send)
        authorization = eligible_authorization(scope, self.max_body_bytes)
        if authorization is None:
            return self.app(scope, receive, send)
        return self._answer(authorization, scope, receive, send)

    async def _answer(self, authorization: bytes, scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_or_hand_over(self.app, self.max_body_bytes, scope, receive, send)
        if body is None:
            return
        try:
            content = await self._content(authorization, body, scope)
        except _Unsure:
            await self.app(scope, replay(body, receive, more=False), send)
            return
        self.answered += 1
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", str(len(content)).encode()), (b"content-type", JSON)],
            }
        )
        await send({"type": "http.response.body", "body": content})

    async def _content(self, authorization: bytes, body: bytes, scope: Scope) -> bytes:
        """The answer's body, or ``_Unsure``."""
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise _Unsure from None
        triples, items, at_text = self._parse(data)
        state = scope["app"].state
        now: datetime = state.clock()
        tenant = Tenant(await self._principal(state.db, authorization, now), state.db)
        operators = tenant.operators
        scope[OPERATOR] = None if operators is None else operators[0]
        try:
            at = now if at_text is None else parse_instant(at_text, field="at")
            enforcement: Enforcement = state.enforcement
            index = enforcement.index
            at_us = to_micros(at)
            refused: list[int] = []
            if items is not None:
                results = await self._mixed(enforcement, tenant, triples, items, at, at_us)
            elif index is not None and index.covers(at_us):
                decisions = index.decide_many(triples, at_us, operators=operators, refused=refused)
                if unknown_platforms(decisions, refused):
                    raise _Unsure  # a platform newer than the index, perhaps: the route asks the database
                results = index.views(triples, decisions, refused)
            else:
                checks = [Check(AccountRef(p, a), c) for p, a, c in triples]
                results = await run_in_threadpool(enforcement.checks, checks, at=at, caller=tenant.caller())
        except (ReprieveError, OverflowError, ValueError, InstantNotCovered):
            raise _Unsure from None  # the route reports it (or asks the database)
        return answer(at, results)

    async def _mixed(
        self,
        enforcement: Enforcement,
        tenant: Tenant,
        rows: list[Any],
        items: list[bool],
        at: datetime,
        at_us: int,
    ) -> list[dict[str, Any]]:
        """The results of a batch with item rows (``items[i]``: row ``i`` is one), in order."""
        triples = [r for r, is_item in zip(rows, items, strict=True) if not is_item]
        item_rows = [r for r, is_item in zip(rows, items, strict=True) if is_item]
        checks = [ItemCheck(*row) for row in item_rows]
        index = enforcement.index
        operators = tenant.operators
        if index is not None and index.covers(at_us):
            refused: list[int] = []
            refused_items: list[int] = []
            decisions = index.decide_many(triples, at_us, operators=operators, refused=refused)
            answers = index.decide_items(item_rows, at_us, operators=operators, refused=refused_items)
            if unknown_platforms(decisions, refused) or unknown_platforms(answers, refused_items):
                raise _Unsure  # a platform newer than the index, perhaps: the route asks the database
            accounts = iter(index.views(triples, decisions, refused))
            answered = iter(item_views(checks, answers))
        else:
            both: list[Check | ItemCheck] = [Check(AccountRef(p, a), c) for p, a, c in triples]
            both.extend(checks)
            results = await run_in_threadpool(enforcement.checks, both, at=at, caller=tenant.caller())
            accounts, answered = iter(results[: len(triples)]), iter(results[len(triples) :])
        return [next(answered) if is_item else next(accounts) for is_item in items]

    def _parse(self, data: Any) -> tuple[list[Any], list[bool] | None, str | None]:
        """The checks and ``at`` of a body ``ChecksRequest`` certainly accepts; else ``_Unsure``.
        With item rows, the rows and which of them are items; else the account triples and None."""
        if type(data) is not dict or type(checks := data.get("checks")) is not list:
            raise _Unsure
        at = data.get("at")
        if len(data) != 1 + ("at" in data) or len(checks) > MAX_CHECKS:
            raise _Unsure
        if at is not None and (type(at) is not str or not 0 < len(at) <= INSTANT_MAX_LENGTH or "\x00" in at):
            raise _Unsure
        try:
            # Every check has the three fields (or KeyError, TypeError), so a total of three
            # keys a check means no check has another.
            triples = [(c["platform"], c["account"], c["capability"]) for c in checks]
            if sum(map(len, checks)) != _CHECK_KEYS * len(checks):
                raise _Mixed
            if triples:
                platforms, accounts, capabilities = zip(*triples, strict=True)
                slugs = self._slugs
                for value in {*platforms, *capabilities}.difference(slugs):
                    self._learn(value)
                # ACCOUNT_PATTERN on every account at once: none can hold the separator.
                if not _ACCOUNTS.fullmatch("\n".join(accounts)):
                    raise _Unsure
        except (KeyError, TypeError, _Mixed):  # a field missing, an id that is not a string, or item rows
            if any(type(c) is dict and "item" in c for c in checks):
                rows, items = self._parse_mixed(checks)
                return rows, items, at
            raise _Unsure from None
        return triples, None, at

    def _parse_mixed(self, checks: list[Any]) -> tuple[list[Any], list[bool]]:
        """Account rows and item rows (``ItemCheckIn``: an ``item``, an optional ``country`` and
        ``account``), as the schema certainly accepts them; else ``_Unsure``."""
        rows: list[Any] = []
        items: list[bool] = []
        names: list[str] = []  # accounts and item ids: ACCOUNT_PATTERN, checked at once
        try:
            for c in checks:
                if type(c) is not dict:
                    raise _Unsure
                if "item" in c:
                    if not c.keys() <= _ITEM_KEYS:
                        raise _Unsure
                    country, account = c.get("country"), c.get("account")
                    if country is not None and (type(country) is not str or len(country) > COUNTRY_MAX_LENGTH):
                        raise _Unsure
                    if account is not None:
                        names.append(account)
                    row: tuple[Any, ...] = (c["platform"], c["item"], c["capability"], country, account)
                    names.append(c["item"])
                    items.append(True)
                else:
                    if len(c) != _CHECK_KEYS:
                        raise _Unsure
                    row = (c["platform"], c["account"], c["capability"])
                    names.append(c["account"])
                    items.append(False)
                for value in (row[0], row[2]):
                    if value not in self._slugs:
                        self._learn(value)
                rows.append(row)
            if names and not _ACCOUNTS.fullmatch("\n".join(names)):
                raise _Unsure
        except (KeyError, TypeError):  # a field missing, an id that is not a string
            raise _Unsure from None
        return rows, items

    def _learn(self, value: Any) -> None:
        """Remember ``value`` as a valid slug, or raise ``_Unsure``."""
        if type(value) is not str or not _SLUG.fullmatch(value):
            raise _Unsure
        if len(self._slugs) >= _MAX_SLUGS:
            self._slugs.clear()
        self._slugs.add(value)

    async def _principal(self, db: Any, authorization: bytes, now: datetime) -> Principal:
        """The principal of the route's ``Tenant``: ``deps.current_principal`` and ``Reader``
        (every role) on the raw header; ``_Unsure`` for what the route refuses."""
        scheme, _, secret = authorization.decode("latin-1").partition(" ")
        secret = secret.strip()
        if not secret or scheme.lower() != "bearer":
            raise _Unsure
        try:
            principal: Principal | None = remembered_principal(db, secret, now=now)
            if principal is None:
                principal = await run_in_threadpool(authenticate, db, secret, now=now)
        except ForbiddenError:
            raise _Unsure from None
        return principal
