"""Members of an operator, who sign in to the console: created, signed in, signed out.

A member has an e-mail (the sign-in name), a name, a role (the API's roles: a member acts with
its role within its operator, exactly as a token would) and a password hashed with argon2id.
Creating a member is recorded in the event log (``member.created``, without the hash).

Sign-in (``sign_in``): every attempt is recorded with its client address, and counted *before*
the password is checked, so that parallel guesses count too. Limits, which answer
``SignInThrottled`` (a 429 with ``Retry-After``) without checking the password:

* Back-off per e-mail: after ``LIMITS.free_failures`` failures since the e-mail's last success
  (within a day), attempts wait ``first_backoff`` after the last failure, doubling with each
  further failure up to ``max_backoff``. Refused attempts are not counted, so they do not re-arm it.
  From a client address that signed in to the e-mail before (within ``known_for``), only that
  address's own failures count: a stranger elsewhere cannot lock the owner out of their usual
  address; from a new address the owner waits out at most ``max_backoff``.
* Per client address, across e-mails (password spraying): ``client_failures`` failures in
  ``client_window``, then refused until the oldest leaves the window.

Failures and refusals go to the security log (``services.security_log``). A session is a random
secret in a cookie; only its SHA-256 is stored, and it expires after ``SESSION_TTL``.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from reprieve.domain.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from reprieve.domain.events import (
    MemberCreated,
    MemberDisabled,
    MemberEnabled,
    MemberPasswordChanged,
    NewEvent,
)
from reprieve.domain.model import Role, ensure_text, parse_enum
from reprieve.domain.time import format_instant, from_micros, parse_instant, to_micros
from reprieve.services import security_log
from reprieve.services.callers import Caller, member_actor
from reprieve.services.tokens import Principal
from reprieve.store import members as store
from reprieve.store import queries
from reprieve.store.connection import Connection
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

SESSION_TTL = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class SignInLimits:
    """How many failed sign-ins are let through, and how long the refusals after them last."""

    #: Failures of one e-mail (since its last success) before the back-off starts.
    free_failures: int = 5
    first_backoff: timedelta = timedelta(minutes=1)
    max_backoff: timedelta = timedelta(minutes=15)
    #: Failures of one client address, whatever the e-mails, in ``client_window`` (spraying).
    client_failures: int = 20
    client_window: timedelta = timedelta(minutes=10)
    #: A client address that signed in to an e-mail within this long is the owner's.
    known_for: timedelta = timedelta(days=30)
    #: Failures older than this are forgotten (and deleted).
    forget_after: timedelta = timedelta(days=1)

    def backoff(self, failures: int) -> timedelta:
        """How long to wait after the last of ``failures`` failures (zero: none yet)."""
        if failures < self.free_failures:
            return timedelta(0)
        doublings = min(failures - self.free_failures, 30)
        wait: timedelta = min(self.first_backoff * (2**doublings), self.max_backoff)
        return wait


LIMITS = SignInLimits()
MAX_FAILURES = LIMITS.free_failures
#: A client address when none is known (a direct call of the service, a test).
NO_CLIENT = "unknown"
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1000
#: Roles that may sign in: every role of the API but the machine clients'.
MEMBER_ROLES = (Role.INSTANCE_ADMIN, Role.ADMIN, Role.MODERATOR, Role.REVIEWER, Role.AUDITOR)

WRONG = "wrong e-mail or password"
LOCKED = "too many failed attempts: try again in a few minutes"
NOT_YOUR_PASSWORD = "is not your password"
TOO_SHORT = f"must be at least {MIN_PASSWORD_LENGTH} characters long"

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters (RFC 9106)


@cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so that the answer takes as long either way."""
    return _hasher.hash(secrets.token_urlsafe(16))


class SignInRefused(ForbiddenError):
    """Raised when an e-mail and password do not sign in: wrong, unknown, disabled or locked."""


