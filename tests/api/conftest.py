"""Fixtures of the API suite: an app over the shared ``db`` fixture, a clock tests can move,
tokens for every role, and a module-wide world for the tenancy matrix.

``db`` and ``database_url`` come from ``tests/conftest.py`` (SQLite, and PostgreSQL when
``REPRIEVE_TEST_POSTGRES_URL`` is set).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from api_support import Clock, World, build_world

from reprieve.store.db import Database, open_database


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def world(db: Database, clock: Clock) -> World:
    """A fresh world on a fresh database, for one test."""
    return build_world(db, clock)


# --- one world per module and backend, for tests that make many requests ------------------

POSTGRES_URL = os.environ.get("REPRIEVE_TEST_POSTGRES_URL")


@pytest.fixture(
    scope="module",
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not POSTGRES_URL, reason="set REPRIEVE_TEST_POSTGRES_URL to run on PostgreSQL"
            ),
        ),
    ],
)
def module_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A database shared by the tests of one module, on each backend in turn."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("api") / "reprieve.db"
        database = open_database(f"sqlite:///{path}")
        try:
            yield database
        finally:
            database.dispose()
        return
    import psycopg

    assert POSTGRES_URL is not None
    schema = f"api_{secrets.token_hex(6)}"
    admin_url = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in POSTGRES_URL else "?"
    database = open_database(f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}', safe='')}")
    try:
        yield database
    finally:
        database.dispose()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="module")
def module_world(module_db: Database) -> World:
    return build_world(module_db, Clock())
