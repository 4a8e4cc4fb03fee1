"""API tokens: created with a secret shown once, revoked by their operator's admins."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from reprieve.api.deps import IDEMPOTENT, OpaqueId, OperatorAdmin, shown_once
from reprieve.api.problems import problem_responses
from reprieve.api.schemas import TokenCreate, TokenCreated, TokenOut
from reprieve.http.deps import Now
from reprieve.services import tokens

router = APIRouter(prefix="/v1/tokens", tags=["tokens"])


@router.post(
    "",
    status_code=201,
    response_model=TokenCreated,
    dependencies=[*IDEMPOTENT, shown_once("token")],
    responses=problem_responses(403, 409, 413),
    summary="Create a token; its secret is shown once",
)
def create_token(tenant: OperatorAdmin, body: TokenCreate, now: Now) -> dict[str, Any]:
    return tokens.create_token(tenant.db, body.to_command(), caller=tenant.caller(now)).to_json()


@router.post(
    "/{token_id}/revoke",
    response_model=TokenOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 409, 413),
    summary="Revoke a token: it is refused from now on",
)
def revoke_token(tenant: OperatorAdmin, token_id: OpaqueId, now: Now) -> dict[str, Any]:
    tokens.revoke_token(tenant.db, token_id, caller=tenant.caller(now))
    return tokens.get_token(tenant.db, token_id).to_json()
