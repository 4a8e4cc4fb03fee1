"""``Observe``: the outermost ASGI middleware. Gives each request an id, times it, logs it.

For every HTTP request it: takes the id from a valid ``X-Request-ID`` or makes one, and sends
it back in the response's ``X-Request-ID`` and in any ``application/problem+json`` body as
``request_id``; observes the latency histogram by method, route template and status class;
writes one access line (logger ``reprieve.access``). An exception that escapes the routes is
answered here as the 500 problem (so that it carries the id too) and logged with it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reprieve.api.observability.logs import (
    ACCESS_LOGGER,
    REQUEST_ID,
    accepted_request_id,
    log_access,
    new_request_id,
)
from reprieve.api.observability.metrics import METRICS, Registry
from reprieve.api.problems import PROBLEM_JSON, problem_for
from reprieve.domain.errors import ForbiddenError
from reprieve.services import Database
from reprieve.services.tokens import remembered_principal

#: The route label of a request no route matched: raw paths would make a label per URL.
UNMATCHED = "<unmatched>"
#: Where a layer that authenticated the request (the fast paths) leaves its token's operator
#: (None for an instance admin), so that the access line does not look the token up again.
OPERATOR = "reprieve.operator"
_STATUS_CLASS = {n: f"{n}xx" for n in range(1, 6)}
_PROBLEM = PROBLEM_JSON.encode()

access_log = logging.getLogger(ACCESS_LOGGER)


def route_template(scope: Scope) -> str | None:
    """The path template of the route that handled the request, ``/v1/sanctions/{sanction_id}``."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else None


def static_route(scope: Scope) -> str | None:
    """The path, if a route of the app has exactly this path: for a request answered by a
    middleware before routing (``fast.checks.FastChecks``)."""
    path = scope["path"]
    if "{" in path:
        return None
    pending = list(getattr(getattr(scope.get("app"), "router", None), "routes", ()))
    while pending:
        route = pending.pop()
        included = getattr(route, "original_router", None)  # FastAPI's wrapper of include_router
        if included is not None:
            pending.extend(getattr(included, "routes", ()))
        elif getattr(route, "path_format", None) == path:
            return str(path)
    return None


class Observe:
    """Request id, latency histogram and access log for every HTTP request (see the module)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        db: Database | None = None,
        clock: Callable[[], datetime] | None = None,
        registry: Registry = METRICS,
    ) -> None:
        self.app = app
        self.db = db
        self.clock = clock
        self.registry = registry
        self._static: dict[str, str] = {}  # paths answered before routing -> their route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                request_id = accepted_request_id(value.decode("latin-1"))
                break
        if request_id is None:
            request_id = new_request_id()
        token = REQUEST_ID.set(request_id)
        id_header = (b"x-request-id", request_id.encode())
        head = scope["method"] == "HEAD"  # no body to amend
        status = 0
        held: Message | None = None  # the start of a problem answer, sent with its amended body
        body: list[bytes] = []

        async def observed_send(message: Message) -> None:
            nonlocal status, held
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", ()), id_header]
                message = {**message, "headers": headers}
                # Problems are errors: a success is passed on without looking at its headers.
                if (
                    status >= 400
                    and not head
                    and any(n == b"content-type" and v.startswith(_PROBLEM) for n, v in headers)
                ):
                    held = message
                    return
            elif kind == "http.response.body" and held is not None:
                body.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                start, content = held, _with_request_id(b"".join(body), request_id)
                held = None
                start["headers"] = [
                    (n, str(len(content)).encode() if n == b"content-length" else v) for n, v in start["headers"]
                ]
                await send(start)
                message = {"type": "http.response.body", "body": content}
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        except Exception as exc:
            if status:
                raise  # the answer has begun: nothing better to send than a cut connection
            await problem_for(exc)(scope, receive, observed_send)  # logs it, with the request id
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope) or self._static.get(scope["path"]) or self._learn_static(scope)
            status_class = _STATUS_CLASS.get(status // 100, "5xx")
            self.registry.http_duration.observe(elapsed, (scope["method"], route, status_class))
            if access_log.isEnabledFor(logging.INFO):
                self._log(scope, route, status or 500, elapsed, request_id)
            REQUEST_ID.reset(token)

    def _learn_static(self, scope: Scope) -> str:
        path = static_route(scope)
        if path is None:
            return UNMATCHED
        self._static[path] = path  # bounded: only paths that are routes are kept
        return path

    def _log(self, scope: Scope, route: str, status: int, elapsed: float, request_id: str) -> None:
        method = scope["method"]
        log_access(
            access_log,
            f"{method} {route} {status}",
            {
                "request_id": request_id,
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(elapsed * 1000, 3),
                "operator": self._operator(scope),
            },
        )

    def _operator(self, scope: Scope) -> str | None:
        """The operator of the bearer token, if the request was authenticated less than a second
        ago (``services.tokens.PrincipalCache``): known without I/O, else left out."""
        if OPERATOR in scope:
            operator: str | None = scope[OPERATOR]
            return operator
        if self.db is None or self.clock is None:
            return None
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, secret = value.decode("latin-1").partition(" ")
                if scheme.lower() != "bearer" or not secret:
                    return None
                try:
                    principal = remembered_principal(self.db, secret.strip(), now=self.clock())
                except ForbiddenError:
                    return None
                return None if principal is None else principal.operator
        return None


def _with_request_id(content: bytes, request_id: str) -> bytes:
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError:
        return content
    if not isinstance(data, dict):
        return content
    # A replayed first answer (Idempotency-Key) already names the request that met it.
    data.setdefault("request_id", request_id)
    return orjson.dumps(data)
