"""The audit log: every event, oldest first, as hashed into the chain."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from reprieve.api.deps import Auditor
from reprieve.api.problems import problem_responses
from reprieve.api.schemas import SLUG_PATTERN, EventPage
from reprieve.services import audit

router = APIRouter(prefix="/v1/events", tags=["audit"])


@router.get("", response_model=EventPage, responses=problem_responses(403), summary="Read the audit log")
def list_events(
    tenant: Auditor,
    after: Annotated[int, Query(ge=0, le=2**62, description="the seq to read after")] = 0,
    cursor: Annotated[
        str | None, Query(pattern=r"^[0-9]{1,18}$", description="`next_cursor` of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    operator: Annotated[str | None, Query(pattern=SLUG_PATTERN)] = None,
) -> dict[str, Any]:
    start = int(cursor) if cursor is not None else after
    return audit.list_events(tenant.db, after=start, limit=limit, operator=operator, caller=tenant.caller()).to_json()
