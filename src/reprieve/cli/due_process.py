"""Commands of due process: reviews, appeals (and their disputes), violations."""

from __future__ import annotations

import json
from typing import Any

import typer

from reprieve.cli.context import (
    AS_OF,
    AT,
    AT_IF_GIVEN,
    BACKDATED_REASON,
    CURSOR,
    JSON,
    actor,
    as_of_option,
    at_if_given_option,
    at_option,
    next_page_hint,
    now,
    state,
)
from reprieve.cli.output import emit_json, fail, probation_text, record, table
from reprieve.domain.errors import ValidationError
from reprieve.domain.filters import AppealFilter, ReviewFilter
from reprieve.domain.model import parse_enum
from reprieve.domain.reviews import ReviewState
from reprieve.domain.sanctions import UNSET
from reprieve.domain.strikes import LadderName
from reprieve.domain.time import to_micros
from reprieve.services import appeals, reviews, violations
from reprieve.services.callers import Caller, cli_actor, is_member_id
from reprieve.services.due_process import ProbationRequest

review_app = typer.Typer(
    help="Reviews of sanctions by a panel: list, open, assess, decide, show.", no_args_is_help=True
)
appeal_app = typer.Typer(
    help="Appeals: complaints and reinstatement requests; file, list, attach, decide, dispute, show.",
    no_args_is_help=True,
)
violation_app = typer.Typer(help="Violations reported by platforms: each one a strike.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")
    app.add_typer(appeal_app, name="appeal")
    app.add_typer(violation_app, name="violation")


def split(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def caller(as_member: str | None = None) -> Caller:
    """A person at the command line: trusted as a moderator; ``--as`` names their seat on a panel.
    The log names them ``cli``, or ``cli:member:<id>`` when ``--as`` is a member id (a free-text
    panel entry is not recorded as the actor: it may be a name)."""
    if not as_member:
        return Caller(actor())
    return Caller(cli_actor(as_member) if is_member_id(as_member) else actor(), names=(as_member,))


def probation_option(duration: str | None, ladder_json: str | None, wanted: bool) -> ProbationRequest | None:
    if not (duration or ladder_json or wanted):
        return None
    request: dict[str, Any] = {}
    if duration:
        request["duration"] = duration
    if ladder_json:
        try:
            request["ladder"] = json.loads(ladder_json)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"is not JSON: {exc.msg}", field="--probation-ladder-json") from None
    return ProbationRequest.parse(request)


PROBATION = typer.Option(False, "--probation", help="Start the platform policy's probation after the lift")
PROBATION_DURATION = typer.Option(None, help="Probation length (ISO 8601); implies --probation")
PROBATION_LADDER = typer.Option(None, help="Probation ladder as JSON {by_strikes?, by_severity?}; implies --probation")

# --- reviews -----------------------------------------------------------------------------


def assessed(review: dict[str, Any]) -> str:
    """``3 assessments, quorum 2`` (the column once read ``3/2``)."""
    count = len(review["assessments"])
    said = f"{count} assessment{'' if count == 1 else 's'}"
    return f"{said}, quorum {review['quorum']}" if review["quorum"] else said


REVIEW_COLUMNS = [
    ("id", "id"),
    ("state", "state"),
    ("sanction", "sanction"),
    ("subject", "subject"),
    ("due", "due_at"),
    ("panel", "panel"),
    ("assessed", "assessed"),
    ("outcome", "outcome"),
]


@review_app.command("list")
def review_list(
    ctx: typer.Context,
    state_: str = typer.Option(None, "--state", help="due, open or decided (default: open and decided)"),
    operator: str = typer.Option(None),
    sanction: str = typer.Option(None),
    at: str = AT,
    as_of: str = AS_OF,
    limit: int = typer.Option(50, help="1 to 1000"),
    cursor: str = CURSOR,
    as_json: bool = JSON,
) -> None:
    """List reviews (as they stood --at an instant, if given); --state due lists the sanctions due
    for review at --at (default now)."""
    f = ReviewFilter(
        state=parse_enum(ReviewState, state_, field="--state") if state_ else None,
        operator=operator,
        sanction=sanction,
    )
    page = reviews.list_reviews(
        state(ctx).db(), f, at=at_option(at), stood=bool(at), as_of=as_of_option(as_of), limit=limit, cursor=cursor
    ).to_json()
    if as_json:
        emit_json(page)
        return
    table([dict(r, assessed=assessed(r)) for r in page["items"]], REVIEW_COLUMNS)
    next_page_hint(page)


