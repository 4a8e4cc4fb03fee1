"""The amnesty wizard: filters, then the preview (count and sample), then confirmation by typing
the count, then a live progress bar (htmx polls the progress fragment), then the result with a
revert button. The work runs in the background (``runtime.amnesty.run_in_background``)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Path, Request
from starlette.datastructures import ImmutableMultiDict
from starlette.responses import Response

from reprieve.domain.amnesty import AmnestyState, Covers, make_filter
from reprieve.domain.content import ContentKind
from reprieve.domain.errors import ConflictError, ValidationError
from reprieve.domain.model import SanctionKind
from reprieve.domain.reason import CATEGORIES
from reprieve.domain.text import is_blank, trim
from reprieve.runtime import amnesty as amnesty_runner
from reprieve.services import amnesty, audit, catalogue
from reprieve.web.auth import Desk, ModeratorDesk, Signed
from reprieve.web.rendering import render
from reprieve.web.views.common import (
    EMPTY_FORM,
    FORM_ERRORS,
    FormDep,
    FormState,
    page_instant_value,
    redirect,
    refused_page,
    require_confirmation,
    text,
    typed_of,
    values,
)
from reprieve.web.views.routing import console_router

router = console_router()

AmnestyId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
#: States in which the page keeps polling the progress.
MOVING = (AmnestyState.RUNNING.value, AmnestyState.REVERTING.value)


def operator_of(desk: Desk, fields: ImmutableMultiDict[str, Any]) -> str:
    """The member's operator; an instance-admin names one."""
    if desk.member.operator is not None:
        return desk.member.operator
    chosen = text(fields, "operator", max_length=63)
    if not chosen:
        raise ValidationError("choose the operator whose sanctions the amnesty lifts", field="operator")
    return chosen


def filter_of(fields: ImmutableMultiDict[str, Any]) -> dict[str, Any]:
    """The amnesty's filter, as the wizard's fields give it (the same names at every step)."""
    policies = [trim(p) for p in text(fields, "exclude_policies", max_length=2000).split(",") if not is_blank(p)]
    return {
        "platforms": values(fields, "platforms") or None,
        "kinds": values(fields, "kinds") or None,
        "started_before": page_instant_value(text(fields, "started_before", max_length=40) or None),
        "exclude_categories": values(fields, "exclude_categories") or None,
        "exclude_policies": policies or None,
        "covers": text(fields, "covers", max_length=20) or None,
        "content_kinds": values(fields, "content_kinds") or None,
    }


def choices(desk: Desk) -> dict[str, Any]:
    operator = desk.tenant.operator_filter(None)
    return {
        "platforms": catalogue.list_platforms(desk.db, operator),
        "operators": [o.id for o in catalogue.list_operators(desk.db)] if operator is None else [operator],
        "kinds": [kind.value for kind in SanctionKind],
        "covers": [c.value for c in Covers],
        "content_kinds": [k.value for k in ContentKind],
        "categories": sorted(CATEGORIES),
    }


#: The filters' fields and the ids of their elements on the page (the error summary links to them).
FILTER_FIELDS = {
    "operator": "a-operator",
    "platforms": "a-platforms",
    "kinds": "a-kinds",
    "started_before": "a-before",
    "exclude_categories": "a-categories",
    "exclude_policies": "a-policies",
    "covers": "a-covers",
    "content_kinds": "a-content-kinds",
    "reason": "a-reason",
}
CONFIRM_FIELDS = {"typed_count": "typed-count", "confirm": "amnesty-confirm-box"}


@router.get("/amnesties", name="amnesties")
def amnesty_list(request: Request, desk: Signed) -> Response:
    """The amnesties, and the wizard's filters: filled in again when the preview sends back to them."""
    given = typed_of(request.query_params)
    state = FormState("amnesty", given) if any(k in FILTER_FIELDS for k in given) else EMPTY_FORM
    return _amnesty_list(request, desk, state)


def _amnesty_list(request: Request, desk: Desk, refused: FormState, status_code: int = 200) -> Response:
    items = amnesty.list_amnesties(desk.db, caller=desk.caller)
    return render(
        request,
        "amnesties.html",
        status_code=status_code,
        at=desk.at,
        items=items,
        choices=choices(desk),
        may_act=desk.may_act_as_moderator,
        refused=refused,
    )


