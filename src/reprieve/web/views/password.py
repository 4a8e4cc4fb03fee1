"""A member changes their own password."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from reprieve.domain.errors import ValidationError
from reprieve.services import members
from reprieve.web.auth import SESSION_COOKIE, Signed
from reprieve.web.i18n import request_language, translate
from reprieve.web.rendering import render
from reprieve.web.security import client_address, security_log_retention
from reprieve.web.views.common import FormDep, redirect
from reprieve.web.views.routing import console_router

router = console_router()

#: The refusals a member is shown in their language: (field, what the service said) -> key.
_MESSAGES = {
    ("current_password", members.LOCKED): "password.locked",
    ("current_password", members.NOT_YOUR_PASSWORD): "password.wrong",
    ("new_password", members.TOO_SHORT): "password.too_short",
    ("repeat_password", "the two new passwords differ"): "password.mismatch",
}


@router.get("/password", name="password")
def password_page(request: Request, desk: Signed) -> Response:
    return render(
        request,
        "password.html",
        error=None,
        done=request.query_params.get("done"),
        min_length=members.MIN_PASSWORD_LENGTH,
    )


@router.post("/password")
def change_password(request: Request, desk: Signed, form: FormDep) -> Response:
    current, new, repeat = (_field(form.get(name)) for name in ("current_password", "new_password", "repeat_password"))
    lang = request_language(request)
    try:
        if new != repeat:
            raise ValidationError("the two new passwords differ", field="repeat_password")
        members.change_password(
            desk.db,
            desk.member.id,
            current=current,
            new=new,
            keep_session=request.cookies.get(SESSION_COOKIE),
            now=desk.now,
            client=client_address(request),
            retention=security_log_retention(request),
        )
    except ValidationError as exc:
        key = _MESSAGES.get((exc.field or "", exc.message.partition(": ")[2]))
        message = translate(lang, key, length=members.MIN_PASSWORD_LENGTH) if key else exc.message
        return render(
            request, "password.html", status_code=400, error=message, done=None, min_length=members.MIN_PASSWORD_LENGTH
        )
    return redirect(request, "/console/password", done="password_changed")


def _field(value: object) -> str:
    return value if isinstance(value, str) else ""
