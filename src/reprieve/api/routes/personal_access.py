"""The access log of personal data: who was shown a requester's e-mail, when, of which appeal
(the operator's admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from reprieve.api.deps import OperatorAdmin
from reprieve.api.problems import problem_responses
from reprieve.api.schemas import SLUG_PATTERN
from reprieve.domain.time import parse_instant
from reprieve.services import access_log

router = APIRouter(prefix="/v1/personal-access", tags=["appeals"])


@router.get("", responses=problem_responses(403), summary="Who was shown a requester's e-mail, newest first")
def list_accesses(
    tenant: OperatorAdmin,
    operator: Annotated[str | None, Query(pattern=SLUG_PATTERN)] = None,
    appeal: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = None,
    since: Annotated[str | None, Query(max_length=40, description="only accesses at or after (RFC 3339)")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> dict[str, Any]:
    chosen = tenant.operator_filter(operator)
    entries = access_log.entries(
        tenant.db,
        operators=[chosen] if chosen is not None else tenant.operators,
        appeal_id=appeal,
        since=parse_instant(since, field="since") if since else None,
        limit=limit,
    )
    return {"items": [e.to_json() for e in entries]}
