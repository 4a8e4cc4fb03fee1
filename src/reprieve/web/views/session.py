"""Signing in and out of the console."""

from __future__ import annotations

import math
from functools import partial
from typing import Annotated

from fastapi import Form, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from reprieve.http.deps import DbDep, Now
from reprieve.services import members
from reprieve.web.auth import SESSION_COOKIE, Signed
from reprieve.web.i18n import request_language, translate
from reprieve.web.rendering import render
from reprieve.web.security import (
    apply_cookies,
    client_address,
    queue_cookie,
    renew_csrf_token,
    security_log_retention,
)
from reprieve.web.views.routing import console_router

router = console_router()


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a console path only (never another site)."""
    if target and target.startswith("/console") and not target.startswith("/console/sign-"):
        return target
    return "/console"


@router.get("/sign-in", name="sign_in_page")
def sign_in_page(request: Request, next: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    return render(request, "sign_in.html", next=safe_next(next), error=None, email="")


@router.post("/sign-in")
async def sign_in(
    request: Request,
    db: DbDep,
    now: Now,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    try:
        _member, secret = await run_in_threadpool(
            partial(
                members.sign_in,
                db,
                email=email,
                password=password,
                now=now,
                client=client_address(request),
                retention=security_log_retention(request),
            )
        )
    except members.SignInThrottled as exc:
        # Too many failures: 429, and when to try again (the server does not sleep).
        message = translate(request_language(request), "sign_in.locked", minutes=math.ceil(exc.retry_after / 60))
        response = render(request, "sign_in.html", status_code=429, next=safe_next(next), error=message, email=email)
        response.headers["retry-after"] = str(exc.retry_after)
        return response
    except members.SignInRefused:
        message = translate(request_language(request), "sign_in.wrong")
        return render(request, "sign_in.html", status_code=401, next=safe_next(next), error=message, email=email)
    renew_csrf_token(request)
    queue_cookie(request, SESSION_COOKIE, secret, max_age=int(members.SESSION_TTL.total_seconds()))
    return apply_cookies(request, RedirectResponse(safe_next(next), status_code=303))


@router.post("/sign-out")
async def sign_out(request: Request, desk: Signed) -> Response:
    secret = request.cookies.get(SESSION_COOKIE, "")
    await run_in_threadpool(partial(members.sign_out, desk.db, secret))
    queue_cookie(request, SESSION_COOKIE, None)
    return apply_cookies(request, RedirectResponse("/console/sign-in", status_code=303))
