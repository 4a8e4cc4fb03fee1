"""Bulk import of decisions on content: history decided before Reprieve (PRODUCT.md sections 8, 9).

Each row is a content decision's create body with when its user was informed (``informed_at``) and,
if the platform issued one, its own statement of reasons (``{reference, issued_at}``), recorded
instead of issuing one. ``reprieve content import`` streams a file of any size, ``batch_size`` rows
per transaction; ``POST /v1/imports`` takes up to 1,000 rows in one. A batch is all or nothing: a bad
row rolls back its batch, and the error names it (``content decision #n: ...``).

A batch is taken in chunks, as sanctions are (``services.sanctions.import_sanctions``): each chunk's
items are looked up in one query, its authors registered at once, its events chained in one append
(``UnitOfWork.record_written``: each payload written as canonical JSON, and its projection rows
made, in the pass that checks its row; ``store.content.DecidedRows``, which the projector uses too),
its projections and evidence written in one insert per table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from reprieve.domain.errors import ConflictError, NotFoundError, ValidationError
from reprieve.domain.events import EventType, canonical_json
from reprieve.domain.sanctions import imported_of
from reprieve.services.batches import in_batches
from reprieve.services.callers import Caller
from reprieve.services.catalogue import ensure_accounts, require_platform
from reprieve.services.content import DecideContent, prepare_decided
from reprieve.store import content as content_store
from reprieve.store.content_evidence import EvidenceRow, put_evidence_rows
from reprieve.store.db import Database
from reprieve.store.eventlog import Written
from reprieve.store.uow import UnitOfWork

#: Rows one ``POST /v1/imports`` takes at most: one transaction, all or nothing.
MAX_IMPORT_ROWS = 1000
_CONTENT_DECIDED = EventType.CONTENT_DECIDED  # bound once: an enum member is a descriptor read


def imported_decision(
    command: DecideContent,
    informed_at: str | datetime | None,
    statement: Mapping[str, Any] | None = None,
    *,
    informed_at_start: bool = False,
) -> DecideContent:
    """A row of imported history: ``command`` with when the platform informed its user
    (``informed_at``, required; with ``informed_at_start``, a row without one says its user was
    informed when the decision started) and the platform's own statement (``{reference,
    issued_at}``)."""
    imported = imported_of(command.starts_at, informed_at, statement, informed_at_start=informed_at_start)
    return replace(command, imported=imported)


def import_history(db: Database, rows: Sequence[DecideContent], *, caller: Caller) -> int:
    """``POST /v1/imports`` with ``content_decisions``: at most ``MAX_IMPORT_ROWS`` rows of history,
    in one transaction: all of them, or none (the error names the row). Returns how many."""
    if not rows or len(rows) > MAX_IMPORT_ROWS:
        raise ValidationError(f"give 1 to {MAX_IMPORT_ROWS} content decisions", field="content_decisions")
    assert all(row.imported is not None for row in rows), "import_history: every row says when its user was informed"
    return import_content(db, rows, caller=caller, batch_size=len(rows))


def import_content(
    db: Database,
    commands: Iterable[DecideContent],
    *,
    caller: Caller,
    batch_size: int = 10_000,
    on_batch: Any = None,
) -> int:
    """Record many content decisions, ``batch_size`` per transaction; returns how many.

    Each batch is all-or-nothing: a bad command rolls back its batch, and the error names it.
    ``caller.now``: the instant of every batch. A command that says when its user was informed
    (``imported``) has it recorded and issues no statement; the edges require it. Platforms of
    operators the caller may not see do not exist (404).
    """
    seen: dict[str, str] = {}  # platform -> its operator, checked once

    def record(uow: UnitOfWork, chunk: Sequence[DecideContent], offset: int) -> None:
        _record_chunk(db, uow, caller, chunk, seen, offset=offset)

    return in_batches(db, commands, record, caller=caller, batch_size=batch_size, on_batch=on_batch)


def _record_chunk(
    db: Database,
    uow: UnitOfWork,
    caller: Caller,
    commands: Sequence[DecideContent],
    seen: dict[str, str],
    *,
    offset: int,
) -> None:
    """Check ``commands`` and record their events in one append, their evidence in one insert."""
    conn = uow.conn
    # The items this chunk names first; those of the chunks before are projected already, and
    # ``items_recorded`` finds them (kept per chunk, not per batch: fewer objects live for long).
    first: dict[tuple[str, str], Any] = {}
    for index, command in enumerate(commands):
        platform_id = command.item.platform
        if platform_id not in seen:
            try:
                platform = require_platform(db, conn, platform_id)
                caller.seen(platform, "platform", platform_id)
            except NotFoundError as exc:
                raise NotFoundError(f"content decision #{offset + index + 1}: {exc.message}") from None
            seen[platform_id] = platform.operator
    ensure_accounts(db, uow, [c.item.author for c in commands])  # which keeps each account once
    recorded = content_store.items_recorded(conn, [(c.item.platform, c.item.item) for c in commands])
    ids = db.ids.new_ids("cd", uow.now, len(commands))
    # One pass makes each event's payload, written at once as the log will hold it, and its rows
    # in the projections, then lets the event go: no dict of it lives until the chunk is recorded
    # (fewer objects for the collector to walk), and the projector does not take it apart again.
    seq = uow.next_seq()
    events: list[Written] = []
    rows = content_store.DecidedRows()
    evidence: list[EvidenceRow] = []
    for index, (command, decision_id) in enumerate(zip(commands, ids, strict=True)):
        operator = seen[command.item.platform]
        key = (command.item.platform, command.item.item)
        if command.strike:  # history: its strikes' sanctions are history too, imported as sanctions
            raise ValidationError(
                f"content decision #{offset + index + 1}: strike: an imported decision counts as no strike "
                "(import the sanctions its strikes led to as sanctions, or decide it through "
                "POST /v1/content-decisions)",
                field="strike",
            )
        try:
            event, _ = prepare_decided(uow, command, decision_id, operator, first, recorded.get(key))
        except ValidationError as exc:
            raise ValidationError(f"content decision #{offset + index + 1}: {exc.message}") from None
        except ConflictError as exc:  # another author than the item's first
            raise ConflictError(f"content decision #{offset + index + 1}: {exc.message}") from None
        events.append((_CONTENT_DECIDED, event.starts_at, operator, canonical_json(event.to_payload()), None))
        rows.add(seq + index, event)
        kept = command.evidence
        if kept is not None:
            evidence.append(EvidenceRow(decision_id, operator, key[0], key[1], kept.reference, kept.sha256))
    uow.record_written(events)
    rows.write(conn)
    put_evidence_rows(conn, evidence, now=uow.now)
