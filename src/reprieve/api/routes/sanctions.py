"""Sanctions: imposed, listed, read as they stand at an instant, amended and lifted."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from reprieve.api.deps import IDEMPOTENT, AsOf, At, ClockDep, IfMatch, Moderator, OpaqueId, Reader
from reprieve.api.problems import problem_responses
from reprieve.api.schemas import (
    SLUG_PATTERN,
    SanctionAmend,
    SanctionCreate,
    SanctionDetailOut,
    SanctionLift,
    SanctionOut,
    SanctionPage,
)
from reprieve.domain.filters import SanctionFilter
from reprieve.domain.model import SanctionKind, SanctionState
from reprieve.services import deliveries, sanctions
from reprieve.services.views import SanctionView

router = APIRouter(prefix="/v1/sanctions", tags=["sanctions"])


@router.post(
    "",
    status_code=201,
    response_model=SanctionOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 409, 413),
    summary="Impose a sanction",
)
def impose_sanction(tenant: Moderator, body: SanctionCreate, clock: ClockDep, response: Response) -> dict[str, Any]:
    created = sanctions.impose_sanction(tenant.db, body.to_command(), caller=tenant.caller(clock))
    return _tagged(response, created)


@router.get("", response_model=SanctionPage, responses=problem_responses(), summary="List sanctions")
def list_sanctions(
    tenant: Reader,
    at: At,
    as_of: AsOf,
    operator: Annotated[str | None, Query(pattern=SLUG_PATTERN)] = None,
    platform: Annotated[str | None, Query(pattern=SLUG_PATTERN, description="in the scope")] = None,
    account: Annotated[
        str | None,
        Query(pattern=r"^[^\s\x00]{1,264}$", description="`platform/account`, or an account id alone"),
    ] = None,
    kind: SanctionKind | None = None,
    state: Annotated[SanctionState | None, Query(description="at `at`")] = None,
    category: Annotated[str | None, Query(pattern=r"^[A-Z0-9_]{1,80}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_=-]{1,200}$")] = None,
) -> dict[str, Any]:
    query = SanctionFilter(
        operator=tenant.operator_filter(operator),
        operators=tenant.operators,
        platform=platform,
        account=account,
        kind=kind,
        state=state,
        category=category,
    )
    return sanctions.list_sanctions(tenant.db, query, at=at, limit=limit, cursor=cursor, as_of=as_of).to_json()


@router.get("/{sanction_id}", response_model=SanctionDetailOut, responses=problem_responses())
def get_sanction(tenant: Reader, sanction_id: OpaqueId, at: At, as_of: AsOf, response: Response) -> dict[str, Any]:
    """The sanction as it stands at `at`, as known `as_of` (from the events recorded by then: a
    sanction created later is 404); its `version` is also the `ETag`. `informed`: when its user
    was told of the latest decision (a delivery receipt recorded by `as_of`) and the complaint deadline."""
    found = sanctions.get_sanction(tenant.db, sanction_id, at=at, caller=tenant.caller(), as_of=as_of)
    informed = deliveries.informed_of(tenant.db, sanction_id, caller=tenant.caller(), at=at, as_of=as_of)
    return {**_tagged(response, found), "informed": informed.to_json()}


@router.post(
    "/{sanction_id}/amend",
    response_model=SanctionOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 409, 412, 413),
    summary="Change a sanction's term from an instant on",
)
def amend_sanction(
    tenant: Moderator,
    sanction_id: OpaqueId,
    body: SanctionAmend,
    clock: ClockDep,
    if_version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """With `If-Match: "<version>"`, only if the sanction has not changed since (else 412, nothing written)."""
    amended = sanctions.amend_sanction(
        tenant.db, sanction_id, body.to_command(), caller=tenant.caller(clock), if_version=if_version
    )
    return _tagged(response, amended)


@router.post(
    "/{sanction_id}/lift",
    response_model=SanctionOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 409, 412, 413),
    summary="Lift a sanction (409 if it is not active at effective_at); one not started yet is cancelled",
)
def lift_sanction(
    tenant: Moderator,
    sanction_id: OpaqueId,
    body: SanctionLift,
    clock: ClockDep,
    if_version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """With `If-Match: "<version>"`, only if the sanction has not changed since (else 412, nothing written).
    Of two lifts racing, one is recorded and the other gets 409."""
    lifted = sanctions.lift_sanction(
        tenant.db, sanction_id, body.to_command(), caller=tenant.caller(clock), if_version=if_version
    )
    return _tagged(response, lifted)


def _tagged(response: Response, sanction: SanctionView) -> dict[str, Any]:
    """The sanction's wire form, its version given as the answer's ``ETag`` too."""
    response.headers["ETag"] = f'"{sanction.version}"'
    return sanction.to_json()
