"""Imports: sanctions decided before Reprieve, with when each user was informed (PRODUCT.md section 8)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from reprieve.api.deps import IDEMPOTENT, ClockDep, Importer
from reprieve.api.import_schemas import ImportCreate, ImportOut
from reprieve.api.problems import problem_responses
from reprieve.services import content_import, sanctions

router = APIRouter(prefix="/v1/imports", tags=["sanctions"])


@router.post(
    "",
    status_code=201,
    response_model=ImportOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 413),
    summary="Import history: sanctions or content decisions decided before, each with when its user was informed",
)
def import_history(tenant: Importer, body: ImportCreate, clock: ClockDep) -> dict[str, Any]:
    """Up to 1,000 rows, recorded in one transaction: all of them, or none (422 naming the row:
    `sanction #n: ...`). Each row is a sanction's create body with `informed_at` (when the platform
    informed the user: never before `starts_at`, never in the future; required unless
    `informed_at_start`) and, if the platform issued one, its own `statement` (reference and
    date), recorded instead of issuing one. For a platform token or an operator's admin.

    `content_decisions` in place of `sanctions` imports decisions on content the same way (each row
    a content decision's create body with `informed_at` and `statement`; `content decision #n: ...`
    names a row refused; an item named with another author than its first is a 409)."""
    if body.content_decisions is not None:
        done = content_import.import_history(tenant.db, body.to_content_commands(), caller=tenant.caller(clock))
        return {"imported": done}
    imported = sanctions.import_history(tenant.db, body.to_commands(), caller=tenant.caller(clock))
    return {"imported": imported}