@router.get("/amnesties/preview", name="amnesty_preview")
def amnesty_preview(request: Request, desk: ModeratorDesk) -> Response:
    fields = request.query_params
    try:
        operator = operator_of(desk, fields)
        chosen = filter_of(fields)
        reason = text(fields, "reason", max_length=2000)
        if not reason:
            raise ValidationError("say why: the reason is recorded with every lift", field="reason")
        result = amnesty.preview(desk.db, make_filter(operator, **chosen), caller=desk.caller)
    except FORM_ERRORS as exc:
        return refused_page(
            request,
            "amnesty",
            fields,
            exc,
            FILTER_FIELDS,
            lambda state, status: _amnesty_list(request, desk, state, status),
        )
    return _preview_page(request, operator, reason, result, fields, EMPTY_FORM)


def _preview_page(
    request: Request,
    operator: str,
    reason: str,
    result: amnesty.AmnestyPreview,
    fields: Any,
    refused: FormState,
    status_code: int = 200,
) -> Response:
    carried = [(k, v) for k, v in fields.multi_items() if k in FILTER_FIELDS and isinstance(v, str)]
    back = "/console/amnesties?" + urlencode(carried) if carried else "/console/amnesties"
    return render(
        request,
        "amnesty_preview.html",
        status_code=status_code,
        operator=operator,
        reason=reason,
        result=result,
        hidden=carried,
        back=back,
        refused=refused,
    )


@router.post("/amnesties", name="amnesty_start")
def amnesty_start(request: Request, desk: ModeratorDesk, form: FormDep) -> Response:
    operator = operator_of(desk, form)
    f = make_filter(operator, **filter_of(form))
    matched = amnesty.preview(desk.db, f, caller=desk.caller)
    try:
        require_confirmation(form)
        typed = text(form, "typed_count", max_length=20)
        if typed != str(matched.matched):
            raise ConflictError(
                f"type the number of sanctions to lift ({matched.matched}) to confirm; "
                "if it changed since the preview, look at the preview again"
            )
    except FORM_ERRORS as exc:
        if isinstance(exc, ConflictError):
            exc = ValidationError(exc.message, field="typed_count")
        reason = text(form, "reason", max_length=2000)
        return refused_page(
            request,
            "amnesty_confirm",
            form,
            exc,
            CONFIRM_FIELDS,
            lambda state, status: _preview_page(
                request, operator, reason, matched, form, state, 409 if status == 400 else status
            ),
        )
    started = amnesty.start(desk.db, f, reason=text(form, "reason", max_length=2000), caller=desk.caller)
    amnesty_runner.run_in_background(desk.db, started.id)
    return redirect(request, f"/console/amnesties/{started.id}")


@router.get("/amnesties/{amnesty_id}", name="amnesty")
def amnesty_page(request: Request, desk: Signed, amnesty_id: AmnestyId) -> Response:
    item = amnesty.get(desk.db, amnesty_id, caller=desk.caller)
    names = audit.resolve_actors(desk.db, [item.created_by])
    return render(request, "amnesty.html", item=item, names=names, moving=MOVING, may_act=desk.may_act_as_moderator)


@router.get("/amnesties/{amnesty_id}/progress", name="amnesty_progress")
def amnesty_progress(request: Request, desk: Signed, amnesty_id: AmnestyId) -> Response:
    """The progress fragment the page polls while the amnesty runs (and stops polling once done)."""
    item = amnesty.get(desk.db, amnesty_id, caller=desk.caller)
    return render(request, "_amnesty_progress.html", item=item, moving=MOVING, may_act=desk.may_act_as_moderator)


@router.post("/amnesties/{amnesty_id}/revert", name="amnesty_revert")
def amnesty_revert(request: Request, desk: ModeratorDesk, amnesty_id: AmnestyId, form: FormDep) -> Response:
    require_confirmation(form)
    amnesty.revert(
        desk.db,
        amnesty_id,
        reason=text(form, "reason", max_length=2000),
        caller=desk.caller,
    )
    amnesty_runner.run_in_background(desk.db, amnesty_id)
    return redirect(request, f"/console/amnesties/{amnesty_id}")
