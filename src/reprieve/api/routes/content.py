"""Decisions on content (PRODUCT.md section 9): decided, listed, read as they stand at an
instant (as known at another), amended and restored."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from reprieve.api.content_schemas import (
    ContentDecisionAmend,
    ContentDecisionCreate,
    ContentDecisionOut,
    ContentDecisionPage,
    ContentDecisionRestore,
)
from reprieve.api.deps import IDEMPOTENT, AsOf, At, ClockDep, IfMatch, Moderator, OpaqueId, Reader
from reprieve.api.problems import problem_responses
from reprieve.api.schemas import SLUG_PATTERN
from reprieve.domain.content import ContentKind, ContentState
from reprieve.services import content
from reprieve.services.content import ContentDecisionView, ListContent

router = APIRouter(prefix="/v1/content-decisions", tags=["content decisions"])


@router.post(
    "",
    status_code=201,
    response_model=ContentDecisionOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 409, 413),
    summary="Decide about an item",
)
def decide_content(
    tenant: Moderator, body: ContentDecisionCreate, clock: ClockDep, response: Response
) -> dict[str, Any]:
    """409 if the item was first recorded with another author (the answer names it)."""
    decided = content.decide_content(tenant.db, body.to_command(), caller=tenant.caller(clock))
    return _tagged(response, decided)


@router.get("", response_model=ContentDecisionPage, responses=problem_responses(), summary="List content decisions")
def list_content_decisions(
    tenant: Reader,
    at: At,
    as_of: AsOf,
    platform: Annotated[str | None, Query(pattern=SLUG_PATTERN)] = None,
    account: Annotated[
        str | None,
        Query(pattern=r"^[^\s\x00]{1,264}$", description="the author: `platform/account`, or an account id alone"),
    ] = None,
    item: Annotated[
        str | None, Query(pattern=r"^[^\s\x00]{1,200}$", description="the platform's id of the item")
    ] = None,
    kind: Annotated[ContentKind | None, Query(description="at `at`")] = None,
    state: Annotated[ContentState | None, Query(description="at `at`")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_=-]{1,200}$")] = None,
) -> dict[str, Any]:
    query = ListContent(platform=platform, account=account, item=item, kind=kind, state=state)
    page = content.list_content_decisions(
        tenant.db, query, at=at, caller=tenant.caller(), limit=limit, cursor=cursor, as_of=as_of
    )
    return page.to_json()


@router.get("/{decision_id}", response_model=ContentDecisionOut, responses=problem_responses())
def get_content_decision(
    tenant: Reader, decision_id: OpaqueId, at: At, as_of: AsOf, response: Response
) -> dict[str, Any]:
    """The decision as it stands at `at`, as known `as_of` (from the events recorded by then: a
    decision recorded later is 404); its `version` is also the `ETag`."""
    found = content.get_content_decision(tenant.db, decision_id, at=at, caller=tenant.caller(), as_of=as_of)
    return _tagged(response, found)


@router.post(
    "/{decision_id}/amend",
    response_model=ContentDecisionOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 409, 412, 413),
    summary="Change a content decision's term from an instant on",
)
def amend_content(
    tenant: Moderator,
    decision_id: OpaqueId,
    body: ContentDecisionAmend,
    clock: ClockDep,
    if_version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """With `If-Match: "<version>"`, only if the decision has not changed since (else 412, nothing
    written); 409 if it is not active at `effective_at`."""
    amended = content.amend_content(
        tenant.db, decision_id, body.to_command(), caller=tenant.caller(clock), if_version=if_version
    )
    return _tagged(response, amended)


@router.post(
    "/{decision_id}/restore",
    response_model=ContentDecisionOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 409, 412, 413),
    summary="Restore the item (409 if the decision is not active at effective_at); one not started yet is cancelled",
)
def restore_content(
    tenant: Moderator,
    decision_id: OpaqueId,
    body: ContentDecisionRestore,
    clock: ClockDep,
    if_version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """With `If-Match: "<version>"`, only if the decision has not changed since (else 412, nothing written)."""
    restored = content.restore_content(
        tenant.db, decision_id, body.to_command(), caller=tenant.caller(clock), if_version=if_version
    )
    return _tagged(response, restored)


def _tagged(response: Response, decision: ContentDecisionView) -> dict[str, Any]:
    """The decision's wire form, its version given as the answer's ``ETag`` too."""
    response.headers["ETag"] = f'"{decision.version}"'
    return decision.to_json()
