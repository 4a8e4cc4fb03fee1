"""Commands about items (pieces of content): what may be done with one at an instant."""

from __future__ import annotations

import typer

from reprieve.cli.context import AS_OF, AT, JSON, actor, as_of_option, at_option, state
from reprieve.cli.output import emit_json, record, table
from reprieve.domain.content import parse_country, parse_item_id
from reprieve.domain.model import ensure_slug
from reprieve.services.callers import Caller
from reprieve.services.item_checks import item_visibility

item_app = typer.Typer(help="Items: their visibility at an instant, for a viewer in a country.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(item_app, name="item")


@item_app.command("visibility")
def visibility_command(
    ctx: typer.Context,
    platform: str = typer.Argument(..., help="the platform, e.g. youtube"),
    item: str = typer.Argument(..., help="the platform's own id of the item"),
    country: str = typer.Option(None, "--country", help="the viewer's country, e.g. FR or US; default: not said"),
    at: str = AT,
    as_of: str = AS_OF,
    as_json: bool = JSON,
) -> None:
    """Whether an item is visible, what is restricted and where, by which decisions, until when."""
    result = item_visibility(
        state(ctx).db(),
        ensure_slug(platform, field="PLATFORM"),
        parse_item_id(item, field="ITEM"),
        at=at_option(at),
        country=None if country is None else parse_country(country, field="--country"),
        caller=Caller(actor()),
        as_of=as_of_option(as_of),
    )
    if as_json:
        emit_json(result)
        return
    author = result["author"]
    record(
        {
            **result,
            "restricted": ", ".join(result["restricted"]) or "nothing",
            "restricted_in": ", ".join(result["restricted_in"]) or "nowhere",
            "author": "unknown" if author is None else f"{author['account']} ({author['status']})",
            "decisions": len(result["decisions"]),
        }
    )
    if result["decisions"]:
        typer.echo("")
        table(
            [{**d, "territorial_scope": " ".join(d["territorial_scope"]) or "everywhere"} for d in result["decisions"]],
            [("decision", "id"), ("kind", "kind"), ("where", "territorial_scope"), ("until", "until")],
        )
