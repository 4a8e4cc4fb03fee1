"""Amnesties: a dry run, a real run in the background (202), its progress, and its revert."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from reprieve.api.amnesty_schemas import (
    AmnestyAccepted,
    AmnestyCreate,
    AmnestyOut,
    AmnestyPreviewOut,
    AmnestyRevertCreate,
)
from reprieve.api.deps import IDEMPOTENT, OpaqueId, Reader, allow
from reprieve.api.problems import problem_responses
from reprieve.domain.amnesty import AmnestyState
from reprieve.domain.model import Role
from reprieve.http.deps import Now, Tenant
from reprieve.runtime import amnesty as amnesty_runner
from reprieve.services import amnesty

router = APIRouter(tags=["amnesties"])

#: Moderators decide amnesties; the operator's admins may too.
AmnestyMaker = Annotated[Tenant, Depends(allow(Role.MODERATOR))]


@router.post(
    "/v1/amnesties",
    status_code=202,
    dependencies=IDEMPOTENT,
    responses={
        200: {"model": AmnestyPreviewOut, "description": "the dry run"},
        202: {"model": AmnestyAccepted, "description": "started; follow it at GET /v1/amnesties/{id}"},
        **problem_responses(403, 404, 413),
    },
    summary="Lift every matching sanction of an operator (dry_run: count and sample only)",
)
def create_amnesty(tenant: AmnestyMaker, body: AmnestyCreate, now: Now, request: Request) -> Any:
    tenant.require_operator(body.operator)
    f, effective_at = body.to_filter()
    caller = tenant.caller(now)
    if body.dry_run:
        preview = amnesty.preview(tenant.db, f, effective_at=effective_at, caller=caller)
        return JSONResponse(
            AmnestyPreviewOut.model_validate(preview.to_json()).model_dump(mode="json"), status_code=200
        )
    started = amnesty.start(
        tenant.db,
        f,
        reason=body.reason,
        effective_at=effective_at,
        backdated_reason=body.backdated_reason,
        caller=caller,
    )
    if started.state is AmnestyState.RUNNING:
        amnesty_runner.run_in_background(tenant.db, started.id, clock=request.app.state.clock)
    return AmnestyAccepted.model_validate(started.to_json()).model_dump(mode="json")


@router.get("/v1/amnesties/{amnesty_id}", response_model=AmnestyOut, responses=problem_responses())
def get_amnesty(tenant: Reader, amnesty_id: OpaqueId) -> dict[str, Any]:
    return amnesty.get(tenant.db, amnesty_id, caller=tenant.caller()).to_json()


@router.post(
    "/v1/amnesties/{amnesty_id}/revert",
    status_code=202,
    response_model=AmnestyOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 409, 413),
    summary="Re-impose what this amnesty lifted (in the background); 409 unless it is completed",
)
def revert_amnesty(
    tenant: AmnestyMaker, amnesty_id: OpaqueId, body: AmnestyRevertCreate, now: Now, request: Request
) -> dict[str, Any]:
    result = amnesty.revert(tenant.db, amnesty_id, reason=body.reason, caller=tenant.caller(now))
    if result.state is AmnestyState.REVERTING:
        amnesty_runner.run_in_background(tenant.db, amnesty_id, clock=request.app.state.clock)
    return result.to_json()
