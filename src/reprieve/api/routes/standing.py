"""Standing: the state of one account on one platform at one instant."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from reprieve.api.deps import AsOf, At, EnforcementDep, PlatformId, Reader
from reprieve.api.problems import problem_responses
from reprieve.api.routes.accounts import AccountPath
from reprieve.api.schemas import StandingOut
from reprieve.domain.model import AccountRef

router = APIRouter(prefix="/v1/platforms/{platform}/accounts", tags=["standing"])


@router.get(
    "/{account:path}/standing",
    response_model=StandingOut,
    responses=problem_responses(),
    summary="An account's standing on a platform at an instant",
)
def get_standing(
    tenant: Reader, platform: PlatformId, account: AccountPath, at: At, as_of: AsOf, enforcement: EnforcementDep
) -> dict[str, Any]:
    """At `at`, as known `as_of` (default now: the enforcement index; a past `as_of`: the
    database, from the events recorded by then)."""
    return enforcement.standing(AccountRef(platform, account), at=at, caller=tenant.caller(), as_of=as_of)
