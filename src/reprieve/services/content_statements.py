"""Statements of reasons of decisions on content (PRODUCT.md sections 8 and 9; DSA art. 17).

Issued exactly as a sanction's (``services.statements``): in the decision's own unit of work,
rendered once from the decision as known then, kept in ``issued_documents`` (its ``sanction_id``
column holds the content decision's id: ``cd_...``, never a sanction's ``snc_...``) and recorded by a
``statement.issued`` event naming the ``content_decision``, with ids and hashes only. What issues
one: a decision's creation (every kind restricts the item's visibility or its monetisation, the
decisions of art. 17(1)(a) and (b)), an amendment that changes its kind, its end or its
territorial scope, and a restoration decided on a complaint (granted) or by a review (its
``lift``), which says it restores the item and why (``issue_restoration_statement``). Another
restoration (a moderator's own, an amnesty's) issues none: it ends a restriction. A restoration's
statement is never exported to the Transparency Database (``dsa.tdb``). The stored text names the
item (platform, id, content type, date, language), never its content, and holds no appeal code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import orjson

from reprieve.config import public_url as default_public_url
from reprieve.domain.appeals import complaint_deadline
from reprieve.domain.content import ContentChange, ContentChangeType, ContentDecision, known_by
from reprieve.domain.errors import ValidationError
from reprieve.domain.policy import policy_of
from reprieve.domain.time import parse_instant
from reprieve.dsa import statement as sor
from reprieve.dsa import tdb
from reprieve.services.callers import Caller
from reprieve.services.statements import DEFAULT_LANGUAGE, FORMAT_VERSION, KIND, IssuedView, _view, issued_event
from reprieve.store import content, deliveries, issued
from reprieve.store.asof import known_as_of
from reprieve.store.connection import Connection
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork


def appeal_url(decision_id: str, public_url: str | None = None) -> str:
    """Where the author complains about a decision on content (the public form takes it in the
    next issue, as ``content_decision`` in place of ``sanction``)."""
    base = (public_url or default_public_url()).rstrip("/")
    return f"{base}/appeal?content_decision={decision_id}"


def _term(change: ContentChange) -> tuple[object, ...]:
    return (change.kind, change.ends_at, tuple(change.territorial_scope))


def needs_statement(decision: ContentDecision, seq: int) -> bool:
    """Whether the change recorded at ``seq`` issues a statement: a creation does; an amendment
    does when the term it sets from its instant on differs in kind, end or territorial scope from
    the one in force then (as known before it); a restoration does not."""
    change = next((c for c in decision.changes if c.seq == seq), None)
    if change is None or change.type is ContentChangeType.RESTORED:
        return False
    if change.type is ContentChangeType.DECIDED:
        return True
    before = replace(decision, changes=[c for c in decision.changes if c.seq < seq]).term_at(change.effective_at)
    return before is None or _term(before) != _term(change)


def issue_content_statements(
    uow: UnitOfWork,
    decisions: Sequence[tuple[str, int]],
    *,
    public_url: str | None = None,
    notice: dict[str, Any] | None = None,
) -> list[str]:
    """For each ``(content decision id, seq of a content.* event)`` recorded in ``uow``, issue the
    statement the change needs (``needs_statement``; none for a restoration or an amendment that
    changes nothing the user is told), from the decision as it is then known, at ``uow``'s instant.
    Returns the statements' ids, in the order of ``decisions``. ``notice``: decisions taken on
    notices (``sor.Context.notice``)."""
    conn = uow.conn
    wanted: list[tuple[ContentDecision, int]] = []
    for decision_id, seq in decisions:
        decision = content.load_decision(conn, decision_id)
        assert decision is not None, f"issue_content_statements: no content decision {decision_id!r}"
        if needs_statement(decision, seq):
            wanted.append((decision, seq))
    if not wanted:
        return []
    db = uow.db
    ids = db.ids.new_ids("stm", uow.now, len(wanted))
    docs = []
    for statement_id, (decision, seq) in zip(ids, wanted, strict=True):
        decision = with_recorded_instants(conn, decision, own=seq, now=uow.now)
        docs.append(
            issue_document(
                db,
                conn,
                decision,
                statement_id=statement_id,
                decision_seq=seq,
                now=uow.now,
                public_url=public_url,
                notice=notice,
            )
        )
    uow.record([issued_event(doc, uow.at, content=True) for doc in docs])
    issued.insert(conn, docs)
    return ids


def issue_restoration_statement(
    uow: UnitOfWork, decision_id: str, seq: int, *, why: str, public_url: str | None = None
) -> str:
    """Issue the statement of the restoration of a content decision recorded at ``seq`` in ``uow``
    by a decision on a complaint or a review: it says the item is restored from when, and ``why``
    (the restoration's reason, naming the complaint or the review). Returns its id."""
    conn = uow.conn
    decision = content.load_decision(conn, decision_id)
    assert decision is not None, f"issue_restoration_statement: no content decision {decision_id!r}"
    decision = with_recorded_instants(conn, decision, own=seq, now=uow.now)
    (statement_id,) = uow.db.ids.new_ids("stm", uow.now, 1)
    doc = issue_document(
        uow.db, conn, decision, statement_id=statement_id, decision_seq=seq, now=uow.now, public_url=public_url, why=why
    )
    uow.record([issued_event(doc, uow.at, content=True)])
    issued.insert(conn, [doc])
    return statement_id


def with_recorded_instants(conn: Connection, decision: ContentDecision, *, own: int, now: datetime) -> ContentDecision:
    """``decision`` with the recording instant of each backdated change (its event's; ``now`` for
    the one being recorded, ``own``): a statement says when a backdated decision was recorded."""
    marked = [c for c in decision.changes if c.backdated]
    if not marked:
        return decision
    recorded = issued.recorded_instants(conn, [c.seq for c in marked if c.seq != own])
    changes = [
        replace(c, recorded_at=now if c.seq == own else parse_instant(recorded[c.seq]) if c.seq in recorded else None)
        if c.backdated
        else c
        for c in decision.changes
    ]
    return replace(decision, changes=changes)


def statement_context(
    db: Database,
    conn: Connection,
    decision: ContentDecision,
    *,
    now: datetime,
    decision_seq: int | None,
    public_url: str | None = None,
) -> sor.Context:
    """What the statement of ``decision`` needs besides it: its platform's name and the complaint
    deadline, from the issue (art. 20(2) counts from the day the user receives it, never before);
    none once the item is restored."""
    platform = db.platform(conn, decision.item.platform)
    assert platform is not None
    window = policy_of(platform).complaint_window
    deadline = None
    restored = decision.restored_at
    if restored is None or restored > now:
        try:
            deadline = complaint_deadline(now, window)
        except ValidationError:  # past the last instant there is: no date to print
            deadline = None
    return sor.Context(
        platform_names={platform.id: platform.name},
        complaint_deadline=deadline,
        appeal_url=appeal_url(decision.id, public_url),
        appeal_code="",
        now=now,
        complaint_window=window,
        decision_seq=decision_seq,
    )


def issue_document(
    db: Database,
    conn: Connection,
    decision: ContentDecision,
    *,
    statement_id: str,
    decision_seq: int,
    now: datetime,
    public_url: str | None = None,
    why: str | None = None,
    notice: dict[str, Any] | None = None,
) -> issued.IssuedDocument:
    """The statement of ``decision``'s change recorded at ``decision_seq``, issued at ``now``;
    ``why``: a restoration's reason (``issue_restoration_statement``); ``notice``: taken on notices."""
    context = statement_context(db, conn, decision, now=now, decision_seq=decision_seq, public_url=public_url)
    if why is not None or notice is not None:
        context = replace(context, why=why, notice=notice)
    body = sor.build_content_statement(decision, context, DEFAULT_LANGUAGE)
    body["id"] = statement_id
    body["decision"] = decision_seq
    body["format_version"] = FORMAT_VERSION
    document = orjson.dumps(body).decode()
    return issued.IssuedDocument(
        id=statement_id,
        operator=decision.operator,
        kind=KIND,
        sanction_id=decision.id,
        decision_seq=decision_seq,
        issued_at=now,
        language=DEFAULT_LANGUAGE.value,
        format_version=FORMAT_VERSION,
        document=document,
        sha256=issued.sha256_of(document),
        erased=False,
        # What the Transparency Database export takes of it, kept beside it: the export never parses it.
        export_fields=orjson.dumps(tdb.content_export_fields(body)).decode(),
    )


# --- reads -----------------------------------------------------------------------------------


def statements_of(db: Database, decision_id: str, *, caller: Caller, as_of: datetime | None = None) -> list[IssuedView]:
    """The statements issued for a content decision's changes, oldest first, with their receipts,
    if the caller sees its operator; ``as_of``: those issued by then (not found if the decision
    was recorded later), with the receipts recorded by then."""
    with db.read() as conn:
        decision = caller.seen(content.load_decision(conn, decision_id), "content decision", decision_id)
        known = None
        if as_of is not None:
            seen = known_as_of(conn, as_of)
            recorded = {c.seq for c in decision.changes if c.seq <= seen.seq}
            caller.seen(known_by(decision, recorded), "content decision", decision_id)
            known = seen.seq
        receipts = deliveries.of_sanction(conn, decision_id, known=known)
        return [_view(d, receipts.get(d.id)) for d in issued.of_sanction(conn, decision_id, issued_by=as_of)]
