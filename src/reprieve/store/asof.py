"""Record time (PRODUCT.md section 8): which events were recorded by an instant.

Every event is stamped with its recording instant (``events.at``). Since the hardening issue a
clock's reading is taken after the write lock and never before the head's, so that "recorded
by T" is a prefix of the log; but an instant given as it is (the demo's story, told operator by
operator, an import, a test's fixed clock) is recorded as given, and a log may hold events out
of that order. ``Known`` therefore answers for each event by its own ``events.at``: an event is
known ``as_of`` T iff it was recorded at or before T, whatever its position. In a log whose
instants never go backwards that is exactly the prefix ``seq <= S(T)`` (``seq_as_of``).

Each test is a look-up of an event by its primary key (``seq``) beside the row that names it
(a sanction's changes, an appeal's ``created_seq``...): an indexed read, never a replay.

``events.at`` holds RFC 3339 text whose microseconds are omitted when zero, so its text order
is its time order except within one second (``...:07Z`` sorts after ``...:07.5Z``): the events
of T's own second (found by ``ix_events_at_seq``, migration 0020) are compared as instants,
every earlier second by its text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, func, or_, select, true

from reprieve.domain.model import AccountRef, Platform
from reprieve.domain.sanctions import Sanction, denials_on, known_by
from reprieve.domain.standing import ResolvedSpan
from reprieve.domain.time import format_instant, parse_instant, to_micros
from reprieve.store import tables
from reprieve.store.due_process import DirectStrike, ReportedStrike, probation_of
from reprieve.store.links import identity_now, link_history
from reprieve.store.queries import sanction_from_row
from reprieve.store.raw import fetch_all
from reprieve.store.standing import StandingRows

A = tables.accounts.c
E = tables.events.c
S = tables.sanctions.c
SC = tables.sanction_scope.c
V = tables.violations.c
P = tables.probations.c
AP = tables.appeals.c

_BEFORE = "SELECT seq FROM events WHERE at < {p} ORDER BY at DESC, seq DESC LIMIT 1"
_SAME_SECOND = "SELECT seq, at FROM events WHERE at >= {p} AND at < {q} ORDER BY at, seq"
_STYLE = {"sqlite": (":p", ":q"), "postgresql": ("%(p)s", "%(q)s")}


@dataclass(frozen=True, slots=True)
class Known:
    """The events recorded by an instant ``as_of``: those of an earlier second, and
    ``same_second`` (the seqs of its own second recorded at or before it)."""

    as_of: datetime
    second: str  #: ``YYYY-MM-DDTHH:MM:SS`` of ``as_of``, the prefix of every instant of that second
    same_second: frozenset[int]

    def sql(self, seq: Any) -> ColumnElement[bool]:
        """A condition on a row: the event ``seq`` (a column) was recorded by ``as_of``."""
        recorded = E.at < self.second
        if self.same_second:
            recorded = or_(recorded, E.seq.in_(sorted(self.same_second)))
        return exists().where(E.seq == seq, recorded)

    def of(self, conn: Connection, seqs: Iterable[int]) -> frozenset[int]:
        """Those of ``seqs`` recorded by ``as_of`` (one look-up by primary key per 500)."""
        wanted = sorted(set(seqs))
        found: set[int] = set()
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            rows = conn.execute(select(E.seq, E.at).where(E.seq.in_(chunk)))
            found.update(seq for seq, at in rows if at < self.second or seq in self.same_second)
        return frozenset(found)


def known_as_of(conn: Connection, as_of: datetime) -> Known:
    """What was recorded by ``as_of``."""
    second = (format_instant(as_of) or "")[:19]
    p, q = _STYLE[conn.dialect.name]
    rows = fetch_all(conn, _SAME_SECOND.format(p=p, q=q), {"p": second, "q": second + "~"})
    return Known(as_of, second, frozenset(int(seq) for seq, at in rows if parse_instant(at) <= as_of))


def seq_as_of(conn: Connection, as_of: datetime) -> int:
    """S(as_of): the greatest seq recorded at or before ``as_of`` (0: nothing was), in a log whose
    recording instants never go backwards (then "recorded by as_of" is ``seq <= S``)."""
    known = known_as_of(conn, as_of)
    if known.same_second:
        return max(known.same_second)
    p, _ = _STYLE[conn.dialect.name]
    rows = fetch_all(conn, _BEFORE.format(p=p), {"p": known.second})
    return int(rows[0][0]) if rows else 0


def sanction_as_of(conn: Connection, sanction: Sanction, known: Known) -> Sanction | None:
    """The sanction as the events recorded by ``known.as_of`` made it; None if created later."""
    return known_by(sanction, known.of(conn, (c.seq for c in sanction.changes)))


def sanctions_as_of(conn: Connection, sanctions: Iterable[Sanction], known: Known) -> dict[str, Sanction]:
    """``sanction_as_of`` of each, by id, in one look-up of their changes (those created later: absent)."""
    listed = list(sanctions)
    recorded = known.of(conn, (c.seq for s in listed for c in s.changes))
    found = {}
    for sanction in listed:
        as_known = known_by(sanction, recorded)
        if as_known is not None:
            found[as_known.id] = as_known
    return found


def standing_rows_as_of(
    conn: Connection, platform: Platform, account_id: str, known: Known | None, at_us: int
) -> StandingRows:
    """``store.standing.standing_rows`` as the events recorded by ``known.as_of`` knew them (None:
    every event), with the identity links in force at ``at_us``: an indexed read, not a replay.
    The account's sanctions (by identity) created by then are taken back to their changes
    recorded by then and their spans computed from those; violations and probations count if
    created by then; a granted appeal if its row last changed by then. Of the account's identity
    now, only what concerns the accounts linked with it at ``at_us`` (``store.links``) counts:
    the sanctions of their subjects, their violations, the probations after those sanctions."""
    seq_known = known.sql if known is not None else _always
    result = StandingRows()
    identity = conn.execute(
        select(A.identity_id).where(A.platform_id == platform.id, A.account_id == account_id, seq_known(A.created_seq))
    ).scalar_one_or_none()
    if identity is None:
        return result
    result.identity = identity
    members: list[AccountRef] | None = None
    linked = _linked_then(conn, identity, AccountRef(platform.id, account_id), known, at_us)
    if linked is not None:
        result.identity, members = linked
    in_scope = exists().where(SC.sanction_id == S.id, SC.platform_id == platform.id)
    of_members = _subject_among(members) if members is not None else true()
    rows = conn.execute(
        select(tables.sanctions).where(S.identity_id == identity, seq_known(S.created_seq), in_scope, of_members)
    )
    sanctions = (
        sanctions_as_of(conn, (sanction_from_row(row._mapping) for row in rows), known)
        if known is not None
        else {s.id: s for s in (sanction_from_row(row._mapping) for row in rows)}
    )
    granted = _granted_by(conn, list(sanctions), known)
    here = [ref.account for ref in members if ref.platform == platform.id] if members is not None else None
    violations = list(
        conn.execute(
            select(V.sanction_id, V.occurred_at, V.strike_expires_at).where(
                V.identity_id == identity,
                V.platform_id == platform.id,
                seq_known(V.created_seq),
                V.account_id.in_(here) if here is not None else true(),
            )
        )
    )
    by_violation = {v.sanction_id for v in violations if v.sanction_id is not None}
    by_violation |= set(
        conn.execute(
            select(V.sanction_id).where(V.sanction_id.in_(list(sanctions)), seq_known(V.created_seq))
        ).scalars()
    )
    for sanction in sanctions.values():
        if any(c.hold_until_review for c in sanction.changes):
            result.held.add(sanction.id)
        for span in sanction.spans():
            denies = denials_on(platform, span.kind, span.denies)
            result.spans.append(ResolvedSpan(sanction.id, span.start, span.end, span.kind, denies))
        if sanction.id not in by_violation:
            result.direct.append(
                DirectStrike(sanction.id, to_micros(sanction.starts_at), _lifted(sanction), granted.get(sanction.id))
            )
    for v in violations:
        imposed = sanctions.get(v.sanction_id) if v.sanction_id else None
        lifted = _lifted(imposed) if imposed is not None else None
        result.reported.append(
            ReportedStrike(v.occurred_at, v.strike_expires_at, v.sanction_id, lifted, granted.get(v.sanction_id or ""))
        )
    for p in conn.execute(
        select(P.id, P.starts_at, P.until, P.ladder, P.sanction_id).where(
            P.identity_id == identity,
            P.platform_id == platform.id,
            seq_known(P.created_seq),
            _probation_of_members(members) if members is not None else true(),
        )
    ):
        result.probations.append(probation_of(p.id, p.starts_at, p.until, p.ladder, p.sanction_id))
    return result


def _lifted(sanction: Sanction) -> int | None:
    lifted = sanction.lifted_at
    return to_micros(lifted) if lifted is not None else None


def _always(seq: Any) -> ColumnElement[bool]:
    return true()


def _linked_then(
    conn: Connection, identity: str, ref: AccountRef, known: Known | None, at_us: int
) -> tuple[str, list[AccountRef]] | None:
    """The identity ``ref`` was in at ``at_us`` as known then, and the accounts in it; None when
    every link of its identity now was in force and known (its identity now is the answer)."""
    history = link_history(conn, identity)
    if not history.moves:
        return None
    recorded = known.of(conn, history.seqs()) if known is not None else None
    if history.all_in_force(at_us, recorded):
        return None
    accounts = [
        AccountRef(p, a) for p, a in conn.execute(select(A.platform_id, A.account_id).where(A.identity_id == identity))
    ]
    then = history.identities_then(accounts, at_us, recorded)
    return then[ref], [other for other in accounts if then[other] == then[ref]]


def _subject_among(members: list[AccountRef]) -> ColumnElement[bool]:
    return or_(*(and_(S.subject_platform == m.platform, S.subject_account == m.account) for m in members))


def _probation_of_members(members: list[AccountRef]) -> ColumnElement[bool]:
    """A probation follows the sanction whose lift began it: of the members' subjects."""
    theirs = select(S.id).where(_subject_among(members))
    return or_(P.sanction_id.is_(None), P.sanction_id.in_(theirs))


