"""Decisions on content (PRODUCT.md section 9): the list, an item's page (its visibility, its
decisions with their history, statements and evidence, its author), and the moderator's actions:
decide on an item, restore it."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, unquote

from fastapi import Path, Query, Request
from starlette.responses import HTMLResponse, Response

from reprieve.domain.content import KEEP, ContentKind, ContentState
from reprieve.domain.errors import NotFoundError, PreconditionFailedError, ReprieveError, ValidationError
from reprieve.domain.filters import ReviewFilter
from reprieve.domain.model import AccountRef, Role
from reprieve.services import appeals, catalogue, content, content_statements, item_checks, reviews, statements
from reprieve.services.content import ContentDecisionView, ListContent
from reprieve.web.auth import Desk, ModeratorDesk, Signed
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
from reprieve.web.views.sanctions import (
    ANY_SLUG,
    FORM_CHOICES,
    ID,
    SLUG,
    automated_of,
    impose_defaults,
    reason_of,
    version_of,
)
from reprieve.web.views.timeline import content_entries, ordered

router = console_router()

#: The platform's own id of an item, as the API takes it (it may hold a ``/`` after its first character).
ITEM = r"^[^\s/\x00][^\s\x00]{0,199}$"
DecisionId = Annotated[str, Path(pattern=ID)]
CONTENT_CHOICES = {
    **FORM_CHOICES,
    "kinds": [kind.value for kind in ContentKind],
    "states": [state.value for state in ContentState],
    # most decisions on content have no end (a removal): the form proposes that first
    "presets": ["indefinite", "P7D", "P30D", "P1Y"],
}

#: The decide form's fields and the ids of their elements, in the page's order (the error summary lists them so).
DECIDE_FIELDS = {
    "item": "decide-item",
    "account": "decide-account",
    "content_type": "decide-content-type",
    "content_date": "decide-content-date",
    "language": "decide-language",
    "kind": "decide-kind",
    "kind_other": "decide-kind-other",
    "territorial_scope": "decide-territory",
    "term": "decide-term",
    "duration": "decide-duration",
    "ends_at": "decide-ends",
    "automated_detection": "decide-detection",
    "automated_decision": "decide-decision",
    "strike": "decide-strike",
    "evidence_reference": "decide-evidence-reference",
    "evidence_sha256": "decide-evidence-sha256",
    "policy": "decide-policy",
    "ground": "decide-ground",
    "legal_or_contractual_ground": "decide-legal",
    "category": "decide-category",
    "explanation": "decide-explanation",
    "facts": "decide-facts",
    "source": "decide-source",
    "confirm": "decide-confirm",
}


def restore_fields(decision_id: str) -> dict[str, str]:
    """The restore form of a decision: its fields and their elements' ids (one form per decision)."""
    names = {
        "effective_at": "effective",
        "backdated_reason": "backdated",
        "reason": "reason",
        "confirm": "confirm",
        "version": "reason",
    }
    return {name: f"{decision_id}-restore-{suffix}" for name, suffix in names.items()}


def item_path(platform: str, item: str) -> str:
    """The item's page (its id quoted as a path: it may hold ``?``, ``#`` or ``%``)."""
    return f"/console/platforms/{platform}/items/{quote(item, safe='/')}"


# --- reads ---------------------------------------------------------------------------------


@router.get("/content-decisions", name="content_decisions")
def content_decision_list(
    request: Request,
    desk: Signed,
    platform: Annotated[str | None, Query(pattern=ANY_SLUG)] = None,
    account: Annotated[str | None, Query(pattern=r"^ *[^\s\x00]{0,264} *$")] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    state: Annotated[str | None, Query(max_length=40)] = None,
    cursor: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_=-]{1,200}$")] = None,
) -> Response:
    query = ListContent(
        platform=platform or None,
        account=account.strip() or None if account else None,
        kind=filter_choice(kind, ContentKind, "kind"),
        state=filter_choice(state, ContentState, "state"),
    )
    page = content.list_content_decisions(
        desk.db, query, at=desk.instant, caller=desk.caller, limit=50, cursor=cursor, as_of=desk.as_of
    )
    operator = desk.tenant.operator_filter(None)
    return render(
        request,
        "content_decisions.html",
        at=desk.at,
        page=page,
        choices=CONTENT_CHOICES,
        platforms=[p.id for p in catalogue.list_platforms(desk.db, operator)],
        chosen={
            "platform": platform or "",
            "account": query.account or "",
            "kind": query.kind.value if query.kind else "",
            "state": query.state.value if query.state else "",
        },
    )


