"""What the views share: the due-process caller of a member, form fields, redirects with a notice."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData, ImmutableMultiDict
from starlette.requests import Request
from starlette.responses import RedirectResponse

from reprieve.domain.errors import ValidationError
from reprieve.domain.model import Role
from reprieve.domain.text import is_blank, refuse_controls, trim
from reprieve.services.due_process import Caller
from reprieve.web.auth import Desk
from reprieve.web.security import apply_cookies


def caller_of(desk: Desk) -> Caller:
    """How due process sees a member: by name or id on a panel, with the member's role (as a token)."""
    member = desk.member
    return Caller(desk.actor, names=(member.name, member.id), role=member.role)


def sees_contact(desk: Desk) -> bool:
    """An appeal's requester's contact: shown to moderators and admins only (as on the API)."""
    return desk.may(Role.MODERATOR)


async def form_of(request: Request) -> FormData:
    return await request.form()


def text(form: ImmutableMultiDict[str, Any], name: str, *, max_length: int = 10_000, multiline: bool = True) -> str:
    """A form field, trimmed as the Transparency Database trims (blank is ``""``, i.e. missing);
    control characters (NUL among them) are refused as on the API, tab and line breaks only in a
    ``multiline`` field."""
    value = form.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError("must be text", field=name)
    if len(value) > max_length:
        raise ValidationError(f"at most {max_length} characters", field=name)
    return trim(refuse_controls(value, field=name, multiline=multiline))


def optional(form: ImmutableMultiDict[str, Any], name: str, *, max_length: int = 10_000) -> str | None:
    return text(form, name, max_length=max_length) or None


def values(form: ImmutableMultiDict[str, Any], name: str) -> list[str]:
    """The non-blank values of a repeated field, trimmed; a control character is refused."""
    given = [v for v in form.getlist(name) if isinstance(v, str)]
    return [trim(v) for v in given if not is_blank(refuse_controls(v, field=name, multiline=False))]


def require_confirmation(form: ImmutableMultiDict[str, Any]) -> None:
    """Every action of the console stands behind a confirmation box (checked here, not only in HTML)."""
    if form.get("confirm") != "yes":
        raise ValidationError("tick the confirmation box to go ahead", field="confirm")


def page_instant_value(value: str | None) -> str | None:
    """A ``datetime-local`` field (``2024-06-01T12:00``) as an RFC 3339 instant in UTC; None if empty."""
    if not value:
        return None
    if len(value) in (16, 19) and "T" in value and not value.endswith(("Z", "z")) and "+" not in value[10:]:
        return value + "Z"
    return value


def redirect(request: Request, path: str, **query: Any) -> RedirectResponse:
    """Back to a page after a change (303), with ``?done=`` naming what was done."""
    params = {k: v for k, v in query.items() if v is not None}
    target = path + ("?" + urlencode(params) if params else "")
    return apply_cookies(request, RedirectResponse(target, status_code=303))


def back_or(form: ImmutableMultiDict[str, Any], default: str) -> str:
    """Where a form asked to go back to (a console page only), else ``default``."""
    back = form.get("back")
    if isinstance(back, str) and back.startswith("/console/") and "//" not in back and len(back) < 300:
        return back
    return default
