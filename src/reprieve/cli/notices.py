"""``reprieve notice ...``: notices (DSA art. 16) and their cases, as the API's ``/v1/notices`` and
``/v1/cases``: file one received by letter or e-mail, list them, show one, show a case, decide it."""

from __future__ import annotations

from typing import Any

import typer

from reprieve.cli.context import CURSOR, JSON, actor, next_page_hint, now, state
from reprieve.cli.output import emit_json, record, table
from reprieve.domain.errors import ValidationError
from reprieve.domain.model import parse_enum
from reprieve.domain.notices import NoticeState
from reprieve.services import access_log, notices
from reprieve.services.callers import Caller

notice_app = typer.Typer(
    help="Notices (DSA art. 16) and their cases: file, list, show, case, decide.", no_args_is_help=True
)

NOTICE_COLUMNS = [
    ("id", "id"),
    ("platform", "platform"),
    ("about", "about"),
    ("category", "category"),
    ("illegal", "illegal"),
    ("state", "state"),
    ("case", "case"),
    ("received", "received_at"),
]


def register(app: typer.Typer) -> None:
    app.add_typer(notice_app, name="notice")


def _about(item: str | None, account: str | None) -> dict[str, str]:
    """``{item: id}`` or ``{account: id}``; both or neither given is the domain's 422 on ``about``."""
    return {k: v for k, v in (("item", item), ("account", account)) if v}


@notice_app.command("file")
def notice_file(
    ctx: typer.Context,
    platform: str = typer.Option(..., help="The platform the content is on"),
    item: str = typer.Option(None, help="The platform's id of the item reported (or --account)"),
    account: str = typer.Option(None, help="The platform's id of the account reported (or --item)"),
    location: str = typer.Option(..., help="The exact URL of the content (http or https)"),
    explanation: str = typer.Option(..., help="Why the notifier believes it is illegal or breaks the terms"),
    category: str = typer.Option(
        "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE", help="A STATEMENT_CATEGORY_* value (default: not specified)"
    ),
    illegal: bool = typer.Option(..., "--illegal/--terms", help="Alleges illegal content, or a breach of the terms"),
    legal_ground: str = typer.Option(None, "--legal-ground", help="The law it breaks (with --illegal)"),
    notifier_kind: str = typer.Option("individual", "--notifier-kind", help="individual or entity"),
    name: str = typer.Option(None, help="The notifier's name (kept private)"),
    email: str = typer.Option(None, help="The notifier's e-mail address (kept private)"),
    bona_fide: bool = typer.Option(False, "--bona-fide", help="The notifier's statement of good faith (required)"),
    channel: str = typer.Option("letter", help="letter or email (how it arrived), web or api"),
    received_at: str = typer.Option(None, "--received-at", help="When it arrived (RFC 3339; letters and e-mails)"),
    language: str = typer.Option("en", help="The receipt's language: en or fr"),
    as_json: bool = JSON,
) -> None:
    """Record a notice received by letter or e-mail; prints its receipt and the case it joined."""
    notifier: dict[str, Any] = {"kind": notifier_kind}
    if name:
        notifier["name"] = name
    if email:
        notifier["email"] = email
    command = notices.ReceiveNotice.parse(
        platform=platform,
        about=_about(item, account),
        location=location,
        explanation=explanation,
        category=category,
        illegal=illegal,
        legal_ground=legal_ground,
        notifier=notifier,
        bona_fide=bona_fide,
        channel=channel,
        received_at=received_at,
        language=language,
    )
    received = notices.receive_notice(state(ctx).db(), command, caller=Caller(actor(), now=now())).intake_json()
    if as_json:
        emit_json(received)
        return
    record(
        received, ["id", "case", "state", "platform", "category", "received_at", "receipt.id", "receipt.status_code"]
    )
    typer.echo(received["receipt"]["text"])


@notice_app.command("list")
def notice_list(
    ctx: typer.Context,
    state_: str = typer.Option(None, "--state", help="open or decided"),
    platform: str = typer.Option(None),
    category: str = typer.Option(None, help="A STATEMENT_CATEGORY_* value"),
    limit: int = typer.Option(50, help="1 to 1000"),
    cursor: str = CURSOR,
    as_json: bool = JSON,
) -> None:
    """List notices, oldest first (50 at a time; --cursor for the next page); no notifier's data."""
    f = notices.ListNotices(
        state=parse_enum(NoticeState, state_, field="--state") if state_ else None,
        platform=platform,
        category=category,
    )
    listed = notices.list_notices(state(ctx).db(), f, caller=Caller(actor()), limit=limit, cursor=cursor).to_json()
    if as_json:
        emit_json(listed)
        return
    table([dict(n, about=_about_text(n["about"])) for n in listed["items"]], NOTICE_COLUMNS)
    next_page_hint(listed)


