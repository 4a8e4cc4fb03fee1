"""SQLite's plans for the reads that an index was built for: SQLite keeps no statistics unless
told to, so a plan is chosen on the shape of the indexes alone (PostgreSQL plans from the
statistics it keeps)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from reprieve.domain.filters import SanctionFilter
from reprieve.services.sanctions import list_sanctions
from reprieve.store.db import Database


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'reprieve.db'}"


@contextmanager
def statements(db: Database) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


@pytest.mark.parametrize(
    "account", ["facebook/DonaldTrump", "DonaldTrump"], ids=["platform-and-account", "account-alone"]
)
@pytest.mark.parametrize(
    "visible", [{"operator": "meta"}, {"operators": ["meta"]}, {}], ids=["operator", "operators", "any"]
)
def test_an_accounts_sanctions_are_found_through_the_account_index(
    db: Database, meta: str, now: datetime, account: str, visible: dict[str, Any]
) -> None:
    """Without statistics SQLite would walk every sanction of the operator in id order."""
    with statements(db) as seen:
        list_sanctions(db, SanctionFilter(account=account, **visible), at=now, limit=50)
    [(sql, parameters)] = [(s, p) for s, p in seen if "FROM sanctions" in s]
    with db.engine.connect() as conn:
        plan = [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)]
    assert any("USING INDEX ix_sanctions_account" in step for step in plan), plan
    if "/" in account:  # the index gives the order; for an account alone, its few rows are sorted
        assert not any("ORDER BY" in step for step in plan), plan


def test_the_content_exports_kept_fields_are_read_from_their_index_never_from_the_documents_rows(
    db: Database,
) -> None:
    """A statement's row holds its document (some 3.5 KB): the export reads each decision's
    statements' kept fields and seqs from the index that holds them alone, and no row of theirs."""
    from reprieve.store.transparency import _KEPT_SQL

    with db.engine.connect() as conn:
        plan = [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {_KEPT_SQL['sqlite']}", {"ids": "[]"})]
    assert any("USING COVERING INDEX ix_issued_documents_export" in step for step in plan), plan
