"""The schema the migrations build is the one ``tables.py`` describes, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from reprieve.store import tables
from reprieve.store.db import Database


def test_the_migrations_build_the_schema_tables_describes(db: Database) -> None:
    with db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), tables.metadata)
    assert differences == []
