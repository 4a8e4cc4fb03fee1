"""Commands that run or look after an installation: serve, demo, migrate, tokens, events, audit."""

from __future__ import annotations

import errno
import socket

import typer

from reprieve.cli.context import JSON, actor, next_page_hint, now, state
from reprieve.cli.output import emit_json, record, table
from reprieve.domain.errors import ConflictError, ValidationError
from reprieve.services import audit, tokens, webhooks
from reprieve.services.callers import Caller
from reprieve.store import tables
from reprieve.store.db import create_engine_for
from reprieve.store.migrate import current_revision, head_revision, upgrade_if_needed

token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log: verify its chain, rebuild projections from it.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="token")
    app.add_typer(audit_app, name="audit")
    app.command("events")(events_command)
    app.command("migrate")(migrate_command)
    app.command("demo")(demo_command)
    app.command("serve")(serve_command)


def migrate_command(ctx: typer.Context) -> None:
    """Create or upgrade the database schema to the newest version."""
    engine = create_engine_for(state(ctx).database_url)
    try:
        before = current_revision(engine)
        changed = upgrade_if_needed(engine)
        after = head_revision(engine)
    finally:
        engine.dispose()
    typer.echo(f"migrated from {before or 'empty'} to {after}" if changed else f"already at {after}")


def events_command(
    ctx: typer.Context,
    cursor: int = typer.Option(None, "--cursor", min=0, help="The next page: only events with a greater seq"),
    after: int = typer.Option(None, "--after", min=0, hidden=True),  # the former name of --cursor
    latest: bool = typer.Option(False, "--latest", help="The newest events instead, newest first"),
    limit: int = typer.Option(50, help="1 to 1000"),
    operator: str = typer.Option(None),
    as_json: bool = JSON,
) -> None:
    """The audit log, oldest first (--cursor for the next page); --latest for the newest events."""
    if cursor is not None and after is not None:
        raise ValidationError("give --cursor only (--after is its former name)", field="--cursor")
    start = cursor if cursor is not None else after
    if latest and start is not None:
        raise ValidationError("--latest lists the newest events: it takes no --cursor", field="--latest")
    db = state(ctx).db()
    if latest:
        page = audit.latest_events(db, limit=limit, operator=operator)
    else:
        page = audit.list_events(db, after=start or 0, limit=limit, operator=operator)
    shown = page.to_json()
    if as_json:
        emit_json(shown)
        return
    rows = [dict(e, subject=_subject_of(e["data"])) for e in shown["items"]]
    table(
        rows,
        [
            ("seq", "seq"),
            ("type", "type"),
            ("effective", "effective_at"),
            ("recorded", "at"),
            ("actor", "actor_name"),
            ("operator", "operator"),
            ("about", "subject"),
        ],
    )
    next_page_hint(shown)


def _subject_of(data: dict[str, object]) -> str:
    subject = data.get("subject")
    if isinstance(subject, dict):
        return f"{subject['platform']}/{subject['account']} {data.get('id')}"
    if "platform" in data and "account" in data:
        return f"{data['platform']}/{data['account']}"
    return str(data.get("id") or data.get("identity") or "")


@audit_app.command("verify")
def audit_verify(ctx: typer.Context, as_json: bool = JSON) -> None:
    """Recompute the hash chain; exits 1 and names the first bad event if it does not check out."""
    result = audit.verify_audit_log(state(ctx).db())
    if as_json:
        emit_json(result.to_json())
    elif result.ok:
        typer.echo(f"ok: {result.events} events, head {result.head}")
        if result.proof:
            typer.echo(f"{result.proof} (reprieve audit cut-over); the events after it recomputed")
        if result.out_of_order:
            typer.echo(
                f"note: recording instants out of order: {result.out_of_order} events were recorded at an instant "
                "earlier than one before them (written before they were raised to the head's); reads as of a past "
                "instant take the log's prefix (docs/time.md)"
            )
    else:
        typer.echo(f"FAILED at event {result.first_bad}: {result.problem}", err=True)
    if not result.ok:
        raise SystemExit(1)


@audit_app.command("cut-over")
def audit_cut_over(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what it would move, and change nothing"),
    as_json: bool = JSON,
) -> None:
    """Move the personal data of events recorded before issue 21 out of the chain, once: their
    texts and names go to personal_data, the events keep their hashes, and a signed checkpoint
    proves them (docs/privacy.md, "Histories already chained"). Back up the database first."""
    result = audit.cut_over(
        state(ctx).db(),
        now=now(),
        dry_run=dry_run,
        on_progress=lambda what, n: typer.echo(f"{what} {n} events", err=True),
    )
    if as_json:
        emit_json(result.to_json())
    elif result.already is not None:
        typer.echo(f"nothing to cut over: the cut-over already ran (checkpoint: event {result.already})")
    elif result.events == 0:
        typer.echo(f"nothing to cut over: none of the {result.head} events holds personal data")
    elif result.dry_run:
        typer.echo(
            f"would move {result.moved} texts and names out of {result.events} of the {result.head} events "
            "(dry run: nothing changed)"
        )
    else:
        typer.echo(
            f"moved {result.moved} texts and names out of {result.events} of the {result.head} events; "
            f"checkpoint of {result.at} recorded as event {result.checkpoint_seq}; projections rebuilt"
        )


