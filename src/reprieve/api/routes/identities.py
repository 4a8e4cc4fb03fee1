"""Identities: accounts of one operator linked together, so that a sanction reaches them all."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from reprieve.api.deps import IDEMPOTENT, AsOf, IdentityLinker, OpaqueId, Reader
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


@router.get(
    "/{identity_id}",
    response_model=IdentityOut,
    responses=problem_responses(404),
    summary="An identity and its accounts (as known `as_of` an instant: with the links made by then)",
)
def get_identity(tenant: Reader, identity_id: OpaqueId, as_of: AsOf) -> dict[str, Any]:
    """Its accounts now; a past `as_of`: those linked in it by then (an identity a later link
    merged into another is found too, as it was)."""
    return catalogue.get_identity(tenant.db, identity_id, caller=tenant.caller(), as_of=as_of).to_json()
