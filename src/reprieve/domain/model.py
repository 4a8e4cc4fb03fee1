"""Operators, platforms, accounts, identities and the vocabulary they share.

Enum values are the wire format: the API, the CLI and the event log all use them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar, cast

from reprieve.domain.errors import ValidationError
from reprieve.domain.suggest import closest
from reprieve.domain.text import check_text

DEFAULT_CAPABILITIES: tuple[str, ...] = (
    "login",
    "post",
    "comment",
    "message",
    "react",
    "live",
    "advertise",
    "monetize",
    "appeal",
)
#: Never denied by any sanction: a sanctioned user can always contest it.
APPEAL = "appeal"

_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
_ACCOUNT = re.compile(r"^[^\s/][^\s]{0,199}$")


class PlatformKind(StrEnum):
    SOCIAL = "social"
    HOSTING = "hosting"
    APP_STORE = "app_store"
    OTHER = "other"


class SanctionKind(StrEnum):
    """Kinds of sanction, mildest first; ``severity`` orders them."""

    WARNING = "warning"
    RESTRICTION = "restriction"
    SUSPENSION = "suspension"
    TERMINATION = "termination"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {
    SanctionKind.WARNING: 0,
    SanctionKind.RESTRICTION: 1,
    SanctionKind.SUSPENSION: 2,
    SanctionKind.TERMINATION: 3,
}


class Status(StrEnum):
    """Standing of an account on a platform; worst wins."""

    GOOD = "good"
    RESTRICTED = "restricted"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


STATUS_OF_KIND = {
    SanctionKind.WARNING: Status.GOOD,
    SanctionKind.RESTRICTION: Status.RESTRICTED,
    SanctionKind.SUSPENSION: Status.SUSPENDED,
    SanctionKind.TERMINATION: Status.TERMINATED,
}
STATUS_RANK = {Status.GOOD: 0, Status.RESTRICTED: 1, Status.SUSPENDED: 2, Status.TERMINATED: 3}


class SanctionState(StrEnum):
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    EXPIRED = "expired"
    LIFTED = "lifted"
    #: lifted at or before its start: it never took effect (PRODUCT.md section 8, issue 22)
    CANCELLED = "cancelled"


class Role(StrEnum):
    INSTANCE_ADMIN = "instance-admin"
    ADMIN = "admin"
    MODERATOR = "moderator"
    REVIEWER = "reviewer"
    AUDITOR = "auditor"
    PLATFORM = "platform"


def ensure_slug(value: str, *, field: str) -> str:
    """Operator and platform ids: lower-case letters, digits, ``.``, ``_`` and ``-``."""
    if not isinstance(value, str) or not _SLUG.match(value):
        raise ValidationError(
            f"{value!r} is not a valid id (lower-case letters, digits, '.', '_', '-'; 1 to 63 chars)",
            field=field,
        )
    return value


def ensure_account_id(value: str, *, field: str = "account") -> str:
    """An account is named by the platform's own id: no spaces, no slash first, <= 200 chars."""
    if not isinstance(value, str) or not _ACCOUNT.match(value):
        raise ValidationError(f"{value!r} is not a valid account id (1 to 200 characters, no spaces)", field=field)
    return value


def ensure_text(value: str, *, field: str, max_length: int, required: bool = True, multiline: bool = True) -> str:
    """A text given to a command (see ``reprieve.domain.text.check_text``): blank counts as
    missing, so an optional blank text comes back as ``""``; control characters are refused."""
    return check_text(value, field=field, max_length=max_length, required=required, multiline=multiline)


def ensure_stored_text(value: str, *, field: str, max_length: int, required: bool = True) -> str:
    """A text read back from the database: held to the rules it was recorded under, no more."""
    if not isinstance(value, str):
        raise ValidationError("must be text", field=field)
    if required and not value.strip():
        raise ValidationError("must not be empty", field=field)
    if len(value) > max_length:
        raise ValidationError(f"is {len(value)} characters long; at most {max_length}", field=field)
    return value


E = TypeVar("E", bound=StrEnum)


def parse_enum(enum: type[E], value: object, *, field: str) -> E:
    # The member looked up by value first: calling the enum is two Python calls (3.11), and a
    # bulk import parses four values per sanction. What the lookup misses goes the long way.
    try:
        member = enum._value2member_map_.get(value)
    except TypeError:  # an unhashable value
        member = None
    if member is not None:
        return cast(E, member)
    try:
        return enum(cast(str, value))
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        if value is None:
            raise ValidationError(f"is required: one of {allowed}", field=field) from None
        guess = closest(value, [m.value for m in enum]) if isinstance(value, str) else None
        hint = f" (did you mean {guess}?)" if guess is not None else ""
        raise ValidationError(f"{value!r} is not one of: {allowed}{hint}", field=field) from None


@dataclass(frozen=True, slots=True)
class Operator:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Platform:
    id: str
    operator: str
    name: str
    kind: PlatformKind
    capabilities: tuple[str, ...] = DEFAULT_CAPABILITIES
    policy: dict[str, object] = field(default_factory=dict)

    def all_denials(self) -> frozenset[str]:
        """What a suspension or termination denies here: everything but ``appeal``."""
        return frozenset(c for c in self.capabilities if c != APPEAL)


def ensure_capabilities(values: object, *, field: str = "capabilities") -> tuple[str, ...]:
    if not isinstance(values, list | tuple) or not values:
        raise ValidationError("must be a non-empty list of capability names", field=field)
    seen: list[str] = []
    for value in values:
        ensure_slug(value, field=field)
        if value not in seen:
            seen.append(value)
    if len(seen) > 64:
        raise ValidationError("at most 64 capabilities", field=field)
    if APPEAL not in seen:
        seen.append(APPEAL)  # appeal is always possible (DSA art. 20)
    return tuple(seen)


@dataclass(frozen=True, slots=True)
class AccountRef:
    """``platform/account``: how people and commands name an account."""

    platform: str
    account: str

    @classmethod
    def parse(cls, text: str, *, field: str = "account") -> AccountRef:
        platform, sep, account = text.partition("/")
        if not sep:
            raise ValidationError(f"{text!r} should be written platform/account", field=field)
        return cls(ensure_slug(platform, field=field), ensure_account_id(account, field=field))

    def __str__(self) -> str:
        return f"{self.platform}/{self.account}"
