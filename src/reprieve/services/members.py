"""Members of an operator, who sign in to the console: created, signed in, signed out.

A member has an e-mail (the sign-in name), a name, a role (the API's roles: a member acts with
its role within its operator, exactly as a token would) and a password hashed with argon2id.
Creating a member is recorded in the event log (``member.created``, without the hash).

Sign-in: after ``MAX_FAILURES`` failed attempts on one e-mail within ``LOCKOUT`` and since its
last success, that e-mail is locked for ``LOCKOUT`` after the last failure; while locked even the
right password is refused, with the same answer, so that guessing cannot go on. A session is a
random secret in a cookie; only its SHA-256 is stored, and it expires after ``SESSION_TTL``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, insert, select, update

from reprieve.domain.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from reprieve.domain.events import EventType, NewEvent
from reprieve.domain.model import Role, ensure_text, parse_enum
from reprieve.domain.time import format_instant, from_micros, to_micros
from reprieve.services.ids import new_id
from reprieve.services.tokens import Principal
from reprieve.store import queries, tables
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=12)
#: Attempts older than this are deleted at the e-mail's next attempt (a success resets the count anyway).
FORGET_AFTER = timedelta(days=1)
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1000
#: Roles that may sign in: every role of the API but the machine clients'.
MEMBER_ROLES = (Role.INSTANCE_ADMIN, Role.ADMIN, Role.MODERATOR, Role.REVIEWER, Role.AUDITOR)

WRONG = "wrong e-mail or password"
LOCKED = "too many failed attempts: try again in 15 minutes"
NOT_YOUR_PASSWORD = "is not your password"
TOO_SHORT = f"must be at least {MIN_PASSWORD_LENGTH} characters long"

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters (RFC 9106)


@cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so that the answer takes as long either way."""
    return _hasher.hash(secrets.token_urlsafe(16))


class SignInRefused(ForbiddenError):
    """Raised when an e-mail and password do not sign in: wrong, unknown, disabled or locked."""


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
        """How the event log names the member: name and id, as it names a token."""
        return f"{self.name[:150]} ({self.id})"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "operator": self.operator, "email": self.email, "name": self.name,
                "role": self.role.value}


def normalise_email(email: str) -> str:
    value = ensure_text(email, field="email", max_length=320).strip().lower()
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in value):
        raise ValidationError(f"{email!r} is not an e-mail address", field="email")
    return value


def create_member(
    db: Database, *, email: str, name: str, role: str, operator: str | None, password: str, actor: str,
    now: datetime,
) -> dict[str, Any]:
    """Create a member; ConflictError if the e-mail is taken."""
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
    password_hash = _hasher.hash(password)
    member_id = new_id("mem", now)
    with UnitOfWork(db, actor=actor, now=now) as uow:
        if operator is not None and queries.operator_row(uow.conn, operator) is None:
            raise NotFoundError(f"no operator {operator!r}")
        taken = uow.conn.execute(select(tables.members.c.id).where(tables.members.c.email == address)).first()
        if taken is not None:
            raise ConflictError(f"a member with the e-mail {address!r} exists already")
        uow.conn.execute(insert(tables.members).values(
            id=member_id, operator_id=operator, email=address, name=name, role=member_role.value,
            password_hash=password_hash, created_at=uow.at,
        ))
        # The e-mail stays out of the log, as every personal datum does; the id names the member.
        uow.record([NewEvent(
            EventType.MEMBER_CREATED, uow.at, operator,
            {"id": member_id, "name": name, "role": member_role.value, "operator": operator},
        )])
    return {"id": member_id, "operator": operator, "email": address, "name": name, "role": member_role.value,
            "created_at": format_instant(now)}


def disable_member(
    db: Database, member: str, *, actor: str, now: datetime, operators: Sequence[str] | None = None
) -> dict[str, Any]:
    """Disable a member, named by id or e-mail, from now on: their sessions end and they can no
    longer sign in (offboarding). NotFoundError if there is none (among ``operators``'
    members), ConflictError if already disabled. The member's name stays on what they did."""
    m = tables.members.c
    with UnitOfWork(db, actor=actor, now=now) as uow:
        row = _named_member(uow.conn, member, operators)
        if row.disabled_at is not None:
            raise ConflictError(f"member {row.id} was disabled at {row.disabled_at}")
        uow.conn.execute(update(tables.members).where(m.id == row.id).values(disabled_at=uow.at))
        uow.conn.execute(delete(tables.console_sessions).where(tables.console_sessions.c.member_id == row.id))
        uow.record([NewEvent(EventType.MEMBER_DISABLED, uow.at, row.operator_id, {"id": row.id})])
    return {**_member(row).to_dict(), "disabled_at": format_instant(now)}


