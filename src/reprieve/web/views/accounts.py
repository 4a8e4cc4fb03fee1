"""An account and its identity: standing on each platform, the timeline of every event, and the
form that imposes a sanction on it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request
from starlette.responses import Response

from reprieve.domain.errors import NotFoundError
from reprieve.domain.model import AccountRef, Role
from reprieve.services import catalogue, sanctions, standing
from reprieve.store.queries import SanctionFilter
from reprieve.web.auth import Signed
from reprieve.web.rendering import render
from reprieve.web.views.common import redirect
from reprieve.web.views.routing import console_router
from reprieve.web.views.sanctions import FORM_CHOICES, SLUG
from reprieve.web.views.timeline import ordered, sanction_entries

router = console_router()


@router.get("/accounts", name="find_account")
def find_account(request: Request, desk: Signed, q: Annotated[str, Query(max_length=264)] = "") -> Response:
    """The search box: ``platform/account`` opens that account's page."""
    ref = AccountRef.parse(q.strip())
    return redirect(request, f"/console/accounts/{ref.platform}/{ref.account}",
                    at=request.query_params.get("at"))


@router.get("/accounts/{platform}/{account}", name="account")
def account_page(
    request: Request,
    desk: Signed,
    platform: Annotated[str, Path(pattern=SLUG)],
    account: Annotated[str, Path(pattern=r"^[^\s/][^\s/]{0,199}$")],
) -> Response:
    ref = AccountRef(platform, account)
    operator = desk.tenant.require_platform(platform)["operator"]
    try:
        row = catalogue.get_account(desk.db, ref)
        identity = catalogue.get_identity(desk.db, row["identity"])
        display_name = row.get("display_name")
    except NotFoundError:  # never registered: in good standing, nothing recorded yet
        identity = {"id": None, "operator": operator, "accounts": [{"platform": platform, "account": account}]}
        display_name = None
    refs = [AccountRef(a["platform"], a["account"]) for a in identity["accounts"]]
    standings = [standing.get_standing(desk.db, r, at=desk.instant, operators=desk.tenant.operators) for r in refs]
    found: dict[str, dict[str, object]] = {}
    for r in refs:
        query = SanctionFilter(operators=desk.tenant.operators, account=str(r))
        for item in sanctions.list_sanctions(desk.db, query, at=desk.instant, limit=200)["items"]:
            found[item["id"]] = item
    entries = [entry for item in found.values() for entry in sanction_entries(desk, item)]
    platforms = catalogue.list_platforms(desk.db, operator)
    return render(
        request, "account.html", at=desk.at, ref=ref, display_name=display_name, identity=identity,
        standings=standings, sanctions=sorted(found.values(), key=lambda s: s["starts_at"], reverse=True),
        timeline=ordered(entries), platforms=platforms, choices=FORM_CHOICES,
        capabilities=sorted({c for p in platforms for c in p["capabilities"] if c != "appeal"}),
        may_act=desk.at is None and desk.may(Role.MODERATOR), done=request.query_params.get("done"),
    )
