"""The appeal code printed on a user's statement of reasons.

The public appeal form asks for the sanction's reference and this code, so that only someone who
received the statement can appeal through it; a content decision's statement prints one derived
the same way from the decision's id, for complaints about it. The code is an HMAC of the sanction's id under a key
derived from the installation's key ring (``store/keys.py``: ``REPRIEVE_SECRET_KEY`` or the key
file beside a SQLite database), never kept in the database: whoever reads the database or the
event log cannot compute one. It is printed under the newest key and accepted under any key of
the ring, so a rotation does not invalidate the codes already printed while their key is listed.

Sanctions created before keyed codes (migration 0012, ``appeal_code_legacy``) keep the code
derived from the hash of their creation event: it is printed on statements users already hold.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from reprieve.domain.errors import NotFoundError
from reprieve.store import appeal_codes as store
from reprieve.store import keys
from reprieve.store.connection import Connection

_PREFIX = b"reprieve appeal code\x00"
#: The ids of content decisions: their statements print a code of their own, derived alike.
CONTENT_PREFIX = "cd_"
LENGTH = 10


def _letters(digest: bytes) -> str:
    return base64.b32encode(digest).decode("ascii")[:LENGTH]


def derive(key: bytes, sanction_id: str) -> str:
    """Ten letters and digits (base32, no padding), grouped as ``XXXXX-XXXXX`` when printed."""
    return _letters(hmac.new(key, _PREFIX + sanction_id.encode(), hashlib.sha256).digest())


def derive_legacy(creation_hash: str) -> str:
    """The code of a sanction created before codes were keyed: from its creation event's hash."""
    return _letters(hashlib.sha256(_PREFIX + creation_hash.encode("ascii")).digest())


def printed(code: str) -> str:
    """How the code is printed on a statement: ``ABCDE-FGHIJ``."""
    return f"{code[:5]}-{code[5:]}"


def normalise(typed: str) -> str:
    """What a user typed, without spaces or dashes, in capitals (codes are case-blind)."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def _creation(conn: Connection, sanction_id: str) -> tuple[str, bool] | None:
    """The hash of the sanction's creation event, and whether its code is the legacy one; of a
    content decision (``cd_...``, whose complaints take a code the same way), never legacy."""
    if sanction_id.startswith(CONTENT_PREFIX):
        content = store.content_decision_creation(conn, sanction_id)
        return None if content is None else (content[0], False)
    found = store.sanction_creation(conn, sanction_id)
    if found is None:
        return None
    hash_, created_seq = found
    until = store.legacy_appeal_codes_until(conn)
    return hash_, until is not None and created_seq <= until


def code_for(conn: Connection, sanction_id: str) -> str:
    """The code of a sanction; NotFoundError if there is no such sanction, MissingKeyError on
    PostgreSQL without ``REPRIEVE_SECRET_KEY``."""
    creation = _creation(conn, sanction_id)
    if creation is None:
        what = "content decision" if sanction_id.startswith(CONTENT_PREFIX) else "sanction"
        raise NotFoundError(f"no {what} {sanction_id!r}")
    creation_hash, legacy = creation
    if legacy:
        return derive_legacy(creation_hash)
    return derive(keys.require_key_ring(conn.engine.url).appeal_keys()[0], sanction_id)


def matches(conn: Connection, sanction_id: str, typed: str) -> bool:
    """Whether ``typed`` is the sanction's code under any key (constant time); False for an unknown sanction."""
    creation = _creation(conn, sanction_id)
    if creation is None:
        return False
    given = normalise(typed).encode()
    creation_hash, legacy = creation
    if legacy:
        return hmac.compare_digest(given, derive_legacy(creation_hash).encode())
    found = False
    for key in keys.require_key_ring(conn.engine.url).appeal_keys():
        found |= hmac.compare_digest(given, derive(key, sanction_id).encode())
    return found
