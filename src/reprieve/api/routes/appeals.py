"""Appeals: complaints and reinstatement requests filed, listed, attached to a review, decided by
a person, and the out-of-court disputes about them."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from reprieve.api.deps import IDEMPOTENT, AsOf, AtIfGiven, ClockDep, Moderator, OpaqueId, Reader, allow
from reprieve.api.due_process_schemas import (
    AppealAttach,
    AppealCreate,
    AppealDecisionCreate,
    AppealOut,
    AppealPage,
    DisputeCreate,
)
from reprieve.api.problems import problem_responses
from reprieve.api.schemas import SLUG_PATTERN
from reprieve.domain.appeals import HUMAN_DECIDERS, AppealKind, AppealState
from reprieve.domain.filters import AppealFilter
from reprieve.domain.model import Role
from reprieve.domain.time import to_micros
from reprieve.http.deps import Now, Tenant
from reprieve.services import access_log, appeals

router = APIRouter(prefix="/v1/appeals", tags=["appeals"])

#: The platform files on a user's behalf; moderators and admins enter letters and e-mails.
AppealFiler = Annotated[Tenant, Depends(allow(Role.MODERATOR, Role.PLATFORM))]
#: People only: a ``platform`` token never decides (403).
AppealDecider = Annotated[Tenant, Depends(allow(Role.MODERATOR))]


def sees_contact(tenant: Tenant) -> bool:
    """The requester's name and e-mail are for the people who answer them: the name in every
    answer to them, the e-mail only in a read of one appeal, which the access log records."""
    return tenant.principal.role in HUMAN_DECIDERS


def access_log_retention(request: Request) -> timedelta:
    """How long the access log of personal data keeps its rows (``app.state.access_log_days``)."""
    return timedelta(days=getattr(request.app.state, "access_log_days", 365))


@router.post(
    "",
    status_code=201,
    response_model=AppealOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 409, 413),
    summary="File an appeal against a sanction, or a complaint about a content decision; 422 once a complaint's "
    "window closed, or on a sanction not active",
)
def file_appeal(tenant: AppealFiler, body: AppealCreate, clock: ClockDep) -> dict[str, Any]:
    result = appeals.file_appeal(tenant.db, body.to_command(), caller=tenant.caller(clock))
    return (result if sees_contact(tenant) else result.without_contact()).to_json()


@router.get("", response_model=AppealPage, responses=problem_responses(), summary="List appeals")
def list_appeals(
    tenant: Reader,
    state: AppealState | None = None,
    kind: AppealKind | None = None,
    operator: Annotated[str | None, Query(pattern=SLUG_PATTERN)] = None,
    sanction: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = None,
    content_decision: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = None,
    notice: Annotated[
        str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="notifiers' complaints about this notice")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_=-]{1,200}$")] = None,
    at: AtIfGiven = None,
    as_of: AsOf = None,
) -> dict[str, Any]:
    query = AppealFilter(
        state=state.value if state else None,
        kind=kind.value if kind else None,
        operator=tenant.operator_filter(operator),
        operators=tenant.operators,
        sanction=sanction,
        content_decision=content_decision,
        notice=notice,
        at=None if at is None else to_micros(at),
    )
    page = appeals.list_appeals(
        tenant.db, query, limit=limit, cursor=cursor, include_contact=sees_contact(tenant), as_of=as_of
    )
    return {**page.to_json(), "items": [a.without_email().to_json() for a in page.items]}


@router.get(
    "/{appeal_id}",
    response_model=AppealOut,
    responses=problem_responses(),
    summary="An appeal; to a moderator or an admin with the requester's e-mail, a read the access log records",
)
def get_appeal(
    tenant: Reader, appeal_id: OpaqueId, request: Request, now: Now, at: AtIfGiven = None, as_of: AsOf = None
) -> dict[str, Any]:
    if sees_contact(tenant):
        return appeals.reveal_email(
            tenant.db,
            appeal_id,
            caller=tenant.caller(now),
            via=access_log.API,
            at=at,
            as_of=as_of,
            retention=access_log_retention(request),
        ).to_json()
    return appeals.get_appeal(tenant.db, appeal_id, caller=tenant.caller(), at=at, as_of=as_of).to_json()


@router.post(
    "/{appeal_id}/decision",
    response_model=AppealOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 409, 413),
    summary="Decide an appeal (a person; 403 for a platform token): granted lifts, partially_granted amends",
)
def decide_appeal(
    tenant: AppealDecider, appeal_id: OpaqueId, body: AppealDecisionCreate, clock: ClockDep
) -> dict[str, Any]:
    return (
        appeals.decide_appeal(tenant.db, appeal_id, body.to_command(), caller=tenant.caller(clock))
        .without_email()
        .to_json()
    )


@router.post(
    "/{appeal_id}/attach",
    response_model=AppealOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 409, 413),
    summary="Put an appeal before the open review of its sanction",
)
def attach_appeal(tenant: Moderator, appeal_id: OpaqueId, body: AppealAttach, now: Now) -> dict[str, Any]:
    return (
        appeals.attach_appeal(tenant.db, appeal_id, review_id=body.review, caller=tenant.caller(now))
        .without_email()
        .to_json()
    )


@router.post(
    "/{appeal_id}/disputes",
    status_code=201,
    response_model=AppealOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 409, 413),
    summary="Record an out-of-court dispute about an appeal (DSA art. 21), or its progress",
)
def record_dispute(tenant: AppealDecider, appeal_id: OpaqueId, body: DisputeCreate, now: Now) -> dict[str, Any]:
    return (
        appeals.record_dispute(tenant.db, appeal_id, body.to_command(), caller=tenant.caller(now))
        .without_email()
        .to_json()
    )
