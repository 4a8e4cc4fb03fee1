"""Typed dependencies of the routes: the database, the clock, who is asking, and what they may see.

Access control lives here and nowhere else. A route names the roles it admits with one of the
``Tenant`` aliases (``Reader``, ``Moderator``...): a token of any other role gets 403 before
anything is looked up. The ``Tenant`` it receives then restricts every read and write to the
token's operator, so that what belongs to another operator answers 404, exactly as what
does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from reprieve.api.enforcement import Enforcement
from reprieve.api.middleware import SECRET_FIELDS
from reprieve.api.problems import Unauthenticated
from reprieve.api.schemas import ACCOUNT_PATH_PATTERN, SLUG_PATTERN, Instant
from reprieve.domain.errors import ForbiddenError, ValidationError
from reprieve.domain.model import Role
from reprieve.domain.roles import admitted as roles_admitted
from reprieve.domain.time import parse_instant
from reprieve.http.deps import DbDep, Now, Tenant
from reprieve.runtime.group_commit import GroupCommitter
from reprieve.services import Clock, Database
from reprieve.services.catalogue import PlatformView
from reprieve.services.tokens import Principal, authenticate, remembered_principal

# --- the database, the clock, the enforcement answers ------------------------------------
# Dependencies that do no I/O are ``async``: FastAPI runs them on the event loop instead of
# sending each to the thread pool, which costs more than they do.


async def get_clock(request: Request) -> Clock:
    """The app's clock itself, for a write that reads it once it holds the write lock
    (``UnitOfWork``): its instant is then that of the state it is judged against."""
    clock: Clock = request.app.state.clock
    return clock


async def get_enforcement(request: Request) -> Enforcement:
    enforcement: Enforcement = request.app.state.enforcement
    return enforcement


async def get_committer(request: Request) -> GroupCommitter | None:
    """The process's group-commit writer; None when each write commits on its own."""
    committer: GroupCommitter | None = request.app.state.committer
    return committer


CommitterDep = Annotated[GroupCommitter | None, Depends(get_committer)]
ClockDep = Annotated[Clock, Depends(get_clock)]
EnforcementDep = Annotated[Enforcement, Depends(get_enforcement)]


async def instant_query(
    now: Now,
    at: Annotated[Instant | None, Query(description="answer for this instant (RFC 3339); default: now")] = None,
) -> datetime:
    return parse_instant(at, field="at") if at is not None else now


#: ``If-Match: "<version>"`` (RFC 9110 section 13.1.1): one strong entity tag of decimal digits, or ``*``.
_ENTITY_TAG = re.compile(r'"([0-9]{1,18})"')


async def if_match(
    value: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='`"<version>"` as the answer\'s `version` or `ETag` gave it: the change is made only '
            "if nothing changed since, else 412 and nothing is written; `*`: any version",
        ),
    ] = None,
) -> int | None:
    """The version an ``If-Match`` names; None without one (or ``*``, which any existing record matches)."""
    if value is None:
        return None
    text = value.strip()
    if text == "*":
        return None
    match = _ENTITY_TAG.fullmatch(text)
    if match is None:
        raise ValidationError(
            f'{value[:80]!r} is not a version as the ETag gives it: send If-Match: "<version>", e.g. "42", or *',
            field="If-Match",
        )
    return int(match.group(1))


#: The version a conditional change was based on (``If-Match``); None: unconditional.
IfMatch = Annotated[int | None, Depends(if_match)]

#: ``?at=``: the instant a read answers for.
At = Annotated[datetime, Depends(instant_query)]


async def at_if_given_query(
    at: Annotated[
        Instant | None, Query(description="as it stood at this instant (RFC 3339); default: as it stands")
    ] = None,
) -> datetime | None:
    return parse_instant(at, field="at") if at is not None else None


#: ``?at=`` on a read of records that change (appeals, reviews): as they stood then, in the
#: world (valid time); None: as they stand.
AtIfGiven = Annotated[datetime | None, Depends(at_if_given_query)]


async def as_of_query(
    now: Now,
    as_of: Annotated[
        Instant | None,
        Query(
            description="as Reprieve knew it at this instant (RFC 3339), from the events recorded by then; "
            "default: now. Not in the future (422)"
        ),
    ] = None,
) -> datetime | None:
    return record_instant(as_of, now=now)


def record_instant(value: str | None, *, now: datetime) -> datetime | None:
    """``as_of`` (record time, PRODUCT.md section 8) as an instant; None for now (or no value).
    A future ``as_of`` is refused: what will be recorded by then is not known yet."""
    if value is None:
        return None
    as_of = parse_instant(value, field="as_of")
    if as_of > now:
        raise ValidationError(f"{value} is in the future: as_of is when Reprieve knew it, at most now", field="as_of")
    return None if as_of == now else as_of


