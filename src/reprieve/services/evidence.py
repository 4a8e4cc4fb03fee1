"""The evidence of decisions on content, kept and then forgotten (PRODUCT.md section 9).

A content decision may carry a reference to the platform's snapshot of the item and its SHA-256
(``content_evidence``, outside the chain; never the content). It is kept for the operator's
evidence retention (default ``P1Y`` from the decision; ``reprieve people retention OPERATOR
PERIOD --evidence``), and at least while a complaint or a dispute about the item is possible or
open (Mastodon #30142: the content was gone before the appeal was read):

- the complaint window (the platform policy's, at least six months, DSA art. 20) of every
  decision about the item has closed, counted from the latest decision the author was told of:
  a statement's delivery, else its issue; a change with no statement, from the later of when it
  took effect and when it was recorded (as ``store.due_process.latest_decision_told`` counts a
  sanction's). A restored item is no exception: its restoration may itself be contested;
- no appeal about the item is open, no dispute before an out-of-court body (art. 21) is pending,
  and every one that was decided closed a complaint window ago (as the personal data of a closed
  case is kept, ``services.people``).

Then the worker forgets it: reference and SHA-256 set to null, ``forgotten_at`` set. Nothing of the
evidence was ever in the chain, but forgetting it is a change of state: one ``evidence.forgotten``
event per operator and pass records it, ids only (each item and the decisions whose evidence was
dropped, the retention applied), in the unit of work of the checks and the forgetting, which
serialises them with any complaint being filed. One per pass rather than per decision: a bulk
import's decisions reach their retention together, and an auditor reads one line per pass, the
decision ids in it (the audit search finds an event by any id it names).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from reprieve.domain.content import ContentChangeType, ContentDecision
from reprieve.domain.errors import ForbiddenError, NotFoundError
from reprieve.domain.events import EvidenceForgotten, NewEvent, RetentionSet
from reprieve.domain.policy import policy_of
from reprieve.domain.time import Duration, from_micros, parse_duration, parse_instant, to_micros
from reprieve.services.callers import WORKER_ACTOR, Caller
from reprieve.services.catalogue import require_platform
from reprieve.services.people import ERASERS
from reprieve.store import content, issued, queries
from reprieve.store import evidence as store
from reprieve.store import people as operators_of
from reprieve.store import worker as settings
from reprieve.store.connection import Connection
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

#: How long evidence is kept at least when the operator set nothing.
DEFAULT_RETENTION = parse_duration("P1Y")
#: Items whose evidence is looked at per operator and pass, at most: a backlog is worked off pass by pass.
PURGE_BATCH = 200
#: The appeal states of a case still open.
_OPEN = "open"


@dataclass(frozen=True, slots=True)
class EvidenceRetentionView:
    """How long an operator keeps its content decisions' evidence at least: set, or (None) the default."""

    operator: str
    retention: Duration | None

    def to_json(self) -> dict[str, Any]:
        return {
            "operator": self.operator,
            "evidence_retention": None if self.retention is None else str(self.retention),
            "default": f"{DEFAULT_RETENTION}, and at least while a complaint or dispute about the item is possible "
            "or open",
        }


def set_evidence_retention(
    db: Database, operator: str, retention: Duration | None, *, caller: Caller
) -> EvidenceRetentionView:
    """Set (None: reset to the default) how long after a decision its evidence is kept at least;
    recorded by a ``retention.set`` event with ``of: evidence``."""
    if caller.role is not None and caller.role not in ERASERS:
        raise ForbiddenError(f"a token with role {caller.role.value!r} may not set the retention (admin only)")
    caller.ensure_sees(operator, "operator", operator)
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        if queries.operator_row(uow.conn, operator) is None:
            raise NotFoundError(f"no operator {operator!r}")
        text = None if retention is None else str(retention)
        settings.set_evidence_retention(uow.conn, operator, text, updated_seq=uow.next_seq())
        uow.record([NewEvent.of(RetentionSet(operator=operator, retention=text, of="evidence"), uow.at, operator)])
    return EvidenceRetentionView(operator, retention)


def _lower_bound(d: Duration) -> timedelta:
    """At most ``d`` (a month is at least 28 days, a year 365): candidates are read with it."""
    return timedelta(days=28 * d.months + 365 * d.years) + d.exact


def forget_expired_evidence(db: Database, *, now: datetime) -> int:
    """Forget, as the worker, the evidence whose retention has passed of every item about which no
    complaint or dispute is possible or open any more (the module docstring), recording an
    ``evidence.forgotten`` event per operator that had some; how many decisions' evidence was forgotten."""
    with db.read() as conn:
        chosen = settings.evidence_retentions(conn)
        plans = []
        for operator in operators_of.operator_ids(conn):
            retention = parse_duration(chosen[operator]) if operator in chosen else DEFAULT_RETENTION
            recorded_by = to_micros(now - _lower_bound(retention))
            items = store.kept_items(conn, operator, recorded_by_us=recorded_by, limit=PURGE_BATCH)
            if items:
                plans.append((operator, retention, items))
    forgotten = 0
    for operator, retention, items in plans:
        with UnitOfWork(db, actor=WORKER_ACTOR, now=now) as uow:
            dropped = []
            for platform, item in sorted(items):
                decisions = _forget_item(db, uow.conn, platform, item, retention, uow.now)
                if decisions:
                    dropped.append({"platform": platform, "item": item, "decisions": decisions})
            if dropped:
                event = EvidenceForgotten(operator=operator, retention=str(retention), items=dropped)
                uow.record([NewEvent.of(event, uow.at, operator)])
                forgotten += sum(len(d["decisions"]) for d in dropped)
    return forgotten


def _forget_item(
    db: Database, conn: Connection, platform: str, item: str, retention: Duration, now: datetime
) -> list[str]:
    """The ids of the item's decisions whose evidence was forgotten now (sorted; none if a
    complaint or a dispute about it is still possible or open)."""
    due = sorted(
        d for d, recorded in store.kept_of_item(conn, platform, item) if retention.after(from_micros(recorded)) <= now
    )
    if not due:
        return []
    decisions = content.item_decisions(conn, platform, item)
    ids = [d.id for d in decisions]
    window = policy_of(require_platform(db, conn, platform)).complaint_window
    told = latest_told(conn, decisions)
    if told is not None and window.after(told) > now:
        return []  # a complaint is still possible
    for state, closed, pending in store.cases_about(conn, ids):
        if state == _OPEN or pending:
            return []  # a complaint or a dispute is open
        if closed is not None and window.after(from_micros(closed)) > now:
            return []  # its decision may still go before an out-of-court body
    # Under the chain head's lock, nothing else forgets them meanwhile: every one due is forgotten.
    store.forget(conn, due, now_us=to_micros(now))
    return due


def latest_told(conn: Connection, decisions: list[ContentDecision]) -> datetime | None:
    """When the author was told of the latest decision about the item (the module docstring)."""
    ids = [d.id for d in decisions]
    statements = store.statements_told(conn, ids)
    changes = [c for d in decisions for c in d.changes if c.type is not ContentChangeType.RESTORED]
    unstated = [c for c in changes if c.seq not in statements]
    recorded = issued.recorded_instants(conn, [c.seq for c in unstated])
    instants = [from_micros(delivered if delivered is not None else at) for at, delivered in statements.values()]
    for c in unstated:
        at = recorded.get(c.seq)
        instants.append(max(c.effective_at, parse_instant(at)) if at else c.effective_at)
    return max(instants) if instants else None
