"""The store of issued documents: statements of reasons, as issued (PRODUCT.md section 8).

Outside the chain, like ``personal_data``: a document is written beside the ``statement.issued``
event that records it (its id and the SHA-256 of its JSON), in the same transaction, and never
updated afterwards, except by ``blank`` (an erasure of its person: the texts go, their SHA-256
stay). Not rebuilt from the log.

A document is issued as its JSON, the document of record. Its pages (``issued_renderings``: its
HTML in its own language, and translations later) are renderings of that JSON, each made the
first time it is asked for and kept as made, with its SHA-256: never rewritten, so that every
later read gives the same bytes. Rendering a page costs ten times what issuing the JSON does, and
a decision (a violation's ladder sanction in a group commit) should not pay for a page nobody
may ever ask for.

The issued JSON is kept as it is (``packing`` 0, UTF-8): it is written inside its decision's
transaction, and compressing it there cost a violation through the API some 3 % of its time, which
the violations' target (2,000/s on SQLite) could not spare. The renderings, made on a read, are
kept compressed (``packing`` 1: zlib with a preset dictionary, ``issued_1.zdict``, two statements
of the demo story in English and French, JSON and page: what most of a statement repeats), which
takes a page of some 3 KB to some 0.35 KB. A dictionary never changes once a row is packed with
it (a test pins its SHA-256): a new one is a new packing. The SHA-256 kept are those of the texts
as issued, which a read gives back byte for byte.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from reprieve.domain.time import from_micros, to_micros
from reprieve.store import tables
from reprieve.store.bulk import insert_rows
from reprieve.store.connection import Connection
from reprieve.store.db import Database

T = tables.issued_documents
R = tables.issued_renderings


@dataclass(frozen=True, slots=True)
class IssuedDocument:
    """One issued document; ``document`` (its JSON) is None once erased."""

    id: str
    operator: str
    kind: str
    sanction_id: str
    decision_seq: int
    issued_at: datetime
    language: str
    format_version: int
    document: str | None
    sha256: str
    erased: bool
    #: A content decision's statement: what the Transparency Database export takes of ``document``,
    #: as a JSON array (``dsa.tdb.content_export_fields``); None for others, and once erased.
    export_fields: str | None = None


@dataclass(frozen=True, slots=True)
class Rendering:
    """An issued document in one language, as first made: its page, and its JSON when the language
    is not the issue's own (None: the issued JSON is the text); texts None once erased."""

    document_id: str
    language: str
    rendered_at: datetime
    document: str | None
    page: str | None
    sha256: str  #: of the JSON in that language
    page_sha256: str


#: The prefix of a content decision's id (PRODUCT.md section 9; a sanction's is ``snc_``): a
#: document about one keeps that id in ``sanction_id``, the column of what it is about.
CONTENT_DECISION_PREFIX = "cd_"


def is_content_decision(about: str) -> bool:
    """Whether a document's ``sanction_id`` names a content decision rather than a sanction."""
    return about.startswith(CONTENT_DECISION_PREFIX)


def recorded_instants(conn: Connection, seqs: Iterable[int]) -> dict[int, str]:
    """When each event of ``seqs`` was recorded (its ``at``), by seq."""
    wanted = sorted(set(seqs))
    if not wanted:
        return {}
    E = tables.events.c
    return {seq: at for seq, at in conn.execute(select(E.seq, E.at).where(E.seq.in_(wanted)))}


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


#: The packing of the renderings written now.
PACKING = 1
#: The packing of the issued JSON: as it is, UTF-8 (see above).
PLAIN = 0


@cache
def dictionary(packing: int) -> bytes:
    """The preset dictionary of ``packing`` (``issued_<packing>.zdict``, shipped with the package)."""
    return files("reprieve.store").joinpath(f"issued_{packing}.zdict").read_bytes()


@cache
def _primed(packing: int) -> Any:
    """A compressor that has loaded the dictionary of ``packing``, to copy: cheaper than loading it per text."""
    # Level 1: half the time of level 6 for a result a quarter larger (some 480 bytes a statement,
    # not 380): a statement is packed inside its decision's transaction. A 16 KB window holds the
    # whole dictionary; a small hash table (memLevel 4) makes the state, and each copy, small.
    return zlib.compressobj(1, zlib.DEFLATED, 14, 4, zdict=dictionary(packing))


def _packed(text: str) -> bytes:
    packer = _primed(PACKING).copy()
    packed: bytes = packer.compress(text.encode()) + packer.flush()
    return packed


def unpacked(data: bytes | None, packing: int) -> str | None:
    if data is None:
        return None
    if packing == PLAIN:
        return data.decode()
    unpacker = zlib.decompressobj(zdict=dictionary(packing))
    return (unpacker.decompress(data) + unpacker.flush()).decode()


