"""Commands of DSA transparency: the statement of reasons, the Transparency Database export and
submission, the transparency report."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import typer

from reprieve.cli.context import actor, now, state
from reprieve.cli.output import emit_json
from reprieve.domain.errors import ValidationError
from reprieve.domain.periods import period
from reprieve.domain.time import format_instant
from reprieve.dsa import pages, tdb
from reprieve.dsa.report import csv_rows
from reprieve.dsa.statement import labels_for, parse_lang
from reprieve.dsa.submit import TdbSettings
from reprieve.runtime.worker import worker_name
from reprieve.services import transparency
from reprieve.services.callers import Caller

transparency_app = typer.Typer(
    help="DSA transparency: export statements to the Transparency Database, submit them, report.",
    no_args_is_help=True,
)

OPERATOR = typer.Option(..., "--operator", help="The operator whose statements or figures are wanted")
FROM = typer.Option(None, "--from", help="Start of the period (RFC 3339 or date), included")
TO = typer.Option(None, "--to", help="End of the period (RFC 3339 or date), excluded")


def register(app: typer.Typer) -> None:
    app.command("statement")(statement)
    app.add_typer(transparency_app, name="transparency")


def statement(
    ctx: typer.Context,
    sanction: str = typer.Argument(..., help="The sanction's id"),
    lang: str = typer.Option("en", "--lang", help="en or fr"),
    html: bool = typer.Option(False, "--html", help="Print the HTML page"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """The statement of reasons of a sanction (DSA art. 17), as sent to the user."""
    language = parse_lang(lang)
    s = transparency.statement_of_reasons(
        state(ctx).db(), sanction, language=language, caller=Caller(actor(), now=now())
    )
    if html:
        typer.echo(pages.render_statement(s))
    elif as_json:
        emit_json(s)
    else:
        typer.echo(_statement_text(s))


def _statement_text(s: dict[str, Any]) -> str:
    labels = labels_for(s["lang"])
    ground = s["ground"]
    lines = [
        f"{s['title']} — {s['sanction']}",
        "",
        s["intro"],
        "",
        f"{labels['decision']}: {s['decided']['text']}",
        f"{labels['measure']}: {s['measure']['text']}",
        *([f"{labels['denies']}: {', '.join(s['measure']['denies_labels'])}"] if s["measure"]["denies"] else []),
        f"{labels['scope']}: {', '.join(p['name'] for p in s['scope'])}",
        f"{labels['territory']}: {s['territorial_scope']['text']}",
        f"{labels['duration']}: {s['duration']['text']}",
        f"{labels['facts']}: {s['facts'] or '-'}",
        f"{labels['automation']}: {s['automated']['text']}",
        f"{labels['ground']}: {ground['text']}",
        *([f"  {labels['legal_ground']}: {ground['legal_ground']}"] if ground["legal_ground"] else []),
        *(
            [f"  {labels['contractual_ground']}: {ground['contractual_ground']}"]
            if ground["contractual_ground"]
            else []
        ),
        f"  {labels['explanation']}: {ground['explanation']}",
        f"{labels['category']}: {s['category_label']}"
        + (f" ({', '.join(s['keyword_labels'])})" if s["keyword_labels"] else ""),
        "",
        f"{labels['redress']}:",
        f"  {labels['internal']}: {s['redress']['internal_complaint']['text']}",
        f"    {s['redress']['internal_complaint']['url']}",
        f"    {labels['code']}: {s['redress']['internal_complaint']['code']}",
        f"  {labels['odr']}: {s['redress']['out_of_court']['text']}",
        f"  {labels['court']}: {s['redress']['courts']['text']}",
    ]
    return "\n".join(lines)


@transparency_app.command("export")
def export(
    ctx: typer.Context,
    operator: str = OPERATOR,
    start: str | None = FROM,
    end: str | None = TO,
    format: str = typer.Option("csv", "--format", help="csv (the daily-dump layout) or json (the API's v2 schema)"),
    output_path: str = typer.Option("-", "--output", "-o", help="File to write; - for stdout"),
) -> None:
    """Statements of reasons of an operator in the Transparency Database's format, streamed.

    Warnings are left out (no DSA decision); statements the validator refuses are left out and
    listed on stderr, each with its field and why.
    """
    db = state(ctx).db()
    chosen = transparency.require_operator(db, operator, None)
    within = period(start, end)
    if format not in ("csv", "json"):
        raise ValidationError("must be csv or json", field="--format")

    def tell(item: dict[str, Any]) -> None:
        first = item["problems"][0]
        about = "sanction" if "sanction" in item else "content_decision"
        what = about.replace("_", " ")
        sys.stderr.write(f"invalid: {what} {item[about]}: {first['field']}: {first['message']}\n")

    tally = transparency.ExportTally(on_invalid=tell)
    # Opened once the command line is known to be good: bad input creates no file.
    with _output(output_path) as output:
        if format == "csv":
            for line in transparency.export_csv(db, operator=chosen, within=within, tally=tally):
                output.write(line)
        else:
            for chunk in transparency.export_json(db, operator=chosen, within=within):
                output.write(chunk)
            output.write("\n")
            return
    sys.stderr.write(
        f"exported {tally.exported}, left out {tally.warnings} warnings and {tally.invalid_count} invalid statements\n"
    )


@contextmanager
def _output(path: str) -> Iterator[TextIO]:
    if path == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    with open(path, "w", encoding="utf-8", newline="") as f:
        yield f


@transparency_app.command("submit")
def submit(
    ctx: typer.Context,
    operator: str = OPERATOR,
    start: str | None = FROM,
    end: str | None = TO,
    batch_size: int = typer.Option(100, "--batch-size", min=1, max=100, help="Statements per POST (at most 100)"),
) -> None:
    """Send the statements not sent before to the Transparency Database (REPRIEVE_TDB_URL); never a puid twice.

    Runs in the foreground, a progress line a batch on stderr; the token is REPRIEVE_TDB_TOKEN_<OPERATOR>
    (or REPRIEVE_TDB_TOKEN with a single operator). The same run could be left to the worker
    (POST /v1/transparency/submissions).
    """
    db = state(ctx).db()
    chosen = transparency.require_operator(db, operator, None)
    within = period(start, end)
    settings = TdbSettings.from_env()
    requested = transparency.request_submission(
        db, settings, operator=chosen, within=within, batch_size=batch_size, caller=Caller(actor(), now=now())
    )
    run_id = requested.run.id
    owner = f"cli-{worker_name()}"
    if transparency.claim_run(db, owner=owner, now=now(), run_id=run_id) is None:
        emit_json(requested.to_json())
        sys.stderr.write(
            f"submission {run_id} is left to the worker, which holds a run of {chosen}; follow it with "
            f"reprieve transparency status --operator {chosen} --run {run_id}\n"
        )
        return

    def tell(progress: dict[str, Any]) -> None:
        sys.stderr.write(
            f"{run_id}: {progress['batches']} batches, {progress['accepted']} accepted, "
            f"{progress['already_there']} already there, {progress['rejected']} rejected\n"
        )

    done = transparency.execute_run(db, settings, run_id, owner=owner, on_progress=tell)
    emit_json(done.to_json())
    ended = done.run
    if ended.state == "failed":
        sys.stderr.write(f"error: {ended.error}\n")
        raise typer.Exit(1)
    if ended.state != "done":
        sys.stderr.write(
            f"error: submission {run_id} is {ended.state}: another submission is sending "
            f"statements of {chosen} (not before {format_instant(ended.not_before)})\n"
        )
        raise typer.Exit(1)


@transparency_app.command("status")
def status(
    ctx: typer.Context,
    operator: str = OPERATOR,
    run: str | None = typer.Option(None, "--run", help="A submission run's id: its progress and statements"),
) -> None:
    """How many statements the configured Transparency Database accepted, rejected, or has in flight,
    and the latest submission runs (or one run, with --run)."""
    db = state(ctx).db()
    chosen = transparency.require_operator(db, operator, None)
    if run is not None:
        emit_json(transparency.get_run(db, run, caller=Caller(actor(), operators=[chosen])).to_json())
        return
    settings = TdbSettings.from_env()
    endpoint = settings.endpoint() if settings.url is not None else None
    emit_json(transparency.submission_status(db, operator=chosen, endpoint=endpoint).to_json())


@transparency_app.command("report")
def report(
    ctx: typer.Context,
    operator: str = OPERATOR,
    start: str = typer.Option(..., "--from", help="Start of the period (RFC 3339 or date), included"),
    end: str = typer.Option(..., "--to", help="End of the period (RFC 3339 or date), excluded"),
    format: str = typer.Option("json", "--format", help="json, csv or html (a printable page)"),
) -> None:
    """The transparency report (DSA art. 15 and 24) of an operator for a period."""
    if format not in ("json", "csv", "html"):
        raise ValidationError("must be json, csv or html", field="--format")
    db = state(ctx).db()
    chosen = transparency.require_operator(db, operator, None)
    figures = transparency.transparency_report(
        db, operator=chosen, within=period(start, end, required=True), caller=Caller(actor(), now=now())
    )
    if format == "html":
        typer.echo(pages.render_report(figures))
    elif format == "csv":
        typer.echo("".join(tdb.csv_lines([("section", "item", "value"), *csv_rows(figures)])), nl=False)
    else:
        typer.echo(json.dumps(figures, indent=2, ensure_ascii=False))
