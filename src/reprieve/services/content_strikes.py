"""Strikes from content (issue 25, item 1; the rule is ``reprieve.domain.strikes``'s).

A content decision that counts as a strike records its strike as a **violation naming the
decision**, in the decision's transaction: the violation's ladder (standard, probation, first
warning) then imposes the account sanction, tied to that violation, exactly as a platform's report
does. One strike, one ladder, one implementation: the standing's reads, the enforcement index and
the projections' rebuild count it as any violation's. A report that names an item
(``POST /v1/violations`` with ``item``) is the same thing seen from the other side: it records a
content decision, and its violation is that decision's strike.

What is found from a decision: its violation (``violations.content_decision_id``), and from the
violation the sanction its ladder imposed (``violations.sanction_id``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reprieve.domain.content import ContentDecision
from reprieve.domain.errors import ConflictError
from reprieve.domain.policy import Severity
from reprieve.domain.strikes import LadderName, strike_end
from reprieve.domain.time import format_instant, from_micros, to_micros
from reprieve.services.violations import (
    CheckedViolation,
    PendingViolation,
    ViolationAnswer,
    ViolationView,
    record_violations_within,
)
from reprieve.store import due_process
from reprieve.store.connection import Connection
from reprieve.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class ContentStrike:
    """What a content decision's strike became: its violation, its place on the ladder (``count``:
    the strikes counting once it was added; 0 with the ``first_warning`` ladder: not a strike),
    the sanction the ladder imposed, and whether it counts at ``at``."""

    violation: str
    ladder: LadderName
    count: int
    starts_at: datetime
    ends_at: datetime | None  #: when it stops counting, as known now (None: by no known instant)
    sanction: str | None
    counts: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "violation": self.violation,
            "ladder": self.ladder.value,
            "count": self.count,
            "starts_at": format_instant(self.starts_at),
            "ends_at": format_instant(self.ends_at),
            "sanction": self.sanction,
            "counts": self.counts,
        }


def report_of(decision: ContentDecision, severity: Severity) -> CheckedViolation:
    """The violation a decision's strike is: named by the decision's id, from its start, for its
    reason's rule and category, about its item."""
    item, why = decision.item, decision.reason
    content: dict[str, Any] = {"content_type": list(item.content_type), "content_date": item.content_date}
    if why.keywords:
        content["keywords"] = list(why.keywords)
    if why.territorial_scope:
        content["territorial_scope"] = list(why.territorial_scope)
    return CheckedViolation(
        decision.id,
        item.author,
        why.contractual_ground or why.policy or why.legal_ground or why.category,
        severity,
        why.category,
        why.facts,
        decision.starts_at,
        decision.automated,
        content,
        decision.id,
    )


def record_strike(uow: UnitOfWork, report: CheckedViolation) -> ViolationView:
    """Record ``report`` (a content decision's strike) inside ``uow``, its ladder's sanction with it.
    ConflictError if the platform's violation id was recorded already (a repeat is answered
    before any decision is recorded: ``reprieve.services.content.record_violation_on_item``)."""
    answer = record_violations_within(uow, [PendingViolation(report, uow.actor, uow.now, None)])[0]
    if not isinstance(answer, ViolationAnswer):
        raise ConflictError(f"violation {report.external_id!r} is recorded already on {report.ref.platform}")
    return answer.view


def strikes_of(
    conn: Connection, decision_ids: Sequence[str], *, at: datetime, known_seq: int | None = None
) -> dict[str, ContentStrike]:
    """The strikes of these decisions (those that count as one), as they stand at ``at``;
    ``known_seq``: as the events up to it knew them (a restoration recorded later has not ended
    its strike yet; PRODUCT.md section 8)."""
    at_us = to_micros(at)
    found: dict[str, ContentStrike] = {}
    for decision_id, row in due_process.content_strike_rows(conn, decision_ids, known=known_seq).items():
        ladder = LadderName(row.ladder)
        expires = row.strike_expires_at
        if known_seq is not None and row.strike_ended_seq is not None and row.strike_ended_seq > known_seq:
            expires = row.strike_expiry
        end = strike_end(row.occurred_at, expires_at=expires, voided=(row.lifted_at, row.granted_at))
        counts = ladder is not LadderName.FIRST_WARNING and row.occurred_at <= at_us < end
        found[decision_id] = ContentStrike(
            row.violation_id,
            ladder,
            row.strike_count,
            from_micros(row.occurred_at),
            None if ladder is LadderName.FIRST_WARNING or end >= _NEVER else from_micros(end),
            row.sanction_id,
            counts,
        )
    return found


#: ``strike_end``'s "never".
_NEVER = strike_end(0, expires_at=None)
