"""Notices and their cases (issue 26): the projection of ``case.opened`` and ``notice.received``,
the notifiers' rows beside the log, and the queries the use cases read them with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import ColumnElement, Select, and_, bindparam, func, not_, select, tuple_, update

from reprieve.domain.errors import ValidationError
from reprieve.domain.events import CaseDecided, CaseOpened, CaseReopened, NoticeDecided, NoticeReceived
from reprieve.domain.notices import CaseState, Language, NoticeState, receipt_text
from reprieve.domain.personal import ref_id
from reprieve.domain.time import parse_instant, to_micros
from reprieve.store import tables
from reprieve.store.bulk import insert_rows
from reprieve.store.connection import Connection
from reprieve.store.personal import sha256_of
from reprieve.store.queries import decode_cursor, encode_cursor

if TYPE_CHECKING:
    from reprieve.store.projector import Applied, Handler, Projector

N = tables.notices.c
C = tables.notice_cases.c
F = tables.notice_notifiers.c

#: A notice's source in the Transparency Database's words, as the projection keeps it (lower case).
ARTICLE_16 = "article_16"


# --- projection ------------------------------------------------------------------------------


def cases_opened(projector: Projector, events: list[Applied[CaseOpened]]) -> None:
    rows = []
    for e in events:
        d = e.event
        ((kind, about),) = d.about.items()
        at = to_micros(parse_instant(e.effective_at))
        rows.append((d.id, d.operator, d.platform, kind, about, CaseState.OPEN.value, at, 0, e.seq, e.seq))
    insert_rows(
        projector.conn,
        tables.notice_cases,
        (
            "id",
            "operator_id",
            "platform_id",
            "about_kind",
            "about_id",
            "state",
            "opened_at",
            "notices",
            "created_seq",
            "updated_seq",
        ),
        rows,
    )


def notices_received(projector: Projector, events: list[Applied[NoticeReceived]]) -> None:
    rows = []
    joined: dict[str, tuple[int, int]] = {}
    for e in events:
        d = e.event
        ((kind, about),) = d.about.items()
        received = parse_instant(d.received_at)
        text = receipt_text(d.id, received, d.receipt, Language(d.language))
        rows.append(
            (
                d.id,
                d.operator,
                d.platform,
                d.case,
                kind,
                about,
                NoticeState.OPEN.value,
                d.category,
                d.illegal,
                d.channel,
                ARTICLE_16,
                d.notifier,
                d.notifier_kind,
                to_micros(received),
                d.receipt,
                d.language,
                text,
                ref_id(d.explanation),
                ref_id(d.location),
                ref_id(d.legal_ground),
                e.seq,
                e.seq,
            )
        )
        count, _ = joined.get(d.case, (0, 0))
        joined[d.case] = (count + 1, e.seq)
    insert_rows(
        projector.conn,
        tables.notices,
        (
            "id",
            "operator_id",
            "platform_id",
            "case_id",
            "about_kind",
            "about_id",
            "state",
            "category",
            "illegal",
            "channel",
            "source",
            "notifier",
            "notifier_kind",
            "received_at",
            "receipt_id",
            "receipt_language",
            "receipt_text",
            "explanation_ref",
            "location_ref",
            "legal_ground_ref",
            "created_seq",
            "updated_seq",
        ),
        rows,
    )
    if joined:  # one statement, executed for each case
        projector.conn.execute(
            _JOINED,
            [{"case": case_id, "count": count, "seq": seq} for case_id, (count, seq) in joined.items()],
        )


_JOINED = (
    update(tables.notice_cases)
    .where(C.id == bindparam("case"))
    .values(notices=C.notices + bindparam("count"), updated_seq=bindparam("seq"))
)


def cases_decided(projector: Projector, events: list[Applied[CaseDecided]]) -> None:
    for e in events:
        d = e.event
        decision = {
            "action": d.action,
            "content_decision": d.content_decision,
            "sanction": d.sanction,
            "automated": d.automated,
            "referral": d.referral,
            "rationale_ref": ref_id(d.rationale),
            "seq": e.seq,
        }
        projector.conn.execute(
            update(tables.notice_cases)
            .where(C.id == d.id)
            .values(
                state=CaseState.DECIDED.value,
                decided_at=to_micros(parse_instant(e.effective_at)),
                decision=orjson.dumps(decision).decode(),
                updated_seq=e.seq,
            )
        )


def notices_decided(projector: Projector, events: list[Applied[NoticeDecided]]) -> None:
    for e in events:
        d = e.event
        projector.conn.execute(
            update(tables.notices)
            .where(N.id == d.id)
            .values(
                state=NoticeState.DECIDED.value,
                decided_at=to_micros(parse_instant(e.effective_at)),
                reply_ref=ref_id(d.reply),
                disclose_notifier=d.disclosed,
                disclosure_reason_ref=ref_id(d.disclosure_reason),
                updated_seq=e.seq,
            )
        )


def cases_reopened(projector: Projector, events: list[Applied[CaseReopened]]) -> None:
    for e in events:
        d = e.event
        conn = projector.conn
        conn.execute(
            update(tables.notice_cases)
            .where(C.id == d.id)
            .values(state=CaseState.OPEN.value, decided_at=None, decision=None, updated_seq=e.seq)
        )
        conn.execute(
            update(tables.notices)
            .where(N.id.in_(list(d.notices)))
            .values(
                state=NoticeState.OPEN.value,
                decided_at=None,
                reply_ref=None,
                disclose_notifier=None,
                disclosure_reason_ref=None,
                updated_seq=e.seq,
            )
        )


HANDLERS: dict[type, Handler] = {
    CaseReopened: cases_reopened,
    CaseOpened: cases_opened,
    NoticeReceived: notices_received,
    CaseDecided: cases_decided,
    NoticeDecided: notices_decided,
}


def case_decision(row: dict[str, Any]) -> dict[str, Any] | None:
    """A case row's decision (``cases_decided``), or None while it is open."""
    raw = row.get("decision")
    return None if raw is None else dict(orjson.loads(raw))


