"""``reprieve webhook`` and ``reprieve worker`` as a user types them."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e.cli_support import Cli


@pytest.fixture(autouse=True)
def _local_receivers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The receivers of these tests listen on 127.0.0.1, which an installation must allow."""
    monkeypatch.setenv("REPRIEVE_WEBHOOK_ALLOW_NETWORKS", "127.0.0.1/32")


@pytest.fixture
def cli(database_url: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    c = Cli(database_url, capsys)
    c.ok("operator", "create", "meta", "--name", "Meta")
    c.ok("platform", "create", "facebook", "--operator", "meta", "--name", "Facebook")
    return c


def test_webhook_commands_and_a_worker_cycle(cli: Cli) -> None:
    hook = cli.json(
        "webhook",
        "create",
        "--operator",
        "meta",
        "--url",
        "http://127.0.0.1:9/hook",
        "--event-type",
        "sanction.imposed",
    )
    assert hook["secret"].startswith("whsec_")
    assert hook["id"] in cli.ok("webhook", "list")
    cli.ok(
        "sanction",
        "create",
        "facebook/alice",
        "--kind",
        "suspension",
        "--duration",
        "P30D",
        "--category",
        "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        "--explanation",
        "Counterfeit tickets",
        "--policy",
        "Fraud",
    )
    assert cli.json("webhook", "show", hook["id"])["deliveries"]["pending"] == 1
    report = cli.json("worker", "--once")  # port 9 refuses: the delivery is retried later
    assert report["retried"] == 1 and report["delivered"] == 0
    pending = cli.json("webhook", "deliveries", hook["id"], "--state", "pending")["items"]
    assert pending[0]["attempts"] == 1 and pending[0]["last_error"]
    assert cli.json("webhook", "redeliver", pending[0]["id"])["attempts"] == 0
    assert cli.json("webhook", "disable", hook["id"])["state"] == "disabled"
    assert cli.json("worker", "appeal-target", "meta", "P7D") == {"operator": "meta", "appeal_target": "P7D"}
    cli.ok("webhook", "delete", hook["id"])
    assert cli.json("webhook", "list")["items"] == []


def test_bad_input_is_one_line_and_changes_nothing(cli: Cli) -> None:
    before = cli.events()
    cli.fails("webhook", "create", "--operator", "meta", "--url", "ftp://example.org", "--event-type", "*")
    cli.fails("webhook", "create", "--operator", "nobody", "--url", "http://example.org", "--event-type", "*")
    cli.fails("webhook", "create", "--operator", "meta", "--url", "http://example.org", "--event-type", "nope")
    cli.fails("webhook", "deliveries", "whk_missing")
    cli.fails("webhook", "redeliver", "12345")
    cli.fails("worker", "appeal-target", "meta", "fortnight")
    cli.fails("worker", "--nats-url", "http://127.0.0.1:4222", "--once")
    assert cli.events() == before


def test_without_a_key_secrets_are_refused_on_postgresql_and_kept_in_a_key_file_on_sqlite(
    cli: Cli, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REPRIEVE_SECRET_KEY", raising=False)
    code, _, err = cli.run("worker", "--once")
    assert code == 0 and "REPRIEVE_SECRET_KEY" not in err  # no endpoint, no secret to protect
    # Only an event that never happens here: nothing falls due, whatever the time between the runs.
    create = (
        "webhook",
        "create",
        "--operator",
        "meta",
        "--url",
        "http://127.0.0.1:9/hook",
        "--event-type",
        "sanction.imposed",
    )
    if database_url.startswith("postgresql"):
        assert "REPRIEVE_SECRET_KEY is not set" in cli.fails(*create)
        monkeypatch.setenv("REPRIEVE_SECRET_KEY", "a long random string for this test")
    code, _, err = cli.run(*create)
    assert code == 0 and err == ""
    code, _, err = cli.run("worker", "--once")
    assert code == 0 and err == ""
    # The key gone (unset, or the key file lost): the worker says at start that nothing can be delivered.
    monkeypatch.delenv("REPRIEVE_SECRET_KEY", raising=False)
    if database_url.startswith("sqlite"):
        key_file = Path(database_url.removeprefix("sqlite:///") + ".key")
        assert key_file.stat().st_mode & 0o777 == 0o600
        key_file.unlink()
    code, _, err = cli.run("worker", "--once")
    assert err.startswith("warning: REPRIEVE_SECRET_KEY is not set") and err.count("\n") == 1
