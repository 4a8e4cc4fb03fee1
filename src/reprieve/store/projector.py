"""Projections: the tables derived from the event log, and the one code path that updates them.

Live writes and ``rebuild_projections`` both go through ``apply``, so the projections are by
construction a fold of the log. Each event is applied by the handler of its class; runs of the
same class are applied in bulk.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from itertools import groupby
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import Connection, delete, select, update

from reprieve.domain.events import (
    AccountRegistered,
    AccountRenamed,
    Event,
    IdentitiesLinked,
    OperatorCreated,
    PlatformCreated,
    SanctionAmended,
    SanctionImposed,
    SanctionLifted,
)
from reprieve.domain.model import AccountRef, Platform, SanctionKind
from reprieve.domain.personal import ref_id, text_of
from reprieve.domain.reason import Automation, Reason
from reprieve.domain.sanctions import (
    Change,
    ChangeType,
    Sanction,
    compute_spans,
    denials_on,
    kind_periods,
    lifted_at,
)
from reprieve.domain.time import end_to_micros, parse_instant, to_micros
from reprieve.store import amnesty as amnesty_projection
from reprieve.store import content as content_projection
from reprieve.store import deliveries as delivery_projection
from reprieve.store import due_process_projection as due_process
from reprieve.store import notices as notice_projection
from reprieve.store import tables
from reprieve.store.bulk import column_json, insert_rows
from reprieve.store.db import platform_from_row

E = TypeVar("E", bound=Event, covariant=True)


class Applied(NamedTuple, Generic[E]):
    """What the projector needs of an event: its place, its instant, the typed event.

    A named tuple rather than a dataclass: one is made per event, and tuples are made faster.
    """

    seq: int
    effective_at: str
    event: E


#: A handler: applies a run of events of one class, in log order.
Handler = Callable[["Projector", list[Applied[Any]]], None]


def imposed_change(seq: int, event: SanctionImposed) -> dict[str, Any]:
    """The creation of the sanction ``event`` imposes, as its ``changes`` column keeps it."""
    change = {
        "type": "imposed",
        "seq": seq,
        "effective_at": event.starts_at,
        "kind": event.kind,
        "ends_at": event.ends_at,
        "denies": event.denies,
        "review_at": event.review_at,
    }
    if event.hold_until_review:  # held until its review: no end is known until the decision (PRODUCT.md section 8)
        change["hold_until_review"] = True
    if "imported" in event.extra:  # when its user was informed, as its import said
        change["imported"] = event.extra["imported"]
    if "order" in event.extra:  # the authority's order it gives effect to (DSA art. 9)
        change["order"] = event.extra["order"]
    if event.backdated_reason is not None:  # its reason's reference (PRODUCT.md section 8)
        change["backdated_ref"] = ref_id(event.backdated_reason)
    return change


def sanction_of_imposed(seq: int, event: SanctionImposed) -> Sanction:
    """The sanction ``event`` (recorded at ``seq``) imposes, as ``store.queries.load_sanction``
    would read it back once projected (backdated reasons aside: see ``with_backdated_reasons``),
    for an event this process has just built from a checked command (its reason is not checked
    again: ``Reason.as_recorded``)."""
    return Sanction(
        id=event.id,
        operator=event.operator,
        identity=event.identity,
        subject=AccountRef(event.subject["platform"], event.subject["account"]),
        scope=tuple(sorted(event.scope)),
        starts_at=parse_instant(event.starts_at),
        reason=Reason.as_recorded(event.reason),
        automated=Automation.from_dict(event.automated),
        changes=[Change.from_dict(imposed_change(seq, event))],
    )


class Projector:
    """Applies events to the projection tables within the caller's transaction."""

    def __init__(self, conn: Connection, *, known: Callable[[str], Platform | None] | None = None) -> None:
        self.conn = conn
        #: Platforms already known (``Database.platform``'s cache): not read again per transaction.
        self._known = known
        self._platforms: dict[str, Platform] = {}
        self._denials: dict[tuple[str, ...], str] = {}

    def apply(self, events: Sequence[Applied[Event]]) -> None:
        for class_, run in groupby(events, key=lambda e: type(e.event)):
            handler = HANDLERS.get(class_)
            if handler is not None:  # the events projected nowhere (tokens, members, webhooks...)
                handler(self, list(run))

    def platform(self, platform_id: str) -> Platform:
        platform = self._platforms.get(platform_id) or (self._known and self._known(platform_id))
        if platform is None:
            row = self.conn.execute(select(tables.platforms).where(tables.platforms.c.id == platform_id)).one()
            platform = self._platforms[platform_id] = platform_from_row(row._mapping)
        return platform

    # --- handlers ------------------------------------------------------------------------

    def operators_created(self, events: list[Applied[OperatorCreated]]) -> None:
        rows = [(e.event.id, e.event.name, e.seq) for e in events]
        insert_rows(self.conn, tables.operators, ("id", "name", "created_seq"), rows)

    def platforms_created(self, events: list[Applied[PlatformCreated]]) -> None:
        rows = [
            (
                d.id,
                d.operator,
                d.name,
                d.kind,
                json.dumps(d.capabilities),
                json.dumps(d.policy, sort_keys=True),
                e.seq,
            )
            for e in events
            for d in (e.event,)
        ]
        insert_rows(
            self.conn,
            tables.platforms,
            ("id", "operator_id", "name", "kind", "capabilities", "policy", "created_seq"),
            rows,
        )

    def accounts_registered(self, events: list[Applied[AccountRegistered]]) -> None:
        identity_rows = []
        account_rows: list[tuple[str, str, str | None, str | None, str, int]] = []
        for seq, _, event in events:
            platform, account, identity, operator, display_name, extra = event
            if not extra or extra.get("new_identity", True):
                identity_rows.append((identity, operator, seq))
            if display_name is None or type(display_name) is str:  # no name, or an old event's text
                account_rows.append((platform, account, display_name, None, identity, seq))
            else:  # a reference to personal_data
                account_rows.append((platform, account, None, ref_id(display_name), identity, seq))
        insert_rows(self.conn, tables.identities, ("id", "operator_id", "created_seq"), identity_rows)
        insert_rows(
            self.conn,
            tables.accounts,
            ("platform_id", "account_id", "display_name", "display_name_ref", "identity_id", "created_seq"),
            account_rows,
        )

    def accounts_renamed(self, events: list[Applied[AccountRenamed]]) -> None:
        for e in events:
            a = tables.accounts.c
            self.conn.execute(
                update(tables.accounts)
                .where(a.platform_id == e.event.platform, a.account_id == e.event.account)
                .values(display_name=text_of(e.event.display_name), display_name_ref=ref_id(e.event.display_name))
            )

    def identities_linked(self, events: list[Applied[IdentitiesLinked]]) -> None:
        for e in events:
            survivor, merged = e.event.identity, e.event.merged
            if not merged:
                continue
            # The history first (PRODUCT.md section 8: links in both clocks): which accounts this
            # link moved, from which identity, and when; the rows below then forget it.
            a = tables.accounts.c
            moved = list(
                self.conn.execute(select(a.platform_id, a.account_id, a.identity_id).where(a.identity_id.in_(merged)))
            )
            effective = to_micros(parse_instant(e.effective_at))
            insert_rows(
                self.conn,
                tables.identity_links,
                (
                    "seq",
                    "platform_id",
                    "account_id",
                    "operator_id",
                    "from_identity",
                    "to_identity",
                    "identity_id",
                    "effective_at",
                ),
                [(e.seq, p, acc, e.event.operator, was, survivor, survivor, effective) for p, acc, was in moved],
            )
            for table in (
                tables.accounts,
                tables.sanctions,
                tables.sanction_spans,
                tables.identity_links,
                *due_process.IDENTITY_TABLES,
            ):
                self.conn.execute(update(table).where(table.c.identity_id.in_(merged)).values(identity_id=survivor))
            self.conn.execute(delete(tables.identities).where(tables.identities.c.id.in_(merged)))

    def sanctions_imposed(self, events: list[Applied[SanctionImposed]]) -> None:
        sanction_rows = []
        scope_rows = []
        span_rows = []
        for seq, _, event in events:
            # Unpacked at once (a named tuple's fields read by name are a descriptor call each on
            # 3.11): a bulk import projects one per sanction.
            (
                sanction_id,
                operator,
                identity,
                subject,
                scope,
                kind,
                denies,
                starts_at,
                ends,
                review,
                reason,
                automated,
                hold,
                _backdated,
                _extra,
            ) = event
            starts = to_micros(parse_instant(starts_at))
            change = imposed_change(seq, event)
            ends_us = end_to_micros(parse_instant(ends) if ends and not hold else None)
            sanction_rows.append(
                (
                    sanction_id,
                    operator,
                    identity,
                    subject["platform"],
                    subject["account"],
                    kind,
                    starts,
                    None if ends is None or hold else ends_us,
                    to_micros(parse_instant(review)) if review else None,
                    None,
                    reason["category"],
                    column_json(reason),
                    column_json(automated),
                    _PLAIN.encode([change]),
                    seq,
                    seq,
                )
            )
            for platform_id in scope:
                scope_rows.append((sanction_id, platform_id))
                span_rows.append(
                    (
                        sanction_id,
                        platform_id,
                        starts,
                        ends_us,
                        identity,
                        kind,
                        self._denials_json(platform_id, kind, denies),
                    )
                )
        insert_rows(self.conn, tables.sanctions, _SANCTION_COLUMNS, sanction_rows)
        insert_rows(self.conn, tables.sanction_scope, ("sanction_id", "platform_id"), scope_rows)
        insert_rows(self.conn, tables.sanction_spans, _SPAN_COLUMNS, span_rows)

    def _denials_json(self, platform_id: str, kind: str, denies: list[str]) -> str:
        """What a sanction denies on a platform, as stored in its spans; a handful of distinct values."""
        key = (platform_id, kind, *denies)
        text = self._denials.get(key)
        if text is None:
            denied = denials_on(self.platform(platform_id), SanctionKind(kind), denies)
            text = self._denials[key] = json.dumps(sorted(denied))
        return text

    def sanctions_changed(self, events: list[Applied[SanctionAmended | SanctionLifted]]) -> None:
        for e in events:
            self._change_sanction(e)

    def sanctions_lifted(self, events: list[Applied[SanctionLifted]]) -> None:
        # An amnesty's lifts come by the thousand: applied set-based, to the same rows.
        for by_amnesty, run in groupby(events, key=lambda e: "amnesty" in e.event.extra):
            if by_amnesty:
                amnesty_projection.apply_amnesty_lifts(self.conn, list(run))
            else:
                self.sanctions_changed(list(run))

    def _change_sanction(self, e: Applied[SanctionAmended | SanctionLifted]) -> None:
        s = tables.sanctions.c
        row = self.conn.execute(select(s.id, s.identity_id, s.changes).where(s.id == e.event.id)).one()
        changes = [Change.from_dict(c) for c in json.loads(row.changes)]
        effective = parse_instant(e.effective_at)
        d = e.event
        backdated = ref_id(d.backdated_reason)
        if isinstance(d, SanctionLifted):
            changes.append(Change(ChangeType.LIFTED, e.seq, effective, backdated_ref=backdated))
        else:
            changes.append(
                Change(
                    ChangeType.AMENDED,
                    e.seq,
                    effective,
                    SanctionKind(d.kind),
                    parse_instant(d.ends_at) if d.ends_at else None,
                    tuple(d.denies or ()),
                    parse_instant(d.review_at) if d.review_at else None,
                    bool(d.hold_until_review),
                    backdated_ref=backdated,
                )
            )
        terms = sorted((c for c in changes if c.type is not ChangeType.LIFTED), key=lambda c: (c.effective_at, c.seq))
        latest = terms[-1]
        lifted = lifted_at(changes)
        assert latest.kind is not None
        self.conn.execute(
            update(tables.sanctions)
            .where(s.id == row.id)
            .values(
                kind=latest.kind.value,
                # The end the worker announces: none while held until its review (PRODUCT.md section 8).
                ends_at=None if latest.end is None else to_micros(latest.end),
                review_at=None if latest.review_at is None else to_micros(latest.review_at),
                lifted_at=None if lifted is None else to_micros(lifted),
                changes=json.dumps([c.to_stored() for c in changes]),
                updated_seq=e.seq,
            )
        )
        self.conn.execute(delete(tables.sanction_spans).where(tables.sanction_spans.c.sanction_id == row.id))
        scope = (
            self.conn.execute(
                select(tables.sanction_scope.c.platform_id).where(tables.sanction_scope.c.sanction_id == row.id)
            )
            .scalars()
            .all()
        )
        span_rows = []
        for span in compute_spans(row.id, changes):
            for platform_id in scope:
                denied = denials_on(self.platform(platform_id), span.kind, span.denies)
                span_rows.append(
                    (
                        row.id,
                        platform_id,
                        span.start,
                        span.end,
                        row.identity_id,
                        span.kind.value,
                        json.dumps(sorted(denied)),
                    )
                )
        insert_rows(self.conn, tables.sanction_spans, _SPAN_COLUMNS, span_rows)
        periods = tables.sanction_kind_periods
        self.conn.execute(delete(periods).where(periods.c.sanction_id == row.id))
        insert_rows(
            self.conn,
            periods,
            ("sanction_id", "shown_from", "shown_until", "kind"),
            [(row.id, start, until, kind.value) for start, until, kind in kind_periods(changes)],
        )


