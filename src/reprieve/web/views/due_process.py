"""A review (its panel, the assessment form, the decision form) and an appeal (the requester's
name for moderators and admins only, the e-mail behind a recorded "Reveal e-mail" button, the
decision form with its reply)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Path, Request
from starlette.responses import Response

from reprieve.domain.appeals import AppealOutcome, AppealState
from reprieve.domain.model import Role
from reprieve.domain.reviews import ReviewOutcome, ReviewState, Risk
from reprieve.domain.sanctions import UNSET
from reprieve.domain.time import parse_duration_input
from reprieve.services import access_log, appeals, audit, content, reviews, sanctions
from reprieve.services.due_process import ProbationRequest
from reprieve.web.auth import AppealDeciderDesk, Desk, ReviewerDesk, Signed
from reprieve.web.rendering import render
from reprieve.web.views.common import (
    EMPTY_FORM,
    FORM_ERRORS,
    FormDep,
    FormState,
    optional,
    page_instant_value,
    redirect,
    refused_page,
    require_confirmation,
    sees_contact,
    text,
    values,
)
from reprieve.web.views.routing import console_router

router = console_router()

ObjectId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
FACTORS = ("ongoing_violence", "restrictions_on_assembly", "election_period", "repeat_behaviour", "public_interest")


#: Each form's fields and the ids of their elements on the page (the error summary links to them).
ASSESS_FIELDS = {
    "risk": "assess-risk",
    "factors": "assess-factors",
    "rationale": "assess-rationale",
    "confirm": "assess-confirm",
}
DECIDE_FIELDS = {
    "outcome": "decide-outcome",
    "ends_at": "decide-ends",
    "probation": "decide-probation",
    "rationale": "decide-rationale",
    "confirm": "decide-confirm",
}
APPEAL_FIELDS = {
    "outcome": "appeal-outcome-select",
    "ends_at": "appeal-ends",
    "rationale": "appeal-rationale",
    "reply": "appeal-reply",
    "confirm": "appeal-confirm",
}


@router.get("/reviews/{review_id}", name="review")
def review_page(request: Request, desk: Signed, review_id: ObjectId) -> Response:
    return _review_page(request, desk, review_id)


def _review_page(
    request: Request, desk: Desk, review_id: str, refused: FormState = EMPTY_FORM, status_code: int = 200
) -> Response:
    review = reviews.get_review(desk.db, review_id, caller=desk.caller, as_of=desk.as_of)
    sanction = (
        sanctions.get_sanction(desk.db, review.sanction, at=desk.instant, caller=desk.caller, as_of=desk.as_of)
        if review.sanction is not None
        else None
    )
    # A review of a content decision: what it may decide is an item's (no termination, no probation).
    about_content = review.content_decision is not None
    outcomes = [o for o in ReviewOutcome if not (about_content and o is ReviewOutcome.TERMINATE)]
    names = {desk.member.name, desk.member.id}
    on_panel = bool(names & set(review.panel))
    assessed = any(a.reviewer in names for a in review.assessments)
    live = desk.at is None and review.state is ReviewState.OPEN
    return render(
        request,
        "review.html",
        status_code=status_code,
        at=desk.at,
        review=review,
        sanction=sanction,
        names=audit.resolve_actors(desk.db, [review.opened_by or ""]),
        may_assess=live and on_panel and not assessed and desk.may(Role.REVIEWER, Role.MODERATOR),
        may_decide=live and (desk.may(Role.MODERATOR) or (on_panel and desk.may(Role.REVIEWER))),
        risks=[r.value for r in Risk],
        outcomes=[o.value for o in outcomes],
        about_content=about_content,
        factors=FACTORS,
        done=request.query_params.get("done"),
        refused=refused,
    )


@router.post("/reviews/{review_id}/assessments", name="assess")
def assess(request: Request, desk: ReviewerDesk, review_id: ObjectId, form: FormDep) -> Response:
    try:
        require_confirmation(form)
        command = reviews.FileAssessment.parse(
            risk=text(form, "risk", max_length=20), factors=values(form, "factors"), rationale=text(form, "rationale")
        )
        reviews.file_assessment(desk.db, review_id, command, caller=desk.caller)
    except FORM_ERRORS as exc:
        return refused_page(
            request,
            "assess",
            form,
            exc,
            ASSESS_FIELDS,
            lambda state, status: _review_page(request, desk, review_id, state, status),
        )
    return redirect(request, f"/console/reviews/{review_id}", done="assessed")


@router.post("/reviews/{review_id}/decision", name="decide_review")
def decide_review(request: Request, desk: ReviewerDesk, review_id: ObjectId, form: FormDep) -> Response:
    try:
        require_confirmation(form)
        ends = optional(form, "ends_at", max_length=40)
        probation = optional(form, "probation", max_length=80)
        decision = reviews.DecideReview.parse(
            outcome=text(form, "outcome", max_length=20),
            rationale=text(form, "rationale"),
            ends_at=page_instant_value(ends) if ends else UNSET,
            probation=ProbationRequest(parse_duration_input(probation, field="probation")) if probation else None,
        )
        reviews.decide_review(desk.db, review_id, decision, caller=desk.caller.at(request.app.state.clock))
    except FORM_ERRORS as exc:
        return refused_page(
            request,
            "decide",
            form,
            exc,
            DECIDE_FIELDS,
            lambda state, status: _review_page(request, desk, review_id, state, status),
            labels={"ends_at": "field.new_ends_at"},
        )
    return redirect(request, f"/console/reviews/{review_id}", done="decided")


@router.get("/appeals/{appeal_id}", name="appeal")
def appeal_page(request: Request, desk: Signed, appeal_id: ObjectId) -> Response:
    return _appeal_page(request, desk, appeal_id)


@router.post("/appeals/{appeal_id}/reveal", name="reveal_email")
def reveal_email(request: Request, desk: AppealDeciderDesk, appeal_id: ObjectId) -> Response:
    """The requester's e-mail, shown on the page this answers; the access log records who saw it."""
    appeal = appeals.reveal_email(
        desk.db,
        appeal_id,
        caller=desk.caller.at(request.app.state.clock),
        via=access_log.CONSOLE,
        retention=timedelta(days=getattr(request.app.state, "access_log_days", 365)),
    )
    return _appeal_page(request, desk, appeal_id, revealed=appeal)


