"""A crash at any instant leaves the log, the projections and the chain consistent (PRODUCT.md 7).

A subprocess imports sanctions in batches of 200 until it is killed with SIGKILL part-way; the
database must then verify, hold every batch it acknowledged and no part of any other, and have
projections equal to a fresh replay of its log.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from reprieve.domain.model import AccountRef
from reprieve.services.audit import rebuild_projections, verify_audit_log
from reprieve.services.standing import get_standing
from reprieve.store import eventlog
from reprieve.store.db import Database

IMPORTER = Path(__file__).with_name("killable_import.py")
BATCH = 200
COUNT = 50_000  # far more than it will get through before it is killed
KILL_AFTER_EVENTS = 4_000  # ten batches or so in (each sanction is two events: account + sanction)


def event_count(db: Database) -> int:
    with db.read() as conn:
        return eventlog.count_events(conn)


def in_a_transaction(db: Database, application: str) -> bool:
    """Whether the importer is inside a transaction right now (known on PostgreSQL only)."""
    if db.dialect != "postgresql":
        return True  # SQLite cannot tell; the importer spends nearly all its time in one anyway
    with db.read() as conn:
        busy = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %(name)s AND xact_start IS NOT NULL",
            {"name": application},
        ).scalar_one()
    return bool(busy)


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.005)  # poll interval, not a wait for anything in particular


@pytest.mark.slow
def test_a_killed_import_leaves_a_consistent_database(
    db: Database,
    database_url: str,
    meta: str,
    now: datetime,
    impose: Callable[..., dict[str, Any]],
    projections: Callable[[Database], Any],
) -> None:
    events_before = event_count(db)
    application = "killable-import"
    url = database_url
    if db.dialect == "postgresql":  # so that the test can see when it is inside a transaction
        url += ("&" if "?" in url else "?") + f"application_name={application}"
    process = subprocess.Popen(
        [sys.executable, str(IMPORTER), url, str(COUNT), str(BATCH)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(
            lambda: process.poll() is not None or event_count(db) > events_before + KILL_AFTER_EVENTS,
            timeout=120,
            what="the import to get going",
        )
        wait_until(
            lambda: process.poll() is not None or in_a_transaction(db, application),
            timeout=30,
            what="the importer to be in the middle of a batch",
        )
        assert process.poll() is None, f"the importer stopped on its own: {process.communicate()}"
        os.kill(process.pid, signal.SIGKILL)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL, err
    acknowledged = int(out.split()[-1]) if out.split() else 0
    assert "done" not in out

    # The chain verifies, up to the head the last committed batch left.
    verification = verify_audit_log(db)
    assert verification.ok, verification
    assert verification.events == event_count(db)

    # Every acknowledged batch is there; of any other, all or nothing.
    now_projected = projections(db)
    imposed = len(now_projected["sanctions"])
    assert imposed % BATCH == 0
    assert acknowledged <= imposed <= acknowledged + BATCH
    assert imposed >= KILL_AFTER_EVENTS // 2 - BATCH
    assert len(now_projected["accounts"]) == imposed  # one new account per sanction, no orphan
    assert event_count(db) == events_before + 2 * imposed

    # The projections are exactly what a replay of the log gives.
    rebuild_projections(db)
    assert projections(db) == now_projected

    # And the log goes on from where it stopped.
    after = impose("facebook/spammer0", "suspension", duration="P1D")
    assert verify_audit_log(db).ok
    standing = get_standing(db, AccountRef("facebook", "spammer0"), at=now).to_json()
    assert after["id"] in standing["sanctions"]
