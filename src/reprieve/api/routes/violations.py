"""Violations: a platform reports a broken rule; the answer is the strike and what the ladder imposed.

Two ways in, one answer (as for checks). ``record_violation`` is the route FastAPI documents and
runs for anything unusual: an ``Idempotency-Key``, a missing or refused token, a body that is
not plainly valid, no group commit. ``api.fast.violations.FastViolations`` takes the common
request before FastAPI's machinery and hands over whatever it is not sure of.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from starlette.concurrency import run_in_threadpool

from reprieve.api.deps import IDEMPOTENT, CommitterDep, allow
from reprieve.api.due_process_schemas import ViolationCreate, ViolationOut
from reprieve.api.problems import problem_responses
from reprieve.domain.model import Role
from reprieve.http.deps import Now, Tenant
from reprieve.services import violations

router = APIRouter(prefix="/v1/violations", tags=["violations"])
PATH = "/v1/violations"

#: The platforms' machines report violations; moderators may too.
REPORTER_ROLES = (Role.MODERATOR, Role.PLATFORM)
Reporter = Annotated[Tenant, Depends(allow(*REPORTER_ROLES))]


@router.post(
    "",
    status_code=201,
    response_model=ViolationOut,
    dependencies=IDEMPOTENT,
    responses={
        200: {"model": ViolationOut, "description": "a violation already recorded under this id: the first answer"},
        **problem_responses(403, 409, 413),
    },
    summary="Record a violation: a strike, and what the platform's ladder imposes",
)
async def record_violation(
    tenant: Reporter, body: ViolationCreate, now: Now, response: Response, committer: CommitterDep
) -> dict[str, Any]:
    report = body.to_command()
    caller = tenant.caller(now)
    if committer is None:
        answer = await run_in_threadpool(violations.record_violation, tenant.db, report, caller=caller)
    else:
        # Awaited, not waited on: the event loop serves other requests while the group commits.
        answer = await asyncio.wrap_future(violations.submit_violation(committer, report, caller=caller))
    if not answer.created:
        response.status_code = 200
    return answer.body
