"""The cut-over of a history already chained (issue 21, ``reprieve audit cut-over``): the old log of
``fixtures/old_log`` loses every personal text and name to ``personal_data``, keeps its hashes (so
its appeal codes and puids), still verifies (its prefix by the signed checkpoint), reads the same,
and any tampering with the prefix, the checkpoint or its signature is caught."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from old_log import load_events
from sqlalchemy import select, text, update

from reprieve.api.app import create_app
from reprieve.domain.events import EVENT_CLASSES, PERSONAL_FIELDS
from reprieve.domain.filters import EventFilter
from reprieve.domain.model import AccountRef
from reprieve.domain.personal import ERASED_NAME, ref_text_id
from reprieve.services import appeal_codes, appeals, catalogue, members, reviews, transparency
from reprieve.services.audit import (
    cut_over,
    list_events,
    rebuild_projections,
    resolve_actors,
    search_events,
    verify_audit_log,
)
from reprieve.services.callers import Caller
from reprieve.store import cutover, personal, tables
from reprieve.store.db import Database, open_database

FIXTURE = Path(__file__).parent / "fixtures" / "old_log"
NOW = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
REVIEW = "rvw_01EXEGHS8087PVBZ1SHZ9RJ1QH"
APPEALS = ("apl_01EXP7QY80ENK1J0DPXJ0EXHPM", "apl_01EZTP4Q0012194XH935HSTXAS", "apl_01FEHWW800D4MWQFX2WV58RMBR")
ACCOUNTS = (AccountRef("facebook", "alice"), AccountRef("facebook", "carol"), AccountRef("twitter", "bob"))


def _old_texts() -> set[str]:
    """Every plain text and name the old log's declared personal fields and actors hold."""
    found: set[str] = set()
    for line in (FIXTURE / "events.jsonl").read_text().splitlines():
        _, type_, _, _, actor, _, data, _, _ = json.loads(line)
        payload = json.loads(data)
        if not cutover.names_nobody(actor):
            found.add(actor)
        for field in PERSONAL_FIELDS[EVENT_CLASSES[type_]]:
            value = payload.get(field)
            values = value if isinstance(value, list) else [value]
            for v in values:
                plain = isinstance(v, str) and v and not cutover.names_nobody(v)
                if (
                    plain
                    and (type_, field) not in cutover.ALREADY_REFERENCES
                    and (field != "name" or v != payload["id"])
                ):
                    found.add(v)
    return found


def _loaded(db: Database) -> int:
    count = load_events(db, (FIXTURE / "events.jsonl").read_text().splitlines())
    rebuild_projections(db)
    return count


def _read_back(db: Database) -> dict[str, Any]:
    """What people read of the old log: appeals, accounts, the review, the audit log's actors,
    with the actors of views resolved as the console resolves them."""
    review = reviews.get_review(db, REVIEW).to_json()
    who = resolve_actors(db, [review["opened_by"] or "", review["decision"]["decided_by"] or ""])
    review["opened_by"] = who.get(review["opened_by"], review["opened_by"])
    review["decision"]["decided_by"] = who.get(review["decision"]["decided_by"], review["decision"]["decided_by"])
    review["timeline"] = [
        dict(e, by=resolve_actors(db, [e["by"] or ""]).get(e["by"], e["by"])) for e in review["timeline"]
    ]
    read: dict[str, Any] = {"review": review}
    for appeal_id in APPEALS:
        appeal = appeals.get_appeal(db, appeal_id).to_json()
        decision = appeal.get("decision")
        if decision and decision.get("decided_by"):
            name = decision["decided_by"]
            decision["decided_by"] = resolve_actors(db, [name]).get(name, name)
        read[appeal_id] = appeal
    for ref in ACCOUNTS:
        read[str(ref)] = catalogue.get_account(db, ref).to_json()
    read["actors"] = [e.actor_name for e in list_events(db, limit=1000).items]
    return read


