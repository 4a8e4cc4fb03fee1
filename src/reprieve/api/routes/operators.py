"""Operators: the organisations that run platforms, and the unit of tenancy."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from reprieve.api.deps import IDEMPOTENT, InstanceAdmin, Reader
from reprieve.api.problems import problem_responses
from reprieve.api.schemas import SLUG_PATTERN, OperatorCreate, OperatorDetailOut, OperatorOut
from reprieve.http.deps import Now
from reprieve.services import catalogue

router = APIRouter(prefix="/v1/operators", tags=["operators"])

OperatorId = Annotated[str, Path(pattern=SLUG_PATTERN, examples=["meta"])]


@router.post(
    "",
    status_code=201,
    response_model=OperatorOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 409, 413),
    summary="Create an operator (instance-admin)",
)
def create_operator(tenant: InstanceAdmin, body: OperatorCreate, now: Now) -> dict[str, Any]:
    return catalogue.create_operator(tenant.db, body.to_command(), caller=tenant.caller(now)).to_json()


@router.get("/{operator}", response_model=OperatorDetailOut, responses=problem_responses())
def get_operator(tenant: Reader, operator: OperatorId) -> dict[str, Any]:
    return catalogue.get_operator(tenant.db, operator, caller=tenant.caller()).to_json()