#: ``json.dumps(value)``, without building an encoder each call. A sanction's ``changes`` stay
#: in this form: an amnesty's lifts are appended to that text by the database (store.amnesty).
_PLAIN = json.JSONEncoder()


_SANCTION_COLUMNS = (
    "id",
    "operator_id",
    "identity_id",
    "subject_platform",
    "subject_account",
    "kind",
    "starts_at",
    "ends_at",
    "review_at",
    "lifted_at",
    "category",
    "reason",
    "automated",
    "changes",
    "created_seq",
    "updated_seq",
)
_SPAN_COLUMNS = (
    "sanction_id",
    "platform_id",
    "active_from",
    "active_until",
    "identity_id",
    "kind",
    "denies",
)

#: The handler of each projected event class; the other classes are recorded, not projected.
HANDLERS: dict[type[Event], Handler] = {
    OperatorCreated: Projector.operators_created,
    PlatformCreated: Projector.platforms_created,
    AccountRegistered: Projector.accounts_registered,
    AccountRenamed: Projector.accounts_renamed,
    IdentitiesLinked: Projector.identities_linked,
    SanctionImposed: Projector.sanctions_imposed,
    SanctionAmended: Projector.sanctions_changed,
    SanctionLifted: Projector.sanctions_lifted,
    **due_process.HANDLERS,
    **amnesty_projection.HANDLERS,
    **delivery_projection.HANDLERS,
    **content_projection.HANDLERS,
    **notice_projection.HANDLERS,
}
