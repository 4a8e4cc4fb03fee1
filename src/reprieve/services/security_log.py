"""The security log: failed sign-ins and refusals, outside the hash-chained event log.

Each row says when, what (``sign_in_failed``, ``sign_in_refused``, ``password_failed``), from
which client address, and who was tried: the member's id when the e-mail is a member's, else an
HMAC-SHA256 of the e-mail under the installation's key (``web_key``) so that no e-mail of an
unknown address is stored, while an admin who has an e-mail can still find its rows
(``reprieve security-log --email``). Rows older than the retention (``REPRIEVE_SECURITY_LOG_DAYS``,
90 days by default) are deleted as new ones are written.

``web_key``: a random key made at first use and kept in ``web_secrets``, shared by every process
over the database; the console's CSRF tokens are HMACs under it too (``web.security``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from reprieve.domain.time import format_instant, from_micros, to_micros
from reprieve.store import security_log as store
from reprieve.store.connection import Connection
from reprieve.store.db import Database

SIGN_IN_FAILED = "sign_in_failed"
SIGN_IN_REFUSED = "sign_in_refused"
PASSWORD_FAILED = "password_failed"
EVENTS = (SIGN_IN_FAILED, SIGN_IN_REFUSED, PASSWORD_FAILED)

DEFAULT_RETENTION = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class SecurityEntry:
    """A row of the security log: when, what, from which client, on which member (or the digest
    of an e-mail that is no member's), and the back-off it was told to wait, if any."""

    at: datetime
    event: str  #: one of ``EVENTS``
    client: str
    member: str | None
    email_digest: str | None
    retry_after: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": format_instant(self.at),
            "event": self.event,
            "client": self.client,
            "member": self.member,
            "email_digest": self.email_digest,
            "retry_after": self.retry_after,
        }


_keys: weakref.WeakKeyDictionary[Database, bytes] = weakref.WeakKeyDictionary()


def web_key(db: Database) -> bytes:
    """The installation's key for HMACs (made and stored at first use; cached per process)."""
    key = _keys.get(db)
    if key is not None:
        return key
    for _ in range(2):
        value = store.web_secret(db, secrets.token_hex(32))
        if value is None:  # another process made it first (PostgreSQL): read theirs
            continue
        key = _keys[db] = bytes.fromhex(value)
        return key
    raise RuntimeError("the web key could not be read")  # pragma: no cover - two lost races in a row


def email_digest(key: bytes, address: str) -> str:
    """What the log keeps of an e-mail that is no member's."""
    return hmac.new(key, b"email|" + address.strip().lower().encode(), hashlib.sha256).hexdigest()


def record(
    conn: Connection,
    *,
    key: bytes,
    at: datetime,
    event: str,
    client: str,
    member_id: str | None,
    email: str,
    retry_after: int | None = None,
    retention: timedelta = DEFAULT_RETENTION,
) -> None:
    """Add a row (in the caller's transaction) and delete those older than ``retention``."""
    store.add_entry(
        conn,
        forget_before_us=to_micros(at - retention),
        at=to_micros(at),
        event=event,
        client=client[:64],
        member_id=member_id,
        email_digest=None if member_id is not None else email_digest(key, email),
        retry_after=retry_after,
    )


def entries(
    db: Database,
    *,
    since: datetime | None = None,
    client: str | None = None,
    email: str | None = None,
    member_id: str | None = None,
    limit: int = 1000,
) -> list[SecurityEntry]:
    """The log's rows, newest first, optionally only since an instant, of a client, of an e-mail
    (its member's rows and its digest's), or of a member."""
    digest = owner = None
    if email is not None:
        address = email.strip().lower()
        with db.read() as conn:
            owner = store.member_with_email(conn, address)
        digest = email_digest(web_key(db), address)
    with db.read() as conn:
        rows = store.entry_rows(
            conn,
            since_us=to_micros(since) if since is not None else None,
            client=client,
            member_id=member_id,
            digest=digest,
            owner=owner,
            limit=limit,
        )
    return [
        SecurityEntry(from_micros(row.at), row.event, row.client, row.member_id, row.email_digest, row.retry_after)
        for row in rows
    ]
