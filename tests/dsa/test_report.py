"""The transparency report on a seeded data set equals figures computed independently in the test,
and no personal data appears in any export or report."""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter
from datetime import datetime
from typing import Any

import pytest

from reprieve.domain.model import AccountRef
from reprieve.domain.time import parse_instant
from reprieve.dsa import pages
from reprieve.dsa.statement import Lang
from reprieve.services import appeals, catalogue, sanctions, transparency, violations
from reprieve.services.callers import Caller
from reprieve.services.sanctions import ImposeSanction, impose_sanction
from reprieve.store.db import Database

ACTOR = "dsa-tests"
PERSON = Caller("moderator:jo")
REQUESTER = {"name": "Jeanne Requérante-Unique", "email": "jeanne.unique-7f3@example.org", "relation": "subject"}
PERIOD = ("2024-01-01", "2024-07-01")


def reason(ground: str, category: str, **extra: Any) -> dict[str, Any]:
    r: dict[str, Any] = {
        "ground": ground,
        "category": category,
        "explanation": "As explained to the user.",
        "facts": "The facts of the case.",
        "content_type": ["CONTENT_TYPE_TEXT"],
        "content_date": "2024-01-02",
        "policy": "Community standards",
    }
    if ground == "illegal_content":
        r["legal_ground"] = "Article 222-33-2-2 Code pénal"
    r.update(extra)
    return r


def impose(
    db: Database,
    now: datetime,
    subject: str,
    kind: str,
    starts: str,
    ground: str,
    category: str,
    automated: dict[str, Any] | None = None,
    **fields: Any,
) -> str:
    command = ImposeSanction.parse(
        subject=AccountRef.parse(subject),
        kind=kind,
        starts_at=starts,
        reason=reason(ground, category),
        automated=automated,
        backdated_reason="Report history, entered after the fact.",  # starts long before ``now``
        **fields,
    )
    return impose_sanction(db, command, caller=Caller(ACTOR, now=now)).id


#: The operators exist before the seed's first instant: it tells its story from 2023-12-01 on, and
#: the log's recording instants never go backwards (PRODUCT.md section 8).
CATALOGUE_AT = parse_instant("2023-12-01T00:00:00Z")


@pytest.fixture
def meta(db: Database) -> str:
    """Operator ``meta`` with platforms ``facebook`` and ``instagram``, before the seed."""
    catalogue.create_operator(
        db, catalogue.CreateOperator.parse(id="meta", name="Meta Platforms"), caller=Caller(ACTOR, now=CATALOGUE_AT)
    )
    for platform, name in (("facebook", "Facebook"), ("instagram", "Instagram")):
        catalogue.create_platform(
            db,
            catalogue.CreatePlatform.parse(id=platform, operator="meta", name=name),
            caller=Caller(ACTOR, now=CATALOGUE_AT),
        )
    return "meta"


@pytest.fixture
def x_corp(db: Database) -> str:
    """Operator ``x`` with platform ``twitter``, before the seed."""
    catalogue.create_operator(
        db, catalogue.CreateOperator.parse(id="x", name="X Corp"), caller=Caller(ACTOR, now=CATALOGUE_AT)
    )
    catalogue.create_platform(
        db,
        catalogue.CreatePlatform.parse(id="twitter", operator="x", name="Twitter"),
        caller=Caller(ACTOR, now=CATALOGUE_AT),
    )
    return "x"


