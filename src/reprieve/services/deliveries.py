"""Delivery receipts of issued statements, and when the user was informed (PRODUCT.md section 8,
"The user is informed"; DSA art. 20(2)).

The platform reports that a statement reached its user (``record_delivery``, a ``platform``
token): the first receipt counts and is recorded by a ``statement.delivered`` event; a later one
records nothing and answers the first. The complaint window runs from the delivery of the
statement of the latest decision, from its issue when no receipt exists
(``store.due_process.latest_decision_told``); ``informed_of`` says which, for the sanction's
readers (the API, the console, the public form).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reprieve.domain.appeals import complaint_deadline
from reprieve.domain.deliveries import Receipt
from reprieve.domain.errors import NotFoundError, ValidationError
from reprieve.domain.events import NewEvent, StatementDelivered
from reprieve.domain.policy import policy_of
from reprieve.domain.time import format_instant
from reprieve.services.callers import Caller
from reprieve.services.catalogue import require_platform
from reprieve.store import deliveries, issued, queries
from reprieve.store.asof import known_as_of, sanction_as_of
from reprieve.store.db import Database
from reprieve.store.due_process import ToldBy, latest_decision_told
from reprieve.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class DeliveryView:
    """A statement's receipt; ``recorded``: this request recorded it (False: an earlier one had)."""

    statement: str
    sanction: str
    delivered_at: datetime
    channel: str
    recorded: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "statement": self.statement,
            ("content_decision" if issued.is_content_decision(self.sanction) else "sanction"): self.sanction,
            "delivered_at": format_instant(self.delivered_at),
            "channel": self.channel,
            "recorded": self.recorded,
        }


def record_delivery(db: Database, statement_id: str, receipt: Receipt, *, caller: Caller) -> DeliveryView:
    """Record that the statement ``statement_id`` reached its user (if the caller sees its operator,
    else not found). The first receipt counts: if one exists, nothing is written and it is
    returned unchanged. ``delivered_at`` lies between the issue and now (ValidationError)."""
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        doc = caller.seen(issued.get(uow.conn, statement_id), "statement", statement_id)
        first = deliveries.of_statement(uow.conn, doc.id)
        if first is not None:
            return DeliveryView(doc.id, doc.sanction_id, first.delivered_at, first.channel, recorded=False)
        receipt.ensure_within(doc.issued_at, uow.now)
        on_content = issued.is_content_decision(doc.sanction_id)
        event = StatementDelivered(
            id=doc.id,
            operator=doc.operator,
            delivered_at=format_instant(receipt.delivered_at) or "",
            channel=receipt.channel,
            sanction=None if on_content else doc.sanction_id,
            content_decision=doc.sanction_id if on_content else None,
        )
        uow.record([NewEvent.of(event, format_instant(receipt.delivered_at) or "", doc.operator)])
        return DeliveryView(doc.id, doc.sanction_id, receipt.delivered_at, receipt.channel, recorded=True)


@dataclass(frozen=True, slots=True)
class InformedView:
    """When the user was told of the sanction's latest decision, and the complaint window it opens.

    ``informed_at``: a delivery receipt's instant (or an import's ``informed_at``), None when no
    receipt is recorded; ``window_from``: where the window runs from (that, else the statement's
    issue, else the decision); ``complaint_deadline``: the last instant a complaint is received,
    None once the sanction is lifted (nothing left to complain about)."""

    informed_at: datetime | None
    channel: str | None
    statement: str | None
    source: ToldBy
    window_from: datetime
    complaint_deadline: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "informed_at": format_instant(self.informed_at),
            "channel": self.channel,
            "statement": self.statement,
            "source": self.source.value,
            "window_from": format_instant(self.window_from),
            "complaint_deadline": format_instant(self.complaint_deadline),
        }


def informed_of(
    db: Database, sanction_id: str, *, caller: Caller | None = None, at: datetime, as_of: datetime | None = None
) -> InformedView:
    """When the user was informed of the latest decision on a sanction, as known ``as_of`` (a
    receipt recorded later is not seen), and its complaint deadline; at ``at`` for the lift."""
    with db.read() as conn:
        sanction = queries.load_sanction(conn, sanction_id)
        known = None
        if sanction is not None and as_of is not None:
            seen_by = known_as_of(conn, as_of)
            sanction = sanction_as_of(conn, sanction, seen_by)
            known = seen_by.seq
        if sanction is None or (caller is not None and not caller.sees(sanction.operator)):
            raise NotFoundError(f"no sanction {sanction_id!r}")
        told = latest_decision_told(conn, sanction, known=known)
        window = policy_of(require_platform(db, conn, sanction.subject.platform)).complaint_window
    deadline = None
    if sanction.lifted_at is None or sanction.lifted_at > at:
        try:
            deadline = complaint_deadline(told.at, window)
        except ValidationError:  # past the last instant there is: no date to give
            deadline = None
    return InformedView(told.informed_at, told.channel, told.statement, told.source, told.at, deadline)
