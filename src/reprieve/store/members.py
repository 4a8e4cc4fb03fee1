"""Console members (``members``), their sessions (``console_sessions``) and their sign-in
attempts (``sign_in_attempts``, e-mails kept as HMACs)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, text, update

from reprieve.store import tables
from reprieve.store.db import Database

M = tables.members.c
S = tables.console_sessions.c
A = tables.sign_in_attempts.c

#: On PostgreSQL, sign-ins take this transaction-scoped advisory lock, as SQLite's BEGIN IMMEDIATE
#: serialises them: the count an attempt is checked against includes every attempt before it.
_SIGN_IN_LOCK = 0x5245_5052_5349_474E & 0x7FFF_FFFF_FFFF_FFFF


@contextmanager
def signing_in(db: Database) -> Iterator[Connection]:
    """A short write transaction that holds the write lock from its start (``BEGIN IMMEDIATE`` on
    SQLite, which then waits out other writers instead of failing with "database is locked")."""
    with db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        if db.dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SIGN_IN_LOCK})
        yield conn


# --- members -----------------------------------------------------------------------------


def email_taken(conn: Connection, email: str) -> bool:
    return conn.execute(select(M.id).where(M.email == email)).first() is not None


def insert_member(conn: Connection, **values: Any) -> None:
    conn.execute(insert(tables.members).values(**values))


def member_by_id(conn: Connection, member_id: str) -> Any:
    """The member's row, or None."""
    return conn.execute(select(tables.members).where(M.id == member_id)).first()


def member_by_email(conn: Connection, email: str) -> Any:
    """The row of the member with this (normalised) e-mail, or None."""
    return conn.execute(select(tables.members).where(M.email == email)).first()


def member_rows(conn: Connection, operators: Sequence[str] | None) -> list[Any]:
    """Members by e-mail, among ``operators``' (None: all)."""
    query = select(tables.members).order_by(M.email)
    if operators is not None:
        query = query.where(M.operator_id.in_(operators))
    return list(conn.execute(query))


def set_disabled(conn: Connection, member_id: str, disabled_at: str | None) -> None:
    conn.execute(update(tables.members).where(M.id == member_id).values(disabled_at=disabled_at))


def set_password_hash(conn: Connection, member_id: str, password_hash: str) -> None:
    conn.execute(update(tables.members).where(M.id == member_id).values(password_hash=password_hash))


# --- sessions ----------------------------------------------------------------------------


def open_session(conn: Connection, digest: str, member_id: str, *, now_us: int, expires_us: int) -> None:
    """Open a session (its secret kept as ``digest``), forgetting the expired ones on the way."""
    conn.execute(delete(tables.console_sessions).where(S.expires_at <= now_us))
    conn.execute(
        insert(tables.console_sessions).values(id=digest, member_id=member_id, created_at=now_us, expires_at=expires_us)
    )


def end_sessions(conn: Connection, member_id: str, *, keep: str | None = None) -> None:
    """End the member's sessions, but the one whose digest is ``keep``."""
    ended = S.member_id == member_id
    if keep is not None:
        ended = ended & (S.id != keep)
    conn.execute(delete(tables.console_sessions).where(ended))


def session_row(conn: Connection, digest: str) -> Any:
    """The member of the session (with its ``expires_at``), or None."""
    sessions, members = tables.console_sessions, tables.members
    return conn.execute(
        select(members, sessions.c.expires_at).join(sessions, S.member_id == M.id).where(S.id == digest)
    ).first()


def end_session(db: Database, digest: str) -> None:
    with db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        conn.execute(delete(tables.console_sessions).where(S.id == digest))


# --- sign-in attempts --------------------------------------------------------------------


def last_success(conn: Connection, tag: str) -> int | None:
    """When the e-mail whose HMAC is ``tag`` last signed in (µs), if it did."""
    value: int | None = conn.execute(select(func.max(A.at)).where(A.email == tag, A.succeeded == 1)).scalar()
    return value


def signed_in_from(conn: Connection, tag: str, client: str, *, since_us: int) -> bool:
    """Whether the e-mail signed in from ``client`` after ``since_us``."""
    query = select(A.id).where(A.email == tag, A.succeeded == 1, A.client == client, A.at > since_us).limit(1)
    return conn.execute(query).first() is not None


def failures(conn: Connection, tag: str, *, since_us: int, client: str | None) -> tuple[int, int | None]:
    """The e-mail's failed attempts after ``since_us`` (from ``client`` only, if given): how
    many, and when the last was."""
    counted = (A.email == tag) & (A.succeeded == 0) & (A.at > since_us)
    if client is not None:
        counted = counted & (A.client == client)
    count, last = conn.execute(select(func.count(), func.max(A.at)).where(counted)).one()
    return int(count), last


def nth_client_failure(conn: Connection, client: str, *, since_us: int, nth: int) -> int | None:
    """When ``client``'s ``nth`` newest failure after ``since_us`` was, across e-mails (None: fewer)."""
    value: int | None = conn.execute(
        select(A.at)
        .where(A.client == client, A.succeeded == 0, A.at > since_us)
        .order_by(A.at.desc())
        .offset(nth - 1)
        .limit(1)
    ).scalar()
    return value


def reserve_attempt(
    conn: Connection, tag: str, client: str, *, now_us: int, failed_before_us: int, before_us: int
) -> int:
    """Record an attempt as a failure; forget failures before ``failed_before_us`` and every attempt
    before ``before_us``. The attempt's id."""
    attempts = tables.sign_in_attempts
    attempt: int = conn.execute(
        insert(attempts).values(email=tag, at=now_us, succeeded=0, client=client).returning(A.id)
    ).scalar_one()
    conn.execute(delete(attempts).where(A.at < failed_before_us, A.succeeded == 0))
    conn.execute(delete(attempts).where(A.at < before_us))
    return attempt


def attempt_succeeded(conn: Connection, attempt: int) -> None:
    conn.execute(update(tables.sign_in_attempts).where(A.id == attempt).values(succeeded=1))
