"""The Transparency Database's reads and writes: the decisions an export streams, the statements
sent (``tdb_submissions``), the submission runs (``tdb_runs``) and the report's figures."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, case, delete, func, insert, null, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from reprieve.store import tables
from reprieve.store.db import Database
from reprieve.store.issued import PLAIN, unpacked

S, V, A, D, T, R = (
    tables.sanctions.c,
    tables.violations.c,
    tables.appeals.c,
    tables.appeal_disputes.c,
    tables.tdb_submissions.c,
    tables.tdb_runs.c,
)
#: Rows read in chunks from one read transaction, never all at once.
_STREAM = {"stream_results": True, "yield_per": 2000}
#: Puids per ``IN (...)``.
_CHUNK = 500


@contextmanager
def writing(db: Database) -> Iterator[Connection]:
    """A write transaction that takes the write lock first (SQLite: BEGIN IMMEDIATE)."""
    with db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        yield conn


# --- the export ----------------------------------------------------------------------------


def platform_names(conn: Connection, operator: str) -> dict[str, str]:
    query = select(tables.platforms.c.id, tables.platforms.c.name).where(tables.platforms.c.operator_id == operator)
    return dict(conn.execute(query).all())


def decision_rows(conn: Connection, operator: str, start: int, end: int) -> Iterable[Any]:
    """``(id, platform, starts_at, reason, automated, changes)`` of the operator's sanctions that may
    hold a decision applied in ``[start, end)``, by id, streamed. Sanctions that started before
    the period count only if changed since (an amendment may fall in it)."""
    return conn.execution_options(**_STREAM).execute(
        select(S.id, S.subject_platform, S.starts_at, S.reason, S.automated, S.changes)
        .where(S.operator_id == operator, S.starts_at < end, or_(S.starts_at >= start, S.updated_seq != S.created_seq))
        .order_by(S.id)
    )


def decision_rows_with_issued(conn: Connection, operator: str, start: int, end: int) -> Iterable[Any]:
    """``decision_rows`` with the statements issued for each sanction's decisions: one row per
    issued statement whose text is kept (``(..., decision_seq, document)``, in decision order), or
    one row with two nulls for a sanction that has none. Rows of a sanction come together, by id."""
    issued = tables.issued_documents.c
    joined = tables.sanctions.outerjoin(
        tables.issued_documents,
        (issued.sanction_id == S.id) & (issued.kind == "statement") & issued.document.is_not(None),
    )
    rows = conn.execution_options(**_STREAM).execute(
        select(
            S.id,
            S.subject_platform,
            S.starts_at,
            S.reason,
            S.automated,
            S.changes,
            issued.decision_seq,
            issued.document,
            issued.packing,
        )
        .select_from(joined)
        .where(S.operator_id == operator, S.starts_at < end, or_(S.starts_at >= start, S.updated_seq != S.created_seq))
        .order_by(S.id, issued.decision_seq)
    )
    # The documents are kept compressed (store.issued): each is read back as its text.
    return ((*row[:7], unpacked(row[7], row[8])) for row in rows)


def content_decision_rows_with_issued(
    conn: Connection, operator: str, start: int, end: int
) -> Iterator[tuple[Any, Sequence[tuple[Any, Any]]]]:
    """``(decision, statements)`` of each of the operator's decisions on content that may hold a
    decision applied in ``[start, end)`` (as ``decision_rows``), by id: ``decision`` is ``(id,
    platform, starts_at, kind_other, reason, automated, changes, content_type, content_date,
    language, created_seq, updated_seq)`` (its item's three before the last two; the same seqs:
    never amended nor restored), ``statements`` the statements issued for it whose text
    is kept, in decision order (empty if none), each as ``(export_fields, document)``: its export
    fields (``issued_documents.export_fields``) as their UTF-8 bytes and no document (None), or,
    where they were never kept, None and its document as its UTF-8 bytes (or its text, once
    unpacked).

    Streams with flat memory: the ids alone are read in order (the only sort, of short keys), and
    for each chunk of them the decisions with their items, then their statements, in a query each;
    no row carrying a document is ever sorted (a decision's statement is some 3.5 KB of JSON)."""
    CD = tables.content_decisions.c
    ids = conn.execution_options(**_STREAM).execute(
        select(CD.id)
        .where(
            CD.operator_id == operator,
            CD.starts_at < end,
            or_(CD.starts_at >= start, CD.updated_seq != CD.created_seq),
        )
        .order_by(CD.id)
    )
    for chunk in ids.scalars().partitions(_CONTENT_CHUNK):
        yield from _content_chunk(conn, chunk)


def content_export_chunks(conn: Connection, operator: str, start: int, end: int) -> Iterator[list[ContentKept]]:
    """The operator's decisions on content that may hold a decision applied in ``[start, end)``
    (those of ``content_decision_rows_with_issued``), by id, in chunks of ``_KEPT_CHUNK``, each
    decision as ``(id, platform, unchanged, fields)``: ``unchanged`` whether it was never amended
    nor restored (its seqs are the same), ``fields`` the kept export fields
    (``issued_documents.export_fields``, as bytes) of its statement if it issued exactly one and
    its fields are kept, else None. What the CSV export needs to write most decisions from their
    kept fields alone; it reads the others in full (``content_decisions_with_issued``).

    Every statement counts here, its text erased or not: an erasure blanks the fields with the
    text, so a statement without fields (erased, or issued before they were kept) sends its
    decision to the full read, which tells the two apart (and leaves an erased one out), and
    whether a text is kept is never looked at. That is what lets SQLite read the fields from an
    index holding them (``ix_issued_documents_export``, migration 0038) alone: a row holds its
    document in line (some 3.5 KB, a page of its own, about), and the rows are never read.

    On the driver's own cursors (the rows as plain tuples, without SQLAlchemy's per-row work): the
    ids alone in order, streamed (a server-side cursor on PostgreSQL), and for each chunk of them
    one query joining each decision to its statements (no document is read)."""
    dialect = conn.dialect.name
    raw: Any = conn.connection.dbapi_connection
    ids_cursor = raw.cursor(name="reprieve_content_export") if dialect == "postgresql" else raw.cursor()
    cursor = raw.cursor()
    sql = _KEPT_SQL[dialect]
    try:
        try:
            ids_cursor.execute(_KEPT_IDS_SQL[dialect], {"operator": operator, "start": start, "end": end})
            while batch := ids_cursor.fetchmany(_KEPT_CHUNK):
                ids = [found for (found,) in batch]
                cursor.execute(sql, {"ids": orjson.dumps(ids).decode() if dialect == "sqlite" else ids})
                yield _kept_chunk(cursor.fetchall())
        except Exception as exc:
            dbapi = conn.dialect.dbapi
            if dbapi is not None and isinstance(exc, dbapi.Error):
                raise DBAPIError.instance(sql, {}, exc, dbapi.Error, dialect=conn.dialect) from exc
            raise
    finally:
        cursor.close()
        ids_cursor.close()


#: ``(id, platform, unchanged, fields, starts_at, changes, statements)`` (``content_export_chunks``).
ContentKept = tuple[str, str, bool, bytes | None, int, str | None, list[bytes | None] | None]
#: Content decisions per chunk of ``content_export_chunks``.
_KEPT_CHUNK = 1000
_KEPT_IDS = """SELECT id FROM content_decisions
 WHERE operator_id = {p}operator{s} AND starts_at < {p}end{s}
   AND (starts_at >= {p}start{s} OR updated_seq <> created_seq)
 ORDER BY id"""
#: The statements' columns named here are all in ``ix_issued_documents_export``: SQLite reads
#: that index alone (``tests/integration/test_sqlite_plans.py``).
_KEPT = """SELECT cd.id, cd.platform_id, cd.created_seq = cd.updated_seq, d.export_fields, cd.starts_at,
       CASE WHEN cd.created_seq = cd.updated_seq THEN NULL ELSE cd.changes END, d.decision_seq
  FROM content_decisions cd
  LEFT JOIN issued_documents d
    ON d.sanction_id = cd.id AND d.kind = 'statement'
 WHERE cd.id {among}
 ORDER BY cd.id"""
#: By dialect (sqlite3: named parameters, the ids as a JSON array; psycopg: pyformat, a list).
_KEPT_IDS_SQL = {"sqlite": _KEPT_IDS.format(p=":", s=""), "postgresql": _KEPT_IDS.format(p="%(", s=")s")}
_KEPT_SQL = {
    "sqlite": _KEPT.format(among="IN (SELECT value FROM json_each(:ids))"),
    "postgresql": _KEPT.format(among="= ANY(%(ids)s)"),
}


def _kept_chunk(rows: list[tuple[Any, ...]]) -> list[ContentKept]:
    """A chunk's joined rows (by id) as one ``ContentKept`` a decision: ``fields`` those of its one
    statement (None if it has none or several); for a decision amended or restored (``changes``
    its column, not None), ``statements`` the kept fields of each of its statements, in decision
    order (None for one whose fields are not kept: its text erased, or issued before the fields
    were kept), or None if two share a decision (their order is then the general path's to find)."""
    out: list[ContentKept] = []
    seqs: list[tuple[int, bytes | None]] = []
    last = None
    for decision_id, platform_id, unchanged, fields, starts_at, changes, seq in rows:
        kept = None if fields is None else bytes(fields)
        if decision_id == last:  # a second statement
            if changes is not None:
                seqs.append((seq, kept))
                out[-1] = (*out[-1][:3], None, starts_at, changes, _in_order(seqs))
            else:
                out[-1] = (decision_id, platform_id, bool(unchanged), None, starts_at, None, None)
            continue
        last = decision_id
        statements = None
        if changes is not None:
            seqs = [] if seq is None else [(seq, kept)]
            statements = [kept for _, kept in seqs]
        out.append((decision_id, platform_id, bool(unchanged), kept, starts_at, changes, statements))
    return out


def _in_order(seqs: list[tuple[int, bytes | None]]) -> list[bytes | None] | None:
    """The kept fields of a decision's statements in decision order; None if two share a decision."""
    seqs.sort(key=itemgetter(0))
    if any(seqs[i][0] == seqs[i + 1][0] for i in range(len(seqs) - 1)):
        return None
    return [kept for _, kept in seqs]


def content_decisions_with_issued(
    conn: Connection, ids: Sequence[str]
) -> Iterator[tuple[Any, Sequence[tuple[Any, Any]]]]:
    """The items of ``content_decision_rows_with_issued`` for the decisions ``ids`` (sorted)."""
    for i in range(0, len(ids), _CONTENT_CHUNK):
        yield from _content_chunk(conn, ids[i : i + _CONTENT_CHUNK])


#: Content decisions per chunk of ``content_decision_rows_with_issued`` (bound parameters per ``IN``).
_CONTENT_CHUNK = 500


@cache
def _content_queries() -> tuple[Any, Any]:
    """The two queries of a chunk (``_content_chunk``): built once, as building them cost more
    than running them."""
    CD, IT, issued = tables.content_decisions.c, tables.items.c, tables.issued_documents.c
    decisions = (
        select(
            CD.id,
            CD.platform_id,
            CD.starts_at,
            CD.kind_other,
            CD.reason,
            CD.automated,
            CD.changes,
            IT.content_type,
            IT.content_date,
            IT.language,
            CD.created_seq,
            CD.updated_seq,
        )
        .select_from(
            tables.content_decisions.join(tables.items, (IT.platform_id == CD.platform_id) & (IT.item_id == CD.item_id))
        )
        .where(CD.id.in_(bindparam("ids", expanding=True)))
    )
    statements = select(
        issued.sanction_id,
        issued.decision_seq,
        issued.export_fields,
        # The document only where its export fields were never kept: it is some 3.5 KB.
        case((issued.export_fields.is_(None), issued.document), else_=null()),
        issued.packing,
    ).where(
        issued.sanction_id.in_(bindparam("ids", expanding=True)),
        issued.kind == "statement",
        issued.document.is_not(None),
    )
    return decisions, statements


def _content_chunk(conn: Connection, chunk: Sequence[str]) -> Iterator[tuple[Any, Sequence[tuple[Any, Any]]]]:
    """The items of ``content_decision_rows_with_issued`` for the decisions ``chunk`` (sorted ids)."""
    decisions_query, statements_query = _content_queries()
    ids = {"ids": list(chunk)}
    found_decisions = list(conn.execute(decisions_query, ids).all())
    statements: dict[str, list[tuple[int, Any, Any]]] = {}
    for about, seq, fields, document, packing in conn.execute(statements_query, ids).all():
        # Both kept as they are (store.issued): handed on as their bytes, which the export's JSON
        # parser reads as they are; a packed text is unpacked.
        found: tuple[int, bytes | None, str | bytes | None]
        if fields is not None:
            found = (seq, fields if type(fields) is bytes else bytes(fields), None)
        elif packing == PLAIN:
            found = (seq, None, document if type(document) is bytes else bytes(document))
        else:
            found = (seq, None, unpacked(document, packing))
        kept = statements.get(about)
        if kept is None:
            statements[about] = [found]
        else:
            kept.append(found)
    found_decisions.sort(key=itemgetter(0))
    for row in found_decisions:
        kept = statements.get(row[0])
        if kept is None:
            yield row, ()
        elif len(kept) == 1:
            yield row, (kept[0][1:],)
        else:
            kept.sort(key=itemgetter(0))
            yield row, [k[1:] for k in kept]


# --- the statements sent -------------------------------------------------------------------


def submitted_puids(conn: Connection, endpoint: str, operator: str) -> set[str]:
    return set(conn.execute(select(T.puid).where(T.endpoint == endpoint, T.operator_id == operator)).scalars())


def sending(conn: Connection, endpoint: str, operator: str) -> list[tuple[str, int]]:
    """``(puid, updated_at)`` of the operator's statements still ``sending`` to ``endpoint``."""
    query = select(T.puid, T.updated_at).where(T.endpoint == endpoint, T.operator_id == operator, T.state == "sending")
    return [(puid, updated) for puid, updated in conn.execute(query).all()]


def record_sending(db: Database, rows: list[dict[str, Any]]) -> bool:
    """Record statements as ``sending``; False (and nothing recorded) if one of their puids is
    recorded already."""
    try:
        with writing(db) as conn:
            conn.execute(insert(tables.tdb_submissions), rows)
    except IntegrityError:
        return False
    return True


def set_submission_state(
    db: Database,
    endpoint: str,
    puids: Sequence[str],
    *,
    state: str,
    now_us: Callable[[], int],
    attempts: int,
    errors: str | None,
) -> None:
    """Set the state of the statements ``puids`` sent to ``endpoint`` (at ``now_us()``, read per chunk)."""
    with writing(db) as conn:
        for i in range(0, len(puids), _CHUNK):
            conn.execute(
                update(tables.tdb_submissions)
                .where(T.endpoint == endpoint, T.puid.in_(puids[i : i + _CHUNK]))
                .values(state=state, updated_at=now_us(), attempts=attempts, errors=errors)
            )


def forget_sending(db: Database, endpoint: str, puids: Sequence[str]) -> None:
    """Drop the ``sending`` rows of ``puids``: they may be sent again."""
    with writing(db) as conn:
        for i in range(0, len(puids), _CHUNK):
            conn.execute(
                delete(tables.tdb_submissions).where(
                    T.endpoint == endpoint, T.puid.in_(puids[i : i + _CHUNK]), T.state == "sending"
                )
            )


def submission_counts(conn: Connection, endpoint: str, operator: str) -> dict[str, int]:
    """How many of the operator's statements are in each state at ``endpoint``."""
    query = select(T.state, func.count()).where(T.endpoint == endpoint, T.operator_id == operator).group_by(T.state)
    return dict(conn.execute(query).all())


def rejected(conn: Connection, endpoint: str, operator: str, *, limit: int) -> list[tuple[str, str, str | None]]:
    """``(puid, sanction, errors)`` of the first ``limit`` statements ``endpoint`` rejected, by puid."""
    query = (
        select(T.puid, T.sanction_id, T.errors)
        .where(T.endpoint == endpoint, T.operator_id == operator, T.state == "rejected")
        .order_by(T.puid)
        .limit(limit)
    )
    return [(puid, sanction, errors) for puid, sanction, errors in conn.execute(query)]


# --- submission runs -----------------------------------------------------------------------


def active_run(
    conn: Connection, operator: str, endpoint: str, start: int | None, end: int | None, states: Sequence[str]
) -> str | None:
    """The oldest run in ``states`` of the operator, database and period, if any."""
    found: str | None = conn.execute(
        select(R.id)
        .where(
            R.operator_id == operator,
            R.endpoint == endpoint,
            R.state.in_(states),
            R.period_from.is_(None) if start is None else R.period_from == start,
            R.period_to.is_(None) if end is None else R.period_to == end,
        )
        .order_by(R.requested_at)
        .limit(1)
    ).scalar()
    return found


def insert_run(conn: Connection, **values: Any) -> None:
    conn.execute(insert(tables.tdb_runs).values(**values))


def run_row(conn: Connection, run_id: str) -> Any:
    """The run's row, or None."""
    return conn.execute(select(tables.tdb_runs).where(R.id == run_id)).first()


def existing_run_row(conn: Connection, run_id: str) -> Any:
    """The row of a run known to exist (``NoResultFound`` if it does not)."""
    return conn.execute(select(tables.tdb_runs).where(R.id == run_id)).one()


def run_rows(conn: Connection, operator: str, *, limit: int) -> list[Any]:
    """The operator's latest runs, newest first."""
    query = select(tables.tdb_runs).where(R.operator_id == operator).order_by(R.requested_at.desc(), R.id.desc())
    return list(conn.execute(query.limit(limit)).all())


def claim_run(
    db: Database, *, owner: str, now_us: int, lease_us: int, states: Sequence[str], run_id: str | None
) -> str | None:
    """Lease to ``owner`` the oldest due run (in ``states``, not waiting, not leased by another)
    whose operator and database no other owner's run holds; its id, or None."""
    free = or_(R.owner.is_(None), R.owner == owner, R.leased_until < now_us)
    with writing(db) as conn:
        query = select(R.id, R.operator_id, R.endpoint).where(
            R.state.in_(states), or_(R.not_before.is_(None), R.not_before <= now_us), free
        )
        if run_id is not None:
            query = query.where(R.id == run_id)
        for found, operator, endpoint in conn.execute(query.order_by(R.requested_at, R.id).limit(20)).all():
            held = conn.execute(
                select(R.id)
                .where(
                    R.operator_id == operator,
                    R.endpoint == endpoint,
                    R.state == "running",
                    R.id != found,
                    R.owner.is_not(None),
                    R.owner != owner,
                    R.leased_until >= now_us,
                )
                .limit(1)
            ).first()
            if held is not None:
                continue
            # The condition again: on PostgreSQL another worker may have taken it since the select.
            taken = conn.execute(
                update(tables.tdb_runs)
                .where(R.id == found, R.state.in_(states), free)
                .values(
                    owner=owner,
                    leased_until=now_us + lease_us,
                    state="running",
                    started_at=func.coalesce(R.started_at, now_us),
                    not_before=None,
                    updated_at=now_us,
                )
            ).rowcount
            if taken:
                return str(found)
    return None


def update_run(db: Database, run_id: str, holder: str, **values: Any) -> bool:
    """Change a run ``holder`` holds; False when another owner took it over."""
    with writing(db) as conn:
        return bool(
            conn.execute(update(tables.tdb_runs).where(R.id == run_id, R.owner == holder).values(**values)).rowcount
        )


def operator_ids(conn: Connection) -> list[str]:
    return list(conn.execute(select(tables.operators.c.id)).scalars())


# --- the transparency report ---------------------------------------------------------------


def report_sanction_rows(conn: Connection, operator: str, start: int, end: int) -> Iterable[Any]:
    """``(identity, platform, starts_at, category, reason, automated, changes)`` of the operator's
    sanctions starting in ``[start, end)``, streamed."""
    return conn.execution_options(**_STREAM).execute(
        select(S.identity_id, S.subject_platform, S.starts_at, S.category, S.reason, S.automated, S.changes).where(
            S.operator_id == operator, S.starts_at >= start, S.starts_at < end
        )
    )


def violations_recorded(conn: Connection, operator: str, start: int, end: int) -> list[tuple[int, str]]:
    """``(occurred_at, at)``: when each violation behind a sanction starting in ``[start, end)``
    occurred, and when its sanction was recorded (its creation event's ``at``)."""
    E = tables.events.c
    query = (
        select(V.occurred_at, E.at)
        .select_from(
            tables.violations.join(tables.sanctions, S.id == V.sanction_id).join(tables.events, E.seq == S.created_seq)
        )
        .where(S.operator_id == operator, S.starts_at >= start, S.starts_at < end)
    )
    return [(occurred, recorded) for occurred, recorded in conn.execute(query)]


def appeal_kinds_received(conn: Connection, operator: str, start: int, end: int) -> list[str]:
    query = select(A.kind).where(A.operator_id == operator, A.received_at >= start, A.received_at < end)
    return [kind for (kind,) in conn.execute(query)]


def appeals_decided(conn: Connection, operator: str, start: int, end: int) -> list[tuple[str, int | None]]:
    """``(state, handling_seconds)`` of the appeals decided in ``[start, end)``."""
    query = select(A.state, A.handling_seconds).where(
        A.operator_id == operator, A.decided_at >= start, A.decided_at < end, A.state != "open"
    )
    return [(state, seconds) for state, seconds in conn.execute(query)]


def dispute_outcomes(conn: Connection, operator: str, start: int, end: int) -> list[str]:
    query = select(D.outcome).where(D.operator_id == operator, D.submitted_at >= start, D.submitted_at < end)
    return [outcome for (outcome,) in conn.execute(query)]


def first_warnings(conn: Connection, operator: str, identities: set[str]) -> dict[str, int]:
    """The start of each identity's first warning (kind as imposed is read from ``sanctions.kind``:
    a warning is never amended into another kind by the ladders)."""
    found: dict[str, int] = {}
    ids = sorted(identities)
    for i in range(0, len(ids), _CHUNK):
        for identity, first in conn.execute(
            select(S.identity_id, func.min(S.starts_at))
            .where(S.operator_id == operator, S.kind == "warning", S.identity_id.in_(ids[i : i + _CHUNK]))
            .group_by(S.identity_id)
        ):
            found[identity] = first
    return found
