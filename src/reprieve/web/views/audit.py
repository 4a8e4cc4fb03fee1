"""The audit page: the event log with filters, and a button that verifies the hash chain."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from starlette.responses import Response

from reprieve.services import audit
from reprieve.web.auth import AuditorDesk, Desk
from reprieve.web.rendering import render
from reprieve.web.views.routing import console_router

router = console_router()

PAGE = 100


def verification(desk: Desk) -> dict[str, Any]:
    """The whole chain recomputed; a member of one operator learns whether it holds and where it
    breaks, not the size or head of a log that holds other operators' events."""
    result = audit.verify_audit_log(desk.db).to_dict()
    if desk.tenant.operators is not None:
        result = {key: value for key, value in result.items() if key not in ("events", "head")}
    return result


@router.get("/audit", name="audit")
def audit_page(
    request: Request,
    desk: AuditorDesk,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    type: Annotated[str, Query(pattern=r"^[a-z_.]{0,60}$")] = "",
    actor: Annotated[str, Query(max_length=200)] = "",
    verify: Annotated[str, Query(pattern=r"^(1)?$")] = "",
) -> Response:
    page = audit.list_events(desk.db, after=after, limit=PAGE, operator=desk.tenant.operator_filter(None))
    events = [
        e for e in page["items"]
        if (not type or e["type"].startswith(type)) and (not actor or actor.lower() in e["actor"].lower())
    ]
    return render(
        request, "audit.html", at=desk.at, events=events, next_cursor=page["next_cursor"], after=after,
        type=type, actor=actor, verified=verification(desk) if verify else None,
        types=sorted({e["type"] for e in page["items"]} | ({type} if type else set())),
    )
