"""API tokens: created with a secret shown once, stored as a SHA-256 hash, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from reprieve.domain.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from reprieve.domain.events import NewEvent, TokenCreated, TokenRevoked
from reprieve.domain.model import Role, ensure_text, parse_enum
from reprieve.domain.time import Duration, format_instant, parse_duration, parse_instant
from reprieve.services.callers import Caller
from reprieve.store import queries
from reprieve.store import tokens as store
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

PREFIX = "rpv_"

log = logging.getLogger(__name__)

#: What a caller is told of any token refused: whoever holds a leaked secret does not learn
#: whether it was revoked, has expired or never existed. The reason goes to the server's log,
#: with the token's id and name (never its secret): ``refused``.
REFUSED = "invalid or expired token"


def refused(reason: str, token_id: str | None = None, name: str | None = None) -> ForbiddenError:
    """The error for a refused token, its real reason logged (an unknown one has no id to name)."""
    if token_id is None:
        log.info("token refused: %s", reason)
    else:
        log.warning("token refused: %s (token %s, %r)", reason, token_id, name)
    return ForbiddenError(REFUSED)


def hash_secret(secret: str) -> str:
    # Secrets are 256 random bits, so a plain SHA-256 cannot be brute-forced; no salt needed.
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Principal:
    token_id: str
    name: str
    role: Role
    operator: str | None

    @property
    def is_instance_admin(self) -> bool:
        return self.role is Role.INSTANCE_ADMIN


#: Seconds a principal is remembered after its token was looked up (see ``PrincipalCache``).
PRINCIPAL_TTL = 1.0


class PrincipalCache:
    """Principals recently authenticated against one database, by the SHA-256 of their secret.

    The rule: a remembered principal is used for at most ``ttl`` seconds (1 s) after its token
    was read from the database, so a token revoked or deleted by another process is refused
    everywhere within that second; ``revoke_token`` forgets it at once in every cache of the
    revoking process; an expiry is checked against the request's instant on every use. Only
    tokens found valid are remembered: an unknown, revoked or expired secret is looked up again.
    """

    def __init__(self, ttl: float = PRINCIPAL_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._entries: dict[str, tuple[float, Principal, datetime | None]] = {}

    def get(self, digest: str, *, now: datetime) -> Principal | None:
        """The principal remembered for ``digest`` if still fresh; ForbiddenError if it has expired."""
        entry = self._entries.get(digest)
        if entry is None:
            return None
        read_at, principal, expires_at = entry
        if self.clock() - read_at >= self.ttl:
            self._entries.pop(digest, None)
            return None
        if expires_at is not None and expires_at <= now:
            self._entries.pop(digest, None)
            raise refused(f"expired at {format_instant(expires_at)}", principal.token_id, principal.name)
        return principal

    def put(self, digest: str, principal: Principal, expires_at: datetime | None) -> None:
        if len(self._entries) >= 10_000:  # many tokens at once: start afresh rather than grow
            self._entries.clear()
        self._entries[digest] = (self.clock(), principal, expires_at)

    def forget(self, token_id: str) -> None:
        for digest, (_, principal, _) in list(self._entries.items()):
            if principal.token_id == token_id:
                self._entries.pop(digest, None)


_caches: WeakKeyDictionary[Database, PrincipalCache] = WeakKeyDictionary()


def principal_cache(db: Database) -> PrincipalCache:
    """The principal cache of ``db`` in this process, made on first use."""
    cache = _caches.get(db)
    if cache is None:
        cache = _caches.setdefault(db, PrincipalCache())
    return cache


@dataclass(frozen=True, slots=True)
class TokenView:
    """A token as listed to its admins: never its secret, which is not stored anyway."""

    id: str
    name: str
    role: Role
    operator: str | None
    created_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role.value,
            "operator": self.operator,
            "created_at": format_instant(self.created_at),
            "expires_at": format_instant(self.expires_at),
            "revoked_at": format_instant(self.revoked_at),
        }


@dataclass(frozen=True, slots=True)
class CreatedTokenView:
    """A token just created, with its secret: the one answer that shows it."""

    id: str
    name: str
    role: Role
    operator: str | None
    created_at: datetime
    expires_at: datetime | None
    secret: str = field(repr=False)  # never in a log line

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role.value,
            "operator": self.operator,
            "created_at": format_instant(self.created_at),
            "expires_at": format_instant(self.expires_at),
            "token": self.secret,
        }


@dataclass(frozen=True, slots=True)
class CreateToken:
    """A token to create, parsed (``parse``); ``expires_in`` wins over ``expires_at``."""

    name: str
    role: Role
    operator: str | None
    expires_in: Duration | None = None
    expires_at: datetime | None = None

    @classmethod
    def parse(
        cls,
        *,
        name: str,
        role: str | Role,
        operator: str | None,
        expires_in: str | Duration | None = None,
        expires_at: str | datetime | None = None,
    ) -> CreateToken:
        """ValidationError naming the field, in the order the fields were always checked."""
        ensure_text(name, field="name", max_length=200, multiline=False)
        token_role = parse_enum(Role, role, field="role")
        if token_role is Role.INSTANCE_ADMIN and operator is not None:
            raise ValidationError("an instance-admin token belongs to no operator", field="operator")
        if token_role is not Role.INSTANCE_ADMIN and operator is None:
            raise ValidationError(f"a {token_role} token belongs to an operator", field="operator")
        lasts = parse_duration(expires_in, field="expires_in") if isinstance(expires_in, str) else expires_in
        until = None
        if lasts is None and expires_at is not None:
            until = parse_instant(expires_at, field="expires_at")
        return cls(name, token_role, operator, lasts, until)


def create_token(db: Database, command: CreateToken, *, caller: Caller) -> CreatedTokenView:
    """Create a token; the answer holds the secret, which is never shown again. Only a caller who
    sees every operator creates an instance-admin token; another operator does not exist."""
    if command.role is Role.INSTANCE_ADMIN and caller.operators is not None:
        raise ForbiddenError("only an instance-admin creates instance-admin tokens")
    operator = command.operator
    if operator is not None:
        caller.ensure_sees(operator, "operator", operator)
    now = caller.instant
    expiry = None
    if command.expires_in is not None:
        expiry = command.expires_in.after(now, field="expires_in")
    elif command.expires_at is not None:
        expiry = command.expires_at
        if expiry <= now:
            raise ValidationError("must lie in the future", field="expires_at")
    secret = PREFIX + secrets.token_urlsafe(32)
    token_id = db.ids.new_id("tok", now)
    with UnitOfWork(db, actor=caller.actor, now=now) as uow:
        if operator is not None and queries.operator_row(uow.conn, operator) is None:
            raise NotFoundError(f"no operator {operator!r}")
        store.insert_token(
            uow.conn,
            id=token_id,
            name=command.name,
            operator_id=operator,
            role=command.role.value,
            secret_hash=hash_secret(secret),
            created_at=uow.at,
            expires_at=format_instant(expiry),
        )
        uow.record(
            [
                NewEvent.of(
                    TokenCreated(
                        id=token_id,
                        name=token_id,  # issue 21: the name stays in the tokens table, out of the chain
                        role=command.role.value,
                        operator=operator,
                        expires_at=format_instant(expiry),
                    ),
                    uow.at,
                    operator,
                )
            ]
        )
    return CreatedTokenView(token_id, command.name, command.role, operator, now, expiry, secret)


def revoke_token(db: Database, token_id: str, *, caller: Caller) -> None:
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        row = caller.seen(store.token_row(uow.conn, token_id), "token", token_id, operator="operator_id")
        if row.revoked_at is not None:
            raise ConflictError(f"token {token_id!r} is already revoked")
        store.set_revoked(uow.conn, token_id, uow.at)
        uow.record([NewEvent.of(TokenRevoked(id=token_id), uow.at, row.operator_id)])
    for cache in list(_caches.values()):
        cache.forget(token_id)


def get_token(db: Database, token_id: str, *, caller: Caller | None = None) -> TokenView:
    """A token as listed to its admins; caller None: the installation, which sees every operator's."""
    with db.read() as conn:
        row = store.token_row(conn, token_id)
    if row is None or (caller is not None and not caller.sees(row.operator_id)):
        raise NotFoundError(f"no token {token_id!r}")
    return TokenView(
        row.id,
        row.name,
        Role(row.role),
        row.operator_id,
        _instant(row.created_at),
        _instant(row.expires_at),
        _instant(row.revoked_at),
    )


