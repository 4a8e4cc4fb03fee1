"""Record time (PRODUCT.md section 8): which events were recorded by an instant.

Every event is stamped with its recording instant (``events.at``), and those instants never go
backwards along the log (``store.uow``: an instant earlier than the head's is raised to it). "Recorded
by T" is therefore a prefix of the log, ``seq <= S(T)`` (``seq_as_of``, found once by the index
``ix_events_at_seq``): a read as of T is the present read restricted to that prefix, with no look-up
of each event.

A log written before recording instants were raised (given instants were then taken as they were:
the demo told operator by operator, a history imported out of order) may hold events whose instant
is earlier than one before them; ``reprieve audit verify`` says so. Such a log is read by its
prefix too: S(T) is the last event recorded by T, so an event before it recorded after T (out of
order) counts as known, and one after it recorded before T does not (docs/time.md).

``events.at`` holds RFC 3339 text whose microseconds are omitted when zero, so its text order
is its time order except within one second (``...:07Z`` sorts after ``...:07.5Z``): the events
of T's own second are compared as instants, every earlier second by its text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, and_, case, exists, func, or_, select, true

from reprieve.domain.model import AccountRef, Platform
from reprieve.domain.sanctions import Sanction, denials_on, known_by
from reprieve.domain.standing import ResolvedSpan
from reprieve.domain.time import format_instant, to_micros
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


def _styled(statement: str) -> dict[str, str]:
    return {"sqlite": statement.format(p=":p", q=":q"), "postgresql": statement.format(p="%(p)s", q="%(q)s")}


#: The last event of a range of instants (by text), of one instant, and the instant of the last before one.
_LAST_BETWEEN = _styled("SELECT seq FROM events WHERE at >= {p} AND at <= {q} ORDER BY at DESC, seq DESC LIMIT 1")
_LAST_AT = _styled("SELECT seq FROM events WHERE at = {p} ORDER BY seq DESC LIMIT 1")
_BEFORE = _styled("SELECT at FROM events WHERE at < {p} ORDER BY at DESC, seq DESC LIMIT 1")


@dataclass(frozen=True, slots=True)
class Known:
    """The events recorded by an instant ``as_of``: the log's first ``seq`` events."""

    as_of: datetime
    seq: int  #: S(as_of): the last event recorded at or before ``as_of`` (0: none was)

    def sql(self, seq: Any) -> ColumnElement[bool]:
        """A condition on a row: the event ``seq`` (a column) was recorded by ``as_of``."""
        return cast("ColumnElement[bool]", seq <= self.seq)

    def of(self, conn: Connection, seqs: Iterable[int]) -> frozenset[int]:
        """Those of ``seqs`` recorded by ``as_of`` (``conn``: unused, the prefix needs no read)."""
        return frozenset(s for s in seqs if s <= self.seq)


def known_as_of(conn: Connection, as_of: datetime) -> Known:
    """What was recorded by ``as_of``."""
    return Known(as_of, seq_as_of(conn, as_of))


def seq_as_of(conn: Connection, as_of: datetime) -> int:
    """S(as_of): the greatest seq recorded at or before ``as_of`` (0: nothing was); the events
    recorded by ``as_of`` are ``seq <= S`` (the module docstring).

    A few look-ups of one row each on ``ix_events_at_seq`` (at, seq), whatever the number of
    events recorded in one second (a bulk import records a batch at one instant). Within a second
    the instants with a fraction (six digits: their text order is their time order) come after
    the whole second's ("...SSZ"), so the last event of a second is the last with a fraction if
    there is one, else the last at the whole second."""
    second = (format_instant(as_of) or "")[:19]
    style = conn.dialect.name
    if as_of.microsecond:  # as_of's own second, up to as_of
        found = _one(conn, _LAST_BETWEEN[style], {"p": second + ".", "q": f"{second}.{as_of.microsecond:06d}Z"})
        if found is not None:
            return int(found)
    found = _one(conn, _LAST_AT[style], {"p": second + "Z"})
    if found is not None:
        return int(found)
    before = _one(conn, _BEFORE[style], {"p": second})
    if before is None:
        return 0
    last = str(before)[:19]  # the last second before as_of's: every event of it is known
    found = _one(conn, _LAST_BETWEEN[style], {"p": last + ".", "q": last + ".~"})
    if found is None:
        found = _one(conn, _LAST_AT[style], {"p": last + "Z"})
    return int(found) if found is not None else 0


def _one(conn: Connection, statement: str, parameters: dict[str, Any]) -> Any:
    rows = fetch_all(conn, statement, parameters)
    return rows[0][0] if rows else None


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


