"""A log written by the code before the events were typed still verifies, and rebuilds the very
projections that code made (``fixtures/old_log``, made by ``old_log.py`` from ``event_story``)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from old_log import load_events, projections
from sqlalchemy import delete

from reprieve.domain.events import (
    EVENT_CLASSES,
    EVENT_TYPES,
    SanctionAmended,
    UnknownEvent,
    canonical_json,
    parse_event,
    parse_json,
)
from reprieve.services.audit import rebuild_projections, verify_audit_log
from reprieve.store import tables
from reprieve.store.db import Database

FIXTURE = Path(__file__).parent / "fixtures" / "old_log"


def test_an_old_log_verifies_and_rebuilds_the_same_projections(db: Database) -> None:
    count = load_events(db, (FIXTURE / "events.jsonl").read_text().splitlines())
    verified = verify_audit_log(db)
    assert verified.ok and verified.events == count, verified
    assert rebuild_projections(db) == count
    with db.read() as conn:
        rebuilt = projections(conn)
    # Projections added since (issue 22: the history of identity links) are rebuilt from the
    # old events too; the others are exactly those the old code made.
    links = rebuilt.pop("identity_links")
    # Issue 23: the receipts of statements delivered; the old log has none.
    assert rebuilt.pop("statement_deliveries") == []
    # Issue 24: decisions on content; the old log has none.
    assert [rebuilt.pop(name) for name in ("items", "content_decisions", "content_spans")] == [[], [], []]
    assert [rebuilt.pop(name) for name in ("notice_cases", "notices")] == [[], []]
    # Issue 25: a violation may be a content decision's strike (migration 0031); none of the old log's is.
    violations = _added(rebuilt, "violations", "content_decision_id", "strike_expiry", "strike_ended_seq")
    assert set(violations["content_decision_id"]) <= {None}
    # Issue 25: complaints and reviews may be about a content decision (migrations 0032, 0033); a
    # strike keeps its own expiry apart from a restoration's end (0032); an amnesty counts the
    # content it matched and restored (0033). None of the old log's does.
    assert set(violations["strike_ended_seq"]) <= {None}
    expires = list(tables.violations.columns.keys()).index("strike_expires_at")
    assert violations["strike_expiry"] == [row[expires] for row in rebuilt["violations"]]
    # Issue 26: notifiers' complaints (appeals.notice_id, migration 0036); none in the old log.
    appeals = _added(rebuilt, "appeals", "content_decision_id", "notice_id")
    assert set(appeals["content_decision_id"]) | set(appeals["notice_id"]) <= {None}
    assert set(_added(rebuilt, "reviews", "content_decision_id")["content_decision_id"]) <= {None}
    amnesties = _added(rebuilt, "amnesties", "content_matched", "content_restored")
    assert set(amnesties["content_matched"]) | set(amnesties["content_restored"]) <= {0}
    assert rebuilt == json.loads((FIXTURE / "projections.json").read_text())
    assert links == LINKS
    # Migration 0023 fills the history of a database upgraded with links in its log the same way.
    migration = importlib.import_module("reprieve.store.migrations.versions.0023_identity_links")
    with db.engine.begin() as conn:
        conn.execute(delete(tables.identity_links))
        migration._fill(conn)
    with db.read() as conn:
        assert projections(conn)["identity_links"] == LINKS


def _added(rebuilt: dict[str, list[list[object]]], table: str, *columns: str) -> dict[str, list[object]]:
    """Take columns added since the old log out of ``table``'s rebuilt rows: their values, by name."""
    layout = list(tables.metadata.tables[table].columns.keys())
    values = {c: [row[layout.index(c)] for row in rebuilt[table]] for c in columns}
    for index in sorted((layout.index(c) for c in columns), reverse=True):
        for row in rebuilt[table]:
            row.pop(index)
    return values


#: The one link of the old log (instagram/alice into facebook/alice's identity), as rebuilt.
LINKS = [
    [
        9,
        "instagram",
        "alice",
        "meta",
        "idt_01ETXQAQM0BE15RA7XDBX9T5R5",
        "idt_01ETXKWW003AKEZDTZ58R4SHR7",
        "idt_01ETXKWW003AKEZDTZ58R4SHR7",
        1609466400000000,
    ]
]


#: Event types added after the old log was written (issue 21: erasure, retention, the cut-over; issue
#: 23: statements issued, delivered, the art. 9(5) information; issue 24: decisions on content, the
#: evidence of some forgotten).
ADDED_SINCE = {
    "person.erased",
    "retention.set",
    "log.checkpointed",
    "statement.issued",
    "statement.delivered",
    "order_information.issued",
    "content.decided",
    "content.amended",
    "content.restored",
    "evidence.forgotten",
    "case.opened",
    "notice.received",
    "case.decided",
    "notice.decided",
    "case.reopened",
}


def test_every_old_payload_reads_into_its_class_and_writes_back_the_same_bytes() -> None:
    kinds = set()
    for line in (FIXTURE / "events.jsonl").read_text().splitlines():
        type_, data = json.loads(line)[1], json.loads(line)[6]
        event = parse_event(type_, parse_json(data))
        assert type(event) is EVENT_CLASSES[type_] and EVENT_TYPES[type(event)] == type_
        assert canonical_json(event.to_payload()) == data
        kinds.add(type_)
    # Every type but webhook.redelivery_requested (event_story), and those added after the log was written.
    assert kinds == set(EVENT_CLASSES) - {"webhook.redelivery_requested"} - ADDED_SINCE


def test_a_payload_of_an_older_shape_is_read_with_defaults_and_its_unknown_keys_kept() -> None:
    old = {"id": "snc_1", "kind": "suspension", "reason": "r", "legacy": 1}  # no ends_at, denies, review_at
    amended = parse_event("sanction.amended", old)
    assert isinstance(amended, SanctionAmended)
    assert (amended.ends_at, amended.denies, amended.review_at, dict(amended.extra)) == (None, [], None, {"legacy": 1})
    assert amended.to_payload() == {**old, "ends_at": None, "denies": [], "review_at": None}


def test_an_event_of_a_type_this_code_does_not_know_is_read_as_it_is() -> None:
    event = parse_event("sanction.frobnicated", {"id": "snc_1"})
    assert isinstance(event, UnknownEvent) and event.to_payload() == {"id": "snc_1"}
