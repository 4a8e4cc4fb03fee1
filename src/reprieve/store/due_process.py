"""Reads of the due-process projections: reviews, appeals, violations, strikes and probation."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, and_, exists, func, insert, not_, or_, select

from reprieve.domain.content import ContentChangeType, ContentDecision
from reprieve.domain.filters import AppealFilter, ReviewFilter
from reprieve.domain.policy import ladder_from_data
from reprieve.domain.reviews import Assessment, Review, ReviewState, Risk
from reprieve.domain.sanctions import ChangeType, Sanction, known_by
from reprieve.domain.strikes import Probation, strikes_made
from reprieve.domain.time import Duration, from_micros, parse_instant, to_micros
from reprieve.store import personal, tables
from reprieve.store.queries import decode_cursor, encode_cursor, load_sanction
from reprieve.store.raw import fetch_all

R = tables.reviews.c
RA = tables.review_assessments.c
AP = tables.appeals.c
V = tables.violations.c
P = tables.probations.c
S = tables.sanctions.c
SC = tables.sanction_scope.c
SP = tables.sanction_spans.c

# --- reviews -------------------------------------------------------------------------------


def review_row(conn: Connection, review_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(tables.reviews).where(R.id == review_id)).first()
    return dict(row._mapping) if row else None


def assessment_rows(conn: Connection, review_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(tables.review_assessments).where(RA.review_id == review_id).order_by(RA.seq))
    return [dict(r._mapping) for r in rows]


def load_review(conn: Connection, review_id: str) -> tuple[Review, dict[str, Any]] | None:
    """The review as the domain guards it, and its row."""
    row = review_row(conn, review_id)
    if row is None:
        return None
    rows = assessment_rows(conn, review_id)
    panel = json.loads(row["panel"])
    names = personal.names_of(conn, [*panel, *(a["reviewer"] for a in rows)])
    assessments = [
        Assessment(
            names.get(a["reviewer"], a["reviewer"]),
            Risk(a["risk"]),
            tuple(json.loads(a["factors"])),
            a["rationale"],
            from_micros(a["filed_at"]),
        )
        for a in rows
    ]
    review = Review(
        id=row["id"],
        operator=row["operator_id"],
        sanction=row["sanction_id"],
        # The panel's names, resolved outside the chain (an erased one matches nobody).
        panel=tuple(names.get(entry, entry) for entry in panel),
        quorum=row["quorum"],
        state=ReviewState(row["state"]),
        assessments=assessments,
        content_decision=row["content_decision_id"],
    )
    return review, row


def open_review_of(conn: Connection, sanction_id: str) -> str | None:
    return conn.execute(
        select(R.id).where(R.sanction_id == sanction_id, R.state == ReviewState.OPEN.value)
    ).scalar_one_or_none()


def open_review_of_content(conn: Connection, decision_id: str) -> str | None:
    """The open review of a content decision, if any."""
    return conn.execute(
        select(R.id).where(R.content_decision_id == decision_id, R.state == ReviewState.OPEN.value)
    ).scalar_one_or_none()


def reviews_of_content(conn: Connection, decision_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The review rows of these content decisions, by id."""
    if not decision_ids:
        return []
    rows = conn.execute(select(tables.reviews).where(R.content_decision_id.in_(list(decision_ids))).order_by(R.id))
    return [dict(r._mapping) for r in rows]


class ToldBy(StrEnum):
    """What a complaint window runs from (``Told.source``); the values are the wire format."""

    DELIVERY = "delivery"  #: the first delivery receipt of the decision's statement
    ISSUE = "issue"  #: the decision's statement, no receipt recorded
    IMPORT = "import"  #: an imported sanction's ``informed_at``
    DECISION = "decision"  #: no statement: the decision itself


class Told(NamedTuple):
    """When the user was told of the latest decision on a sanction, from which a complaint window
    runs (DSA art. 20(2)), and how it is known."""

    at: datetime
    source: ToldBy
    statement: str | None = None  #: the statement of that decision, if one was issued
    channel: str | None = None  #: a receipt's channel

    @property
    def informed_at(self) -> datetime | None:
        """When the user is known to have been informed: a receipt, or an import's word."""
        return self.at if self.source in (ToldBy.DELIVERY, ToldBy.IMPORT) else None


