"""Checks: "may this account do X?", "may this item be viewed?", for up to 10,000 rows at once.

Two ways in, one answer. ``run_checks`` is the route FastAPI documents and runs for anything
unusual: an ``Idempotency-Key``, a missing or refused token, a body that is not plainly valid,
an error to report. ``api.fast.checks.FastChecks`` answers the common request before FastAPI's
machinery, with the same ``answer``, and hands over whatever it is not sure of.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from fastapi import APIRouter, Response

from reprieve.api.deps import IDEMPOTENT, EnforcementDep, Reader, record_instant
from reprieve.api.observability.metrics import record_checks
from reprieve.api.problems import problem_responses, problem_type_of
from reprieve.api.schemas import ChecksOut, ChecksRequest, ItemCheckIn
from reprieve.domain.checks import Check, RowError
from reprieve.domain.item_checks import ItemCheck
from reprieve.domain.model import AccountRef
from reprieve.domain.time import format_instant, parse_instant
from reprieve.http.deps import Now

router = APIRouter(prefix="/v1/checks", tags=["checks"])
PATH = "/v1/checks"


@router.post(
    "",
    response_model=None,
    dependencies=IDEMPOTENT,
    responses={
        200: {
            "model": ChecksOut,
            "description": "One result per check, in order (account rows and item rows alike); a check "
            "that cannot be answered (an unknown platform, a capability the platform lacks, for an item "
            "one that is not view, interact or monetize, a country that is not one) holds its `error` in "
            "its place, and the others are still decided",
        },
        **problem_responses(409, 413),
    },
    summary="Answer a batch of checks, in order",
)
def run_checks(tenant: Reader, body: ChecksRequest, now: Now, enforcement: EnforcementDep) -> Response:
    at = parse_instant(body.at, field="at") if body.at is not None else now
    as_of = record_instant(body.as_of, now=now)
    checks = [
        ItemCheck(c.platform, c.item, c.capability, c.country, c.account)
        if isinstance(c, ItemCheckIn)
        else Check(AccountRef(c.platform, c.account), c.capability)
        for c in body.checks
    ]
    results = enforcement.checks(checks, at=at, caller=tenant.caller(), as_of=as_of)
    return Response(answer(at, results), media_type="application/json")


def answer(at: datetime, results: Sequence[dict[str, Any]]) -> bytes:
    """The body of a 200. The results are built by the enforcement layer in the documented shape
    (the API tests and schemathesis hold it to ChecksOut), so they are serialised directly
    rather than validated again, which would cost more than answering a batch. A row that
    could not be answered holds a ``RowError``, written as its problem ``type`` and ``detail``."""
    record_checks(len(results))
    return orjson.dumps(
        {"at": format_instant(at), "results": results}, default=_row_error, option=orjson.OPT_PASSTHROUGH_DATACLASS
    )


def _row_error(value: Any) -> dict[str, str]:
    """``{error: {type, detail}}`` of a check that could not be answered (PRODUCT.md section 4)."""
    if isinstance(value, RowError):
        return {"type": problem_type_of(value.error).uri, "detail": value.message}
    raise TypeError(f"{type(value).__name__} is not JSON")
