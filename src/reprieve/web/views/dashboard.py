"""The dashboard: active sanctions by kind and platform, reviews due, open appeals and their age,
and sanctions imposed and lifted month by month, as they stood at the page's instant."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from starlette.responses import Response

from reprieve.domain.filters import AppealFilter, ReviewFilter
from reprieve.domain.model import SanctionKind
from reprieve.domain.reviews import ReviewState
from reprieve.domain.time import format_instant, to_micros
from reprieve.services import appeals, dashboard, reviews
from reprieve.web.auth import Desk, Signed
from reprieve.web.chart import monthly_chart
from reprieve.web.i18n import request_language, translate
from reprieve.web.rendering import render
from reprieve.web.views.routing import console_router

router = console_router()

#: Waiting times of open appeals, in days: fresh below the first, late from the second.
AGE_BANDS = (7, 30)
QUEUE_LIMIT = 1000


def age_band(received_at: datetime, now: datetime) -> str:
    days = (now - received_at).total_seconds() / 86400
    return "fresh" if days < AGE_BANDS[0] else "old" if days < AGE_BANDS[1] else "late"


def open_appeals(desk: Desk, kind: str | None = None) -> list[appeals.AppealView]:
    """The appeals open now, or at the instant the page shows (``?at=``): received by then and
    not yet decided then, even if decided since."""
    f = AppealFilter(
        state="open",
        at=None if desk.at is None else to_micros(desk.at),
        kind=kind,
        operator=desk.tenant.operator_filter(None),
        operators=desk.tenant.operators,
    )
    return list(appeals.list_appeals(desk.db, f, limit=QUEUE_LIMIT, as_of=desk.as_of).items)


def due_reviews(desk: Desk) -> list[reviews.ReviewView | reviews.DueReviewView]:
    f = ReviewFilter(state=ReviewState.DUE, operator=desk.tenant.operator_filter(None), operators=desk.tenant.operators)
    return list(reviews.list_reviews(desk.db, f, at=desk.instant, limit=QUEUE_LIMIT, as_of=desk.as_of).items)


@router.get("", name="dashboard")
def dashboard_page(request: Request, desk: Signed) -> Response:
    active = dashboard.active_by_kind_and_platform(desk.db, at=desk.instant, caller=desk.caller, as_of=desk.as_of)
    platforms = sorted({row.platform for row in active})
    kinds = [kind.value for kind in SanctionKind]
    matrix = {(row.platform, row.kind.value): row.count for row in active}
    totals = {kind: sum(matrix.get((p, kind), 0) for p in platforms) for kind in kinds}
    waiting = open_appeals(desk)
    bands = {"fresh": 0, "old": 0, "late": 0}
    for appeal in waiting:
        bands[age_band(appeal.received_at, desk.instant)] += 1
    # As the page always chose it: the least of the instants as written (RFC 3339).
    oldest = min((format_instant(a.received_at) or "" for a in waiting), default=None)
    activity = dashboard.monthly_activity(desk.db, until=desk.instant, months=24, caller=desk.caller, as_of=desk.as_of)
    return render(
        request,
        "dashboard.html",
        at=desk.at,
        platforms=platforms,
        kinds=kinds,
        matrix=matrix,
        totals=totals,
        due=due_reviews(desk),
        appeals_open=len(waiting),
        bands=bands,
        oldest_appeal=oldest,
        chart=monthly_chart(
            activity, {s: translate(request_language(request), f"dashboard.{s}") for s in ("imposed", "lifted")}
        ),
        activity=activity,
        limit=QUEUE_LIMIT,
    )
