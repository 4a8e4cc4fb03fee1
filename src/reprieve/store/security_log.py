"""The security log (``security_log``: failed sign-ins and refusals) and the installation's
HMAC key (``web_secrets``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.exc import IntegrityError

from reprieve.store import tables
from reprieve.store.db import Database

L = tables.security_log


def web_secret(db: Database, fresh: str) -> str | None:
    """The stored ``web`` secret, storing ``fresh`` first if there is none; None if another
    process stored one meanwhile (PostgreSQL): ask again."""
    w = tables.web_secrets
    try:
        with db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
            stored: str | None = conn.execute(select(w.c.value).where(w.c.name == "web")).scalar()
            if stored is None:
                conn.execute(insert(w).values(name="web", value=fresh))
                return fresh
            return stored
    except IntegrityError:
        return None


def add_entry(conn: Connection, *, forget_before_us: int, **values: Any) -> None:
    """Add a row and delete those before ``forget_before_us``."""
    conn.execute(insert(L).values(**values))
    conn.execute(delete(L).where(L.c.at < forget_before_us))


def member_with_email(conn: Connection, email: str) -> str | None:
    """The id of the member with this e-mail, if any."""
    found: str | None = conn.execute(select(tables.members.c.id).where(tables.members.c.email == email)).scalar()
    return found


def entry_rows(
    conn: Connection,
    *,
    since_us: int | None,
    client: str | None,
    member_id: str | None,
    digest: str | None,
    owner: str | None,
    limit: int,
) -> list[Any]:
    """The log's rows, newest first, filtered by each argument given (an e-mail: its ``digest``'s
    rows, and its ``owner``'s if it is a member's)."""
    query = select(L).order_by(L.c.at.desc(), L.c.id.desc()).limit(limit)
    if since_us is not None:
        query = query.where(L.c.at >= since_us)
    if client is not None:
        query = query.where(L.c.client == client)
    if member_id is not None:
        query = query.where(L.c.member_id == member_id)
    if digest is not None:
        query = query.where(
            (L.c.email_digest == digest) | (L.c.member_id == owner) if owner else L.c.email_digest == digest
        )
    return list(conn.execute(query).all())
