"""An amnesty killed with SIGKILL mid-run, then resumed by a new process: the end state is that of
an uninterrupted run (each target lifted once, nothing else touched, the projections a fold of the
log) and the chain verifies.

The size here is what proves that, no more: enough small batches for the kill to land inside the
run, with batches committed before it and batches to go after it. How an amnesty holds up at scale
(hundreds of thousands to a million sanctions) is a benchmark's question: ``bench/amnesty.py``.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from reprieve.domain.model import AccountRef
from reprieve.services.audit import rebuild_projections, verify_audit_log
from reprieve.services.callers import Caller
from reprieve.services.sanctions import ImposeSanction, import_sanctions
from reprieve.store import eventlog, tables
from reprieve.store.db import Database

COUNT = 20_000  # 13,000 of them match the amnesty
BATCH = 50  # targets per transaction: 260 batches
# Targets processed when the process is killed: 80 batches committed and 180 to go, a second or
# more of work on either backend, against a poll every 10 ms.
KILL_AFTER = 4_000
CLI = "import sys; from reprieve.cli import main; main(sys.argv[1:])"


def commands(count: int) -> Iterator[ImposeSanction]:
    kinds = ("suspension", "termination", "restriction", "warning")
    for i in range(count):
        kind = kinds[i % 4]
        yield ImposeSanction.parse(
            subject=AccountRef("facebook" if i % 3 else "instagram", f"user{i}"),
            kind=kind,
            denies=["post"] if kind == "restriction" else (),
            duration=None if kind in ("termination", "warning") else "P1Y",
            starts_at="2024-05-01T00:00:00Z",
            reason={
                "ground": "incompatible_content",
                "explanation": "spam",
                "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD" if i % 10 else "STATEMENT_CATEGORY_VIOLENCE",
                "policy": "spam",
            },
        )


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)  # poll interval, not a wait for anything in particular


def processed(db: Database) -> int:
    with db.read() as conn:
        value = conn.execute(select(tables.amnesty_runs.c.processed)).scalar()
    return int(value or 0)


def sanction_rows(db: Database) -> dict[str, tuple[Any, ...]]:
    with db.read() as conn:
        return {r[0]: tuple(r) for r in conn.execute(select(tables.sanctions))}


def cli(url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CLI, "--database-url", url, "amnesty", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_an_amnesty_killed_half_way_is_resumed_to_the_state_of_an_uninterrupted_run(
    db: Database, database_url: str, meta: str, now: datetime, projections: Callable[[Database], Any]
) -> None:
    import_sanctions(db, commands(COUNT), caller=Caller("importer", now=now), batch_size=20_000)
    before = sanction_rows(db)
    with db.read() as conn:
        seq_before = eventlog.head(conn)[0]
    process = cli(
        database_url,
        "create",
        "--operator",
        "meta",
        "--kinds",
        "suspension,termination,restriction",
        "--exclude-categories",
        "STATEMENT_CATEGORY_VIOLENCE",
        "--reason",
        "General amnesty",
        "--effective-at",
        "2024-06-01T12:00:00Z",
        "--backdated-reason",
        "Test history: the amnesty took effect on the tests' clock, long past.",
        "--batch-size",
        str(BATCH),
        "--json",
        "--yes",
    )
    try:
        wait_until(
            lambda: process.poll() is not None or processed(db) >= KILL_AFTER,
            timeout=300,
            what="the amnesty to get going",
        )
        assert process.poll() is None, process.communicate()
        process.send_signal(signal.SIGKILL)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)  # reaps it and closes its pipes
    assert process.returncode == -signal.SIGKILL
    stopped_at = processed(db)
    with db.read() as conn:
        amnesty_id = conn.execute(select(tables.amnesties.c.id)).scalar_one()
        matched = conn.execute(select(tables.amnesties.c.matched)).scalar_one()
    assert KILL_AFTER <= stopped_at < matched  # killed with batches done and batches to go
    assert verify_audit_log(db).ok  # consistent even half-way

    resumed = cli(database_url, "resume", amnesty_id, "--json")
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err
    result = json.loads(out)
    assert result["state"] == "completed" and result["processed"] == matched

    # What an uninterrupted run would leave: each target lifted once, at the amnesty's instant...
    targets = {sid for sid, row in before.items() if row[5] != "warning" and row[10] != "STATEMENT_CATEGORY_VIOLENCE"}
    assert len(targets) == matched and result["lifted"] == matched and result["skipped"] == 0
    with db.read() as conn:
        new_events = eventlog.read_events(conn, after=seq_before, limit=COUNT * 2)
    lifts = [e.payload()["id"] for e in new_events if e.type == "sanction.lifted"]
    assert len(lifts) == len(set(lifts)) == matched and set(lifts) == targets
    assert [e.type for e in new_events if e.type != "sanction.lifted"] == ["amnesty.started", "amnesty.completed"]
    after = sanction_rows(db)
    lifted_at = 1717243200000000  # 2024-06-01T12:00:00Z
    for sid, row in after.items():
        if sid in targets:
            assert row[9] == lifted_at
        else:
            assert row == before[sid]  # ...and nothing else touched
    # The projections are exactly the fold of the log, and the chain verifies.
    live = projections(db)
    rebuild_projections(db)
    assert projections(db) == live
    assert verify_audit_log(db).ok