def _instant(stored: str | None) -> datetime | None:
    return parse_instant(stored) if stored is not None else None


def remembered_principal(db: Database, secret: str, *, now: datetime) -> Principal | None:
    """The principal ``authenticate`` found for ``secret`` less than a second ago, without I/O;
    None if there is none; ForbiddenError(``REFUSED``) if its token has expired since."""
    return principal_cache(db).get(hash_secret(secret), now=now)


def authenticate(db: Database, secret: str, *, now: datetime) -> Principal:
    """The principal a bearer secret stands for, read from the database (and remembered, see
    ``PrincipalCache``); ForbiddenError(``REFUSED``) if it is unknown, revoked or expired, the reason logged."""
    digest = hash_secret(secret)
    with db.read() as conn:
        row = store.token_by_secret_hash(conn, digest)
    if row is None or not hmac.compare_digest(row.secret_hash, digest):
        raise refused("unknown")
    if row.revoked_at is not None:
        raise refused(f"revoked at {row.revoked_at}", row.id, row.name)
    if row.expires_at is not None and parse_instant(row.expires_at) <= now:
        raise refused(f"expired at {row.expires_at}", row.id, row.name)
    principal = Principal(row.id, row.name, Role(row.role), row.operator_id)
    principal_cache(db).put(digest, principal, parse_instant(row.expires_at) if row.expires_at else None)
    return principal
