"""Commands over the ledger: operators, platforms, accounts, identities, sanctions, standing, checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from sqlalchemy.exc import OperationalError

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
    near_miss,
    next_page_hint,
    now,
    state,
)
from reprieve.cli.output import emit_json, fail, policy_text, probation_text, record, table
from reprieve.domain.checks import Check
from reprieve.domain.errors import ReprieveError, ValidationError
from reprieve.domain.filters import SanctionFilter
from reprieve.domain.model import AccountRef, SanctionKind, SanctionState, parse_enum
from reprieve.domain.reason import category_problem
from reprieve.domain.sanctions import UNSET
from reprieve.services import catalogue, sanctions, standing
from reprieve.services.callers import Caller
from reprieve.services.viewing import json_list
from reprieve.services.views import SanctionView

operator_app = typer.Typer(help="Operators: organisations that run platforms.", no_args_is_help=True)
platform_app = typer.Typer(help="Platforms: the services of an operator.", no_args_is_help=True)
account_app = typer.Typer(help="Accounts, named platform/account.", no_args_is_help=True)
identity_app = typer.Typer(help="Identities: accounts of one operator linked together.", no_args_is_help=True)
sanction_app = typer.Typer(help="Sanctions: impose, list, show, amend, lift, import.", no_args_is_help=True)

SANCTION_COLUMNS = [
    ("id", "id"),
    ("subject", "subject"),
    ("scope", "scope"),
    ("kind", "kind"),
    ("state", "state"),
    ("starts", "starts_at"),
    ("ends", "ends_at"),
    ("category", "reason.category"),
]


def register(app: typer.Typer) -> None:
    app.add_typer(operator_app, name="operator")
    app.add_typer(platform_app, name="platform")
    app.add_typer(account_app, name="account")
    app.add_typer(identity_app, name="identity")
    app.add_typer(sanction_app, name="sanction")
    app.command("standing")(standing_command)
    app.command("check")(check_command)


def split(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


# --- operators ---------------------------------------------------------------------------


@operator_app.command("create")
def operator_create(
    ctx: typer.Context, id: str, name: str = typer.Option(..., help="Display name"), as_json: bool = JSON
) -> None:
    """Create an operator."""
    command = catalogue.CreateOperator.parse(id=id, name=name)
    result = catalogue.create_operator(state(ctx).db(), command, caller=Caller(actor(), now=now())).to_json()
    emit_json(result) if as_json else record(result)


@operator_app.command("show")
def operator_show(ctx: typer.Context, id: str, as_json: bool = JSON) -> None:
    """Show an operator and its platforms."""
    result = catalogue.get_operator(state(ctx).db(), id).to_json()
    emit_json(result) if as_json else record(result)


@operator_app.command("list")
def operator_list(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List operators."""
    result = json_list(catalogue.list_operators(state(ctx).db()))
    emit_json(result) if as_json else table(result, [("id", "id"), ("name", "name")])


# --- platforms ---------------------------------------------------------------------------


@platform_app.command("create")
def platform_create(
    ctx: typer.Context,
    id: str,
    operator: str = typer.Option(..., help="The operator that runs it"),
    name: str = typer.Option(..., help="Display name"),
    kind: str = typer.Option("social", help="social, hosting, app_store or other"),
    capabilities: str = typer.Option(None, help="Comma-separated; default: login,post,comment,..."),
    policy: str = typer.Option(None, help="A shipped policy name (meta, youtube, truth-social, parler)"),
    as_json: bool = JSON,
) -> None:
    """Create a platform of an operator."""
    command = catalogue.CreatePlatform.parse(
        id=id, operator=operator, name=name, kind=kind, capabilities=split(capabilities), policy=policy
    )
    result = catalogue.create_platform(state(ctx).db(), command, caller=Caller(actor(), now=now())).to_json()
    emit_json(result) if as_json else record(dict(result, policy=policy_text(result.get("policy"))))


@platform_app.command("show")
def platform_show(ctx: typer.Context, id: str, as_json: bool = JSON) -> None:
    """Show a platform."""
    result = catalogue.get_platform(state(ctx).db(), id).to_json()
    emit_json(result) if as_json else record(dict(result, policy=policy_text(result.get("policy"))))