@router.get("/content-decisions/{decision_id}", name="content_decision")
def content_decision_page(request: Request, desk: Signed, decision_id: DecisionId) -> Response:
    """A content decision is shown on its item's page, with the item's other decisions."""
    found = content.get_content_decision(desk.db, decision_id, at=desk.instant, caller=desk.caller, as_of=desk.as_of)
    at = request.query_params.get("at")
    return redirect(request, item_path(found.item.platform, found.item.item), at=at)


@router.get("/content-decisions/{decision_id}/statements/{statement_id}", name="content_statement")
def content_statement_page(desk: Signed, decision_id: DecisionId, statement_id: DecisionId) -> Response:
    """A statement of reasons about content exactly as it was issued, as a sanction's is."""
    found = statements.rendered_statement(desk.db, statement_id, caller=desk.caller.at(desk.now))
    if found.view.sanction != decision_id:
        raise NotFoundError(f"no statement {statement_id!r} of content decision {decision_id!r}")
    return HTMLResponse(found.page.encode())


@router.get("/platforms/{platform}/items/{item:path}", name="item")
def item_page(
    request: Request,
    desk: Signed,
    platform: Annotated[str, Path(pattern=SLUG)],
    item: Annotated[str, Path(pattern=ITEM)],
) -> Response:
    return render_item(request, desk, platform, item)


def content_decisions_of(desk: Desk, where: ListContent) -> list[ContentDecisionView]:
    """The content decisions matching ``where`` (an item, or an author) at the page's instant, as
    known then, newest first."""
    page = content.list_content_decisions(
        desk.db, where, at=desk.instant, caller=desk.caller, limit=1000, as_of=desk.as_of
    )
    return sorted(page.items, key=lambda d: (d.starts_at, d.id), reverse=True)


def render_item(
    request: Request, desk: Desk, platform: str, item: str, refused: FormState = EMPTY_FORM, status_code: int = 200
) -> Response:
    """The item's page; ``refused``: the decide form or a restore form refused, shown again as typed."""
    own = desk.tenant.require_platform(platform)  # another operator's platform: 404
    decisions = content_decisions_of(desk, ListContent(platform=platform, item=item))
    visibility = item_checks.item_visibility(
        desk.db, platform, item, at=desk.instant, caller=desk.caller, as_of=desk.as_of
    )
    issued = {
        d.id: content_statements.statements_of(desk.db, d.id, caller=desk.caller, as_of=desk.as_of) for d in decisions
    }
    recorded = decisions[0].item if decisions else None
    complaints = appeals.complaints_about(
        desk.db, [d.id for d in decisions], operators=desk.tenant.operators, as_of=desk.as_of
    )
    return render(
        request,
        "item.html",
        status_code=status_code,
        at=desk.at,
        platform=own,
        item_id=item,
        item=recorded,
        visibility=visibility,
        decisions=decisions,
        complaints=complaints,
        issued=issued,
        history={d.id: ordered(content_entries(desk, d)) for d in decisions},
        may_act=desk.at is None and desk.may(Role.MODERATOR),
        done=request.query_params.get("done"),
        refused=refused,
        content_choices=CONTENT_CHOICES,
        decide=decide_defaults(desk, platform, item=item, recorded=recorded),
        reviews_of=reviews_by_decision(desk, decisions),
    )


def decide_defaults(
    desk: Desk, platform: str, *, item: str = "", account: str = "", recorded: Any = None
) -> dict[str, Any]:
    """What the decide form starts from: the item as recorded (its id and author then fixed), or
    what the page knows (the item's id on its page, the author on the account's)."""
    own = next(
        (p for p in catalogue.list_platforms(desk.db, desk.tenant.operator_filter(None)) if p.id == platform), None
    )
    proposed = impose_defaults(own, desk.now.date().isoformat())
    if recorded is not None:
        return {
            **proposed,
            "platform": platform,
            "item": recorded.item,
            "account": recorded.account,
            "content_type": list(recorded.content_type),
            "content_date": recorded.content_date,
            "language": recorded.language or "",
            "fixed_item": True,
            "fixed_account": True,
            "back": item_path(platform, recorded.item),
        }
    return {
        **proposed,
        "platform": platform,
        "item": item,
        "account": account,
        "language": "",
        "fixed_item": bool(item),
        "fixed_account": bool(account),
        "back": item_path(platform, item) if item else f"/console/accounts/{platform}/{account}",
    }