def enable_member(
    db: Database, member: str, *, actor: str, now: datetime, operators: Sequence[str] | None = None
) -> dict[str, Any]:
    """Enable a disabled member again, named by id or e-mail (someone who came back, or was
    disabled by mistake): they may sign in again with their password; no session of theirs
    comes back. NotFoundError if there is none (among ``operators``' members), ConflictError if
    the member is not disabled."""
    m = tables.members.c
    with UnitOfWork(db, actor=actor, now=now) as uow:
        row = _named_member(uow.conn, member, operators)
        if row.disabled_at is None:
            raise ConflictError(f"member {row.id} is not disabled")
        uow.conn.execute(update(tables.members).where(m.id == row.id).values(disabled_at=None))
        uow.record([NewEvent(EventType.MEMBER_ENABLED, uow.at, row.operator_id, {"id": row.id})])
    return {**_member(row).to_dict(), "disabled_at": None}


def change_password(
    db: Database, member_id: str, *, current: str, new: str, keep_session: str | None, now: datetime
) -> None:
    """A member changes their own password: ``current`` must be theirs (a wrong one counts as a
    failed sign-in, toward the same lock-out, so a stolen session cannot guess it). Every other
    session of theirs ends; ``keep_session`` (the secret of the one in use) goes on.
    ValidationError names the field: ``current_password`` (wrong, or the e-mail locked) or
    ``new_password`` (too short)."""
    _check_new_password(new, field="new_password")
    m = tables.members.c
    with db.engine.begin() as conn:
        row = conn.execute(select(tables.members).where(m.id == member_id)).first()
        if row is None or row.disabled_at is not None:
            raise NotFoundError(f"no member {member_id!r}")
        if _locked_until(conn, row.email, now) is not None:
            raise ValidationError(LOCKED, field="current_password")
        if not _verify(row.password_hash, current):
            conn.execute(insert(tables.sign_in_attempts).values(email=row.email, at=to_micros(now), succeeded=0))
            wrong = NOT_YOUR_PASSWORD if _locked_until(conn, row.email, now) is None else LOCKED
            # Committed with the attempt it records: the lock-out counts it.
            refusal = ValidationError(wrong, field="current_password")
        else:
            refusal = None
    if refusal is not None:
        raise refusal
    kept = _digest(keep_session) if keep_session else None
    _set_password(db, row, new, actor=_member(row).actor, now=now, keep=kept)


def reset_password(
    db: Database, member: str, *, password: str, actor: str, now: datetime, operators: Sequence[str] | None = None
) -> dict[str, Any]:
    """Set a member's password for them (forgotten, or thought known to someone else), named by
    id or e-mail: every session of theirs ends. NotFoundError if there is none (among
    ``operators``' members)."""
    _check_new_password(password, field="password")
    with db.read() as conn:
        row = _named_member(conn, member, operators)
    _set_password(db, row, password, actor=actor, now=now, keep=None)
    return {**_member(row).to_dict(), "password_changed_at": format_instant(now)}


