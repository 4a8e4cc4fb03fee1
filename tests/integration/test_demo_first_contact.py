"""The demo leaves work to do: queues that are not empty right after the load, work the demo's
reviewer can take up, lifts spread over the years, and a second load that changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from reprieve.demo import load_demo
from reprieve.domain.filters import AppealFilter, ReviewFilter, SanctionFilter
from reprieve.domain.model import SanctionState
from reprieve.domain.reviews import ReviewState
from reprieve.domain.time import from_micros, parse_instant
from reprieve.services import appeals, content, members, reviews, sanctions
from reprieve.services.callers import Caller
from reprieve.store import eventlog, tables
from reprieve.store.db import Database


def test_the_demo_leaves_work_in_the_queues_once_and_spreads_its_lifts(db: Database) -> None:
    loaded_at = datetime.now(UTC)
    assert load_demo(db, synthetic=300)
    now = datetime.now(UTC)

    due = reviews.list_reviews(db, ReviewFilter(state=ReviewState.DUE, operator="meta"), at=now).items
    assert len(due) == 2
    for review in due:  # fell due yesterday
        assert review.due_at is not None and timedelta(hours=12) < loaded_at - review.due_at < timedelta(days=2)

    waiting = appeals.list_appeals(db, AppealFilter(state="open", operator="meta")).items
    assert sorted(a.kind for a in waiting) == ["complaint", "reinstatement"]
    assert all(loaded_at - a.received_at < timedelta(days=7) for a in waiting)

    scheduled = sanctions.list_sanctions(
        db, SanctionFilter(operator="meta", state=SanctionState.SCHEDULED), at=now
    ).to_json()["items"]
    assert len(scheduled) == 1
    assert timedelta(days=6) < parse_instant(scheduled[0]["starts_at"]) - loaded_at < timedelta(days=8)

    # The open review's panel names the demo's reviewer as the console does (name or id): they assess it.
    opened = reviews.list_reviews(db, ReviewFilter(state=ReviewState.OPEN, operator="meta"), at=now).items
    assert len(opened) == 1
    listed = members.list_members(db, caller=Caller("test", operators=["meta"]))
    reviewer = next(m for m in listed if m.email == "reviewer@meta.example")
    assessed = reviews.file_assessment(
        db,
        str(opened[0].id),
        reviews.FileAssessment.parse(risk="low", factors=[], rationale="It stopped."),
        caller=Caller("member:reviewer", names=(reviewer.name, reviewer.id), role="reviewer", now=now),
    )
    assert len(assessed.assessments) == 1

    # Decisions on content: Trump's video removed in 2021 (still removed), and this week a photo
    # labelled in three countries and a satirical post removed, then restored.
    decided = content.list_content_decisions(db, content.ListContent(), at=now).items
    told = {(d.item.platform, d.item.item): (d.kind.value, d.state.value, d.territorial_scope) for d in decided}
    assert told == {
        ("facebook", "capitol-video-2021-01-06"): ("removal", "active", ()),
        ("instagram", "wellness-photo-0042"): ("label", "active", ("AT", "DE", "FR")),
        ("facebook", "satire-post-0815"): ("removal", "restored", ()),
        # issue 25: a quoted news clip removed, then restored on the user's granted complaint
        ("facebook", "news-clip-2024"): ("removal", "restored", ()),
    }
    assert all(d.evidence is not None and d.evidence.sha256 for d in decided)

    # Synthetic lifts are dated while each sanction was in force, over the years, not at the load.
    with db.read() as conn:
        lifted = [
            from_micros(v)
            for v in conn.execute(
                select(tables.sanctions.c.lifted_at).where(tables.sanctions.c.lifted_at.is_not(None))
            ).scalars()
        ]
    assert len({when.year for when in lifted}) >= 4
    assert sum(when >= loaded_at - timedelta(days=1) for when in lifted) < len(lifted) / 2

    # A second load changes nothing: the present's work is not created again.
    with db.read() as conn:
        head = eventlog.head(conn)
    assert not load_demo(db, synthetic=300)
    with db.read() as conn:
        assert eventlog.head(conn) == head