@review_app.command("open")
def review_open(
    ctx: typer.Context,
    sanction: str | None = typer.Argument(None, help="The sanction to review (or --content-decision)"),
    content_decision: str | None = typer.Option(
        None, "--content-decision", help="The content decision to review, in place of a sanction"
    ),
    panel: str = typer.Option(..., help="Comma-separated reviewers: token names or member ids"),
    reason: str = typer.Option(..., help="Why it is reviewed"),
    as_json: bool = JSON,
) -> None:
    """Open a review of an active sanction (the one due, or an ad-hoc one) or of an active content decision."""
    if (sanction is None) == (content_decision is None):
        fail("name exactly one of a sanction and --content-decision")
    members = split(panel) or []
    if content_decision is not None:
        opened = reviews.open_content_review(
            state(ctx).db(), content_decision, panel=members, reason=reason, caller=caller().at(now())
        )
    else:
        assert sanction is not None
        opened = reviews.open_review(state(ctx).db(), sanction, panel=members, reason=reason, caller=caller().at(now()))
    result = opened.to_json()
    emit_json(result) if as_json else show_review(result)


@review_app.command("assess")
def review_assess(
    ctx: typer.Context,
    review: str,
    reviewer: str = typer.Option(..., "--reviewer", help="Your name on the panel"),
    risk: str = typer.Option(..., help="none, low, moderate, high or severe"),
    factors: str = typer.Option(None, help="Comma-separated tags, e.g. ongoing_violence,election_period"),
    rationale: str = typer.Option(..., help="Why"),
    as_json: bool = JSON,
) -> None:
    """File a panel member's assessment of the risk (once per member)."""
    command = reviews.FileAssessment.parse(risk=risk, factors=split(factors), rationale=rationale)
    result = reviews.file_assessment(state(ctx).db(), review, command, caller=caller(reviewer).at(now())).to_json()
    emit_json(result) if as_json else show_review(result)


@review_app.command("decide")
def review_decide(
    ctx: typer.Context,
    review: str,
    outcome: str = typer.Option(..., help="lift, extend, uphold, terminate or reduce"),
    rationale: str = typer.Option(..., help="Why"),
    ends_at: str = typer.Option(None, help="For extend and reduce: the new end (RFC 3339)"),
    next_review_at: str = typer.Option(None, help="When to review again (RFC 3339)"),
    probation: bool = PROBATION,
    probation_duration: str = PROBATION_DURATION,
    probation_ladder_json: str = PROBATION_LADDER,
    effective_at: str = typer.Option(None, help="Default now"),
    backdated_reason: str = BACKDATED_REASON,
    as_member: str = typer.Option(None, "--as", help="Decide as this panel member"),
    as_json: bool = JSON,
) -> None:
    """Decide a review with the panel's quorum; the sanction changes at once."""
    command = reviews.DecideReview.parse(
        outcome=outcome,
        rationale=rationale,
        ends_at=ends_at if ends_at else UNSET,
        next_review_at=next_review_at if next_review_at else UNSET,
        probation=probation_option(probation_duration, probation_ladder_json, probation),
        effective_at=effective_at,
        backdated_reason=backdated_reason,
    )
    result = reviews.decide_review(state(ctx).db(), review, command, caller=caller(as_member).at(now)).to_json()
    emit_json(result) if as_json else show_review(result)


@review_app.command("show")
def review_show(
    ctx: typer.Context, review: str, at: str = AT_IF_GIVEN, as_of: str = AS_OF, as_json: bool = JSON
) -> None:
    """Show a review: its panel, assessments, attached appeals, decision and timeline (as it
    stood --at an instant, if given; as known --as-of an instant, if given)."""
    result = reviews.get_review(state(ctx).db(), review, at=at_if_given_option(at), as_of=as_of_option(as_of)).to_json()
    emit_json(result) if as_json else show_review(result)


