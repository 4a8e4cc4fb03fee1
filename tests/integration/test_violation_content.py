"""What a violation says about the content (content_type, content_date, keywords, territorial_scope)
reaches the sanction its ladder imposes, so that the sanction's Transparency Database statement
validates and carries it; without a content_type the export refuses the statement and says why."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from due_process_support import MODERATOR, NOW, event_count, operator_with

from reprieve.domain.errors import ValidationError
from reprieve.dsa.pages import render_statement
from reprieve.dsa.statement import Lang
from reprieve.runtime.group_commit import GroupCommitter
from reprieve.services import transparency, violations
from reprieve.services.callers import Caller
from reprieve.store import queries
from reprieve.store.db import Database

EVERYWHERE = transparency.period(None, None)


def report(id: str, account: str = "gina", **content: Any) -> violations.RecordViolation:
    return violations.RecordViolation.parse(
        id=id,
        platform="facebook",
        account=account,
        policy="Dangerous Individuals and Organizations",
        severity="severe",
        category="STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
        facts="A post praising violence.",
        occurred_at="2024-05-31T23:30:00Z",
        **content,
    )


def exported(db: Database, sanction_id: str) -> transparency.Exported:
    [found] = [
        e for e in transparency.export_decisions(db, operator="meta", within=EVERYWHERE) if e.sanction_id == sanction_id
    ]
    return found


@pytest.fixture
def meta(db: Database) -> Database:
    operator_with(db, "meta", ("facebook", "meta"))
    return db


def test_the_content_of_a_violation_reaches_the_sanction_and_its_statement(meta: Database) -> None:
    answer = violations.record_violation(
        meta,
        report(
            "v-1",
            content_type=["CONTENT_TYPE_TEXT", "CONTENT_TYPE_VIDEO", "CONTENT_TYPE_TEXT"],
            content_date="2024-05-30",
            keywords=["KEYWORD_INCITEMENT_VIOLENCE_HATRED"],
            territorial_scope=["FR", "DE"],
        ),
        caller=MODERATOR.at(NOW),
    )
    sanction = answer.body["sanction"]
    assert sanction["kind"] == "termination"
    reason = sanction["reason"]
    assert reason["content_type"] == ["CONTENT_TYPE_TEXT", "CONTENT_TYPE_VIDEO"]
    assert reason["content_date"] == "2024-05-30"
    assert reason["keywords"] == ["KEYWORD_INCITEMENT_VIOLENCE_HATRED"]
    assert reason["territorial_scope"] == ["DE", "FR"]
    found = exported(meta, sanction["id"])
    assert found.problems == []
    statement = found.statement
    assert statement is not None
    assert statement["content_type"] == ["CONTENT_TYPE_TEXT", "CONTENT_TYPE_VIDEO"]
    assert statement["content_date"] == "2024-05-30"
    assert statement["category_specification"] == ["KEYWORD_INCITEMENT_VIOLENCE_HATRED"]
    assert statement["territorial_scope"] == ["DE", "FR"]
    assert statement["application_date"] == "2024-05-31"
    with meta.read() as conn:
        loaded = queries.load_sanction(conn, sanction["id"])
    assert loaded is not None and loaded.reason.content_type == ("CONTENT_TYPE_TEXT", "CONTENT_TYPE_VIDEO")
    # The statement of reasons the user gets (art. 17) names the content too.
    english = transparency.statement_of_reasons(meta, sanction["id"], language=Lang.EN, caller=Caller("test", now=NOW))
    assert english["content"] == {
        "types": ["CONTENT_TYPE_TEXT", "CONTENT_TYPE_VIDEO"],
        "date": "2024-05-30",
        "text": "Text, video (of 30 May 2024)",
    }
    assert "<dt>Content</dt><dd>Text, video (of 30 May 2024)</dd>" in render_statement(english)
    french = transparency.statement_of_reasons(meta, sanction["id"], language=Lang.FR, caller=Caller("test", now=NOW))
    assert french["content"]["text"] == "Texte, vidéo (du 30 mai 2024)"


def test_the_content_date_defaults_to_the_date_the_violation_occurred(meta: Database) -> None:
    answer = violations.record_violation(
        meta, report("v-1", content_type=["CONTENT_TYPE_IMAGE"]), caller=MODERATOR.at(NOW)
    )
    statement = exported(meta, answer.body["sanction"]["id"]).statement
    assert statement is not None
    assert statement["content_date"] == "2024-05-31"  # occurred_at 2024-05-31T23:30:00Z, a UTC date
    assert statement["territorial_scope"][:2] == ["AT", "BE"]  # all of the EEA


def test_without_a_content_type_the_export_refuses_the_statement_and_names_the_field(meta: Database) -> None:
    answer = violations.record_violation(meta, report("v-1"), caller=MODERATOR.at(NOW))
    sanction = answer.body["sanction"]
    assert sanction["reason"]["content_type"] == []
    assert sanction["reason"]["content_date"] == "2024-05-31"
    statement = transparency.statement_of_reasons(
        meta, sanction["id"], language=Lang.EN, caller=Caller("test", now=NOW)
    )
    assert statement["content"]["text"] == "31 May 2024"
    found = exported(meta, sanction["id"])
    assert found.statement is None
    assert [(p.field, p.message) for p in found.problems] == [
        ("content_type", "is required: a list of at least one value")
    ]


def test_a_repeat_gets_the_first_answer_whatever_content_it_names(meta: Database) -> None:
    first = violations.record_violation(
        meta, report("v-1", content_type=["CONTENT_TYPE_TEXT"]), caller=MODERATOR.at(NOW)
    )
    before = event_count(meta)
    again = violations.record_violation(
        meta,
        report("v-1", content_type=["CONTENT_TYPE_VIDEO"], content_date="2024-01-01"),
        caller=MODERATOR.at(NOW + timedelta(minutes=1)),
    )
    assert not again.created and again.body == first.body
    assert again.body["sanction"]["reason"]["content_type"] == ["CONTENT_TYPE_TEXT"]
    assert event_count(meta) == before


def test_a_group_commit_batch_carries_the_content_as_one_at_a_time_does(meta: Database) -> None:
    committer = GroupCommitter(meta)
    try:
        futures = [
            violations.submit_violation(
                committer,
                report(
                    f"v-{n}",
                    account=f"user{n}",
                    content_type=["CONTENT_TYPE_AUDIO"],
                    content_date="2024-05-01",
                ),
                caller=MODERATOR.at(NOW + timedelta(seconds=n)),
            )
            for n in range(3)
        ]
        answers = [f.result(timeout=30) for f in futures]
    finally:
        committer.close()
    for answer in answers:
        reason = answer.body["sanction"]["reason"]
        assert (reason["content_type"], reason["content_date"]) == (["CONTENT_TYPE_AUDIO"], "2024-05-01")
        found = exported(meta, answer.body["sanction"]["id"])
        assert found.problems == [] and found.statement is not None
        assert found.statement["content_type"] == ["CONTENT_TYPE_AUDIO"]


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ({"content_type": ["CONTENT_TYPE_OTHER"]}, "content_type"),  # needs a description a reason cannot carry
        ({"content_type": ["CONTENT_TYPE_HOLOGRAM"]}, "content_type"),
        ({"content_type": "CONTENT_TYPE_TEXT"}, "content_type"),
        ({"content_type": ["CONTENT_TYPE_TEXT"] * 21}, "content_type"),
        ({"content_date": "2024-02-30"}, "content_date"),
        ({"content_date": "31/05/2024"}, "content_date"),
        ({"content_date": "2024-06-01"}, "content_date"),  # after the violation
        ({"content_date": "1999-12-31"}, "content_date"),  # before the Transparency Database's earliest
        ({"keywords": ["KEYWORD_ELECTORAL_VIOLENCE"]}, "keywords"),  # not a v2 keyword
        ({"keywords": ["KEYWORD_OTHER"]}, "keywords"),
        ({"territorial_scope": ["US"]}, "territorial_scope"),
    ],
)
def test_bad_content_fields_are_refused_and_change_nothing(meta: Database, content: dict[str, Any], field: str) -> None:
    before = event_count(meta)
    with pytest.raises(ValidationError) as refused:
        violations.record_violation(meta, report("v-1", **content), caller=MODERATOR.at(NOW))
    assert refused.value.field == field
    assert event_count(meta) == before
