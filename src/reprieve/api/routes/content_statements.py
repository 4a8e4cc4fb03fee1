"""Statements of reasons issued for decisions on content (PRODUCT.md sections 8 and 9). Each is
read, rendered and delivered like a sanction's, through ``/v1/statements/{id}``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from reprieve.api.deps import AsOf, OpaqueId, Reader
from reprieve.api.problems import problem_responses
from reprieve.services import content_statements

router = APIRouter(tags=["content"])


@router.get(
    "/v1/content-decisions/{decision_id}/statements",
    responses=problem_responses(),
    summary="The statements of reasons issued for a content decision, oldest first (never their text)",
)
def list_content_statements(tenant: Reader, decision_id: OpaqueId, as_of: AsOf) -> dict[str, Any]:
    """One per change that needed one: the decision's creation, and each amendment that changed its
    kind, end or territorial scope, and a restoration decided on a complaint (granted) or by a review
    (`lift`), which says why (`decided.why`); another restoration issues none. Each is read exactly as issued at
    `GET /v1/statements/{id}` (`?format=html`, `?lang=fr`) and its receipt recorded at
    `POST /v1/statements/{id}/delivery`. A past `as_of`: those issued by then."""
    items = content_statements.statements_of(tenant.db, decision_id, caller=tenant.caller(), as_of=as_of)
    return {"items": [item.to_json() for item in items]}
