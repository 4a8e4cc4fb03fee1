"""A sanction as a Transparency Database statement (schema v2): API JSON, batches, daily-dump CSV.

One sanction is one decision, one statement: the decision as imposed (the creation's kind, term
and denials), identified by a ``puid`` derived from the sanction id. A ``warning`` restricts
nothing: it is none of the four decisions of DSA art. 17(1) the database records, so it has no
statement (``to_statement`` answers None). Nothing of the subject (account, names, contacts) is
written: the statement carries the decision, its grounds and the reason's own fields only.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from reprieve.domain.sanctions import ChangeType, Sanction
from reprieve.dsa import enums
from reprieve.dsa.validate import PUID, PUID_MAX

#: The multiple-statements endpoint takes 1 to 100 statements per call.
BATCH_LIMIT = 100

#: Columns of the database's daily dumps ("full" CSV): ``StatementExportTrait::headings``.
CSV_COLUMNS = (
    "uuid",
    "decision_visibility", "decision_visibility_other", "end_date_visibility_restriction",
    "decision_monetary", "decision_monetary_other", "end_date_monetary_restriction",
    "decision_provision", "end_date_service_restriction",
    "decision_account", "end_date_account_restriction",
    "account_type",
    "decision_ground", "decision_ground_reference_url",
    "illegal_content_legal_ground", "illegal_content_explanation",
    "incompatible_content_ground", "incompatible_content_explanation", "incompatible_content_illegal",
    "category", "category_addition", "category_specification", "category_specification_other",
    "content_type", "content_type_other", "content_language", "content_date", "content_id_ean",
    "territorial_scope",
    "application_date",
    "decision_facts",
    "source_type", "source_identity",
    "automated_detection", "automated_decision",
    "platform_name", "platform_uid", "created_at",
)
_ARRAY_COLUMNS = frozenset({
    "decision_visibility", "category_addition", "category_specification", "content_type", "territorial_scope",
})
_DATE_COLUMNS = frozenset({
    "end_date_visibility_restriction", "end_date_monetary_restriction", "end_date_service_restriction",
    "end_date_account_restriction", "content_date", "application_date",
})
#: In the dumps, dates are the database's datetime columns, printed as they are stored.
_DUMP_TIME = " 00:00:00"

_SOURCES = {
    "article_16": "SOURCE_ARTICLE_16",
    "trusted_flagger": "SOURCE_TRUSTED_FLAGGER",
    "other_notification": "SOURCE_TYPE_OTHER_NOTIFICATION",
    "voluntary": "SOURCE_VOLUNTARY",
}
_AUTOMATED = {
    "fully": "AUTOMATED_DECISION_FULLY",
    "partially": "AUTOMATED_DECISION_PARTIALLY",
    "not_automated": "AUTOMATED_DECISION_NOT_AUTOMATED",
}
#: A restriction denying payments is a monetary decision; denying anything else, a partial
#: suspension of the service.
_MONETARY = frozenset({"monetize"})
_US_PER_DAY = 86_400_000_000
_EPOCH_DAY = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class Decision:
    """What the export needs of a sanction: its creation, its reason, its automation."""

    sanction_id: str
    kind: str
    starts_on: str  #: YYYY-MM-DD (UTC) of starts_at
    ends_on: str | None  #: YYYY-MM-DD (UTC) of the term's end as imposed; None: indefinite
    denies: tuple[str, ...]
    reason: Mapping[str, Any]
    automated: Mapping[str, Any]

    @classmethod
    def of(cls, sanction: Sanction) -> Decision:
        created = next(c for c in sanction.changes if c.type is ChangeType.IMPOSED)
        assert created.kind is not None
        return cls(
            sanction.id, created.kind.value, sanction.starts_at.date().isoformat(),
            created.ends_at.date().isoformat() if created.ends_at else None, created.denies,
            sanction.reason.to_dict(), sanction.automated.to_dict(),
        )

    @classmethod
    def from_columns(cls, sanction_id: str, starts_at_us: int, reason_json: str, automated_json: str,
                     changes_json: str) -> Decision:
        """From the sanctions table's columns, without building the domain object (the bulk path)."""
        changes = json.loads(changes_json)
        created = next(c for c in changes if c["type"] == "imposed")
        ends = created.get("ends_at")
        return cls(
            sanction_id, created["kind"], _day(starts_at_us), ends[:10] if ends else None,
            tuple(created.get("denies") or ()), json.loads(reason_json), json.loads(automated_json),
        )


