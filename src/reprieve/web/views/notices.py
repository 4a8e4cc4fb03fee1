"""Notices (DSA art. 16; PRODUCT.md section 10): the list (open or decided, oldest first, by
category and platform, a page at a time from the store's cursor) and a case's page (the history of
the item or account it is about, and each of its notices).

The notifiers' names and e-mails are never in the list; a case's page shows them to the
operator's moderators and admins only, and their reading of the e-mails is recorded in the access
log (``services.notices.get_case``), as the API's read is.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request
from starlette.responses import Response

from reprieve.domain.appeals import HUMAN_DECIDERS
from reprieve.domain.errors import ValidationError
from reprieve.domain.filters import SanctionFilter
from reprieve.domain.model import AccountRef
from reprieve.domain.notices import AboutKind, NoticeState
from reprieve.domain.reason import CATEGORIES
from reprieve.services import access_log, catalogue, notices, sanctions
from reprieve.services.content import ListContent
from reprieve.services.notices import CaseView
from reprieve.web.auth import Desk, Signed
from reprieve.web.rendering import render
from reprieve.web.views.common import filter_choice
from reprieve.web.views.content import content_decisions_of, item_path
from reprieve.web.views.routing import console_router
from reprieve.web.views.sanctions import ANY_SLUG, ID
from reprieve.web.views.timeline import Entry, content_entries, ordered, sanction_entries

router = console_router()

#: Notices a page of the list shows.
PAGE_SIZE = 50
#: The list's tabs: the notices awaiting a decision, and those decided.
TABS = (NoticeState.OPEN.value, NoticeState.DECIDED.value)


def about_path(platform: str, kind: AboutKind, about: str) -> str:
    """The console's page of what a notice is about: the item's, or the account's."""
    return item_path(platform, about) if kind is AboutKind.ITEM else f"/console/accounts/{platform}/{about}"


@router.get("/notices", name="notices")
def notice_list(
    request: Request,
    desk: Signed,
    state: Annotated[str, Query(pattern=r"^(open|decided)$")] = NoticeState.OPEN.value,
    platform: Annotated[str | None, Query(pattern=ANY_SLUG)] = None,
    category: Annotated[str | None, Query(max_length=80)] = None,
    cursor: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_=-]{1,200}$")] = None,
) -> Response:
    if category and category not in CATEGORIES:
        raise ValidationError("must be a STATEMENT_CATEGORY_* value", field="category")
    query = notices.ListNotices(
        state=filter_choice(state, NoticeState, "state"), platform=platform or None, category=category or None
    )
    page = notices.list_notices(desk.db, query, caller=desk.caller, limit=PAGE_SIZE, cursor=cursor)
    return render(
        request,
        "notices.html",
        at=desk.at,
        page=page,
        tabs=TABS,
        platforms=[p.id for p in catalogue.list_platforms(desk.db, desk.tenant.operator_filter(None))],
        categories=sorted(CATEGORIES),
        chosen={"state": state, "platform": platform or "", "category": category or ""},
        about_path=about_path,
    )


@router.get("/cases/{case_id}", name="case")
def case_page(request: Request, desk: Signed, case_id: Annotated[str, Path(pattern=ID)]) -> Response:
    contact = desk.member.role in HUMAN_DECIDERS
    case = notices.get_case(desk.db, case_id, caller=desk.caller, include_contact=contact, via=access_log.CONSOLE)
    return render(
        request,
        "case.html",
        at=desk.at,
        case=case,
        subject_path=about_path(case.platform, case.about.kind, case.about.id),
        history=history_of(desk, case),
        shows_contact=contact,
    )


def history_of(desk: Desk, case: CaseView) -> list[Entry]:
    """What was decided on the case's subject, most recent first: an item's content decisions; an
    account's sanctions and the decisions on the items it authored (as its own page reads them)."""
    if case.about.kind is AboutKind.ITEM:
        decided = content_decisions_of(desk, ListContent(platform=case.platform, item=case.about.id))
        return ordered([entry for d in decided for entry in content_entries(desk, d)])
    ref = AccountRef(case.platform, case.about.id)
    query = SanctionFilter(operators=desk.tenant.operators, account=str(ref))
    found = sanctions.list_sanctions(desk.db, query, at=desk.instant, limit=200, as_of=desk.as_of).items
    entries = [entry for s in found for entry in sanction_entries(desk, s)]
    decided = content_decisions_of(desk, ListContent(account=str(ref)))
    return ordered(entries + [entry for d in decided for entry in content_entries(desk, d)])
