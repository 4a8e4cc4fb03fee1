"""Decisions on content in the Transparency Database export (issue 24 item 3): each kind as its
``decision_visibility`` (``_other`` with its description) or ``decision_monetary`` value, with the
item's content type, date and language, the territorial scope, the end of the restriction, the
reason's grounds, source and automation; from the issued statement, else from the decision's
columns; one statement of each of the eight kinds passes the local validator, in JSON and in CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

import orjson
from api_support import World
from sqlalchemy import select, update

from content_support import amended, decided, item, record, restored
from content_support import record_without_statement as record_only
from reprieve.dsa import enums, tdb
from reprieve.dsa.validate import problems
from reprieve.store import issued, tables
from reprieve.store import transparency as transparency_store

KINDS = (
    ("removal", "DECISION_VISIBILITY_CONTENT_REMOVED"),
    ("disabling", "DECISION_VISIBILITY_CONTENT_DISABLED"),
    ("demotion", "DECISION_VISIBILITY_CONTENT_DEMOTED"),
    ("age_restriction", "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED"),
    ("interaction_restriction", "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED"),
    ("label", "DECISION_VISIBILITY_CONTENT_LABELLED"),
    ("other", "DECISION_VISIBILITY_OTHER"),
    ("demonetization", None),
)
OTHER = "Hidden from search results and recommendations"


def _export(w: World, fmt: str = "json") -> Any:
    answer = w.client.get("/v1/transparency/statements", params={"format": fmt}, headers=w.headers["auditor"])
    assert answer.status_code == 200, answer.text
    return answer.json() if fmt == "json" else list(csv.DictReader(io.StringIO(answer.text)))


def _decide_every_kind(w: World, *, issue: bool) -> None:
    now = w.clock()
    for n, (kind, _) in enumerate(KINDS):
        event = decided(
            f"cd_{n}",
            kind,
            now,
            ends_at=now + timedelta(days=30) if n % 2 else None,
            scope=("FR",) if kind == "disabling" else (),
            kind_other=OTHER if kind == "other" else None,
            the_item=item(n, language="fr-FR" if n == 3 else "en"),
        )
        (record if issue else record_only)(w.db, now, event, now)


def _check_every_kind(w: World) -> None:
    exported = _export(w)
    assert exported["invalid_count"] == 0, exported["invalid"]
    statements = {s["puid"]: s for s in exported["statements"]}
    assert sorted(statements) == [f"cd_{n}" for n in range(len(KINDS))]
    now = w.clock()
    for n, (kind, visibility) in enumerate(KINDS):
        s = statements[f"cd_{n}"]
        assert problems(s) == []
        if visibility is None:
            assert s["decision_monetary"] == "DECISION_MONETARY_SUSPENSION" and "decision_visibility" not in s
            assert s["end_date_monetary_restriction"] == (now + timedelta(days=30)).date().isoformat()
        else:
            assert s["decision_visibility"] == [visibility] and "decision_monetary" not in s
            assert s.get("end_date_visibility_restriction") == (
                (now + timedelta(days=30)).date().isoformat() if n % 2 else None
            )
        assert ("decision_visibility_other" in s) == (kind == "other")
        if kind == "other":
            assert s["decision_visibility_other"] == OTHER
        assert "decision_account" not in s and "decision_provision" not in s
        assert s["content_type"] == ["CONTENT_TYPE_VIDEO", "CONTENT_TYPE_TEXT"]
        assert s["content_date"] == "2021-01-06"
        assert s["content_language"] == ("FR" if n == 3 else "EN")
        assert s["territorial_scope"] == (["FR"] if kind == "disabling" else list(enums.EEA_COUNTRIES))
        assert s["application_date"] == now.date().isoformat()
        assert s["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
        assert s["category"] == "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"
        assert s["category_specification"] == ["KEYWORD_INCITEMENT_VIOLENCE_HATRED"]
        assert s["source_type"] == "SOURCE_TRUSTED_FLAGGER"
        assert (s["automated_detection"], s["automated_decision"]) == ("Yes", "AUTOMATED_DECISION_PARTIALLY")
        assert "channel-a" not in str(s)  # nothing of the author
    rows = {r["platform_uid"]: r for r in _export(w, "csv")}
    assert sorted(rows) == sorted(statements)
    for n, (kind, visibility) in enumerate(KINDS):
        row = rows[f"cd_{n}"]
        assert row["decision_visibility"] == (f'["{visibility}"]' if visibility else "")
        assert row["decision_monetary"] == ("" if visibility else "DECISION_MONETARY_SUSPENSION")
        assert row["decision_visibility_other"] == (OTHER if kind == "other" else "")
        assert row["content_language"] == ("FR" if n == 3 else "EN")
        assert row["content_type"] == '["CONTENT_TYPE_VIDEO","CONTENT_TYPE_TEXT"]'
        assert row["platform_name"] == "Facebook"


def test_one_statement_of_each_kind_passes_the_validator_from_issued_statements(world: World) -> None:
    _decide_every_kind(world, issue=True)
    _check_every_kind(world)


def test_one_statement_of_each_kind_passes_the_validator_from_the_decisions_columns(world: World) -> None:
    _decide_every_kind(world, issue=False)
    _check_every_kind(world)


def test_an_amendment_is_its_own_statement_and_issued_ones_say_what_the_user_was_told(world: World) -> None:
    w = world
    now = w.clock()
    record(w.db, now, decided("cd_1", "label", now, ends_at=now + timedelta(days=90)), now)
    later = now + timedelta(days=2)
    w.clock.advance(timedelta(days=2))
    seq, _ = record(w.db, later, amended("cd_1", "removal", ends_at=now + timedelta(days=60), scope=("DE",)), later)
    record_only(w.db, later, amended("cd_1", "removal", ends_at=now + timedelta(days=60), scope=("DE",)), later)
    statements = {s["puid"]: s for s in _export(w)["statements"]}
    assert sorted(statements) == ["cd_1", f"cd_1-{seq}"]  # the repeat of the same term is no new decision
    first, second = statements["cd_1"], statements[f"cd_1-{seq}"]
    assert first["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_LABELLED"]
    assert first["end_date_visibility_restriction"] == (now + timedelta(days=90)).date().isoformat()
    assert second["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert second["territorial_scope"] == ["DE"] and second["application_date"] == later.date().isoformat()


def test_the_validator_refuses_what_the_database_would() -> None:
    s = tdb.content_statement_of(
        "cd_1",
        "other",
        "",
        "2024-06-01",
        "2024-05-01",
        (),
        tdb.ContentItem(("CONTENT_TYPE_VIDEO",), "1999-12-31", "xx"),
        {"ground": "incompatible_content", "category": "STATEMENT_CATEGORY_VIOLENCE", "policy": "p", "facts": "f"},
        {"detection": False, "decision": "not_automated"},
    )
    assert "content_language" not in s  # not an ISO 639-1 code: left out rather than refused
    fields = {p.field for p in problems(s)}
    assert {"decision_visibility_other", "end_date_visibility_restriction", "content_date"} <= fields
    assert {p.field for p in problems({**s, "content_language": "XX"})} >= {"content_language"}
    assert {p.field for p in problems({**s, "decision_visibility": ["DECISION_VISIBILITY_CONTENT_HIDDEN"]})} >= {
        "decision_visibility"
    }


# --- the export fields kept beside each issued statement (the export's speed) -----------------


def _kept(w: World) -> dict[str, tuple[bytes | None, bytes | None]]:
    """``{statement id: (export_fields, document)}`` of the issued content statements."""
    D = tables.issued_documents.c
    with w.db.read() as conn:
        rows = conn.execute(select(D.id, D.export_fields, D.document).where(D.sanction_id.like("cd%"))).all()
    return {i: (None if f is None else bytes(f), None if d is None else bytes(d)) for i, f, d in rows}


def _set_fields(w: World, value: bytes | None) -> None:
    with w.db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        conn.execute(update(tables.issued_documents).values(export_fields=value))


def test_each_issued_statement_keeps_its_export_fields_and_the_export_is_the_same_without_them(world: World) -> None:
    w = world
    _decide_every_kind(w, issue=True)
    now = w.clock()
    w.clock.advance(timedelta(days=1))
    later = now + timedelta(days=1)
    record(w.db, later, amended("cd_0", "removal", ends_at=now + timedelta(days=60), scope=("DE",)), later)
    kept = _kept(w)
    assert len(kept) == len(KINDS) + 1
    for fields, document in kept.values():
        assert fields is not None and document is not None
        assert orjson.loads(fields) == tdb.content_export_fields(orjson.loads(document))
    as_kept, csv_kept = _export(w), _export(w, "csv")
    assert as_kept["exported"] == len(KINDS) + 1 and as_kept["invalid_count"] == 0
    _set_fields(w, None)  # statements issued before the column: read from their documents
    assert _export(w) == as_kept and _export(w, "csv") == csv_kept


def test_the_validator_still_refuses_a_statement_made_from_kept_export_fields(world: World) -> None:
    w = world
    _decide_every_kind(w, issue=True)
    statement_id, (fields, _) = sorted(_kept(w).items())[0]
    assert fields is not None
    broken = orjson.loads(fields)
    broken[15] = "STATEMENT_CATEGORY_NOT_ONE"  # the category
    broken[17] = "   "  # the facts, blank once trimmed
    D = tables.issued_documents.c
    with w.db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        conn.execute(
            update(tables.issued_documents).where(D.id == statement_id).values(export_fields=orjson.dumps(broken))
        )
    exported = _export(w)
    assert exported["exported"] == len(KINDS) - 1 and exported["invalid_count"] == 1
    assert {p["field"] for p in exported["invalid"][0]["problems"]} == {"category", "decision_facts"}
    assert len(_export(w, "csv")) == len(KINDS) - 1  # nothing invalid is written


def test_an_erased_statement_loses_its_export_fields_and_is_exported_from_the_decisions_columns(world: World) -> None:
    w = world
    _decide_every_kind(w, issue=True)
    before = {s["puid"]: s for s in _export(w)["statements"]}
    with w.db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        assert issued.blank(conn, list(_kept(w)), now=w.clock()) == len(KINDS)
    assert set(_kept(w).values()) == {(None, None)}  # the texts and the fields they repeat are gone
    after = {s["puid"]: s for s in _export(w)["statements"]}
    assert after == before  # the columns say what the statements said


def test_a_period_selects_content_statements_by_the_day_their_decision_applied(world: World) -> None:
    w = world
    now = w.clock()
    record(w.db, now, decided("cd_1", "label", now), now)  # never amended
    record(w.db, now, decided("cd_2", "removal", now), now)  # amended below
    later = now + timedelta(days=3)
    w.clock.advance(timedelta(days=3))
    seq, _ = record(w.db, later, amended("cd_2", "demotion", ends_at=later + timedelta(days=9)), later)
    record(w.db, later, decided("cd_3", "disabling", later), later)

    def puids(since: datetime | None, until: datetime | None) -> list[str]:
        params = {
            "from": None if since is None else since.isoformat(),
            "to": None if until is None else until.isoformat(),
        }
        answer = w.client.get(
            "/v1/transparency/statements",
            params={k: v for k, v in params.items() if v is not None},
            headers=w.headers["auditor"],
        )
        assert answer.status_code == 200, answer.text
        return sorted(s["puid"] for s in answer.json()["statements"])

    assert puids(None, None) == ["cd_1", "cd_2", f"cd_2-{seq}", "cd_3"]
    assert puids(None, now + timedelta(days=1)) == ["cd_1", "cd_2"]
    assert puids(now + timedelta(days=1), None) == [f"cd_2-{seq}", "cd_3"]
    assert puids(now + timedelta(days=1), later) == []


def test_the_csv_is_the_same_text_whether_lines_are_written_from_kept_fields_or_from_statements(
    world: World,
) -> None:
    """The CSV export writes most content decisions' lines from their kept export fields
    (``tdb.content_csv_line_of_kept``), the others from their statements: byte for byte the same
    text as when every statement is made from its document (no kept fields), over a mix of never
    amended, amended, restored and unissued decisions, with texts to quote, and for periods that
    cut between their decisions."""
    w = world
    _decide_every_kind(w, issue=True)
    now = w.clock()
    record_only(w.db, now, decided("cd_plain", "label", now), now)  # no statement issued
    record(w.db, now, decided("cd_quoted", "other", now, kind_other='Hidden, "quietly"'), now)
    later = now + timedelta(days=2)
    w.clock.advance(timedelta(days=2))
    record(w.db, later, amended("cd_1", "removal", ends_at=later + timedelta(days=60), scope=("DE",)), later)
    record(w.db, later, restored("cd_2"), later)
    periods = [(None, None), (None, now + timedelta(days=1)), (now + timedelta(days=1), None)]

    def texts() -> list[str]:
        out = []
        for since, until in periods:
            params = {"format": "csv"}
            if since is not None:
                params["from"] = since.isoformat()
            if until is not None:
                params["to"] = until.isoformat()
            answer = w.client.get("/v1/transparency/statements", params=params, headers=w.headers["auditor"])
            assert answer.status_code == 200, answer.text
            out.append(answer.text)
        return out

    kept = texts()
    assert 'Hidden, ""quietly""' in kept[0] and "cd_plain" in kept[0] and "cd_quoted" in kept[0]
    assert [len(text.splitlines()) for text in kept] == [1 + len(KINDS) + 3, 1 + len(KINDS) + 2, 2]
    _set_fields(w, None)
    assert texts() == kept


def test_amended_and_restored_decisions_give_the_same_csv_from_kept_fields_and_a_spoiled_one_is_refused(
    world: World,
) -> None:
    """Amended and restored decisions are written from their statements' kept fields
    (``tdb.content_csv_lines_of_kept``) when each line is certainly the general path's: the CSV is
    the same text as when every statement is made from its document, over amendments issued and
    not issued, a repeat of the terms in force, restorations and periods; and a statement of an
    amendment whose kept fields the validator refuses is refused, its decision's other line kept."""
    w = world
    now = w.clock()
    for n, kind in enumerate(("label", "removal", "demotion", "other", "demonetization", "disabling")):
        event = decided(
            f"cd_{n}",
            kind,
            now,
            ends_at=now + timedelta(days=90) if n % 2 else None,
            kind_other=OTHER if kind == "other" else None,
        )
        record(w.db, now, event, now)
    later = now + timedelta(days=2)
    w.clock.advance(timedelta(days=2))
    amend_seq, _ = record(
        w.db, later, amended("cd_0", "removal", ends_at=now + timedelta(days=60), scope=("DE",)), later
    )
    record(w.db, later, amended("cd_1", "removal", ends_at=now + timedelta(days=90)), later)  # the terms in force
    record_only(w.db, later, amended("cd_2", "label"), later)  # no statement: made from the columns
    record(w.db, later, restored("cd_3"), later)
    record(w.db, later, amended("cd_4", "demonetization", ends_at=now + timedelta(days=30)), later)
    record(w.db, later, restored("cd_4"), later)
    record(w.db, later, amended("cd_5", "removal", scope=("FR", "BE")), later)
    record(w.db, later, amended("cd_5", "demotion", scope=("FR",)), later)
    periods = [(None, None), (None, now + timedelta(days=1)), (now + timedelta(days=1), None)]

    def texts() -> list[str]:
        out = []
        for since, until in periods:
            params = {"format": "csv"}
            if since is not None:
                params["from"] = since.isoformat()
            if until is not None:
                params["to"] = until.isoformat()
            answer = w.client.get("/v1/transparency/statements", params=params, headers=w.headers["auditor"])
            assert answer.status_code == 200, answer.text
            out.append(answer.text)
        return out

    kept = texts()
    exported = _export(w)
    assert exported["invalid_count"] == 0 and len(kept[0].splitlines()) == 1 + exported["exported"]
    assert f"cd_0-{amend_seq}" in kept[0] and f"cd_0-{amend_seq}" in kept[2] and f"cd_0-{amend_seq}" not in kept[1]
    D = tables.issued_documents.c
    with w.db.read() as conn:
        (statement_id, fields) = conn.execute(
            select(D.id, D.export_fields).where(D.sanction_id == "cd_0", D.decision_seq == amend_seq)
        ).one()
    originals = _kept(w)
    _set_fields(w, None)
    assert texts() == kept
    with w.db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        for about, (was, _) in originals.items():
            conn.execute(update(tables.issued_documents).where(D.id == about).values(export_fields=was))
    assert texts() == kept
    broken = orjson.loads(fields)
    broken[15] = "STATEMENT_CATEGORY_NOT_ONE"  # the category
    with w.db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        conn.execute(
            update(tables.issued_documents).where(D.id == statement_id).values(export_fields=orjson.dumps(broken))
        )
    refused = _export(w)
    assert refused["exported"] == exported["exported"] - 1 and refused["invalid_count"] == 1
    assert refused["invalid"][0]["puid"] == f"cd_0-{amend_seq}"
    written = texts()[0]
    assert f"cd_0-{amend_seq}" not in written and "cd_0," in written
    assert written.splitlines() == [line for line in kept[0].splitlines() if f"cd_0-{amend_seq}" not in line]


