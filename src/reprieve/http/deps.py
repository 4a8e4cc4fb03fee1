"""Request dependencies the API and the console share: the database, the instant a request is
handled at, and the ``Tenant`` that restricts what a principal sees to its operator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from reprieve.domain.errors import NotFoundError
from reprieve.services import Database, catalogue
from reprieve.services.callers import Caller, Clock, token_actor
from reprieve.services.tokens import Principal

# Dependencies that do no I/O are ``async``: FastAPI runs them on the event loop instead of
# sending each to the thread pool, which costs more than they do.


async def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_now(request: Request) -> datetime:
    """The instant this request is handled at: one reading of the app's clock per request."""
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


DbDep = Annotated[Database, Depends(get_db)]
Now = Annotated[datetime, Depends(get_now)]


@dataclass(frozen=True, slots=True)
class Tenant:
    """A principal and the operators it may see: every one (instance-admin) or its own."""

    principal: Principal
    db: Database

    @property
    def operators(self) -> list[str] | None:
        """The ``operators=`` restriction the services take; None: no restriction."""
        if self.principal.is_instance_admin:
            return None
        assert self.principal.operator is not None
        return [self.principal.operator]

    @property
    def actor(self) -> str:
        """How the event log names who acted: the token, by id only (``token:<id>``)."""
        return token_actor(self.principal.token_id)

    def caller(self, now: datetime | Clock | None = None) -> Caller:
        """The principal as the use cases take it, acting at ``now`` (an instant or a clock; a
        read needs none); on a review panel by its name or id."""
        return Caller(
            self.actor,
            names=(self.principal.name, self.principal.token_id),
            role=self.principal.role,
            now=now,
            operators=self.operators,
        )

    def sees(self, operator: str | None) -> bool:
        return self.principal.is_instance_admin or (operator is not None and operator == self.principal.operator)

    def require_operator(self, operator: str) -> str:
        if not self.sees(operator):
            raise NotFoundError(f"no operator {operator!r}")
        return operator

    def require_platform(self, platform_id: str) -> catalogue.PlatformView:
        return catalogue.get_platform(self.db, platform_id, caller=self.caller())

    def operator_filter(self, requested: str | None) -> str | None:
        """The operator a list is restricted to: the one asked for if visible, else the token's."""
        if requested is not None:
            return self.require_operator(requested)
        return self.principal.operator
