"""Who calls a use case, when, and which operators they may see: one ``Caller`` per request,
built by the API's tenant, the console's desk or the command line."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from reprieve.domain import roles
from reprieve.domain.errors import NotFoundError
from reprieve.domain.model import Role
from reprieve.store.uow import Clock as Clock  # the edges take it from here
from reprieve.store.uow import instant_of

T = TypeVar("T")
R = TypeVar("R")

# How the event log names who acted (the envelope's ``actor``): by id only, never by name (issue 21).
# Names are resolved outside the chain, where people read them (``resolve_actors``).
#: A person at the installation's command line: the OS login is not recorded (it may name them);
#: ``cli:member:<id>`` when ``--as`` names them by a member id.
CLI_ACTOR = "cli"
_MEMBER_ID = re.compile(r"mem_[0-9A-HJKMNP-TV-Z]{26}")
#: The background worker (expiries, reviews due, deliveries).
WORKER_ACTOR = "system:worker"
#: The public appeal form: the requester is not a member; who they are lives outside the chain.
PUBLIC_FORM_ACTOR = "system:public-form"


def token_actor(token_id: str) -> str:
    """An API token, by its id."""
    return f"token:{token_id}"


def member_actor(member_id: str) -> str:
    """A console member, by their id."""
    return f"member:{member_id}"


def is_member_id(value: str) -> bool:
    """Whether ``value`` has the shape of a member id (``mem_`` and a ULID)."""
    return _MEMBER_ID.fullmatch(value) is not None


def cli_actor(member_id: str | None = None) -> str:
    """A person at the command line, by the member id ``--as`` gave, if any."""
    return f"{CLI_ACTOR}:member:{member_id}" if member_id else CLI_ACTOR


@dataclass(frozen=True, slots=True)
class Caller:
    """Who acts (how the log names them, how a panel may name them, their role), when, and
    which operators they may see.

    ``role`` None is a person at the command line of the installation, trusted as a moderator.
    ``now``: an instant or a clock (read once the write lock is held, ``UnitOfWork``); None where
    the use case is given its instant otherwise. ``operators`` None: every operator.
    """

    actor: str
    names: tuple[str, ...] = ()
    role: Role | None = None
    now: datetime | Clock | None = None
    operators: Sequence[str] | None = None

    def __post_init__(self) -> None:
        if self.operators is not None and not isinstance(self.operators, tuple):
            object.__setattr__(self, "operators", tuple(self.operators))  # frozen: one copy, immutable

    @property
    def is_moderator(self) -> bool:
        return self.role is None or self.role in roles.MODERATING

    @property
    def label(self) -> str:
        """How decisions name who took them in new events: the actor, by id only (issue 21: a
        name is personal data, resolved outside the chain). Old events named the first panel name."""
        return self.actor

    @property
    def clock(self) -> datetime | Clock:
        """``now``, which a use case that records events needs."""
        if self.now is None:
            raise TypeError(f"caller {self.actor!r} has no instant: give Caller(now=...)")
        return self.now

    @property
    def instant(self) -> datetime:
        """``now`` as an instant (a clock read now)."""
        return instant_of(self.clock)

    def at(self, now: datetime | Clock) -> Caller:
        """The same caller acting at ``now``."""
        return replace(self, now=now)

    def among(self, operators: Sequence[str] | None) -> Caller:
        """The same caller seeing only ``operators`` (None: every one)."""
        return replace(self, operators=operators)

    def sees(self, operator: str | None) -> bool:
        return self.operators is None or (operator is not None and operator in self.operators)

    def ensure_sees(self, operator: str | None, what: str, id: str) -> None:
        """NotFoundError ``no <what> '<id>'`` unless the caller may see ``operator``'s records."""
        if not self.sees(operator):
            raise NotFoundError(f"no {what} {id!r}")

    def seen(self, record: R | None, what: str, id: str, operator: str = "operator") -> R:
        """``record`` if there is one and the caller may see its operator (attribute or key ``operator``),
        else NotFoundError ``no <what> '<id>'``: another operator's record does not exist."""
        owner = record[operator] if isinstance(record, Mapping) else getattr(record, operator, None)
        if record is None or not self.sees(owner):
            raise NotFoundError(f"no {what} {id!r}")
        return record

    def visible(self, rows: Iterable[T], operator_of: str = "operator") -> list[T]:
        """The rows (dicts with an operator, or objects with one) the caller may see."""
        return [r for r in rows if self.sees(r[operator_of] if isinstance(r, Mapping) else getattr(r, operator_of))]