def _codes_and_puids(db: Database) -> tuple[dict[str, str], str]:
    with db.read() as conn:
        ids = conn.execute(select(tables.sanctions.c.id).order_by(tables.sanctions.c.id)).scalars().all()
        codes = {i: appeal_codes.code_for(conn, i) for i in ids}
    exported = "".join(transparency.export_json(db, operator="meta", within=transparency.period(None, None)))
    return codes, exported


def _raw_events(db: Database) -> list[tuple[str, str]]:
    with db.read() as conn:
        return [
            (r.actor, r.data)
            for r in conn.execute(select(tables.events.c.actor, tables.events.c.data).order_by(tables.events.c.seq))
        ]


def test_the_cut_over_moves_every_old_text_and_name_and_keeps_hashes_codes_and_reads(db: Database) -> None:
    count = _loaded(db)
    old = _old_texts()
    assert {"Alice", "Alice A.", "Reinstated.", "An ODS body", "expert-a", "meta:moderator"} <= old
    before_read = _read_back(db)
    before_codes = _codes_and_puids(db)
    with db.read() as conn:
        hashes = conn.execute(
            select(tables.events.c.seq, tables.events.c.prev_hash, tables.events.c.hash).order_by(tables.events.c.seq)
        ).all()

    dry = cut_over(db, now=NOW, dry_run=True)
    assert dry.dry_run and dry.events > 0 and dry.moved > 0 and dry.checkpoint_seq is None
    assert _raw_events(db)[5][1].count('"Alice"') == 1  # the dry run changed nothing
    with db.read() as conn:
        assert conn.execute(select(tables.personal_data.c.id)).first() is None

    done = cut_over(db, now=NOW)
    assert (done.head, done.checkpoint_seq, done.events, done.moved) == (count, count + 1, dry.events, dry.moved)

    verified = verify_audit_log(db)
    assert verified.ok and verified.events == count + 1, verified
    assert (verified.proven, verified.proven_at) == (count, "2026-12-06T23:00:00Z")
    assert verified.proof == f"events 1 to {count} are proven by the checkpoint of 2026-12-06T23:00:00Z"
    assert verified.to_json()["checkpoint"] == {"events": count, "at": "2026-12-06T23:00:00Z"}

    # No plain text of a personal field, nor a name-actor, remains in the raw rows.
    raw = _raw_events(db)
    for actor, data in raw:
        assert cutover.names_nobody(actor), actor
        for value in old:
            assert json.dumps(value, ensure_ascii=False) not in data, (value, data)
    with db.read() as conn:
        assert (
            conn.execute(
                select(tables.events.c.seq, tables.events.c.prev_hash, tables.events.c.hash).order_by(
                    tables.events.c.seq
                )
            ).all()[:count]
            == hashes
        )

    assert _codes_and_puids(db) == before_codes
    after_read = _read_back(db)
    assert after_read.pop("actors")[:-1] == before_read.pop("actors")  # and the checkpoint's, at the end
    assert after_read == before_read

    # The projections hold references as new events', and a rebuild makes the same ones.
    with db.read() as conn:
        assert conn.execute(select(tables.appeals.c.reply).where(tables.appeals.c.reply_ref.is_not(None))).all()
        assert "expert-a" not in conn.execute(select(tables.reviews.c.panel)).scalar_one()
        projected = {t.name: sorted(map(tuple, conn.execute(select(t))), key=repr) for t in tables.PROJECTIONS}
    rebuild_projections(db)
    with db.read() as conn:
        assert projected == {t.name: sorted(map(tuple, conn.execute(select(t))), key=repr) for t in tables.PROJECTIONS}

    # The audit page's actor filter finds an old event's actor by its name, moved out of the chain.
    found = search_events(db, EventFilter(actor="expert-a"), limit=10).items
    assert [(e.seq, e.actor_name) for e in found] == [(13, "meta:expert-a")]

    again = cut_over(db, now=NOW)
    assert again.already == count + 1 and again.events == 0 and again.checkpoint_seq is None
    assert verify_audit_log(db).events == count + 1


