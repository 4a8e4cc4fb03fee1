"""The audit page: the event log, newest first, with filters, and a button that verifies the hash chain."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import Query, Request
from starlette.responses import Response

from reprieve.domain.errors import ValidationError
from reprieve.domain.events import EventType
from reprieve.domain.filters import EventFilter
from reprieve.services import audit
from reprieve.web.auth import AuditorDesk, Desk
from reprieve.web.event_summary import summarize
from reprieve.web.i18n import Translate, request_language, translator
from reprieve.web.rendering import render
from reprieve.web.views.routing import console_router

router = console_router()

PAGE = 100
#: The type filter's choices: each family (``sanction.``: all of its events), then each type.
TYPE_CHOICES = (*sorted({t.value.split(".")[0] + "." for t in EventType}), *sorted(t.value for t in EventType))


def sees_whole_log(desk: Desk) -> bool:
    """Whether the member learns the size and head of the log: a member of one operator learns
    whether the chain holds and where it breaks, not the size or head of a log that holds other
    operators' events."""
    return desk.tenant.operators is None


def type_label(t: Translate, value: str) -> str:
    """``sanction.`` -> "Sanctions (all)", ``sanction.imposed`` -> "Sanction imposed"."""
    return t(f"audit.family.{value[:-1]}") if value.endswith(".") else t(f"audit.event.{value}")


def _text(value: str, field: str) -> str:
    """A filter's words, without control characters (PostgreSQL refuses a NUL in a parameter)."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValidationError("must not hold control characters", field=field)
    return value.strip()


def _day(text: str, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError("not a date (YYYY-MM-DD)", field=field) from None


@router.get("/audit", name="audit")
def audit_page(
    request: Request,
    desk: AuditorDesk,
    cursor: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    order: Annotated[str, Query(pattern=r"^(newest|oldest)?$")] = "",
    type: Annotated[str, Query(pattern=r"^[a-z_.]{0,60}$")] = "",
    actor: Annotated[str, Query(max_length=200)] = "",
    subject: Annotated[str, Query(max_length=300)] = "",
    since: Annotated[str, Query(alias="from", max_length=10)] = "",
    until: Annotated[str, Query(alias="to", max_length=10)] = "",
    verify: Annotated[str, Query(pattern=r"^(1)?$")] = "",
) -> Response:
    first, last = _day(since, "from"), _day(until, "to")
    if last is not None and last >= date.max:
        last = None
    where = EventFilter(
        type=type,
        actor=_text(actor, "actor"),
        subject=_text(subject, "subject"),
        since=f"{first.isoformat()}T00:00:00Z" if first else "",
        until=f"{(last + timedelta(days=1)).isoformat()}T00:00:00Z" if last else "",  # "to" includes its day
    )
    newest_first = order != "oldest"
    page = audit.search_events(desk.db, where, caller=desk.caller, cursor=cursor, newest_first=newest_first, limit=PAGE)
    t = translator(request_language(request))
    events = [(e, summarize(t, e)) for e in page.items]
    filters = {
        "order": "" if newest_first else "oldest",
        "type": type,
        "actor": actor,
        "subject": subject,
        "from": since,
        "to": until,
    }
    return render(
        request,
        "audit.html",
        at=desk.at,
        events=events,
        next_cursor=page.next_cursor,
        cursor=cursor,
        filters=filters,
        newest_first=newest_first,
        types=[(ty, type_label(t, ty)) for ty in TYPE_CHOICES],
        verified=audit.verify_audit_log(desk.db) if verify else None,  # the whole chain recomputed
        whole_log=sees_whole_log(desk),
    )
