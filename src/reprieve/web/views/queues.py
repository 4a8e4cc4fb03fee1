"""The queues: reviews due (oldest first) and open appeals (coloured by how long they have waited),
with filters; j/k/Enter move through them (static/console.js)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from starlette.responses import Response

from reprieve.domain.appeals import AppealKind
from reprieve.domain.filters import ReviewFilter
from reprieve.domain.reviews import ReviewState
from reprieve.domain.time import format_instant
from reprieve.services import reviews
from reprieve.web.auth import Signed
from reprieve.web.rendering import render
from reprieve.web.views.dashboard import QUEUE_LIMIT, age_band, open_appeals
from reprieve.web.views.routing import console_router
from reprieve.web.views.sanctions import SLUG

router = console_router()


@router.get("/queues/reviews", name="review_queue")
def review_queue(
    request: Request,
    desk: Signed,
    state: Annotated[str, Query(pattern=r"^(due|open)$")] = "due",
    platform: Annotated[str | None, Query(pattern=f"({SLUG})|^$")] = None,
) -> Response:
    f = ReviewFilter(
        state=ReviewState(state), operator=desk.tenant.operator_filter(None), operators=desk.tenant.operators
    )
    items = list(reviews.list_reviews(desk.db, f, at=desk.instant, limit=QUEUE_LIMIT, as_of=desk.as_of).items)
    if platform:
        items = [r for r in items if r.subject.platform == platform]
    due = state == "due"
    # By the instants as written (RFC 3339), as the queue always sorted.
    items.sort(key=lambda r: format_instant(r.due_at if due else r.opened_at) or format_instant(r.due_at) or "")
    platforms = sorted({r.subject.platform for r in items} | ({platform} if platform else set()))
    return render(
        request,
        "queue_reviews.html",
        at=desk.at,
        items=items,
        state=state,
        platform=platform or "",
        platforms=platforms,
    )


@router.get("/queues/appeals", name="appeal_queue")
def appeal_queue(
    request: Request,
    desk: Signed,
    kind: AppealKind | None = None,
    age: Annotated[str | None, Query(pattern=r"^(fresh|old|late)?$")] = None,
) -> Response:
    items = open_appeals(desk, kind.value if kind else None)
    ages = {a.id: age_band(a.received_at, desk.instant) for a in items}
    if age:
        items = [a for a in items if ages[a.id] == age]
    items.sort(key=lambda a: format_instant(a.received_at) or "")  # as written, as the queue always sorted
    return render(
        request,
        "queue_appeals.html",
        at=desk.at,
        items=items,
        ages=ages,
        kind=kind.value if kind else "",
        age=age or "",
        kinds=[k.value for k in AppealKind],
    )
