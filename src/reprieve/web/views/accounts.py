"""An account and its identity: standing on each platform, the timeline of every event, and the
form that imposes a sanction on it; and the search box that opens an account or a sanction."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Path, Query, Request
from starlette.responses import Response

from reprieve.domain.errors import NotFoundError, ReprieveError
from reprieve.domain.filters import SanctionFilter
from reprieve.domain.model import AccountRef, Role
from reprieve.services import catalogue, sanctions, standing
from reprieve.services.content import ListContent
from reprieve.services.views import SanctionView
from reprieve.web.auth import Desk, Signed
from reprieve.web.rendering import render
from reprieve.web.views.common import EMPTY_FORM, FormState, redirect, text
from reprieve.web.views.content import CONTENT_CHOICES, content_decisions_of, decide_defaults
from reprieve.web.views.routing import console_router
from reprieve.web.views.sanctions import FORM_CHOICES, SLUG, impose_defaults
from reprieve.web.views.timeline import content_entries, ordered, sanction_entries

router = console_router()

#: What a sanction's reference looks like (``snc_...``; the API's ids are at most 64 of these characters).
_SANCTION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: A bare handle: an account id as the platforms write it, without the ``platform/`` before it.
_HANDLE = re.compile(r"^[^\s/]{1,200}$")


@router.get("/accounts", name="find_account")
def find_account(request: Request, desk: Signed, q: Annotated[str, Query(max_length=264)] = "") -> Response:
    """The search box: ``platform/account`` opens that account's page, a sanction's reference opens
    the sanction, and a bare handle lists the accounts of that name on the member's platforms."""
    wanted = q.strip()
    at = request.query_params.get("at")
    if "/" in wanted:
        try:
            ref = AccountRef.parse(wanted, field="q")
            desk.tenant.require_platform(ref.platform)
        except ReprieveError:
            pass
        else:
            return redirect(request, f"/console/accounts/{ref.platform}/{ref.account}", at=at)
    elif wanted and _SANCTION_ID.match(wanted):
        try:
            sanctions.get_sanction(desk.db, wanted, at=desk.instant, caller=desk.caller, as_of=desk.as_of)
        except ReprieveError:
            pass
        else:
            return redirect(request, f"/console/sanctions/{wanted}", at=at)
    return render(request, "account_search.html", at=desk.at, q=wanted, **search(desk, wanted))


def search(desk: Desk, wanted: str) -> dict[str, Any]:
    """The accounts named ``wanted`` on the member's platforms (recorded ones first; an account
    never recorded is in good standing and its page can still be opened)."""
    handle = wanted.rpartition("/")[2] if "/" in wanted else wanted
    platforms = catalogue.list_platforms(desk.db, desk.tenant.operator_filter(None))
    found: list[dict[str, Any]] = []
    unrecorded: list[dict[str, Any]] = []
    if handle and _HANDLE.match(handle):
        refs: dict[str, AccountRef | None] = {}
        for platform in platforms:
            try:
                refs[platform.id] = AccountRef(platform.id, handle)
            except ReprieveError:  # pragma: no cover - a handle the model refuses
                refs[platform.id] = None
        recorded = catalogue.recorded_accounts(desk.db, [ref for ref in refs.values() if ref is not None])
        for platform in platforms:
            ref = refs[platform.id]
            row = recorded.get(ref) if ref is not None else None
            entry = {
                "platform": platform.id,
                "name": platform.name,
                "account": handle,
                "display_name": row.display_name if row else None,
            }
            (found if row else unrecorded).append(entry)
    return {"found": found, "unrecorded": unrecorded, "valid": bool(handle and _HANDLE.match(handle))}


def account_of_form(form: Any) -> AccountRef | None:
    """The account an impose form was sent for (its hidden ``subject``), None if it names none."""
    try:
        return AccountRef.parse(text(form, "subject", max_length=264), field="subject")
    except ReprieveError:
        return None


@router.get("/accounts/{platform}/{account}", name="account")
def account_page(
    request: Request,
    desk: Signed,
    platform: Annotated[str, Path(pattern=SLUG)],
    account: Annotated[str, Path(pattern=r"^[^\s/][^\s/]{0,199}$")],
) -> Response:
    return render_account(request, desk, AccountRef(platform, account))


def render_account(
    request: Request, desk: Desk, ref: AccountRef, refused: FormState = EMPTY_FORM, status_code: int = 200
) -> Response:
    """The account's page; ``refused``: the impose form refused, shown again as typed."""
    platform = ref.platform
    operator = desk.tenant.require_platform(platform).operator
    identity: catalogue.IdentityView | None
    try:
        row = catalogue.get_account(desk.db, ref)
        identity = catalogue.get_identity(desk.db, row.identity)
        display_name, display_name_erased = row.display_name, row.display_name_erased
    except NotFoundError:  # never registered: in good standing, nothing recorded yet
        identity, display_name, display_name_erased = None, None, False
    refs = list(identity.accounts) if identity is not None else [ref]
    standings = [standing.get_standing(desk.db, r, at=desk.instant, caller=desk.caller, as_of=desk.as_of) for r in refs]
    found: dict[str, SanctionView] = {}
    for r in refs:
        query = SanctionFilter(operators=desk.tenant.operators, account=str(r))
        for view in sanctions.list_sanctions(desk.db, query, at=desk.instant, limit=200, as_of=desk.as_of).items:
            found[view.id] = view
    entries = [entry for item in found.values() for entry in sanction_entries(desk, item)]
    # decisions on the items the account authored (on its platform, and its linked accounts')
    decided = [d for r in refs for d in content_decisions_of(desk, ListContent(account=str(r)))]
    entries += [entry for decision in decided for entry in content_entries(desk, decision)]
    platforms = catalogue.list_platforms(desk.db, operator)
    own = next((p for p in platforms if p.id == platform), None)
    return render(
        request,
        "account.html",
        status_code=status_code,
        at=desk.at,
        ref=ref,
        display_name=display_name,
        display_name_erased=display_name_erased,
        identity=identity,
        operator=operator,
        standings=standings,
        sanctions=sorted(found.values(), key=lambda s: s.starts_at, reverse=True),
        timeline=ordered(entries),
        platforms=platforms,
        choices=FORM_CHOICES,
        capabilities=sorted({c for p in platforms for c in p.capabilities if c != "appeal"}),
        may_act=desk.at is None and desk.may(Role.MODERATOR),
        done=request.query_params.get("done"),
        refused=refused,
        defaults=impose_defaults(own, desk.now.date().isoformat()),
        content_decisions=sorted(decided, key=lambda d: (d.starts_at, d.id), reverse=True),
        content_choices=CONTENT_CHOICES,
        decide=decide_defaults(desk, platform, account=ref.account),
    )