class SignInThrottled(SignInRefused):
    """Raised when an attempt is refused by a limit, without the password being checked:
    try again in ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(LOCKED)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    operator: str | None
    email: str
    name: str
    role: Role

    @property
    def principal(self) -> Principal:
        """The member as the services' Caller: the same role and operator rules as a token."""
        return Principal(self.id, self.name, self.role, self.operator)

    @property
    def actor(self) -> str:
        """How the event log names the member: by id only (``member:<id>``), as it names a token."""
        return member_actor(self.id)


def normalise_email(email: str) -> str:
    value = ensure_text(email, field="email", max_length=320).strip().lower()
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in value):
        raise ValidationError(f"{email!r} is not an e-mail address", field="email")
    return value


@dataclass(frozen=True, slots=True)
class MemberView:
    """A member as listed to admins (never the password hash); ``disabled_at`` None: active."""

    id: str
    operator: str | None
    email: str
    name: str
    role: Role
    disabled_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operator": self.operator,
            "email": self.email,
            "name": self.name,
            "role": self.role.value,
            "disabled_at": format_instant(self.disabled_at),
        }


@dataclass(frozen=True, slots=True)
class CreatedMemberView:
    id: str
    operator: str | None
    email: str
    name: str
    role: Role
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operator": self.operator,
            "email": self.email,
            "name": self.name,
            "role": self.role.value,
            "created_at": format_instant(self.created_at),
        }


@dataclass(frozen=True, slots=True)
class PasswordResetView:
    """A member whose password an admin set, and when."""

    id: str
    operator: str | None
    email: str
    name: str
    role: Role
    password_changed_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operator": self.operator,
            "email": self.email,
            "name": self.name,
            "role": self.role.value,
            "password_changed_at": format_instant(self.password_changed_at),
        }


@dataclass(frozen=True, slots=True)
class CreateMember:
    """A member to create, parsed (``parse``): the e-mail normalised, the role checked."""

    email: str
    name: str
    role: Role
    operator: str | None
    password: str = field(repr=False)

    @classmethod
    def parse(cls, *, email: str, name: str, role: str | Role, operator: str | None, password: str) -> CreateMember:
        """ValidationError naming the field, in the order the fields were always checked."""
        address = normalise_email(email)
        ensure_text(name, field="name", max_length=200, multiline=False)
        member_role = parse_enum(Role, role, field="role")
        if member_role not in MEMBER_ROLES:
            raise ValidationError(f"a member cannot have the role {member_role.value!r}", field="role")
        if member_role is Role.INSTANCE_ADMIN and operator is not None:
            raise ValidationError("an instance-admin belongs to no operator", field="operator")
        if member_role is not Role.INSTANCE_ADMIN and operator is None:
            raise ValidationError(f"a {member_role} belongs to an operator", field="operator")
        _check_new_password(password, field="password")
        return cls(address, name, member_role, operator, password)


def create_member(db: Database, command: CreateMember, *, caller: Caller) -> CreatedMemberView:
    """Create a member of an operator the caller sees; ConflictError if the e-mail is taken."""
    operator = command.operator
    if operator is not None:
        caller.ensure_sees(operator, "operator", operator)
    password_hash = _hasher.hash(command.password)
    now = caller.instant
    member_id = db.ids.new_id("mem", now)
    with UnitOfWork(db, actor=caller.actor, now=now) as uow:
        if operator is not None and queries.operator_row(uow.conn, operator) is None:
            raise NotFoundError(f"no operator {operator!r}")
        if store.email_taken(uow.conn, command.email):
            raise ConflictError(f"a member with the e-mail {command.email!r} exists already")
        store.insert_member(
            uow.conn,
            id=member_id,
            operator_id=operator,
            email=command.email,
            name=command.name,
            role=command.role.value,
            password_hash=password_hash,
            created_at=uow.at,
        )
        # The e-mail and the name stay out of the log (in the members table), as every personal
        # datum does; the id names the member (``name`` too, since issue 21; older events: the name).
        uow.record(
            [
                NewEvent.of(
                    MemberCreated(id=member_id, name=member_id, role=command.role.value, operator=operator),
                    uow.at,
                    operator,
                )
            ]
        )
    return CreatedMemberView(member_id, operator, command.email, command.name, command.role, now)


