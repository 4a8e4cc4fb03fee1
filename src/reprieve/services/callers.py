"""Who calls a use case, when, and which operators they may see: one ``Caller`` per request,
built by the API's tenant, the console's desk or the command line."""

from __future__ import annotations

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
        """How decisions name who took them (first panel name, else the actor)."""
        return self.names[0] if self.names else self.actor

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
