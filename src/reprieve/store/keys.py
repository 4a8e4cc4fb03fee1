"""The key ring: the keys that protect what Reprieve keeps secret, never kept in the database.

Two things depend on it: the webhook signing secrets (encrypted with Fernet) and the appeal
codes printed on statements of reasons (an HMAC under a key derived from the same material).
The keys come from, in order:

* ``REPRIEVE_SECRET_KEY``: one or more strings, comma-separated, newest first; each is turned
  into a Fernet key by SHA-256. The newest encrypts, all decrypt (``reprieve secrets rotate``
  re-encrypts what is stored under the newest). Required on PostgreSQL to store any secret.
* else, for a SQLite file, the key file beside it (``reprieve.db.key`` next to ``reprieve.db``):
  Fernet keys, one a line, newest first, created with mode 0600 the first time a key is needed.

A copy of the database alone therefore decrypts nothing and computes no appeal code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet
from sqlalchemy.engine import URL, make_url

from reprieve.domain.errors import ConflictError

ENV = "REPRIEVE_SECRET_KEY"
KEY_FILE_SUFFIX = ".key"
_APPEAL_CODES = b"reprieve appeal codes v2"
_CHECKPOINTS = b"reprieve log checkpoints v1"
#: A database in memory lives as long as the process: so does its key.
_MEMORY_KEY = Fernet.generate_key()

MISSING_KEY = (
    f"{ENV} is not set: on PostgreSQL it is required to keep secrets (webhook signing secrets) "
    "and to derive appeal codes; set it to a long random string, the same for every process "
    "(docs/operations.md)"
)


class MissingKeyError(ConflictError):
    """Raised when a secret must be stored or derived and this installation has no key."""


@dataclass(frozen=True)
class KeyRing:
    """Fernet keys, newest first, and where they come from (the setting or the key file)."""

    keys: tuple[bytes, ...]
    source: str

    def fernet(self) -> MultiFernet:
        """Encrypts under the newest key, decrypts under any."""
        return MultiFernet([Fernet(key) for key in self.keys])

    def appeal_keys(self) -> tuple[bytes, ...]:
        """The HMAC keys of appeal codes, newest first (one per key: codes survive a rotation
        as long as the key they were printed under stays listed)."""
        return tuple(
            hmac.new(base64.urlsafe_b64decode(key), _APPEAL_CODES, hashlib.sha256).digest() for key in self.keys
        )

    def checkpoint_keys(self) -> tuple[bytes, ...]:
        """The HMAC keys that sign the log's checkpoints (``reprieve audit cut-over``), newest
        first: a checkpoint checks as long as the key it was signed under stays listed."""
        return tuple(
            hmac.new(base64.urlsafe_b64decode(key), _CHECKPOINTS, hashlib.sha256).digest() for key in self.keys
        )


def fernet_key_of(material: str) -> bytes:
    """The Fernet key a ``REPRIEVE_SECRET_KEY`` entry stands for (any string)."""
    return base64.urlsafe_b64encode(hashlib.sha256(material.encode()).digest())


def configured_keys() -> tuple[bytes, ...]:
    """The keys of ``REPRIEVE_SECRET_KEY``, newest first; empty when it is not set."""
    value = os.environ.get(ENV, "")
    return tuple(fernet_key_of(part.strip()) for part in value.split(",") if part.strip())


def sqlite_path(url: str | URL) -> Path | None:
    """The file of a SQLite database URL; None for PostgreSQL or a database in memory."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def key_file_for(url: str | URL) -> Path | None:
    """Where the key file of a SQLite database lives (``reprieve.db.key``); None elsewhere."""
    path = sqlite_path(url)
    return path.with_name(path.name + KEY_FILE_SUFFIX) if path is not None else None


def is_memory_sqlite(url: str | URL) -> bool:
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.get_backend_name() == "sqlite" and sqlite_path(parsed) is None


def read_key_file(path: Path) -> tuple[bytes, ...]:
    """The keys in a key file, newest first (blank lines and ``#`` comments skipped)."""
    keys = []
    for line in path.read_text(encoding="ascii").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            Fernet(line.encode())  # refuses a malformed key with ValueError
            keys.append(line.encode())
    return tuple(keys)


def _key_file_text(keys: tuple[bytes, ...]) -> bytes:
    header = (
        "# Reprieve's keys for the database beside this file, newest first. Keep it secret, and back\n"
        "# it up apart from the database: without it, the webhook secrets cannot be decrypted.\n"
    )
    return (header + "".join(key.decode() + "\n" for key in keys)).encode("ascii")


def _write_temporary(path: Path, keys: tuple[bytes, ...]) -> Path:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, _key_file_text(keys))
        os.fsync(fd)
    finally:
        os.close(fd)
    return temporary


def write_key_file(path: Path, keys: tuple[bytes, ...]) -> None:
    """Write ``keys`` (newest first) to ``path`` with mode 0600, replacing it atomically."""
    os.replace(_write_temporary(path, keys), path)
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - a platform without directory handles
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _create_key_file(path: Path) -> tuple[bytes, ...]:
    """A key file with one fresh key; if another process made it first, its keys."""
    key = Fernet.generate_key()
    temporary = _write_temporary(path, (key,))
    try:
        os.link(temporary, path)  # atomic, and never over a file another process made
    except FileExistsError:
        return read_key_file(path)
    finally:
        temporary.unlink()
    _fsync_directory(path.parent)
    return (key,)


def key_ring(url: str | URL, *, create: bool = False) -> KeyRing | None:
    """The keys of the database at ``url``; None if there are none (and ``create`` is False, or
    the database is on PostgreSQL without ``REPRIEVE_SECRET_KEY``)."""
    configured = configured_keys()
    if configured:
        return KeyRing(configured, ENV)
    path = key_file_for(url)
    if path is not None:
        if path.exists():
            return KeyRing(read_key_file(path), str(path))
        return KeyRing(_create_key_file(path), str(path)) if create else None
    if is_memory_sqlite(url):
        return KeyRing((_MEMORY_KEY,), "memory")
    return None


def require_key_ring(url: str | URL, *, create: bool = True) -> KeyRing:
    """The key ring, creating the key file on first use (if ``create``: to encrypt, not to
    decrypt what a lost key file protected); MissingKeyError when there is none."""
    ring = key_ring(url, create=create)
    if ring is None or not ring.keys:
        path = key_file_for(url)
        raise MissingKeyError(MISSING_KEY if path is None else f"{ENV} is not set and there is no key file {path}")
    return ring


def add_key(url: str | URL) -> KeyRing:
    """Put a fresh key first in the key file of a SQLite database (the older ones stay, to decrypt
    and to check the appeal codes printed under them). Refused when ``REPRIEVE_SECRET_KEY`` is set:
    then the new key goes first in the setting."""
    if configured_keys():
        raise ConflictError(f"{ENV} is set: put the new key first in it (comma-separated), then rotate")
    path = key_file_for(url)
    if path is None:
        raise ConflictError(f"only a SQLite database has a key file; on PostgreSQL put a new key first in {ENV}")
    ring = require_key_ring(url)
    fresh = (Fernet.generate_key(), *ring.keys)
    write_key_file(path, fresh)
    return KeyRing(fresh, str(path))
