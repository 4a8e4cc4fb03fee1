"""The personal-data table: texts events reference by ``{"ref": id}``, outside the chain.

``put`` writes one in the caller's transaction (the unit of work that records the event which
references it); ``read_many`` resolves references; ``erase_subject`` blanks every text of a
subject, keeping its SHA-256, its kind and when and by whom it was erased.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from reprieve.domain.personal import ERASED_NAME, PREFIX, PersonalRef, ref_text_id
from reprieve.domain.time import to_micros
from reprieve.store import tables
from reprieve.store.connection import Connection
from reprieve.store.db import Database


@dataclass(frozen=True, slots=True)
class PersonalText:
    """One row: the text, or None once erased (``erased`` then says so)."""

    id: str
    kind: str
    subject: str
    value: str | None
    sha256: str
    erased: bool


def sha256_of(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def put(
    db: Database,
    conn: Connection,
    *,
    operator: str,
    kind: str,
    subject: str,
    value: str,
    now: datetime,
) -> PersonalRef:
    """Keep ``value`` and answer the reference the event will carry."""
    return insert(
        conn, ref=db.ids.new_id(PREFIX, now), operator=operator, kind=kind, subject=subject, value=value, now=now
    )


def insert(
    conn: Connection, *, ref: str, operator: str, kind: str, subject: str, value: str, now: datetime
) -> PersonalRef:
    """Keep ``value`` under the reference ``ref`` (a new id of ``PREFIX``)."""
    conn.execute(
        tables.personal_data.insert().values(
            id=ref,
            operator_id=operator,
            kind=kind,
            subject=subject,
            value=value,
            sha256=sha256_of(value),
            created_at=to_micros(now),
        )
    )
    return PersonalRef(ref)


def put_many(
    db: Database, conn: Connection, *, operator: str, subject: str, texts: Sequence[tuple[str, str]], now: datetime
) -> list[PersonalRef]:
    """Keep each ``(kind, value)`` of ``texts`` about ``subject``, in one statement; their references, in order."""
    refs, rows = rows_of(db, operator=operator, subject=subject, texts=texts, now=now)
    insert_rows(conn, rows)
    return refs


def rows_of(
    db: Database,
    *,
    operator: str,
    subject: str,
    texts: Sequence[tuple[str, str]],
    now: datetime,
    ids: Sequence[str] | None = None,
) -> tuple[list[PersonalRef], list[dict[str, object]]]:
    """``put_many``'s references and rows, not yet written: a caller receiving many things at
    once writes the rows of all of them in one ``insert_rows`` (and may give their ``ids``, new
    ids of ``PREFIX``, made for all of them at once)."""
    if ids is None:
        ids = db.ids.new_ids(PREFIX, now, len(texts))
    created = to_micros(now)
    rows: list[dict[str, object]] = [
        {
            "id": ref,
            "operator_id": operator,
            "kind": kind,
            "subject": subject,
            "value": value,
            "sha256": sha256_of(value),
            "created_at": created,
        }
        for ref, (kind, value) in zip(ids, texts, strict=True)
    ]
    return [PersonalRef(ref) for ref in ids], rows


def insert_rows(conn: Connection, rows: Sequence[Mapping[str, object]]) -> None:
    """Write the rows ``rows_of`` made, in one statement."""
    if rows:
        conn.execute(tables.personal_data.insert(), list(rows))


def read_many(conn: Connection, ids: Iterable[str | None]) -> dict[str, PersonalText]:
    """The rows of ``ids`` (None and unknown ids are left out), by id."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    t = tables.personal_data
    found: dict[str, PersonalText] = {}
    for start in range(0, len(wanted), 500):
        for row in conn.execute(select(t).where(t.c.id.in_(wanted[start : start + 500]))).mappings():
            found[row["id"]] = PersonalText(
                id=row["id"],
                kind=row["kind"],
                subject=row["subject"],
                value=row["value"],
                sha256=row["sha256"],
                erased=row["erased_at"] is not None,
            )
    return found


def text_of_subject(conn: Connection, *, operator: str, subject: str, kind: str) -> PersonalText | None:
    """The latest text of ``kind`` kept for ``subject`` within ``operator`` (its value None once
    erased), or None: a decision's own text found by what it is about (``amnesty:<id>``)."""
    t = tables.personal_data
    row = (
        conn.execute(
            select(t)
            .where(t.c.operator_id == operator, t.c.subject == subject, t.c.kind == kind)
            .order_by(t.c.created_at.desc(), t.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    return PersonalText(
        row["id"], row["kind"], row["subject"], row["value"], row["sha256"], row["erased_at"] is not None
    )


def resolved(text: str | None, ref: str | None, texts: Mapping[str, PersonalText]) -> tuple[str | None, bool]:
    """The text a projection's column holds (an old event's) or its reference ``ref`` resolves to
    among ``texts`` (``read_many``), and whether it was erased (then the text is None)."""
    if ref is None:
        return text, False
    found = texts.get(ref)
    if found is None or found.value is None:
        return None, True
    return found.value, False


def names_of(conn: Connection, values: Iterable[str]) -> dict[str, str]:
    """What each ``ref:pd_...`` among ``values`` reads as: its text, or ``ERASED_NAME`` once
    erased (or unknown). Other values are left out: they read as they are."""
    wanted = {v: i for v in values if (i := ref_text_id(v)) is not None}
    texts = read_many(conn, wanted.values())
    return {
        v: (found.value if (found := texts.get(i)) and found.value is not None else ERASED_NAME)
        for v, i in wanted.items()
    }


def erase_subject(conn: Connection, *, operator: str, subject: str, now_us: int, by: str) -> list[PersonalText]:
    """Blank every text of ``subject`` within ``operator`` not yet erased; answer what was blanked
    (with its value None, its hash and kind kept)."""
    t = tables.personal_data
    rows = list(
        conn.execute(
            select(t.c.id, t.c.kind, t.c.sha256).where(
                t.c.operator_id == operator, t.c.subject == subject, t.c.erased_at.is_(None)
            )
        ).mappings()
    )
    erase_ids(conn, [r["id"] for r in rows], now_us=now_us, by=by)
    return [PersonalText(r["id"], r["kind"], subject, None, r["sha256"], True) for r in rows]


def erase_ids(conn: Connection, ids: Iterable[str], *, now_us: int, by: str) -> None:
    """Blank the rows ``ids`` not yet erased, keeping their SHA-256, kind and subject, and when
    and by whom: the one blanking of personal data (``erase_subject``, the erasure's use case)."""
    wanted = sorted(set(ids))
    t = tables.personal_data
    for start in range(0, len(wanted), 500):
        conn.execute(
            update(t)
            .where(t.c.id.in_(wanted[start : start + 500]), t.c.erased_at.is_(None))
            .values(value=None, erased_at=now_us, erased_by=by)
        )