def test_statements_with_and_without_kept_fields_in_one_decision_give_the_same_csv(world: World) -> None:
    """A decision whose statements' fields are kept for some and not for others (issued before the
    fields were kept), or whose one statement has none, is exported as when every statement is
    made from its document: the export finds the statements without fields beside those with."""
    w = world
    now = w.clock()
    for n, kind in enumerate(("label", "removal", "demotion")):
        record(w.db, now, decided(f"cd_{n}", kind, now, ends_at=now + timedelta(days=90) if n else None), now)
    later = now + timedelta(days=2)
    w.clock.advance(timedelta(days=2))
    record(w.db, later, amended("cd_0", "removal", ends_at=now + timedelta(days=60), scope=("DE",)), later)
    record(w.db, later, amended("cd_1", "demotion"), later)
    record(w.db, later, restored("cd_1"), later)
    kept, as_json = _export(w, "csv"), _export(w)
    assert as_json["invalid_count"] == 0 and as_json["exported"] == len(kept) == 5
    originals = _kept(w)
    assert len(originals) == 5  # a restoration issues none here
    D = tables.issued_documents.c
    for about in sorted(originals):  # each statement in turn without its fields
        with w.db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
            conn.execute(update(tables.issued_documents).where(D.id == about).values(export_fields=None))
        assert _export(w, "csv") == kept and _export(w) == as_json, about
        with w.db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
            conn.execute(update(tables.issued_documents).where(D.id == about).values(export_fields=originals[about][0]))


