"""The ``reprieve`` command line: mirrors the API, plus serve, worker, demo, migrate, token, audit.

Every command calls the same service functions as the API. Errors print one line on stderr
(with the near miss, if any: "no platform 'facebok' (did you mean facebook?)") and exit non-zero:
1 for a refused operation, 2 for a malformed command line. ``check`` answers with its status: 0
allowed, 1 denied, 2 no answer (an error). Commands that change many records at once (``amnesty
create``, ``amnesty revert``) ask first on a terminal and need ``--yes`` without one.
"""

from __future__ import annotations

import sys

import typer
from sqlalchemy.exc import OperationalError

from reprieve.cli import admin, amnesty, deliveries, due_process, ledger, transparency
from reprieve.cli import content as content_commands
from reprieve.cli import items as item_commands
from reprieve.cli import members as member_commands
from reprieve.cli import notices as notice_commands
from reprieve.cli import people as people_commands
from reprieve.cli import secrets as secret_commands
from reprieve.cli import webhooks as webhook_commands
from reprieve.cli import worker as worker_commands
from reprieve.cli.context import OPENED, app, near_miss
from reprieve.domain.errors import ReprieveError

try:  # recent Typer releases carry their own copy of click
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older Typer on the real click
    from click import exceptions as click_errors  # type: ignore[no-redef]

__all__ = ["app", "main"]

ledger.register(app)
content_commands.register(app)
deliveries.register(app)
admin.register(app)
due_process.register(app)
member_commands.register(app)
transparency.register(app)
amnesty.register(app)
worker_commands.register(app)
webhook_commands.register(app)
secret_commands.register(app)
people_commands.register(app)
item_commands.register(app)
notice_commands.register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app with errors on one line."""
    command = typer.main.get_command(app)
    args = sys.argv[1:] if argv is None else argv
    try:
        result = command.main(args=args or ["--help"], prog_name="reprieve", standalone_mode=False)
    except ReprieveError as exc:
        sys.stderr.write(f"error: {exc.message}{near_miss(exc.message)}\n")
        raise SystemExit(1) from None
    except click_errors.NoArgsIsHelpError as exc:
        typer.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        raise SystemExit(2) from None
    except click_errors.UsageError as exc:
        sys.stderr.write(f"error: {exc.format_message()}\n")
        raise SystemExit(2) from None
    except typer.Abort:
        sys.stderr.write("error: aborted\n")
        raise SystemExit(130) from None
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, as other Unix tools do.
        sys.stderr.close()
        raise SystemExit(0) from None
    except OperationalError as exc:
        sys.stderr.write(f"error: database: {str(exc.orig).splitlines()[0]}\n")
        raise SystemExit(1) from None
    except click_errors.ClickException as exc:
        sys.stderr.write(f"error: {exc.format_message()}\n")
        raise SystemExit(exc.exit_code) from None
    finally:
        while OPENED:
            OPENED.pop().dispose()
    if isinstance(result, int) and result:
        raise SystemExit(result)
