"""Verification of the audit log's hash chain."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from reprieve.api.deps import Auditor
from reprieve.api.problems import problem_responses
from reprieve.api.schemas import VerificationOut
from reprieve.services import audit

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get(
    "/verify",
    response_model=VerificationOut,
    responses=problem_responses(403),
    summary="Recompute the hash chain of the whole log",
    description="The whole chain is always verified. An instance admin gets the count of every "
    "event and the chain's head; an operator's auditor the count of its operator's events and "
    "the hash of the latest of them (empty if none).",
)
def verify_audit_log(tenant: Auditor) -> dict[str, Any]:
    return audit.verify_audit_log(tenant.db, caller=tenant.caller()).to_json()