def show_review(r: dict[str, Any]) -> None:
    probation = (r.get("decision") or {}).get("probation")
    record(
        dict(
            r,
            risk=" ".join(f"{k}:{v}" for k, v in r["risk"].items() if v) or "-",
            probation=probation_text(probation) if probation else None,
        ),
        [
            "id",
            "state",
            "sanction",
            "content_decision",
            "subject",
            "panel",
            "quorum",
            "reason",
            "due_at",
            "opened_at",
            "opened_by",
            "risk",
            "appeals",
            "outcome",
            "decided_at",
            "decision.rationale",
            "probation",
        ],
    )
    typer.echo("timeline:")
    table(r["timeline"], [("at", "at"), ("event", "event"), ("by", "by"), ("detail", "detail")])


# --- appeals -----------------------------------------------------------------------------

APPEAL_COLUMNS = [
    ("id", "id"),
    ("kind", "kind"),
    ("state", "state"),
    ("sanction", "sanction"),
    ("content decision", "content_decision"),
    ("by", "filed_by.relation"),
    ("channel", "channel"),
    ("received", "received_at"),
    ("deadline", "deadline_at"),
]


@appeal_app.command("file")
def appeal_file(
    ctx: typer.Context,
    sanction: str = typer.Argument(None, help="The sanction appealed against (or give --content-decision)"),
    content_decision: str = typer.Option(
        None, "--content-decision", help="A complaint about this content decision (cd_...), in place of a sanction"
    ),
    notice: str = typer.Option(
        None, "--notice", help="A notifier's complaint about the decision on this notice (ntc_...; --relation notifier)"
    ),
    kind: str = typer.Option(..., help="complaint or reinstatement (about content: complaint)"),
    name: str = typer.Option(..., help="Who files it (kept private)"),
    email: str = typer.Option(None, help="Their e-mail (kept private)"),
    relation: str = typer.Option("subject", help="subject, representative, or notifier (with --notice)"),
    statement: str = typer.Option(..., help="What they ask and why"),
    channel: str = typer.Option(..., help="web, letter, email or api"),
    meeting_requested: bool = typer.Option(False, "--meeting-requested", help="They ask for a meeting"),
    received_at: str = typer.Option(
        None,
        help="When it was received (RFC 3339); default now. Only a letter or an e-mail may be dated "
        "earlier (its arrival), never before the sanction was decided",
    ),
    as_json: bool = JSON,
) -> None:
    """File a complaint (within its window) or a reinstatement request (while the sanction is active);
    with --content-decision, a complaint about a content decision; with --notice, a notifier's."""
    command = appeals.FileAppeal.parse(
        sanction_id=sanction,
        content_decision_id=content_decision,
        notice_id=notice,
        kind=kind,
        filed_by={"name": name, "email": email, "relation": relation},
        statement=statement,
        channel=channel,
        meeting_requested=meeting_requested,
        received_at=received_at,
    )
    result = appeals.file_appeal(state(ctx).db(), command, caller=caller().at(now)).to_json()
    emit_json(result) if as_json else show_appeal(result)


@appeal_app.command("list")
def appeal_list(
    ctx: typer.Context,
    state_: str = typer.Option(None, "--state", help="open, granted, partially_granted or denied"),
    kind: str = typer.Option(None, help="complaint or reinstatement"),
    operator: str = typer.Option(None),
    sanction: str = typer.Option(None),
    content_decision: str = typer.Option(None, "--content-decision", help="Complaints about this content decision"),
    notice: str = typer.Option(None, "--notice", help="Notifiers' complaints about this notice"),
    limit: int = typer.Option(50, help="1 to 1000"),
    cursor: str = CURSOR,
    at: str = AT_IF_GIVEN,
    as_of: str = AS_OF,
    as_json: bool = JSON,
) -> None:
    """List appeals, as they stand or as they stood --at an instant (as known --as-of one)."""
    stood = at_if_given_option(at)
    f = AppealFilter(
        state=state_,
        kind=kind,
        operator=operator,
        sanction=sanction,
        content_decision=content_decision,
        notice=notice,
        at=None if stood is None else to_micros(stood),
    )
    page = appeals.list_appeals(
        state(ctx).db(), f, limit=limit, cursor=cursor, include_contact=True, as_of=as_of_option(as_of)
    ).to_json()
    if as_json:
        emit_json(page)
        return
    table(page["items"], APPEAL_COLUMNS)
    next_page_hint(page)