@platform_app.command("list")
def platform_list(ctx: typer.Context, operator: str = typer.Option(None), as_json: bool = JSON) -> None:
    """List platforms."""
    result = json_list(catalogue.list_platforms(state(ctx).db(), operator))
    cols = [("id", "id"), ("operator", "operator"), ("kind", "kind"), ("name", "name")]
    emit_json(result) if as_json else table(result, cols)


# --- accounts and identities -------------------------------------------------------------


@account_app.command("put")
def account_put(
    ctx: typer.Context,
    account: str = typer.Argument(..., help="platform/account"),
    display_name: str = typer.Option(None),
    as_json: bool = JSON,
) -> None:
    """Create an account (or update its display name)."""
    command = catalogue.PutAccount.parse(AccountRef.parse(account), display_name=display_name)
    result = catalogue.put_account(state(ctx).db(), command, caller=Caller(actor(), now=now()))[0].to_json()
    emit_json(result) if as_json else record(result)


@account_app.command("show")
def account_show(
    ctx: typer.Context, account: str = typer.Argument(..., help="platform/account"), as_json: bool = JSON
) -> None:
    """Show an account and its identity."""
    result = catalogue.get_account(state(ctx).db(), AccountRef.parse(account)).to_json()
    emit_json(result) if as_json else record(result)


@identity_app.command("link")
def identity_link(
    ctx: typer.Context,
    accounts: list[str] = typer.Argument(..., help="platform/account ..."),
    operator: str = typer.Option(..., help="The operator all the accounts belong to"),
    as_json: bool = JSON,
) -> None:
    """Link accounts into one identity (merging the identities they were in)."""
    command = catalogue.LinkIdentities.parse(operator=operator, accounts=[AccountRef.parse(a) for a in accounts])
    result = catalogue.link_identities(state(ctx).db(), command, caller=Caller(actor(), now=now())).to_json()
    emit_json(result) if as_json else record(result)


@identity_app.command("show")
def identity_show(ctx: typer.Context, id: str, as_of: str = AS_OF, as_json: bool = JSON) -> None:
    """Show an identity and its accounts (as known --as-of an instant: with the links made by then)."""
    result = catalogue.get_identity(state(ctx).db(), id, as_of=as_of_option(as_of)).to_json()
    emit_json(result) if as_json else record(result)


# --- sanctions ---------------------------------------------------------------------------


@sanction_app.command("create")
def sanction_create(
    ctx: typer.Context,
    subject: str = typer.Argument(..., help="platform/account"),
    kind: str = typer.Option(..., help="warning, restriction, suspension or termination"),
    scope: str = typer.Option(None, help="Comma-separated platforms of the same operator"),
    denies: str = typer.Option(None, help="For a restriction: comma-separated capabilities"),
    starts_at: str = typer.Option(None, help="RFC 3339; default now"),
    ends_at: str = typer.Option(None, help="RFC 3339; default: indefinite"),
    duration: str = typer.Option(None, help="ISO 8601, e.g. P2Y, P30D, PT48H"),
    review_at: str = typer.Option(None),
    review_after: str = typer.Option(None, help="ISO 8601"),
    hold_until_review: bool = typer.Option(
        False, "--hold-until-review", help="Keep it in force after its end until its review is decided (needs a review)"
    ),
    category: str = typer.Option(None, help="STATEMENT_CATEGORY_..."),
    ground: str = typer.Option("incompatible_content", help="illegal_content or incompatible_content"),
    explanation: str = typer.Option(None),
    policy: str = typer.Option(None, help="The platform's rule"),
    legal_ground: str = typer.Option(None),
    contractual_ground: str = typer.Option(None),
    facts: str = typer.Option(None),
    keywords: str = typer.Option(None, help="KEYWORD_... comma-separated"),
    source: str = typer.Option("voluntary", help="article_16, trusted_flagger, other_notification, voluntary"),
    territorial_scope: str = typer.Option(None, help="EEA country codes, comma-separated"),
    content_type: str = typer.Option(None, help="CONTENT_TYPE_... comma-separated: what the decision was about"),
    content_date: str = typer.Option(None, help="YYYY-MM-DD: when that content was posted"),
    reason_json: str = typer.Option(None, help="The whole reason as JSON (overrides the reason options)"),
    automated_detection: bool = typer.Option(False),
    automated_decision: str = typer.Option("not_automated"),
    backdated_reason: str = BACKDATED_REASON,
    order_authority: str = typer.Option(
        None, help="Giving effect to an authority's order (DSA art. 9): the public body's short name"
    ),
    order_member_state: str = typer.Option(None, help="The order's authority's state: an EU or EEA country code"),
    order_reference: str = typer.Option(None, help="The order's reference"),
    order_received_at: str = typer.Option(None, help="RFC 3339: when the order was received"),
    order_territory: str = typer.Option(None, help="Member-state codes the order is limited to, comma-separated"),
    as_json: bool = JSON,
) -> None:
    """Impose a sanction on an account's identity (a --starts-at more than 24 hours ago needs
    --backdated-reason; `sanction import` writes history). With the --order-... options it gives
    effect to an authority's order: it issues the art. 9(5) information, not a statement of reasons."""
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
        reason = {
            k: v
            for k, v in {
                "category": category,
                "ground": ground,
                "explanation": explanation,
                "policy": policy,
                "legal_ground": legal_ground,
                "contractual_ground": contractual_ground,
                "facts": facts,
                "keywords": split(keywords),
                "source": source,
                "territorial_scope": split(territorial_scope),
                "content_type": split(content_type),
                "content_date": content_date,
            }.items()
            if v is not None
        }
    command = sanctions.ImposeSanction.parse(
        subject=AccountRef.parse(subject),
        kind=kind,
        reason=reason,
        scope=split(scope),
        denies=split(denies) or (),
        starts_at=starts_at,
        ends_at=ends_at,
        duration=duration,
        review_at=review_at,
        review_after=review_after,
        automated={"detection": automated_detection, "decision": automated_decision},
        hold_until_review=hold_until_review,
        backdated_reason=backdated_reason,
        order=_order_option(order_authority, order_member_state, order_reference, order_received_at, order_territory),
    )
    result = sanctions.impose_sanction(state(ctx).db(), command, caller=Caller(actor(), now=now))
    emit_json(result.to_json()) if as_json else show_sanction(result)


