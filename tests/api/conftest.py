"""Fixtures of the API suite: an app over the shared ``db`` fixture, a clock tests can move,
tokens for every role, and a module-wide world for the tenancy matrix.

``db`` and ``database_url`` come from ``tests/conftest.py`` (SQLite, and PostgreSQL when
``REPRIEVE_TEST_POSTGRES_URL`` is set).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_support import Clock, World, build_world

from database_templates import BACKENDS, Templates
from reprieve.store.db import Database, open_database


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def world(db: Database, clock: Clock) -> World:
    """A fresh world on a fresh database, for one test."""
    return build_world(db, clock)


# --- one world per module and backend, for tests that make many requests ------------------


@pytest.fixture(scope="module", params=BACKENDS)
def module_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, templates: Templates
) -> Iterator[Database]:
    """A database shared by the tests of one module, on each backend in turn."""
    if request.param == "sqlite":
        copies: Iterator[str] = iter([templates.sqlite_copy(tmp_path_factory.mktemp("api") / "reprieve.db")])
    else:
        copies = templates.postgres_copy()
    database = open_database(next(copies))
    try:
        yield database
    finally:
        database.dispose()
        next(copies, None)  # drops the PostgreSQL copy


@pytest.fixture(scope="module")
def module_world(module_db: Database) -> World:
    return build_world(module_db, Clock())
