"""Statements of reasons issued once per decision (PRODUCT.md section 8; DSA art. 17).

A decision that needs one (a creation that restricts something, an amendment that changes the
kind or the term, a review decision, and a decision taken on a complaint or a review that ends a
restriction: a lift caused by a granted complaint, a content decision's restoration by a granted
complaint or a review's ``lift``) issues it in the decision's own unit of work: rendered once
(its JSON and its page, ``dsa.statement`` and ``dsa.pages``) from the sanction as known then,
kept in ``issued_documents`` and recorded by a ``statement.issued`` event carrying its id and
hashes. A decision taken on a complaint or a review says why (``decided.why``: the reason its
event records, naming the complaint or the review). It is never rewritten: a later decision
issues another. What issues nothing: a warning (it restricts nothing), an import (it records the
platform's own statement instead), a lift or a restoration decided on no complaint or review (a
moderator's own, an expiry: art. 17 asks reasons for imposing a restriction), an amnesty and its
revert. The Transparency Database takes the statements of restrictions only: a statement that
lifts the measure is never exported (``dsa.tdb``). The stored text holds no appeal code: it is
filled in on delivery.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import orjson

from reprieve.domain.errors import GoneError
from reprieve.domain.events import NewEvent, StatementIssued
from reprieve.domain.model import SanctionKind
from reprieve.domain.policy import Policy
from reprieve.domain.sanctions import Change, Sanction
from reprieve.domain.time import format_instant
from reprieve.dsa import pages
from reprieve.dsa import statement as sor
from reprieve.dsa.order_information import KIND as ORDER_INFORMATION
from reprieve.dsa.order_information import render as order_page
from reprieve.services import appeal_codes
from reprieve.services.callers import Caller
from reprieve.services.transparency import statement_context
from reprieve.store import deliveries, issued, queries
from reprieve.store.asof import known_as_of, seq_as_of
from reprieve.store.connection import Connection
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

KIND = "statement"
#: The layout of the stored JSON (``dsa.statement.build_statement``); raised when it changes.
FORMAT_VERSION = 1
#: "The account's language if known, else the platform's": neither accounts nor platforms carry a
#: language yet, so every statement is issued in English; ``?lang=fr`` renders it in French.
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
    uow: UnitOfWork,
    decisions: Sequence[tuple[str, int]],
    *,
    public_url: str | None = None,
    decided_as: str | None = None,
    why: str | None = None,
    notice: dict[str, Any] | None = None,
) -> list[str]:
    """Issue a statement for each ``(sanction id, seq of the decision's event)``, once their events
    are recorded in ``uow``: from the sanction as it is then known, at ``uow``'s instant (raised to
    the last event's, as every recording is). Returns the statements' ids. ``decided_as`` and
    ``why``: a lift taken on a complaint (``complaint``; its own seq) and its reason. ``notice``:
    a decision taken on notices (``sor.Context.notice``)."""
    if not decisions:
        return []
    db = uow.db
    with uow.command(actor=uow.actor, now=uow.now, savepoint=False):
        now = uow.now
        ids = db.ids.new_ids("stm", now, len(decisions))
        events: list[NewEvent] = []
        docs: list[issued.IssuedDocument] = []
        for statement_id, (sanction_id, seq) in zip(ids, decisions, strict=True):
            sanction = queries.load_sanction(uow.conn, sanction_id)
            assert sanction is not None, f"issue_statements: no sanction {sanction_id!r}"
            doc = issue_document(
                db,
                uow.conn,
                sanction,
                statement_id=statement_id,
                decision_seq=seq,
                now=now,
                public_url=public_url,
                decided_as=decided_as,
                why=why,
                notice=notice,
            )
            docs.append(doc)
            events.append(issued_event(doc, uow.at))
        uow.record(events)
        issued.insert(uow.conn, docs)
    return ids


def issued_event(doc: issued.IssuedDocument, at: str, *, content: bool = False) -> NewEvent:
    """The ``statement.issued`` event that records ``doc`` in the log (ids and hashes, no text),
    naming its sanction, or (``content``) its content decision."""
    event = StatementIssued(
        id=doc.id,
        operator=doc.operator,
        decision=doc.decision_seq,
        language=doc.language,
        format=doc.format_version,
        sha256=doc.sha256,
        sanction=None if content else doc.sanction_id,
        content_decision=doc.sanction_id if content else None,
    )
    return NewEvent.of(event, at, doc.operator)


def issue_document(
    db: Database,
    conn: Connection,
    sanction: Sanction,
    *,
    statement_id: str,
    decision_seq: int,
    now: datetime,
    public_url: str | None = None,
    policy: Policy | None = None,
    decided_as: str | None = None,
    why: str | None = None,
    notice: dict[str, Any] | None = None,
) -> issued.IssuedDocument:
    """The statement of ``sanction``'s decision recorded at ``decision_seq``, issued at ``now``: its
    JSON, built from the sanction as known then and its platforms (cached by ``db``), with no
    query of its own once the platforms are known, so that a batch of violations issues its ladder
    sanctions' statements without reading them back; its page is made when first asked for
    (``rendered_statement``). The complaint window it states runs from
    its issue (PRODUCT.md section 8: from the delivery, once one is recorded). ``policy``: the
    subject's platform's, if the caller has it parsed already. ``decided_as``, ``why``: as for
    ``issue_statements``."""
    context = statement_context(
        db, conn, sanction, now=now, appeal_code="", public_url=public_url, decision_seq=decision_seq, policy=policy
    )
    if decided_as is not None or why is not None or notice is not None:
        context = replace(context, decided_as=decided_as, why=why, notice=notice)
    body = sor.build_statement(sanction, context, DEFAULT_LANGUAGE)
    body["id"] = statement_id
    body["decision"] = decision_seq
    body["format_version"] = FORMAT_VERSION
    document = orjson.dumps(body).decode()
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
        sha256=issued.sha256_of(document),
        erased=False,
    )


# --- reads -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedView:
    """A statement in the list of a sanction's (or a content decision's): what it is, not its text."""

    id: str
    kind: str
    sanction: str  #: the sanction's id, or the content decision's (``about_content``)
    decision: int
    issued_at: datetime
    language: str
    format_version: int
    sha256: str
    erased: bool
    #: Its first delivery receipt (``services.deliveries``), if one is recorded.
    delivered_at: datetime | None = None
    channel: str | None = None

    @property
    def about_content(self) -> bool:
        """Whether it is about a decision on content (PRODUCT.md section 9), not a sanction."""
        return issued.is_content_decision(self.sanction)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            ("content_decision" if self.about_content else "sanction"): self.sanction,
            "decision": self.decision,
            "issued_at": format_instant(self.issued_at),
            "language": self.language,
            "format_version": self.format_version,
            "sha256": self.sha256,
            "erased": self.erased,
            "delivered_at": format_instant(self.delivered_at),
            "channel": self.channel,
        }


def _view(doc: issued.IssuedDocument, receipt: deliveries.Delivery | None = None) -> IssuedView:
    return IssuedView(
        doc.id,
        doc.kind,
        doc.sanction_id,
        doc.decision_seq,
        doc.issued_at,
        doc.language,
        doc.format_version,
        doc.sha256,
        doc.erased,
        receipt.delivered_at if receipt is not None else None,
        receipt.channel if receipt is not None else None,
    )


def statements_of(db: Database, sanction_id: str, *, caller: Caller, as_of: datetime | None = None) -> list[IssuedView]:
    """The statements issued for a sanction's decisions, oldest first, with their receipts, if the
    caller sees its operator; ``as_of``: those issued by then, with the receipts recorded by then."""
    with db.read() as conn:
        caller.seen(queries.load_sanction(conn, sanction_id), "sanction", sanction_id)
        known = known_as_of(conn, as_of).seq if as_of is not None else None
        receipts = deliveries.of_sanction(conn, sanction_id, known=known)
        return [_view(d, receipts.get(d.id)) for d in issued.of_sanction(conn, sanction_id, issued_by=as_of)]


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
    """A statement as issued: its description and its JSON, byte for byte (None once erased)."""

    view: IssuedView
    document: str | None


def issued_statement(db: Database, statement_id: str, *, caller: Caller) -> IssuedStatement:
    """A statement exactly as issued, if the caller sees its operator (else not found)."""
    with db.read() as conn:
        doc = caller.seen(issued.get(conn, statement_id), "statement", statement_id)
        receipt = deliveries.of_statement(conn, doc.id)
    return IssuedStatement(_view(doc, receipt), doc.document)


# --- renderings: its page, other languages, and the copy delivered to the user -----------------


@dataclass(frozen=True, slots=True)
class Rendered:
    """An issued statement in one language, with its page: as issued (the JSON of record, and its
    page made the first time it was asked for), or its rendering in another language (made from
    the issue's stored JSON the first time it was asked for); both kept and served as kept."""

    view: IssuedView
    language: str
    document: str
    page: str
    sha256: str
    page_sha256: str


def _erased(statement_id: str, sha256: str, page_sha256: str | None = None) -> GoneError:
    """410: erased with its person; what is kept of it (the SHA-256 of its JSON, and of its page if one was made)."""
    kept: dict[str, object] = {"erased": True, "sha256": sha256}
    if page_sha256 is not None:
        kept["page_sha256"] = page_sha256
    return GoneError(
        f"statement {statement_id!r} was erased with its person: its text is gone, its SHA-256 is kept",
        details=kept,
    )


def rendered_statement(
    db: Database, statement_id: str, *, caller: Caller, language: sor.Lang | None = None
) -> Rendered:
    """The statement in ``language`` (None: the issue's own) with its page, if the caller sees its
    operator. A page, and a translation (another rendering of the same issue: same id, decision and
    ``issued_at``, worded from the stored JSON by ``dsa.statement.translate``, never from today's
    state), are made the first time they are asked for and kept (``issued_renderings``), so that
    every later read gives the same bytes whatever later versions of the wording or the template
    would make of them; a decision does not pay for a page nobody may ask for."""
    with db.read() as conn:
        doc = caller.seen(issued.get(conn, statement_id), "statement", statement_id)
        # The art. 9(5) information is issued in one language (no translation is worded for it).
        wanted = doc.language if language is None or doc.kind == ORDER_INFORMATION else language.value
        kept = issued.rendering(conn, statement_id, wanted)
        receipt = deliveries.of_statement(conn, doc.id)
        if doc.document is None:
            raise _erased(statement_id, doc.sha256, kept.page_sha256 if kept is not None else None)
    if kept is None:
        own = wanted == doc.language
        body = orjson.loads(doc.document)
        if not own:
            body = sor.translate(body, sor.Lang(wanted))
        text = doc.document if own else orjson.dumps(body).decode()
        # The art. 9(5) information (a decision giving effect to an order) has its own page.
        html = order_page(body) if doc.kind == ORDER_INFORMATION else pages.render_statement(body)
        made = issued.Rendering(
            statement_id,
            wanted,
            caller.instant,
            None if own else text,  # the issue's own JSON is the document of record: kept once
            html,
            issued.sha256_of(text),
            issued.sha256_of(html),
        )
        kept = issued.keep_rendering(db, made)
    if kept.page is None:
        raise _erased(statement_id, doc.sha256, kept.page_sha256)
    document = kept.document if kept.document is not None else doc.document
    return Rendered(_view(doc, receipt), kept.language, document, kept.page, kept.sha256, kept.page_sha256)


def delivery_copy(db: Database, statement_id: str, *, caller: Caller, language: sor.Lang | None = None) -> Rendered:
    """The copy of a statement delivered to its user: the stored text (or kept rendering) with the
    sanction's appeal code filled in (``dsa.statement.fill_in_code``: the JSON's ``code`` and the
    page's appeal-code slot, nothing else). Computed on each call, never stored: the store of issued
    documents holds no credential. Its hashes are of the delivered bytes."""
    found = rendered_statement(db, statement_id, caller=caller, language=language)
    if found.view.kind == ORDER_INFORMATION:  # no appeal code in the art. 9(5) information
        return found
    # A content decision's statement carries the code of complaints about it (``appeal_codes``).
    with db.read() as conn:
        code = appeal_codes.printed(appeal_codes.code_for(conn, found.view.sanction))
    body, page = sor.fill_in_code(orjson.loads(found.document), found.page, code)
    text = orjson.dumps(body).decode()
    return Rendered(found.view, found.language, text, page, issued.sha256_of(text), issued.sha256_of(page))
