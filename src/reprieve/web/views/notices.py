"""Notices (DSA art. 16; PRODUCT.md section 10): the list (open or decided, oldest first, by
category and platform, a page at a time from the store's cursor), a case's page (the history of
the item or account it is about, each of its notices, the decision and the replies once decided),
and deciding the case there with one action and a reply to each notifier (moderators).

The notifiers' names and e-mails are never in the list; a case's page shows them to the
operator's moderators and admins only, and their reading of the e-mails is recorded in the access
log (``services.notices.get_case``), as the API's read is.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Request
from starlette.responses import Response

from reprieve.domain.errors import ValidationError
from reprieve.domain.filters import SanctionFilter
from reprieve.domain.model import AccountRef
from reprieve.domain.notices import (
    AUTHORITY_MAX,
    DISCLOSURE_REASON_MAX,
    RATIONALE_MAX,
    REPLY_MAX,
    AboutKind,
    CaseState,
    NoticeAction,
    NoticeState,
)
from reprieve.domain.reason import CATEGORIES, Source
from reprieve.services import access_log, catalogue, notices, sanctions
from reprieve.services.content import ContentDecisionView, DecideContent, ListContent
from reprieve.services.notices import CaseView
from reprieve.services.sanctions import ImposeSanction
from reprieve.services.views import SanctionView
from reprieve.web.auth import Desk, ModeratorDesk, Signed
from reprieve.web.rendering import render
from reprieve.web.views.common import (
    EMPTY_FORM,
    FORM_ERRORS,
    FormDep,
    FormState,
    filter_choice,
    redirect,
    refused_page,
    require_confirmation,
    sees_contact,
    text,
)
from reprieve.web.views.content import (
    CONTENT_CHOICES,
    DECIDE_FIELDS,
    content_decisions_of,
    decide_command,
    decide_defaults,
    item_path,
)
from reprieve.web.views.routing import console_router
from reprieve.web.views.sanctions import (
    ANY_SLUG,
    FORM_CHOICES,
    ID,
    IMPOSE_FIELDS,
    impose_command,
    impose_defaults,
)
from reprieve.web.views.timeline import Entry, content_entries, ordered, sanction_entries

router = console_router()

#: Notices a page of the list shows.
PAGE_SIZE = 50
#: A case's notices its page shows at once (the next ones a link away).
CASE_PAGE_SIZE = notices.CASE_PAGE
#: The list's tabs: the notices awaiting a decision, and those decided.
TABS = (NoticeState.OPEN.value, NoticeState.DECIDED.value)
CaseId = Annotated[str, Path(pattern=ID)]
NO_ACTION = NoticeAction.NO_ACTION.value


def about_path(platform: str, kind: AboutKind, about: str) -> str:
    """The console's page of what a notice is about: the item's, or the account's."""
    return item_path(platform, about) if kind is AboutKind.ITEM else f"/console/accounts/{platform}/{about}"


@router.get("/notices", name="notices")
def notice_list(
    request: Request,
    desk: Signed,
    state: Annotated[str, Query(pattern=r"^(open|decided)$")] = NoticeState.OPEN.value,
    platform: Annotated[str | None, Query(pattern=ANY_SLUG)] = None,
    category: Annotated[str | None, Query(max_length=80)] = None,
    cursor: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_=-]{1,200}$")] = None,
) -> Response:
    if category and category not in CATEGORIES:
        raise ValidationError("must be a STATEMENT_CATEGORY_* value", field="category")
    query = notices.ListNotices(
        state=filter_choice(state, NoticeState, "state"), platform=platform or None, category=category or None
    )
    page = notices.list_notices(
        desk.db, query, caller=desk.caller, limit=PAGE_SIZE, cursor=cursor, at=desk.at, as_of=desk.as_of
    )
    return render(
        request,
        "notices.html",
        at=desk.at,
        page=page,
        tabs=TABS,
        platforms=[p.id for p in catalogue.list_platforms(desk.db, desk.tenant.operator_filter(None))],
        categories=sorted(CATEGORIES),
        chosen={"state": state, "platform": platform or "", "category": category or ""},
        about_path=about_path,
    )


@router.get("/cases/{case_id}", name="case")
def case_page(
    request: Request,
    desk: Signed,
    case_id: CaseId,
    cursor: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_=-]{1,200}$")] = None,
) -> Response:
    return render_case(request, desk, case_id, cursor=cursor)