# --- the notifiers, beside the log -----------------------------------------------------------


def insert_notifiers(conn: Connection, rows: Sequence[Mapping[str, object]]) -> None:
    """Write notifiers' rows (``notifier_row``), in one statement."""
    if rows:
        conn.execute(tables.notice_notifiers.insert(), list(rows))


def notifier_row(
    *, id: str, notice_id: str, operator: str, name: str | None, email: str | None, created_us: int
) -> dict[str, object]:
    return {
        "id": id,
        "notice_id": notice_id,
        "operator_id": operator,
        "name": name,
        "email": email,
        "created_at": created_us,
    }


@dataclass(frozen=True, slots=True)
class NotifierRow:
    id: str
    notice_id: str
    name: str | None
    email: str | None
    erased: bool


def notifiers_of(conn: Connection, references: Sequence[str]) -> dict[str, NotifierRow]:
    """The notifiers ``references`` (``ntf_...``), by reference."""
    wanted = sorted(set(references))
    found: dict[str, NotifierRow] = {}
    for start in range(0, len(wanted), 500):
        rows = conn.execute(
            select(F.id, F.notice_id, F.name, F.email, F.erased_at).where(F.id.in_(wanted[start : start + 500]))
        )
        for r in rows:
            found[r.id] = NotifierRow(r.id, r.notice_id, r.name, r.email, r.erased_at is not None)
    return found


def notifiers_by_email(conn: Connection, operator: str, email: str) -> list[NotifierRow]:
    """Every notifier of ``operator``'s notices whose e-mail is ``email``, case-insensitively."""
    rows = conn.execute(
        select(F.id, F.notice_id, F.name, F.email, F.erased_at)
        .where(F.operator_id == operator, func.lower(F.email) == email.lower())
        .order_by(F.id)
    )
    return [NotifierRow(r.id, r.notice_id, r.name, r.email, r.erased_at is not None) for r in rows]


def notifier_of(conn: Connection, operator: str, reference: str) -> NotifierRow | None:
    row = conn.execute(
        select(F.id, F.notice_id, F.name, F.email, F.erased_at).where(F.id == reference, F.operator_id == operator)
    ).first()
    return None if row is None else NotifierRow(row.id, row.notice_id, row.name, row.email, row.erased_at is not None)


def erase_notifier(conn: Connection, reference: str, *, now_us: int, by: str) -> None:
    """Blank a notifier's name and e-mail, keeping their SHA-256 and when and by whom."""
    row = conn.execute(select(F.name, F.email).where(F.id == reference, F.erased_at.is_(None))).first()
    if row is None:
        return
    conn.execute(
        update(tables.notice_notifiers)
        .where(F.id == reference)
        .values(
            name=None,
            email=None,
            name_sha256=None if row.name is None else sha256_of(row.name),
            email_sha256=None if row.email is None else sha256_of(row.email),
            erased_at=now_us,
            erased_by=by,
        )
    )


# --- queries ---------------------------------------------------------------------------------