def test_erasing_a_moved_text_keeps_the_log_verifiable_and_reads_as_erased(db: Database) -> None:
    _loaded(db)
    cut_over(db, now=NOW)
    with db.read() as conn:
        requester = conn.execute(
            select(tables.appeals.c.requester).where(tables.appeals.c.id == APPEALS[0])
        ).scalar_one()
    with db.engine.begin() as conn:
        erased = personal.erase_subject(conn, operator="meta", subject=requester, now_us=1, by="cli")
        panel = personal.erase_subject(conn, operator="meta", subject=f"review:{REVIEW}", now_us=1, by="cli")
    assert {e.kind for e in erased} == {"appeal.statement", "appeal.reply", "dispute.body", "dispute.summary"}
    assert len(panel) == 2
    assert verify_audit_log(db).ok
    appeal = appeals.get_appeal(db, APPEALS[0])
    assert appeal.statement is None and appeal.statement_erased and appeal.to_json()["statement"] is None
    review = reviews.get_review(db, REVIEW)
    assert review.panel == (ERASED_NAME, ERASED_NAME)
    assert {a.reviewer for a in review.assessments} == {ERASED_NAME}


def _checkpointed(db: Database) -> int:
    count = _loaded(db)
    cut_over(db, now=NOW)
    assert verify_audit_log(db).ok
    return count


@pytest.mark.parametrize("seq", [1, 6, 20])
def test_a_modified_prefix_event_is_caught(db: Database, seq: int) -> None:
    count = _checkpointed(db)
    with db.engine.begin() as conn:
        data = conn.execute(select(tables.events.c.data).where(tables.events.c.seq == seq)).scalar_one()
        conn.execute(
            update(tables.events).where(tables.events.c.seq == seq).values(data=data.replace("}", ',"x":1}', 1))
        )
    verified = verify_audit_log(db)
    assert not verified.ok and verified.problem == (
        f"events 1 to {count} do not match the checkpoint of 2026-12-06T23:00:00Z: one was modified"
    )


def test_a_changed_reference_in_the_prefix_is_caught(db: Database) -> None:
    _checkpointed(db)
    e = tables.events.c
    with db.engine.begin() as conn:
        seq, data = conn.execute(select(e.seq, e.data).where(e.type == "appeal.decided").order_by(e.seq)).first()  # type: ignore[misc]
        ref = json.loads(data)["reply"]["ref"]
        # Another last character, always: a reference ending in "0" made "0" of it changed nothing.
        changed = ref[:-1] + ("1" if ref.endswith("0") else "0")
        conn.execute(update(tables.events).where(e.seq == seq).values(data=data.replace(ref, changed)))
    assert not verify_audit_log(db).ok


@pytest.mark.parametrize("column", ["digest", "head_hash", "rewritten", "signature"])
def test_a_modified_checkpoint_row_is_caught(db: Database, column: str) -> None:
    _checkpointed(db)
    value: Any = 1 if column == "rewritten" else "0" * 64
    with db.engine.begin() as conn:
        conn.execute(update(tables.log_checkpoints).values(**{column: value}))
    verified = verify_audit_log(db)
    assert not verified.ok and "does not match its event" in str(verified.problem), verified


def test_a_modified_checkpoint_event_is_caught(db: Database) -> None:
    count = _checkpointed(db)
    with db.engine.begin() as conn:
        data = conn.execute(select(tables.events.c.data).where(tables.events.c.seq == count + 1)).scalar_one()
        digest = json.loads(data)["digest"]
        tampered = data.replace(digest, "0" * 64)
        conn.execute(update(tables.events).where(tables.events.c.seq == count + 1).values(data=tampered))
        conn.execute(update(tables.log_checkpoints).values(digest="0" * 64))
    verified = verify_audit_log(db)
    assert not verified.ok, verified


def test_a_checkpoint_row_removed_is_caught(db: Database) -> None:
    count = _checkpointed(db)
    with db.engine.begin() as conn:
        conn.execute(tables.log_checkpoints.delete())
    verified = verify_audit_log(db)
    assert not verified.ok and verified.first_bad == count + 1, verified


