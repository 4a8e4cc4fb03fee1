"""People: erasing a person's personal data within one operator (GDPR art. 17)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from reprieve.api.deps import IDEMPOTENT, OperatorAdmin
from reprieve.api.people_schemas import ErasureCreate, ErasureOut
from reprieve.api.problems import problem_responses
from reprieve.http.deps import Now
from reprieve.services import people

router = APIRouter(prefix="/v1/people", tags=["people"])


@router.post(
    "/erase",
    response_model=ErasureOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 409, 413),
    summary="Erase a person's personal data within an operator (admin); 409 while a case of theirs is open",
)
def erase_person(tenant: OperatorAdmin, body: ErasureCreate, now: Now) -> dict[str, Any]:
    return people.erase_person(tenant.db, body.to_command(), caller=tenant.caller(now)).to_json()