@sanction_app.command("list")
def sanction_list(
    ctx: typer.Context,
    operator: str = typer.Option(None),
    platform: str = typer.Option(None),
    account: str = typer.Option(None, help="platform/account or account"),
    kind: str = typer.Option(None),
    state_: str = typer.Option(None, "--state", help="scheduled, active, expired, lifted, cancelled"),
    category: str = typer.Option(None),
    at: str = AT,
    as_of: str = AS_OF,
    limit: int = typer.Option(50, help="1 to 1000"),
    cursor: str = CURSOR,
    as_json: bool = JSON,
) -> None:
    """List sanctions (50 at a time; --cursor for the next page)."""
    f = SanctionFilter(
        operator=operator,
        platform=platform,
        account=account,
        kind=parse_enum(SanctionKind, kind, field="--kind") if kind else None,
        state=parse_enum(SanctionState, state_, field="--state") if state_ else None,
        category=category,
    )
    page = sanctions.list_sanctions(
        state(ctx).db(), f, at=at_option(at), limit=limit, cursor=cursor, as_of=as_of_option(as_of)
    )
    listed = page.to_json()
    if as_json:
        emit_json(listed)
        return
    table(listed["items"], SANCTION_COLUMNS)
    next_page_hint(listed)


@sanction_app.command("show")
def sanction_show(ctx: typer.Context, id: str, at: str = AT, as_of: str = AS_OF, as_json: bool = JSON) -> None:
    """Show a sanction as it stands at an instant, with its history (as known --as-of an instant)."""
    result = sanctions.get_sanction(state(ctx).db(), id, at=at_option(at), as_of=as_of_option(as_of))
    emit_json(result.to_json()) if as_json else show_sanction(result)


#: ``--if-version``: the version ``sanction show`` gave; the change is refused if the sanction changed since.
IF_VERSION = typer.Option(
    None,
    "--if-version",
    min=1,
    help="Only if the sanction is still at this version (as `sanction show` gives it); else refused, nothing written",
)


