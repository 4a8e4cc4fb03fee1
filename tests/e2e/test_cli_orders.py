"""``reprieve sanction create --order-...``: a sanction giving effect to an authority's order (DSA
art. 9) issues the art. 9(5) information instead of a statement of reasons (art. 17(5)); a bad
order is one line of error and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from e2e.cli_support import Cli
from reprieve.store import tables
from reprieve.store.db import open_database

REASON = [
    "--category",
    "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "--explanation",
    "Ordered removal",
    "--policy",
    "Hate",
]
ORDER = [
    "--order-authority",
    "Bundesnetzagentur",
    "--order-member-state",
    "de",
    "--order-reference",
    "BNetzA 2026/77",
    "--order-received-at",
    "2024-01-02T03:04:05Z",
]


@pytest.fixture
def cli(database_url: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    c = Cli(database_url, capsys)
    c.ok("operator", "create", "meta", "--name", "Meta")
    c.ok("platform", "create", "facebook", "--operator", "meta", "--name", "Facebook")
    return c


def _kinds(cli: Cli) -> list[str]:
    db = open_database(cli.url)
    try:
        with db.read() as conn:
            return list(conn.execute(select(tables.issued_documents.c.kind)).scalars())
    finally:
        db.dispose()


def test_an_order_is_recorded_and_shown(cli: Cli) -> None:
    created = cli.json("sanction", "create", "facebook/ordered", "--kind", "suspension", *REASON, *ORDER)
    assert created["order"] == {
        "authority": "Bundesnetzagentur",
        "member_state": "DE",
        "reference": "BNetzA 2026/77",
        "received_at": "2024-01-02T03:04:05Z",
    }
    assert _kinds(cli) == ["order_information"]
    shown = cli.ok("sanction", "show", created["id"])
    assert "Bundesnetzagentur" in shown and "BNetzA 2026/77" in shown


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (["--order-member-state", "US"], "order.member_state"),
        (["--order-received-at", "2999-01-01T00:00:00Z"], "order.received_at: lies in the future"),
    ],
)
def test_a_bad_order_is_one_line_and_changes_nothing(cli: Cli, change: list[str], said: str) -> None:
    before = cli.events()
    err = cli.fails("sanction", "create", "facebook/refused", "--kind", "suspension", *REASON, *ORDER, *change)
    assert said in err
    assert cli.events() == before


def test_an_order_without_its_authority_is_refused(cli: Cli) -> None:
    err = cli.fails("sanction", "create", "facebook/partial", "--kind", "suspension", *REASON, *ORDER[2:])
    assert "order.authority" in err
