"""``reprieve amnesty``: preview, run with a progress bar, show, resume, revert."""

from __future__ import annotations

import sys
import time

import typer
from typer.core import TyperGroup

from reprieve.cli.context import BACKDATED_REASON, JSON, now, state
from reprieve.cli.due_process import caller, split
from reprieve.cli.output import confirm, emit_json, record, table
from reprieve.domain.amnesty import AmnestyState, parse_amnesty
from reprieve.domain.errors import ValidationError
from reprieve.runtime import amnesty as amnesty_runner
from reprieve.services import amnesty
from reprieve.services.viewing import json_list

try:  # recent Typer releases carry their own copy of click (as in cli/__init__.py)
    from typer._click import Context as ClickContext
except ImportError:  # pragma: no cover - older Typer on the real click
    from click import Context as ClickContext  # type: ignore[assignment]


class _CreateByDefault(TyperGroup):
    """``reprieve amnesty --dry-run ...`` (options without a command) is ``reprieve amnesty create ...``."""

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
        if args and args[0].startswith("-") and args[0] != "--help":
            args = ["create", *args]
        return super().parse_args(ctx, args)


amnesty_app = typer.Typer(
    cls=_CreateByDefault,
    help="Amnesties: lift every matching sanction of an operator (preview first with --dry-run), "
    "watch, resume, revert. Options without a command are those of create.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(amnesty_app, name="amnesty")


SHOWN = (
    "id",
    "operator",
    "state",
    "effective_at",
    "matched",
    "content_matched",
    "content_restored",
    "processed",
    "lifted",
    "skipped",
    "rate",
    "eta_seconds",
    "started_at",
    "finished_at",
    "reason",
    "error",
)
BATCH = typer.Option(amnesty_runner.BATCH_SIZE, "--batch-size", help="Sanctions per transaction")
QUIET = typer.Option(False, "--quiet", help="No progress bar")
YES = typer.Option(False, "--yes", "-y", help="Do it without asking (needed without a terminal: in CI or a script)")


class ProgressBar:
    """A plain progress bar on stderr, redrawn in place on a terminal, a line per few seconds otherwise."""

    def __init__(self, label: str, enabled: bool) -> None:
        self.label = label
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, view: amnesty.AmnestyView) -> None:
        if not self.enabled:
            return
        revert = view.revert
        part: amnesty.AmnestyView | amnesty.RevertView = (
            revert if view.state in (AmnestyState.REVERTING, AmnestyState.REVERTED) and revert else view
        )
        done, total = part.processed, view.matched
        final = view.state in (AmnestyState.COMPLETED, AmnestyState.REVERTED, AmnestyState.FAILED)
        moment = time.monotonic()
        if not (self.tty or final or moment - self.last >= 2):
            return
        self.last = moment
        width = 30
        filled = width * done // total if total else width
        rate = f"{part.rate:,.0f}/s" if part.rate else "-/s"
        eta = f"eta {part.eta_seconds:,.0f} s" if part.eta_seconds is not None else ""
        line = f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} {rate} {eta}".rstrip()
        sys.stderr.write(("\r" + line + ("\n" if final else "")) if self.tty else line + "\n")
        sys.stderr.flush()


def _show(view: amnesty.AmnestyView, as_json: bool) -> None:
    result = view.to_json()
    if as_json:
        emit_json(result)
        return
    revert = result["revert"]
    keys = [*SHOWN, *(f"revert.{k}" for k in revert)] if revert else list(SHOWN)
    record(result, keys)


