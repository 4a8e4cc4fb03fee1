"""The store of issued documents: statements of reasons, as issued (PRODUCT.md section 8).

Outside the chain, like ``personal_data``: a row is written beside the ``statement.issued`` event
that records it, in the same transaction, and never updated afterwards, except by ``blank``
(an erasure of its person: the texts go, their SHA-256 stay). Not rebuilt from the log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from reprieve.domain.time import from_micros, to_micros
from reprieve.store import tables
from reprieve.store.connection import Connection

T = tables.issued_documents


@dataclass(frozen=True, slots=True)
class IssuedDocument:
    """One issued document; ``document`` and ``page`` are None once erased."""

    id: str
    operator: str
    kind: str
    sanction_id: str
    decision_seq: int
    issued_at: datetime
    language: str
    format_version: int
    document: str | None
    page: str | None
    sha256: str
    page_sha256: str
    erased: bool


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def insert(conn: Connection, doc: IssuedDocument) -> None:
    """Keep ``doc`` as issued (its hashes must be those of its texts)."""
    assert doc.document is not None and doc.page is not None
    assert doc.sha256 == sha256_of(doc.document) and doc.page_sha256 == sha256_of(doc.page)
    conn.execute(
        T.insert().values(
            id=doc.id,
            operator_id=doc.operator,
            kind=doc.kind,
            sanction_id=doc.sanction_id,
            decision_seq=doc.decision_seq,
            issued_at=to_micros(doc.issued_at),
            language=doc.language,
            format_version=doc.format_version,
            document=doc.document,
            page=doc.page,
            sha256=doc.sha256,
            page_sha256=doc.page_sha256,
        )
    )


def _from_row(row: object) -> IssuedDocument:
    r = row._mapping  # type: ignore[attr-defined]
    return IssuedDocument(
        id=r["id"],
        operator=r["operator_id"],
        kind=r["kind"],
        sanction_id=r["sanction_id"],
        decision_seq=r["decision_seq"],
        issued_at=from_micros(r["issued_at"]),
        language=r["language"],
        format_version=r["format_version"],
        document=r["document"],
        page=r["page"],
        sha256=r["sha256"],
        page_sha256=r["page_sha256"],
        erased=r["erased_at"] is not None,
    )


def get(conn: Connection, document_id: str) -> IssuedDocument | None:
    return next((_from_row(r) for r in conn.execute(select(T).where(T.c.id == document_id))), None)


def of_sanction(conn: Connection, sanction_id: str, *, issued_by: datetime | None = None) -> list[IssuedDocument]:
    """The documents issued for ``sanction_id``'s decisions, oldest first; ``issued_by``: those
    issued by then (a past ``as_of``)."""
    query = select(T).where(T.c.sanction_id == sanction_id)
    if issued_by is not None:
        query = query.where(T.c.issued_at <= to_micros(issued_by))
    return [_from_row(r) for r in conn.execute(query.order_by(T.c.issued_at, T.c.decision_seq, T.c.id))]


def blank(conn: Connection, document_ids: Iterable[str], *, now: datetime) -> int:
    """The erasure hook (the personal-data issue): blank the texts of ``document_ids``, keep their
    SHA-256 and everything else; returns how many were blanked (``services.people``)."""
    wanted = sorted(set(document_ids))
    done = 0
    for start in range(0, len(wanted), 500):
        result = conn.execute(
            update(T)
            .where(T.c.id.in_(wanted[start : start + 500]), T.c.erased_at.is_(None))
            .values(document=None, page=None, erased_at=to_micros(now))
        )
        done += result.rowcount
    return done


def unerased_of_accounts(conn: Connection, operator: str, accounts: Iterable[str]) -> list[tuple[str, str]]:
    """``(id, kind)`` of the documents not yet erased that were issued within ``operator`` about
    the sanctions on ``accounts`` (``platform/account``): what an erasure of their person blanks."""
    S = tables.sanctions.c
    found: list[tuple[str, str]] = []
    for account in sorted(set(accounts)):
        platform, _, name = account.partition("/")
        rows = conn.execute(
            select(T.c.id, T.c.kind)
            .join(tables.sanctions, S.id == T.c.sanction_id)
            .where(
                T.c.operator_id == operator,
                S.subject_platform == platform,
                S.subject_account == name,
                T.c.erased_at.is_(None),
            )
            .order_by(T.c.id)
        )
        found.extend((r.id, r.kind) for r in rows)
    return found