@audit_app.command("rebuild")
def audit_rebuild(ctx: typer.Context) -> None:
    """Recompute the projections (operators, platforms, sanctions, reviews, appeals...) from the
    log, in one transaction: all or nothing. Tokens, members, webhooks and the other tables that
    are not projections are left as they are."""
    count = audit.rebuild_projections(
        state(ctx).db(), on_progress=lambda n: typer.echo(f"replayed {n} events", err=True)
    )
    names = ", ".join(table.name for table in tables.PROJECTIONS)
    typer.echo(f"rebuilt {len(tables.PROJECTIONS)} projections from {count} events: {names}")
    typer.echo("left as they were: tokens, members, webhooks, outbox and the other tables not rebuilt from the log")


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    instance_admin: bool = typer.Option(False, "--instance-admin", help="A token that may do everything"),
    operator: str = typer.Option(None),
    role: str = typer.Option(None, help="admin, moderator, reviewer, auditor, platform"),
    name: str = typer.Option(None, help="Who or what uses it"),
    expires_in: str = typer.Option(None, help="ISO 8601 duration, e.g. P90D"),
    as_json: bool = JSON,
) -> None:
    """Create an API token; the secret is printed once and never stored."""
    if instance_admin:
        if role or operator:
            raise ValidationError("--instance-admin takes no --role or --operator")
        role, name = "instance-admin", name or "instance-admin"
    if not role:
        raise ValidationError("give --role and --operator, or --instance-admin")
    command = tokens.CreateToken.parse(name=name or role, role=role, operator=operator, expires_in=expires_in)
    result = tokens.create_token(state(ctx).db(), command, caller=Caller(actor(), now=now())).to_json()
    if as_json:
        emit_json(result)
    else:
        record(result, ["id", "name", "role", "operator", "expires_at"])
        typer.echo(f"token     {result['token']}")
        typer.echo("(shown once: store it now)", err=True)


@token_app.command("revoke")
def token_revoke(ctx: typer.Context, id: str) -> None:
    """Revoke a token at once."""
    tokens.revoke_token(state(ctx).db(), id, caller=Caller(actor(), now=now()))
    typer.echo(f"revoked {id}")


def demo_command(ctx: typer.Context, synthetic: int = typer.Option(3000, help="Synthetic sanctions to add")) -> None:
    """Load the demo story (Meta, Twitter, Parler, Truth Social, with their real dates, and some
    synthetic sanctions), its console members, and show it. Running it again changes nothing."""
    from reprieve.demo import load_demo, tell_story

    loaded = load_demo(state(ctx).db(), synthetic=synthetic, progress=lambda m: typer.echo(m, err=True))
    if not loaded:
        typer.echo("The demo story is already loaded; nothing changed.", err=True)
    tell_story(state(ctx).db(), typer.echo, synthetic=synthetic if loaded else None)


def serve_command(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000, min=0, max=65535),
    workers: int = typer.Option(1, min=1, max=64),
    log_format: str = typer.Option("json", help="json (one object per line) or text"),
    access_log: bool = typer.Option(True, help="a line per request on stdout"),
    cpus: str = typer.Option(
        "",
        help="run only on these CPUs, e.g. 1 or 2-3 (Linux); one CPU for one process keeps the "
        "threads that take turns under the GIL on the same caches (docs/operations.md)",
    ),
) -> None:
    """Run the HTTP API."""
    from reprieve.api.observability.logs import LogFormat
    from reprieve.api.server import parse_cpus, run_on, serve
    from reprieve.config import load_settings

    load_settings()  # a bad REPRIEVE_* setting is refused before anything is opened
    if log_format not in tuple(LogFormat):
        raise ValidationError(f"must be one of {', '.join(LogFormat)}", field="log-format")
    chosen = parse_cpus(cpus) if cpus else None
    check_can_listen(host, port)  # one clear line, not a server that starts and dies in its log
    if chosen:
        run_on(chosen)  # refused before anything is opened
    db = state(ctx).db()  # migrate before the workers start
    warning = webhooks.secret_key_warning(db)
    if warning:
        typer.echo(warning, err=True)
    db.dispose()
    serve(state(ctx).database_url, host, port, workers, log_format=log_format, access_log=access_log, cpus=chosen)


def check_can_listen(host: str, port: int) -> None:
    """Refuse, in one line, an address the server could not listen on (a port in use, most often).

    It binds as uvicorn will (``SO_REUSEADDR``, the first address ``host`` resolves to) and lets
    go at once; a server that takes the port in between still fails, in uvicorn's words."""
    hint = "choose another with --port (make run PORT=8001)"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise ValidationError(f"cannot listen on {host!r}: {reason}", field="host") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConflictError(f"port {port} on {host} is in use; {hint}") from None
            if exc.errno == errno.EACCES:
                raise ConflictError(f"port {port} on {host} needs privileges this user lacks; {hint}") from None
            raise ValidationError(f"cannot listen on {host} port {port}: {exc.strerror or exc}", field="host") from None
