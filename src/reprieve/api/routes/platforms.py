"""Platforms: the services of an operator, with their capabilities and policy."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from reprieve.api.deps import IDEMPOTENT, OperatorAdmin, VisiblePlatform
from reprieve.api.problems import problem_responses
from reprieve.api.schemas import PlatformCreate, PlatformOut
from reprieve.http.deps import Now
from reprieve.services import catalogue

router = APIRouter(prefix="/v1/platforms", tags=["platforms"])


@router.post(
    "",
    status_code=201,
    response_model=PlatformOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 409, 413),
    summary="Create a platform of an operator",
)
def create_platform(tenant: OperatorAdmin, body: PlatformCreate, now: Now) -> dict[str, Any]:
    return catalogue.create_platform(tenant.db, body.to_command(), caller=tenant.caller(now)).to_json()


@router.get("/{platform}", response_model=PlatformOut, responses=problem_responses())
def get_platform(platform: VisiblePlatform) -> dict[str, Any]:
    return platform.to_json()
