"""Operations: ``/healthz`` (alive), ``/readyz`` (the index has caught up), ``/metrics`` (Prometheus).

Not part of the v1 API (not in the OpenAPI document): they answer load balancers and scrapers.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from reprieve.api.deps import current_principal
from reprieve.api.enforcement import Enforcement
from reprieve.api.observability.metrics import CONTENT_TYPE, METRICS
from reprieve.api.observability.probes import index_lag, read_gauges
from reprieve.api.problems import PROBLEM_JSON, ProblemType, Unauthenticated, problem
from reprieve.domain.errors import ForbiddenError
from reprieve.http.deps import DbDep, Now

router = APIRouter(tags=["operations"], include_in_schema=False)


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def figures_reader(request: Request, db: DbDep, now: Now) -> bool:
    """Whether ``/readyz`` shows its figures (``applied_seq``, ``head_seq``, the lag): they count
    the events of every operator together, so only to the readers of ``/metrics``. A request
    without ``Authorization`` (a load balancer's) gets the status alone; one with another token
    gets 401 or 403, as on ``/metrics``."""
    if "authorization" not in request.headers:
        return False
    await instance_reader(request, db, now, what="the figures of /readyz")
    return True


@router.get("/readyz", summary="The enforcement index has loaded and caught up with the log")
async def readyz(request: Request, now: Now, figures: Annotated[bool, Depends(figures_reader)]) -> Response:
    enforcement: Enforcement = request.app.state.enforcement
    if enforcement.index is None and getattr(request.app.state, "index_expected", False):
        return problem(503, ProblemType.UNAVAILABLE, "the enforcement index is being built")
    try:
        lag = await run_in_threadpool(index_lag, enforcement, now=now)
    except Exception as exc:  # the database is unreachable: not ready, whatever the cause
        return problem(503, ProblemType.UNAVAILABLE, f"the event log cannot be read: {type(exc).__name__}")
    shown = lag.to_dict() if figures else {}
    if lag.caught_up:
        return JSONResponse({"status": "ready", **shown})
    detail = (
        f"the enforcement index is {lag.events} events ({lag.seconds:.1f} s) behind the event log"
        if figures
        else "the enforcement index is behind the event log"
    )
    answer = orjson.loads(problem(503, ProblemType.UNAVAILABLE, detail).body)
    return JSONResponse({**answer, **shown}, status_code=503, media_type=PROBLEM_JSON)


async def instance_reader(request: Request, db: DbDep, now: Now, *, what: str) -> None:
    """Admits the metrics token (``REPRIEVE_METRICS_TOKEN``) or an instance-admin token, to read
    ``what``: figures of the whole instance; 401 without a valid token, 403 for another."""
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise Unauthenticated("send a token: Authorization: Bearer <token>")
    expected: str | None = request.app.state.metrics_token
    if expected is not None and hmac.compare_digest(secret.encode(), expected.encode()):
        return
    principal = await current_principal(db, now, HTTPAuthorizationCredentials(scheme="Bearer", credentials=secret))
    if not principal.is_instance_admin:
        raise ForbiddenError(f"only an instance-admin token or the metrics token may read {what}")


async def metrics_reader(request: Request, db: DbDep, now: Now) -> None:
    """Admits the metrics token (``REPRIEVE_METRICS_TOKEN``) or an instance-admin token: the
    metrics describe the whole instance (every operator's amnesties, every route's traffic)."""
    await instance_reader(request, db, now, what="/metrics")


@router.get("/metrics", dependencies=[Depends(metrics_reader)], summary="Metrics, in the Prometheus text format")
async def metrics(request: Request, db: DbDep, now: Now) -> Response:
    state: Any = request.app.state
    families = await run_in_threadpool(read_gauges, state.enforcement, db, now=now)
    # Rendered on the event loop, where the request middleware observes the histogram.
    return Response(METRICS.render(families), media_type=CONTENT_TYPE)
