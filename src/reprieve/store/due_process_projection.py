"""Projector handlers of the due-process events: reviews, assessments, appeals, disputes,
violations and probation. Registered in ``reprieve.store.projector`` and run by it only, live
and in ``rebuild_projections`` alike, so that these tables are a fold of the log."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, or_, select, update

from reprieve.domain.events import (
    AppealAttached,
    AppealDecided,
    AppealFiled,
    AssessmentFiled,
    DisputeRecorded,
    ProbationStarted,
    ReviewDecided,
    ReviewOpened,
    ViolationRecorded,
)
from reprieve.domain.personal import ref_id, ref_text, text_of
from reprieve.domain.time import end_to_micros, parse_instant, to_micros
from reprieve.store import tables
from reprieve.store.bulk import column_json, insert_rows

if TYPE_CHECKING:
    from reprieve.store.projector import Applied, Handler, Projector

#: Tables whose rows name an identity: merged with the identities (see ``identities_linked``).
IDENTITY_TABLES = (tables.violations, tables.probations)


def _us(value: str | None) -> int | None:
    return None if value is None else to_micros(parse_instant(value))


def _json(value: Any) -> str:
    return column_json(value)


def reviews_opened(projector: Projector, events: list[Applied[ReviewOpened]]) -> None:
    rows = [
        (
            d.id,
            d.operator,
            d.sanction,
            d.content_decision,
            "open",
            # Each entry as text or, since issue 21, ``ref:pd_...`` (resolved where it is read).
            _json([ref_text(entry) for entry in d.panel]),
            d.quorum,
            d.reason,
            _us(d.due_at),
            _us(e.effective_at),
            d.opened_by,
            e.seq,
            e.seq,
        )
        for e in events
        for d in (e.event,)
    ]
    insert_rows(
        projector.conn,
        tables.reviews,
        (
            "id",
            "operator_id",
            "sanction_id",
            "content_decision_id",
            "state",
            "panel",
            "quorum",
            "reason",
            "due_at",
            "opened_at",
            "opened_by",
            "created_seq",
            "updated_seq",
        ),
        rows,
    )


def assessments_filed(projector: Projector, events: list[Applied[AssessmentFiled]]) -> None:
    # The row keeps the panel entry that filed it: a new event names it by position (``seat``; its
    # ``reviewer`` is who acted, by id), an older one by the entry itself.
    seated = {e.event.review for e in events if e.event.seat is not None}
    panels = (
        {
            id_: json.loads(panel)
            for id_, panel in projector.conn.execute(
                select(tables.reviews.c.id, tables.reviews.c.panel).where(tables.reviews.c.id.in_(sorted(seated)))
            )
        }
        if seated
        else {}
    )
    rows = [
        (
            d.review,
            d.reviewer if d.seat is None else panels[d.review][d.seat],
            d.risk,
            _json(d.factors),
            d.rationale,
            _us(e.effective_at),
            e.seq,
        )
        for e in events
        for d in (e.event,)
    ]
    insert_rows(
        projector.conn,
        tables.review_assessments,
        ("review_id", "reviewer", "risk", "factors", "rationale", "filed_at", "seq"),
        rows,
    )
    for e in events:
        projector.conn.execute(
            update(tables.reviews).where(tables.reviews.c.id == e.event.review).values(updated_seq=e.seq)
        )


def reviews_decided(projector: Projector, events: list[Applied[ReviewDecided]]) -> None:
    for e in events:
        d = e.event
        decision = {
            "rationale": d.rationale,
            "decided_by": d.decided_by,
            "ends_at": d.ends_at,
            "next_review_at": d.next_review_at,
            "probation": d.probation,
        }
        if d.backdated_reason is not None:  # its reason's reference (PRODUCT.md section 8)
            decision["backdated_ref"] = ref_id(d.backdated_reason)
        projector.conn.execute(
            update(tables.reviews)
            .where(tables.reviews.c.id == d.id)
            .values(
                state="decided",
                outcome=d.outcome,
                decided_at=_us(e.effective_at),
                decision=_json(decision),
                updated_seq=e.seq,
            )
        )


def appeals_filed(projector: Projector, events: list[Applied[AppealFiled]]) -> None:
    rows = [
        (
            d.id,
            d.operator,
            d.sanction,
            d.extra.get("content_decision"),
            d.extra.get("notice"),
            d.kind,
            "open",
            d.requester,
            d.relation,
            d.channel,
            1 if d.meeting_requested else 0,
            text_of(d.statement) or "",
            ref_id(d.statement),
            _us(d.received_at),
            _us(d.deadline_at),
            e.seq,
            e.seq,
        )
        for e in events
        for d in (e.event,)
    ]
    insert_rows(
        projector.conn,
        tables.appeals,
        (
            "id",
            "operator_id",
            "sanction_id",
            "content_decision_id",
            "notice_id",
            "kind",
            "state",
            "requester",
            "relation",
            "channel",
            "meeting_requested",
            "statement",
            "statement_ref",
            "received_at",
            "deadline_at",
            "created_seq",
            "updated_seq",
        ),
        rows,
    )


def appeals_attached(projector: Projector, events: list[Applied[AppealAttached]]) -> None:
    for e in events:
        projector.conn.execute(
            update(tables.appeals)
            .where(tables.appeals.c.id == e.event.id)
            .values(review_id=e.event.review, updated_seq=e.seq)
        )


def appeals_decided(projector: Projector, events: list[Applied[AppealDecided]]) -> None:
    for e in events:
        d = e.event
        if d.outcome == "granted" and d.content_decision is not None:
            _end_content_strike(projector.conn, d.content_decision, _us(e.effective_at), e.seq)
        projector.conn.execute(
            update(tables.appeals)
            .where(tables.appeals.c.id == d.id)
            .values(
                state=d.outcome,
                decided_at=_us(e.effective_at),
                decided_by=d.decided_by,
                rationale=d.rationale,
                reply=text_of(d.reply),
                reply_ref=ref_id(d.reply),
                handling_seconds=d.handling_seconds,
                updated_seq=e.seq,
            )
        )


def _end_content_strike(conn: Connection, decision_id: str, ended: int | None, seq: int) -> None:
    """A granted complaint about a content decision ends its strike (if it is one) when it takes
    effect, unless it ended before; ``strike_ended_seq`` says which event ended it, and
    ``strike_expiry`` keeps its own expiry (a read as of before that event sees it counting)."""
    V = tables.violations.c
    conn.execute(
        update(tables.violations)
        .where(
            V.content_decision_id == decision_id,
            or_(V.strike_expires_at.is_(None), V.strike_expires_at > ended),
        )
        .values(strike_expires_at=ended, strike_ended_seq=seq)
    )


def disputes_recorded(projector: Projector, events: list[Applied[DisputeRecorded]]) -> None:
    t = tables.appeal_disputes
    for e in events:
        d = e.event
        values = {
            "body": text_of(d.body) or "",
            "body_ref": ref_id(d.body),
            "submitted_at": _us(d.submitted_at),
            "decided_at": _us(d.decided_at),
            "outcome": d.outcome,
            "summary": text_of(d.summary) or "",
            "summary_ref": ref_id(d.summary),
            "updated_seq": e.seq,
        }
        if d.update:
            projector.conn.execute(update(t).where(t.c.id == d.id).values(**values))
        else:
            projector.conn.execute(t.insert().values(id=d.id, appeal_id=d.appeal, operator_id=d.operator, **values))


def violations_recorded(projector: Projector, events: list[Applied[ViolationRecorded]]) -> None:
    rows = []
    for seq, _, event in events:
        # Unpacked at once: a named tuple's fields read by name are a descriptor call each (3.11).
        (
            id,
            external_id,
            operator,
            platform,
            account,
            identity,
            policy,
            severity,
            category,
            _facts,
            occurred_at,
            _automated,
            strike,
            sanction,
            probation,
            answered_at,
            extra,
        ) = event
        answer = {
            "strike": strike,
            "sanction": sanction,
            "probation": probation,
            "answered_at": answered_at,
        }
        rows.append(
            (
                id,
                operator,
                platform,
                external_id,
                account,
                identity,
                policy,
                severity,
                category,
                _us(occurred_at),
                _us(strike.get("expires_at")),
                _us(strike.get("expires_at")),
                strike["count"],
                strike["ladder"],
                sanction,
                probation,
                extra.get("content_decision"),
                _json(answer),
                seq,
            )
        )
    insert_rows(
        projector.conn,
        tables.violations,
        (
            "id",
            "operator_id",
            "platform_id",
            "external_id",
            "account_id",
            "identity_id",
            "policy",
            "severity",
            "category",
            "occurred_at",
            "strike_expires_at",
            "strike_expiry",
            "strike_count",
            "ladder",
            "sanction_id",
            "probation_id",
            "content_decision_id",
            "answer",
            "created_seq",
        ),
        rows,
    )


def probations_started(projector: Projector, events: list[Applied[ProbationStarted]]) -> None:
    rows = []
    for e in events:
        d = e.event
        starts = _us(d.starts_at)
        until = end_to_micros(parse_instant(d.until))
        for platform_id in d.scope:
            rows.append(
                (
                    d.id,
                    platform_id,
                    d.operator,
                    d.identity,
                    starts,
                    until,
                    _json(d.ladder),
                    d.sanction,
                    d.source,
                    e.seq,
                )
            )
    insert_rows(
        projector.conn,
        tables.probations,
        (
            "id",
            "platform_id",
            "operator_id",
            "identity_id",
            "starts_at",
            "until",
            "ladder",
            "sanction_id",
            "source",
            "created_seq",
        ),
        rows,
    )


#: The handlers of the due-process events, for ``reprieve.store.projector``.
HANDLERS: dict[type[Any], Handler] = {
    ReviewOpened: reviews_opened,
    AssessmentFiled: assessments_filed,
    ReviewDecided: reviews_decided,
    AppealFiled: appeals_filed,
    AppealAttached: appeals_attached,
    AppealDecided: appeals_decided,
    DisputeRecorded: disputes_recorded,
    ViolationRecorded: violations_recorded,
    ProbationStarted: probations_started,
}