#: What a standing as of a past instant reads, in one statement (``_by_prefix``), as
#: ``store.standing`` reads the present: the account's identity if it was registered by S (:s),
#: whether any link ever moved an account of that identity (then ``standing_rows_as_of`` takes
#: the links into account, a rare and longer path), its sanctions in the platform's scope
#: created by S with their changes (taken back to S in Python) and the first appeal granted by S,
#: and whether a violation recorded by S imposed them; its violations and probations by S.
_PREFIX = """
WITH a AS (SELECT identity_id FROM accounts WHERE platform_id = {p} AND account_id = {a} AND created_seq <= {s})
SELECT 'i', a.identity_id, CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT),
       CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT),
       (SELECT 1 FROM identity_links l WHERE l.identity_id = a.identity_id{limit})
  FROM a
UNION ALL
SELECT 's', s.id, s.operator_id, s.subject_platform, s.subject_account, s.reason, s.automated, s.changes,
       s.starts_at,
       (SELECT min(ap.decided_at) FROM appeals ap
         WHERE ap.sanction_id = s.id AND ap.state = 'granted' AND ap.updated_seq <= {s}),
       NULL,
       (SELECT 1 FROM violations v WHERE v.sanction_id = s.id AND v.created_seq <= {s}{limit})
  FROM sanctions s
 WHERE s.identity_id = (SELECT identity_id FROM a) AND s.created_seq <= {s}
   AND EXISTS (SELECT 1 FROM sanction_scope sc WHERE sc.sanction_id = s.id AND sc.platform_id = {p}{fence})
UNION ALL
SELECT 'v', v.sanction_id, NULL, NULL, NULL, NULL, NULL, NULL, v.occurred_at,
       CASE WHEN v.strike_ended_seq > {s} THEN v.strike_expiry ELSE v.strike_expires_at END, NULL, NULL
  FROM violations v
 WHERE v.identity_id = (SELECT identity_id FROM a) AND v.platform_id = {p} AND v.created_seq <= {s}
UNION ALL
SELECT 'p', p.id, p.sanction_id, p.ladder, NULL, NULL, NULL, NULL, p.starts_at, p."until", NULL, NULL
  FROM probations p
 WHERE p.identity_id = (SELECT identity_id FROM a) AND p.platform_id = {p} AND p.created_seq <= {s}
"""
_PREFIX_BY_DIALECT = {
    "sqlite": _PREFIX.format(p=":p", a=":a", s=":s", fence="", limit=" LIMIT 1"),
    "postgresql": _PREFIX.format(p="%(p)s", a="%(a)s", s="%(s)s", fence=" OFFSET 0", limit=" LIMIT 1"),
}


def _by_prefix(conn: Connection, platform: Platform, account_id: str, known: Known) -> StandingRows | None:
    """``standing_rows_as_of`` in one statement, for an identity no link ever changed (None: one did)."""
    rows = fetch_all(conn, _PREFIX_BY_DIALECT[conn.dialect.name], {"p": platform.id, "a": account_id, "s": known.seq})
    result = StandingRows()
    sanctions: dict[str, Sanction] = {}
    granted: dict[str, int] = {}
    by_violation: set[str] = set()
    violations = []
    for tag, t1, t2, t3, t4, t5, t6, t7, i1, i2, _i3, flag in rows:
        if tag == "i":
            if flag is not None:
                return None  # linked once: the links in force at the instant asked about decide
            result.identity = t1
        elif tag == "s":
            row = {
                "id": t1,
                "operator_id": t2,
                "identity_id": result.identity,
                "subject_platform": t3,
                "subject_account": t4,
                "starts_at": i1,
                "reason": t5,
                "automated": t6,
                "changes": t7,
            }
            sanction = sanction_from_row(row)
            as_known = known_by(sanction, known.of(conn, (c.seq for c in sanction.changes)))
            if as_known is not None:
                sanctions[t1] = as_known
                if i2 is not None:
                    granted[t1] = int(i2)
                if flag is not None:
                    by_violation.add(t1)
        elif tag == "v":
            violations.append((t1, i1, i2))
            if t1 is not None:
                by_violation.add(t1)
        else:
            result.probations.append(probation_of(t1, i1, i2, t3, t2))
    if result.identity is not None:
        _assemble(result, platform, sanctions, granted, by_violation, violations)
    return result


def _assemble(
    result: StandingRows,
    platform: Platform,
    sanctions: dict[str, Sanction],
    granted: dict[str, int],
    by_violation: set[str],
    violations: Iterable[tuple[str | None, int, int | None]],
) -> None:
    """Into ``result``: the spans of ``sanctions`` (as known), the strikes of those imposed directly
    (not by a violation) and of ``violations`` ``(sanction, occurred_at, strike_expires_at)``,
    each with the first appeal ``granted``; the held ones; and the sanctions themselves."""
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
    for sanction_id, occurred, expires in violations:
        imposed = sanctions.get(sanction_id) if sanction_id else None
        lifted = _lifted(imposed) if imposed is not None else None
        result.reported.append(ReportedStrike(occurred, expires, sanction_id, lifted, granted.get(sanction_id or "")))
    result.known = sanctions


def strike_end_known(known: Known | None) -> ColumnElement[Any]:
    """A violation's ``strike_expires_at`` as the events recorded by ``known.as_of`` knew it: a
    restoration of its content decision recorded later had not ended it yet (its own expiry,
    ``strike_expiry``, held); None: as known now."""
    if known is None:
        return V.strike_expires_at
    return case((V.strike_ended_seq > known.seq, V.strike_expiry), else_=V.strike_expires_at)


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
    if known is not None:
        fast = _by_prefix(conn, platform, account_id, known)
        if fast is not None:
            return fast
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
            select(V.sanction_id, V.occurred_at, strike_end_known(known)).where(
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
    _assemble(result, platform, sanctions, granted, by_violation, [tuple(v) for v in violations])
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
