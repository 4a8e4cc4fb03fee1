"""``reprieve worker``: announce what time has done, deliver webhooks, publish to NATS."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import asdict

import typer

from reprieve.cli.context import JSON, actor, now, state
from reprieve.cli.output import duration_text, emit_json, record
from reprieve.domain.errors import ValidationError
from reprieve.domain.time import parse_duration
from reprieve.runtime import worker as service
from reprieve.services import appeal_targets, webhooks
from reprieve.services.callers import Caller

worker_app = typer.Typer(
    help="The worker: announces what time has done (starts, ends, reviews due, overdue appeals, probation "
    "ends), delivers webhooks, publishes to NATS. Without a subcommand it runs.",
    invoke_without_command=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(worker_app, name="worker")


@worker_app.callback()
def worker_command(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help="One cycle, then exit (prints what it did)."),
    interval: float = typer.Option(1.0, min=0.05, max=3600, help="Seconds between idle cycles."),
    nats_url: str = typer.Option(
        None, "--nats-url", envvar="REPRIEVE_NATS_URL", help="nats://host:4222: publish every event to JetStream."
    ),
    batch: int = typer.Option(1000, min=1, max=100_000, help="Deliveries leased at a time (10 rounds a cycle)."),
    concurrency: int = typer.Option(64, min=1, max=1024, help="Webhook requests in flight."),
    log_format: str = typer.Option("json", help="json (one object per line on stderr, as serve) or text"),
    as_json: bool = JSON,
) -> None:
    """Run the worker until SIGINT or SIGTERM (several may run at once: they share the work)."""
    from reprieve.api.observability.logs import JsonFormatter, LogFormat, TextFormatter

    if ctx.invoked_subcommand is not None:
        return
    if log_format not in tuple(LogFormat):
        raise ValidationError(f"must be one of {', '.join(LogFormat)}", field="--log-format")
    if nats_url is not None and not nats_url.startswith(("nats://", "tls://")):
        raise ValidationError("must be a nats:// or tls:// URL", field="--nats-url")
    db = state(ctx).db()
    warning = webhooks.secret_key_warning(db)
    if warning:
        typer.echo(warning, err=True)

    async def run() -> service.CycleReport | None:
        async with service.Worker(db, nats_url=nats_url, batch=batch, concurrency=concurrency) as w:
            if once:
                report = await w.cycle()
                await w.settle()  # a submission run taken up goes on to its end (or its next wait)
                return report
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            logging.getLogger("reprieve.worker").info(
                "worker %s running (Ctrl-C to stop)", w.owner, extra={"fields": {"owner": w.owner}}
            )
            await w.run(interval=interval, stop=stop)
            return None

    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if LogFormat(log_format) is LogFormat.JSON else TextFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    report = asyncio.run(run())
    if report is not None:
        if as_json:
            emit_json(asdict(report))
        else:
            record(asdict(report))


@worker_app.command("appeal-target")
def appeal_target_command(
    ctx: typer.Context,
    operator: str = typer.Argument(..., help="the operator"),
    target: str = typer.Argument(..., help="ISO 8601 duration, e.g. P14D (the default) or PT72H"),
    as_json: bool = JSON,
) -> None:
    """Set how long an appeal may stay open before the worker announces it overdue."""
    duration = parse_duration(target, field="appeal_target")
    result = appeal_targets.set_appeal_target(
        state(ctx).db(), operator, duration, caller=Caller(actor(), now=now())
    ).to_json()
    if as_json:
        emit_json(result)
    else:
        record(dict(result, appeal_target=f"{duration_text(result['appeal_target'])} ({result['appeal_target']})"))