def render_case(
    request: Request,
    desk: Desk,
    case_id: str,
    refused: FormState = EMPTY_FORM,
    status_code: int = 200,
    *,
    cursor: str | None = None,
) -> Response:
    """The case's page, a page of its notices at a time (``cursor``: from after the last one
    shown); ``refused``: the decide form refused, shown again as typed."""
    contact = sees_contact(desk)
    case = notices.get_case(
        desk.db,
        case_id,
        caller=desk.caller,
        include_contact=contact,
        via=access_log.CONSOLE,
        at=desk.at,
        as_of=desk.as_of,
        limit=CASE_PAGE_SIZE,
        cursor=cursor,
    )
    history, decisions = history_of(desk, case)
    may_act = desk.may_act_as_moderator and case.state is CaseState.OPEN
    item = case.about.kind is AboutKind.ITEM
    context: dict[str, Any] = {}
    if may_act and item:
        recorded = next((d.item for d in decisions if isinstance(d, ContentDecisionView)), None)
        context = {
            "content_choices": CONTENT_CHOICES,
            "decide": {
                **decide_defaults(desk, case.platform, item=case.about.id, recorded=recorded),
                "back": f"/console/cases/{case.id}",
            },
        }
    elif may_act:
        platforms = catalogue.list_platforms(desk.db, desk.tenant.operator_filter(None))
        own = next((p for p in platforms if p.id == case.platform), None)
        context = {
            "ref": AccountRef(case.platform, case.about.id),
            "platforms": [p for p in platforms if own is not None and p.operator == own.operator],
            "capabilities": sorted({c for p in platforms for c in p.capabilities if c != "appeal"}),
            "choices": FORM_CHOICES,
            "defaults": impose_defaults(own, desk.now.date().isoformat()),
        }
    return render(
        request,
        "case.html",
        status_code=status_code,
        at=desk.at,
        case=case,
        subject_path=about_path(case.platform, case.about.kind, case.about.id),
        history=history,
        decisions=[_decision_choice(d) for d in decisions],
        shows_contact=contact,
        may_act=may_act,
        form_name=_form_name(case),
        open_notices=[n for n in case.notices if n.state is NoticeState.OPEN],
        actions=[(NoticeAction.CONTENT_DECISION if item else NoticeAction.SANCTION).value, NO_ACTION],
        done=request.query_params.get("done"),
        refused=refused,
        embedded=True,
        source_default=Source.ARTICLE_16.value,  # a decision on a case is taken on a notice
        **context,
    )


def _form_name(case: CaseView) -> str:
    """The decide form's name: that of the form whose fields it embeds (an item's decision, or a sanction)."""
    return "decide" if case.about.kind is AboutKind.ITEM else "impose"


def _decision_choice(decision: ContentDecisionView | SanctionView) -> tuple[str, str]:
    """A decision on the case's subject as the form's ``decision`` choice: its id, and the catalogue key of its kind."""
    if isinstance(decision, ContentDecisionView):
        return decision.id, f"content_kind.{decision.kind.value}"
    return decision.id, f"kind.{decision.kind.value}"


def case_fields(case: CaseView) -> dict[str, str]:
    """The decide form's fields and their elements' ids, in the page's order (the error summary lists them so)."""
    fields = {"action": "case-action", "decision": "case-decision", "decision.subject": "case-decision"}
    embedded = DECIDE_FIELDS if case.about.kind is AboutKind.ITEM else IMPOSE_FIELDS
    fields |= {name: element for name, element in embedded.items() if name != "confirm"}
    fields |= {"rationale": "case-rationale", "reply": "case-reply", "replies": "case-reply"}
    for n in case.notices:
        fields[f"replies.{n.id}"] = f"case-reply-{n.id}"
        fields[f"disclosures.{n.id}"] = f"case-disclosure-{n.id}"
    fields |= {
        "disclosures": "case-rationale",
        "automated": "case-automated",
        "referral": "case-referral-authority",
        "referral.authority": "case-referral-authority",
        "referral.member_state": "case-referral-state",
        "confirm": "case-confirm",
    }
    return fields


def case_labels(case: CaseView) -> dict[str, str]:
    """The decide form's own labels (keys of the catalogue), where ``FIELD_LABELS`` has none or another."""
    labels = {
        "action": "case_form.action",
        "decision": "case_form.decision",
        "reply": "case_form.reply",
        "replies": "case_form.own_reply",
        "disclosures": "case_form.disclose",
        "automated": "case_form.automated",
        "referral": "case_form.referral_authority",
        "referral.authority": "case_form.referral_authority",
        "referral.member_state": "case_form.referral_member_state",
    }
    for n in case.notices:
        labels[f"replies.{n.id}"] = "case_form.own_reply"
        labels[f"disclosures.{n.id}"] = "case_form.disclosure_reason"
    return labels


