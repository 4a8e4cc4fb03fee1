"""``reprieve content ...``: decisions on content (PRODUCT.md section 9), as the API's
``/v1/content-decisions``: decide, list, show, amend, restore."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from reprieve.cli.context import (
    AS_OF,
    AT,
    BACKDATED_REASON,
    CURSOR,
    JSON,
    actor,
    as_of_option,
    at_option,
    import_progress,
    json_lines,
    next_page_hint,
    now,
    state,
)
from reprieve.cli.output import emit_json, record, table
from reprieve.domain.content import KEEP, ContentKind, ContentState
from reprieve.domain.errors import ValidationError
from reprieve.domain.model import parse_enum
from reprieve.domain.reason import category_problem
from reprieve.services import content, content_import
from reprieve.services.callers import Caller
from reprieve.services.content import ContentDecisionView

content_app = typer.Typer(
    help="Decisions on content (items): decide, list, show, amend, restore.", no_args_is_help=True
)

DECISION_COLUMNS = [
    ("id", "id"),
    ("item", "item.item"),
    ("author", "item.account"),
    ("kind", "kind"),
    ("where", "territorial_scope"),
    ("state", "state"),
    ("starts", "starts_at"),
    ("ends", "ends_at"),
    ("category", "reason.category"),
]

#: ``--if-version``: the version ``content show`` gave; the change is refused if the decision changed since.
IF_VERSION = typer.Option(
    None,
    "--if-version",
    min=1,
    help="Only if the decision is still at this version (as `content show` gives it); else refused, nothing written",
)


def register(app: typer.Typer) -> None:
    app.add_typer(content_app, name="content")


def _split(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _item_ref(value: str) -> tuple[str, str]:
    platform, slash, item = value.partition("/")
    if not slash or not platform or not item:
        raise ValidationError(f"{value!r} is not platform/item, e.g. facebook/1346913502285590530", field="item")
    return platform, item


@content_app.command("decide")
def content_decide(
    ctx: typer.Context,
    item: str = typer.Argument(..., help="platform/item: the platform's own id of the item"),
    author: str = typer.Option(..., "--author", help="The item's author: their account id on the platform"),
    content_type: str = typer.Option(..., help="CONTENT_TYPE_... comma-separated"),
    content_date: str = typer.Option(..., help="YYYY-MM-DD: when the item was posted"),
    language: str = typer.Option(None, help="The item's language (ISO 639-1), if known"),
    kind: str = typer.Option(
        ...,
        help="removal, disabling, demotion, age_restriction, interaction_restriction, label, demonetization or other",
    ),
    kind_other: str = typer.Option(None, help="For --kind other: what the decision does"),
    territorial_scope: str = typer.Option(None, help="EEA country codes, comma-separated; default: everywhere"),
    starts_at: str = typer.Option(None, help="RFC 3339; default now"),
    ends_at: str = typer.Option(None, help="RFC 3339; default: indefinite"),
    duration: str = typer.Option(None, help="ISO 8601, e.g. P30D"),
    category: str = typer.Option(None, help="STATEMENT_CATEGORY_..."),
    ground: str = typer.Option("incompatible_content", help="illegal_content or incompatible_content"),
    explanation: str = typer.Option(None),
    policy: str = typer.Option(None, help="The platform's rule"),
    legal_ground: str = typer.Option(None),
    contractual_ground: str = typer.Option(None),
    facts: str = typer.Option(None),
    keywords: str = typer.Option(None, help="KEYWORD_... comma-separated"),
    source: str = typer.Option("voluntary", help="article_16, trusted_flagger, other_notification, voluntary"),
    reason_json: str = typer.Option(None, help="The whole reason as JSON (overrides the reason options)"),
    strike: bool = typer.Option(False, "--strike", help="Counts as a strike against the author"),
    severity: str = typer.Option(None, help="With --strike: low, moderate (default), high or severe, for the ladder"),
    automated_detection: bool = typer.Option(False),
    automated_decision: str = typer.Option("not_automated"),
    evidence_reference: str = typer.Option(
        None, help="The platform's reference of its snapshot of the item (an id or a URL; never the content)"
    ),
    evidence_sha256: str = typer.Option(None, help="The snapshot's SHA-256 (64 lower-case hex digits)"),
    backdated_reason: str = BACKDATED_REASON,
    as_json: bool = JSON,
) -> None:
    """Decide about an item (a --starts-at more than 24 hours ago needs --backdated-reason). An item
    keeps the author it was first recorded with."""
    platform, item_id = _item_ref(item)
    if reason_json:
        try:
            reason: dict[str, Any] = json.loads(reason_json)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"is not JSON: {exc.msg}", field="--reason-json") from None
    else:
        if category is None:
            raise ValidationError(category_problem(None), field="--category")
        if explanation is None:
            raise ValidationError("is required: why, as the statement of reasons tells the user", field="--explanation")
        given = {
            "category": category,
            "ground": ground,
            "explanation": explanation,
            "policy": policy,
            "legal_ground": legal_ground,
            "contractual_ground": contractual_ground,
            "facts": facts,
            "keywords": _split(keywords),
            "source": source,
        }
        reason = {k: v for k, v in given.items() if v is not None}
    evidence = None
    if evidence_reference is not None or evidence_sha256 is not None:
        evidence = {"reference": evidence_reference, "sha256": evidence_sha256}
    described = {
        "platform": platform,
        "item": item_id,
        "account": author,
        "content_type": _split(content_type) or [],
        "content_date": content_date,
    }
    if language is not None:
        described["language"] = language
    command = content.DecideContent.parse(
        item=described,
        kind=kind,
        reason=reason,
        kind_other=kind_other,
        territorial_scope=_split(territorial_scope),
        starts_at=starts_at,
        ends_at=ends_at,
        duration=duration,
        strike=strike,
        severity=severity,
        automated={"detection": automated_detection, "decision": automated_decision},
        backdated_reason=backdated_reason,
        evidence=evidence,
    )
    result = content.decide_content(state(ctx).db(), command, caller=Caller(actor(), now=now))
    emit_json(result.to_json()) if as_json else show_decision(result)


@content_app.command("list")
def content_list(
    ctx: typer.Context,
    platform: str = typer.Option(None),
    account: str = typer.Option(None, help="The author: platform/account or account"),
    item: str = typer.Option(None, help="The platform's id of the item"),
    kind: str = typer.Option(None),
    state_: str = typer.Option(None, "--state", help="scheduled, active, expired, restored, cancelled"),
    at: str = AT,
    as_of: str = AS_OF,
    limit: int = typer.Option(50, help="1 to 1000"),
    cursor: str = CURSOR,
    as_json: bool = JSON,
) -> None:
    """List content decisions (50 at a time; --cursor for the next page)."""
    f = content.ListContent(
        platform=platform,
        account=account,
        item=item,
        kind=parse_enum(ContentKind, kind, field="--kind") if kind else None,
        state=parse_enum(ContentState, state_, field="--state") if state_ else None,
    )
    page = content.list_content_decisions(
        state(ctx).db(), f, at=at_option(at), limit=limit, cursor=cursor, as_of=as_of_option(as_of)
    )
    listed = page.to_json()
    if as_json:
        emit_json(listed)
        return
    table(listed["items"], DECISION_COLUMNS)
    next_page_hint(listed)


@content_app.command("show")
def content_show(ctx: typer.Context, id: str, at: str = AT, as_of: str = AS_OF, as_json: bool = JSON) -> None:
    """Show a content decision as it stands at an instant, with its history (as known --as-of an instant)."""
    result = content.get_content_decision(state(ctx).db(), id, at=at_option(at), as_of=as_of_option(as_of))
    emit_json(result.to_json()) if as_json else show_decision(result)


@content_app.command("amend")
def content_amend(
    ctx: typer.Context,
    id: str,
    reason: str = typer.Option(..., help="Why the term changes"),
    kind: str = typer.Option(None, help="The new kind"),
    ends_at: str = typer.Option(None, help="New end (RFC 3339)"),
    indefinite: bool = typer.Option(False, "--indefinite", help="Remove the end"),
    territorial_scope: str = typer.Option(None, help="New scope: EEA country codes, comma-separated"),
    everywhere: bool = typer.Option(False, "--everywhere", help="New scope: everywhere"),
    effective_at: str = typer.Option(None, help="Default now (a decision not started yet: its start)"),
    backdated_reason: str = BACKDATED_REASON,
    if_version: int = IF_VERSION,
    as_json: bool = JSON,
) -> None:
    """Change a content decision's term from an instant on."""
    if ends_at and indefinite:
        raise ValidationError("give --ends-at or --indefinite, not both")
    if territorial_scope and everywhere:
        raise ValidationError("give --territorial-scope or --everywhere, not both")
    scope: list[str] | None = [] if everywhere else _split(territorial_scope)
    command = content.AmendContent.parse(
        reason=reason,
        kind=kind,
        ends_at=None if indefinite else (ends_at or KEEP),
        territorial_scope=scope,
        effective_at=effective_at,
        backdated_reason=backdated_reason,
    )
    result = content.amend_content(state(ctx).db(), id, command, caller=Caller(actor(), now=now), if_version=if_version)
    emit_json(result.to_json()) if as_json else show_decision(result)


