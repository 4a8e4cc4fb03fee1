"""What the due-process suites share: platforms with shipped policies, violations and sanctions
through the services, and a snapshot of the due-process projections."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from reprieve.domain.model import AccountRef
from reprieve.domain.time import parse_instant
from reprieve.services import catalogue, violations
from reprieve.services.callers import Caller
from reprieve.services.sanctions import ImposeSanction, impose_sanction
from reprieve.store import eventlog, tables
from reprieve.store.db import Database

SETUP = "due-process-setup"
MODERATOR = Caller("moderator (tok_test)", names=("alice",))
PLATFORM_CLIENT = Caller("facebook-pipeline (tok_p)", names=("facebook-pipeline",))
NOW = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)
REASON = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "policy": "Dangerous Individuals and Organizations",
    "explanation": "Praise of people engaged in violence",
}


def t(text: str) -> datetime:
    return parse_instant(text)


def day(n: float, start: str = "2023-01-01T00:00:00Z") -> datetime:
    return t(start) + timedelta(days=n)


def operator_with(db: Database, operator: str, *platforms: tuple[str, str | None]) -> None:
    """An operator and its platforms, each with a shipped policy (or none)."""
    start = t("2020-01-01T00:00:00Z")
    catalogue.create_operator(
        db, catalogue.CreateOperator.parse(id=operator, name=operator.title()), caller=Caller(SETUP, now=start)
    )
    for platform, policy in platforms:
        catalogue.create_platform(
            db,
            catalogue.CreatePlatform.parse(id=platform, operator=operator, name=platform.title(), policy=policy),
            caller=Caller(SETUP, now=start),
        )


@dataclass
class Reporter:
    """Reports violations of one platform, numbering them, at instants the test chooses."""

    db: Database
    platform: str
    counter: int = 0

    def report(
        self,
        account: str,
        when: datetime,
        *,
        severity: str = "moderate",
        id: str | None = None,
        now: datetime | None = None,
        category: str = "STATEMENT_CATEGORY_VIOLENCE",
    ) -> dict[str, Any]:
        return self.answer(account, when, severity=severity, id=id, now=now, category=category).body

    def answer(
        self,
        account: str,
        when: datetime,
        *,
        severity: str = "moderate",
        id: str | None = None,
        now: datetime | None = None,
        category: str = "STATEMENT_CATEGORY_VIOLENCE",
    ) -> violations.ViolationAnswer:
        self.counter += 1
        return violations.record_violation(
            self.db,
            violations.RecordViolation.parse(
                id=id or f"{self.platform}-v{self.counter}",
                platform=self.platform,
                account=account,
                policy="Violence and Incitement",
                severity=severity,
                category=category,
                facts="A post inciting violence.",
                occurred_at=when,
            ),
            caller=PLATFORM_CLIENT.at(now or max(when, NOW)),
        )


def impose(db: Database, subject: str, kind: str = "suspension", *, now: datetime, **fields: Any) -> dict[str, Any]:
    fields.setdefault("reason", dict(REASON))
    if "starts_at" in fields:  # history written after the fact: backdated (PRODUCT.md section 8)
        fields.setdefault("backdated_reason", "Test history, entered after the fact.")
    command = ImposeSanction.parse(subject=AccountRef.parse(subject), kind=kind, **fields)
    return impose_sanction(db, command, caller=Caller(SETUP, now=now)).to_json()  # the wire form


def event_count(db: Database) -> int:
    with db.read() as conn:
        return eventlog.head(conn)[0]


def all_event_text(db: Database) -> str:
    with db.read() as conn:
        return "\n".join(json.dumps(e.to_dict(), ensure_ascii=False) for e in eventlog.read_events(conn, limit=100_000))


DUE_PROCESS_TABLES = (
    tables.reviews,
    tables.review_assessments,
    tables.appeals,
    tables.appeal_disputes,
    tables.violations,
    tables.probations,
    tables.sanctions,
    tables.sanction_spans,
)


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the due-process projections (and the sanctions they change), sorted."""
    with db.read() as conn:
        return {
            table.name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
            for table in DUE_PROCESS_TABLES
        }
