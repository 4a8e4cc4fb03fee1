"""Test databases on each backend: empty ones, and copies of a template the real migrations built
once per test process (``tests/conftest.py`` hands them out as fixtures)."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from reprieve.store.db import open_database

POSTGRES_URL = os.environ.get("REPRIEVE_TEST_POSTGRES_URL")

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not POSTGRES_URL, reason="set REPRIEVE_TEST_POSTGRES_URL to run on PostgreSQL"),
    ),
]


class Templates:
    """Databases migrated once per test process, copied for each test: SQLite by copying the
    file, PostgreSQL by ``CREATE DATABASE ... TEMPLATE`` (a copy of the files, about 30 ms,
    where the migrations take ten times that)."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._sqlite: Path | None = None
        self._postgres: str | None = None

    def sqlite_copy(self, path: Path) -> str:
        if self._sqlite is None:
            template = self._directory / "template.db"
            open_database(f"sqlite:///{template}").dispose()  # the last close checkpoints the WAL away
            assert not template.with_name("template.db-wal").exists()
            self._sqlite = template
        shutil.copyfile(self._sqlite, path)
        path.chmod(0o600)  # as a database the application creates
        return f"sqlite:///{path}"

    def postgres_copy(self) -> Iterator[str]:
        import psycopg

        assert POSTGRES_URL is not None
        admin_url = _libpq(POSTGRES_URL)
        if self._postgres is None:
            name = f"reprieve_template_{secrets.token_hex(4)}"
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            self._postgres = name
            open_database(_with_database(POSTGRES_URL, name), pool=False).dispose()
        name = f"reprieve_test_{secrets.token_hex(6)}"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._postgres}"')
        try:
            yield _with_database(POSTGRES_URL, name)
        finally:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')

    def close(self) -> None:
        if self._postgres is not None:
            import psycopg

            assert POSTGRES_URL is not None
            with psycopg.connect(_libpq(POSTGRES_URL), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self._postgres}" WITH (FORCE)')


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


def postgres_schema(server_url: str) -> Iterator[str]:
    """A fresh schema for one test; connections through the URL handed out use only it."""
    import psycopg

    schema = f"t_{secrets.token_hex(6)}"
    admin_url = _libpq(server_url)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in server_url else "?"
    try:
        yield f"{server_url}{separator}options={quote(f'-csearch_path={schema}', safe='')}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
