"""Reads of the projections, shared by the services, the API and the CLI."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, func, or_, select

from reprieve.domain.errors import ValidationError
from reprieve.domain.filters import SanctionFilter
from reprieve.domain.model import AccountRef, Platform, SanctionKind, SanctionState
from reprieve.domain.reason import Automation, Reason
from reprieve.domain.sanctions import Change, Sanction
from reprieve.domain.standing import ResolvedSpan
from reprieve.domain.time import from_micros, parse_instant
from reprieve.store import personal, tables
from reprieve.store.db import platform_from_row

S = tables.sanctions.c
SP = tables.sanction_spans.c
SC = tables.sanction_scope.c
A = tables.accounts.c


def operator_row(conn: Connection, operator_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(tables.operators).where(tables.operators.c.id == operator_id)).first()
    return dict(row._mapping) if row else None


def list_operators(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(select(tables.operators).order_by(tables.operators.c.id))]


def list_platform_ids(conn: Connection, operator: str | None = None) -> list[str]:
    query = select(tables.platforms.c.id).order_by(tables.platforms.c.id)
    if operator is not None:
        query = query.where(tables.platforms.c.operator_id == operator)
    return list(conn.execute(query).scalars())


def account_row(conn: Connection, ref: AccountRef) -> dict[str, Any] | None:
    row = conn.execute(
        select(tables.accounts).where(A.platform_id == ref.platform, A.account_id == ref.account)
    ).first()
    return dict(row._mapping) if row else None


def accounts_rows(conn: Connection, refs: Sequence[AccountRef]) -> dict[AccountRef, str]:
    """Identity of each known account among ``refs``."""
    found: dict[AccountRef, str] = {}
    by_platform: dict[str, list[str]] = {}
    for ref in refs:
        by_platform.setdefault(ref.platform, []).append(ref.account)
    postgresql = conn.dialect.name == "postgresql"
    for platform, names in by_platform.items():
        if postgresql:
            # One probe of the primary key per name. With ``account_id IN (...)`` and no statistics
            # yet (a bulk import into new tables), PostgreSQL scans every account of the platform.
            rows = conn.exec_driver_sql(_ACCOUNTS_BY_NAME, {"platform": platform, "names": names})
            for account_id, identity_id in rows:
                if identity_id is not None:
                    found[AccountRef(platform, account_id)] = identity_id
            continue
        for i in range(0, len(names), 500):
            chunk = names[i : i + 500]
            for row in conn.execute(
                select(A.account_id, A.identity_id).where(A.platform_id == platform, A.account_id.in_(chunk))
            ):
                found[AccountRef(platform, row.account_id)] = row.identity_id
    return found


#: A correlated subquery per name, on the whole primary key: no plan but a probe of it.
_ACCOUNTS_BY_NAME = (
    "SELECT k.name, (SELECT a.identity_id FROM accounts a WHERE a.platform_id = %(platform)s"
    " AND a.account_id = k.name) FROM unnest(CAST(%(names)s AS text[])) AS k(name)"
)


def identity_row(conn: Connection, identity_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(tables.identities).where(tables.identities.c.id == identity_id)).first()
    return dict(row._mapping) if row else None


def identity_accounts(conn: Connection, identity_id: str) -> list[AccountRef]:
    rows = conn.execute(
        select(A.platform_id, A.account_id).where(A.identity_id == identity_id).order_by(A.platform_id, A.account_id)
    )
    return [AccountRef(r.platform_id, r.account_id) for r in rows]


def sanction_from_row(row: Any) -> Sanction:
    reason = json.loads(row["reason"])
    return Sanction(
        id=row["id"],
        operator=row["operator_id"],
        identity=row["identity_id"],
        subject=AccountRef(row["subject_platform"], row["subject_account"]),
        scope=(),
        starts_at=from_micros(row["starts_at"]),
        reason=Reason.from_dict(reason, stored=True),
        automated=Automation.from_dict(json.loads(row["automated"])),
        changes=[Change.from_dict(c) for c in json.loads(row["changes"])],
    )


def load_sanction(conn: Connection, sanction_id: str) -> Sanction | None:
    row = conn.execute(select(tables.sanctions).where(S.id == sanction_id)).first()
    if row is None:
        return None
    sanction = sanction_from_row(row._mapping)
    sanction.scope = tuple(
        conn.execute(select(SC.platform_id).where(SC.sanction_id == sanction_id).order_by(SC.platform_id)).scalars()
    )
    with_backdated_reasons(conn, [sanction])
    return sanction


def load_sanctions(conn: Connection, rows: Sequence[Any]) -> list[Sanction]:
    """Sanctions for rows of the sanctions table, with their scopes, in two queries."""
    sanctions = [sanction_from_row(r._mapping) for r in rows]
    if not sanctions:
        return []
    scopes: dict[str, list[str]] = {}
    ids = [s.id for s in sanctions]
    for i in range(0, len(ids), 500):
        for r in conn.execute(
            select(SC.sanction_id, SC.platform_id).where(SC.sanction_id.in_(ids[i : i + 500])).order_by(SC.platform_id)
        ):
            scopes.setdefault(r.sanction_id, []).append(r.platform_id)
    for s in sanctions:
        s.scope = tuple(scopes.get(s.id, ()))
    with_backdated_reasons(conn, sanctions)
    return sanctions


def with_backdated_reasons(conn: Connection, sanctions: Sequence[Sanction]) -> None:
    """Fill in each backdated change's reason (from ``personal_data``; None once erased) and the
    instant it was recorded (its event's): nothing to read for a sanction never backdated."""
    marked = [(s, i) for s in sanctions for i, c in enumerate(s.changes) if c.backdated_ref is not None]
    if not marked:
        return
    texts = personal.read_many(conn, [s.changes[i].backdated_ref for s, i in marked])
    seqs = sorted({s.changes[i].seq for s, i in marked})
    E = tables.events.c
    recorded = {seq: at for seq, at in conn.execute(select(E.seq, E.at).where(E.seq.in_(seqs)))}
    for sanction, i in marked:
        change = sanction.changes[i]
        found = texts.get(change.backdated_ref or "")
        at = recorded.get(change.seq)
        sanction.changes[i] = replace(
            change,
            backdated_reason=found.value if found is not None else None,
            recorded_at=parse_instant(at) if at else None,
        )


def resolved_spans(conn: Connection, identity_id: str, platform_id: str) -> list[ResolvedSpan]:
    rows = conn.execute(
        select(SP.sanction_id, SP.active_from, SP.active_until, SP.kind, SP.denies).where(
            SP.identity_id == identity_id, SP.platform_id == platform_id
        )
    )
    return [
        ResolvedSpan(
            r.sanction_id, r.active_from, r.active_until, SanctionKind(r.kind), frozenset(json.loads(r.denies))
        )
        for r in rows
    ]


def strike_marks(conn: Connection, identity_id: str, platform_id: str) -> list[tuple[int, int | None]]:
    rows = conn.execute(
        select(S.starts_at, S.lifted_at)
        .join(tables.sanction_scope, SC.sanction_id == S.id)
        .where(S.identity_id == identity_id, SC.platform_id == platform_id)
    )
    return [(r.starts_at, r.lifted_at) for r in rows]


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("is not a cursor this server gave out", field="cursor") from None
    if not value or "\x00" in value:  # PostgreSQL refuses NUL in text: a forged cursor, not a 500
        raise ValidationError("is not a cursor this server gave out", field="cursor")
    return value


def list_sanction_rows(
    conn: Connection,
    f: SanctionFilter,
    *,
    at_us: int,
    limit: int,
    cursor: str | None,
    created: Callable[[Any], ColumnElement[bool]] | None = None,
) -> tuple[list[Any], str | None]:
    """Sanctions matching ``f`` at ``at_us``, by id; returns the page and the next cursor.
    ``created``: a condition on ``created_seq`` (a read as of a past recording instant:
    ``store.asof.Known.sql``)."""
    query = select(tables.sanctions).order_by(S.id).limit(limit + 1)
    if created is not None:
        query = query.where(created(S.created_seq))
    if cursor:
        query = query.where(S.id > decode_cursor(cursor))
    # SQLite keeps no statistics: when both could serve, it prefers the operator's index (in id
    # order) to the account's and walks all of the operator's sanctions rather than sort the
    # account's few. ``operator_id || ''`` is the same value, which no index holds.
    operator = S.operator_id.concat("") if f.account else S.operator_id
    if f.operator:
        query = query.where(operator == f.operator)
    if f.operators is not None:
        query = query.where(operator.in_(list(f.operators)))
    if f.platform:
        query = query.where(exists().where(SC.sanction_id == S.id, SC.platform_id == f.platform))
    if f.account:
        ref = AccountRef.parse(f.account) if "/" in f.account else None
        if ref is not None:
            query = query.where(S.subject_platform == ref.platform, S.subject_account == ref.account)
        else:
            query = query.where(S.subject_account == f.account)
    if f.kind:
        # The kind each sanction shows at the instant: its only kind, or the period's when amended to another.
        periods = tables.sanction_kind_periods.c
        varies = exists().where(periods.sanction_id == S.id)
        shown = exists().where(
            periods.sanction_id == S.id,
            periods.kind == f.kind.value,
            periods.shown_from <= at_us,
            periods.shown_until > at_us,
        )
        query = query.where(or_(and_(S.kind == f.kind.value, ~varies), shown))
    if f.category:
        query = query.where(S.category == f.category)
    if f.state:
        active_now = exists().where(SP.sanction_id == S.id, SP.active_from <= at_us, SP.active_until > at_us)
        cancelled = and_(S.lifted_at.is_not(None), S.lifted_at <= S.starts_at)
        lifted = and_(S.lifted_at.is_not(None), S.lifted_at <= at_us, S.lifted_at > S.starts_at)
        condition = {
            SanctionState.SCHEDULED: and_(S.starts_at > at_us, ~cancelled),
            SanctionState.CANCELLED: cancelled,
            SanctionState.LIFTED: lifted,
            SanctionState.ACTIVE: active_now,
            SanctionState.EXPIRED: and_(
                S.starts_at <= at_us, or_(S.lifted_at.is_(None), S.lifted_at > at_us), ~active_now
            ),
        }[f.state]
        query = query.where(condition)
    rows = list(conn.execute(query))
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def count_rows(conn: Connection, table: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def all_platforms(conn: Connection) -> list[Platform]:
    """Every platform, as the model holds it."""
    return [platform_from_row(r._mapping) for r in conn.execute(select(tables.platforms))]


def existing_platform(conn: Connection, platform_id: str) -> Platform:
    """A platform known to exist (``NoResultFound`` if it does not)."""
    row = conn.execute(select(tables.platforms).where(tables.platforms.c.id == platform_id)).one()
    return platform_from_row(row._mapping)


def held_sanctions(
    conn: Connection, identities: Sequence[str] | None = None, *, ids: Sequence[str] | None = None
) -> list[Sanction]:
    """The sanctions with a term held until its review (``hold_until_review``, rare), among
    ``ids``; or, for the enforcement index, those whose latest term has a review, of
    ``identities`` (None: of all), to say when one is past its end."""
    # By primary key: any term of theirs, past ones too. For the index, which answers from now
    # on: a held term in force now or later has a review (``ensure_hold``), and so has the latest
    # term: the partial index of ``review_at`` finds them.
    among = S.id.in_(list(ids)) if ids is not None else S.review_at.is_not(None)
    query = select(tables.sanctions).where(among, S.changes.like("%hold_until_review%"))
    if identities is not None:
        query = query.where(S.identity_id.in_(list(identities)))
    return load_sanctions(conn, list(conn.execute(query)))