def test_the_exports_chunks_name_each_statement_whose_text_is_kept_with_its_fields_or_without(world: World) -> None:
    """``content_export_chunks`` gives a decision's statements in decision order, each with its
    kept fields, or None where they were never kept or its text was erased (the export then reads
    the decision in full, which leaves an erased one out)."""
    w = world
    now = w.clock()
    record(w.db, now, decided("cd_0", "label", now), now)
    record(w.db, now, decided("cd_1", "removal", now), now)
    later = now + timedelta(days=2)
    w.clock.advance(timedelta(days=2))
    amend_seq, _ = record(w.db, later, amended("cd_0", "removal", scope=("DE",)), later)
    D = tables.issued_documents.c
    with w.db.read() as conn:
        rows = conn.execute(select(D.id, D.sanction_id, D.decision_seq, D.export_fields).order_by(D.decision_seq)).all()
    [(first_id, _, first_seq, first), (amend_id, _, _, amendment)] = [r for r in rows if r[1] == "cd_0"]
    [(only_id, *_)] = [r for r in rows if r[1] == "cd_1"]

    def chunks() -> list[tuple[str, bool, bytes | None, list[bytes | None] | None]]:
        with w.db.read() as conn:
            return [
                (decision_id, unchanged, fields, statements)
                for chunk in transparency_store.content_export_chunks(conn, "meta", -(2**62), 2**62)
                for decision_id, _, unchanged, fields, _, _, statements in chunk
            ]

    assert chunks() == [
        ("cd_0", False, None, [bytes(first), bytes(amendment)]),
        ("cd_1", True, _kept(w)[only_id][0], None),
    ]
    with w.db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        conn.execute(update(tables.issued_documents).where(D.id.in_([amend_id, only_id])).values(export_fields=None))
    assert chunks() == [("cd_0", False, None, [bytes(first), None]), ("cd_1", True, None, None)]
    with w.db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        conn.execute(update(tables.issued_documents).where(D.id == first_id).values(export_fields=None))
        assert issued.blank(conn, [amend_id], now=w.clock()) == 1
    assert chunks() == [("cd_0", False, None, [None, None]), ("cd_1", True, None, None)]
    assert first_seq < amend_seq
    exported = _export(w)
    assert sorted(s["puid"] for s in exported["statements"]) == ["cd_0", f"cd_0-{amend_seq}", "cd_1"]
