"""The log of a fixed story, with fixed ids and instants, has a known head hash.

It pins the bytes of the canonical JSON of every event kind the story records (``event_story``):
a refactoring that changes one byte of one payload, or the order of the events, breaks it.
"""

from __future__ import annotations

from event_story import tell
from sqlalchemy import select

from reprieve.domain.events import EventType
from reprieve.domain.ids import SequentialIds
from reprieve.services.audit import verify_audit_log
from reprieve.store import tables
from reprieve.store.db import Database

#: Recorded by the code before the events were typed; it must never change.
HEAD = "06a2e49520f7401863247311bd428a056a3f1f6e788f5766d783397f8e571620"
EVENTS = 78
#: What the story leaves out: a redelivery names a delivery of the outbox.
NOT_TOLD = {EventType.WEBHOOK_REDELIVERY_REQUESTED}


def test_the_story_has_the_pinned_head_hash(db: Database) -> None:
    db.ids = SequentialIds()
    tell(db)
    result = verify_audit_log(db)
    assert result.ok, result
    assert (result.events, result.head) == (EVENTS, HEAD)


def test_the_story_tells_every_kind_of_event(db: Database) -> None:
    tell(db)
    with db.read() as conn:
        told = set(conn.execute(select(tables.events.c.type).distinct()).scalars())
    assert told == {t.value for t in EventType} - NOT_TOLD
