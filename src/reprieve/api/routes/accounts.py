"""Accounts, named by their platform's own id: created on first use, or by this PUT."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from reprieve.api.deps import AccountWriter, VisiblePlatform
from reprieve.api.problems import problem_responses
from reprieve.api.schemas import ACCOUNT_PATTERN, AccountOut, AccountPut
from reprieve.domain.model import AccountRef
from reprieve.http.deps import Now
from reprieve.services import catalogue

router = APIRouter(prefix="/v1/platforms/{platform}/accounts", tags=["accounts"])

#: ``{account:path}`` in a route: a platform's account id may hold "/" (sent as is or as %2F),
#: so it is the rest of the path (before ``/standing`` for that route).
AccountPath = Annotated[str, Path(pattern=ACCOUNT_PATTERN, examples=["DonaldTrump", "pages/some/path"])]


@router.put(
    "/{account:path}",
    response_model=AccountOut,
    responses={
        201: {"model": AccountOut, "description": "Created"},
        **problem_responses(403, 413),
    },
    summary="Register an account (201) or update its display name (200)",
)
def put_account(
    tenant: AccountWriter,
    platform: VisiblePlatform,
    account: AccountPath,
    body: AccountPut,
    response: Response,
    now: Now,
) -> dict[str, Any]:
    command = body.to_command(AccountRef(platform.id, account))
    result, created = catalogue.put_account(tenant.db, command, caller=tenant.caller(now))
    response.status_code = 201 if created else 200
    return result.to_json()