@amnesty_app.command("create")
def create(
    ctx: typer.Context,
    operator: str = typer.Option(..., help="The operator whose sanctions are lifted"),
    reason: str = typer.Option(None, help="Why (required unless --dry-run)"),
    platforms: str = typer.Option(None, help="Comma-separated platforms (default: all of the operator's)"),
    kinds: str = typer.Option(None, help="Comma-separated kinds: warning, restriction, suspension, termination"),
    states: str = typer.Option(None, help="Comma-separated states (only 'active', the default)"),
    started_before: str = typer.Option(None, help="Only sanctions that started before this instant"),
    exclude_categories: str = typer.Option(None, help="Comma-separated STATEMENT_CATEGORY_* left alone"),
    exclude_policies: str = typer.Option(None, help="Reason policies left alone; separate them with '|'"),
    covers: str = typer.Option(None, help="sanctions (default), content (restore items) or both"),
    content_kinds: str = typer.Option(None, help="Comma-separated kinds of content decisions (with --covers)"),
    effective_at: str = typer.Option(None, help="When the lifts take effect (default: now)"),
    backdated_reason: str = BACKDATED_REASON,
    dry_run: bool = typer.Option(False, "--dry-run", help="Count and show a sample of 20; change nothing"),
    detach: bool = typer.Option(False, "--detach", help="Record it and return; `amnesty resume` runs it"),
    yes: bool = YES,
    batch_size: int = BATCH,
    quiet: bool = QUIET,
    as_json: bool = JSON,
) -> None:
    """Lift every matching sanction of an operator, in batches, with a progress bar on stderr.

    Without --dry-run it shows the count and asks before lifting (on a terminal); without a
    terminal it needs --yes.
    """
    db = state(ctx).db()
    if not dry_run and reason is None:
        raise ValidationError("give --reason (or --dry-run)", field="--reason")
    f, effective = parse_amnesty(
        operator,
        platforms=split(platforms),
        kinds=split(kinds),
        states=split(states),
        started_before=started_before,
        exclude_categories=split(exclude_categories),
        exclude_policies=[p.strip() for p in exclude_policies.split("|") if p.strip()] if exclude_policies else None,
        covers=covers,
        content_kinds=split(content_kinds),
        effective_at=effective_at,
    )
    at = caller().at(now())
    if dry_run:
        preview = amnesty.preview(db, f, effective_at=effective, caller=at)
        if as_json:
            emit_json(preview.to_json())
            return
        typer.echo(f"matched: {preview.matched:,}")
        if f.covers.content:
            typer.echo(f"sanctions: {preview.sanctions_matched:,}, content decisions: {preview.content_matched:,}")
        table(
            [s.to_json() for s in preview.sample],
            [
                ("id", "id"),
                ("kind", "kind"),
                ("subject", "subject"),
                ("state", "state"),
                ("category", "reason.category"),
                ("policy", "reason.policy"),
            ],
        )
        return
    matched = amnesty.preview(db, f, effective_at=effective, caller=at).matched
    confirm(f"Lift {matched:,} sanction{'' if matched == 1 else 's'} of {operator}?", yes=yes)
    started = amnesty.start(db, f, reason=reason, effective_at=effective, backdated_reason=backdated_reason, caller=at)
    if not as_json and not quiet:
        typer.echo(f"amnesty {started.id}: {started.matched:,} sanctions to lift", err=True)
    result = (
        started
        if detach
        else amnesty_runner.run(
            db, started.id, batch_size=batch_size, on_progress=ProgressBar("lifting", not quiet and not as_json)
        )
    )
    _show(result, as_json)


@amnesty_app.command("show")
def show(ctx: typer.Context, amnesty_id: str = typer.Argument(...), as_json: bool = JSON) -> None:
    """An amnesty and its progress."""
    _show(amnesty.get(state(ctx).db(), amnesty_id), as_json)


@amnesty_app.command("list")
def list_(ctx: typer.Context, operator: str = typer.Option(None), as_json: bool = JSON) -> None:
    """Every amnesty, oldest first."""
    items = json_list(amnesty.list_amnesties(state(ctx).db(), operator=operator))
    if as_json:
        emit_json({"items": items, "next_cursor": None})
        return
    table(
        items,
        [
            ("id", "id"),
            ("operator", "operator"),
            ("state", "state"),
            ("matched", "matched"),
            ("lifted", "lifted"),
            ("skipped", "skipped"),
            ("started", "started_at"),
        ],
    )


@amnesty_app.command("resume")
def resume(
    ctx: typer.Context,
    amnesty_id: str = typer.Argument(None, help="The amnesty to continue (default: every unfinished one)"),
    batch_size: int = BATCH,
    quiet: bool = QUIET,
    as_json: bool = JSON,
) -> None:
    """Continue an amnesty (or its revert) that was stopped: after the last batch that committed."""
    db = state(ctx).db()
    if amnesty_id is None:
        finished = amnesty_runner.resume_unfinished(db)
        emit_json({"resumed": finished}) if as_json else typer.echo(f"resumed: {', '.join(finished) or '(none)'}")
        return
    result = amnesty_runner.run(
        db, amnesty_id, batch_size=batch_size, on_progress=ProgressBar("resuming", not quiet and not as_json)
    )
    _show(result, as_json)


@amnesty_app.command("revert")
def revert(
    ctx: typer.Context,
    amnesty_id: str = typer.Argument(...),
    reason: str = typer.Option(..., help="Why it is reverted"),
    detach: bool = typer.Option(False, "--detach", help="Record it and return; `amnesty resume` runs it"),
    yes: bool = YES,
    batch_size: int = BATCH,
    quiet: bool = QUIET,
    as_json: bool = JSON,
) -> None:
    """Re-impose what the amnesty lifted (and leave alone what changed since).

    Shows the count and asks first (on a terminal); without a terminal it needs --yes.
    """
    db = state(ctx).db()
    shown = amnesty.get(db, amnesty_id)
    if shown.state is AmnestyState.COMPLETED:  # else refused below, with the reason
        lifted = shown.lifted
        confirm(
            f"Re-impose {lifted:,} sanction{'' if lifted == 1 else 's'} lifted by {amnesty_id} ({shown.operator})?",
            yes=yes,
        )
    started = amnesty.revert(db, amnesty_id, reason=reason, caller=caller().at(now()))
    result = (
        started
        if detach
        else amnesty_runner.run(
            db, amnesty_id, batch_size=batch_size, on_progress=ProgressBar("reverting", not quiet and not as_json)
        )
    )
    _show(result, as_json)