def disable_member(db: Database, member: str, *, caller: Caller) -> MemberView:
    """Disable a member, named by id or e-mail, from now on: their sessions end and they can no
    longer sign in (offboarding). NotFoundError if there is none (among the members the
    caller sees), ConflictError if already disabled. The member's name stays on what they did."""
    now = caller.instant
    with UnitOfWork(db, actor=caller.actor, now=now) as uow:
        row = _named_member(uow.conn, member, caller)
        if row.disabled_at is not None:
            raise ConflictError(f"member {row.id} was disabled at {row.disabled_at}")
        store.set_disabled(uow.conn, row.id, uow.at)
        store.end_sessions(uow.conn, row.id)
        uow.record([NewEvent.of(MemberDisabled(id=row.id), uow.at, row.operator_id)])
    return _member_view(row, disabled_at=now)


def enable_member(db: Database, member: str, *, caller: Caller) -> MemberView:
    """Enable a disabled member again, named by id or e-mail (someone who came back, or was
    disabled by mistake): they may sign in again with their password; no session of theirs
    comes back. NotFoundError if there is none (among the members the caller sees), ConflictError if
    the member is not disabled."""
    with UnitOfWork(db, actor=caller.actor, now=caller.instant) as uow:
        row = _named_member(uow.conn, member, caller)
        if row.disabled_at is None:
            raise ConflictError(f"member {row.id} is not disabled")
        store.set_disabled(uow.conn, row.id, None)
        uow.record([NewEvent.of(MemberEnabled(id=row.id), uow.at, row.operator_id)])
    return _member_view(row, disabled_at=None)


def _member_view(row: Any, *, disabled_at: datetime | None) -> MemberView:
    return MemberView(row.id, row.operator_id, row.email, row.name, Role(row.role), disabled_at)


def change_password(
    db: Database,
    member_id: str,
    *,
    current: str,
    new: str,
    keep_session: str | None,
    now: datetime,
    client: str = NO_CLIENT,
    retention: timedelta = security_log.DEFAULT_RETENTION,
) -> None:
    """A member changes their own password: ``current`` must be theirs (a wrong one counts as a
    failed sign-in from ``client``, toward the same back-off, so a stolen session cannot guess
    it). Every other session of theirs ends; ``keep_session`` (the secret of the one in use) goes
    on. ValidationError names the field: ``current_password`` (wrong, or the back-off running) or
    ``new_password`` (too short)."""
    _check_new_password(new, field="new_password")
    key = security_log.web_key(db)
    with store.signing_in(db) as conn:
        row = store.member_by_id(conn, member_id)
        if row is None or row.disabled_at is not None:
            raise NotFoundError(f"no member {member_id!r}")
        tag = security_log.email_digest(key, row.email)
        wait = _retry_after(conn, tag, client, now)
        if wait:
            security_log.record(
                conn,
                key=key,
                at=now,
                event=security_log.SIGN_IN_REFUSED,
                client=client,
                member_id=row.id,
                email=row.email,
                retry_after=wait,
                retention=retention,
            )
        else:
            attempt = _reserve(conn, tag, client, now)
    if wait:
        raise ValidationError(LOCKED, field="current_password")
    right = _verify(row.password_hash, current)
    with store.signing_in(db) as conn:
        if right:
            store.attempt_succeeded(conn, attempt)
        else:
            wait = _retry_after(conn, tag, client, now)
            security_log.record(
                conn,
                key=key,
                at=now,
                event=security_log.PASSWORD_FAILED,
                client=client,
                member_id=row.id,
                email=row.email,
                retry_after=wait or None,
                retention=retention,
            )
    if not right:
        raise ValidationError(LOCKED if wait else NOT_YOUR_PASSWORD, field="current_password")
    kept = _digest(keep_session) if keep_session else None
    _set_password(db, row, new, actor=_member(row).actor, now=now, keep=kept)