@appeal_app.command("attach")
def appeal_attach(
    ctx: typer.Context,
    appeal: str,
    review: str = typer.Option(..., help="The open review of its sanction"),
    as_json: bool = JSON,
) -> None:
    """Put an appeal before the panel of its sanction's review."""
    result = appeals.attach_appeal(state(ctx).db(), appeal, review_id=review, caller=caller().at(now())).to_json()
    emit_json(result) if as_json else show_appeal(result)


@appeal_app.command("decide")
def appeal_decide(
    ctx: typer.Context,
    appeal: str,
    outcome: str = typer.Option(..., help="granted, partially_granted or denied"),
    rationale: str = typer.Option(..., help="Why (kept on record)"),
    reply: str = typer.Option(..., help="The answer sent to the requester"),
    effective_at: str = typer.Option(None, help="Default now"),
    ends_at: str = typer.Option(None, help="Partial grant: the new end (RFC 3339)"),
    kind: str = typer.Option(None, help="Partial grant: the new kind"),
    denies: str = typer.Option(None, help="Partial grant: what a restriction denies, comma-separated"),
    probation: bool = PROBATION,
    probation_duration: str = PROBATION_DURATION,
    probation_ladder_json: str = PROBATION_LADDER,
    backdated_reason: str = BACKDATED_REASON,
    as_json: bool = JSON,
) -> None:
    """Decide an appeal: granted lifts the sanction, partially_granted amends it, denied leaves it."""
    command = appeals.DecideAppeal.parse(
        outcome=outcome,
        rationale=rationale,
        reply=reply,
        effective_at=effective_at,
        ends_at=ends_at if ends_at else UNSET,
        kind=kind,
        denies=split(denies),
        probation=probation_option(probation_duration, probation_ladder_json, probation),
        backdated_reason=backdated_reason,
    )
    result = appeals.decide_appeal(state(ctx).db(), appeal, command, caller=caller().at(now)).to_json()
    emit_json(result) if as_json else show_appeal(result)


@appeal_app.command("dispute")
def appeal_dispute(
    ctx: typer.Context,
    appeal: str,
    body: str = typer.Option(..., help="The out-of-court dispute settlement body (DSA art. 21)"),
    submitted_at: str = typer.Option(..., help="When the dispute was brought (RFC 3339)"),
    outcome: str = typer.Option(
        "pending", help="pending, in_favour_of_requester, in_favour_of_platform, settled or withdrawn"
    ),
    decided_at: str = typer.Option(None, help="When the body decided (RFC 3339)"),
    summary: str = typer.Option("", help="What was decided"),
    dispute: str = typer.Option(None, help="Update this dispute instead of recording a new one"),
    as_json: bool = JSON,
) -> None:
    """Record an out-of-court dispute about an appeal, or its progress."""
    command = appeals.RecordDispute.parse(
        body=body,
        submitted_at=submitted_at,
        outcome=outcome,
        decided_at=decided_at,
        summary=summary,
        dispute_id=dispute,
    )
    result = appeals.record_dispute(state(ctx).db(), appeal, command, caller=caller().at(now())).to_json()
    emit_json(result) if as_json else show_appeal(result)


@appeal_app.command("show")
def appeal_show(
    ctx: typer.Context, appeal: str, at: str = AT_IF_GIVEN, as_of: str = AS_OF, as_json: bool = JSON
) -> None:
    """Show an appeal, its decision and disputes, as it stands or as it stood --at an instant
    (as known --as-of one)."""
    result = appeals.get_appeal(
        state(ctx).db(), appeal, include_contact=True, at=at_if_given_option(at), as_of=as_of_option(as_of)
    ).to_json()
    emit_json(result) if as_json else show_appeal(result)