def case_command(form: Any, case: CaseView) -> notices.DecideCase:
    """The decide form as a command: the action and its decision (one chosen among those on the
    subject, or made now with the embedded fields), the rationale, the replies (one for every
    notifier, and each notifier's own where typed), automation, a referral, the disclosures."""
    require_confirmation(form)
    action = text(form, "action", max_length=40, multiline=False)
    decision: str | DecideContent | ImposeSanction | None = None
    if action in (NoticeAction.CONTENT_DECISION.value, NoticeAction.SANCTION.value):
        chosen = text(form, "decision", max_length=64, multiline=False)
        if chosen:
            decision = chosen
        elif action == NoticeAction.CONTENT_DECISION.value and case.about.kind is AboutKind.ITEM:
            decision = decide_command(form)
        elif action == NoticeAction.SANCTION.value and case.about.kind is AboutKind.ACCOUNT:
            decision = impose_command(form)
    open_ids = [n.id for n in case.notices if n.state is NoticeState.OPEN]
    replies = {i: own for i in open_ids if (own := text(form, f"replies.{i}", max_length=REPLY_MAX + 1))}
    disclosures = {
        i: text(form, f"disclosures.{i}", max_length=DISCLOSURE_REASON_MAX + 1)
        for i in open_ids
        if form.get(f"disclose.{i}") == "yes"
    }
    authority = text(form, "referral_authority", max_length=AUTHORITY_MAX + 1, multiline=False)
    member_state = text(form, "referral_member_state", max_length=2, multiline=False)
    referral = {"authority": authority, "member_state": member_state} if authority or member_state else None
    return notices.DecideCase.parse(
        notice=open_ids[0] if open_ids else case.notices[0].id,
        action=action or None,
        rationale=text(form, "rationale", max_length=RATIONALE_MAX + 1),
        reply=text(form, "reply", max_length=REPLY_MAX + 1),
        automated=form.get("automated") == "yes" or _automated(decision),
        decision=decision,
        replies=replies,
        referral=referral,
        disclosures=disclosures,
    )


def _automated(decision: str | DecideContent | ImposeSanction | None) -> bool:
    """Whether a decision made now says automated means took part (then the notifiers are told so
    too, without a second box to tick)."""
    if isinstance(decision, DecideContent | ImposeSanction):
        return decision.automated.decision.value != "not_automated"
    return False


@router.post("/cases/{case_id}/decision", name="decide_case")
def decide_case(request: Request, desk: ModeratorDesk, case_id: CaseId, form: FormDep) -> Response:
    """Decide the case with one action and a reply to each notifier (the service of
    ``POST /v1/notices/{id}/decision``); refused, the page again with the form as typed."""
    case = notices.get_case(desk.db, case_id, caller=desk.caller)
    try:
        command = case_command(form, case)
        notices.decide_case(desk.db, command, caller=desk.caller.at(request.app.state.clock))
    except FORM_ERRORS as exc:
        return refused_page(
            request,
            _form_name(case),
            form,
            exc,
            case_fields(case),
            lambda state, status: render_case(request, desk, case_id, state, status),
            labels=case_labels(case),
        )
    return redirect(request, f"/console/cases/{case_id}", done="case_decided")


def history_of(desk: Desk, case: CaseView) -> tuple[list[Entry], list[ContentDecisionView | SanctionView]]:
    """What was decided on the case's subject, most recent first, and those decisions: an item's
    content decisions; an account's sanctions and the decisions on the items it authored (as its
    own page reads them)."""
    if case.about.kind is AboutKind.ITEM:
        on_item = content_decisions_of(desk, ListContent(platform=case.platform, item=case.about.id))
        return ordered([entry for d in on_item for entry in content_entries(desk, d)]), list(on_item)
    ref = AccountRef(case.platform, case.about.id)
    query = SanctionFilter(operators=desk.tenant.operators, account=str(ref))
    found = sanctions.list_sanctions(desk.db, query, at=desk.instant, limit=200, as_of=desk.as_of).items
    entries = [entry for s in found for entry in sanction_entries(desk, s)]
    authored = content_decisions_of(desk, ListContent(account=str(ref)))
    entries += [entry for d in authored for entry in content_entries(desk, d)]
    return ordered(entries), sorted(found, key=lambda s: s.starts_at, reverse=True)
