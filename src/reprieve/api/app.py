"""The FastAPI application: ``create_app(db)`` for tests and embedding, and a factory for uvicorn."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from itertools import takewhile
from types import ModuleType
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.telemetry import TelemetryConfig
from starlette.concurrency import run_in_threadpool
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from reprieve import __version__
from reprieve.api.enforcement import Enforcement, attach_index
from reprieve.api.fast.checks import FastChecks
from reprieve.api.fast.notices import FastNotices
from reprieve.api.fast.violations import FastViolations
from reprieve.api.middleware import DEFAULT_MAX_BODY_BYTES, BodyLimit, Idempotency
from reprieve.api.observability import install_observability
from reprieve.api.observability.middleware import Observe
from reprieve.api.pages import mount_pages
from reprieve.api.problems import install_problem_handlers, problem_for
from reprieve.api.routes import (
    accounts,
    amnesties,
    appeals,
    audit,
    checks,
    content,
    content_statements,
    events,
    health,
    identities,
    imports,
    items,
    notices,
    operators,
    people,
    personal_access,
    platforms,
    reviews,
    sanctions,
    standing,
    tokens,
    transparency,
    violations,
    webhooks,
)
from reprieve.api.schemas import Problem
from reprieve.config import Settings, load_settings, parse_networks
from reprieve.runtime import amnesty as amnesty_runner
from reprieve.runtime.group_commit import GroupCommitter
from reprieve.store.db import Database, open_database

#: Every resource of the API, in the order the docs list them. The due-process issues add
#: theirs here: reviews, appeals, violations, amnesties, transparency.
ROUTE_MODULES: tuple[ModuleType, ...] = (
    operators,
    platforms,
    accounts,
    identities,
    tokens,
    sanctions,
    imports,
    content,
    content_statements,
    standing,
    items,
    checks,
    events,
    audit,
    reviews,
    appeals,
    notices,
    violations,
    transparency,
    health,
    amnesties,
    webhooks,
    personal_access,
    people,
)

DESCRIPTION = """\
Reprieve records what a platform decided against an account, answers "may this account do X
right now?", and keeps a tamper-evident log of every change.

* Authentication: `Authorization: Bearer <token>`. A token of one operator sees nothing of
  another: their resources answer 404.
