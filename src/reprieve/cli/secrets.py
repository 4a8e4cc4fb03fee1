"""``reprieve secrets``: the key ring that protects stored secrets (docs/operations.md)."""

from __future__ import annotations

import typer

from reprieve.cli.context import state
from reprieve.services import webhooks

secrets_app = typer.Typer(help="The keys that protect stored secrets and appeal codes.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(secrets_app, name="secrets")


@secrets_app.command("rotate")
def rotate_command(
    ctx: typer.Context,
    new_key: bool = typer.Option(
        False,
        "--new-key",
        help="SQLite key file only: put a fresh key first in it before re-encrypting (with "
        "REPRIEVE_SECRET_KEY, put the new key first in the setting instead)",
    ),
) -> None:
    """Re-encrypt every stored secret under the newest key (the first of REPRIEVE_SECRET_KEY, or of the key file)."""
    count = webhooks.rotate_secrets(state(ctx).db(), new_key=new_key)
    typer.echo(f"re-encrypted {count} webhook secret{'s' if count != 1 else ''} under the newest key")
