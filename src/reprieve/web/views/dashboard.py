"""The dashboard: what needs attention, at a glance."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from reprieve.web.auth import Signed
from reprieve.web.rendering import render
from reprieve.web.views.routing import console_router

router = console_router()


@router.get("", name="dashboard")
def dashboard(request: Request, desk: Signed) -> Response:
    return render(request, "dashboard.html", at=desk.at)