def _granted_by(conn: Connection, sanction_ids: list[str], known: Known | None) -> dict[str, int]:
    if not sanction_ids:
        return {}
    recorded = known.sql(AP.updated_seq) if known is not None else true()
    rows = conn.execute(
        select(AP.sanction_id, func.min(AP.decided_at))
        .where(AP.sanction_id.in_(sanction_ids), AP.state == "granted", recorded)
        .group_by(AP.sanction_id)
    )
    return {r[0]: int(r[1]) for r in rows if r[1] is not None}


@dataclass(frozen=True, slots=True)
class IdentityThen:
    """An identity as the events recorded by an instant knew it, with the links then."""

    id: str
    operator: str
    accounts: tuple[AccountRef, ...]
    created_seq: int


def identity_as_of(conn: Connection, identity_id: str, known: Known) -> IdentityThen | None:
    """The identity ``identity_id`` (one now, or one a later link merged away) and its accounts
    at ``known.as_of`` as known then (a link takes effect when it is recorded); None if it had
    no account yet."""
    now = identity_now(conn, identity_id)
    if now is None:
        return None
    row = conn.execute(select(tables.identities).where(tables.identities.c.id == now)).one()
    history = link_history(conn, now)
    recorded = known.of(conn, history.seqs())
    accounts = {
        AccountRef(r.platform_id, r.account_id): r.created_seq
        for r in conn.execute(
            select(A.platform_id, A.account_id, A.created_seq).where(A.identity_id == now, known.sql(A.created_seq))
        )
    }
    then = history.identities_then(accounts, to_micros(known.as_of), recorded)
    members = sorted((ref for ref in accounts if then[ref] == identity_id), key=lambda r: (r.platform, r.account))
    if not members:
        return None
    created = row.created_seq if now == identity_id else min(accounts[ref] for ref in members)
    return IdentityThen(identity_id, row.operator_id, tuple(members), created)