@sanction_app.command("amend")
def sanction_amend(
    ctx: typer.Context,
    id: str,
    reason: str = typer.Option(..., help="Why the term changes"),
    ends_at: str = typer.Option(None, help="New end (RFC 3339)"),
    indefinite: bool = typer.Option(False, "--indefinite", help="Remove the end"),
    duration: str = typer.Option(None, help="New end as a duration after the sanction's start"),
    review_at: str = typer.Option(None),
    kind: str = typer.Option(None),
    denies: str = typer.Option(None),
    hold_until_review: bool = typer.Option(
        None,
        "--hold-until-review/--no-hold-until-review",
        help="Hold it in force after its end until its review is decided, or release the hold; default: kept",
    ),
    effective_at: str = typer.Option(None, help="Default now (a sanction not started yet: its start)"),
    backdated_reason: str = BACKDATED_REASON,
    if_version: int = IF_VERSION,
    as_json: bool = JSON,
) -> None:
    """Change a sanction's term from an instant on."""
    db = state(ctx).db()
    chosen = [x for x in (ends_at, duration) if x] + (["--indefinite"] if indefinite else [])
    if len(chosen) > 1:
        raise ValidationError("give one of --ends-at, --duration or --indefinite")
    new_ends: Any = UNSET
    if indefinite:
        new_ends = None
    elif ends_at:
        new_ends = ends_at
    elif duration:
        from reprieve.domain.time import parse_duration

        start = sanctions.get_sanction(db, id, at=now()).starts_at
        new_ends = parse_duration(duration, field="--duration").after(start, field="--duration")
    command = sanctions.AmendSanction.parse(
        reason=reason,
        ends_at=new_ends,
        review_at=review_at if review_at else UNSET,
        kind=kind,
        denies=split(denies),
        effective_at=effective_at,
        hold_until_review=UNSET if hold_until_review is None else hold_until_review,
        backdated_reason=backdated_reason,
    )
    result = sanctions.amend_sanction(db, id, command, caller=Caller(actor(), now=now), if_version=if_version)
    emit_json(result.to_json()) if as_json else show_sanction(result)


@sanction_app.command("lift")
def sanction_lift(
    ctx: typer.Context,
    id: str,
    reason: str = typer.Option(..., help="Why it is lifted"),
    effective_at: str = typer.Option(
        None,
        help="Default now (for a sanction not started yet: its start, which cancels it); a future instant "
        "schedules the lift",
    ),
    backdated_reason: str = BACKDATED_REASON,
    if_version: int = IF_VERSION,
    as_json: bool = JSON,
) -> None:
    """Lift a sanction that is active at the effective instant, or cancel one that has not started."""
    command = sanctions.LiftSanction.parse(reason=reason, effective_at=effective_at, backdated_reason=backdated_reason)
    result = sanctions.lift_sanction(
        state(ctx).db(), id, command, caller=Caller(actor(), now=now), if_version=if_version
    )
    emit_json(result.to_json()) if as_json else show_sanction(result)


@sanction_app.command("import")
def sanction_import(
    ctx: typer.Context,
    path: Path = typer.Argument(
        ...,
        help="JSON Lines, one sanction per line (the API's create body, with informed_at and, if the platform "
        "issued one, its statement {reference, issued_at}); - for stdin",
    ),
    batch_size: int = typer.Option(10_000, min=1, max=100_000),
    informed_at_start: bool = typer.Option(
        False, "--informed-at-start", help="a line without informed_at: its user was informed at its starts_at"
    ),
) -> None:
    """Import history: sanctions decided before, each with when its user was informed (informed_at)."""

    def parse(line: str, number: int, ordinal: int) -> sanctions.ImposeSanction:
        return sanction_from_json(line, number, ordinal, informed_at_start=informed_at_start)

    total = sanctions.import_sanctions(
        state(ctx).db(),
        json_lines(path, parse),
        caller=Caller(actor(), now=now()),
        batch_size=batch_size,
        on_batch=import_progress,
    )
    typer.echo(f"{total} sanctions imported")


def sanction_from_json(
    line: str, number: int, ordinal: int, *, informed_at_start: bool = False
) -> sanctions.ImposeSanction:
    """The command on line ``number``, the ``ordinal``-th sanction of the file, with when its user
    was informed (``sanctions.imported_command``); a value it cannot parse is named as the import
    names the sanction it refuses (``sanction #<ordinal>: ...``)."""
    try:
        body = json.loads(line)
        subject = body["subject"]
        ref = AccountRef.parse(f"{subject['platform']}/{subject['account']}")
        kind, reason = body["kind"], body["reason"]
        given = {
            "scope": body.get("scope"),
            "denies": body.get("denies") or (),
            **{
                k: body.get(k)
                for k in ("starts_at", "ends_at", "duration", "review_at", "review_after", "automated", "order")
            },
        }
        informed_at, statement = body.get("informed_at"), body.get("statement")
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise ValidationError(f"line {number} is not a sanction: {exc}") from None
    try:
        command = sanctions.ImposeSanction.parse(ref, kind, reason, **given)
        return sanctions.imported_command(command, informed_at, statement, informed_at_start=informed_at_start)
    except ValidationError as exc:
        raise ValidationError(f"sanction #{ordinal}: {exc.message}") from None


