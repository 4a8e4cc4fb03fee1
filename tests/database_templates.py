"""Test databases on each backend: empty ones, and copies of a template the real migrations built
once per test process (``tests/conftest.py`` hands them out as fixtures)."""

from __future__ import annotations

import graphlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
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
    where the migrations take ten times that).

    A PostgreSQL copy is not dropped after its test but emptied back to the template's rows
    (``_Reset``) and handed to a later test: ``DROP DATABASE`` forces a checkpoint of the whole
    server, which cost the suite more than anything a test does. A copy whose schema a test
    changed (a migration's test) is dropped instead. Copies commit without waiting for their WAL
    to reach the disk (``synchronous_commit`` off): what a test sees is the same, commits visible
    and ordered as before (only a crash of the server itself could lose the last ones), and the
    suite stops waiting for an fsync at each of its many thousand commits."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._sqlite: Path | None = None
        self._postgres: str | None = None
        self._reset: _Reset | None = None
        self._idle: list[str] = []  # emptied PostgreSQL copies, for the next tests
        self._copies: list[str] = []  # every PostgreSQL copy made, to drop at the end

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
                conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit TO off')  # copies set it too
            self._postgres = name
            open_database(_with_database(POSTGRES_URL, name), pool=False).dispose()
            self._reset = _Reset(_with_database(POSTGRES_URL, name))
        if self._idle:
            name = self._idle.pop()
        else:
            name = f"reprieve_test_{secrets.token_hex(6)}"
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._postgres}"')
                conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit TO off')
            self._copies.append(name)
        url = _with_database(POSTGRES_URL, name)
        try:
            yield url
        finally:
            assert self._reset is not None
            with psycopg.connect(_libpq(url), autocommit=True) as conn:
                if self._reset.restore(conn, name):
                    self._idle.append(name)
                    name = ""
            if name:  # its schema changed: of no use to another test
                with psycopg.connect(admin_url, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                self._copies.remove(name)

    def close(self) -> None:
        if self._postgres is not None:
            import psycopg

            assert POSTGRES_URL is not None
            with psycopg.connect(_libpq(POSTGRES_URL), autocommit=True) as conn:
                for name in [*self._copies, self._postgres]:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


#: What a test could change in a database's schema, as one digest: relations and their columns,
#: constraints, indexes, triggers, functions, schemas, extensions, views and the database's settings.
_SCHEMA_DIGEST = """
SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (
  SELECT concat_ws('|', 'rel', c.relname, c.relkind, c.relrowsecurity, (
    SELECT string_agg(concat_ws(' ', a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                                a.attisdropped, pg_get_expr(d.adbin, d.adrelid)), ';' ORDER BY a.attnum)
    FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = c.oid AND a.attnum > 0))
  FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
  UNION ALL SELECT concat_ws('|', 'con', conrelid::regclass, conname, pg_get_constraintdef(oid))
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  UNION ALL SELECT concat_ws('|', 'idx', pg_get_indexdef(indexrelid))
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = 'public'::regnamespace
  UNION ALL SELECT concat_ws('|', 'trg', tgrelid::regclass, tgname) FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL SELECT concat_ws('|', 'fn', p.oid::regprocedure, md5(prosrc)) FROM pg_proc p
  WHERE pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
  UNION ALL SELECT concat_ws('|', 'ns', nspname) FROM pg_namespace
  UNION ALL SELECT concat_ws('|', 'ext', extname) FROM pg_extension
  UNION ALL SELECT concat_ws('|', 'view', c.oid::regclass, pg_get_viewdef(c.oid))
  FROM pg_class c WHERE c.relkind IN ('v', 'm') AND c.relnamespace = 'public'::regnamespace
  UNION ALL SELECT concat_ws('|', 'set', array_to_string(setconfig, ',')) FROM pg_db_role_setting
  WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
) s(x)
"""


class _Reset:
    """Puts a copy of the template back as the template is: the rows of every table deleted
    (children before parents), the template's own rows (the alembic version, the chain's head,
    ...) copied back, the sequences restarted; a ``VACUUM`` now and then clears the dead rows.
    Learnt from the template, once migrated."""

    #: A copy is vacuumed once every this many restores.
    VACUUM_EVERY = 10

    def __init__(self, template: str) -> None:
        import psycopg

        with psycopg.connect(_libpq(template), autocommit=True) as source:
            self.digest = source.execute(_SCHEMA_DIGEST).fetchone()[0]
            tables = [
                row[0]
                for row in source.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
            ]
            self.rows: dict[str, bytes] = {}
            for table in tables:
                if source.execute(f'SELECT EXISTS (SELECT FROM "{table}")').fetchone()[0]:
                    with source.cursor().copy(f'COPY "{table}" TO STDOUT (FORMAT binary)') as copy:
                        self.rows[table] = b"".join(bytes(chunk) for chunk in copy)
            references = source.execute(
                "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
                "WHERE contype = 'f' AND connamespace = 'public'::regnamespace AND conrelid <> confrelid"
            ).fetchall()
            sequences = source.execute(
                "SELECT quote_ident(sequencename), start_value FROM pg_sequences WHERE schemaname = 'public'"
            ).fetchall()
        order = graphlib.TopologicalSorter({table: set() for table in tables})
        for child, parent in references:
            order.add(parent.strip('"'), child.strip('"'))  # a parent's rows go after its children's
        self.tables = list(order.static_order())
        self.restart = ", ".join(f"setval('{name}', {start}, false)" for name, start in sequences)
        self.written = " UNION ALL ".join(
            f"SELECT '{table}' WHERE EXISTS (SELECT FROM \"{table}\")" for table in tables
        )
        self.restored: dict[str, int] = {}

    def restore(self, conn: Any, name: str) -> bool:
        """The copy ``name`` as the template, or False if a test changed its schema (it is left
        as it is)."""
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        if conn.execute(_SCHEMA_DIGEST).fetchone()[0] != self.digest:
            return False
        with conn.transaction():
            written = {row[0] for row in conn.execute(self.written)} | set(self.rows)
            for table in self.tables:
                if table in written:
                    conn.execute(f'DELETE FROM "{table}"')
            for table, data in self.rows.items():
                with conn.cursor().copy(f'COPY "{table}" FROM STDIN (FORMAT binary)') as copy:
                    copy.write(data)
            if self.restart:
                conn.execute(f"SELECT {self.restart}")
        self.restored[name] = self.restored.get(name, 0) + 1
        if self.restored[name] % self.VACUUM_EVERY == 0:
            conn.execute("VACUUM")
        return True


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
    options = f"-csearch_path={schema} -csynchronous_commit=off"  # as the templates' copies
    try:
        yield f"{server_url}{separator}options={quote(options, safe='')}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