def _appeal_page(
    request: Request,
    desk: Desk,
    appeal_id: str,
    refused: FormState = EMPTY_FORM,
    status_code: int = 200,
    revealed: appeals.AppealView | None = None,
) -> Response:
    """The appeal's page; its requester's e-mail only once ``revealed`` (the view ``reveal_email`` gave)."""
    if revealed is not None:
        appeal = revealed
    else:
        appeal = appeals.get_appeal(
            desk.db, appeal_id, caller=desk.caller, include_contact=sees_contact(desk), as_of=desk.as_of
        )
    # What it is about: a sanction, or (a complaint about content) a content decision and its item.
    sanction = decision = None
    if appeal.sanction is not None:
        sanction = sanctions.get_sanction(
            desk.db, appeal.sanction, at=desk.instant, caller=desk.caller, as_of=desk.as_of
        )
    elif appeal.content_decision is not None:
        decision = content.get_content_decision(
            desk.db, appeal.content_decision, at=desk.instant, caller=desk.caller, as_of=desk.as_of
        )
    return render(
        request,
        "appeal.html",
        status_code=status_code,
        at=desk.at,
        appeal=appeal if revealed is not None else appeal.without_email(),
        sanction=sanction,
        content_decision=decision,
        names=audit.resolve_actors(desk.db, [appeal.decision.decided_by or ""] if appeal.decision else []),
        show_contact=sees_contact(desk),
        has_email=appeal.filed_by.email is not None,
        revealed=revealed is not None,
        # A complaint about content or a notice's decision is granted or denied: no partial grant.
        outcomes=[
            o.value
            for o in AppealOutcome
            if (decision is None and appeal.notice is None) or o is not AppealOutcome.PARTIALLY_GRANTED
        ],
        may_decide=desk.at is None and appeal.state is AppealState.OPEN and desk.may(Role.MODERATOR),
        done=request.query_params.get("done"),
        refused=refused,
    )


@router.post("/appeals/{appeal_id}/decision", name="decide_appeal")
def decide_appeal(request: Request, desk: AppealDeciderDesk, appeal_id: ObjectId, form: FormDep) -> Response:
    try:
        require_confirmation(form)
        ends = optional(form, "ends_at", max_length=40)
        decision = appeals.DecideAppeal.parse(
            outcome=text(form, "outcome", max_length=30),
            rationale=text(form, "rationale"),
            reply=text(form, "reply"),
            ends_at=page_instant_value(ends) if ends else UNSET,
        )
        appeals.decide_appeal(desk.db, appeal_id, decision, caller=desk.caller.at(request.app.state.clock))
    except FORM_ERRORS as exc:
        return refused_page(
            request,
            "appeal_decide",
            form,
            exc,
            APPEAL_FIELDS,
            lambda state, status: _appeal_page(request, desk, appeal_id, state, status),
            labels={"ends_at": "field.new_ends_at_partial"},
        )
    return redirect(request, f"/console/appeals/{appeal_id}", done="appeal_decided")