def latest_decision_told(conn: Connection, sanction: Sanction, *, known: int | None = None) -> Told:
    """When the user was told of the latest decision on ``sanction`` (PRODUCT.md section 8, "The
    user is informed"). A decision that issued a statement counts from the statement's first
    delivery receipt, else from its issue. Without a statement: an imported creation from the
    import's ``informed_at``; another creation from when it took effect; an amendment or a review
    decision from the later of when it took effect and when it was recorded (one recorded with an
    earlier ``effective_at`` does not shorten the window). ``known``: only the events recorded by
    that seq (a past ``as_of``): a receipt recorded later is not seen."""
    events = tables.events.c
    told: dict[int, Told] = {}
    amendments = {}
    for c in sanction.changes:
        if c.type is ChangeType.IMPOSED:
            if c.imported is not None:
                told[c.seq] = Told(c.imported.informed_at, ToldBy.IMPORT)
            else:
                told[c.seq] = Told(c.effective_at, ToldBy.DECISION)
        elif c.type is ChangeType.AMENDED:
            amendments[c.seq] = c.effective_at
    if amendments:
        recorded = conn.execute(select(events.seq, events.at).where(events.seq.in_(list(amendments))))
        for seq, at in recorded:
            told[seq] = Told(max(amendments[seq], parse_instant(at)), ToldBy.DECISION)
    reviews = select(R.updated_seq, R.decided_at, events.at).join(tables.events, events.seq == R.updated_seq)
    reviews = reviews.where(R.sanction_id == sanction.id, R.decided_at.is_not(None))
    if known is not None:
        reviews = reviews.where(R.updated_seq <= known)
    for seq, decided, at in conn.execute(reviews):
        told[seq] = Told(max(from_micros(decided), parse_instant(at)), ToldBy.DECISION)
    # The decisions that issued a statement: from its delivery, else its issue.
    _statements_told(conn, sanction.id, told, known)
    return max(told.values(), key=lambda t: t.at)


def content_decision_told(conn: Connection, decision: ContentDecision, *, known: int | None = None) -> Told:
    """``latest_decision_told`` of a content decision: its creation (an import from its
    ``informed_at``, another from when it took effect), an amendment (the later of when it took
    effect and when it was recorded), each decision that issued a statement from the statement's
    first delivery receipt, else its issue."""
    events = tables.events.c
    told: dict[int, Told] = {}
    amendments = {}
    for c in decision.changes:
        if c.type is ContentChangeType.DECIDED:
            if c.imported is not None:
                told[c.seq] = Told(c.imported.informed_at, ToldBy.IMPORT)
            else:
                told[c.seq] = Told(c.effective_at, ToldBy.DECISION)
        elif c.type is ContentChangeType.AMENDED and (known is None or c.seq <= known):
            amendments[c.seq] = c.effective_at
    if amendments:
        recorded = conn.execute(select(events.seq, events.at).where(events.seq.in_(list(amendments))))
        for seq, at in recorded:
            told[seq] = Told(max(amendments[seq], parse_instant(at)), ToldBy.DECISION)
    _statements_told(conn, decision.id, told, known)
    return max(told.values(), key=lambda t: t.at)


def _statements_told(conn: Connection, subject_id: str, told: dict[int, Told], known: int | None) -> None:
    """Into ``told``: the decisions on ``subject_id`` that issued a statement, from its delivery, else its issue."""
    doc, receipt = tables.issued_documents.c, tables.statement_deliveries.c
    delivered = receipt.statement_id == doc.id
    if known is not None:
        delivered = and_(delivered, receipt.recorded_seq <= known)
    statements = (
        select(doc.id, doc.decision_seq, doc.issued_at, receipt.delivered_at, receipt.channel)
        .outerjoin(tables.statement_deliveries, delivered)
        .where(doc.sanction_id == subject_id)
    )
    if known is not None:
        statements = statements.where(doc.decision_seq <= known)
    for statement_id, seq, issued_at, delivered_at, channel in conn.execute(statements):
        if delivered_at is not None:
            told[seq] = Told(from_micros(delivered_at), ToldBy.DELIVERY, statement_id, channel)
        else:
            told[seq] = Told(from_micros(issued_at), ToldBy.ISSUE, statement_id)


