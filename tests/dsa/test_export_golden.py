"""Golden tests of the Transparency Database export: statements written by hand from the database's
published documentation (tests/dsa/golden), compared with what Reprieve exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

import pytest
from dsa_support import GOLDEN, impose_golden, with_puids

from reprieve.dsa import tdb
from reprieve.dsa.validate import problems
from reprieve.services import transparency
from reprieve.services.callers import Caller
from reprieve.store.db import Database


def _export(db: Database) -> dict[str, object]:
    text = "".join(transparency.export_json(db, operator="meta", within=transparency.period(None, None)))
    data: dict[str, object] = json.loads(text)
    return data


def test_json_export_equals_the_hand_written_statements(db: Database, meta: str, now: datetime) -> None:
    ids = impose_golden(db, now)
    expected = json.loads(with_puids((GOLDEN / "statements.json").read_text(), ids))
    exported = _export(db)
    statements = {s["puid"]: s for s in exported["statements"]}  # type: ignore[attr-defined]
    assert statements == {ids[name]: statement for name, statement in expected.items()}
    # The warning is left out: no DSA decision, hence no statement.
    assert ids["warning"] not in statements
    assert exported["left_out_warnings"] == 1 and exported["invalid"] == [] and exported["exported"] == 3
    assert exported["invalid_count"] == 0


def test_hand_written_statements_pass_the_validator() -> None:
    for statement in json.loads(
        with_puids(
            (GOLDEN / "statements.json").read_text(),
            {
                "suspension": "a",
                "termination": "b",
                "restriction": "c",
            },
        )
    ).values():
        assert problems(statement) == []


def test_csv_export_equals_the_hand_written_daily_dump(db: Database, meta: str, now: datetime) -> None:
    ids = impose_golden(db, now)
    expected_text = with_puids((GOLDEN / "daily_dump.csv").read_bytes().decode(), ids)
    text = "".join(transparency.export_csv(db, operator="meta", within=transparency.period(None, None)))
    header, _, _ = text.partition("\r\n")
    assert header + "\r\n" == expected_text.partition("\r\n")[0] + "\r\n"
    assert header.split(",") == list(tdb.CSV_COLUMNS) and len(tdb.CSV_COLUMNS) == 38
    # Rows come in sanction-id order, which the test cannot know: compare them as a set of lines.
    assert sorted(text.split("\r\n")[1:]) == sorted(expected_text.split("\r\n")[1:])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["platform_uid"] for r in rows} == {ids["suspension"], ids["termination"], ids["restriction"]}


def test_the_period_selects_by_application_date(db: Database, meta: str, now: datetime) -> None:
    ids = impose_golden(db, now)
    exported = "".join(
        transparency.export_json(db, operator="meta", within=transparency.period("2024-05-01", "2024-06-01T08:30:00Z"))
    )
    assert [s["puid"] for s in json.loads(exported)["statements"]] == [ids["termination"]]


def test_puids_are_the_sanction_ids_or_a_stable_hash() -> None:
    assert tdb.puid_for("snc_01HX7") == "snc_01HX7"
    odd = tdb.puid_for("a sanction/with:odd chars")
    assert odd == tdb.puid_for("a sanction/with:odd chars") and odd.startswith("h-")
    assert tdb.puid_for("x" * 501) != "x" * 501 and len(tdb.puid_for("x" * 501)) <= 500


def test_batches_never_exceed_the_database_limit() -> None:
    sizes = [len(b) for b in tdb.batches(({"puid": str(i)} for i in range(250)), size=500)]
    assert sizes == [100, 100, 50]
    assert [len(b) for b in tdb.batches(({"puid": str(i)} for i in range(5)), size=2)] == [2, 2, 1]


def test_a_sanction_object_maps_as_its_columns_do(db: Database, meta: str, now: datetime) -> None:
    """``Decision.of`` (a domain Sanction) and the bulk path (the table's columns) agree."""
    from reprieve.store import queries

    ids = impose_golden(db, now)
    exported = {s["puid"]: s for s in _export(db)["statements"]}  # type: ignore[attr-defined]
    with db.read() as conn:
        for name in ("suspension", "termination", "restriction", "warning"):
            sanction = queries.load_sanction(conn, ids[name])
            assert sanction is not None
            assert tdb.to_statement(tdb.Decision.of(sanction)) == exported.get(ids[name])


def test_refused_statements_are_counted_named_and_kept_only_in_part(
    db: Database, meta: str, now: datetime, impose: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transparency, "INVALID_KEPT", 2)
    ids = [impose(f"facebook/no-content-type-{i}", "suspension")["id"] for i in range(3)]  # the reason has none
    told: list[dict[str, Any]] = []
    tally = transparency.ExportTally(on_invalid=told.append)
    text = "".join(transparency.export_csv(db, operator="meta", within=transparency.period(None, None), tally=tally))
    assert text == tdb.csv_header()  # nothing invalid is ever written
    assert tally.invalid_count == 3 and len(tally.invalid) == 2
    assert sorted(t["sanction"] for t in told) == sorted(ids)
    assert {p["field"] for t in told for p in t["problems"]} == {"content_type", "content_date"}


def test_an_amendment_that_changes_the_restriction_is_a_decision_of_its_own(
    db: Database, meta: str, now: datetime, impose: Any
) -> None:
    from reprieve.services import sanctions
    from reprieve.store import queries

    reason = json.loads((GOLDEN / "sanctions.json").read_text())["suspension"]["reason"]
    sid = impose(
        "facebook/amended",
        "suspension",
        reason=reason,
        starts_at="2024-03-01T00:00:00Z",
        ends_at="2024-03-31T00:00:00Z",
    )["id"]
    extended = sanctions.amend_sanction(
        db,
        sid,
        sanctions.AmendSanction.parse(
            reason="Repeated during the suspension.",
            ends_at="2024-05-01T00:00:00Z",
            effective_at="2024-03-10T09:00:00Z",
            backdated_reason="Test history, entered after the fact.",
        ),
        caller=Caller("t", now=now),
    ).to_json()
    sanctions.amend_sanction(
        db,
        sid,
        sanctions.AmendSanction.parse(
            reason="Review date only.",
            review_at="2024-04-20T00:00:00Z",
            effective_at="2024-03-20T00:00:00Z",
            backdated_reason="Test history, entered after the fact.",
        ),
        caller=Caller("t", now=now),
    )
    sanctions.lift_sanction(
        db,
        sid,
        sanctions.LiftSanction.parse(
            reason="Early release.",
            effective_at="2024-04-15T00:00:00Z",
            backdated_reason="Test history, entered after the fact.",
        ),
        caller=Caller("t", now=now),
    )
    del extended
    with db.read() as conn:
        sanction = queries.load_sanction(conn, sid)
    assert sanction is not None
    seq = next(
        c.seq
        for c in sanction.changes
        if c.type.value == "amended" and c.ends_at is not None and c.ends_at.day == 1 and c.ends_at.month == 5
    )

    def exported(start: str | None, end: str | None) -> list[dict[str, Any]]:
        text = "".join(transparency.export_json(db, operator="meta", within=transparency.period(start, end)))
        return list(json.loads(text)["statements"])

    everything = exported(None, None)
    assert [(s["application_date"], s["end_date_account_restriction"]) for s in everything] == [
        ("2024-03-01", "2024-03-31"),
        ("2024-03-10", "2024-05-01"),  # the review-only amendment and the lift: none
    ]
    assert everything[0]["puid"] == sid and everything[1]["puid"] == f"{sid}-{seq}"
    # A period holds the decisions applied in it: the amendment of 10 March, not the creation.
    assert [s["puid"] for s in exported("2024-03-05", "2024-04-01")] == [everything[1]["puid"]]
    assert [s["puid"] for s in exported("2024-03-01", "2024-03-05")] == [sid]


def test_the_golden_decisions_are_exported_from_their_statements_as_issued_and_agree_with_the_columns(
    db: Database, meta: str, now: datetime
) -> None:
    """Each golden decision issued a statement of reasons, and the export maps it from that
    statement's stored JSON (``tdb.statements_from_issued``); the sanction's columns, the path of
    decisions that issued none (imports, decisions recorded before statements were issued), give
    the same hand-written statement under the same puid."""
    from reprieve.store import issued
    from reprieve.store import transparency as store

    ids = impose_golden(db, now)
    expected = json.loads(with_puids((GOLDEN / "statements.json").read_text(), ids))
    everything = transparency.period(None, None)
    with db.read() as conn:
        assert issued.of_sanction(conn, ids["warning"]) == []  # a warning issues none
        for name in ("suspension", "termination", "restriction"):
            (doc,) = issued.of_sanction(conn, ids[name])
            assert doc.document is not None
            from_issued = tdb.statements_from_issued(
                ids[name], [doc.document], start_us=everything.start_us, end_us=everything.end_us
            )
            assert from_issued == {ids[name]: expected[name]}
        columns = {
            row[0]: tdb.statements_from_columns(
                *row[:1], *row[2:], start_us=everything.start_us, end_us=everything.end_us
            )
            for row in store.decision_rows(conn, "meta", everything.start_us, everything.end_us)
        }
    for name in ("suspension", "termination", "restriction"):
        assert columns[ids[name]] == [(ids[name], expected[name])]

    # Their texts erased (the erasure hook blanks them, hashes kept): the columns take over, the same.
    with store.writing(db) as conn:
        documents = [d.id for name in ids.values() for d in issued.of_sanction(conn, name)]
        assert issued.blank(conn, documents, now=now) == 3
    statements = {s["puid"]: s for s in _export(db)["statements"]}  # type: ignore[attr-defined]
    assert statements == {ids[name]: statement for name, statement in expected.items()}


def test_a_csv_line_is_what_the_csv_module_writes_of_the_row() -> None:
    """``csv_line`` quotes by itself (the export's speed): the same text as ``csv_lines`` of
    ``csv_row``, for texts with commas, quotes, line breaks, edges to trim, and for a platform name
    that needs quoting."""
    texts = (
        "plain",
        "a, comma",
        'a "quote"',
        '"quoted", and a comma',
        "two\nlines",
        "crlf\r\nhere",
        "\u200b edges \ufeff",
        ' "\n',
        "",
        ",",
    )
    for n, text in enumerate(texts):
        statement = {
            **GOLDEN_STATEMENT,
            "decision_facts": text,
            "incompatible_content_explanation": text[::-1],
            "decision_visibility_other": text,
            "puid": f"p-{n}",
        }
        for name in ("Facebook", "Face, book", 'Face "book"', "Face\nbook"):
            assert tdb.csv_line(statement, name) == "".join(tdb.csv_lines([tdb.csv_row(statement, name)]))


GOLDEN_STATEMENT: dict[str, Any] = {
    "decision_visibility": ["DECISION_VISIBILITY_OTHER", "DECISION_VISIBILITY_CONTENT_REMOVED"],
    "end_date_visibility_restriction": "2025-01-01",
    "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
    "incompatible_content_ground": "Community standards",
    "category": "STATEMENT_CATEGORY_VIOLENCE",
    "category_specification": ["KEYWORD_INCITEMENT_VIOLENCE_HATRED"],
    "content_type": ["CONTENT_TYPE_TEXT"],
    "content_language": "EN",
    "content_date": "2024-05-30",
    "territorial_scope": ["DE", "FR"],
    "application_date": "2024-06-01",
    "source_type": "SOURCE_VOLUNTARY",
    "automated_detection": "No",
    "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
    "content_id": {"EAN-13": "not in the dumps"},
}
