"""``reprieve webhook``: endpoints, their deliveries, redelivery."""

from __future__ import annotations

import typer

from reprieve.cli.context import JSON, actor, now, state
from reprieve.cli.output import emit_json, record, table
from reprieve.services import webhooks
from reprieve.services.callers import Caller

webhook_app = typer.Typer(help="Webhook endpoints and their deliveries.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(webhook_app, name="webhook")


@webhook_app.command("create")
def create_command(
    ctx: typer.Context,
    operator: str = typer.Option(..., "--operator"),
    url: str = typer.Option(..., "--url", help="http(s) URL the deliveries are POSTed to"),
    event_types: list[str] = typer.Option(
        ["*"], "--event-type", help="repeat for several; * (the default) for every type"
    ),
    secret: str = typer.Option(None, "--secret", help="default: generated, printed once"),
    description: str = typer.Option("", "--description"),
    as_json: bool = JSON,
) -> None:
    """Register an endpoint; its signing secret is printed this once."""
    db = state(ctx).db()
    command = webhooks.CreateWebhook(operator, url, tuple(event_types), secret, description)
    result = webhooks.create_webhook(db, command, caller=Caller(actor(), now=now())).to_json()
    emit_json(result) if as_json else record(result)
    warning = webhooks.secret_key_warning(db)
    if warning:
        typer.echo(warning, err=True)


@webhook_app.command("list")
def list_command(
    ctx: typer.Context,
    operator: str = typer.Option(None, "--operator"),
    limit: int = typer.Option(100, min=1),
    as_json: bool = JSON,
) -> None:
    """Endpoints, with their pending, delivered and dead deliveries."""
    page = webhooks.list_webhooks(state(ctx).db(), operator=operator, caller=Caller(actor()), limit=limit).to_json()
    if as_json:
        emit_json(page)
        return
    table(
        page["items"],
        [
            ("id", "id"),
            ("operator", "operator"),
            ("state", "state"),
            ("url", "url"),
            ("pending", "deliveries.pending"),
            ("dead", "deliveries.dead"),
        ],
    )


@webhook_app.command("show")
def show_command(ctx: typer.Context, webhook_id: str, as_json: bool = JSON) -> None:
    result = webhooks.get_webhook(state(ctx).db(), webhook_id).to_json()
    emit_json(result) if as_json else record(result)


@webhook_app.command("disable")
def disable_command(ctx: typer.Context, webhook_id: str, as_json: bool = JSON) -> None:
    """Pending deliveries wait and nothing new is queued until it is enabled again."""
    caller = Caller(actor(), now=now())
    result = webhooks.set_webhook_state(state(ctx).db(), webhook_id, active=False, caller=caller).to_json()
    emit_json(result) if as_json else record(result)


@webhook_app.command("enable")
def enable_command(ctx: typer.Context, webhook_id: str, as_json: bool = JSON) -> None:
    caller = Caller(actor(), now=now())
    result = webhooks.set_webhook_state(state(ctx).db(), webhook_id, active=True, caller=caller).to_json()
    emit_json(result) if as_json else record(result)


@webhook_app.command("delete")
def delete_command(ctx: typer.Context, webhook_id: str) -> None:
    """Delete an endpoint and its deliveries."""
    webhooks.delete_webhook(state(ctx).db(), webhook_id, caller=Caller(actor(), now=now()))
    typer.echo(f"deleted {webhook_id}")


@webhook_app.command("deliveries")
def deliveries_command(
    ctx: typer.Context,
    webhook_id: str,
    delivery_state: str = typer.Option(None, "--state", help="pending, delivered or dead (the dead letters)"),
    limit: int = typer.Option(50, min=1, max=1000),
    as_json: bool = JSON,
) -> None:
    """Deliveries of an endpoint, newest first."""
    page = webhooks.list_deliveries(state(ctx).db(), webhook_id, state=delivery_state, limit=limit).to_json()
    if as_json:
        emit_json(page)
        return
    table(
        page["items"],
        [
            ("id", "id"),
            ("seq", "seq"),
            ("type", "type"),
            ("state", "state"),
            ("attempts", "attempts"),
            ("next", "next_attempt_at"),
            ("error", "last_error"),
        ],
    )


@webhook_app.command("redeliver")
def redeliver_command(ctx: typer.Context, delivery_id: str, as_json: bool = JSON) -> None:
    """Deliver again (a dead letter, or one delivered already), with a fresh 24 hours of retries."""
    result = webhooks.redeliver(state(ctx).db(), delivery_id, caller=Caller(actor(), now=now())).to_json()
    emit_json(result) if as_json else record(result)
