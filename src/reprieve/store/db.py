"""Opening a database: engine set-up for SQLite and PostgreSQL, migration on first use."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.pool import NullPool

from reprieve.domain.errors import StorageError
from reprieve.domain.ids import RANDOM_IDS, IdSource
from reprieve.domain.model import Platform, PlatformKind
from reprieve.store import tables
from reprieve.store.keys import sqlite_path

MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_engine_for(url: str, *, pool: bool = True) -> Engine:
    try:
        parsed = make_url(normalise_url(url))
    except ArgumentError:
        raise StorageError(f"{url!r} is not a database URL (sqlite:///file.db or postgresql://...)") from None
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        if path is not None:
            _create_private(path)
        engine = create_engine(
            # Compiled statements kept per connection: a group commit's multi-row inserts come in
            # a few dozen shapes per table (store.bulk), each compiled once rather than each time.
            parsed,
            connect_args={"timeout": 30, "check_same_thread": False, "cached_statements": 1024},
            # Bound values (e-mails, names) stay out of error messages, hence out of the logs.
            hide_parameters=True,
            **({} if pool else {"poolclass": NullPool}),
        )
        _configure_sqlite(engine, path)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(
            parsed, pool_pre_ping=True, hide_parameters=True, **({} if pool else {"poolclass": NullPool})
        )
    raise StorageError(f"unsupported database {parsed.get_backend_name()!r}: use SQLite or PostgreSQL")


def _create_private(path: Path) -> None:
    """Create a new database file readable by its owner only (0600): it holds password hashes,
    token digests, requesters' names and e-mails. An existing file keeps the mode it has."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except (FileExistsError, FileNotFoundError, NotADirectoryError, PermissionError):
        return  # there already, or SQLite gives the precise error when it opens it
    os.close(fd)


def _private_companions(path: Path) -> None:
    """Give the WAL and shared-memory files no more access than the database file itself."""
    try:
        mode = path.stat().st_mode & 0o666
    except OSError:
        return
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        try:
            if companion.stat().st_mode & 0o777 & ~mode:
                os.chmod(companion, mode)
        except OSError:
            continue  # not created yet (SQLite then creates it with the database's mode), or not ours


def _configure_sqlite(engine: Engine, path: Path | None) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin() decide how a transaction starts (see on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        if path is not None:
            _private_companions(path)
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Statement journals (a multi-row INSERT's undo, kept until the statement ends) in memory,
        # not in a temporary file created, written and closed by each transaction: a group
        # commit of violations spends 8 % less CPU in its writer (docs/benchmarks.md).
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        # Writers take the write lock up front, so that what they read stays true until commit.
        if conn.get_execution_options().get("reprieve_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


class Database:
    """An engine plus what is cheap to remember about the data: platforms never change."""

    def __init__(self, engine: Engine, *, ids: IdSource = RANDOM_IDS) -> None:
        self.engine = engine
        #: Where the ids of new things come from (tests give a ``SequentialIds``).
        self.ids = ids
        self._platforms: dict[str, Platform] = {}

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def read_one(self) -> Iterator[Connection]:
        """A connection for a read made of a single statement, consistent by itself: on
        PostgreSQL it runs outside a transaction, saving the round trips of BEGIN and COMMIT."""
        if self.dialect != "postgresql":
            with self.read() as conn:
                yield conn
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            yield conn

    def platform(self, conn: Connection, platform_id: str) -> Platform | None:
        cached = self._platforms.get(platform_id)
        if cached is not None:
            return cached
        row = conn.execute(select(tables.platforms).where(tables.platforms.c.id == platform_id)).first()
        if row is None:
            return None
        platform = platform_from_row(row._mapping)
        self._platforms[platform_id] = platform
        return platform

    def known_platform(self, platform_id: str) -> Platform | None:
        """The platform if this process has read it already (platforms never change), else None."""
        return self._platforms.get(platform_id)

    def dispose(self) -> None:
        self.engine.dispose()


def platform_from_row(row: Any) -> Platform:
    import json

    return Platform(
        id=row["id"],
        operator=row["operator_id"],
        name=row["name"],
        kind=PlatformKind(row["kind"]),
        capabilities=tuple(json.loads(row["capabilities"])),
        policy=json.loads(row["policy"]),
    )


def open_database(url: str, *, migrate: bool = True, pool: bool = True, ids: IdSource = RANDOM_IDS) -> Database:
    """Open (and on first use, create and migrate) the database at ``url``; new ids from ``ids``."""
    engine = create_engine_for(url, pool=pool)
    if migrate:
        from reprieve.store.migrate import upgrade_if_needed

        try:
            upgrade_if_needed(engine)
        except OperationalError as exc:
            engine.dispose()
            raise StorageError(f"cannot open the database: {exc.orig}") from None
    return Database(engine, ids=ids)