def reset_password(db: Database, member: str, *, password: str, caller: Caller) -> PasswordResetView:
    """Set a member's password for them (forgotten, or thought known to someone else), named by
    id or e-mail: every session of theirs ends. NotFoundError if there is none (among
    members the caller sees)."""
    _check_new_password(password, field="password")
    now = caller.instant
    with db.read() as conn:
        row = _named_member(conn, member, caller)
    _set_password(db, row, password, actor=caller.actor, now=now, keep=None)
    return PasswordResetView(row.id, row.operator_id, row.email, row.name, Role(row.role), now)


def _check_new_password(password: str, *, field: str) -> None:
    """The rule every password obeys, at creation and at each change."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(TOO_SHORT, field=field)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(f"must be at most {MAX_PASSWORD_LENGTH} characters long", field=field)


def _set_password(db: Database, row: Any, password: str, *, actor: str, now: datetime, keep: str | None) -> None:
    password_hash = _hasher.hash(password)  # before the transaction: argon2 takes its time
    with UnitOfWork(db, actor=actor, now=now) as uow:
        store.set_password_hash(uow.conn, row.id, password_hash)
        store.end_sessions(uow.conn, row.id, keep=keep)
        # The hash stays out of the log, as at creation; the id names the member.
        uow.record([NewEvent.of(MemberPasswordChanged(id=row.id), uow.at, row.operator_id)])


def _named_member(conn: Any, member: str, caller: Caller) -> Any:
    """The row of the member named by id or e-mail (NotFoundError if none the caller sees)."""
    row = store.member_by_email(conn, normalise_email(member)) if "@" in member else store.member_by_id(conn, member)
    return caller.seen(row, "member", member, operator="operator_id")


def _member(row: Any) -> Member:
    return Member(row.id, row.operator_id, row.email, row.name, Role(row.role))


def get_member(db: Database, member_id: str) -> Member:
    with db.read() as conn:
        row = store.member_by_id(conn, member_id)
    if row is None:
        raise NotFoundError(f"no member {member_id!r}")
    return _member(row)


def list_members(db: Database, *, caller: Caller) -> list[MemberView]:
    """The members of the operators the caller sees."""
    operators = list(caller.operators) if caller.operators is not None else None
    with db.read() as conn:
        return [
            _member_view(row, disabled_at=parse_instant(row.disabled_at) if row.disabled_at else None)
            for row in store.member_rows(conn, operators)
        ]


def locked_until(db: Database, email: str, *, now: datetime, client: str = NO_CLIENT) -> datetime | None:
    """The instant ``client`` may try the e-mail again, or None if it may try now."""
    tag = security_log.email_digest(security_log.web_key(db), email)
    with db.read() as conn:
        wait = _retry_after(conn, tag, client, now)
    return now + timedelta(seconds=wait) if wait else None


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def _retry_after(conn: Connection, tag: str, client: str, now: datetime, limits: SignInLimits = LIMITS) -> int:
    """Seconds before ``client`` may try the e-mail whose HMAC is ``tag`` (0: now): the e-mail's
    back-off, or the client's limit across e-mails, whichever ends later."""
    since = max(to_micros(now - limits.forget_after), store.last_success(conn, tag) or 0)
    known = store.signed_in_from(conn, tag, client, since_us=to_micros(now - limits.known_for))
    # The owner's address (known): only its own failures count.
    failures, last = store.failures(conn, tag, since_us=since, client=client if known else None)
    waits = [timedelta(0)]
    if failures >= limits.free_failures and last is not None:
        waits.append(from_micros(last) + limits.backoff(failures) - now)
    window_start = to_micros(now - limits.client_window)
    nth = store.nth_client_failure(conn, client, since_us=window_start, nth=limits.client_failures)
    if nth is not None:
        waits.append(from_micros(nth) + limits.client_window - now)
    longest = max(waits)
    return _seconds(longest) if longest > timedelta(0) else 0


