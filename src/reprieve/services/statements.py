"""Statements of reasons issued once per decision (PRODUCT.md section 8; DSA art. 17).

A decision that needs one (a creation that restricts something, an amendment that changes the
kind or the term, a review decision) issues it in the decision's own unit of work: rendered once
(its JSON and its page, ``dsa.statement`` and ``dsa.pages``) from the sanction as known then,
kept in ``issued_documents`` and recorded by a ``statement.issued`` event carrying its id and
hashes. It is never rewritten: a later decision issues another. What issues nothing: a warning
(it restricts nothing), an import (it records the platform's own statement instead), a lift
that is not a review decision (it ends a restriction: art. 17 asks reasons for imposing one),
an amnesty and its revert. The stored text holds no appeal code: it is filled in on delivery.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from reprieve.domain.events import NewEvent, StatementIssued
from reprieve.domain.model import SanctionKind
from reprieve.domain.sanctions import Change, Sanction
from reprieve.domain.time import format_instant
from reprieve.dsa import pages
from reprieve.dsa import statement as sor
from reprieve.services.callers import Caller
from reprieve.services.transparency import statement_context
from reprieve.store import issued, queries
from reprieve.store.asof import seq_as_of
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

KIND = "statement"
#: The layout of the stored JSON (``dsa.statement.build_statement``); raised when it changes.
FORMAT_VERSION = 1
#: Accounts have no language yet: every statement is issued in the platform's default, English.
DEFAULT_LANGUAGE = sor.Lang.EN


def creation_needs_statement(kind: SanctionKind | str) -> bool:
    """A sanction imposed issues a statement unless it is a warning (it restricts nothing)."""
    return SanctionKind(kind) is not SanctionKind.WARNING


def amendment_needs_statement(before: Change, after: Change) -> bool:
    """An amendment issues a statement when the term it sets from its instant on (``after``) differs
    in kind or term from the one in force then (``before``): not for a new review date only."""
    return (before.kind, before.ends_at, tuple(before.denies), before.hold_until_review) != (
        after.kind,
        after.ends_at,
        tuple(after.denies),
        after.hold_until_review,
    )


def issue_statements(
    uow: UnitOfWork, decisions: Sequence[tuple[str, int]], *, public_url: str | None = None
) -> list[str]:
    """Issue a statement for each ``(sanction id, seq of the decision's event)``, once their events
    are recorded in ``uow``: from the sanction as it is then known, at ``uow``'s instant (raised to
    the last event's, as every recording is). Returns the statements' ids."""
    if not decisions:
        return []
    db = uow.db
    with uow.command(actor=uow.actor, now=uow.now, savepoint=False):
        now = uow.now
        ids = db.ids.new_ids("stm", now, len(decisions))
        events: list[NewEvent] = []
        for statement_id, (sanction_id, seq) in zip(ids, decisions, strict=True):
            sanction = queries.load_sanction(uow.conn, sanction_id)
            assert sanction is not None, f"issue_statements: no sanction {sanction_id!r}"
            doc = _issued(
                db, uow, sanction, statement_id=statement_id, decision_seq=seq, now=now, public_url=public_url
            )
            issued.insert(uow.conn, doc)
            event = StatementIssued(
                doc.id, doc.operator, sanction.id, seq, doc.language, doc.format_version, doc.sha256, doc.page_sha256
            )
            events.append(NewEvent.of(event, uow.at, sanction.operator))
        uow.record(events)
    return ids


def _issued(
    db: Database,
    uow: UnitOfWork,
    sanction: Sanction,
    *,
    statement_id: str,
    decision_seq: int,
    now: datetime,
    public_url: str | None,
) -> issued.IssuedDocument:
    context = statement_context(db, uow.conn, sanction, now=now, appeal_code="", public_url=public_url)
    body = sor.build_statement(sanction, context, DEFAULT_LANGUAGE)
    body["id"] = statement_id
    body["decision"] = decision_seq
    body["format_version"] = FORMAT_VERSION
    document = orjson.dumps(body).decode()
    page = pages.render_statement(body)
    return issued.IssuedDocument(
        id=statement_id,
        operator=sanction.operator,
        kind=KIND,
        sanction_id=sanction.id,
        decision_seq=decision_seq,
        issued_at=now,
        language=DEFAULT_LANGUAGE.value,
        format_version=FORMAT_VERSION,
        document=document,
        page=page,
        sha256=issued.sha256_of(document),
        page_sha256=issued.sha256_of(page),
        erased=False,
    )


# --- reads -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedView:
    """A statement in the list of a sanction's: what it is, not its text."""

    id: str
    kind: str
    sanction: str
    decision: int
    issued_at: datetime
    language: str
    format_version: int
    sha256: str
    page_sha256: str
    erased: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "sanction": self.sanction,
            "decision": self.decision,
            "issued_at": format_instant(self.issued_at),
            "language": self.language,
            "format_version": self.format_version,
            "sha256": self.sha256,
            "page_sha256": self.page_sha256,
            "erased": self.erased,
        }


def _view(doc: issued.IssuedDocument) -> IssuedView:
    return IssuedView(
        doc.id,
        doc.kind,
        doc.sanction_id,
        doc.decision_seq,
        doc.issued_at,
        doc.language,
        doc.format_version,
        doc.sha256,
        doc.page_sha256,
        doc.erased,
    )


def statements_of(db: Database, sanction_id: str, *, caller: Caller, as_of: datetime | None = None) -> list[IssuedView]:
    """The statements issued for a sanction's decisions, oldest first, if the caller sees its
    operator; ``as_of``: those issued by then."""
    with db.read() as conn:
        caller.seen(queries.load_sanction(conn, sanction_id), "sanction", sanction_id)
        return [_view(d) for d in issued.of_sanction(conn, sanction_id, issued_by=as_of)]


@dataclass(frozen=True, slots=True)
class PlatformStatement:
    """What an imported sanction records instead of an issued statement (PRODUCT.md section 8):
    the platform's own statement (its reference and date, None when the import named none) and
    when the platform informed its user. Reprieve holds no text of it."""

    reference: str | None
    issued_at: datetime | None
    informed_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "platform_statement",
            "reference": self.reference,
            "issued_at": format_instant(self.issued_at),
            "informed_at": format_instant(self.informed_at),
        }


def platform_statement_of(
    db: Database, sanction_id: str, *, caller: Caller, as_of: datetime | None = None
) -> PlatformStatement | None:
    """The platform's own statement an imported sanction records (None: not imported, or, with
    ``as_of``, not imported by then), if the caller sees its operator."""
    with db.read() as conn:
        sanction = caller.seen(queries.load_sanction(conn, sanction_id), "sanction", sanction_id)
        imported = sanction.imported
        if imported is None or (as_of is not None and sanction.changes[0].seq > seq_as_of(conn, as_of)):
            return None
    return PlatformStatement(imported.statement, imported.statement_issued_at, imported.informed_at)


@dataclass(frozen=True, slots=True)
class IssuedStatement:
    """A statement as issued: its description and its stored texts, byte for byte (None once erased)."""

    view: IssuedView
    document: str | None
    page: str | None


def issued_statement(db: Database, statement_id: str, *, caller: Caller) -> IssuedStatement:
    """A statement exactly as issued, if the caller sees its operator (else not found)."""
    with db.read() as conn:
        doc = caller.seen(issued.get(conn, statement_id), "statement", statement_id)
    return IssuedStatement(_view(doc), doc.document, doc.page)