def test_a_forged_signature_is_caught_even_with_the_chain_rehashed(db: Database) -> None:
    """Whoever rewrites the checkpoint's event and row alike, and re-hashes the chain after it,
    still cannot sign: the key is not in the database."""
    count = _checkpointed(db)
    e = tables.events.c
    with db.engine.begin() as conn:
        row = conn.execute(select(tables.events).where(e.seq == count + 1)).one()
        payload = json.loads(row.data)
        payload["signature"] = "f" * 64
        from reprieve.domain.events import canonical_json, chain_hash, envelope_json

        data = canonical_json(payload)
        digest = chain_hash(
            row.prev_hash, envelope_json(row.seq, row.type, row.at, row.effective_at, row.actor, row.operator_id, data)
        )
        conn.execute(update(tables.events).where(e.seq == count + 1).values(data=data, hash=digest))
        conn.execute(update(tables.chain_head).values(hash=digest))
        conn.execute(update(tables.log_checkpoints).values(signature="f" * 64))
    verified = verify_audit_log(db)
    assert not verified.ok and "signature" in str(verified.problem), verified


def test_a_fresh_log_has_nothing_to_cut_over(db: Database) -> None:
    result = cut_over(db, now=NOW)
    assert (result.events, result.checkpoint_seq, result.already) == (0, None, None)
    with db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM log_checkpoints")).scalar_one() == 0
    assert verify_audit_log(db).ok


def test_a_panel_reference_reads_back_as_a_name() -> None:
    assert ref_text_id("ref:pd_01") == "pd_01" and ref_text_id("expert-a") is None


def test_the_command_line_cut_over(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from e2e.cli_support import Cli

    cli = Cli(database_url, capsys)
    assert cli.ok("audit", "cut-over") == "nothing to cut over: none of the 0 events holds personal data\n"
    db = open_database(database_url)
    try:
        count = _loaded(db)
    finally:
        db.dispose()
    code, out, err = cli.run("audit", "cut-over", "--dry-run")
    assert (
        code == 0
        and out.startswith("would move ")
        and out.endswith(f"of the {count} events (dry run: nothing changed)\n")
    )
    assert f"read {count} events" in err
    assert cli.events() == count
    out = cli.ok("audit", "cut-over")
    assert out.startswith("moved ") and f"recorded as event {count + 1}; projections rebuilt" in out
    verified = cli.ok("audit", "verify").splitlines()
    assert verified[0].startswith(f"ok: {count + 1} events") and verified[1].startswith(
        f"events 1 to {count} are proven by the checkpoint of "
    )
    assert cli.json("audit", "verify")["checkpoint"]["events"] == count
    assert (
        cli.ok("audit", "cut-over")
        == f"nothing to cut over: the cut-over already ran (checkpoint: event {count + 1})\n"
    )
    assert cli.events() == count + 1


def test_the_consoles_audit_page_says_the_oldest_events_are_proven_by_the_checkpoint(db: Database) -> None:
    """An auditor who verifies the chain in the console reads that the prefix is proven by the
    cut-over's checkpoint, with its date (and not the size of a log that holds other operators')."""
    _checkpointed(db)
    password = "a long enough password"
    members.create_member(
        db,
        members.CreateMember.parse(
            email="auditor@meta.example", name="Au Ditor", role="auditor", operator="meta", password=password
        ),
        caller=Caller("test", now=NOW),
    )
    client = TestClient(create_app(db, clock=lambda: NOW))
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/sign-in").text)
    assert token is not None
    signed = client.post(
        "/console/sign-in",
        data={"email": "auditor@meta.example", "password": password, "csrf_token": token.group(1)},
    )
    assert signed.status_code == 200, signed.text[:300]
    page = client.get("/console/audit?verify=1").text
    assert "The hash chain is intact." in page
    assert "The oldest events are proven by the signed checkpoint of 2026-12-06T23:00:00" in page