def open_cases_of(conn: Connection, subjects: Sequence[tuple[str, str, str]]) -> dict[tuple[str, str, str], str]:
    """The open cases of ``subjects`` (platform, about kind, about id) that have one, by subject:
    one query per platform and kind (per 500 ids)."""
    wanted: dict[tuple[str, str], set[str]] = {}
    for platform, kind, about in subjects:
        wanted.setdefault((platform, kind), set()).add(about)
    found: dict[tuple[str, str, str], str] = {}
    for (platform, kind), abouts in wanted.items():
        ids = sorted(abouts)
        for start in range(0, len(ids), 500):
            rows = conn.execute(
                select(C.id, C.about_id).where(
                    C.platform_id == platform,
                    C.about_kind == kind,
                    C.about_id.in_(ids[start : start + 500]),
                    C.state == CaseState.OPEN.value,
                )
            )
            for case_id, about in rows:
                found.setdefault((platform, kind, about), case_id)
    return found


def notice_row(conn: Connection, notice_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(tables.notices).where(N.id == notice_id)).mappings().first()
    return None if row is None else dict(row)


def case_row(conn: Connection, case_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(tables.notice_cases).where(C.id == case_id)).mappings().first()
    return None if row is None else dict(row)


def notices_of_case(conn: Connection, case_id: str) -> list[dict[str, Any]]:
    """The case's notices, oldest first (every one of them: for deciding them together)."""
    rows = conn.execute(
        select(tables.notices).where(N.case_id == case_id).order_by(N.received_at, N.created_seq)
    ).mappings()
    return [dict(r) for r in rows]


def case_notices_query(
    case_id: str, *, limit: int, cursor: str | None, at_us: int | None = None, known_seq: int | None = None
) -> Select[Any]:
    """A page of the case's notices, oldest first (one more than ``limit``: is there a next?);
    those received by ``at_us`` and recorded by event ``known_seq`` (None: all)."""
    query = select(tables.notices).where(N.case_id == case_id)
    if at_us is not None:
        query = query.where(N.received_at <= at_us)
    if known_seq is not None:
        query = query.where(N.created_seq <= known_seq)
    return _paged(query, limit=limit, cursor=cursor)


def count_case_notices(conn: Connection, case_id: str, *, at_us: int | None, known_seq: int | None) -> int:
    """How many notices the case had gathered by ``at_us`` as known by event ``known_seq`` (the
    case's ``notices`` column counts them as known now)."""
    query = select(func.count()).select_from(tables.notices).where(N.case_id == case_id)
    if at_us is not None:
        query = query.where(N.received_at <= at_us)
    if known_seq is not None:
        query = query.where(N.created_seq <= known_seq)
    return int(conn.execute(query).scalar_one())


def case_notice_rows(
    conn: Connection,
    case_id: str,
    *,
    limit: int,
    cursor: str | None,
    at_us: int | None = None,
    known_seq: int | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the case's notices, oldest first, and the next cursor (``at_us``, ``known_seq``:
    as ``case_notices_query``)."""
    query = case_notices_query(case_id, limit=limit, cursor=cursor, at_us=at_us, known_seq=known_seq)
    return _page(conn, query, limit)


def open_notices_of_case(conn: Connection, case_id: str) -> list[dict[str, Any]]:
    """The case's open notices, oldest first: those its decision decides."""
    rows = conn.execute(
        select(tables.notices)
        .where(N.case_id == case_id, N.state == NoticeState.OPEN.value)
        .order_by(N.received_at, N.created_seq)
    ).mappings()
    return [dict(r) for r in rows]


