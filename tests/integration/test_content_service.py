"""The content decisions' use cases (issue 24 item 1) on both backends: a batch is all or nothing
and keeps an item's first author within itself; evidence is written in the decision's
transaction; what a use case answers is what a later read shows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from reprieve.domain.errors import ConflictError, NotFoundError
from reprieve.services import content
from reprieve.services.callers import Caller
from reprieve.store import tables
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

ACTOR = "test-suite"
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def command(reason: dict[str, Any], item_id: str, author: str, **fields: Any) -> content.DecideContent:
    item = {
        "platform": "facebook",
        "item": item_id,
        "account": author,
        "content_type": ["CONTENT_TYPE_TEXT"],
        "content_date": "2024-05-30",
    }
    return content.DecideContent.parse(item=item, kind=fields.pop("kind", "removal"), reason=reason, **fields)


def count(db: Database, table: Any) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_batch_keeps_an_items_first_author_and_is_all_or_nothing(
    db: Database, meta: str, reason: dict[str, Any], now: datetime
) -> None:
    caller = Caller(ACTOR, now=now)
    batch = [
        command(reason, "post-1", "alice", evidence={"reference": "snap-1", "sha256": SHA}),
        command(reason, "post-1", "mallory", kind="label"),
    ]
    events = count(db, tables.events)
    with pytest.raises(ConflictError, match="'alice'"), UnitOfWork(db, actor=ACTOR, now=now) as uow:
        content.decide_within(db, uow, batch, caller=caller)
    assert count(db, tables.events) == events
    assert count(db, tables.content_evidence) == count(db, tables.items) == 0

    with UnitOfWork(db, actor=ACTOR, now=now) as uow:
        decided = content.decide_within(
            db, uow, [batch[0], command(reason, "post-1", "alice", kind="label")], caller=caller
        )
    assert [d.item.account for d in decided] == ["alice", "alice"]
    assert count(db, tables.content_evidence) == 1 and count(db, tables.items) == 1


def test_what_a_use_case_answers_is_what_a_read_shows(
    db: Database, meta: str, reason: dict[str, Any], now: datetime
) -> None:
    caller = Caller(ACTOR, now=now)
    first = content.decide_content(db, command(reason, "post-2", "bob", duration="P30D"), caller=caller)
    # The same item described otherwise later: it keeps its first description.
    again = content.decide_content(
        db,
        command(reason, "post-2", "bob", kind="label", territorial_scope=["FR"]),
        caller=caller.at(now + timedelta(hours=1)),
    )
    assert again.item == first.item
    for decided in (first, again):
        read = content.get_content_decision(db, decided.id, at=decided.at)
        assert read.to_json() == decided.to_json()
    later = now + timedelta(days=1)
    amended = content.amend_content(
        db, first.id, content.AmendContent.parse(kind="demotion", reason="milder"), caller=caller.at(later)
    )
    assert content.get_content_decision(db, first.id, at=later).to_json() == amended.to_json()
    restored = content.restore_content(
        db, first.id, content.RestoreContent.parse(reason="granted"), caller=caller.at(later + timedelta(hours=1))
    )
    assert restored.state.value == "restored"
    assert content.get_content_decision(db, first.id, at=restored.at).to_json() == restored.to_json()
    # Another operator's caller sees none of it.
    with pytest.raises(NotFoundError):
        content.get_content_decision(db, first.id, at=later, caller=Caller(ACTOR, operators=["x"]))


def test_a_decision_not_started_yet_is_cancelled_by_a_restoration(
    db: Database, meta: str, reason: dict[str, Any], now: datetime
) -> None:
    caller = Caller(ACTOR, now=now)
    scheduled = content.decide_content(
        db, command(reason, "post-3", "carol", starts_at=now + timedelta(days=2)), caller=caller
    )
    assert scheduled.state.value == "scheduled"
    cancelled = content.restore_content(
        db, scheduled.id, content.RestoreContent.parse(reason="never mind"), caller=caller
    )
    assert cancelled.state.value == "cancelled"
    assert cancelled.restored_at == scheduled.starts_at
