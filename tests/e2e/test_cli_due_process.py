"""The due-process commands as a user types them: reprieve review, appeal and violation."""

from __future__ import annotations

import csv
import io
import json

import pytest

from e2e.cli_support import Cli

REASON = ["--category", "STATEMENT_CATEGORY_VIOLENCE", "--explanation", "Incitement", "--policy", "Violence"]


def test_a_review_an_appeal_and_violations_from_the_command_line(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(database_url, capsys)
    cli.ok("operator", "create", "meta", "--name", "Meta")
    cli.ok("platform", "create", "facebook", "--operator", "meta", "--name", "Facebook", "--policy", "meta")
    sanction = cli.json(
        "sanction",
        "create",
        "facebook/alice",
        "--kind",
        "suspension",
        "--starts-at",
        "2024-01-01T00:00:00Z",
        "--backdated-reason",
        "Test history, entered after the fact.",
        "--review-at",
        "2024-02-01T00:00:00Z",
        *REASON,
    )
    due = cli.json("review", "list", "--state", "due")["items"]
    assert [(r["state"], r["sanction"]) for r in due] == [("due", sanction["id"])]
    assert sanction["id"] in cli.ok("review", "list", "--state", "due")
    review = cli.json("review", "open", sanction["id"], "--panel", "ana,ben,cy", "--reason", "Due")
    cli.ok(
        "review",
        "assess",
        review["id"],
        "--reviewer",
        "ana",
        "--risk",
        "low",
        "--factors",
        "election_period",
        "--rationale",
        "Calm",
    )
    assert "1 assessment, quorum 2" in cli.ok("review", "list", "--state", "open")  # once "1/2"
    assert "needs 2 assessments" in cli.fails("review", "decide", review["id"], "--outcome", "lift", "--rationale", "r")
    assert "panel" in cli.fails(
        "review", "assess", review["id"], "--reviewer", "eve", "--risk", "low", "--rationale", "x"
    )
    cli.ok("review", "assess", review["id"], "--reviewer", "ben", "--risk", "moderate", "--rationale", "Hm")
    decided = cli.json("review", "decide", review["id"], "--outcome", "lift", "--rationale", "Receded", "--probation")
    assert decided["decision"]["probation"]["ladder"]["by_severity"]["low"]["duration"] == "P1M"
    shown = cli.ok("review", "show", review["id"])
    assert "timeline:" in shown and "decided" in shown
    standing = cli.json("standing", "facebook/alice")
    assert standing["probation"]["sanction"] == sanction["id"]

    other = cli.json("sanction", "create", "facebook/bob", "--kind", "suspension", "--duration", "P30D", *REASON)
    appeal = cli.json(
        "appeal",
        "file",
        other["id"],
        "--kind",
        "reinstatement",
        "--name",
        "Bob's lawyer",
        "--email",
        "lawyer@example.com",
        "--relation",
        "representative",
        "--channel",
        "letter",
        "--statement",
        "Please reinstate",
        "--meeting-requested",
    )
    assert appeal["filed_by"]["email"] == "lawyer@example.com" and appeal["meeting_requested"] is True
    assert "already has an open appeal" in cli.fails(
        "appeal", "file", other["id"], "--kind", "complaint", "--name", "Bob", "--channel", "web", "--statement", "s"
    )
    assert appeal["id"] in cli.ok("appeal", "list", "--state", "open")
    granted = cli.json(
        "appeal", "decide", appeal["id"], "--outcome", "granted", "--rationale", "ok", "--reply", "Reinstated"
    )
    assert granted["state"] == "granted"
    assert cli.json("sanction", "show", other["id"])["state"] == "lifted"
    cli.ok(
        "appeal", "dispute", appeal["id"], "--body", "Appeals Centre Europe", "--submitted-at", "2024-01-01T00:00:00Z"
    )
    assert "Appeals Centre Europe" in cli.ok("appeal", "show", appeal["id"])
    events = cli.ok("events", "--limit", "1000", "--json")
    assert "lawyer@example.com" not in events and "Bob's lawyer" not in events

    first = cli.json(
        "violation",
        "record",
        "facebook/carol",
        "--id",
        "v-1",
        "--policy",
        "Spam",
        "--severity",
        "low",
        "--category",
        "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    )
    assert (first["strike"]["count"], first["sanction"]["kind"]) == (1, "warning")
    code, out, err = cli.run(
        "violation",
        "record",
        "facebook/carol",
        "--id",
        "v-1",
        "--policy",
        "Spam",
        "--severity",
        "low",
        "--category",
        "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    )
    assert code == 0 and "already recorded" in err and out.startswith("strike 1 (standard ladder)")
    assert "severity" in cli.fails(
        "violation",
        "record",
        "facebook/carol",
        "--id",
        "v-2",
        "--policy",
        "Spam",
        "--severity",
        "awful",
        "--category",
        "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    )


def test_a_violation_names_its_content_and_the_statement_of_its_sanction_exports(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(database_url, capsys)
    cli.ok("operator", "create", "meta", "--name", "Meta")
    cli.ok("platform", "create", "facebook", "--operator", "meta", "--name", "Facebook", "--policy", "meta")
    report = [
        "--policy",
        "Dangerous Individuals and Organizations",
        "--severity",
        "severe",
        "--category",
        "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
        "--facts",
        "A post praising violence.",
        "--occurred-at",
        "2024-05-31T12:00:00Z",
    ]
    named = cli.json(
        "violation",
        "record",
        "facebook/dora",
        "--id",
        "v-1",
        *report,
        "--content-type",
        "CONTENT_TYPE_TEXT",
        "--content-type",
        "CONTENT_TYPE_IMAGE",
        "--content-date",
        "2024-05-30",
        "--keyword",
        "KEYWORD_ILLEGAL_ORGANIZATIONS",
        "--territory",
        "FR",
    )
    reason = named["sanction"]["reason"]
    assert (reason["content_type"], reason["content_date"], reason["keywords"], reason["territorial_scope"]) == (
        ["CONTENT_TYPE_TEXT", "CONTENT_TYPE_IMAGE"],
        "2024-05-30",
        ["KEYWORD_ILLEGAL_ORGANIZATIONS"],
        ["FR"],
    )
    unnamed = cli.json("violation", "record", "facebook/emil", "--id", "v-2", *report)
    assert unnamed["sanction"]["reason"]["content_type"] == []
    code, out, err = cli.run("transparency", "export", "--operator", "meta", "--format", "csv")
    assert code == 0
    assert f"invalid: sanction {unnamed['sanction']['id']}: content_type: is required" in err
    assert "exported 1," in err and "1 invalid statements" in err
    [statement] = list(csv.DictReader(io.StringIO(out)))
    assert json.loads(statement["content_type"]) == ["CONTENT_TYPE_TEXT", "CONTENT_TYPE_IMAGE"]
    assert statement["content_date"].startswith("2024-05-30")  # the daily dumps add 00:00:00
    assert json.loads(statement["category_specification"]) == ["KEYWORD_ILLEGAL_ORGANIZATIONS"]
    before = cli.events()
    for option, value, field in [
        ("--content-type", "CONTENT_TYPE_OTHER", "content_type"),
        ("--content-date", "2024-06-01", "content_date"),
        ("--keyword", "KEYWORD_ELECTORAL_VIOLENCE", "keywords"),
        ("--territory", "US", "territorial_scope"),
    ]:
        assert field in cli.fails("violation", "record", "facebook/finn", "--id", "v-3", *report, option, value)
    assert cli.events() == before


def test_a_violation_naming_an_item_from_the_command_line(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--item``: the violation is a content decision's strike (issue 25 item 1); one strike."""
    cli = Cli(database_url, capsys)
    cli.ok("operator", "create", "meta", "--name", "Meta")
    cli.ok("platform", "create", "facebook", "--operator", "meta", "--name", "Facebook", "--policy", "meta")
    report = ["--policy", "Hate speech", "--severity", "moderate", "--category", "STATEMENT_CATEGORY_VIOLENCE"]
    item = ["--item", "post-1", "--content-type", "CONTENT_TYPE_TEXT", "--content-date", "2024-05-30"]
    answer = cli.json("violation", "record", "facebook/gina", "--id", "v-item-1", *report, *item, "--kind", "demotion")
    assert answer["strike"]["count"] == 1 and answer["sanction"]["kind"] == "warning"
    decision = cli.json("content", "show", answer["content_decision"])
    assert (decision["kind"], decision["strike"], decision["strike_record"]["violation"]) == (
        "demotion",
        True,
        answer["id"],
    )
    code, out, _ = cli.run(
        "violation",
        "record",
        "facebook/gina",
        "--id",
        "v-item-2",
        *report,
        "--item",
        "post-2",
        "--content-type",
        "CONTENT_TYPE_TEXT",
        "--content-date",
        "2024-05-30",
    )
    assert code == 0 and "strike 2 (standard ladder)" in out and "content decision cd_" in out
    before = cli.events()
    assert "kind" in cli.fails("violation", "record", "facebook/gina", "--id", "v-3", *report, "--kind", "removal")
    assert "item-language" in cli.fails(
        "violation", "record", "facebook/gina", "--id", "v-4", *report, "--item-language", "en"
    )
    assert cli.events() == before