def _about_text(about: dict[str, str]) -> str:
    ((kind, value),) = about.items()
    return f"{kind} {value}"


@notice_app.command("show")
def notice_show(ctx: typer.Context, id: str, as_json: bool = JSON) -> None:
    """Show a notice with its notifier (a reading of their e-mail the access log records)."""
    found = notices.get_notice(
        state(ctx).db(), id, caller=Caller(actor(), now=now()), include_contact=True, via=access_log.CLI
    ).to_json()
    if as_json:
        emit_json(found)
        return
    found["about"] = _about_text(found["about"])
    record(
        found,
        [
            "id",
            "operator",
            "platform",
            "about",
            "location",
            "category",
            "illegal",
            "legal_ground",
            "explanation",
            "notifier.kind",
            "notifier.name",
            "notifier.email",
            "channel",
            "state",
            "case",
            "received_at",
            "receipt.id",
        ],
    )


@notice_app.command("case")
def notice_case(ctx: typer.Context, id: str, as_json: bool = JSON) -> None:
    """Show a case: its subject, its state and its notices, oldest first."""
    found = notices.get_case(
        state(ctx).db(), id, caller=Caller(actor(), now=now()), include_contact=True, via=access_log.CLI
    ).to_json()
    if as_json:
        emit_json(found)
        return
    record(
        dict(found, about=_about_text(found["about"])),
        ["id", "operator", "platform", "about", "state", "opened_at", "count"],
    )
    typer.echo("notices:")
    table(
        [dict(n, notifier=n["notifier"]["name"] or n["notifier"]["kind"]) for n in found["notices"]],
        [
            ("id", "id"),
            ("category", "category"),
            ("illegal", "illegal"),
            ("notifier", "notifier"),
            ("received", "received_at"),
        ],
    )


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    """``NOTICE=TEXT`` options as ``{notice: text}``; a value without ``=`` is the domain's 422."""
    out: dict[str, str] = {}
    for value in values or ():
        notice, sep, text = value.partition("=")
        if not sep or not notice.strip():
            raise ValidationError(f"{value!r} is not NOTICE=TEXT", field=option)
        out[notice.strip()] = text
    return out


@notice_app.command("decide")
def notice_decide(
    ctx: typer.Context,
    id: str,
    action: str = typer.Option(..., help="content_decision, sanction or no_action"),
    decision: str = typer.Option(
        None, help="The id of the content decision or sanction taken on a notice (reason source article_16)"
    ),
    rationale: str = typer.Option(..., help="Why (kept beside the log)"),
    reply: str = typer.Option(..., help="The reply to every notifier of the case (kept beside the log)"),
    reply_to: list[str] = typer.Option(None, "--reply-to", help="NOTICE=TEXT: a notifier's own reply (repeatable)"),
    automated: bool = typer.Option(False, "--automated/--not-automated", help="Whether automated means were used"),
    refer_to: str = typer.Option(None, "--refer-to", help="The authority a suspected offence is referred to (art. 18)"),
    member_state: str = typer.Option(None, "--member-state", help="The authority's EEA country code, with --refer-to"),
    disclose: list[str] = typer.Option(
        None, "--disclose", help="NOTICE=REASON: tell the affected user who notified (art. 17(3)(b)) (repeatable)"
    ),
    as_json: bool = JSON,
) -> None:
    """Decide a notice's case: all its open notices together, a reply recorded for each notifier."""
    referral = None
    if refer_to is not None or member_state is not None:
        referral = {k: v for k, v in (("authority", refer_to), ("member_state", member_state)) if v is not None}
    command = notices.DecideCase.parse(
        notice=id,
        action=action,
        rationale=rationale,
        reply=reply,
        automated=automated,
        decision=decision,
        replies=_pairs(reply_to, "--reply-to"),
        referral=referral,
        disclosures=_pairs(disclose, "--disclose"),
    )
    decided = notices.decide_case(state(ctx).db(), command, caller=Caller(actor(), now=now())).to_json()
    if as_json:
        emit_json(decided)
        return
    record(
        dict(decided, about=_about_text(decided["about"])),
        ["id", "about", "state", "decision.action", "decision.content_decision", "decision.sanction", "count"],
    )
    typer.echo("notices:")
    table(
        [dict(n, reply=(n["reply"] or {}).get("text")) for n in decided["notices"]],
        [("id", "id"), ("state", "state"), ("reply", "reply")],
    )
