"""Sanctions: the list, one sanction's page (term, scope, reason, statement of reasons, history),
and the moderator's actions on it: impose, amend, lift, open a review."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Path, Query, Request
from starlette.responses import HTMLResponse, Response

from reprieve.domain.errors import NotFoundError, PreconditionFailedError, ReprieveError, ValidationError
from reprieve.domain.filters import SanctionFilter
from reprieve.domain.model import AccountRef, PlatformKind, Role, SanctionKind, SanctionState
from reprieve.domain.reason import CATEGORIES, AutomatedDecision, Ground, Source
from reprieve.domain.sanctions import UNSET, Unset
from reprieve.domain.text import is_blank, trim
from reprieve.domain.time import parse_duration_input
from reprieve.dsa import enums as dsa_enums
from reprieve.dsa.statement import parse_lang
from reprieve.services import catalogue, deliveries, reviews, sanctions, statements, transparency
from reprieve.services.catalogue import PlatformView
from reprieve.web.auth import Desk, ModeratorDesk, Signed
from reprieve.web.i18n import request_language
from reprieve.web.rendering import render
from reprieve.web.views.common import (
    EMPTY_FORM,
    FORM_ERRORS,
    Checks,
    FormDep,
    FormState,
    back_or,
    filter_choice,
    optional,
    page_instant_value,
    redirect,
    refused_page,
    require_confirmation,
    term_of,
    text,
    typed_of,
    values,
)
from reprieve.web.views.routing import console_router
from reprieve.web.views.timeline import ordered, sanction_entries

router = console_router()

SLUG = r"^[a-z0-9][a-z0-9._-]{0,62}$"
#: A list filter's platform: a slug, or empty for "any" (the form's first option).
ANY_SLUG = r"^(|[a-z0-9][a-z0-9._-]{0,62})$"
ID = r"^[A-Za-z0-9_-]{1,64}$"
SanctionId = Annotated[str, Path(pattern=ID)]
FORM_CHOICES = {
    "kinds": [kind.value for kind in SanctionKind],
    "categories": sorted(CATEGORIES),
    "grounds": [ground.value for ground in Ground],
    "sources": [source.value for source in Source],
    # CONTENT_TYPE_OTHER needs a description the form does not ask for: not offered.
    "content_types": sorted(dsa_enums.CONTENT_TYPES - {"CONTENT_TYPE_OTHER"}),
    "countries": sorted(dsa_enums.EEA_COUNTRIES),
    "decisions": [decision.value for decision in AutomatedDecision],
    "presets": ["P1D", "P7D", "P30D", "P1Y", "indefinite"],
}


def impose_defaults(platform: PlatformView | None, today: str) -> dict[str, Any]:
    """What the impose form proposes for the DSA's fields on ``platform``: from its policy where it
    says (automation, review), else from the platform's kind (the content type); the content's
    date is ``today`` (the Transparency Database requires one)."""

    def part(data: Any, key: str) -> dict[str, Any]:
        found = data.get(key)
        return found if isinstance(found, dict) else {}

    policy = platform.policy if platform is not None else {}
    automated, reviews = part(policy, "automated"), part(policy, "reviews")
    app_store = platform is not None and platform.kind is PlatformKind.APP_STORE
    content = "CONTENT_TYPE_APP" if app_store else "CONTENT_TYPE_TEXT"
    return {
        "content_type": [content],
        "content_date": today,
        "automated_detection": "yes" if automated.get("detection") is True else "",
        "automated_decision": str(automated.get("decision") or "not_automated"),
        "review_after": str(reviews.get("after") or ""),
    }


@router.get("/sanctions", name="sanctions")
def sanction_list(
    request: Request,
    desk: Signed,
    platform: Annotated[str | None, Query(pattern=ANY_SLUG)] = None,
    account: Annotated[str | None, Query(max_length=264)] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    state: Annotated[str | None, Query(max_length=40)] = None,
    category: Annotated[str | None, Query(pattern=r"^[A-Z0-9_]{0,80}$")] = None,
    cursor: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_=-]{1,200}$")] = None,
) -> Response:
    query = SanctionFilter(
        operator=desk.tenant.operator_filter(None),
        operators=desk.tenant.operators,
        platform=platform or None,
        account=account or None,
        kind=filter_choice(kind, SanctionKind, "kind"),
        state=filter_choice(state, SanctionState, "state"),
        category=category or None,
    )
    page = sanctions.list_sanctions(desk.db, query, at=desk.instant, limit=50, cursor=cursor, as_of=desk.as_of)
    operator = desk.tenant.operator_filter(None)
    return render(
        request,
        "sanctions.html",
        at=desk.at,
        page=page,
        choices=FORM_CHOICES,
        platforms=[p.id for p in catalogue.list_platforms(desk.db, operator)],
        states=[s.value for s in SanctionState],
        chosen={
            "platform": platform or "",
            "account": account or "",
            "kind": query.kind.value if query.kind else "",
            "state": query.state.value if query.state else "",
            "category": category or "",
        },
    )


def statement_for(desk: Desk, sanction_id: str, lang: str) -> dict[str, Any] | None:
    try:
        language = parse_lang(lang)
        return transparency.statement_of_reasons(
            desk.db, sanction_id, language=language, caller=desk.caller.at(desk.instant), as_of=desk.as_of
        )
    except ReprieveError:
        return None


@router.get("/sanctions/{sanction_id}/statements/{statement_id}", name="issued_statement")
def issued_statement_page(desk: Signed, sanction_id: SanctionId, statement_id: SanctionId) -> Response:
    """A statement of reasons exactly as it was issued: its page, as first made, byte for byte."""
    found = statements.rendered_statement(desk.db, statement_id, caller=desk.caller.at(desk.now))
    if found.view.sanction != sanction_id:
        raise NotFoundError(f"no statement {statement_id!r} of sanction {sanction_id!r}")
    return HTMLResponse(found.page.encode())


@router.get("/sanctions/{sanction_id}", name="sanction")
def sanction_page(request: Request, desk: Signed, sanction_id: SanctionId) -> Response:
    return _sanction_page(request, desk, sanction_id)


def _sanction_page(
    request: Request, desk: Desk, sanction_id: str, *, refused: FormState = EMPTY_FORM, status_code: int = 200
) -> Response:
    """The sanction's page; ``refused``: an action refused, shown again as typed with its error
    beside its field, or, when the sanction changed since the page showed it (``changed_since``),
    with the sanction as it is now."""
    sanction = sanctions.get_sanction(desk.db, sanction_id, at=desk.instant, caller=desk.caller, as_of=desk.as_of)
    return render(
        request,
        "sanction.html",
        status_code=status_code,
        at=desk.at,
        sanction=sanction,
        statement=statement_for(desk, sanction_id, request_language(request)),
        issued=statements.statements_of(desk.db, sanction_id, caller=desk.caller, as_of=desk.as_of),
        informed=deliveries.informed_of(desk.db, sanction_id, caller=desk.caller, at=desk.instant, as_of=desk.as_of),
        history=ordered(sanction_entries(desk, sanction)),
        choices=FORM_CHOICES,
        may_act=desk.at is None and desk.may(Role.MODERATOR),
        done=request.query_params.get("done"),
        refused=refused,
    )


def version_of(form: Any) -> int | None:
    """The version of the sanction the form was shown with (its hidden ``version`` field)."""
    value = optional(form, "version", max_length=40)
    if value is None:
        return None
    if re.fullmatch(r"[0-9]{1,18}", value) is None:
        raise ValidationError("not a version of the sanction; open its page again", field="version")
    return int(value)


def changed_since(request: Request, desk: Desk, sanction_id: str, action: str, form: Any) -> Response:
    """The sanction as it is now, with the message that it changed since it was shown and what was
    typed in the refused form kept in it (412: nothing was written)."""
    state = FormState(action, typed_of(form), target=sanction_id, changed_since=True)
    return _sanction_page(request, desk, sanction_id, refused=state, status_code=412)


#: Each form's fields and the ids of their elements on the page (the error summary links to them).
IMPOSE_FIELDS = {  # in the page's order: the error summary lists them so
    "kind": "impose-kind",
    "scope": "impose-scope",
    "denies": "impose-denies",
    "term": "impose-term",
    "duration": "impose-duration",
    "ends_at": "impose-ends",
    "review_after": "impose-review",
    "hold_until_review": "impose-hold",
    "content_type": "impose-content-type",
    "content_date": "impose-content-date",
    "territorial_scope": "impose-territory",
    "automated_detection": "impose-detection",
    "automated_decision": "impose-decision",
    "policy": "impose-policy",
    "ground": "impose-ground",
    "legal_or_contractual_ground": "impose-legal",
    "category": "impose-category",
    "explanation": "impose-explanation",
    "facts": "impose-facts",
    "source": "impose-source",
    "confirm": "impose-confirm",
}


def action_fields(action: str, prefix: str = "") -> dict[str, str]:
    """The fields of the amend, lift and review forms of a sanction (``prefix``: of its forms on the page)."""
    names = {
        "amend": {
            "ends_at": "ends",
            "indefinite": "indefinite",
            "hold_until_review": "hold",
            "kind": "kind",
            "effective_at": "effective",
            "backdated_reason": "backdated",
            "reason": "reason",
            "confirm": "confirm",
            "version": "reason",
        },
        "lift": {
            "effective_at": "effective",
            "backdated_reason": "backdated",
            "reason": "reason",
            "confirm": "confirm",
            "version": "reason",
        },
        "review": {"panel": "panel", "reason": "reason", "confirm": "confirm"},
    }[action]
    return {name: f"{prefix}{action}-{suffix}" for name, suffix in names.items()}


def reason_of(form: Any) -> dict[str, Any]:
    """The DSA reason of the impose form."""
    ground = text(form, "ground", max_length=40)
    reason: dict[str, Any] = {
        "ground": ground,
        "category": text(form, "category", max_length=80),
        "policy": text(form, "policy", max_length=500),
        "explanation": text(form, "explanation", max_length=5000),
        "facts": text(form, "facts", max_length=5000),
        "source": text(form, "source", max_length=40) or "voluntary",
        "content_type": values(form, "content_type") or None,
        "content_date": optional(form, "content_date", max_length=20),
        "territorial_scope": values(form, "territorial_scope") or None,
    }
    ground_text = optional(form, "legal_or_contractual_ground", max_length=500)
    if ground_text:
        reason["legal_ground" if ground == Ground.ILLEGAL_CONTENT.value else "contractual_ground"] = ground_text
    return {key: value for key, value in reason.items() if value not in ("", None)}


def automated_of(form: Any) -> dict[str, Any]:
    """Whether automated means detected the conduct and took the decision (DSA art. 17(3)(c))."""
    decision = text(form, "automated_decision", max_length=20) or "not_automated"
    return {"detection": form.get("automated_detection") == "yes", "decision": decision}


def impose_command(form: Any) -> sanctions.ImposeSanction:
    """The impose form as a command: the term from a preset or what was typed (never a silent
    indefinite term), what a restriction denies only for a restriction, and what the statement of
    reasons needs. Every field at fault is named at once (``Checks``); the rules of the model
    (``services.sanctions``) are then checked on the command."""
    checks = Checks()
    checks.run(lambda: require_confirmation(form))
    subject = AccountRef.parse(text(form, "subject", max_length=264), field="subject")
    kind = checks.run(lambda: text(form, "kind", max_length=20), "")
    given = any(
        isinstance(form.get(name), str) and form.get(name).strip() not in ("", "other")
        for name in ("term", "duration", "ends_at")
    )
    duration, ends_at = None, None
    if kind not in (SanctionKind.TERMINATION.value, SanctionKind.WARNING.value) or given:
        # a termination has no end, a warning denies nothing: no term to choose unless one is given
        duration, ends_at, _indefinite = checks.run(lambda: term_of(form), (None, None, False))
    review_text = checks.run(lambda: text(form, "review_after", max_length=80, multiline=False), "")
    review_after = None
    if review_text:
        review_after = checks.run(lambda: parse_duration_input(review_text, field="review_after").text)
    reason = checks.run(lambda: reason_of(form), {})
    for name in ("policy", "explanation"):
        if reason and not reason.get(name):
            checks.refuse("required", name)
    if kind != SanctionKind.WARNING.value and reason:  # a warning is no decision the Transparency Database records
        for name in ("facts", "content_type", "content_date"):
            if not reason.get(name):
                checks.refuse("required for the statement of reasons (DSA art. 17)", name)
    checks.done()
    return sanctions.ImposeSanction.parse(
        subject=subject,
        kind=kind,
        reason=reason,
        scope=values(form, "scope") or None,
        denies=values(form, "denies") if kind == SanctionKind.RESTRICTION.value else (),
        duration=duration,
        ends_at=ends_at,
        review_after=review_after,
        automated=automated_of(form),
        hold_until_review=form.get("hold_until_review") == "yes",
    )


@router.post("/sanctions", name="impose")
def impose(request: Request, desk: ModeratorDesk, form: FormDep) -> Response:
    try:
        command = impose_command(form)
        created = sanctions.impose_sanction(desk.db, command, caller=desk.caller)
    except FORM_ERRORS as exc:
        from reprieve.web.views.accounts import account_of_form, render_account  # accounts imports this module

        ref = account_of_form(form)
        if ref is None:
            raise
        return refused_page(
            request,
            "impose",
            form,
            exc,
            IMPOSE_FIELDS,
            lambda state, status: render_account(request, desk, ref, state, status),
        )
    subject = command.subject
    return redirect(
        request, f"/console/accounts/{subject.platform}/{subject.account}", done="imposed", sanction=created.id
    )


def _refused_action(
    request: Request, desk: Desk, sanction_id: str, action: str, form: Any, exc: ReprieveError
) -> Response:
    """An amend, lift or review form refused: the page it was sent from (the account's, or the
    sanction's) again, with the form as typed and its error beside the field."""
    from reprieve.web.views.accounts import render_account  # accounts imports this module

    back = back_or(form, "")
    platform, _, account = back.removeprefix("/console/accounts/").partition("/")
    ref = None
    if back.startswith("/console/accounts/") and "?" not in back:
        try:
            ref = AccountRef.parse(f"{platform}/{account}")
        except ReprieveError:
            ref = None

    def page(state: FormState, status: int) -> Response:
        if ref is not None:
            return render_account(request, desk, ref, state, status)
        return _sanction_page(request, desk, sanction_id, refused=state, status_code=status)

    return refused_page(
        request,
        action,
        form,
        exc,
        action_fields(action),
        page,
        target=sanction_id,
        labels={"ends_at": "field.new_ends_at"},
    )


@router.post("/sanctions/{sanction_id}/amend", name="amend")
def amend(request: Request, desk: ModeratorDesk, sanction_id: SanctionId, form: FormDep) -> Response:
    try:
        require_confirmation(form)
        ends = text(form, "ends_at", max_length=40)
        indefinite = form.get("indefinite") == "yes"
        # The hold box as sent against the hold as the page showed it: a change only if it was changed.
        held = form.get("hold_until_review") == "yes"
        hold: bool | Unset = held if "hold_shown" in form and held != (form.get("hold_shown") == "yes") else UNSET
        if not ends and not indefinite and not text(form, "kind", max_length=20) and isinstance(hold, Unset):
            raise ValidationError(
                "give a new end, tick 'indefinite', choose another kind, or change the hold", field="ends_at"
            )
        if ends and indefinite:
            raise ValidationError("give a new end or tick 'indefinite', not both", field="ends_at")
        command = sanctions.AmendSanction.parse(
            reason=text(form, "reason", max_length=2000),
            ends_at=None if indefinite else (page_instant_value(ends) if ends else UNSET),
            kind=optional(form, "kind", max_length=20),
            effective_at=page_instant_value(optional(form, "effective_at", max_length=40)),
            hold_until_review=hold,
            backdated_reason=optional(form, "backdated_reason", max_length=2000),
        )
        sanctions.amend_sanction(
            desk.db, sanction_id, command, caller=desk.caller.at(request.app.state.clock), if_version=version_of(form)
        )
    except PreconditionFailedError:
        return changed_since(request, desk, sanction_id, "amend", form)
    except FORM_ERRORS as exc:
        return _refused_action(request, desk, sanction_id, "amend", form, exc)
    return redirect(request, back_or(form, f"/console/sanctions/{sanction_id}"), done="amended")


@router.post("/sanctions/{sanction_id}/lift", name="lift")
def lift(request: Request, desk: ModeratorDesk, sanction_id: SanctionId, form: FormDep) -> Response:
    try:
        require_confirmation(form)
        command = sanctions.LiftSanction.parse(
            reason=text(form, "reason", max_length=2000),
            effective_at=page_instant_value(optional(form, "effective_at", max_length=40)),
            backdated_reason=optional(form, "backdated_reason", max_length=2000),
        )
        sanctions.lift_sanction(
            desk.db, sanction_id, command, caller=desk.caller.at(request.app.state.clock), if_version=version_of(form)
        )
    except PreconditionFailedError:
        return changed_since(request, desk, sanction_id, "lift", form)
    except FORM_ERRORS as exc:
        return _refused_action(request, desk, sanction_id, "lift", form, exc)
    return redirect(request, back_or(form, f"/console/sanctions/{sanction_id}"), done="lifted")


@router.post("/sanctions/{sanction_id}/reviews", name="open_review")
def open_review(request: Request, desk: ModeratorDesk, sanction_id: SanctionId, form: FormDep) -> Response:
    try:
        require_confirmation(form)
        panel = [trim(name) for name in text(form, "panel", max_length=2000).split(",") if not is_blank(name)]
        review = reviews.open_review(
            desk.db,
            sanction_id,
            panel=panel,
            reason=text(form, "reason", max_length=2000),
            caller=desk.caller,
        )
    except FORM_ERRORS as exc:
        return _refused_action(request, desk, sanction_id, "review", form, exc)
    return redirect(request, f"/console/reviews/{review.id}", done="opened")
