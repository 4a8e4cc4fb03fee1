"""M10: ``reprieve audit rebuild``, the documented repair, works on real databases.

It used to empty ``operators`` while tokens, members, webhook endpoints and worker settings (not
projections) still pointed to it: "FOREIGN KEY constraint failed" on any database with a token.
Now it recomputes the projections only, and leaves every other table as it was. The proof: the
whole database, every table row by row, is the same after a rebuild as before; and a projection
damaged beforehand comes back as the log says.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update

from e2e.cli_support import Cli
from reprieve.api.app import create_app
from reprieve.demo import DEMO_PASSWORD, load_demo
from reprieve.domain.errors import StorageError
from reprieve.domain.time import parse_duration
from reprieve.services import appeal_targets, catalogue, members, tokens, webhooks
from reprieve.services.audit import rebuild_projections, verify_audit_log
from reprieve.services.callers import Caller
from reprieve.store import eventlog, tables
from reprieve.store.db import Database

Snapshot = dict[str, list[tuple[Any, ...]]]
NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
IMPORTER = Path(__file__).resolve().parent.parent / "integration" / "killable_import.py"


def every_table(db: Database) -> Snapshot:
    """Every row of every table of the schema, in a canonical order."""
    with db.read() as conn:
        return {
            table.name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
            for table in tables.metadata.sorted_tables
        }


def add_what_is_not_a_projection(db: Database, operator: str) -> str:
    """A token, a member with a console session, a webhook endpoint (and so outbox rows), worker
    settings, an idempotency key: the rows that point to projections without being one."""
    admin = tokens.create_token(
        db, tokens.CreateToken.parse(name="ops-admin", role="admin", operator=operator), caller=Caller("t", now=NOW)
    )
    tokens.create_token(
        db, tokens.CreateToken.parse(name="root", role="instance-admin", operator=None), caller=Caller("t", now=NOW)
    )
    members.create_member(
        db,
        members.CreateMember.parse(
            email=f"someone@{operator}.example",
            name="Some One",
            role="moderator",
            operator=operator,
            password="a long enough password",
        ),
        caller=Caller("t", now=NOW),
    )
    members.sign_in(db, email=f"someone@{operator}.example", password="a long enough password", now=NOW)
    webhooks.create_webhook(
        db,
        webhooks.CreateWebhook(operator=operator, url="https://hooks.example.org/reprieve", event_types=["*"]),
        caller=Caller("t", now=NOW),
    )
    appeal_targets.set_appeal_target(db, operator, parse_duration("P7D"), caller=Caller("t", now=NOW))
    client = TestClient(create_app(db, clock=lambda: NOW))
    answer = client.post(
        "/v1/tokens",
        json={"operator": operator, "role": "platform", "name": "app"},
        headers={"Authorization": f"Bearer {admin.secret}", "Idempotency-Key": "k1"},
    )
    assert answer.status_code == 201, answer.text
    return str(admin.secret)


def damage_projections(db: Database) -> None:
    """What a repair is for: operators renamed, a sanction gone."""
    with db.engine.begin() as conn:
        conn.execute(update(tables.operators).values(name="tampered"))
        victim = conn.execute(
            select(tables.sanctions.c.id)
            # a review or complaint about a content decision names no sanction (NULL: NOT IN would match nothing)
            .where(
                tables.sanctions.c.id.not_in(
                    select(tables.reviews.c.sanction_id).where(tables.reviews.c.sanction_id.is_not(None))
                )
            )
            .where(
                tables.sanctions.c.id.not_in(
                    select(tables.appeals.c.sanction_id).where(tables.appeals.c.sanction_id.is_not(None))
                )
            )
            .order_by(tables.sanctions.c.id)
            .limit(1)
        ).scalar_one()
        for table in (tables.sanction_kind_periods, tables.sanction_spans, tables.sanction_scope):
            conn.execute(delete(table).where(table.c.sanction_id == victim))
        conn.execute(delete(tables.sanctions).where(tables.sanctions.c.id == victim))


def test_only_the_operators_are_rebuilt_in_place() -> None:
    from reprieve.services.audit import referenced_projections

    assert [table.name for table in referenced_projections()] == ["operators"]


def test_a_rebuild_of_the_demo_database_changes_nothing_and_repairs_projections(db: Database) -> None:
    assert load_demo(db, synthetic=0)
    secret = add_what_is_not_a_projection(db, "meta")
    before = every_table(db)
    for name in (
        "tokens",
        "members",
        "console_sessions",
        "webhook_endpoints",
        "worker_settings",
        "outbox",
        "idempotency_keys",
        "amnesties",
        "amnesty_targets",
        "appeal_requesters",
        "appeals",
    ):
        assert before[name], f"the demo database should have {name}"

    assert rebuild_projections(db) == verify_audit_log(db).events
    assert every_table(db) == before

    damage_projections(db)
    assert every_table(db) != before
    rebuild_projections(db, batch=50)
    assert every_table(db) == before
    assert verify_audit_log(db).ok
    # What was kept still works: the token, the member's password.
    client = TestClient(create_app(db, clock=lambda: NOW))
    assert client.get("/v1/platforms/facebook", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    members.sign_in(db, email="admin@meta.example", password=DEMO_PASSWORD, now=NOW)


def test_an_operator_the_log_does_not_know_stops_the_rebuild_and_changes_nothing(db: Database) -> None:
    catalogue.create_operator(db, catalogue.CreateOperator.parse(id="meta", name="Meta"), caller=Caller("t", now=NOW))
    with db.engine.begin() as conn:  # a row no event created, that a token points to
        conn.execute(tables.operators.insert().values(id="ghost", name="Ghost", created_seq=0))
    tokens.create_token(
        db, tokens.CreateToken.parse(name="g", role="admin", operator="ghost"), caller=Caller("t", now=NOW)
    )
    before = every_table(db)
    with pytest.raises(StorageError, match="row 'ghost' of operators is created by no event"):
        rebuild_projections(db)
    assert every_table(db) == before


def event_count(db: Database) -> int:
    with db.read() as conn:
        return eventlog.count_events(conn)


@pytest.mark.slow
def test_a_rebuild_after_a_killed_writer_keeps_everything_else(db: Database, database_url: str) -> None:
    catalogue.create_operator(db, catalogue.CreateOperator.parse(id="meta", name="Meta"), caller=Caller("t", now=NOW))
    for platform in ("facebook", "instagram"):
        catalogue.create_platform(
            db,
            catalogue.CreatePlatform.parse(id=platform, operator="meta", name=platform.title()),
            caller=Caller("t", now=NOW),
        )
    add_what_is_not_a_projection(db, "meta")
    start = event_count(db)
    process = subprocess.Popen(
        [sys.executable, str(IMPORTER), database_url, "50000", "100"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while process.poll() is None and event_count(db) < start + 400:
            assert time.monotonic() < deadline, "the importer did not get going"
            time.sleep(0.005)  # poll interval
        assert process.poll() is None, process.communicate()
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    assert verify_audit_log(db).ok
    before = every_table(db)
    assert len(before["sanctions"]) >= 100

    assert rebuild_projections(db) == event_count(db)
    assert every_table(db) == before


def test_the_cli_rebuilds_a_database_with_tokens_and_says_what(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(database_url, capsys)
    cli.ok("operator", "create", "acme", "--name", "Acme")
    cli.ok("token", "create", "--operator", "acme", "--role", "admin", "--name", "a")
    code, out, err = cli.run("audit", "rebuild")
    assert code == 0, err
    # identity_links since issue 22, statement_deliveries since issue 23, notice_cases and notices since 26
    assert "rebuilt 22 projections from 2 events" in out
    assert "operators" in out and "sanctions" in out
    assert "left as they were: tokens, members" in out
    assert cli.ok("audit", "verify")
