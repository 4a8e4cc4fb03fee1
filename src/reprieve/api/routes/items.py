"""Items: what may be done with a piece of content on a platform at an instant (PRODUCT.md section 9)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from reprieve.api.deps import AsOf, At, EnforcementDep, PlatformId, Reader
from reprieve.api.problems import problem_responses
from reprieve.api.schemas import ACCOUNT_PATTERN, COUNTRY_MAX_LENGTH, VisibilityOut
from reprieve.domain.content import parse_country

router = APIRouter(prefix="/v1/platforms/{platform}/items", tags=["items"])

#: The platform's own id of the item (it may hold a ``/``).
ItemPath = Annotated[str, Path(pattern=ACCOUNT_PATTERN, examples=["1234567890123456789"])]
Country = Annotated[
    str | None,
    Query(
        max_length=COUNTRY_MAX_LENGTH,
        description="the viewer's country (ISO 3166-1 alpha-2, e.g. FR, US); default: not said, and a "
        "decision in some countries only restricts nothing (its countries are in `restricted_in`)",
        examples=["FR"],
    ),
]


@router.get(
    "/{item:path}/visibility",
    response_model=VisibilityOut,
    responses=problem_responses(),
    summary="An item's visibility on a platform at an instant, for a viewer in a country",
)
def get_visibility(
    tenant: Reader,
    platform: PlatformId,
    item: ItemPath,
    at: At,
    as_of: AsOf,
    enforcement: EnforcementDep,
    country: Country = None,
) -> dict[str, Any]:
    """At `at`, as known `as_of` (default now: the enforcement index; a past instant or `as_of`:
    the database). An item never decided is visible, its author unknown."""
    viewer = parse_country(country) if country is not None else None
    return enforcement.visibility(platform, item, at=at, caller=tenant.caller(), country=viewer, as_of=as_of)