def show_appeal(a: dict[str, Any]) -> None:
    record(
        a,
        [
            "id",
            "kind",
            "state",
            "sanction",
            "content_decision",
            "filed_by.relation",
            "filed_by.name",
            "filed_by.email",
            "channel",
            "meeting_requested",
            "received_at",
            "deadline_at",
            "review",
            "statement",
            "decision.decided_at",
            "decision.rationale",
            "decision.reply",
            "decision.handling_seconds",
        ],
    )
    if a["disputes"]:
        typer.echo("disputes:")
        table(
            a["disputes"],
            [
                ("id", "id"),
                ("body", "body"),
                ("submitted", "submitted_at"),
                ("outcome", "outcome"),
                ("decided", "decided_at"),
            ],
        )


# --- violations --------------------------------------------------------------------------


def _item(item: str | None, content_type: list[str], content_date: str | None, language: str | None) -> Any:
    """The ``item`` of a report from the options (None: no --item)."""
    if item is None:
        if language is not None:
            raise ValidationError("is for an item: give --item", field="--item-language")
        return None
    described: dict[str, Any] = {"item": item, "content_type": content_type, "content_date": content_date}
    if language is not None:
        described["language"] = language
    return described


@violation_app.command("record")
def violation_record(
    ctx: typer.Context,
    account: str = typer.Argument(..., help="platform/account"),
    id: str = typer.Option(..., "--id", help="The platform's own violation id (a repeat records nothing)"),
    policy: str = typer.Option(..., help="The platform's rule that was broken"),
    severity: str = typer.Option(..., help="low, moderate, high or severe"),
    category: str = typer.Option(..., help="STATEMENT_CATEGORY_..."),
    facts: str = typer.Option("", help="What happened"),
    occurred_at: str = typer.Option(None, help="RFC 3339; default now"),
    content_type: list[str] = typer.Option(
        [],
        "--content-type",
        help="CONTENT_TYPE_... of the content at fault (repeatable); without it the "
        "Transparency Database export refuses the statement of the sanction imposed",
    ),
    content_date: str = typer.Option(
        None, help="YYYY-MM-DD, when the content was posted; default the date of --occurred-at"
    ),
    keyword: list[str] = typer.Option([], "--keyword", help="KEYWORD_... (repeatable)"),
    territory: list[str] = typer.Option(
        [], "--territory", help="EEA country code where the sanction applies (repeatable); default all of the EEA"
    ),
    item: str = typer.Option(
        None,
        help="The item at fault (the platform's own id): the violation becomes a content decision on it, "
        "whose strike it is; give its --content-type and --content-date",
    ),
    item_language: str = typer.Option(None, help="With --item: the item's language (ISO 639-1), if known"),
    kind: str = typer.Option(None, help="With --item: the content decision's kind; default removal"),
    as_json: bool = JSON,
) -> None:
    """Record a violation: a strike, and what the platform's ladder imposes (with --item: a content
    decision on the item too, whose strike it is)."""
    platform, sep, name = account.partition("/")
    if not sep:
        raise ValidationError(f"{account!r} should be written platform/account", field="account")
    answer = violations.record_violation(
        state(ctx).db(),
        violations.RecordViolation.parse(
            id=id,
            platform=platform,
            account=name,
            policy=policy,
            severity=severity,
            category=category,
            facts=facts,
            occurred_at=occurred_at,
            content_type=(content_type or None) if item is None else None,
            content_date=content_date if item is None else None,
            keywords=keyword or None,
            territorial_scope=territory or None,
            item=_item(item, content_type, content_date, item_language),
            kind=kind,
        ),
        caller=caller().at(now()),
    )
    result = answer.body
    if as_json:
        emit_json(result)
        return
    if not answer.created:
        typer.echo("(already recorded: the first answer)", err=True)
    strike = result["strike"]
    sanction = result["sanction"]
    first_warning = strike["ladder"] == LadderName.FIRST_WARNING.value
    typer.echo(
        (
            "first warning, not a strike; "
            if first_warning
            else f"strike {strike['count']} ({strike['ladder']} ladder), expires {strike['expires_at'] or 'never'}; "
        )
        + (
            f"imposed {sanction['kind']} {sanction['id']} until {sanction['ends_at'] or 'no end'}"
            if sanction
            else "nothing imposed"
        )
        + (f"; content decision {result['content_decision']}" if result["content_decision"] else "")
    )