def latest_decision_told_at(conn: Connection, sanction: Sanction, *, known: int | None = None) -> datetime:
    """The instant of ``latest_decision_told``: the complaint window runs from it (DSA art. 20)."""
    return latest_decision_told(conn, sanction, known=known).at


def first_decided_at(conn: Connection, sanction: Sanction) -> datetime:
    """When the decision to sanction first existed: the earlier of its start and when it was
    recorded (a sanction scheduled ahead is decided before it starts, an imported one took effect
    before it was recorded). No appeal about it can have been received before then."""
    imposed = [c for c in sanction.changes if c.type is ChangeType.IMPOSED]
    events = tables.events.c
    recorded = conn.execute(select(events.at).where(events.seq.in_([c.seq for c in imposed]))).scalars().all()
    return min([sanction.starts_at, *(parse_instant(at) for at in recorded)])


def reviews_of(conn: Connection, sanction_id: str) -> list[str]:
    return list(conn.execute(select(R.id).where(R.sanction_id == sanction_id).order_by(R.id)).scalars())


def list_review_rows(
    conn: Connection,
    f: ReviewFilter,
    *,
    limit: int,
    cursor: str | None,
    at_us: int | None = None,
    recorded: Callable[[Any], ColumnElement[bool]] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Open or decided reviews (both when ``f.state`` is None), by id; with ``at_us``, those opened
    by then, in the state they had then; with ``recorded`` (a condition on a seq: recorded by a
    past ``as_of``), those recorded by then, decided only if the decision was (``updated_seq``)."""
    query = select(tables.reviews).order_by(R.id).limit(limit + 1)
    if cursor:
        query = query.where(R.id > decode_cursor(cursor))
    if recorded is not None:
        query = query.where(recorded(R.created_seq))
    if at_us is not None:
        query = query.where(R.opened_at <= at_us)
    if at_us is None and recorded is None:
        if f.state is not None:
            query = query.where(R.state == f.state.value)
    elif f.state in (ReviewState.OPEN, ReviewState.DECIDED):
        decided = [R.state == ReviewState.DECIDED.value, R.decided_at.is_not(None)]
        if at_us is not None:
            decided.append(R.decided_at <= at_us)
        if recorded is not None:
            decided.append(recorded(R.updated_seq))
        query = query.where(not_(and_(*decided)) if f.state is ReviewState.OPEN else and_(*decided))
    if f.operator:
        query = query.where(R.operator_id == f.operator)
    if f.operators is not None:
        query = query.where(R.operator_id.in_(list(f.operators)))
    if f.sanction:
        query = query.where(R.sanction_id == f.sanction)
    if f.content_decision:
        query = query.where(R.content_decision_id == f.content_decision)
    rows = [dict(r._mapping) for r in conn.execute(query)]
    next_cursor = encode_cursor(rows[limit - 1]["id"]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def due_sanction_rows(
    conn: Connection, f: ReviewFilter, *, at_us: int, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """Sanctions due for review at ``at_us``: ``review_at <= at``, no open review, and active then
    or ended with the term the review was scheduled at the end of (``Sanction.awaits_review_at``)."""
    active = exists().where(SP.sanction_id == S.id, SP.active_from <= at_us, SP.active_until > at_us)
    awaits = and_(
        S.ends_at.is_not(None),
        S.ends_at == S.review_at,
        S.starts_at <= at_us,
        or_(S.lifted_at.is_(None), S.lifted_at > at_us),
    )
    open_review = exists().where(R.sanction_id == S.id, R.state == ReviewState.OPEN.value)
    query = (
        select(tables.sanctions)
        .where(S.review_at.is_not(None), S.review_at <= at_us, or_(active, awaits), not_(open_review))
        .order_by(S.id)
        .limit(limit + 1)
    )
    if cursor:
        query = query.where(S.id > decode_cursor(cursor))
    if f.operator:
        query = query.where(S.operator_id == f.operator)
    if f.operators is not None:
        query = query.where(S.operator_id.in_(list(f.operators)))
    if f.sanction:
        query = query.where(S.id == f.sanction)
    rows = list(conn.execute(query))
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def due_candidate_rows(
    conn: Connection,
    f: ReviewFilter,
    *,
    at_us: int,
    recorded: Callable[[Any], ColumnElement[bool]],
    limit: int,
    after: str | None,
) -> list[Any]:
    """Sanctions that may have been due for review at ``at_us`` as known by a past ``as_of``
    (``recorded``: a condition on a seq), by id after ``after``: created by then, started by
    ``at_us``, with a review in their latest term or amended since their creation (a term of
    then may have had one), and no review open then as known then. The caller keeps those due
    as the events recorded by then made them (``Sanction.view_at``)."""
    decided_then = and_(R.state != ReviewState.OPEN.value, recorded(R.updated_seq), R.decided_at <= at_us)
    open_review = exists().where(
        R.sanction_id == S.id, recorded(R.created_seq), R.opened_at <= at_us, not_(decided_then)
    )
    query = (
        select(tables.sanctions)
        .where(
            recorded(S.created_seq),
            S.starts_at <= at_us,
            or_(S.review_at.is_not(None), S.updated_seq != S.created_seq),
            not_(open_review),
        )
        .order_by(S.id)
        .limit(limit)
    )
    if after:
        query = query.where(S.id > after)
    if f.operator:
        query = query.where(S.operator_id == f.operator)
    if f.operators is not None:
        query = query.where(S.operator_id.in_(list(f.operators)))
    if f.sanction:
        query = query.where(S.id == f.sanction)
    return list(conn.execute(query))


# --- appeals -------------------------------------------------------------------------------


def appeal_row(conn: Connection, appeal_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(tables.appeals).where(AP.id == appeal_id)).first()
    return dict(row._mapping) if row else None


def open_appeal_of(conn: Connection, sanction_id: str) -> str | None:
    return conn.execute(select(AP.id).where(AP.sanction_id == sanction_id, AP.state == "open")).scalar_one_or_none()


def open_complaint_about(conn: Connection, decision_id: str) -> str | None:
    """The open complaint about a content decision, if there is one."""
    found: str | None = conn.execute(
        select(AP.id).where(AP.content_decision_id == decision_id, AP.state == "open")
    ).scalar_one_or_none()
    return found


def open_notifier_complaint(conn: Connection, notice_id: str) -> str | None:
    """The open complaint of a notice's notifier about its decision, if there is one."""
    found: str | None = conn.execute(
        select(AP.id).where(AP.notice_id == notice_id, AP.state == "open")
    ).scalar_one_or_none()
    return found


def complaints_about(conn: Connection, decision_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The complaints about these content decisions, by id."""
    if not decision_ids:
        return []
    rows = conn.execute(select(tables.appeals).where(AP.content_decision_id.in_(list(decision_ids))).order_by(AP.id))
    return [dict(r._mapping) for r in rows]


def appeals_of_review(conn: Connection, review_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(tables.appeals).where(AP.review_id == review_id).order_by(AP.id))
    return [dict(r._mapping) for r in rows]


def requester_row(conn: Connection, reference: str) -> dict[str, Any] | None:
    t = tables.appeal_requesters
    row = conn.execute(select(t).where(t.c.id == reference)).first()
    return dict(row._mapping) if row else None


def requester_rows(conn: Connection, references: Sequence[str]) -> dict[str, dict[str, Any]]:
    t = tables.appeal_requesters
    found: dict[str, dict[str, Any]] = {}
    for i in range(0, len(references), 500):
        for row in conn.execute(select(t).where(t.c.id.in_(list(references[i : i + 500])))):
            found[row.id] = dict(row._mapping)
    return found


def dispute_rows(conn: Connection, appeal_id: str) -> list[dict[str, Any]]:
    t = tables.appeal_disputes
    rows = conn.execute(select(t).where(t.c.appeal_id == appeal_id).order_by(t.c.submitted_at, t.c.id))
    return [dict(r._mapping) for r in rows]


def dispute_rows_of(conn: Connection, appeal_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """The disputes of each of these appeals, in the order of ``dispute_rows``, in one query per 500 appeals."""
    t = tables.appeal_disputes
    found: dict[str, list[dict[str, Any]]] = {a: [] for a in appeal_ids}
    wanted = sorted(set(appeal_ids))
    for i in range(0, len(wanted), 500):
        query = select(t).where(t.c.appeal_id.in_(wanted[i : i + 500])).order_by(t.c.submitted_at, t.c.id)
        for r in conn.execute(query):
            found[r.appeal_id].append(dict(r._mapping))
    return found


def dispute_row(conn: Connection, dispute_id: str) -> dict[str, Any] | None:
    t = tables.appeal_disputes
    row = conn.execute(select(t).where(t.c.id == dispute_id)).first()
    return dict(row._mapping) if row else None


def list_appeal_rows(
    conn: Connection,
    f: AppealFilter,
    *,
    limit: int,
    cursor: str | None,
    recorded: Callable[[Any], ColumnElement[bool]] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Appeals matching ``f``, by id. ``recorded``: a condition on a seq, recorded by a past
    ``as_of`` (``store.asof.Known.sql``): those filed by then, decided if the decision was."""
    query = select(tables.appeals).order_by(AP.id).limit(limit + 1)
    if cursor:
        query = query.where(AP.id > decode_cursor(cursor))
    if recorded is not None:
        query = query.where(recorded(AP.created_seq))
    if f.at is not None:
        query = query.where(AP.received_at <= f.at)
    if f.at is None and recorded is None:
        if f.state:
            query = query.where(AP.state == f.state)
    elif f.state:
        decided = [AP.state != "open", AP.decided_at.is_not(None)]
        if f.at is not None:
            decided.append(AP.decided_at <= f.at)
        if recorded is not None:
            decided.append(recorded(AP.updated_seq))
        shown = not_(and_(*decided)) if f.state == "open" else and_(AP.state == f.state, *decided)
        query = query.where(shown)
    if f.kind:
        query = query.where(AP.kind == f.kind)
    if f.operator:
        query = query.where(AP.operator_id == f.operator)
    if f.operators is not None:
        query = query.where(AP.operator_id.in_(list(f.operators)))
    if f.sanction:
        query = query.where(AP.sanction_id == f.sanction)
    if f.content_decision:
        query = query.where(AP.content_decision_id == f.content_decision)
    if f.notice:
        query = query.where(AP.notice_id == f.notice)
    rows = [dict(r._mapping) for r in conn.execute(query)]
    next_cursor = encode_cursor(rows[limit - 1]["id"]) if len(rows) > limit else None
    return rows[:limit], next_cursor


# --- violations, strikes, probation --------------------------------------------------------


def violation_by_external_id(conn: Connection, platform_id: str, external_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(tables.violations).where(V.platform_id == platform_id, V.external_id == external_id)
    ).first()
    return dict(row._mapping) if row else None


_RECORDED_POSTGRESQL = "SELECT external_id FROM violations WHERE platform_id = %(p)s AND external_id = ANY(%(ids)s)"
_RECORDED_SQLITE = (
    "SELECT external_id FROM violations WHERE platform_id = :p AND external_id IN (SELECT value FROM json_each(:ids))"
)


def recorded_external_ids(conn: Connection, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of ``(platform, external id)`` name a violation already recorded: one query per platform."""
    by_platform: dict[str, list[str]] = {}
    for platform_id, external_id in keys:
        by_platform.setdefault(platform_id, []).append(external_id)
    found: set[tuple[str, str]] = set()
    for platform_id, external_ids in by_platform.items():
        unique = list(dict.fromkeys(external_ids))
        for i in range(0, len(unique), 500):
            chunk = unique[i : i + 500]
            # On the driver's cursor, the ids as one parameter: once per group commit of
            # violations, where compiling a statement for each number of ids cost more than the query.
            if conn.dialect.name == "postgresql":
                rows = fetch_all(conn, _RECORDED_POSTGRESQL, {"p": platform_id, "ids": chunk})
            else:
                rows = fetch_all(conn, _RECORDED_SQLITE, {"p": platform_id, "ids": json.dumps(chunk)})
            found.update((platform_id, external_id) for (external_id,) in rows)
    return found


class DirectStrike(NamedTuple):
    """A sanction imposed directly (not by a violation's ladder), counted as a strike."""

    id: str
    starts_at: int
    lifted_at: int | None
    granted_at: int | None  #: when an appeal against it was first granted


class ReportedStrike(NamedTuple):
    """A violation reported by a platform, and what became of the sanction its ladder imposed."""

    occurred_at: int
    strike_expires_at: int | None
    sanction_id: str | None
    lifted_at: int | None
    granted_at: int | None
    #: Whether the violation brought the policy's first warning (no strike). Read by the
    #: standing statements (``store.standing``), which the ladder uses; the as-of reads, which
    #: only count strikes, leave it False.
    first_warning: bool = False


def strike_marks(
    conn: Connection, identity_id: str, platform_id: str, expire_after: Duration | None
) -> list[tuple[int, int]]:
    """Every strike of an identity on a platform, by the rule of ``reprieve.domain.strikes``."""
    by_violation = exists().where(V.sanction_id == S.id)
    direct = conn.execute(
        select(S.id, S.starts_at, S.lifted_at)
        .join(tables.sanction_scope, SC.sanction_id == S.id)
        .where(S.identity_id == identity_id, SC.platform_id == platform_id, not_(by_violation))
    ).all()
    reported = conn.execute(
        select(V.occurred_at, V.strike_expires_at, V.sanction_id, S.lifted_at)
        .select_from(tables.violations.outerjoin(tables.sanctions, S.id == V.sanction_id))
        .where(V.identity_id == identity_id, V.platform_id == platform_id)
    ).all()
    sanction_ids = [r.id for r in direct] + [r.sanction_id for r in reported if r.sanction_id]
    granted = granted_appeal_instants(conn, sanction_ids)
    return marks_of(
        [DirectStrike(r.id, r.starts_at, r.lifted_at, granted.get(r.id)) for r in direct],
        [
            ReportedStrike(
                r.occurred_at,
                r.strike_expires_at,
                r.sanction_id,
                r.lifted_at,
                granted.get(r.sanction_id) if r.sanction_id else None,
            )
            for r in reported
        ],
        expire_after,
    )


def marks_of(
    direct: Iterable[DirectStrike], reported: Iterable[ReportedStrike], expire_after: Duration | None
) -> list[tuple[int, int]]:
    """The strikes these sanctions and violations make, under a policy's expiry (``strikes_made``)."""
    return strikes_made(
        ((r.starts_at, r.lifted_at, r.granted_at) for r in direct),
        ((r.occurred_at, r.strike_expires_at, r.lifted_at, r.granted_at) for r in reported),
        expire_after,
    )


def first_warning_marks_of(reported: Iterable[ReportedStrike], expire_after: Duration | None) -> list[tuple[int, int]]:
    """The first warnings among these violations, as ``(start, end)`` marks: each in force from its
    ``occurred_at`` until its expiry under the policy (``strikes.first_warning.expire_after``), the
    first lift of the warning or a granted appeal against it, as a strike would be."""
    if expire_after is None:
        return []
    return strikes_made(
        ((r.occurred_at, r.lifted_at, r.granted_at) for r in reported if r.first_warning), (), expire_after
    )


def granted_appeal_instants(
    conn: Connection, sanction_ids: Sequence[str], *, known: int | None = None
) -> dict[str, int]:
    """For each sanction with a granted appeal, when the first grant took effect (µs); ``known``:
    granted by the events up to that seq."""
    found: dict[str, int] = {}
    ids = list(dict.fromkeys(sanction_ids))
    for i in range(0, len(ids), 500):
        wanted = and_(AP.sanction_id.in_(ids[i : i + 500]), AP.state == "granted")
        if known is not None:
            wanted = and_(wanted, AP.updated_seq <= known)
        rows = conn.execute(select(AP.sanction_id, func.min(AP.decided_at)).where(wanted).group_by(AP.sanction_id))
        for sanction_id, instant in rows:
            found[sanction_id] = instant
    return found


def probations_of(conn: Connection, identity_id: str, platform_id: str) -> list[Probation]:
    rows = conn.execute(
        select(P.id, P.starts_at, P.until, P.ladder, P.sanction_id).where(
            P.identity_id == identity_id, P.platform_id == platform_id
        )
    )
    return [probation_of(r.id, r.starts_at, r.until, r.ladder, r.sanction_id) for r in rows]


def probation_of(probation_id: str, starts_at: int, until: int, ladder: str, sanction_id: str | None) -> Probation:
    """A probation from its row; ``ladder`` is the JSON of the ladder that applies meanwhile."""
    data = json.loads(ladder)
    return Probation(probation_id, starts_at, until, ladder_from_data(data), data, sanction_id)


def probation_row(conn: Connection, probation_id: str) -> dict[str, Any] | None:
    rows = [dict(r._mapping) for r in conn.execute(select(tables.probations).where(P.id == probation_id))]
    if not rows:
        return None
    first = rows[0]
    first["scope"] = sorted(r["platform_id"] for r in rows)
    return first


def insert_requester(conn: Connection, **values: Any) -> None:
    """Keep who filed an appeal (personal data: beside the event, never in it)."""
    conn.execute(insert(tables.appeal_requesters).values(**values))


class ContentStrikeRow(NamedTuple):
    """The strike of a content decision (its violation), and what became of its ladder's sanction."""

    decision_id: str
    violation_id: str
    ladder: str
    strike_count: int
    occurred_at: int
    strike_expires_at: int | None
    sanction_id: str | None
    lifted_at: int | None
    granted_at: int | None
    #: Its own expiry, and the event that ended it earlier: a restoration or a granted complaint (None: none did).
    strike_expiry: int | None = None
    strike_ended_seq: int | None = None


def content_strike_rows(
    conn: Connection, decision_ids: Sequence[str], *, known: int | None = None
) -> dict[str, ContentStrikeRow]:
    """The strike of each of these content decisions that counts as one, by decision id;
    ``known``: its ladder's sanction lifted and appeals granted by the events up to that seq."""
    found: dict[str, ContentStrikeRow] = {}
    ids = list(dict.fromkeys(decision_ids))
    S = tables.sanctions.c
    for i in range(0, len(ids), 500):
        rows = conn.execute(
            select(
                V.content_decision_id,
                V.id,
                V.ladder,
                V.strike_count,
                V.occurred_at,
                V.strike_expires_at,
                V.sanction_id,
                S.lifted_at,
                V.strike_expiry,
                V.strike_ended_seq,
            )
            .select_from(tables.violations.outerjoin(tables.sanctions, S.id == V.sanction_id))
            .where(V.content_decision_id.in_(ids[i : i + 500]))
        ).all()
        granted = granted_appeal_instants(conn, [r.sanction_id for r in rows if r.sanction_id is not None], known=known)
        lifted = {r.sanction_id: r.lifted_at for r in rows if r.sanction_id is not None}
        if known is not None:
            lifted = {s: _lifted_as_known(conn, s, known) if at is not None else None for s, at in lifted.items()}
        for r in rows:
            found[r.content_decision_id] = ContentStrikeRow(
                r.content_decision_id,
                r.id,
                r.ladder,
                r.strike_count,
                r.occurred_at,
                r.strike_expires_at,
                r.sanction_id,
                lifted.get(r.sanction_id) if r.sanction_id is not None else None,
                granted.get(r.sanction_id) if r.sanction_id is not None else None,
                r.strike_expiry,
                r.strike_ended_seq,
            )
    return found


def _lifted_as_known(conn: Connection, sanction_id: str, known: int) -> int | None:
    """When the sanction was lifted as the events up to ``known`` knew it (µs; None: not lifted)."""
    sanction = load_sanction(conn, sanction_id)
    as_known = None if sanction is None else known_by(sanction, {c.seq for c in sanction.changes if c.seq <= known})
    lifted = None if as_known is None else as_known.lifted_at
    return None if lifted is None else to_micros(lifted)
