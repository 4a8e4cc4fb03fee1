"""Who is signed in to the console, and what their role lets them do: the console's ``deps``.

A view names the roles it admits with one of the aliases below (``Signed``, ``ModeratorDesk``...),
exactly as an API route does with ``Reader``/``Moderator``; it receives a ``Desk``: the member,
the ``Tenant`` that restricts every service call to the member's operator, the instant of the
request and the instant the page shows (``?at=``). Not signed in: a redirect to the sign-in page.
Another role: a 403 page, before anything is looked up or changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from reprieve.domain.model import Role
from reprieve.domain.roles import admitted as roles_admitted
from reprieve.domain.roles import may
from reprieve.http.deps import DbDep, Now, Tenant
from reprieve.services import Database
from reprieve.services.callers import Caller
from reprieve.services.members import Member, session_member
from reprieve.web.rendering import KNOWN, KNOWN_NOW, page_instant
from reprieve.web.security import SESSION_COOKIE as SESSION_COOKIE


class SignInRequired(Exception):
    """Raised when a console page is asked for without a valid session: answered by a redirect."""


class RoleRefused(Exception):
    """Raised when the signed-in member's role may not do what the page does: a 403 page."""

    def __init__(self, role: Role) -> None:
        super().__init__(f"role {role.value!r} may not do this")
        self.role = role


@dataclass(frozen=True, slots=True)
class Desk:
    """A signed-in member at work: who, what they may see, now, and the instant the page shows."""

    member: Member
    tenant: Tenant
    now: datetime
    at: datetime | None
    #: ``?known=now``: the page shows ``at`` as we know it now, rather than as it stood then
    known_now: bool = False

    @property
    def db(self) -> Database:
        return self.tenant.db

    @property
    def actor(self) -> str:
        return self.member.actor

    @property
    def instant(self) -> datetime:
        """The instant reads answer for: ``?at=`` or now."""
        return self.at or self.now

    @property
    def as_of(self) -> datetime | None:
        """The recording instant reads answer for (PRODUCT.md section 8): "as it stood on T" is
        ``at = as_of = T``; with ``?known=now``, or for an instant to come, now (None)."""
        if self.at is None or self.known_now or self.at >= self.now:
            return None
        return self.at

    @property
    def caller(self) -> Caller:
        """The member as the use cases take it, acting now; by name or id on a panel
        (``caller.at(clock)`` for a write read at the clock)."""
        member = self.member
        return replace(self.tenant.caller(self.now), actor=self.actor, names=(member.name, member.id), role=member.role)

    def may(self, *roles: Role) -> bool:
        """Whether the member may do what ``roles`` are for (``domain.roles``, as on the API)."""
        return may(self.member.role, *roles)

    @property
    def may_act_as_moderator(self) -> bool:
        """Whether the page offers a moderator's actions: the role, and the present (not ``?at=``)."""
        return self.at is None and self.may(Role.MODERATOR)


async def signed_in_member(request: Request, db: DbDep, now: Now) -> Member:
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        raise SignInRequired()
    member = await run_in_threadpool(partial(session_member, db, secret, now=now))
    if member is None:
        raise SignInRequired()
    request.state.member = member
    return member


def desk(*roles: Role) -> Callable[..., Awaitable[Desk]]:
    """A dependency admitting members of ``roles`` and of the roles that hold theirs
    (``domain.roles``: always an instance-admin, and an operator's admin wherever a moderator)."""
    admitted = roles_admitted(*roles)

    async def dependency(
        request: Request, db: DbDep, now: Now, member: Annotated[Member, Depends(signed_in_member)]
    ) -> Desk:
        if member.role not in admitted:
            raise RoleRefused(member.role)
        known_now = request.query_params.get(KNOWN) == KNOWN_NOW
        return Desk(member, Tenant(member.principal, db), now, page_instant(request), known_now)

    return dependency


ALL_MEMBERS = (Role.ADMIN, Role.MODERATOR, Role.REVIEWER, Role.AUDITOR)

#: Every member: reading pages.
Signed = Annotated[Desk, Depends(desk(*ALL_MEMBERS))]
#: Impose, amend, lift, open reviews, decide appeals, run amnesties (and so the operator's admin).
ModeratorDesk = Annotated[Desk, Depends(desk(Role.MODERATOR))]
#: Assess and decide reviews (the service checks the panel).
ReviewerDesk = Annotated[Desk, Depends(desk(Role.MODERATOR, Role.REVIEWER))]
#: Decide appeals (as on the API: moderators, and so admins).
AppealDeciderDesk = ModeratorDesk
#: The audit log and its verification.
AuditorDesk = Annotated[Desk, Depends(desk(Role.AUDITOR))]
#: The operator's members: see them, disable those who left.
AdminDesk = Annotated[Desk, Depends(desk(Role.ADMIN))]
