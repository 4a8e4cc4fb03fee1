"""``reprieve people``: erase a person's personal data within an operator, and set how long closed
cases' personal data is kept (GDPR arts. 5 and 17)."""

from __future__ import annotations

import typer

from reprieve.cli.context import JSON, actor, now, state
from reprieve.cli.output import emit_json, table
from reprieve.domain.errors import ValidationError
from reprieve.domain.time import parse_duration
from reprieve.services import evidence, people
from reprieve.services.callers import Caller

people_app = typer.Typer(
    help="People's personal data: erase it, and how long closed cases keep it.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(people_app, name="people")


@people_app.command("erase")
def erase_command(
    ctx: typer.Context,
    operator: str = typer.Option(..., "--operator", help="the operator whose records hold the person"),
    email: str = typer.Option(None, "--email", help="every appeal requester of the operator with this e-mail"),
    reference: str = typer.Option(None, "--reference", help="one appeal requester, by reference (rqr_...)"),
    account: str = typer.Option(None, "--account", help="platform/account: the account's display names"),
    as_json: bool = JSON,
) -> None:
    """Erase what one key names (exactly one of --email, --reference, --account), as the installation's
    admin; what a legal obligation keeps is listed, with until when. Refused while a case is open."""
    command = people.ErasePerson.parse(operator=operator, email=email, reference=reference, account=account)
    result = people.erase_person(state(ctx).db(), command, caller=Caller(actor(), now=now())).to_json()
    if as_json:
        emit_json(result)
        return
    typer.echo(f"erased ({len(result['erased'])}):")
    table(result["erased"], [("what", "what"), ("ref", "ref")])
    typer.echo(f"kept ({len(result['kept'])}):")
    table(result["kept"], [("what", "what"), ("ref", "ref"), ("until", "until"), ("why", "why")])


@people_app.command("retention")
def retention_command(
    ctx: typer.Context,
    operator: str = typer.Argument(..., help="the operator"),
    period: str = typer.Argument(
        None, help="ISO 8601 duration, e.g. P1Y; leave out with --default to go back to the default"
    ),
    default: bool = typer.Option(
        False, "--default", help="the longest complaint window of the operator's platforms (--evidence: P1Y)"
    ),
    of_evidence: bool = typer.Option(
        False,
        "--evidence",
        help="set how long content decisions' evidence is kept at least (and while a complaint or dispute about "
        "the item is possible or open), not the personal data of closed cases",
    ),
    as_json: bool = JSON,
) -> None:
    """Set how long after a case closed the worker keeps its personal data, then purges it; with
    --evidence, how long after a content decision its evidence is kept at least."""
    if (period is None) == (not default):
        raise ValidationError("give a period (e.g. P1Y) or --default, not both", field="period")
    duration = None if default else parse_duration(period, field="period")
    if of_evidence:
        kept = evidence.set_evidence_retention(
            state(ctx).db(), operator, duration, caller=Caller(actor(), now=now())
        ).to_json()
        if as_json:
            emit_json(kept)
        else:
            typer.echo(f"operator            {kept['operator']}")
            typer.echo(f"evidence retention  {kept['evidence_retention'] or 'default'}")
            typer.echo(f"default             {kept['default']}")
        return
    result = people.set_retention(state(ctx).db(), operator, duration, caller=Caller(actor(), now=now())).to_json()
    if as_json:
        emit_json(result)
    else:
        typer.echo(f"operator   {result['operator']}")
        typer.echo(f"retention  {result['retention'] or 'default'}")
        typer.echo(f"default    {result['default']}")
