"""M8, M9, L5 and appeal codes (issue 17, items 5 and 7): what a copy of the database gives away.

A copy of the database alone decrypts no webhook secret and computes no appeal code; the SQLite
files and the key file are the owner's alone; keys rotate; bound values stay out of the logs.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from api_support import Clock, World, build_world
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Connection, insert, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from e2e.cli_support import Cli
from reprieve.api.observability.logs import JsonFormatter, TextFormatter
from reprieve.api.problems import problem_for
from reprieve.domain.errors import StorageError
from reprieve.services import appeal_codes, webhooks
from reprieve.store import keys, tables
from reprieve.store.db import MIGRATIONS, Database, open_database

SECRET = "whsec_known-secret-for-this-test-0001"
HOOK = {"url": "http://127.0.0.1:9/hook", "event_types": ["*"], "secret": SECRET}


@pytest.fixture
def no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """``REPRIEVE_SECRET_KEY`` unset, as on an installation that never set it."""
    monkeypatch.delenv(keys.ENV, raising=False)


def _is_postgres(db: Database) -> bool:
    return db.dialect == "postgresql"


def _stored_secret(db: Database) -> str:
    with db.read() as conn:
        return str(conn.execute(select(tables.webhook_endpoints.c.secret)).scalar_one())


def _candidate_keys(conn: Connection) -> list[str]:
    """Every value of ``outbox_consumers`` that could be a Fernet key (the old fallback's place)."""
    rows = conn.execute(text("SELECT * FROM outbox_consumers")).mappings().all()
    return [value for row in rows for value in row.values() if isinstance(value, str)]


def _decrypts_with_the_database_alone(db: Database, token: str) -> bool:
    with db.read() as conn:
        for candidate in _candidate_keys(conn):
            try:
                Fernet(candidate.encode()).decrypt(token.encode())
            except (ValueError, InvalidToken):
                continue
            return True
    return False


def test_a_copy_of_the_database_alone_cannot_decrypt_a_webhook_secret(
    db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if not _is_postgres(db):
        monkeypatch.delenv(keys.ENV)  # the SQLite default: the key file beside the database
    world = build_world(db, Clock())
    answer = world.client.post("/v1/webhooks", json=HOOK, headers=world.headers["admin"])
    assert answer.status_code == 201, answer.text
    token = _stored_secret(db)
    assert SECRET.encode() not in token.encode()
    with db.read() as conn:
        assert "fallback_key" not in {c["name"] for c in inspect(conn).get_columns("outbox_consumers")}
    assert not _decrypts_with_the_database_alone(db, token)

    # The copy, opened without the key: no key, no secret (the worker says so at start).
    monkeypatch.delenv(keys.ENV, raising=False)
    if _is_postgres(db):
        copy = open_database(database_url)
    else:
        with db.read() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        (tmp_path / "copy").mkdir()
        shutil.copy(database_url.removeprefix("sqlite:///"), tmp_path / "copy" / "reprieve.db")
        copy = open_database(f"sqlite:///{tmp_path / 'copy' / 'reprieve.db'}")
    try:
        assert webhooks.secret_key_warning(copy) is not None
        assert keys.key_ring(copy.engine.url) is None
    finally:
        copy.dispose()


@pytest.fixture
def private_umask() -> Iterator[None]:
    """The usual umask (022), under which files are created world-readable unless asked otherwise."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_the_sqlite_files_and_the_key_file_are_the_owners_alone(
    tmp_path: Path, no_key: None, private_umask: None
) -> None:
    path = tmp_path / "reprieve.db"
    db = open_database(f"sqlite:///{path}")
    try:
        world = build_world(db, Clock())
        assert world.client.post("/v1/webhooks", json=HOOK, headers=world.headers["admin"]).status_code == 201
        for name in ("reprieve.db", "reprieve.db-wal", "reprieve.db-shm", "reprieve.db.key"):
            mode = (tmp_path / name).stat().st_mode & 0o777
            assert mode == 0o600, f"{name}: {oct(mode)}"
    finally:
        db.dispose()


def test_several_keys_the_first_encrypts_all_decrypt_and_rotate_re_encrypts_under_the_newest(
    db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(keys.ENV, "the old key")
    world = build_world(db, Clock())
    assert world.client.post("/v1/webhooks", json=HOOK, headers=world.headers["admin"]).status_code == 201
    sanction = world.sanction("meta")["id"]
    with db.read() as conn:
        code = appeal_codes.code_for(conn, sanction)
    old = Fernet(keys.fernet_key_of("the old key"))
    assert old.decrypt(_stored_secret(db).encode()) == SECRET.encode()

    monkeypatch.setenv(keys.ENV, "the new key, the old key")
    assert keys.require_key_ring(db.engine.url).fernet().decrypt(_stored_secret(db).encode()) == SECRET.encode()
    cli = Cli(database_url, capsys)
    assert "re-encrypted 1 webhook secret under the newest key" in cli.ok("secrets", "rotate")
    with pytest.raises(InvalidToken):
        old.decrypt(_stored_secret(db).encode())
    monkeypatch.setenv(keys.ENV, "the new key")
    assert keys.require_key_ring(db.engine.url).fernet().decrypt(_stored_secret(db).encode()) == SECRET.encode()
    # The code printed under the old key works while the old key is listed, and only then.
    monkeypatch.setenv(keys.ENV, "the new key,the old key")
    with db.read() as conn:
        assert appeal_codes.code_for(conn, sanction) != code  # printed under the newest now
        assert appeal_codes.matches(conn, sanction, code)
    monkeypatch.setenv(keys.ENV, "the new key")
    with db.read() as conn:
        assert not appeal_codes.matches(conn, sanction, code)


def test_the_key_file_rotates_too(tmp_path: Path, no_key: None, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'reprieve.db'}"
    cli = Cli(url, capsys)
    cli.ok("operator", "create", "meta", "--name", "Meta")
    cli.ok("webhook", "create", "--operator", "meta", "--url", "http://127.0.0.1:9/hook", "--secret", SECRET)
    key_file = tmp_path / "reprieve.db.key"
    (first,) = keys.read_key_file(key_file)
    assert "re-encrypted 1 webhook secret" in cli.ok("secrets", "rotate", "--new-key")
    newest, older = keys.read_key_file(key_file)
    assert older == first and key_file.stat().st_mode & 0o777 == 0o600
    db = open_database(url)
    try:
        assert Fernet(newest).decrypt(_stored_secret(db).encode()) == SECRET.encode()
    finally:
        db.dispose()


@pytest.mark.parametrize(  # SQLite keeps its key in the file beside the database: PostgreSQL alone
    "database_url",
    [
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not os.environ.get("REPRIEVE_TEST_POSTGRES_URL"),
                reason="set REPRIEVE_TEST_POSTGRES_URL to run on PostgreSQL",
            ),
        )
    ],
    indirect=True,
)
def test_postgresql_without_the_key_refuses_to_store_a_secret(
    db: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _is_postgres(db)
    monkeypatch.delenv(keys.ENV)
    with db.read() as conn:
        before = conn.execute(text("SELECT MAX(seq) FROM events")).scalar()
    answer = world.client.post("/v1/webhooks", json=HOOK, headers=world.headers["admin"])
    assert answer.status_code == 409 and "REPRIEVE_SECRET_KEY" in answer.json()["detail"]
    with db.read() as conn:
        assert conn.execute(select(tables.webhook_endpoints.c.id)).first() is None
        assert conn.execute(text("SELECT MAX(seq) FROM events")).scalar() == before
    sanction = world.sanction("meta")["id"]
    statement = world.client.get(f"/v1/sanctions/{sanction}/statement", headers=world.headers["moderator"])
    assert statement.status_code == 409 and "REPRIEVE_SECRET_KEY" in statement.json()["detail"]


def test_bound_values_never_reach_the_logs(db: Database, meta: str, caplog: pytest.LogCaptureFixture) -> None:
    email = "someone.private@example.org"
    row = {
        "operator_id": meta,
        "email": email,
        "name": "A Person",
        "role": "moderator",
        "password_hash": "x",
        "created_at": "2024-06-01T12:00:00Z",
    }
    with db.engine.begin() as conn:
        conn.execute(insert(tables.members).values(id="mbr_1", **row))
    with pytest.raises(IntegrityError) as caught, db.engine.begin() as conn:
        conn.execute(insert(tables.members).values(id="mbr_2", **row))
    assert "[parameters:" not in str(caught.value) and "hidden" in str(caught.value)
    with caplog.at_level(logging.ERROR, logger="reprieve.api.problems"):
        assert problem_for(caught.value).status_code == 500
    (record,) = caplog.records
    for formatter in (JsonFormatter(), TextFormatter()):
        line = formatter.format(record)
        assert "IntegrityError" in line and email not in line


def _migration_0012() -> Any:
    path = MIGRATIONS / "versions" / "0012_keys_out_of_the_database.py"
    spec = importlib.util.spec_from_file_location("migration_0012", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_migration_0012(db: Database) -> None:
    with db.engine.connect() as conn:
        with Operations.context(MigrationContext.configure(conn, opts={"render_as_batch": True})):
            _migration_0012().upgrade()
        conn.commit()


def _as_before_0012(db: Database) -> bytes:
    """Put the database back as it was before migration 0012 (a fallback key in
    ``outbox_consumers``, the webhook secret encrypted under it, no ``appeal_code_legacy``)."""
    fallback = Fernet.generate_key()
    with db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE outbox_consumers ADD COLUMN fallback_key VARCHAR(64)"))
        conn.execute(text("UPDATE outbox_consumers SET fallback_key = :k"), {"k": fallback.decode()})
        conn.execute(update(tables.webhook_endpoints).values(secret=Fernet(fallback).encrypt(SECRET.encode()).decode()))
        conn.execute(text("DROP TABLE appeal_code_legacy"))
    return fallback


def test_the_migration_moves_the_fallback_key_out_and_printed_codes_keep_working(
    db: Database, world: World, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert world.client.post("/v1/webhooks", json=HOOK, headers=world.headers["admin"]).status_code == 201
    printed_before = world.sanction("meta")["id"]
    fallback = _as_before_0012(db)
    s, e = tables.sanctions.c, tables.events.c
    with db.read() as conn:
        creation_hash = conn.execute(
            select(e.hash)
            .select_from(tables.sanctions.join(tables.events, e.seq == s.created_seq))
            .where(s.id == printed_before)
        ).scalar_one()
    old_code = appeal_codes.printed(appeal_codes.derive_legacy(creation_hash))
    monkeypatch.delenv(keys.ENV)

    if _is_postgres(db):
        # Nowhere safe to put the key: refused, nothing changed; with the key set, it goes through.
        with pytest.raises(StorageError, match="REPRIEVE_SECRET_KEY is not set"):
            _run_migration_0012(db)
        assert Fernet(fallback).decrypt(_stored_secret(db).encode()) == SECRET.encode()
        monkeypatch.setenv(keys.ENV, "the key set for the upgrade")
    _run_migration_0012(db)

    with db.read() as conn:
        assert "fallback_key" not in {c["name"] for c in inspect(conn).get_columns("outbox_consumers")}
    ring = keys.require_key_ring(db.engine.url)
    if not _is_postgres(db):
        key_file = Path(database_url.removeprefix("sqlite:///") + ".key")
        assert ring.source == str(key_file) and key_file.stat().st_mode & 0o777 == 0o600
        assert fallback not in keys.read_key_file(key_file)  # every old backup holds it
    assert ring.fernet().decrypt(_stored_secret(db).encode()) == SECRET.encode()
    with pytest.raises(InvalidToken):
        Fernet(fallback).decrypt(_stored_secret(db).encode())

    # The code already printed on the statement keeps working; a new sanction's code is keyed.
    printed_after = world.sanction("meta")["id"]
    with db.read() as conn:
        assert appeal_codes.matches(conn, printed_before, old_code)
        assert appeal_codes.code_for(conn, printed_before) == appeal_codes.normalise(old_code)
        new_hash = conn.execute(
            select(e.hash)
            .select_from(tables.sanctions.join(tables.events, e.seq == s.created_seq))
            .where(s.id == printed_after)
        ).scalar_one()
        assert not appeal_codes.matches(conn, printed_after, appeal_codes.derive_legacy(new_hash))


def test_appeal_codes_cannot_be_computed_from_the_event_log(
    db: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    sanction = world.sanction("meta")["id"]
    s, e = tables.sanctions.c, tables.events.c
    with db.read() as conn:
        creation_hash = conn.execute(
            select(e.hash)
            .select_from(tables.sanctions.join(tables.events, e.seq == s.created_seq))
            .where(s.id == sanction)
        ).scalar_one()
        code = appeal_codes.code_for(conn, sanction)
        # What an auditor can compute from the event log (the old derivation) is not the code.
        assert not appeal_codes.matches(conn, sanction, appeal_codes.derive_legacy(creation_hash))
        assert appeal_codes.matches(conn, sanction, appeal_codes.printed(code))
    # The same database under another key gives another code: it follows from the key, not the data.
    monkeypatch.setenv(keys.ENV, "another installation's key")
    with db.read() as conn:
        assert appeal_codes.code_for(conn, sanction) != code
        assert not appeal_codes.matches(conn, sanction, code)