_COLUMNS = (
    "id",
    "operator_id",
    "kind",
    "sanction_id",
    "decision_seq",
    "issued_at",
    "language",
    "format_version",
    "document",
    "packing",
    "sha256",
    "export_fields",
)


def insert(conn: Connection, docs: Iterable[IssuedDocument]) -> None:
    """Keep ``docs`` as issued (their hashes must be those of their texts), in one statement."""
    rows = []
    for doc in docs:
        assert doc.document is not None  # its sha256 is the caller's (issue_document): not hashed twice
        rows.append(
            (
                doc.id,
                doc.operator,
                doc.kind,
                doc.sanction_id,
                doc.decision_seq,
                to_micros(doc.issued_at),
                doc.language,
                doc.format_version,
                doc.document.encode(),
                PLAIN,
                doc.sha256,
                None if doc.export_fields is None else doc.export_fields.encode(),
            )
        )
    insert_rows(conn, T, _COLUMNS, rows)


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
        document=unpacked(r["document"], r["packing"]),
        sha256=r["sha256"],
        erased=r["erased_at"] is not None,
        export_fields=None if r["export_fields"] is None else bytes(r["export_fields"]).decode(),
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


# --- renderings ------------------------------------------------------------------------------


def _rendering(row: object) -> Rendering:
    r = row._mapping  # type: ignore[attr-defined]
    return Rendering(
        document_id=r["document_id"],
        language=r["language"],
        rendered_at=from_micros(r["rendered_at"]),
        document=unpacked(r["document"], r["packing"]),
        page=unpacked(r["page"], r["packing"]),
        sha256=r["sha256"],
        page_sha256=r["page_sha256"],
    )


def rendering(conn: Connection, document_id: str, language: str) -> Rendering | None:
    """The rendering of ``document_id`` in ``language``, if it was ever made."""
    query = select(R).where(and_(R.c.document_id == document_id, R.c.language == language))
    return next((_rendering(r) for r in conn.execute(query)), None)


def keep_rendering(db: Database, made: Rendering) -> Rendering:
    """Keep ``made`` unless a rendering of its document in its language is kept already (two
    first reads at once), in its own short write transaction; returns the rendering kept, which
    every later read returns."""
    assert made.page is not None and made.page_sha256 == sha256_of(made.page)
    assert made.document is None or made.sha256 == sha256_of(made.document)
    insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
    with db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        conn.execute(
            insert(R)
            .values(
                document_id=made.document_id,
                language=made.language,
                rendered_at=to_micros(made.rendered_at),
                document=None if made.document is None else _packed(made.document),
                page=_packed(made.page),
                packing=PACKING,
                sha256=made.sha256,
                page_sha256=made.page_sha256,
            )
            .on_conflict_do_nothing(index_elements=["document_id", "language"])
        )
        kept = rendering(conn, made.document_id, made.language)
    assert kept is not None
    return kept


def blank(conn: Connection, document_ids: Iterable[str], *, now: datetime) -> int:
    """The erasure hook (the personal-data issue): blank the texts of ``document_ids`` (with their
    export fields, which repeat some of them) and of their renderings, keep their SHA-256 and
    everything else; returns how many documents were blanked (``services.people``)."""
    wanted = sorted(set(document_ids))
    done = 0
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        result = conn.execute(
            update(T)
            .where(T.c.id.in_(chunk), T.c.erased_at.is_(None))
            .values(document=None, export_fields=None, erased_at=to_micros(now))
        )
        conn.execute(
            update(R)
            .where(R.c.document_id.in_(chunk), R.c.erased_at.is_(None))
            .values(document=None, page=None, erased_at=to_micros(now))
        )
        done += result.rowcount
    return done


def unerased_of_accounts(conn: Connection, operator: str, accounts: Iterable[str]) -> list[tuple[str, str]]:
    """``(id, kind)`` of the documents not yet erased that were issued within ``operator`` about
    the sanctions on ``accounts`` (``platform/account``) and the decisions on the items they
    authored: what an erasure of their person blanks."""
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
        # The statements of the decisions on the items they wrote (PRODUCT.md section 9).
        CD = tables.content_decisions.c
        rows = conn.execute(
            select(T.c.id, T.c.kind)
            .join(tables.content_decisions, CD.id == T.c.sanction_id)
            .where(
                T.c.operator_id == operator,
                CD.platform_id == platform,
                CD.author_account == name,
                T.c.erased_at.is_(None),
            )
            .order_by(T.c.id)
        )
        found.extend((r.id, r.kind) for r in rows)
    return found
