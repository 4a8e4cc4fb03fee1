"""A log written by the code before the events were typed still verifies, and rebuilds the very
projections that code made (``fixtures/old_log``, made by ``old_log.py`` from ``event_story``)."""

from __future__ import annotations

import json
from pathlib import Path

from old_log import load_events, projections

from reprieve.services.audit import rebuild_projections, verify_audit_log
from reprieve.store.db import Database

FIXTURE = Path(__file__).parent / "fixtures" / "old_log"


def test_an_old_log_verifies_and_rebuilds_the_same_projections(db: Database) -> None:
    count = load_events(db, (FIXTURE / "events.jsonl").read_text().splitlines())
    verified = verify_audit_log(db)
    assert verified.ok and verified.events == count, verified
    assert rebuild_projections(db) == count
    with db.read() as conn:
        rebuilt = projections(conn)
    assert rebuilt == json.loads((FIXTURE / "projections.json").read_text())
