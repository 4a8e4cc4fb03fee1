"""Amnesties in the database: the filter as SQL, the frozen work list, the cursor and its lease,
and the projection of amnesty events, with the set-based path for their many lifts.

A lift recorded by an amnesty changes exactly what ``Projector.sanctions_changed`` would change
one sanction at a time: the sanction's ``lifted_at``, ``changes`` and ``updated_seq``, and its
spans, cut at the lift (a lift never changes the kind periods). ``apply_amnesty_lifts`` makes
those changes for a whole batch in a handful of statements.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    update,
)

from reprieve.domain.amnesty import AmnestyFilter, AmnestyState, Phase
from reprieve.domain.events import (
    AmnestyCompleted,
    AmnestyReverted,
    AmnestyRevertStarted,
    AmnestyStarted,
    SanctionLifted,
)
from reprieve.domain.time import format_instant, parse_instant, to_micros
from reprieve.store import tables

if TYPE_CHECKING:  # the projector imports this module for its handlers
    from reprieve.store.projector import Applied, Handler, Projector

S = tables.sanctions.c
SP = tables.sanction_spans.c
SC = tables.sanction_scope.c
KP = tables.sanction_kind_periods.c
AM = tables.amnesties.c
AT = tables.amnesty_targets.c
AR = tables.amnesty_runs.c
AL = tables.amnesty_lift_ranges.c
CD = tables.content_decisions.c
CS = tables.content_spans.c

# --- the filter as SQL -------------------------------------------------------------------


def active_at(t: int) -> ColumnElement[bool]:
    """Sanctions active at ``t`` (µs). One never amended nor lifted is read from its own row; the
    others from their spans, which hold the whole history of their terms."""
    unchanged = S.created_seq == S.updated_seq
    in_a_span = exists().where(SP.sanction_id == S.id, SP.active_from <= t, SP.active_until > t)
    return and_(
        S.starts_at <= t,
        or_(S.lifted_at.is_(None), S.lifted_at > t),
        or_(and_(unchanged, or_(S.ends_at.is_(None), S.ends_at > t)), and_(S.created_seq != S.updated_seq, in_a_span)),
    )


def _policy_of(dialect: str, reason: Any = S.reason) -> ColumnElement[Any]:
    """``reason.policy`` of a sanction row (or of ``reason``, a content decision's), '' when it has none."""
    if dialect == "postgresql":
        return func.coalesce(literal_column(f"CAST({reason.table.name}.reason AS json) ->> 'policy'"), "")
    return func.coalesce(func.json_extract(reason, "$.policy"), "")


def matching(f: AmnestyFilter, t: int, dialect: str) -> ColumnElement[bool]:
    """The sanctions ``f`` selects, active at ``t`` (µs)."""
    conditions: list[ColumnElement[bool]] = [S.operator_id == f.operator, active_at(t)]
    if f.platforms:
        conditions.append(exists().where(SC.sanction_id == S.id, SC.platform_id.in_(list(f.platforms))))
    if f.kinds:
        kinds = [k.value for k in f.kinds]
        # The kind a sanction shows at t: its only kind, or its period's when amended to another.
        varies = exists().where(KP.sanction_id == S.id)
        shown = exists().where(KP.sanction_id == S.id, KP.kind.in_(kinds), KP.shown_from <= t, KP.shown_until > t)
        unchanged = S.created_seq == S.updated_seq
        conditions.append(
            or_(and_(S.kind.in_(kinds), or_(unchanged, ~varies)), and_(S.created_seq != S.updated_seq, shown))
        )
    if f.started_before is not None:
        conditions.append(S.starts_at < to_micros(f.started_before))
    if f.exclude_categories:
        conditions.append(S.category.not_in(list(f.exclude_categories)))
    if f.exclude_policies:
        conditions.append(_policy_not_in(list(f.exclude_policies), dialect))
    return and_(*conditions)


def _policy_not_in(policies: list[str], dialect: str, reason: Any = S.reason) -> ColumnElement[bool]:
    """``reason.policy`` is none of ``policies``.

    Parsing every sanction's JSON reason is most of a dry run that excludes policies. The reason
    is written as JSON (``store.bulk.column_json``), which writes a string without escapes as itself: when
    no policy named needs escaping, a reason that holds none of them as text cannot name one,
    and only the others are parsed (the text test comes first in the OR, and is cheap).
    """
    parsed = _policy_of(dialect, reason).not_in(policies)
    if not policies or any(json.dumps(p)[1:-1] != p for p in policies):
        return parsed
    find = func.strpos if dialect == "postgresql" else func.instr
    return or_(and_(*[find(reason, p) == 0 for p in policies]), parsed)


def content_matching(f: AmnestyFilter, t: int, dialect: str) -> ColumnElement[bool]:
    """The content decisions ``f`` selects, in force at ``t`` (µs) as one of ``f.content_kinds``
    (any, if none): their spans hold the whole history of their terms, cut at a restoration."""
    in_force = [CS.decision_id == CD.id, CS.active_from <= t, CS.active_until > t]
    if f.content_kinds:
        in_force.append(CS.kind.in_([k.value for k in f.content_kinds]))
    conditions: list[ColumnElement[bool]] = [CD.operator_id == f.operator, exists().where(*in_force)]
    if f.platforms:
        conditions.append(CD.platform_id.in_(list(f.platforms)))
    if f.started_before is not None:
        conditions.append(CD.starts_at < to_micros(f.started_before))
    if f.exclude_categories:
        conditions.append(CD.category.not_in(list(f.exclude_categories)))
    if f.exclude_policies:
        conditions.append(_policy_not_in(list(f.exclude_policies), dialect, CD.reason))
    return and_(*conditions)


def count_content_matching(conn: Connection, f: AmnestyFilter, t: int) -> int:
    """How many content decisions ``f`` selects at ``t``; 0 unless it covers content."""
    if not f.covers.content:
        return 0
    query = select(func.count()).select_from(tables.content_decisions).where(content_matching(f, t, conn.dialect.name))
    return int(conn.execute(query).scalar_one())


def content_sample_ids(conn: Connection, f: AmnestyFilter, t: int, limit: int) -> list[str]:
    if not f.covers.content:
        return []
    query = select(CD.id).where(content_matching(f, t, conn.dialect.name)).order_by(CD.id).limit(limit)
    return list(conn.execute(query).scalars())


def freeze_content_targets(conn: Connection, amnesty_id: str, f: AmnestyFilter, t: int, after: int) -> int:
    """Write the content decisions ``f`` matches now, in id order, as the amnesty's work list after
    its ``after`` sanctions; returns how many (0 unless it covers content)."""
    if not f.covers.content:
        return 0
    chosen = select(literal(amnesty_id), func.row_number().over(order_by=CD.id) + after, CD.id).where(
        content_matching(f, t, conn.dialect.name)
    )
    conn.execute(insert(tables.amnesty_targets).from_select(["amnesty_id", "position", "sanction_id"], chosen))
    total = conn.execute(select(func.count()).where(AT.amnesty_id == amnesty_id, AT.position > after)).scalar_one()
    return int(total)


def content_targets(conn: Connection, amnesty_id: str, after: int, upto: int) -> list[tuple[int, str]]:
    """``(position, content decision id)`` of the content targets in ``(after, upto]``."""
    query = (
        select(AT.position, AT.sanction_id)
        .where(AT.amnesty_id == amnesty_id, AT.position > after, AT.position <= upto)
        .order_by(AT.position)
    )
    return [(p, i) for p, i in conn.execute(query).all()]


def count_restored_content(conn: Connection, amnesty_id: str) -> int:
    """The content decisions the amnesty has restored so far (``amnesties.content_restored``)."""
    return int(conn.execute(select(AM.content_restored).where(AM.id == amnesty_id)).scalar_one())


def count_matching(conn: Connection, f: AmnestyFilter, t: int) -> int:
    if not f.covers.sanctions:
        return 0
    query = select(func.count()).select_from(tables.sanctions).where(matching(f, t, conn.dialect.name))
    return int(conn.execute(query).scalar_one())


def sample_rows(conn: Connection, f: AmnestyFilter, t: int, limit: int) -> list[Any]:
    if not f.covers.sanctions:
        return []
    query = select(tables.sanctions).where(matching(f, t, conn.dialect.name)).order_by(S.id).limit(limit)
    return list(conn.execute(query))


def freeze_targets(conn: Connection, amnesty_id: str, f: AmnestyFilter, t: int) -> int:
    """Write the sanctions ``f`` matches now, in id order, as the amnesty's work list; returns how many."""
    if not f.covers.sanctions:
        return 0
    chosen = select(literal(amnesty_id), func.row_number().over(order_by=S.id), S.id).where(
        matching(f, t, conn.dialect.name)
    )
    conn.execute(insert(tables.amnesty_targets).from_select(["amnesty_id", "position", "sanction_id"], chosen))
    total = conn.execute(select(func.count()).where(AT.amnesty_id == amnesty_id)).scalar_one()
    return int(total)


# --- the passes: cursor, lease, batches --------------------------------------------------


class RunRow(NamedTuple):
    amnesty_id: str
    phase: str
    position: int
    total: int
    processed: int
    skipped: int
    done: int
    claimed_by: str | None
    lease_until: int | None
    started_at: int
    updated_at: int
    resumed_at: int | None
    resumed_from: int | None
    error: str | None


def create_run(conn: Connection, amnesty_id: str, phase: Phase, total: int, now_us: int) -> None:
    conn.execute(
        insert(tables.amnesty_runs).values(
            amnesty_id=amnesty_id,
            phase=phase.value,
            position=0,
            total=total,
            processed=0,
            skipped=0,
            done=1 if total == 0 else 0,
            started_at=now_us,
            updated_at=now_us,
        )
    )


def run_row(conn: Connection, amnesty_id: str, phase: Phase) -> RunRow | None:
    row = conn.execute(select(tables.amnesty_runs).where(AR.amnesty_id == amnesty_id, AR.phase == phase.value)).first()
    return RunRow(*row) if row is not None else None


def claim(conn: Connection, amnesty_id: str, phase: Phase, owner: str, now_us: int, lease_us: int) -> bool:
    """Take the pass for ``owner`` if nobody holds a live lease on it; True if it is now ours."""
    result = conn.execute(
        update(tables.amnesty_runs)
        .where(
            AR.amnesty_id == amnesty_id,
            AR.phase == phase.value,
            AR.done == 0,
            or_(AR.claimed_by.is_(None), AR.claimed_by == owner, AR.lease_until < now_us),
        )
        .values(
            claimed_by=owner,
            lease_until=now_us + lease_us,
            error=None,
            resumed_at=now_us,
            resumed_from=AR.processed,
        )
    )
    return result.rowcount == 1


def take_over(
    conn: Connection, amnesty_id: str, phase: Phase, gone: str | None, owner: str, now_us: int, lease_us: int
) -> bool:
    """Take the pass from ``gone``, a process known to be dead, if it still holds it."""
    holder = AR.claimed_by.is_(None) if gone is None else AR.claimed_by == gone
    result = conn.execute(
        update(tables.amnesty_runs)
        .where(AR.amnesty_id == amnesty_id, AR.phase == phase.value, AR.done == 0, holder)
        .values(
            claimed_by=owner,
            lease_until=now_us + lease_us,
            error=None,
            resumed_at=now_us,
            resumed_from=AR.processed,
        )
    )
    return result.rowcount == 1


def release(conn: Connection, amnesty_id: str, phase: Phase, owner: str, error: str | None) -> None:
    conn.execute(
        update(tables.amnesty_runs)
        .where(AR.amnesty_id == amnesty_id, AR.phase == phase.value, AR.claimed_by == owner)
        .values(claimed_by=None, lease_until=None, error=error)
    )


def advance(
    conn: Connection,
    run: RunRow,
    *,
    owner: str,
    position: int,
    processed: int,
    skipped: int,
    now_us: int,
    lease_us: int,
) -> None:
    """Move the cursor past a batch, in the batch's own transaction, and renew the lease.

    Guarded by the cursor as read and by the owner: if another process took the pass over
    meanwhile, this raises and the batch's transaction is rolled back, events included.
    """
    done = 1 if position >= run.total else 0
    result = conn.execute(
        update(tables.amnesty_runs)
        .where(
            AR.amnesty_id == run.amnesty_id,
            AR.phase == run.phase,
            AR.position == run.position,
            AR.claimed_by == owner,
        )
        .values(
            position=position,
            processed=AR.processed + processed,
            skipped=AR.skipped + skipped,
            done=done,
            updated_at=now_us,
            lease_until=now_us + lease_us,
            claimed_by=None if done else owner,
        )
    )
    if result.rowcount != 1:
        raise LeaseLost(f"amnesty {run.amnesty_id}: another process took over its {run.phase} pass")


class LeaseLost(Exception):
    """Raised inside a batch whose pass another process took over: the batch is rolled back."""


def unfinished_runs(conn: Connection, now_us: int) -> list[RunRow]:
    """Passes not done, not failed, whose lease is free or has expired: what a restart takes over."""
    rows = conn.execute(
        select(tables.amnesty_runs)
        .where(AR.done == 0, AR.error.is_(None), or_(AR.claimed_by.is_(None), AR.lease_until < now_us))
        .order_by(AR.amnesty_id, AR.phase)
    )
    return [RunRow(*r) for r in rows]


def all_runs(conn: Connection, amnesty_ids: Sequence[str] | None = None) -> list[RunRow]:
    query = select(tables.amnesty_runs).order_by(AR.amnesty_id, AR.phase)
    if amnesty_ids is not None:
        query = query.where(AR.amnesty_id.in_(list(amnesty_ids)))
    return [RunRow(*r) for r in conn.execute(query)]


class LiftTarget(NamedTuple):
    position: int
    sanction_id: str
    active: bool


def lift_batch(conn: Connection, amnesty_id: str, after: int, upto: int, t: int) -> list[LiftTarget]:
    """The targets in ``(after, upto]`` and whether each is still active at ``t``, in one statement."""
    # A correlated lookup per target, on the sanctions' primary key: no planner turns it into a
    # scan of every sanction, statistics or not (right after a bulk import there are none).
    still_active = select(case((active_at(t), 1), else_=0)).where(S.id == AT.sanction_id).scalar_subquery()
    query = (
        select(AT.position, AT.sanction_id, func.coalesce(still_active, 0))
        .where(AT.amnesty_id == amnesty_id, AT.position > after, AT.position <= upto)
        .order_by(AT.position)
    )
    return [LiftTarget(p, s, bool(a)) for p, s, a in conn.execute(query).all()]


def record_lift_range(conn: Connection, amnesty_id: str, first_seq: int, last_seq: int) -> None:
    """Remember the seqs of a batch's lift events: what a revert will undo."""
    conn.execute(
        insert(tables.amnesty_lift_ranges).values(amnesty_id=amnesty_id, first_seq=first_seq, last_seq=last_seq)
    )


def revert_batch(conn: Connection, amnesty_id: str, after: int, upto: int) -> list[Any]:
    """Sanction rows of the targets in ``(after, upto]`` that the amnesty lifted and that nothing changed
    since: their last change (``updated_seq``) is one of the amnesty's lift events."""
    ours = exists().where(AL.amnesty_id == amnesty_id, AL.first_seq <= S.updated_seq, AL.last_seq >= S.updated_seq)
    query = (
        select(tables.sanctions, AT.position)
        .select_from(tables.amnesty_targets.join(tables.sanctions, S.id == AT.sanction_id))
        .where(AT.amnesty_id == amnesty_id, AT.position > after, AT.position <= upto, ours)
        .order_by(AT.position)
    )
    return list(conn.execute(query).all())


def mark_restored(conn: Connection, amnesty_id: str, restored: Sequence[tuple[int, str]]) -> None:
    if restored:
        conn.execute(
            update(tables.amnesty_targets)
            .where(AT.amnesty_id == bindparam("a"), AT.position == bindparam("p"))
            .values(restored_id=bindparam("r")),
            [{"a": amnesty_id, "p": p, "r": r} for p, r in restored],
        )


def restored_ids(conn: Connection, amnesty_id: str) -> list[tuple[str, str]]:
    """``(original, re-imposed)`` sanction ids of a revert, in target order."""
    rows = conn.execute(
        select(AT.sanction_id, AT.restored_id)
        .where(AT.amnesty_id == amnesty_id, AT.restored_id.is_not(None))
        .order_by(AT.position)
    )
    return [(a, b) for a, b in rows]


def count_restored(conn: Connection, amnesty_id: str) -> int:
    query = select(func.count()).where(AT.amnesty_id == amnesty_id, AT.restored_id.is_not(None))
    return int(conn.execute(query).scalar_one())


# --- reading amnesties -------------------------------------------------------------------


def amnesty_row(conn: Connection, amnesty_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(tables.amnesties).where(AM.id == amnesty_id)).first()
    return dict(row._mapping) if row is not None else None


def amnesty_rows(conn: Connection, operator: str | None = None) -> list[dict[str, Any]]:
    query = select(tables.amnesties).order_by(AM.id)
    if operator is not None:
        query = query.where(AM.operator_id == operator)
    return [dict(r._mapping) for r in conn.execute(query)]


# --- the projection ----------------------------------------------------------------------


def amnesties_started(projector: Projector, events: list[Applied[AmnestyStarted]]) -> None:
    conn = projector.conn
    for e in events:
        d = e.event
        conn.execute(
            insert(tables.amnesties).values(
                id=d.id,
                operator_id=d.operator,
                state=AmnestyState.RUNNING.value,
                filter=json.dumps(d.filter, sort_keys=True),
                reason=d.reason,
                effective_at=to_micros(parse_instant(d.effective_at)),
                matched=d.matched,
                content_matched=int(d.extra.get("content_matched", 0)),
                content_restored=0,
                lifted=0,
                skipped=None,
                restored=0,
                left_alone=None,
                created_by=d.by,
                started_at=to_micros(parse_instant(d.started_at)),
                created_seq=e.seq,
                updated_seq=e.seq,
            )
        )


def amnesties_completed(projector: Projector, events: list[Applied[AmnestyCompleted]]) -> None:
    conn = projector.conn
    for e in events:
        d = e.event
        conn.execute(
            update(tables.amnesties)
            .where(AM.id == d.id)
            .values(
                state=AmnestyState.COMPLETED.value,
                lifted=d.lifted,
                skipped=d.skipped,
                finished_at=to_micros(parse_instant(d.finished_at)),
                updated_seq=e.seq,
            )
        )


def amnesty_reverts_started(projector: Projector, events: list[Applied[AmnestyRevertStarted]]) -> None:
    conn = projector.conn
    for e in events:
        d = e.event
        conn.execute(
            update(tables.amnesties)
            .where(AM.id == d.id)
            .values(
                state=AmnestyState.REVERTING.value,
                revert_reason=d.reason,
                reverted_by=d.by,
                revert_started_at=to_micros(parse_instant(d.started_at)),
                updated_seq=e.seq,
            )
        )


def amnesties_reverted(projector: Projector, events: list[Applied[AmnestyReverted]]) -> None:
    conn = projector.conn
    for e in events:
        d = e.event
        conn.execute(
            update(tables.amnesties)
            .where(AM.id == d.id)
            .values(
                state=AmnestyState.REVERTED.value,
                restored=d.restored,
                left_alone=d.left_alone,
                reverted_at=to_micros(parse_instant(d.finished_at)),
                updated_seq=e.seq,
            )
        )


def apply_amnesty_lifts(conn: Connection, events: Sequence[Applied[SanctionLifted]]) -> None:
    """Project a run of ``sanction.lifted`` events that name an amnesty, set-based.

    Equal, row for row, to applying them one by one through ``Projector.sanctions_changed``:
    the lift is appended to ``changes`` as that method writes it (``json.dumps`` of the list
    of ``Change.to_dict()``), ``lifted_at`` becomes the earliest lift, and every span is cut
    at the lift (spans are a function of the terms, clipped at the earliest lift). The
    sanction rows are changed in place by the database, without reading them.
    """
    if not events:
        return
    instants: dict[str, tuple[str, int]] = {}
    lifts: list[tuple[str, int, str, int]] = []  # (id, t, ', ' + the change as JSON, seq)
    cuts: dict[str, int] = {}
    for e in events:
        sanction_id = e.event.id
        when = instants.get(e.effective_at)
        if when is None:
            effective = parse_instant(e.effective_at)
            when = instants[e.effective_at] = (json.dumps(format_instant(effective)), to_micros(effective))
        text, t = when
        change = (
            ', {"type": "lifted", "seq": '
            + str(e.seq)
            + ', "effective_at": '
            + text
            + ', "kind": null, "ends_at": null, "denies": [], "review_at": null}'
        )
        lifts.append((sanction_id, t, change, e.seq))
        cut = cuts.get(sanction_id)
        cuts[sanction_id] = t if cut is None else min(cut, t)
    if conn.dialect.name == "postgresql":
        _write_lifts_postgresql(conn, lifts, cuts)
    else:
        _write_lifts_sqlite(conn, lifts, cuts)
    counts = Counter(e.event.extra["amnesty"] for e in events)
    last = events[-1].seq
    for amnesty_id, count in counts.items():
        conn.execute(
            update(tables.amnesties).where(AM.id == amnesty_id).values(lifted=AM.lifted + count, updated_seq=last)
        )


def _write_lifts_sqlite(conn: Connection, lifts: list[tuple[str, int, str, int]], cuts: dict[str, int]) -> None:
    # executemany runs in order: a sanction lifted twice in one run gets both lifts, in turn.
    conn.exec_driver_sql(
        "UPDATE sanctions SET lifted_at = CASE WHEN lifted_at IS NULL OR lifted_at > ?1 THEN ?1 ELSE lifted_at END,"
        " changes = substr(changes, 1, length(changes) - 1) || ?2 || ']', updated_seq = ?3 WHERE id = ?4",
        [(t, change, seq, sanction_id) for sanction_id, t, change, seq in lifts],
    )
    conn.exec_driver_sql("DELETE FROM sanction_spans WHERE sanction_id = ? AND active_from >= ?", list(cuts.items()))
    conn.exec_driver_sql(
        "UPDATE sanction_spans SET active_until = ?2 WHERE sanction_id = ?1 AND active_until > ?2", list(cuts.items())
    )


# The ``= ANY(...)`` beside each join condition is what the plan starts from: the batch's rows
# found through the primary key, never a scan of every sanction or span joined by hash (the plan
# PostgreSQL picks for the join alone, with or without statistics).
#
# The batch's columns travel as one text each, split by the server (``string_to_array``): psycopg
# dumps a Python list as an array in Python, element by element with a regular expression, which
# took about half of the amnesty's Python time. The separator, the unit separator U+001F, is in no
# id and in no JSON text (json.dumps escapes control characters); ``_joined`` checks the ids.
_SEP = "\x1f"
_IDS = "string_to_array(%(ids)s, E'\\x1f')"
_LIFT_ROWS_POSTGRESQL = (
    "UPDATE sanctions s SET lifted_at = CASE WHEN s.lifted_at IS NULL OR s.lifted_at > v.t THEN v.t"
    " ELSE s.lifted_at END, changes = left(s.changes, -1) || v.change || ']', updated_seq = v.seq"
    f" FROM (SELECT unnest({_IDS}) AS id, unnest(string_to_array(%(ts)s, ',')::bigint[]) AS t,"
    " unnest(string_to_array(%(changes)s, E'\\x1f')) AS change,"
    " unnest(string_to_array(%(seqs)s, ',')::bigint[]) AS seq) v"
    f" WHERE s.id = v.id AND s.id = ANY({_IDS})"
)
_CUTS_POSTGRESQL = f"(SELECT unnest({_IDS}) AS id, unnest(string_to_array(%(cuts)s, ',')::bigint[]) AS cut) v"


def _joined(texts: Sequence[str]) -> str:
    joined = _SEP.join(texts)
    if joined.count(_SEP) != len(texts) - 1:
        raise ValueError("an amnesty target's id holds the separator U+001F")
    return joined


def _numbers(values: Sequence[int]) -> str:
    return ",".join(map(str, values))


def _write_lifts_postgresql(conn: Connection, lifts: list[tuple[str, int, str, int]], cuts: dict[str, int]) -> None:
    # One UPDATE changes a row once: a sanction lifted twice in one run (a replay) takes two rounds.
    pending = lifts
    while pending:
        seen: set[str] = set()
        this_round: list[tuple[str, int, str, int]] = []
        later: list[tuple[str, int, str, int]] = []
        for lift in pending:
            (later if lift[0] in seen else this_round).append(lift)
            seen.add(lift[0])
        conn.exec_driver_sql(
            _LIFT_ROWS_POSTGRESQL,
            {
                "ids": _joined([x[0] for x in this_round]),
                "ts": _numbers([x[1] for x in this_round]),
                "changes": _SEP.join([x[2] for x in this_round]),
                "seqs": _numbers([x[3] for x in this_round]),
            },
        )
        pending = later
    arrays = {"ids": _joined(list(cuts)), "cuts": _numbers(list(cuts.values()))}
    conn.exec_driver_sql(
        f"DELETE FROM sanction_spans sp USING {_CUTS_POSTGRESQL} WHERE sp.sanction_id = v.id"
        f" AND sp.sanction_id = ANY({_IDS}) AND sp.active_from >= v.cut",
        arrays,
    )
    conn.exec_driver_sql(
        f"UPDATE sanction_spans sp SET active_until = v.cut FROM {_CUTS_POSTGRESQL}"
        f" WHERE sp.sanction_id = v.id AND sp.sanction_id = ANY({_IDS}) AND sp.active_until > v.cut",
        arrays,
    )


#: Handlers of the amnesty's own events, for ``reprieve.store.projector``.
HANDLERS: dict[type[Any], Handler] = {
    AmnestyStarted: amnesties_started,
    AmnestyCompleted: amnesties_completed,
    AmnestyRevertStarted: amnesty_reverts_started,
    AmnestyReverted: amnesties_reverted,
}
