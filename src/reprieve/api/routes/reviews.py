"""Reviews: due ones listed, opened on a sanction with a panel, assessed by its members, decided."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from reprieve.api.deps import IDEMPOTENT, AsOf, AtIfGiven, ClockDep, Moderator, OpaqueId, Reader, allow
from reprieve.api.due_process_schemas import (
    AssessmentCreate,
    ReviewCreate,
    ReviewDecisionCreate,
    ReviewOpen,
    ReviewOut,
    ReviewPage,
)
from reprieve.api.problems import problem_responses
from reprieve.api.schemas import SLUG_PATTERN
from reprieve.domain.errors import ValidationError
from reprieve.domain.filters import ReviewFilter
from reprieve.domain.model import Role
from reprieve.domain.reviews import ReviewState
from reprieve.http.deps import Now, Tenant
from reprieve.services import reviews
from reprieve.services.callers import Caller

router = APIRouter(tags=["reviews"])

#: Those who sit on panels and those who moderate; the service then checks the seat.
PanelMember = Annotated[Tenant, Depends(allow(Role.MODERATOR, Role.REVIEWER))]


def caller_of(tenant: Tenant) -> Caller:
    """How due process sees a token: by its name or id on a panel, with its role."""
    p = tenant.principal
    return Caller(tenant.actor, names=(p.name, p.token_id), role=p.role)


@router.get(
    "/v1/reviews",
    response_model=ReviewPage,
    responses=problem_responses(),
    summary="List reviews; state=due lists the sanctions due for review at `at`",
)
def list_reviews(
    tenant: Reader,
    now: Now,
    at: AtIfGiven,
    as_of: AsOf,
    state: Annotated[ReviewState | None, Query(description="default: open and decided")] = None,
    operator: Annotated[str | None, Query(pattern=SLUG_PATTERN)] = None,
    sanction: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = None,
    content_decision: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_=-]{1,200}$")] = None,
) -> dict[str, Any]:
    query = ReviewFilter(
        state=state,
        operator=tenant.operator_filter(operator),
        operators=tenant.operators,
        sanction=sanction,
        content_decision=content_decision,
    )
    page = reviews.list_reviews(
        tenant.db, query, at=at or now, stood=at is not None, as_of=as_of, limit=limit, cursor=cursor
    )
    return page.to_json()


@router.get("/v1/reviews/{review_id}", response_model=ReviewOut, responses=problem_responses())
def get_review(tenant: Reader, review_id: OpaqueId, at: AtIfGiven = None, as_of: AsOf = None) -> dict[str, Any]:
    return reviews.get_review(tenant.db, review_id, caller=tenant.caller(), at=at, as_of=as_of).to_json()


@router.post(
    "/v1/sanctions/{sanction_id}/reviews",
    status_code=201,
    response_model=ReviewOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 409, 413),
    summary="Open a review of a sanction (the one due, or ad hoc)",
)
def open_review(tenant: Moderator, sanction_id: OpaqueId, body: ReviewCreate, now: Now) -> dict[str, Any]:
    return reviews.open_review(
        tenant.db,
        sanction_id,
        panel=body.panel,
        reason=body.reason,
        caller=tenant.caller(now),
    ).to_json()


@router.post(
    "/v1/content-decisions/{decision_id}/reviews",
    status_code=201,
    response_model=ReviewOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 409, 413),
    summary="Open a review of a content decision (ad hoc)",
)
def open_content_review(tenant: Moderator, decision_id: OpaqueId, body: ReviewCreate, now: Now) -> dict[str, Any]:
    return reviews.open_content_review(
        tenant.db, decision_id, panel=body.panel, reason=body.reason, caller=tenant.caller(now)
    ).to_json()


@router.post(
    "/v1/reviews",
    status_code=201,
    response_model=ReviewOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 409, 413),
    summary="Open a review of a sanction or of a content decision (exactly one)",
)
def open_any_review(tenant: Moderator, body: ReviewOpen, now: Now) -> dict[str, Any]:
    if (body.sanction is None) == (body.content_decision is None):
        raise ValidationError("name exactly one of sanction and content_decision", field="content_decision")
    caller = tenant.caller(now)
    if body.content_decision is not None:
        opened = reviews.open_content_review(
            tenant.db, body.content_decision, panel=body.panel, reason=body.reason, caller=caller
        )
    else:
        assert body.sanction is not None
        opened = reviews.open_review(tenant.db, body.sanction, panel=body.panel, reason=body.reason, caller=caller)
    return opened.to_json()


@router.post(
    "/v1/reviews/{review_id}/assessments",
    status_code=201,
    response_model=ReviewOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 409, 413),
    summary="File an assessment of risk (a panel member, once)",
)
def file_assessment(tenant: PanelMember, review_id: OpaqueId, body: AssessmentCreate, now: Now) -> dict[str, Any]:
    return reviews.file_assessment(tenant.db, review_id, body.to_command(), caller=tenant.caller(now)).to_json()


@router.post(
    "/v1/reviews/{review_id}/decision",
    response_model=ReviewOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 409, 413),
    summary="Decide a review (a moderator or a panel member); 409 without the quorum's assessments",
)
def decide_review(
    tenant: PanelMember, review_id: OpaqueId, body: ReviewDecisionCreate, clock: ClockDep
) -> dict[str, Any]:
    return reviews.decide_review(tenant.db, review_id, body.to_command(), caller=tenant.caller(clock)).to_json()