def puid_for(sanction_id: str) -> str:
    """The statement's platform unique identifier: the sanction id, which already fits the pattern;
    any other id is replaced by a hash of it (stable, and within the pattern and length)."""
    if len(sanction_id) <= PUID_MAX and PUID.match(sanction_id):
        return sanction_id
    return "h-" + hashlib.sha256(sanction_id.encode()).hexdigest()


def to_statement(d: Decision) -> dict[str, Any] | None:
    """The v2 statement of a decision; None for a warning (no DSA decision to report)."""
    kind = d.kind
    end = d.ends_on
    out: dict[str, Any] = {}
    if kind == "suspension":
        out["decision_account"] = "DECISION_ACCOUNT_SUSPENDED"
        out["end_date_account_restriction"] = end
    elif kind == "termination":
        out["decision_account"] = "DECISION_ACCOUNT_TERMINATED"
    elif kind == "restriction":
        denies = set(d.denies)
        if denies & _MONETARY:
            out["decision_monetary"] = "DECISION_MONETARY_SUSPENSION"
            out["end_date_monetary_restriction"] = end
        if denies - _MONETARY or not denies:
            out["decision_provision"] = "DECISION_PROVISION_PARTIAL_SUSPENSION"
            out["end_date_service_restriction"] = end
    else:
        return None
    reason = d.reason
    if reason.get("ground") == "illegal_content":
        out["decision_ground"] = "DECISION_GROUND_ILLEGAL_CONTENT"
        out["illegal_content_legal_ground"] = reason.get("legal_ground")
        out["illegal_content_explanation"] = reason.get("explanation")
    else:
        out["decision_ground"] = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
        out["incompatible_content_ground"] = reason.get("contractual_ground") or reason.get("policy")
        out["incompatible_content_explanation"] = reason.get("explanation")
    out["category"] = reason.get("category")
    keywords = reason.get("keywords")
    if keywords:
        out["category_specification"] = list(keywords)
    out["content_type"] = list(reason.get("content_type") or ())
    out["content_date"] = reason.get("content_date")
    # A sanction names no territory when it applies wherever the platform is offered: all of the EEA.
    out["territorial_scope"] = list(reason.get("territorial_scope") or enums.EEA_COUNTRIES)
    out["application_date"] = d.starts_on
    out["decision_facts"] = reason.get("facts") or None
    out["source_type"] = _SOURCES.get(reason.get("source") or "voluntary", "SOURCE_VOLUNTARY")
    automated = d.automated
    out["automated_detection"] = "Yes" if automated.get("detection") else "No"
    out["automated_decision"] = _AUTOMATED.get(automated.get("decision") or "not_automated", "")
    out["puid"] = puid_for(d.sanction_id)
    return {k: v for k, v in out.items() if v is not None}


def _day(us: int) -> str:
    """The UTC date of an instant in µs; days before 1970 are out of the database's range anyway."""
    return (_EPOCH_DAY + timedelta(days=us // _US_PER_DAY)).isoformat()


def batches(statements: Iterable[dict[str, Any]], size: int = BATCH_LIMIT) -> Iterator[list[dict[str, Any]]]:
    """Lists of at most ``size`` (never more than the database's 100) statements, in order."""
    size = max(1, min(size, BATCH_LIMIT))
    batch: list[dict[str, Any]] = []
    for statement in statements:
        batch.append(statement)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def csv_row(statement: Mapping[str, Any], platform_name: str) -> list[str]:
    """A statement as a row of the daily-dump layout: arrays as JSON lists, dates as the dumps
    print them, line breaks folded to spaces; ``uuid`` and ``created_at`` are the database's to give."""
    row: list[str] = []
    for column in CSV_COLUMNS:
        if column == "platform_name":
            row.append(platform_name)
            continue
        if column == "platform_uid":
            row.append(statement["puid"])
            continue
        value = statement.get(column)
        if value is None:
            row.append("")
        elif column in _ARRAY_COLUMNS:
            row.append(json.dumps(value, separators=(",", ":")))
        elif column in _DATE_COLUMNS:
            row.append(value + _DUMP_TIME)
        else:
            row.append(str(value).replace("\r\n", " ").replace("\n", " ").replace("\r", " "))
    return row


def csv_header() -> str:
    return _line(CSV_COLUMNS)


def csv_lines(rows: Iterable[Sequence[str]]) -> Iterator[str]:
    """CSV text, one line per row (RFC 4180 quoting, ``\\r\\n`` line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _line(values: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue()
