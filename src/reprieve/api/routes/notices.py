"""Notices (DSA art. 16) received from platforms on their users' behalf, and the cases they form."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from reprieve.api.deps import IDEMPOTENT, AsOf, AtIfGiven, ClockDep, Moderator, OpaqueId, Reader, allow
from reprieve.api.notice_schemas import (
    CaseDecidedOut,
    CaseOut,
    NoticeCreate,
    NoticeDecisionCreate,
    NoticeOut,
    NoticePage,
    NoticeReceivedOut,
)
from reprieve.api.problems import problem_responses
from reprieve.api.schemas import SLUG_PATTERN, Category
from reprieve.domain.appeals import HUMAN_DECIDERS
from reprieve.domain.model import Role
from reprieve.domain.notices import NoticeState
from reprieve.http.deps import Now, Tenant
from reprieve.services import notices

router = APIRouter(tags=["notices"])

PATH = "/v1/notices"
#: A platform files notices on its users' behalf (trusted flaggers' tokens come later).
FILER_ROLES = (Role.PLATFORM,)
NoticeFiler = Annotated[Tenant, Depends(allow(*FILER_ROLES))]


def sees_contact(tenant: Tenant) -> bool:
    """The notifier's name and e-mail are for the people who handle the notice."""
    return tenant.principal.role in HUMAN_DECIDERS


@router.post(
    PATH,
    status_code=201,
    response_model=NoticeReceivedOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 413),
    summary="Receive a notice (DSA art. 16): its receipt, and the case it joined",
)
def receive_notice(tenant: NoticeFiler, body: NoticeCreate, clock: ClockDep) -> dict[str, Any]:
    """422 naming the field for a missing art. 16(2) element; the notifier's name and e-mail may be
    left out only for illegal content in STATEMENT_CATEGORY_PROTECTION_OF_MINORS (art. 16(2)(c))."""
    return notices.receive_notice(tenant.db, body.to_command(), caller=tenant.caller(clock)).intake_json()


@router.get("/v1/notices", response_model=NoticePage, responses=problem_responses(), summary="List notices")
def list_notices(
    tenant: Reader,
    state: NoticeState | None = None,
    platform: Annotated[str | None, Query(pattern=SLUG_PATTERN)] = None,
    category: Annotated[Category | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_=-]{1,200}$")] = None,
    at: AtIfGiven = None,
    as_of: AsOf = None,
) -> dict[str, Any]:
    """Oldest first, without the notifiers' names and e-mails; `at`: as they stood then (a notice
    decided later reads open), `as_of`: as the events recorded by then knew them."""
    query = notices.ListNotices(state=state, platform=platform, category=category)
    page = notices.list_notices(
        tenant.db, query, caller=tenant.caller(), limit=limit, cursor=cursor, at=at, as_of=as_of
    )
    return page.to_json()


@router.get("/v1/notices/{notice_id}", response_model=NoticeOut, responses=problem_responses(), summary="A notice")
def get_notice(
    tenant: Reader, notice_id: OpaqueId, now: Now, at: AtIfGiven = None, as_of: AsOf = None
) -> dict[str, Any]:
    """To a moderator or an admin with the notifier's name and e-mail (a read the access log
    records); `at`, `as_of`: as it stood then, as known then (404 before it was received)."""
    return notices.get_notice(
        tenant.db, notice_id, caller=tenant.caller(now), include_contact=sees_contact(tenant), at=at, as_of=as_of
    ).to_json()


@router.get("/v1/cases/{case_id}", response_model=CaseOut, responses=problem_responses(), summary="A case")
def get_case(
    tenant: Reader,
    case_id: OpaqueId,
    now: Now,
    at: AtIfGiven = None,
    as_of: AsOf = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = notices.CASE_PAGE,
    cursor: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_=-]{1,200}$")] = None,
) -> dict[str, Any]:
    """A page of the case's notices, oldest first (``next_cursor`` for the next); to a moderator or
    an admin with the notifiers' names and e-mails; `at`, `as_of`: as it stood then, as known then
    (404 before it was opened)."""
    return notices.get_case(
        tenant.db,
        case_id,
        caller=tenant.caller(now),
        include_contact=sees_contact(tenant),
        at=at,
        as_of=as_of,
        limit=limit,
        cursor=cursor,
    ).to_json()


@router.post(
    "/v1/notices/{notice_id}/decision",
    response_model=CaseDecidedOut,
    dependencies=IDEMPOTENT,
    responses=problem_responses(403, 409, 413),
    summary="Decide a notice's case (DSA art. 16(5)): one action, a reply to each notifier",
)
def decide_notice(
    tenant: Moderator, notice_id: OpaqueId, body: NoticeDecisionCreate, clock: ClockDep
) -> dict[str, Any]:
    """Decides every open notice of the case together; 409 if the case is decided already. A
    decision made in the call is made as its own route makes it, its statement of reasons saying it
    was taken on a notice (art. 17(3)(b)) and naming only the notifiers in ``disclosures``."""
    command = body.to_command(notice_id)
    return notices.decide_case(tenant.db, command, caller=tenant.caller(clock)).decided_json()
