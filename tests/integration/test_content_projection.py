"""Decisions on content, projected (issue 24): items, content_decisions and content_spans follow the
content.* events, on both backends, and a rebuild from the log gives the same rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from reprieve.domain.content import ContentKind, ContentState, visibility_at
from reprieve.domain.events import ContentAmended, ContentDecided, ContentRestored, NewEvent
from reprieve.domain.time import format_instant, to_micros
from reprieve.services import catalogue
from reprieve.services.audit import rebuild_projections
from reprieve.services.callers import Caller
from reprieve.services.content import DecideContent
from reprieve.services.content_import import import_content, imported_decision
from reprieve.store.content import item_decisions, load_decision, load_item
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

ACTOR = "test-suite"
T0 = datetime(2024, 1, 1, tzinfo=UTC)
REASON = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "policy": "Dangerous individuals and organisations",
    "explanation": "Praise of ongoing violence",
}
ITEM = {
    "platform": "youtube",
    "item": "1234567890123456789",
    "account": "channel-a",
    "content_type": ["CONTENT_TYPE_VIDEO"],
    "content_date": "2023-12-31",
    "language": "en",
}


def _record(db: Database, at: datetime, event: object, effective_at: datetime) -> int:
    with UnitOfWork(db, actor=ACTOR, now=at) as uow:
        recorded = uow.record([NewEvent.of(event, format_instant(effective_at) or "", "google")])  # type: ignore[arg-type]
    return recorded[0].seq


def _platform(db: Database) -> None:
    caller = Caller(ACTOR, now=T0)
    catalogue.create_operator(db, catalogue.CreateOperator.parse(id="google", name="Google"), caller=caller)
    catalogue.create_platform(
        db, catalogue.CreatePlatform.parse(id="youtube", operator="google", name="YouTube"), caller=caller
    )


def _decided(
    decision_id: str, kind: str, *, item: dict[str, object] = ITEM, scope: tuple[str, ...] = ()
) -> ContentDecided:
    return ContentDecided(
        id=decision_id,
        operator="google",
        item=dict(item),
        kind=kind,
        starts_at=format_instant(T0) or "",
        ends_at=None,
        reason=dict(REASON),
        automated={"detection": True, "decision": "partially"},
        territorial_scope=list(scope),
    )


def test_a_history_is_projected_and_rebuilt_alike(
    db: Database, projections: Callable[[Database], dict[str, Any]]
) -> None:
    _platform(db)
    first = _record(db, T0, _decided("cd_1", "disabling", scope=("FR", "DE")), T0)
    other_author = {**ITEM, "account": "someone-else", "content_date": "2020-01-01"}
    _record(db, T0, _decided("cd_2", "label", item=other_author), T0)
    amended = _record(
        db,
        datetime(2024, 2, 1, tzinfo=UTC),
        ContentAmended("cd_1", "removal", format_instant(datetime(2024, 6, 1, tzinfo=UTC)), ["FR"], "worse"),
        datetime(2024, 2, 1, tzinfo=UTC),
    )
    restored = _record(
        db, datetime(2024, 3, 1, tzinfo=UTC), ContentRestored("cd_2", "granted"), datetime(2024, 3, 1, tzinfo=UTC)
    )

    with db.read() as conn:
        item = load_item(conn, "youtube", ITEM["item"])  # type: ignore[arg-type]
        assert item is not None and item.account == "channel-a"  # the first author is kept
        assert item.content_date == "2023-12-31" and item.content_type == ("CONTENT_TYPE_VIDEO",)
        one = load_decision(conn, "cd_1")
        both = item_decisions(conn, "youtube", ITEM["item"])  # type: ignore[arg-type]
    assert one is not None
    assert [d.id for d in both] == ["cd_1", "cd_2"]
    assert one.version == amended and both[1].version == restored and first < amended
    assert one.view_at(datetime(2024, 1, 15, tzinfo=UTC)).kind is ContentKind.DISABLING
    assert one.view_at(datetime(2024, 2, 15, tzinfo=UTC)).territorial_scope == ("FR",)
    assert one.state_at(datetime(2024, 7, 1, tzinfo=UTC)) is ContentState.EXPIRED
    assert both[1].state_at(datetime(2024, 3, 2, tzinfo=UTC)) is ContentState.RESTORED

    spans = one.spans() + both[1].spans()
    in_january = to_micros(datetime(2024, 1, 15, tzinfo=UTC))
    seen = visibility_at(spans, in_january, None)
    assert seen.visible and seen.status == "labelled" and seen.restricted_in == ("DE", "FR")
    in_france = visibility_at(spans, in_january, "FR")
    assert not in_france.visible and in_france.status == "disabled"
    # disabled, then removed in FR until June: denied without a break until then
    assert in_france.until == to_micros(datetime(2024, 6, 1, tzinfo=UTC))
    in_germany_later = visibility_at(spans, to_micros(datetime(2024, 2, 15, tzinfo=UTC)), "DE")
    assert in_germany_later.visible and in_germany_later.restricted_in == ("FR",)
    in_france_later = visibility_at(spans, to_micros(datetime(2024, 2, 15, tzinfo=UTC)), "FR")
    assert in_france_later.status == "removed" and in_france_later.until == to_micros(datetime(2024, 6, 1, tzinfo=UTC))

    before = projections(db)
    assert len(before["content_spans"]) == 3  # cd_1: disabling, then removal; cd_2: the label until restored
    rebuild_projections(db)
    assert projections(db) == before


def test_a_bulk_import_writes_the_rows_the_projector_would(
    db: Database, projections: Callable[[Database], dict[str, Any]]
) -> None:
    """The import writes its events' projection rows itself (``DecidedRows`` through
    ``UnitOfWork.record_written``): a rebuild from the log, by the projector, gives the same rows,
    across chunks and batches, an item named again keeping its first description."""
    _platform(db)
    rows = []
    for n in range(5):
        item = {**ITEM, "item": f"item-{n % 3}"}  # items 0 and 1 named twice, in another chunk
        if n >= 3:
            item = {**item, "content_date": "2022-02-02", "language": "fr"}  # the first description stays
        command = DecideContent.parse(
            item=item,
            kind=("removal", "disabling", "label", "demotion", "removal")[n],
            reason=dict(REASON),
            territorial_scope=["FR", "DE"] if n == 1 else None,
            starts_at=datetime(2024, 1, 1 + n, tzinfo=UTC),
            duration="P30D" if n % 2 else None,
            automated={"detection": True, "decision": "not_automated"},
            evidence={"reference": f"snapshots/{n}", "sha256": "ab" * 32} if n % 2 else None,
        )
        rows.append(imported_decision(command, format_instant(datetime(2024, 1, 1 + n, 1, tzinfo=UTC))))
    caller = Caller(ACTOR, now=datetime(2024, 2, 1, tzinfo=UTC))
    assert import_content(db, rows, caller=caller, batch_size=3) == 5  # two batches, two chunks

    with db.read() as conn:
        item = load_item(conn, "youtube", "item-0")
        decisions = item_decisions(conn, "youtube", "item-0")
    assert item is not None and (item.content_date, item.language) == ("2023-12-31", "en")
    assert len(decisions) == 2 and decisions[1].item.content_date == "2023-12-31"
    before = projections(db)
    assert len(before["items"]) == 3 and len(before["content_decisions"]) == 5
    rebuild_projections(db)
    assert projections(db) == before