def _check_new_password(password: str, *, field: str) -> None:
    """The rule every password obeys, at creation and at each change."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(TOO_SHORT, field=field)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(f"must be at most {MAX_PASSWORD_LENGTH} characters long", field=field)


def _set_password(db: Database, row: Any, password: str, *, actor: str, now: datetime, keep: str | None) -> None:
    password_hash = _hasher.hash(password)  # before the transaction: argon2 takes its time
    sessions = tables.console_sessions.c
    with UnitOfWork(db, actor=actor, now=now) as uow:
        uow.conn.execute(update(tables.members).where(tables.members.c.id == row.id)
                         .values(password_hash=password_hash))
        ended = sessions.member_id == row.id
        if keep is not None:
            ended = ended & (sessions.id != keep)
        uow.conn.execute(delete(tables.console_sessions).where(ended))
        # The hash stays out of the log, as at creation; the id names the member.
        uow.record([NewEvent(EventType.MEMBER_PASSWORD_CHANGED, uow.at, row.operator_id, {"id": row.id})])


def _named_member(conn: Any, member: str, operators: Sequence[str] | None) -> Any:
    """The row of the member named by id or e-mail (NotFoundError if none, among ``operators``')."""
    m = tables.members.c
    named = m.email == normalise_email(member) if "@" in member else m.id == member
    row = conn.execute(select(tables.members).where(named)).first()
    if row is None or (operators is not None and row.operator_id not in operators):
        raise NotFoundError(f"no member {member!r}")
    return row


def _member(row: Any) -> Member:
    return Member(row.id, row.operator_id, row.email, row.name, Role(row.role))


def get_member(db: Database, member_id: str) -> Member:
    with db.read() as conn:
        row = conn.execute(select(tables.members).where(tables.members.c.id == member_id)).first()
    if row is None:
        raise NotFoundError(f"no member {member_id!r}")
    return _member(row)


def list_members(db: Database, *, operators: list[str] | None = None) -> list[dict[str, Any]]:
    query = select(tables.members).order_by(tables.members.c.email)
    if operators is not None:
        query = query.where(tables.members.c.operator_id.in_(operators))
    with db.read() as conn:
        return [{**_member(row).to_dict(), "disabled_at": row.disabled_at} for row in conn.execute(query)]


def locked_until(db: Database, email: str, *, now: datetime) -> datetime | None:
    """The instant the e-mail's lock-out ends, or None if it may try now."""
    address = email.strip().lower()
    with db.read() as conn:
        return _locked_until(conn, address, now)


def _locked_until(conn: Any, address: str, now: datetime) -> datetime | None:
    attempts = tables.sign_in_attempts
    window_start = to_micros(now - LOCKOUT)
    last_success = conn.execute(
        select(func.max(attempts.c.at)).where(attempts.c.email == address, attempts.c.succeeded == 1)
    ).scalar()
    since = max(window_start, last_success or 0)
    failures = conn.execute(
        select(func.count(), func.max(attempts.c.at))
        .where(attempts.c.email == address, attempts.c.succeeded == 0, attempts.c.at > since)
    ).one()
    if failures[0] < MAX_FAILURES:
        return None
    until: datetime = from_micros(failures[1]) + LOCKOUT
    return until if until > now else None


def sign_in(db: Database, *, email: str, password: str, now: datetime) -> tuple[Member, str]:
    """Check the password and open a session: the member and the session's secret (for the cookie).

    SignInRefused for a wrong password, an unknown or disabled member, or a locked e-mail. Every
    attempt is recorded (and committed, refused ones too: they are what the lock-out counts).
    """
    address = email.strip().lower()[:320]
    refusal: str | None = None
    with db.engine.begin() as conn:
        row = None
        if _locked_until(conn, address, now) is not None:
            refusal = LOCKED  # hammering a locked e-mail keeps it locked: the attempt counts too
        else:
            row = conn.execute(select(tables.members).where(tables.members.c.email == address)).first()
            ok = _verify(row.password_hash if row is not None else _dummy_hash(), password)
            if not ok or row is None or row.disabled_at is not None:
                refusal = WRONG
        conn.execute(insert(tables.sign_in_attempts).values(
            email=address, at=to_micros(now), succeeded=int(refusal is None)
        ))
        # What no lock-out and no session needs any more goes as it is passed over.
        conn.execute(delete(tables.sign_in_attempts).where(
            tables.sign_in_attempts.c.email == address, tables.sign_in_attempts.c.at < to_micros(now - FORGET_AFTER)
        ))
        conn.execute(delete(tables.console_sessions).where(tables.console_sessions.c.expires_at <= to_micros(now)))
        if refusal is None and row is not None:
            secret = secrets.token_urlsafe(32)
            conn.execute(insert(tables.console_sessions).values(
                id=_digest(secret), member_id=row.id, created_at=to_micros(now),
                expires_at=to_micros(now + SESSION_TTL),
            ))
            if _hasher.check_needs_rehash(row.password_hash):
                conn.execute(tables.members.update().where(tables.members.c.id == row.id)
                             .values(password_hash=_hasher.hash(password)))
        elif refusal == WRONG and _locked_until(conn, address, now) is not None:
            refusal = LOCKED  # this failure was the fifth
    if refusal is not None or row is None:
        raise SignInRefused(refusal or WRONG)
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
    sessions, members = tables.console_sessions, tables.members
    with db.read() as conn:
        row = conn.execute(
            select(members, sessions.c.expires_at)
            .join(sessions, sessions.c.member_id == members.c.id)
            .where(sessions.c.id == _digest(secret))
        ).first()
    if row is None or row.expires_at <= to_micros(now) or row.disabled_at is not None:
        return None
    return _member(row)


def sign_out(db: Database, secret: str) -> None:
    """End the session (nothing happens for an unknown one)."""
    with db.engine.begin() as conn:
        conn.execute(delete(tables.console_sessions).where(tables.console_sessions.c.id == _digest(secret)))