@content_app.command("restore")
def content_restore(
    ctx: typer.Context,
    id: str,
    reason: str = typer.Option(..., help="Why the item is restored"),
    effective_at: str = typer.Option(
        None,
        help="Default now (a decision not started yet: its start, which cancels it); a future instant schedules it",
    ),
    backdated_reason: str = BACKDATED_REASON,
    if_version: int = IF_VERSION,
    as_json: bool = JSON,
) -> None:
    """Restore the item: end a decision that is active at the effective instant."""
    command = content.RestoreContent.parse(reason=reason, effective_at=effective_at, backdated_reason=backdated_reason)
    result = content.restore_content(
        state(ctx).db(), id, command, caller=Caller(actor(), now=now), if_version=if_version
    )
    emit_json(result.to_json()) if as_json else show_decision(result)


@content_app.command("import")
def content_import_command(
    ctx: typer.Context,
    path: Path = typer.Argument(
        ...,
        help="JSON Lines, one content decision per line (the API's create body, with informed_at and, if the "
        "platform issued one, its statement {reference, issued_at}); - for stdin",
    ),
    batch_size: int = typer.Option(10_000, min=1, max=100_000),
    informed_at_start: bool = typer.Option(
        False, "--informed-at-start", help="a line without informed_at: its user was informed at its starts_at"
    ),
) -> None:
    """Import history: content decisions taken before, each with when its user was informed (informed_at)."""

    def parse(line: str, number: int, ordinal: int) -> content.DecideContent:
        return decision_from_json(line, number, ordinal, informed_at_start=informed_at_start)

    total = content_import.import_content(
        state(ctx).db(),
        json_lines(path, parse),
        caller=Caller(actor(), now=now()),
        batch_size=batch_size,
        on_batch=import_progress,
    )
    typer.echo(f"{total} content decisions imported")


