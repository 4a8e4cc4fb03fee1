"""Identities: accounts of one operator linked together, so that a sanction reaches them all."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from reprieve.api.deps import IDEMPOTENT, IdentityLinker
from reprieve.api.problems import problem_responses
from reprieve.api.schemas import IdentityCreate, IdentityOut
from reprieve.http.deps import Now
from reprieve.services import catalogue

router = APIRouter(prefix="/v1/identities", tags=["identities"])


@router.post(
    "",
    status_code=201,
    response_model=IdentityOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 409, 413),
    summary="Link accounts into one identity (merging the identities they were in)",
)
def link_identities(tenant: IdentityLinker, body: IdentityCreate, now: Now) -> dict[str, Any]:
    return catalogue.link_identities(tenant.db, body.to_command(), caller=tenant.caller(now)).to_json()