def _reserve(conn: Connection, tag: str, client: str, now: datetime, limits: SignInLimits = LIMITS) -> int:
    """Record an attempt as a failure before its password is checked (``sign_in`` marks it a
    success if it is one), and forget what no limit needs any more. The e-mail is kept as its
    HMAC (``tag``): an address typed by mistake or by a stranger is not stored."""
    return store.reserve_attempt(
        conn,
        tag,
        client,
        now_us=to_micros(now),
        failed_before_us=to_micros(now - limits.forget_after),
        before_us=to_micros(now - limits.known_for),
    )


def sign_in(
    db: Database,
    *,
    email: str,
    password: str,
    now: datetime,
    client: str = NO_CLIENT,
    retention: timedelta = security_log.DEFAULT_RETENTION,
) -> tuple[Member, str]:
    """Check the password and open a session: the member and the session's secret (for the cookie).

    SignInThrottled, before the password is checked, while a limit holds for the e-mail or for
    ``client`` (the client's address); SignInRefused for a wrong password or an unknown or
    disabled member (SignInThrottled if that failure started a back-off). Every attempt that is
    not refused by a limit is recorded; failures and refusals go to the security log too.
    """
    address = email.strip().lower()[:320]
    client = client[:64]
    key = security_log.web_key(db)
    tag = security_log.email_digest(key, address)
    with store.signing_in(db) as conn:
        row = store.member_by_email(conn, address)
        wait = _retry_after(conn, tag, client, now)
        if wait:
            security_log.record(
                conn,
                key=key,
                at=now,
                event=security_log.SIGN_IN_REFUSED,
                client=client,
                member_id=row.id if row is not None else None,
                email=address,
                retry_after=wait,
                retention=retention,
            )
        else:
            attempt = _reserve(conn, tag, client, now)
    if wait:
        raise SignInThrottled(wait)
    # Off the write lock: argon2 takes its time. The attempt is counted already.
    ok = _verify(row.password_hash if row is not None else _dummy_hash(), password)
    accepted = ok and row is not None and row.disabled_at is None
    rehashed = (
        _hasher.hash(password)
        if accepted and row is not None and _hasher.check_needs_rehash(row.password_hash)
        else None
    )
    with store.signing_in(db) as conn:
        if accepted and row is not None:
            store.attempt_succeeded(conn, attempt)
            secret = secrets.token_urlsafe(32)
            store.open_session(
                conn, _digest(secret), row.id, now_us=to_micros(now), expires_us=to_micros(now + SESSION_TTL)
            )
            if rehashed is not None:
                store.set_password_hash(conn, row.id, rehashed)
        else:
            wait = _retry_after(conn, tag, client, now)
            security_log.record(
                conn,
                key=key,
                at=now,
                event=security_log.SIGN_IN_FAILED,
                client=client,
                member_id=row.id if row is not None else None,
                email=address,
                retry_after=wait or None,
                retention=retention,
            )
    if not accepted or row is None:
        raise SignInThrottled(wait) if wait else SignInRefused(WRONG)
    return _member(row), secret


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def session_member(db: Database, secret: str, *, now: datetime) -> Member | None:
    """The member a session cookie stands for; None if unknown, expired, or the member disabled."""
    if not secret or len(secret) > 100:
        return None
    with db.read() as conn:
        row = store.session_row(conn, _digest(secret))
    if row is None or row.expires_at <= to_micros(now) or row.disabled_at is not None:
        return None
    return _member(row)


def sign_out(db: Database, secret: str) -> None:
    """End the session (nothing happens for an unknown one)."""
    store.end_session(db, _digest(secret))