# --- actions -------------------------------------------------------------------------------


def decide_command(form: Any) -> content.DecideContent:
    """The decide form as a command: the item, the kind, the term from a preset or what was typed,
    the reason (its content type, date and territorial scope are the item's and the decision's),
    the strike and the evidence. Every field at fault is named at once (``Checks``)."""
    checks = Checks()
    checks.run(lambda: require_confirmation(form))
    item = {
        "platform": text(form, "platform", max_length=64, multiline=False),
        "item": text(form, "item", max_length=200, multiline=False),
        "account": text(form, "account", max_length=200, multiline=False),
        "content_type": values(form, "content_type"),
        "content_date": text(form, "content_date", max_length=20, multiline=False),
        "language": optional(form, "language", max_length=20),
    }
    for name in ("item", "account", "content_type", "content_date"):
        if not item[name]:
            checks.refuse("required", name)
    duration, ends_at, _indefinite = checks.run(lambda: term_of(form), (None, None, False))
    reason = checks.run(lambda: reason_of(form), {})
    for name in ("policy", "explanation", "facts"):
        if reason and not reason.get(name):
            checks.refuse("required for the statement of reasons (DSA art. 17)", name)
    reference = text(form, "evidence_reference", max_length=600, multiline=False)
    digest = text(form, "evidence_sha256", max_length=100, multiline=False)
    if bool(reference) != bool(digest):
        missing = "evidence_sha256" if reference else "evidence_reference"
        checks.refuse("give the snapshot's reference and its SHA-256, or neither", missing)
    checks.done()
    # the item's content type and date, and the decision's territorial scope: not the reason's to say again
    for name in ("content_type", "content_date", "territorial_scope"):
        reason.pop(name, None)
    return content.DecideContent.parse(
        item={key: value for key, value in item.items() if value is not None},
        kind=text(form, "kind", max_length=40),
        kind_other=optional(form, "kind_other", max_length=600),
        territorial_scope=values(form, "territorial_scope"),
        reason=reason,
        ends_at=ends_at,
        duration=duration,
        strike=form.get("strike") == "yes",
        automated=automated_of(form),
        evidence={"reference": reference, "sha256": digest} if reference else None,
    )


@router.post("/content-decisions", name="decide_content")
def decide(request: Request, desk: ModeratorDesk, form: FormDep) -> Response:
    try:
        command = decide_command(form)
        decided = content.decide_content(desk.db, command, caller=desk.caller.at(request.app.state.clock))
    except FORM_ERRORS as exc:
        return refused_page(
            request,
            "decide",
            form,
            exc,
            DECIDE_FIELDS,
            lambda state, status: _page_sent_from(request, desk, form, state, status),
            labels={"account": "field.author"},
        )
    return redirect(request, item_path(decided.item.platform, decided.item.item), done="content_decided")


def _page_sent_from(request: Request, desk: Desk, form: Any, state: FormState, status: int) -> Response:
    """The page the decide form was sent from (its ``back``: the account's or the item's), with the form as typed."""
    from reprieve.web.views.accounts import render_account  # accounts imports this module

    back = back_or(form, "")
    if back.startswith("/console/accounts/"):
        try:
            ref = AccountRef.parse(back.removeprefix("/console/accounts/"))
        except ReprieveError:
            ref = None
        if ref is not None:
            return render_account(request, desk, ref, state, status)
    platform = text(form, "platform", max_length=64, multiline=False)
    prefix = f"/console/platforms/{platform}/items/"
    item = unquote(back.removeprefix(prefix)) if platform and back.startswith(prefix) else ""
    if not item:
        raise ValidationError("the form names no item page nor account page to go back to", field="back")
    return render_item(request, desk, platform, item, state, status)


