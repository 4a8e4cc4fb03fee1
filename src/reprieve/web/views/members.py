"""The members page: an operator's admins see its members, disable those who left, and enable
them again."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request
from starlette.responses import Response

from reprieve.domain.errors import ValidationError
from reprieve.services import members
from reprieve.web.auth import AdminDesk
from reprieve.web.rendering import render
from reprieve.web.views.common import FormDep, redirect, require_confirmation
from reprieve.web.views.routing import console_router

router = console_router()

MemberId = Annotated[str, Path(pattern=r"^mem_[0-9A-Z]{26}$")]


@router.get("/members", name="members")
def members_page(request: Request, desk: AdminDesk) -> Response:
    rows = members.list_members(desk.db, caller=desk.caller)
    return render(
        request,
        "members.html",
        at=desk.at,
        rows=rows,
        me=desk.member.id,
        may_act=desk.at is None,
        done=request.query_params.get("done"),
    )


@router.post("/members/{member_id}/disable", name="disable_member")
def disable(request: Request, desk: AdminDesk, member_id: MemberId, form: FormDep) -> Response:
    require_confirmation(form)
    if member_id == desk.member.id:
        raise ValidationError("you cannot disable yourself: ask another admin", field="member")
    members.disable_member(desk.db, member_id, caller=desk.caller)
    return redirect(request, "/console/members", done="member_disabled")


@router.post("/members/{member_id}/enable", name="enable_member")
def enable(request: Request, desk: AdminDesk, member_id: MemberId, form: FormDep) -> Response:
    require_confirmation(form)
    members.enable_member(desk.db, member_id, caller=desk.caller)
    return redirect(request, "/console/members", done="member_enabled")
