"""``reprieve member create`` and ``member list``: the password from stdin, one-line errors."""

from __future__ import annotations

import io

import pytest

from e2e.cli_support import Cli

PASSWORD = "correct horse battery"


def test_member_create_at_the_command_line(
    database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(database_url, capsys)
    base = (
        "member",
        "create",
        "--email",
        "ann@meta.example",
        "--name",
        "Ann",
        "--role",
        "auditor",
        "--operator",
        "meta",
        "--password-stdin",
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.fails(*base).startswith("error: no operator 'meta'")
    cli.ok("demo", "--synthetic", "0")
    before = cli.events()
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert "at least 10 characters" in cli.fails(*base)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    created = cli.json(*base)
    assert created["email"] == "ann@meta.example" and created["role"] == "auditor"
    assert cli.events() == before + 1
    assert "ann@meta.example" in cli.ok("member", "list", "--operator", "meta")


def test_member_disable_at_the_command_line(
    database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(database_url, capsys)
    cli.ok("demo", "--synthetic", "0")
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    created = cli.json(
        "member",
        "create",
        "--email",
        "leo@meta.example",
        "--name",
        "Leo",
        "--role",
        "moderator",
        "--operator",
        "meta",
        "--password-stdin",
    )
    before = cli.events()
    assert cli.fails("member", "disable", "nobody@meta.example") == "error: no member 'nobody@meta.example'\n"
    assert cli.events() == before
    disabled = cli.json("member", "disable", "Leo@Meta.example")
    assert disabled["id"] == created["id"] and disabled["disabled_at"]
    assert cli.events() == before + 1
    assert cli.fails("member", "disable", created["id"]).startswith(f"error: member {created['id']} was disabled at ")
    listed = {m["email"]: m["disabled_at"] for m in cli.json("member", "list", "--operator", "meta")}
    assert listed["leo@meta.example"] == disabled["disabled_at"]
    assert "DISABLED" in cli.ok("member", "list", "--operator", "meta")
    # Enabled again: listed as active, and enabling twice is refused, changing nothing.
    assert cli.fails("member", "enable", "nobody@meta.example") == "error: no member 'nobody@meta.example'\n"
    enabled = cli.json("member", "enable", created["id"])
    assert enabled["id"] == created["id"] and enabled["disabled_at"] is None
    assert cli.events() == before + 2
    assert cli.fails("member", "enable", "leo@meta.example") == f"error: member {created['id']} is not disabled\n"
    assert cli.events() == before + 2
    listed = {m["email"]: m["disabled_at"] for m in cli.json("member", "list", "--operator", "meta")}
    assert listed["leo@meta.example"] is None


def test_member_password_at_the_command_line(
    database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(database_url, capsys)
    cli.ok("demo", "--synthetic", "0")
    before = cli.events()
    monkeypatch.setattr("sys.stdin", io.StringIO("another good passphrase\n"))
    assert cli.fails("member", "password", "nobody@meta.example", "--password-stdin") == (
        "error: no member 'nobody@meta.example'\n"
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.fails("member", "password", "moderator@meta.example", "--password-stdin") == (
        "error: password: must be at least 10 characters long\n"
    )
    assert cli.events() == before
    monkeypatch.setattr("sys.stdin", io.StringIO("another good passphrase\n"))
    reset = cli.json("member", "password", "Moderator@Meta.example", "--password-stdin")
    assert reset["email"] == "moderator@meta.example" and reset["password_changed_at"]
    assert cli.events() == before + 1