@router.post("/content-decisions/{decision_id}/restore", name="restore_content")
def restore(request: Request, desk: ModeratorDesk, decision_id: DecisionId, form: FormDep) -> Response:
    try:
        require_confirmation(form)
        command = content.RestoreContent.parse(
            reason=text(form, "reason", max_length=2000),
            effective_at=page_instant_value(optional(form, "effective_at", max_length=40)),
            backdated_reason=optional(form, "backdated_reason", max_length=2000),
        )
        restored = content.restore_content(
            desk.db, decision_id, command, caller=desk.caller.at(request.app.state.clock), if_version=version_of(form)
        )
    except PreconditionFailedError:
        state = FormState("restore", typed_of(form), target=decision_id, changed_since=True)
        return _decision_item_page(request, desk, decision_id, state, 412)
    except FORM_ERRORS as exc:
        return refused_page(
            request,
            "restore",
            form,
            exc,
            restore_fields(decision_id),
            lambda state, status: _decision_item_page(request, desk, decision_id, state, status),
            target=decision_id,
        )
    return redirect(request, item_path(restored.item.platform, restored.item.item), done="content_restored")


def _decision_item_page(request: Request, desk: Desk, decision_id: str, state: FormState, status: int) -> Response:
    found = content.get_content_decision(desk.db, decision_id, at=desk.now, caller=desk.caller)
    return render_item(request, desk, found.item.platform, found.item.item, state, status)


# --- amending a decision, and its reviews (issue 25 item 4) ---------------------------------


def amend_fields(decision_id: str) -> dict[str, str]:
    """The amend form of a decision: its fields and their elements' ids (one form per decision)."""
    names = {
        "kind": "kind",
        "ends_at": "ends",
        "effective_at": "effective",
        "backdated_reason": "backdated",
        "reason": "reason",
        "confirm": "confirm",
        "version": "reason",
    }
    return {name: f"{decision_id}-amend-{suffix}" for name, suffix in names.items()}


def reviews_by_decision(desk: Desk, decisions: list[ContentDecisionView]) -> dict[str, list[Any]]:
    """Each decision's reviews, as the page's instant and record time show them."""
    found: dict[str, list[Any]] = {}
    for d in decisions:
        f = ReviewFilter(operators=desk.tenant.operators, content_decision=d.id)
        page = reviews.list_reviews(desk.db, f, at=desk.instant, stood=desk.at is not None, as_of=desk.as_of)
        found[d.id] = list(page.items)
    return found


def amend_command(form: Any) -> content.AmendContent:
    """The amend form as a command: the kind (unchanged if the same), the new end or none, the
    instant it takes effect and why, as the API's ``POST /v1/content-decisions/{id}/amend``."""
    require_confirmation(form)
    indefinite = form.get("indefinite") == "yes"
    ends = optional(form, "ends_at", max_length=40)
    if indefinite and ends:
        raise ValidationError("give a new end or tick indefinite, not both", field="ends_at")
    return content.AmendContent.parse(
        reason=text(form, "reason", max_length=2000),
        kind=optional(form, "kind", max_length=40),
        ends_at=None if indefinite else (page_instant_value(ends) if ends else KEEP),
        effective_at=page_instant_value(optional(form, "effective_at", max_length=40)),
        backdated_reason=optional(form, "backdated_reason", max_length=2000),
    )


@router.post("/content-decisions/{decision_id}/amend", name="amend_content")
def amend(request: Request, desk: ModeratorDesk, decision_id: DecisionId, form: FormDep) -> Response:
    """Amend a decision from its item's page; the version the page showed goes as ``If-Match``:
    if the decision changed since, the page shows it as it is now (412), what was typed kept."""
    try:
        command = amend_command(form)
        amended = content.amend_content(
            desk.db, decision_id, command, caller=desk.caller.at(request.app.state.clock), if_version=version_of(form)
        )
    except PreconditionFailedError:
        state = FormState("amend", typed_of(form), target=decision_id, changed_since=True)
        return _decision_item_page(request, desk, decision_id, state, 412)
    except FORM_ERRORS as exc:
        return refused_page(
            request,
            "amend",
            form,
            exc,
            amend_fields(decision_id),
            lambda state, status: _decision_item_page(request, desk, decision_id, state, status),
            target=decision_id,
        )
    return redirect(request, item_path(amended.item.platform, amended.item.item), done="content_amended")
