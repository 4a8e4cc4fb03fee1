"""Commands of the statements issued for a sanction and their delivery receipts (issue 23):
``reprieve sanction statements ID`` and ``reprieve sanction deliver STATEMENT``."""

from __future__ import annotations

import typer

from reprieve.cli.context import AS_OF, JSON, actor, as_of_option, now, state
from reprieve.cli.ledger import sanction_app
from reprieve.cli.output import emit_json, record, table
from reprieve.domain.deliveries import KNOWN_CHANNELS, Receipt
from reprieve.services import deliveries, statements
from reprieve.services.callers import Caller


def register(app: typer.Typer) -> None:
    """Nothing to add to ``app``: the commands join the ``sanction`` group, on import."""


@sanction_app.command("statements")
def sanction_statements(ctx: typer.Context, id: str, as_of: str = AS_OF, as_json: bool = JSON) -> None:
    """The statements of reasons issued for a sanction's decisions, with their delivery receipts."""
    items = statements.statements_of(state(ctx).db(), id, caller=Caller(actor()), as_of=as_of_option(as_of))
    rows = [item.to_json() for item in items]
    if as_json:
        emit_json({"items": rows})
        return
    table(
        rows,
        [
            ("id", "id"),
            ("issued_at", "issued"),
            ("decision", "decision"),
            ("delivered_at", "delivered"),
            ("channel", "channel"),
        ],
    )


@sanction_app.command("deliver")
def sanction_deliver(
    ctx: typer.Context,
    statement: str = typer.Argument(..., help="The statement's id (stm_..., as `sanction statements` lists them)"),
    delivered_at: str = typer.Option(
        ..., "--delivered-at", help="RFC 3339: when the user received it (not before its issue, not in the future)"
    ),
    channel: str = typer.Option(..., "--channel", help=f"A short code: {', '.join(KNOWN_CHANNELS)}..."),
    as_json: bool = JSON,
) -> None:
    """Record that a statement of reasons reached its user: the first receipt counts (a later one changes
    nothing and prints the first); the complaint window runs from it."""
    receipt = Receipt.parse(delivered_at, channel)
    answer = deliveries.record_delivery(state(ctx).db(), statement, receipt, caller=Caller(actor(), now=now()))
    if as_json:
        emit_json(answer.to_json())
        return
    record(answer.to_json())
    if not answer.recorded:
        typer.echo("(a receipt was recorded before: it stands, nothing was written)")
