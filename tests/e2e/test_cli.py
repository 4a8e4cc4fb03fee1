"""The CLI as a user types it: readable output, --json for scripts, one-line errors that change nothing."""

from __future__ import annotations

import pytest

from e2e.cli_support import Cli

REASON = [
    "--category",
    "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "--explanation",
    "Praise of violence at the Capitol",
    "--policy",
    "Dangerous Individuals",
]


@pytest.fixture
def cli(database_url: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    c = Cli(database_url, capsys)
    c.ok("operator", "create", "meta", "--name", "Meta")
    c.ok("platform", "create", "facebook", "--operator", "meta", "--name", "Facebook")
    c.ok("platform", "create", "instagram", "--operator", "meta", "--name", "Instagram")
    c.ok("operator", "create", "x-corp", "--name", "X Corp")
    c.ok("platform", "create", "twitter", "--operator", "x-corp", "--name", "Twitter")
    return c


def test_a_sanction_told_from_creation_to_lift(cli: Cli) -> None:
    identity = cli.json("identity", "link", "--operator", "meta", "facebook/DonaldTrump", "instagram/realdonaldtrump")
    assert len(identity["accounts"]) == 2
    created = cli.json(
        "sanction",
        "create",
        "facebook/DonaldTrump",
        "--kind",
        "suspension",
        "--scope",
        "facebook,instagram",
        "--starts-at",
        "2021-01-07T00:00:00Z",
        "--backdated-reason",
        "Test history, entered after the fact.",
        *REASON,
    )
    sid = created["id"]
    assert created["state"] == "active" and created["ends_at"] is None
    amended = cli.json(
        "sanction",
        "amend",
        sid,
        "--reason",
        "two years",
        "--ends-at",
        "2023-01-07T00:00:00Z",
        "--effective-at",
        "2021-06-04T00:00:00Z",
        "--backdated-reason",
        "Test history, entered after the fact.",
    )
    assert amended["history"][-1]["ends_at"] == "2023-01-07T00:00:00Z"

    # The link was recorded today: in 2022 it was not in force (PRODUCT.md section 8), so the
    # sanction of the Facebook account did not reach the Instagram one then.
    assert cli.json("standing", "instagram/realdonaldtrump", "--at", "2022-06-01T00:00:00Z")["status"] == "good"
    standing = cli.json("standing", "facebook/DonaldTrump", "--at", "2022-06-01T00:00:00Z")
    assert standing["status"] == "suspended"
    assert standing["until"] == "2023-01-07T00:00:00Z"
    assert "appeal" not in standing["denies"] and "post" in standing["denies"]
    assert cli.json("standing", "instagram/realdonaldtrump", "--at", "2023-02-01")["status"] == "good"

    code, denied, _ = cli.run("check", "facebook/DonaldTrump", "post", "--at", "2022-01-01T00:00:00Z")
    assert code == 1 and denied.startswith("denied:") and sid in denied  # exit status 1: denied
    assert cli.ok("check", "facebook/DonaldTrump", "appeal", "--at", "2022-01-01T00:00:00Z").startswith("allowed")

    table = cli.ok("sanction", "list", "--account", "facebook/DonaldTrump", "--at", "2022-01-01T00:00:00Z")
    assert sid in table and "active" in table
    shown = cli.ok("sanction", "show", sid, "--at", "2023-06-01T00:00:00Z")
    assert "expired" in shown and "amended" in shown

    cli.ok(
        "sanction",
        "amend",
        sid,
        "--reason",
        "kept pending review",
        "--indefinite",
        "--effective-at",
        "2023-01-06T00:00:00Z",
        "--backdated-reason",
        "Test history, entered after the fact.",
    )
    lifted = cli.json(
        "sanction",
        "lift",
        sid,
        "--reason",
        "reinstated",
        "--effective-at",
        "2023-01-25T00:00:00Z",
        "--backdated-reason",
        "Test history, entered after the fact.",
    )
    assert lifted["lifted_at"] == "2023-01-25T00:00:00Z"
    assert (
        cli.json("standing", "facebook/DonaldTrump", "--at", "2023-01-20T00:00:00Z")["until"] == "2023-01-25T00:00:00Z"
    )

    events = cli.json("events", "--limit", "100")["items"]
    # Each change of the term issues a statement of reasons (issue 23); the lift issues none.
    assert [e["type"] for e in events[-5:]] == [
        "sanction.amended",
        "statement.issued",
        "sanction.amended",
        "statement.issued",
        "sanction.lifted",
    ]
    assert cli.ok("audit", "verify").startswith("ok:")


def test_restriction_denies_only_what_it_lists(cli: Cli) -> None:
    created = cli.json(
        "sanction",
        "create",
        "facebook/someone",
        "--kind",
        "restriction",
        "--denies",
        "live,advertise",
        "--duration",
        "P30D",
        *REASON,
    )
    assert created["denies"] == ["live", "advertise"]
    standing = cli.json("standing", "facebook/someone")
    assert standing["status"] == "restricted" and standing["denies"] == ["advertise", "live"]
    assert cli.json("check", "facebook/someone", "post")["allowed"] is True


BAD_INPUTS = {
    "unknown platform": ["sanction", "create", "myspace/tom", "--kind", "suspension", *REASON],
    "scope spanning two operators": [
        "sanction",
        "create",
        "facebook/a",
        "--kind",
        "suspension",
        "--scope",
        "facebook,twitter",
        *REASON,
    ],
    "ends_at before starts_at": [
        "sanction",
        "create",
        "facebook/a",
        "--kind",
        "suspension",
        "--starts-at",
        "2021-01-07T00:00:00Z",
        "--backdated-reason",
        "Test history, entered after the fact.",
        "--ends-at",
        "2021-01-01T00:00:00Z",
        *REASON,
    ],
    "malformed duration": [
        "sanction",
        "create",
        "facebook/a",
        "--kind",
        "suspension",
        "--duration",
        "2 years",
        *REASON,
    ],
    "malformed instant": [
        "sanction",
        "create",
        "facebook/a",
        "--kind",
        "suspension",
        "--starts-at",
        "yesterday",
        *REASON,
    ],
    "unknown kind": ["sanction", "create", "facebook/a", "--kind", "shadowban", *REASON],
    "unknown category": [
        "sanction",
        "create",
        "facebook/a",
        "--kind",
        "warning",
        "--category",
        "BAD",
        "--explanation",
        "x",
        "--policy",
        "y",
    ],
    "termination with an end": [
        "sanction",
        "create",
        "facebook/a",
        "--kind",
        "termination",
        "--duration",
        "P1D",
        *REASON,
    ],
    "unknown sanction id": ["sanction", "lift", "snc_does_not_exist", "--reason", "x"],
    "unknown sanction to show": ["sanction", "show", "snc_does_not_exist"],
    "linking accounts of two operators": ["identity", "link", "--operator", "meta", "facebook/a", "twitter/a"],
    "unknown operator": ["platform", "create", "threads", "--operator", "nobody", "--name", "Threads"],
    "duplicate operator": ["operator", "create", "meta", "--name", "Meta again"],
    "bad account reference": ["standing", "facebook"],
    "unknown option": ["sanction", "list", "--colour", "red"],
    "bad --at": ["standing", "facebook/a", "--at", "2021-13-45"],
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_clear_line_and_changes_nothing(cli: Cli, case: str) -> None:
    before = cli.events()
    code, out, err = cli.run(*BAD_INPUTS[case])
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and len(lines[0]) > len("error: ") + 5, err
    assert "Traceback" not in err and out == ""
    assert cli.events() == before


def test_lifting_a_sanction_that_is_not_active_is_refused(cli: Cli) -> None:
    sid = cli.json(
        "sanction",
        "create",
        "facebook/a",
        "--kind",
        "suspension",
        "--starts-at",
        "2021-01-01T00:00:00Z",
        "--backdated-reason",
        "Test history, entered after the fact.",
        "--duration",
        "P7D",
        *REASON,
    )["id"]
    before = cli.events()
    code, _, err = cli.run("sanction", "lift", sid, "--reason", "too late")
    assert code == 1 and "not active" in err and "expired" in err
    code, _, err = cli.run(
        "sanction",
        "lift",
        sid,
        "--reason",
        "before it began",
        "--effective-at",
        "2020-12-01T00:00:00Z",
        "--backdated-reason",
        "Test history, entered after the fact.",
    )
    assert code == 1 and "before the sanction starts" in err
    assert cli.events() == before


def test_token_create_for_a_fresh_database(cli: Cli) -> None:
    token = cli.json("token", "create", "--instance-admin")
    assert token["role"] == "instance-admin" and token["token"].startswith("rpv_")
    code, _, err = cli.run("token", "create", "--role", "moderator")
    assert code == 1 and "operator" in err


def test_migrate_is_idempotent(cli: Cli) -> None:
    assert cli.ok("migrate").startswith("already at")


def test_demo_tells_the_story_and_a_second_run_changes_nothing(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(database_url, capsys)
    story = cli.ok("demo", "--synthetic", "150")
    rows = {
        line.split()[0]: line.split()[1:] for line in story.splitlines() if "/" in line and not line.startswith(" ")
    }
    # columns: 2021-01-06, 2021-01-12, 2022-06-01, 2022-12-01, 2023-01-10, 2023-02-01
    assert rows["facebook/DonaldTrump"] == ["good", "suspended", "suspended", "suspended", "suspended", "good"]
    assert rows["instagram/realdonaldtrump"] == rows["facebook/DonaldTrump"]
    assert rows["twitter/realDonaldTrump"] == ["good", "terminated", "terminated", "good", "good", "good"]
    assert rows["aws/parler"][1:] == ["terminated"] * 5
    assert rows["app-store/com.parler.parler"][:3] == ["good", "suspended", "good"]
    assert rows["google-play/com.parler.parler"][2:4] == ["suspended", "good"]
    # Meta's expert review of January 2023 and the campaign's letter, decided on 2023-01-25.
    assert "panel of 3 assessed the risk (3 low); decided to lift on 2023-01-25, with probation until 2025" in story
    assert "by a representative (letter, received 2023-01-17, meeting requested): granted" in story
    assert "Decisions on content: facebook/capitol-video-2021-01-06 (removal, active); " in story
    assert "instagram/wellness-photo-0042 (label in AT, DE, FR, active)" in story
    events = cli.events()
    head = cli.json("audit", "verify")
    assert head["ok"] is True
    code, _out, err = cli.run("demo")
    assert code == 0 and "already loaded" in err
    assert cli.events() == events and cli.json("audit", "verify")["head"] == head["head"]
    assert cli.json("operator", "show", "truth-social")["platforms"] == ["truth-social"]
    assert len(cli.json("sanction", "list", "--limit", "1000")["items"]) > 150


def test_a_sanction_names_the_content_it_was_about(cli: Cli) -> None:
    created = cli.json(
        "sanction",
        "create",
        "facebook/c",
        "--kind",
        "warning",
        *REASON,
        "--content-type",
        "CONTENT_TYPE_TEXT,CONTENT_TYPE_IMAGE",
        "--content-date",
        "2021-01-06",
    )
    assert created["reason"]["content_type"] == ["CONTENT_TYPE_TEXT", "CONTENT_TYPE_IMAGE"]
    assert created["reason"]["content_date"] == "2021-01-06"
    before = cli.events()
    err = cli.fails("sanction", "create", "facebook/d", "--kind", "warning", *REASON, "--content-date", "6 Jan")
    assert "content_date" in err
    cli.fails("sanction", "create", "facebook/d", "--kind", "warning", *REASON, "--content-type", "TEXT")
    assert cli.events() == before


def test_reads_as_known_at_an_instant_with_as_of(cli: Cli) -> None:
    """``--as-of``: what Reprieve knew then, from the events recorded by then (issue 22)."""
    created = cli.json(
        "sanction",
        "create",
        "facebook/someone",
        "--kind",
        "suspension",
        "--starts-at",
        "2021-01-07T00:00:00Z",
        "--backdated-reason",
        "Test history, entered after the fact.",
        *REASON,
    )
    sid = created["id"]
    before = "2021-01-08T00:00:00Z"  # in force then, but recorded only now
    assert cli.json("sanction", "show", sid, "--at", before)["state"] == "active"
    assert cli.fails("sanction", "show", sid, "--at", before, "--as-of", before).startswith(
        f"error: no sanction '{sid}'"
    )
    assert cli.json("sanction", "list", "--account", "facebook/someone", "--as-of", before)["items"] == []
    assert cli.json("standing", "facebook/someone", "--at", before)["status"] == "suspended"
    assert cli.json("standing", "facebook/someone", "--at", before, "--as-of", before)["status"] == "good"
    assert cli.json("appeal", "list", "--as-of", before)["items"] == []
    assert cli.json("review", "list", "--as-of", before)["items"] == []
    events = cli.events()
    assert "--as-of" in cli.fails("sanction", "show", sid, "--as-of", "yesterday")
    assert "in the future" in cli.fails("standing", "facebook/someone", "--as-of", "2999-01-01T00:00:00Z")
    code, out, err = cli.run("check", "facebook/someone", "post", "--as-of", "2999-01-01T00:00:00Z")
    assert code == 2 and out == "" and "in the future" in err and err.count("\n") == 1
    assert cli.events() == events  # a refused read changes nothing


def test_identity_show_as_known_at_an_instant(cli: Cli) -> None:
    """``identity show --as-of``: the accounts linked in it by then (issue 22 item 3)."""
    identity = cli.json("identity", "link", "--operator", "meta", "facebook/linked", "instagram/linked")
    shown = cli.json("identity", "show", identity["id"])
    assert [a["platform"] for a in shown["accounts"]] == ["facebook", "instagram"]
    events = cli.events()
    assert cli.fails("identity", "show", identity["id"], "--as-of", "2000-01-01T00:00:00Z").startswith(
        f"error: no identity '{identity['id']}'"
    )
    assert "--as-of" in cli.fails("identity", "show", identity["id"], "--as-of", "yesterday")
    assert cli.events() == events
