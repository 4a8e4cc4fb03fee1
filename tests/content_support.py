"""Decisions on content recorded straight through a unit of work, with their statements issued
in it as the content service does (``services.content_statements.issue_content_statements``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reprieve.domain.events import ContentAmended, ContentDecided, ContentRestored, NewEvent
from reprieve.domain.time import format_instant
from reprieve.services.content_statements import issue_content_statements
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

ACTOR = "test-suite"
REASON: dict[str, Any] = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "policy": "Dangerous individuals and organisations",
    "explanation": "Praise of ongoing violence",
    "facts": "The video praises the attack of 6 January.",
    "keywords": ["KEYWORD_INCITEMENT_VIOLENCE_HATRED"],
    "source": "trusted_flagger",
}


def item(number: int = 1, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "platform": "facebook",
        "item": f"10{number:017d}",
        "account": "channel-a",
        "content_type": ["CONTENT_TYPE_VIDEO", "CONTENT_TYPE_TEXT"],
        "content_date": "2021-01-06",
        "language": "en",
    }
    data.update(overrides)
    return data


def record(
    db: Database, now: datetime, event: Any, effective_at: datetime, operator: str = "meta"
) -> tuple[int, list[str]]:
    """Record ``event`` at ``now`` and issue what it needs; its seq and the statements' ids."""
    with UnitOfWork(db, actor=ACTOR, now=now) as uow:
        (recorded,) = uow.record([NewEvent.of(event, format_instant(effective_at) or "", operator)])
        issued = issue_content_statements(uow, [(event.id, recorded.seq)], public_url="https://reprieve.example")
    return recorded.seq, issued


def decided(
    decision_id: str,
    kind: str,
    starts_at: datetime,
    *,
    ends_at: datetime | None = None,
    scope: tuple[str, ...] = (),
    kind_other: str | None = None,
    the_item: dict[str, Any] | None = None,
    reason: dict[str, Any] | None = None,
    automated: dict[str, Any] | None = None,
) -> ContentDecided:
    return ContentDecided(
        id=decision_id,
        operator="meta",
        item=the_item or item(),
        kind=kind,
        starts_at=format_instant(starts_at) or "",
        ends_at=format_instant(ends_at),
        reason=dict(reason or REASON),
        automated=automated or {"detection": True, "decision": "partially"},
        kind_other=kind_other,
        territorial_scope=list(scope),
    )


def amended(
    decision_id: str, kind: str, *, ends_at: datetime | None = None, scope: tuple[str, ...] = ()
) -> ContentAmended:
    return ContentAmended(decision_id, kind, format_instant(ends_at), list(scope), "reconsidered")


def restored(decision_id: str) -> ContentRestored:
    return ContentRestored(decision_id, "restored on complaint")


def record_without_statement(db: Database, now: datetime, event: Any, effective_at: datetime) -> int:
    """Record ``event`` and issue nothing (a decision recorded before statements were issued)."""
    with UnitOfWork(db, actor=ACTOR, now=now) as uow:
        (recorded,) = uow.record([NewEvent.of(event, format_instant(effective_at) or "", "meta")])
    return recorded.seq