* Errors are RFC 9457 `application/problem+json` with a stable `type`.
* Bodies are JSON: send `Content-Type: application/json` (else 415).
* Lists are `{"items": [...], "next_cursor": ...}`; pass `?cursor=` for the next page.
* Every POST accepts `Idempotency-Key`: a retry gets the first answer.
* Reads accept `?at=` (RFC 3339) and answer for that instant.
"""


#: The middleware that may stand in front of FastAPI's own layers (see ``ReprieveAPI``).
FRONT: frozenset[object] = frozenset({Observe, FastChecks, FastViolations, FastNotices})


#: FastAPI's own OpenTelemetry (spans, metrics and logs of each request), off: Reprieve has its
#: own observability (api/observability). ``REPRIEVE_OPENTELEMETRY=1`` turns FastAPI's back on.
TELEMETRY_OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False, "auto_configure": False}


class ReprieveAPI(FastAPI):
    """FastAPI, with the middleware added last (the leading ``FRONT`` ones of
    ``user_middleware``) outside FastAPI's own layers rather than inside them.

    A request's task passes through every layer of the stack each time it resumes (after the
    body, the commit, each send), and the fast paths answer most requests: in front, they pass
    through three layers fewer. FastAPI's outermost layer answers an error as a 500 and raises it
    again; ``Observe`` answers every error itself (with the request id), so when it stands in
    front that layer is left out, and an error is answered and logged as it was before."""

    def __init__(self, *, opentelemetry: bool = False, **kwargs: Any) -> None:
        super().__init__(telemetry=None if opentelemetry else TELEMETRY_OFF, **kwargs)
        self.opentelemetry = opentelemetry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Without OpenTelemetry, a request goes straight to the middleware stack: FastAPI's
        ``__call__`` would ask on every request whether telemetry is on (with it off, a few
        lookups) and then go through Starlette's ``__call__``, two frames that every resumption
        of the request's task passes through. This is what those two do for a request."""
        if self.opentelemetry or scope["type"] == "lifespan":
            await super().__call__(scope, receive, send)
            return
        if self.root_path:
            scope["root_path"] = self.root_path
        scope["app"] = self
        if self.middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        await self.middleware_stack(scope, receive, send)

    def build_middleware_stack(self) -> ASGIApp:
        every = self.user_middleware
        classes: list[object] = [m.cls for m in every]
        in_front = len(list(takewhile(FRONT.__contains__, classes)))
        front, self.user_middleware = every[:in_front], every[in_front:]
        try:
            app = super().build_middleware_stack()
        finally:
            self.user_middleware = every
        if Observe in classes[:in_front] and isinstance(app, ServerErrorMiddleware):
            app = app.app
        for cls, args, kwargs in reversed(front):
            app = cls(app, *args, **kwargs)
        return app


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    db: Database,
    *,
    clock: Callable[[], datetime] = utc_now,
    enforcement: Enforcement | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    group_commit: bool = True,
    opentelemetry: bool = False,
    trusted_proxies: str = "",
    security_log_days: int = 90,
    access_log_days: int = 365,
) -> FastAPI:
    """The API over ``db``; ``clock`` says what time it is (tests pass a fixed one).

    ``group_commit``: concurrent violations share one transaction (see ``runtime.group_commit``).
    ``opentelemetry``: FastAPI's own OpenTelemetry instrumentation (``TELEMETRY_OFF`` if not).
    ``trusted_proxies``: the proxies whose ``X-Forwarded-For`` names the client (comma-separated
    addresses or CIDRs); ``security_log_days``: how long the security log keeps its rows;
    ``access_log_days``: how long the access log of personal data keeps its rows.
    """
    committer = GroupCommitter(db) if group_commit else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        amnesty_runner.resume_in_background(db)  # what a stopped server left half-way goes on (docs/amnesty.md)
        yield
        if committer is not None:
            # Answers what was submitted before stopping; off the loop, as it may wait for a commit.
            await run_in_threadpool(committer.close)

    app = ReprieveAPI(
        title="Reprieve",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,  # ours, from vendored files (api/pages.py)
        redoc_url=None,
        lifespan=lifespan,
        opentelemetry=opentelemetry,
    )
    app.state.db = db
    app.state.committer = committer
    app.state.clock = clock
    app.state.enforcement = enforcement or Enforcement(db)
    app.state.trusted_proxies = parse_networks(trusted_proxies)
    app.state.security_log_days = security_log_days
    app.state.access_log_days = access_log_days
    install_problem_handlers(app)
    for module in ROUTE_MODULES:
        app.include_router(module.router)
    from reprieve.web.app import mount_console  # the console's pages, under /console and /appeal

    mount_console(app, problem_for=problem_for)
    mount_pages(app)  # / and /docs
    # Added last, runs first: an oversized body is refused before its key is looked up.
    app.add_middleware(Idempotency, db=db, clock=clock)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    # Answers plain POST /v1/notices itself (orjson, received in batches by the group commit).
    app.add_middleware(FastNotices, max_body_bytes=max_body_bytes)
    # Answers plain POST /v1/violations itself (orjson, straight to the group commit).
    app.add_middleware(FastViolations, max_body_bytes=max_body_bytes)
    # Outermost: answers plain POST /v1/checks itself, hands everything else to the above.
    app.add_middleware(FastChecks, max_body_bytes=max_body_bytes)
    # Around everything: request id, latency histogram and access log (api/observability).
    # These three stand in front of FastAPI's own layers (ReprieveAPI).
    install_observability(app, db=db, clock=clock)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = Problem.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def app_from_settings(db: Database, settings: Settings) -> FastAPI:
    """``create_app`` over ``db`` as the ``REPRIEVE_*`` settings say."""
    return create_app(
        db,
        group_commit=settings.group_commit,
        opentelemetry=settings.opentelemetry,
        trusted_proxies=settings.trusted_proxies,
        security_log_days=settings.security_log_days,
        access_log_days=settings.access_log_days,
    )


def create_app_from_settings() -> FastAPI:
    """For ``uvicorn --factory``: the database named by ``REPRIEVE_DATABASE_URL``."""
    from reprieve.api.server import SWITCH_INTERVAL  # here: the server module imports this one

    sys.setswitchinterval(SWITCH_INTERVAL)  # each worker process, as ``serve`` does for one
    settings = load_settings()
    db = open_database(settings.database_url)
    app = attach_index(app_from_settings(db, settings), db)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[None]:
        async with inner(app_):
            yield
        db.dispose()

    app.router.lifespan_context = lifespan
    return app
