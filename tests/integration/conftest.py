"""Helpers for the storage suites: what the projections hold, table by table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from reprieve.store import tables
from reprieve.store.db import Database

Snapshot = dict[str, list[tuple[Any, ...]]]


def projection_rows(db: Database) -> Snapshot:
    """Every row of every projection table, in a canonical order."""
    with db.read() as conn:
        return {
            table.name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
            for table in tables.PROJECTIONS
        }


@pytest.fixture
def projections() -> Callable[[Database], Snapshot]:
    """``projections(db)``: every row of every table in ``reprieve.store.tables.PROJECTIONS``."""
    return projection_rows