_ROW_FIELDS = frozenset(
    {
        "item",
        "kind",
        "kind_other",
        "territorial_scope",
        "starts_at",
        "ends_at",
        "duration",
        "reason",
        "strike",
        "automated",
        "evidence",
        "informed_at",
        "statement",
    }
)


def decision_from_json(
    line: str, number: int, ordinal: int, *, informed_at_start: bool = False
) -> content.DecideContent:
    """The command on line ``number``, the ``ordinal``-th decision of the file, with when its user was
    informed; a value it cannot parse is named as the import names the row it refuses
    (``content decision #<ordinal>: ...``)."""
    try:
        body = json.loads(line)
        if not isinstance(body, dict):
            raise TypeError("not an object")
    except (json.JSONDecodeError, TypeError) as exc:
        raise ValidationError(f"line {number} is not a content decision: {exc}") from None
    try:
        unknown = set(body) - _ROW_FIELDS
        if unknown:
            raise ValidationError(f"unknown field {sorted(unknown)[0]!r}")
        command = content.DecideContent.parse(
            item=body.get("item"),
            kind=body.get("kind"),
            reason=body.get("reason"),
            kind_other=body.get("kind_other"),
            territorial_scope=body.get("territorial_scope"),
            starts_at=body.get("starts_at"),
            ends_at=body.get("ends_at"),
            duration=body.get("duration"),
            strike=body.get("strike", False),
            automated=body.get("automated"),
            evidence=body.get("evidence"),
        )
        return content_import.imported_decision(
            command, body.get("informed_at"), body.get("statement"), informed_at_start=informed_at_start
        )
    except ValidationError as exc:
        raise ValidationError(f"content decision #{ordinal} (line {number}): {exc.message}") from None


def show_decision(view: ContentDecisionView) -> None:
    """The decision as a record (its wire form's fields, as ``--json`` gives them) and its history."""
    d = view.to_json()
    d["territorial_scope"] = d["territorial_scope"] or "everywhere"
    record(
        d,
        [
            "id",
            "operator",
            "item.platform",
            "item.item",
            "item.account",
            "item.content_type",
            "item.content_date",
            "kind",
            *(["kind_other"] if d["kind_other"] else []),
            "territorial_scope",
            "restricts",
            "state",
            "starts_at",
            "ends_at",
            "restored_at",
            "at",
            "version",
            "strike",
            "backdated",
            "reason.category",
            "reason.ground",
            "reason.explanation",
            *(["evidence.reference", "evidence.sha256"] if d["evidence"] else []),
        ],
    )
    typer.echo("history:")
    table(
        [
            dict(c, territorial_scope=c["territorial_scope"] or ("everywhere" if c["kind"] else None))
            for c in d["changes"]
        ],
        [
            ("seq", "seq"),
            ("change", "type"),
            ("effective", "effective_at"),
            ("kind", "kind"),
            ("ends", "ends_at"),
            ("where", "territorial_scope"),
            ("backdated", "backdated_reason"),
        ],
    )
