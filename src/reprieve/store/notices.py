"""Notices and their cases (issue 26): the projection of ``case.opened`` and ``notice.received``,
the notifiers' rows beside the log, and the queries the use cases read them with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import and_, func, or_, select, update

from reprieve.domain.errors import ValidationError
from reprieve.domain.events import CaseDecided, CaseOpened, NoticeDecided, NoticeReceived
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
    for case_id, (count, seq) in joined.items():
        projector.conn.execute(
            update(tables.notice_cases).where(C.id == case_id).values(notices=C.notices + count, updated_seq=seq)
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


HANDLERS: dict[type, Handler] = {
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


def insert_notifier(
    conn: Connection,
    *,
    id: str,
    notice_id: str,
    operator: str,
    name: str | None,
    email: str | None,
    created_us: int,
) -> None:
    conn.execute(
        tables.notice_notifiers.insert(),
        {
            "id": id,
            "notice_id": notice_id,
            "operator_id": operator,
            "name": name,
            "email": email,
            "created_at": created_us,
        },
    )


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


def open_case_of(conn: Connection, platform: str, about_kind: str, about_id: str) -> str | None:
    """The open case of the item or account, if there is one."""
    found: str | None = conn.execute(
        select(C.id)
        .where(
            C.platform_id == platform,
            C.about_kind == about_kind,
            C.about_id == about_id,
            C.state == CaseState.OPEN.value,
        )
        .limit(1)
    ).scalar()
    return found


def notice_row(conn: Connection, notice_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(tables.notices).where(N.id == notice_id)).mappings().first()
    return None if row is None else dict(row)


def case_row(conn: Connection, case_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(tables.notice_cases).where(C.id == case_id)).mappings().first()
    return None if row is None else dict(row)


def notices_of_case(conn: Connection, case_id: str) -> list[dict[str, Any]]:
    """The case's notices, oldest first."""
    rows = conn.execute(
        select(tables.notices).where(N.case_id == case_id).order_by(N.received_at, N.created_seq)
    ).mappings()
    return [dict(r) for r in rows]


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


def list_notice_rows(
    conn: Connection, f: NoticeFilter, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of notices matching ``f``, oldest first (by when received, then as recorded), and
    the next cursor."""
    query = select(tables.notices).order_by(N.received_at, N.created_seq).limit(limit + 1)
    if cursor:
        received, seq = _position(decode_cursor(cursor))
        query = query.where(or_(N.received_at > received, and_(N.received_at == received, N.created_seq > seq)))
    if f.operators is not None:
        query = query.where(N.operator_id.in_(list(f.operators)))
    if f.state:
        query = query.where(N.state == f.state)
    if f.platform:
        query = query.where(N.platform_id == f.platform)
    if f.category:
        query = query.where(N.category == f.category)
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