@pytest.fixture
def seeded(db: Database, meta: str, x_corp: str, now: datetime) -> dict[str, Any]:
    """Everything done at its own instant, in order, as it would happen (the recording instant matters:
    an appeal's handling time runs until its decision is recorded)."""
    t = parse_instant
    catalogue.create_platform(
        db,
        catalogue.CreatePlatform.parse(id="threads", operator="meta", name="Threads", policy="meta"),
        caller=Caller(ACTOR, now=t("2023-12-01T00:00:00Z")),
    )
    ids: dict[str, str] = {}
    laddered: list[tuple[str, str]] = []
    appeal_ids: dict[str, str] = {}

    def sanction(
        key: str | None,
        subject: str,
        kind: str,
        at: str,
        ground: str,
        category: str,
        automated: dict[str, Any] | None = None,
        **fields: Any,
    ) -> None:
        sid = impose(db, t(at), subject, kind, at, ground, category, automated, **fields)
        if key:
            ids[key] = sid

    def violation(external: str, account: str, severity: str, occurred: str, recorded: str) -> None:
        answer = violations.record_violation(
            db,
            violations.RecordViolation.parse(
                id=external,
                platform="threads",
                account=account,
                policy="Violence and incitement",
                severity=severity,
                category="STATEMENT_CATEGORY_VIOLENCE",
                facts="Reported post.",
                occurred_at=occurred,
            ),
            caller=PERSON.at(t(recorded)),
        )
        if answer.body.get("sanction"):
            laddered.append((occurred, str(answer.body["sanction"]["id"])))

    def appeal(key: str, target: str, kind: str, at: str) -> None:
        appeal_ids[key] = appeals.file_appeal(
            db,
            appeals.FileAppeal.parse(
                sanction_id=ids[target], kind=kind, filed_by=REQUESTER, statement="Please look again.", channel="web"
            ),
            caller=PERSON.at(t(at)),
        ).id

    def decide(key: str, outcome: str, at: str, **fields: Any) -> None:
        appeals.decide_appeal(
            db,
            appeal_ids[key],
            appeals.DecideAppeal.parse(outcome=outcome, rationale="Looked again.", reply="Answer.", **fields),
            caller=PERSON.at(t(at)),
        )

    # Outside the period (its end is excluded), or another operator's: never counted.
    sanction(
        None,
        "facebook/acct-frank-7f3",
        "suspension",
        "2023-12-31T23:59:59Z",
        "incompatible_content",
        "STATEMENT_CATEGORY_VIOLENCE",
    )
    sanction(
        "w4",
        "facebook/acct-dave-7f3",
        "warning",
        "2024-01-15T00:00:00Z",
        "incompatible_content",
        "STATEMENT_CATEGORY_VIOLENCE",
    )
    sanction(
        "s1",
        "facebook/acct-alice-7f3",
        "suspension",
        "2024-02-01T00:00:00Z",
        "incompatible_content",
        "STATEMENT_CATEGORY_VIOLENCE",
        {"detection": True, "decision": "partially"},
    )
    sanction(
        None,
        "twitter/acct-xavier-7f3",
        "suspension",
        "2024-02-01T00:00:00Z",
        "incompatible_content",
        "STATEMENT_CATEGORY_VIOLENCE",
    )
    appeal("a1", "s1", "complaint", "2024-02-02T00:00:00Z")
    decide("a1", "granted", "2024-02-05T00:00:00Z")  # 3 days
    sanction(
        "s5",
        "facebook/acct-dave-7f3",
        "suspension",
        "2024-02-15T00:00:00Z",
        "illegal_content",
        "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
        ends_at="2024-03-15T00:00:00Z",
    )
    appeals.record_dispute(
        db,
        appeal_ids["a1"],
        appeals.RecordDispute.parse(body="User Rights", submitted_at="2024-02-20T00:00:00Z"),
        caller=PERSON.at(t("2024-02-20T00:00:00Z")),
    )
    sanction(
        "s2",
        "facebook/acct-bob-7f3",
        "termination",
        "2024-03-01T00:00:00Z",
        "illegal_content",
        "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    )
    appeal("a3", "s2", "complaint", "2024-03-05T00:00:00Z")  # stays open
    sanction(
        "s3",
        "instagram/acct-carol-7f3",
        "restriction",
        "2024-04-01T00:00:00Z",
        "incompatible_content",
        "STATEMENT_CATEGORY_VIOLENCE",
        {"detection": True, "decision": "fully"},
        denies=["post"],
        ends_at="2024-09-01T00:00:00Z",
    )
    appeal("a2", "s3", "complaint", "2024-04-02T00:00:00Z")
    decide("a2", "denied", "2024-04-03T12:00:00Z")  # 1.5 days
    sanction(
        "s6",
        "facebook/acct-erin-7f3",
        "suspension",
        "2024-04-15T00:00:00Z",
        "illegal_content",
        "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    )
    appeal("a4", "s6", "reinstatement", "2024-05-01T00:00:00Z")
    violation("v1", "acct-gina-7f3", "severe", "2024-05-01T00:00:00Z", "2024-05-01T06:00:00Z")
    decide("a4", "partially_granted", "2024-05-03T00:00:00Z", ends_at="2024-06-30T00:00:00Z")  # 2 days
    # Recorded on 2024-05-10, in the order of the seed's instants.
    appeals.record_dispute(
        db,
        appeal_ids["a2"],
        appeals.RecordDispute.parse(
            body="Appeal Centre Europe",
            submitted_at="2024-04-10T00:00:00Z",
            outcome="in_favour_of_platform",
            decided_at="2024-05-10T00:00:00Z",
            summary="Upheld by the body.",
        ),
        caller=PERSON.at(t("2024-05-10T00:00:00Z")),
    )
    violation("v2", "acct-hank-7f3", "low", "2024-05-10T06:00:00Z", "2024-05-11T06:00:00Z")
    violation("v3", "acct-hank-7f3", "low", "2024-05-20T00:00:00Z", "2024-05-20T00:30:00Z")
    sanction(
        None,
        "facebook/acct-gus-7f3",
        "suspension",
        "2024-07-01T00:00:00Z",
        "incompatible_content",
        "STATEMENT_CATEGORY_VIOLENCE",
    )
    ids.update({f"l{i}": sid for i, (_, sid) in enumerate(laddered)})
    return {"ids": ids, "laddered": laddered}


def test_report_figures_equal_an_independent_count(db: Database, seeded: dict[str, Any], now: datetime) -> None:
    report = transparency.transparency_report(
        db, operator="meta", within=transparency.period(*PERIOD), caller=Caller("test", now=now)
    )
    # Independently: read each sanction the test made through the ordinary read path and count.
    start, end = parse_instant(PERIOD[0]), parse_instant(PERIOD[1])
    views = [sanctions.get_sanction(db, sid, at=now).to_json() for sid in seeded["ids"].values()]
    inside = [v for v in views if start <= parse_instant(v["starts_at"]) < end]
    imposed_kind = {v["id"]: v["changes"][0]["kind"] if "changes" in v else v["kind"] for v in inside}
    figures = report["sanctions"]
    assert figures["total"] == len(inside) == 9
    assert figures["by_kind"] == dict(Counter(imposed_kind.values()))
    assert figures["by_category"] == dict(Counter(v["reason"]["category"] for v in inside))
    assert figures["by_ground"] == dict(Counter(v["reason"]["ground"] for v in inside))
    assert figures["by_platform"] == dict(Counter(v["subject"]["platform"] for v in inside))
    assert figures["by_automated_detection"] == dict(
        Counter("automated" if v["automated"]["detection"] else "not_automated" for v in inside)
    )
    assert figures["by_automated_decision"] == dict(Counter(v["automated"]["decision"] for v in inside))
    # Time from violation to action: each violation was recorded, and its sanction imposed, 6 h, 24 h and
    # 30 min after it occurred (the seed's instants).
    assert len(seeded["laddered"]) == 3
    assert report["time_to_action"] == {"violations": 3, "median_seconds": statistics.median([6 * 3600, 86_400, 1800])}
    # Appeals: 4 received (3 complaints, 1 reinstatement), 3 decided, 2 reversed; handling 3 d, 1.5 d, 2 d.
    assert report["appeals"] == {
        "received": 4,
        "received_by_kind": {"complaint": 3, "reinstatement": 1},
        "decided": 3,
        "decided_by_outcome": {"denied": 1, "granted": 1, "partially_granted": 1},
        "reversed": 2,
        "median_handling_seconds": 2 * 86_400.0,
    }
    # Art. 23: dave was warned before his suspension for illegal content; erin was not.
    assert report["art23_suspensions"]["manifestly_illegal_content"] == 1
    assert report["disputes"] == {"submitted": 2, "by_outcome": {"in_favour_of_platform": 1, "pending": 1}}


def test_report_as_csv_and_printable_page(db: Database, seeded: dict[str, Any], now: datetime) -> None:
    report = transparency.transparency_report(
        db, operator="meta", within=transparency.period(*PERIOD), caller=Caller("test", now=now)
    )
    html = pages.render_report(report)
    assert "<svg" in html and "<script" not in html
    assert html.count("<rect") == sum(
        len(d)
        for d in (
            *(report["sanctions"][k] for k in report["sanctions"] if k.startswith("by_")),
            report["appeals"]["received_by_kind"],
            report["appeals"]["decided_by_outcome"],
            report["disputes"]["by_outcome"],
        )
    )


def test_no_personal_data_in_any_export_or_report(db: Database, seeded: dict[str, Any], now: datetime) -> None:
    within = transparency.period(*PERIOD)
    report = transparency.transparency_report(db, operator="meta", within=within, caller=Caller("test", now=now))
    texts = [
        json.dumps(report, ensure_ascii=False),
        pages.render_report(report),
        "".join(transparency.export_csv(db, operator="meta", within=within)),
        "".join(transparency.export_json(db, operator="meta", within=within)),
    ]
    for sid in seeded["ids"].values():
        for lang in ("en", "fr"):
            statement = transparency.statement_of_reasons(db, sid, language=Lang(lang), caller=Caller("test", now=now))
            texts += [json.dumps(statement, ensure_ascii=False), pages.render_statement(statement)]
    assert any("STATEMENT_CATEGORY_VIOLENCE" in t for t in texts)  # the texts are not empty
    for text in texts:
        for secret in (REQUESTER["name"], REQUESTER["email"], "Requérante", "jeanne", "acct-"):
            assert secret.lower() not in text.lower()


def test_the_report_csv_lists_every_figure(db: Database, seeded: dict[str, Any], now: datetime) -> None:
    from reprieve.dsa.report import csv_rows
    from reprieve.dsa.tdb import csv_lines

    report = transparency.transparency_report(
        db, operator="meta", within=transparency.period(*PERIOD), caller=Caller("test", now=now)
    )
    rows = list(csv.reader(io.StringIO("".join(csv_lines(csv_rows(report))))))
    assert ["sanctions", "total", "9"] in rows
    assert ["appeals", "reversed", "2"] in rows
    assert ["sanctions.by_kind", "warning", str(report["sanctions"]["by_kind"]["warning"])] in rows