def _order_option(
    authority: str | None,
    member_state: str | None,
    reference: str | None,
    received_at: str | None,
    territory: str | None,
) -> dict[str, Any] | None:
    """The ``order`` of ``sanction create``'s --order-... options (None when none is given)."""
    given = {
        "authority": authority,
        "member_state": member_state,
        "reference": reference,
        "received_at": received_at,
        "territorial_scope": split(territory),
    }
    if all(v is None for v in given.values()):
        return None
    return {k: v for k, v in given.items() if v is not None}


def show_sanction(view: SanctionView) -> None:
    """The sanction as a record (its wire form's fields, as ``--json`` gives them) and its history."""
    s = view.to_json()
    record(
        s,
        [
            "id",
            "operator",
            "subject",
            "identity",
            "scope",
            "kind",
            "denies",
            "state",
            "starts_at",
            "ends_at",
            "review_at",
            "hold_until_review",
            "pending_review",
            "lifted_at",
            "at",
            "version",
            "reason.category",
            "reason.ground",
            "reason.policy",
            "reason.explanation",
            # Imported history: when its user was informed, and the platform's own statement.
            *(
                ["imported.informed_at", "imported.statement.reference", "imported.statement.issued_at"]
                if s["imported"]
                else []
            ),
            # Giving effect to an authority's order (DSA art. 9): the art. 9(5) information was issued.
            *(["order.authority", "order.member_state", "order.reference", "order.received_at"] if s["order"] else []),
        ],
    )
    typer.echo("history:")
    table(
        s["history"],
        [
            ("seq", "seq"),
            ("change", "type"),
            ("effective", "effective_at"),
            ("kind", "kind"),
            ("ends", "ends_at"),
            ("review", "review_at"),
            ("backdated", "backdated_reason"),
        ],
    )


# --- standing and checks -----------------------------------------------------------------


def standing_command(
    ctx: typer.Context,
    account: str = typer.Argument(..., help="platform/account"),
    at: str = AT,
    as_of: str = AS_OF,
    as_json: bool = JSON,
) -> None:
    """The standing of an account on its platform at an instant (as known --as-of an instant)."""
    result = standing.get_standing(
        state(ctx).db(), AccountRef.parse(account), at=at_option(at), caller=Caller(actor()), as_of=as_of_option(as_of)
    ).to_json()
    if as_json:
        emit_json(result)
    else:
        record(dict(result, probation=probation_text(result["probation"])))


def check_command(
    ctx: typer.Context,
    account: str = typer.Argument(..., help="platform/account"),
    capability: str = typer.Argument(..., help="e.g. post, login, live"),
    at: str = AT,
    as_of: str = AS_OF,
    as_json: bool = JSON,
) -> None:
    """May this account do this, at this instant? Exit status: 0 allowed, 1 denied, 2 error (the
    check could not be answered: a malformed account, an unknown platform or capability)."""
    try:
        check = Check(AccountRef.parse(account), capability)
        result = standing.run_checks(
            state(ctx).db(), [check], at=at_option(at), caller=Caller(actor()), as_of=as_of_option(as_of)
        )[0].to_json()
    except ReprieveError as exc:
        fail(exc.message + near_miss(exc.message), CHECK_ERROR)
    except OperationalError as exc:
        fail(f"database: {str(exc.orig).splitlines()[0]}", CHECK_ERROR)
    if as_json:
        emit_json(result)
    elif result["allowed"]:
        typer.echo(f"allowed: {account} may {capability} ({result['status']})")
    else:
        until = f" until {result['until']}" if result["until"] else " with no end"
        typer.echo(f"denied: {account} may not {capability}: {result['status']}{until} by {result['sanction']}")
    if not result["allowed"]:
        raise SystemExit(CHECK_DENIED)


#: ``reprieve check``'s exit status when the answer is "denied", and when there is no answer.
CHECK_DENIED = 1
CHECK_ERROR = 2
