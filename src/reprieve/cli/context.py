"""The root Typer app, its global options, and what each command needs: a database, an instant."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import typer
from sqlalchemy.exc import OperationalError

from reprieve.config import load_settings
from reprieve.domain.errors import ReprieveError, ValidationError
from reprieve.domain.suggest import did_you_mean
from reprieve.domain.time import parse_instant
from reprieve.services import catalogue
from reprieve.services.callers import CLI_ACTOR
from reprieve.store.db import Database, open_database

T = TypeVar("T")

app = typer.Typer(
    name="reprieve",
    help="Reprieve: the sanctions ledger, enforcement checks and due process for online platforms.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
)


#: Databases opened by this process's commands; ``main`` disposes of them on the way out.
OPENED: list[Database] = []


@dataclass
class State:
    database_url: str
    _db: Database | None = field(default=None)

    def db(self) -> Database:
        if self._db is None:
            self._db = open_database(self.database_url)
            OPENED.append(self._db)
        return self._db


@app.callback()
def root(
    ctx: typer.Context,
    database_url: str = typer.Option(
        None,
        "--database-url",
        envvar="REPRIEVE_DATABASE_URL",
        help="sqlite:///reprieve.db (default) or postgresql://user@host/db",
    ),
) -> None:
    ctx.obj = State(database_url or load_settings().database_url)


#: "no platform 'facebok'": a name that is not there, which the closest one may follow.
_UNKNOWN = re.compile(r"\bno (platform|operator) '([^'\\]*)'")


def near_miss(message: str) -> str:
    """`` (did you mean facebook?)`` after "no platform 'facebok'", from the database at hand (on the
    command line, whoever runs it reads the whole database: no other tenant's secret is told)."""
    match = _UNKNOWN.search(message)
    if match is None or not OPENED:
        return ""
    what, name = match.groups()
    db = OPENED[-1]
    try:
        if what == "platform":
            names = [p.id for p in catalogue.list_platforms(db, None)]
        else:
            names = [o.id for o in catalogue.list_operators(db)]
    except (ReprieveError, OperationalError):
        return ""
    return did_you_mean(name, names, listed=len(names) <= 12)


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    assert isinstance(obj, State)
    return obj


def now() -> datetime:
    return datetime.now(UTC)


def at_option(value: str | None) -> datetime:
    """The instant a read answers for: ``--at`` if given, else now."""
    return parse_instant(value, field="--at") if value else now()


def at_if_given_option(value: str | None) -> datetime | None:
    """``--at`` on a read of records that change (appeals, reviews): as they stood then; None: now."""
    return parse_instant(value, field="--at") if value else None


def as_of_option(value: str | None) -> datetime | None:
    """``--as-of`` (record time, PRODUCT.md section 8): as Reprieve knew it then, from the events
    recorded by then; None: now. Not in the future: what will be recorded by then is not known."""
    if not value:
        return None
    as_of = parse_instant(value, field="--as-of")
    if as_of > now():
        raise ValidationError(
            f"{value} is in the future: --as-of is when Reprieve knew it, at most now", field="--as-of"
        )
    return as_of


def actor() -> str:
    """How the event log names a person at the command line: ``cli``, never their OS login (which
    may name them); see ``services.callers``."""
    return CLI_ACTOR


JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")
AT = typer.Option(None, "--at", help="Answer for this instant (RFC 3339); default now.")
AT_IF_GIVEN = typer.Option(None, "--at", help="As it stood at this instant (RFC 3339); default as it stands.")
AS_OF = typer.Option(
    None,
    "--as-of",
    help="As Reprieve knew it at this instant, from the events recorded by then (RFC 3339); default now.",
)

#: ``--backdated-reason``: a decision taking effect more than 24 hours before now must say why
#: (PRODUCT.md section 8).
BACKDATED_REASON = typer.Option(
    None,
    "--backdated-reason",
    help="Why it takes effect more than 24 hours before it is recorded: required then, ignored otherwise",
)

#: One pagination flag everywhere: ``--cursor`` takes the ``next_cursor`` a page printed.
CURSOR = typer.Option(None, "--cursor", help="The next page: the cursor the previous page printed")


def next_page_hint(page: dict[str, object]) -> None:
    """Under a table: how to ask for the next page, if there is one."""
    if page.get("next_cursor"):
        typer.echo(f"more: --cursor {page['next_cursor']}")


def json_lines(path: Path, parse: Callable[[str, int, int], T]) -> Iterator[T]:
    """``parse(line, number, ordinal)`` of each line of a JSON Lines file (``-``: stdin) that is not
    blank, lazily (an import streams a file of any size); a missing file is refused at once."""
    if str(path) != "-" and not path.is_file():
        raise ValidationError(f"no file {str(path)!r}", field="path")

    def lines() -> Iterator[T]:
        stream = sys.stdin if str(path) == "-" else path.open(encoding="utf-8")
        with stream:
            ordinal = 0
            for number, line in enumerate(stream, 1):
                if line.strip():
                    ordinal += 1
                    yield parse(line, number, ordinal)

    return lines()


def import_progress(done: int) -> None:
    """What a bulk import says on stderr after each batch."""
    typer.echo(f"imported {done}", err=True)
