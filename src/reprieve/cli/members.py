"""``reprieve member``: the people who sign in to the console (``/console``)."""

from __future__ import annotations

import sys
from typing import Any

import typer

from reprieve.cli.context import JSON, actor, now, state
from reprieve.cli.output import emit_json, record, table
from reprieve.domain.errors import ValidationError
from reprieve.domain.time import parse_instant
from reprieve.services import access_log, members, security_log
from reprieve.services.callers import Caller
from reprieve.services.viewing import json_list

member_app = typer.Typer(help="Members of an operator, who sign in to the console.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(member_app, name="member")
    app.command("security-log")(security_log_list)
    app.command("access-log")(access_log_list)


def security_log_list(
    ctx: typer.Context,
    since: str = typer.Option(None, help="Only rows at or after this instant (RFC 3339)"),
    client: str = typer.Option(None, help="Only this client address"),
    email: str = typer.Option(None, help="Only attempts on this e-mail (a member's or not)"),
    member: str = typer.Option(None, help="Only attempts on this member (mem_...)"),
    limit: int = typer.Option(100, min=1, max=100_000, help="At most this many rows, newest first"),
    as_json: bool = JSON,
) -> None:
    """Failed console sign-ins and refused attempts (back-off, per-client limit): when, from which
    client address, on which member (or the HMAC of an e-mail that is no member's). For an
    instance admin: whoever can run this can read the database."""
    entries = security_log.entries(
        state(ctx).db(),
        since=parse_instant(since, field="since") if since else None,
        client=client,
        email=email,
        member_id=member,
        limit=limit,
    )
    rows = json_list(entries)
    if as_json:
        emit_json(rows)
    else:
        table(
            rows,
            [
                ("at", "at"),
                ("event", "event"),
                ("client", "client"),
                ("member", "member"),
                ("email digest", "email_digest"),
                ("retry after", "retry_after"),
            ],
        )


def read_password(from_stdin: bool) -> str:
    """The password from the first line of stdin, or typed twice at a prompt (never an argument:
    it would be in the shell's history and in the process list)."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise ValidationError("no password on stdin", field="password")
        return line.rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@member_app.command("create")
def member_create(
    ctx: typer.Context,
    email: str = typer.Option(..., help="The sign-in name"),
    name: str = typer.Option(..., help="How the console and the audit log name the member"),
    role: str = typer.Option(..., help="admin, moderator, reviewer, auditor (or instance-admin)"),
    operator: str = typer.Option(None, help="The member's operator (none for an instance-admin)"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin"),
    as_json: bool = JSON,
) -> None:
    """Create a member; the password is hashed with argon2id and never shown again."""
    password = read_password(password_stdin)
    command = members.CreateMember.parse(email=email, name=name, role=role, operator=operator, password=password)
    result = members.create_member(state(ctx).db(), command, caller=Caller(actor(), now=now())).to_json()
    if as_json:
        emit_json(result)
    else:
        record(result, ["id", "email", "name", "role", "operator"])


@member_app.command("list")
def member_list(
    ctx: typer.Context, operator: str = typer.Option(None, help="Only this operator's"), as_json: bool = JSON
) -> None:
    """List members (never their password hashes)."""
    caller = Caller(actor()).among([operator] if operator else None)
    rows = json_list(members.list_members(state(ctx).db(), caller=caller))
    if as_json:
        emit_json(rows)
    else:
        table(
            rows,
            [
                ("id", "id"),
                ("email", "email"),
                ("name", "name"),
                ("role", "role"),
                ("operator", "operator"),
                ("disabled", "disabled_at"),
            ],
        )


@member_app.command("password")
def member_password(
    ctx: typer.Context,
    member: str = typer.Argument(..., help="The member's id (mem_...) or e-mail"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the new password from stdin"),
    as_json: bool = JSON,
) -> None:
    """Set a member's password (forgotten, or known to someone else): every session of theirs ends.
    Members change their own in the console (Password, at the top of each page)."""
    password = read_password(password_stdin)
    result = members.reset_password(state(ctx).db(), member, password=password, caller=Caller(actor(), now=now()))
    _show(result.to_json(), as_json, "password_changed_at")


@member_app.command("enable")
def member_enable(
    ctx: typer.Context,
    member: str = typer.Argument(..., help="The member's id (mem_...) or e-mail"),
    as_json: bool = JSON,
) -> None:
    """Enable a disabled member again: they may sign in with their password."""
    enabled = members.enable_member(state(ctx).db(), member, caller=Caller(actor(), now=now()))
    _show(enabled.to_json(), as_json, "disabled_at")


@member_app.command("disable")
def member_disable(
    ctx: typer.Context,
    member: str = typer.Argument(..., help="The member's id (mem_...) or e-mail"),
    as_json: bool = JSON,
) -> None:
    """Disable a member (someone who left): their sessions end at once and they can no longer
    sign in. What they did keeps their name."""
    disabled = members.disable_member(state(ctx).db(), member, caller=Caller(actor(), now=now()))
    _show(disabled.to_json(), as_json, "disabled_at")


def _show(member: dict[str, Any], as_json: bool, changed: str) -> None:
    """A member as a command changed it: JSON, or a record ending with what ``changed``."""
    if as_json:
        emit_json(member)
    else:
        record(member, ["id", "email", "name", "role", "operator", changed])


def access_log_list(
    ctx: typer.Context,
    operator: str = typer.Option(None, help="Only this operator's appeals"),
    appeal: str = typer.Option(None, help="Only this appeal (apl_...)"),
    since: str = typer.Option(None, help="Only rows at or after this instant (RFC 3339)"),
    limit: int = typer.Option(100, min=1, max=10_000, help="At most this many rows, newest first"),
    as_json: bool = JSON,
) -> None:
    """Who was shown a requester's e-mail (the console's "Reveal e-mail", the API's read of one
    appeal): when, by which member or token, of which appeal and requester."""
    entries = access_log.entries(
        state(ctx).db(),
        operators=[operator] if operator else None,
        appeal_id=appeal,
        since=parse_instant(since, field="since") if since else None,
        limit=limit,
    )
    rows = json_list(entries)
    if as_json:
        emit_json(rows)
    else:
        table(
            rows,
            [
                ("at", "at"),
                ("operator", "operator"),
                ("actor", "actor"),
                ("via", "via"),
                ("appeal", "appeal"),
                ("requester", "requester"),
                ("fields", "fields"),
            ],
        )