#: ``?as_of=``: the recording instant a read answers for (None: now, from every event).
AsOf = Annotated[datetime | None, Depends(as_of_query)]

# --- who is asking -----------------------------------------------------------------------

_bearer = HTTPBearer(auto_error=False, description="an API token: `Authorization: Bearer rpv_...`")


async def current_principal(
    db: DbDep,
    now: Now,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Who the bearer token stands for. A token found valid less than a second ago is taken from
    memory, on the event loop (``services.tokens.PrincipalCache``: a revocation in another
    process is seen within that second, in this one at once); otherwise it is looked up in the
    database, in the thread pool."""
    if credentials is None:
        raise Unauthenticated("send a token: Authorization: Bearer <token>")
    secret = credentials.credentials
    try:
        principal = remembered_principal(db, secret, now=now)
        if principal is None:
            principal = await run_in_threadpool(partial(authenticate, db, secret, now=now))
    except ForbiddenError as exc:
        raise Unauthenticated(exc.message) from None
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]

# --- what they may see -------------------------------------------------------------------


def allow(*roles: Role) -> Callable[[Principal, Database], Awaitable[Tenant]]:
    """A dependency admitting ``roles`` and the roles that hold theirs (``domain.roles``: always
    instance-admin, and an operator's admin wherever a moderator); others get 403."""
    admitted = roles_admitted(*roles)

    async def tenant(principal: CurrentPrincipal, db: DbDep) -> Tenant:
        if principal.role not in admitted:
            raise ForbiddenError(f"a token with role {principal.role.value!r} may not do this")
        return Tenant(principal, db)

    return tenant


def allow_only(*roles: Role) -> Callable[[Principal, Database], Awaitable[Tenant]]:
    """A dependency admitting exactly ``roles``, not the roles that hold theirs: for what only a
    machine client is served (a statement's delivery copy, with its appeal code); others get 403."""

    async def tenant(principal: CurrentPrincipal, db: DbDep) -> Tenant:
        if principal.role not in roles:
            raise ForbiddenError(f"a token with role {principal.role.value!r} may not do this")
        return Tenant(principal, db)

    return tenant


#: Reads: every role, within its operator.
Reader = Annotated[Tenant, Depends(allow(*Role))]
InstanceAdmin = Annotated[Tenant, Depends(allow())]
#: Platforms, tokens (and members, later) of the admin's operator.
OperatorAdmin = Annotated[Tenant, Depends(allow(Role.ADMIN))]
#: Decisions on sanctions: impose, amend, lift (and so the operator's admin too).
Moderator = Annotated[Tenant, Depends(allow(Role.MODERATOR))]
#: Importing history (``POST /v1/imports``): the platform's machines and the operator's admin,
#: never a moderator's token (a decision of today is imposed, not imported backdated).
Importer = Annotated[Tenant, Depends(allow(Role.PLATFORM, Role.ADMIN))]
#: Registering accounts: the people who manage the catalogue and the platforms' machines.
AccountWriter = Annotated[Tenant, Depends(allow(Role.MODERATOR, Role.PLATFORM))]
#: Linking accounts into identities changes what a sanction reaches: no machine client does it.
IdentityLinker = Annotated[Tenant, Depends(allow(Role.MODERATOR))]
#: The audit log.
Auditor = Annotated[Tenant, Depends(allow(Role.AUDITOR))]

# --- resources named in the path ---------------------------------------------------------

PlatformId = Annotated[str, Path(pattern=SLUG_PATTERN, examples=["facebook"])]
AccountInPath = Annotated[str, Path(pattern=ACCOUNT_PATH_PATTERN, examples=["DonaldTrump"])]
OpaqueId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def visible_platform(platform: PlatformId, tenant: Reader) -> PlatformView:
    return tenant.require_platform(platform)


#: The platform named by ``{platform}`` in the path; 404 if it is another operator's.
VisiblePlatform = Annotated[PlatformView, Depends(visible_platform)]


async def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            pattern=r"^[!-~]{1,255}$",
            description="a retry with the same key and body gets the first answer again; "
            "the same key with another body gets 422",
        ),
    ] = None,
) -> None:
    """Documents the header: the ``Idempotency`` middleware does the work before any route runs."""


#: ``dependencies=`` of every POST route.
IDEMPOTENT = [Depends(idempotency_key)]


def shown_once(*fields: str) -> Any:
    """A route dependency naming the fields of its answer that hold a secret shown only once:
    the idempotency middleware keeps the answer without them."""

    async def mark(request: Request) -> None:
        setattr(request.state, SECRET_FIELDS, fields)

    return Depends(mark)
