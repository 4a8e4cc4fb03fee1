"""The test databases themselves: a PostgreSQL copy handed to a later test holds what the template
holds and nothing a former test wrote; one whose schema a test changed is not handed out again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from database_templates import POSTGRES_URL, Templates
from reprieve.services import catalogue
from reprieve.services.callers import Caller
from reprieve.store import tables
from reprieve.store.db import Database, open_database

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="set REPRIEVE_TEST_POSTGRES_URL to run on PostgreSQL")
NOW = datetime(2024, 6, 1, tzinfo=UTC)


@pytest.fixture
def own_templates(tmp_path: Path) -> Iterator[Templates]:
    made = Templates(tmp_path)
    try:
        yield made
    finally:
        made.close()


def _contents(url: str) -> tuple[int, int, list[str]]:
    """Events, operators, and the rows of the template's own tables, as text."""
    db = open_database(url)
    try:
        with db.read() as conn:
            events = conn.execute(select(func.count()).select_from(tables.events)).scalar_one()
            operators = conn.execute(select(func.count()).select_from(tables.operators)).scalar_one()
            own = [
                str(row)
                for name in ("alembic_version", "chain_head", "worker_partitions", "outbox_consumers")
                for row in conn.execute(text(f"SELECT * FROM {name} ORDER BY 1"))
            ]
        return events, operators, own
    finally:
        db.dispose()


def test_a_reused_copy_holds_the_template_and_nothing_a_former_test_wrote(own_templates: Templates) -> None:
    first = own_templates.postgres_copy()
    url = next(first)
    fresh = _contents(url)
    db = open_database(url)
    catalogue.create_operator(db, catalogue.CreateOperator.parse(id="meta", name="Meta"), caller=Caller("t", now=NOW))
    assert _log_id(db) == 1
    assert _log_id(db) == 2
    db.dispose()
    assert _contents(url) != fresh
    first.close()

    second = own_templates.postgres_copy()
    assert next(second) == url  # the same database, handed out again
    assert _contents(url) == fresh
    db = open_database(url)
    try:
        assert _log_id(db) == 1  # its sequences start again
    finally:
        db.dispose()
        second.close()


def _log_id(db: Database) -> int:
    """The id a new row of ``security_log`` gets from its sequence."""
    with db.engine.begin() as conn:
        row = {"at": 0, "event": "sign_in_failed", "client": "127.0.0.1"}
        return int(
            conn.execute(tables.security_log.insert().values(**row).returning(tables.security_log.c.id)).scalar_one()
        )


def test_a_copy_whose_schema_a_test_changed_is_dropped(own_templates: Templates) -> None:
    first = own_templates.postgres_copy()
    url = next(first)
    db = open_database(url)
    with db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE operators ADD COLUMN extra TEXT"))
    db.dispose()
    first.close()

    second = own_templates.postgres_copy()
    other = next(second)
    assert other != url
    db = open_database(other)
    try:
        with db.read() as conn:
            columns = conn.execute(
                text(
                    "SELECT count(*) FROM information_schema.columns "
                    "WHERE table_name = 'operators' AND column_name = 'extra'"
                )
            ).scalar_one()
        assert columns == 0
    finally:
        db.dispose()
        second.close()
