"""The appeal code printed on a user's statement of reasons.

The public appeal form asks for the sanction's reference and this code, so that only someone who
received the statement can appeal through it. The code is derived from the hash of the event that
created the sanction: it needs no secret of its own, no table, and it cannot change.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from sqlalchemy import Connection, select

from reprieve.domain.errors import NotFoundError
from reprieve.store import tables

_PREFIX = b"reprieve appeal code\x00"
LENGTH = 10


def derive(creation_hash: str) -> str:
    """Ten letters and digits (base32, no padding), grouped as ``XXXXX-XXXXX`` when printed."""
    digest = hashlib.sha256(_PREFIX + creation_hash.encode("ascii")).digest()
    return base64.b32encode(digest).decode("ascii")[:LENGTH]


def printed(code: str) -> str:
    """How the code is printed on a statement: ``ABCDE-FGHIJ``."""
    return f"{code[:5]}-{code[5:]}"


def normalise(typed: str) -> str:
    """What a user typed, without spaces or dashes, in capitals (codes are case-blind)."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def code_for(conn: Connection, sanction_id: str) -> str:
    """The code of a sanction; NotFoundError if there is no such sanction."""
    s, e = tables.sanctions.c, tables.events.c
    row = conn.execute(
        select(e.hash).select_from(tables.sanctions.join(tables.events, e.seq == s.created_seq))
        .where(s.id == sanction_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no sanction {sanction_id!r}")
    return derive(str(row.hash))


def matches(conn: Connection, sanction_id: str, typed: str) -> bool:
    """Whether ``typed`` is the sanction's code (constant time); False for an unknown sanction."""
    try:
        expected = code_for(conn, sanction_id)
    except NotFoundError:
        return False
    return hmac.compare_digest(normalise(typed).encode(), expected.encode())