def case_rows(conn: Connection, case_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The cases ``case_ids``, by id."""
    wanted = sorted(set(case_ids))
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), 500):
        for r in conn.execute(select(tables.notice_cases).where(C.id.in_(wanted[start : start + 500]))).mappings():
            found[r["id"]] = dict(r)
    return found


@dataclass(frozen=True, slots=True)
class NoticeFilter:
    operators: Sequence[str] | None = None
    state: str | None = None
    platform: str | None = None
    category: str | None = None
    #: As the notices stood at this instant (µs: received by then, decided by then or open).
    at_us: int | None = None
    #: As the events recorded up to this seq knew them (``as_of``).
    known_seq: int | None = None


def decided_then(at_us: int | None, known_seq: int | None) -> ColumnElement[bool]:
    """A notice decided at ``at_us`` as known by event ``known_seq`` (None: now, all events)."""
    condition = N.state == NoticeState.DECIDED.value
    if at_us is not None:
        condition = and_(condition, N.decided_at <= at_us)
    if known_seq is not None:
        condition = and_(condition, N.updated_seq <= known_seq)
    return condition


def row_then(row: dict[str, Any], at_us: int | None, known_seq: int | None) -> dict[str, Any]:
    """A notice's row as it stood at ``at_us`` as known by ``known_seq``: open, without its decision,
    if it was decided only later (or learnt of later)."""
    if row["state"] != NoticeState.DECIDED.value:
        return row
    if (at_us is None or row["decided_at"] <= at_us) and (known_seq is None or row["updated_seq"] <= known_seq):
        return row
    return dict(
        row,
        state=NoticeState.OPEN.value,
        decided_at=None,
        reply_ref=None,
        disclose_notifier=None,
        disclosure_reason_ref=None,
    )


def case_then(row: dict[str, Any], at_us: int | None, known_seq: int | None) -> dict[str, Any]:
    """A case's row as it stood at ``at_us`` as known by ``known_seq`` (as ``row_then``)."""
    decided = case_decision(row)
    if decided is None:
        return row
    if (at_us is None or row["decided_at"] <= at_us) and (known_seq is None or decided["seq"] <= known_seq):
        return row
    return dict(row, state=CaseState.OPEN.value, decided_at=None, decision=None)


def notice_list_query(f: NoticeFilter, *, limit: int, cursor: str | None) -> Select[Any]:
    """The query of a page of notices matching ``f``, oldest first (one more than ``limit``)."""
    query = select(tables.notices)
    if f.operators is not None:
        query = query.where(N.operator_id.in_(list(f.operators)))
    if f.at_us is not None:
        query = query.where(N.received_at <= f.at_us)
    if f.known_seq is not None:
        query = query.where(N.created_seq <= f.known_seq)
    if f.state and f.at_us is None and f.known_seq is None:
        query = query.where(N.state == f.state)
    elif f.state:
        then = decided_then(f.at_us, f.known_seq)
        query = query.where(then if f.state == NoticeState.DECIDED.value else not_(then))
    if f.platform:
        query = query.where(N.platform_id == f.platform)
    if f.category:
        query = query.where(N.category == f.category)
    return _paged(query, limit=limit, cursor=cursor)


def list_notice_rows(
    conn: Connection, f: NoticeFilter, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of notices matching ``f``, oldest first (by when received, then as recorded), and
    the next cursor."""
    return _page(conn, notice_list_query(f, limit=limit, cursor=cursor), limit)


def _paged(query: Select[Any], *, limit: int, cursor: str | None) -> Select[Any]:
    """``query`` in the notices' order (when received, then as recorded), from after ``cursor``."""
    query = query.order_by(N.received_at, N.created_seq).limit(limit + 1)
    if cursor:
        received, seq = _position(decode_cursor(cursor))
        # A row value: both databases seek the index to it (an OR of the two cases they scan to).
        query = query.where(tuple_(N.received_at, N.created_seq) > tuple_(received, seq))
    return query


def _page(conn: Connection, query: Select[Any], limit: int) -> tuple[list[dict[str, Any]], str | None]:
    rows = [dict(r) for r in conn.execute(query).mappings()]
    last = rows[limit - 1] if len(rows) > limit else None
    next_cursor = encode_cursor(f"{last['received_at']}.{last['created_seq']}") if last is not None else None
    return rows[:limit], next_cursor


def _position(value: str) -> tuple[int, int]:
    received, _, seq = value.partition(".")
    try:
        return int(received), int(seq)
    except ValueError:
        raise ValidationError("is not a cursor this server gave out", field="cursor") from None


def purgeable_notifiers(conn: Connection, *, decided_by_us: int, limit: int) -> list[NotifierRow]:
    """Notifiers not erased yet whose notice was decided by ``decided_by_us`` and has no open
    complaint (a reopened case's notices are open again, so not theirs), oldest decision first."""
    AP = tables.appeals.c
    complained = select(AP.id).where(AP.notice_id == N.id, AP.state == "open").exists()
    rows = conn.execute(
        select(F.id, F.notice_id, F.name, F.email, F.erased_at)
        .join(tables.notices, N.id == F.notice_id)
        .where(
            F.erased_at.is_(None),
            N.state == NoticeState.DECIDED.value,
            N.decided_at <= decided_by_us,
            ~complained,
        )
        .order_by(N.decided_at, F.id)
        .limit(limit)
    )
    return [NotifierRow(r.id, r.notice_id, r.name, r.email, r.erased_at is not None) for r in rows]


def purgeable_notifier(conn: Connection, reference: str) -> tuple[NotifierRow, str, int] | None:
    """The notifier ``reference``, its operator and when its notice was decided (µs), if it is not
    erased, its notice is decided and no complaint about it is open; else None."""
    AP = tables.appeals.c
    complained = select(AP.id).where(AP.notice_id == N.id, AP.state == "open").exists()
    r = conn.execute(
        select(F.id, F.notice_id, F.name, F.email, F.erased_at, F.operator_id, N.decided_at)
        .join(tables.notices, N.id == F.notice_id)
        .where(F.id == reference, F.erased_at.is_(None), N.state == NoticeState.DECIDED.value, ~complained)
    ).first()
    if r is None or r.decided_at is None:
        return None
    return NotifierRow(r.id, r.notice_id, r.name, r.email, False), r.operator_id, int(r.decided_at)
