"""Sanctions and their terms over time (PRODUCT.md section 3).

A sanction's history is a list of changes: its creation (effective at ``starts_at``),
amendments and lifts, each with an ``effective_at`` and the order it was recorded in.
At an instant ``t`` the term in force is the one set by the creation or amendment with the
greatest ``effective_at <= t`` (ties: recorded last); the sanction is active at ``t`` iff
``starts_at <= t < ends_at`` under that term and no lift has ``effective_at <= t``.

``spans`` turns that history into the intervals during which the sanction is active, with
the kind and denials in force in each: the form the projections and the index store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from reprieve.domain.errors import ConflictError, PreconditionFailedError, ValidationError
from reprieve.domain.events import NO_EXTRA, SanctionAmended, SanctionLifted
from reprieve.domain.model import (
    APPEAL,
    AccountRef,
    Platform,
    SanctionKind,
    SanctionState,
)
from reprieve.domain.orders import Order
from reprieve.domain.personal import PersonalRef
from reprieve.domain.reason import Automation, Reason
from reprieve.domain.time import (
    END_OF_TIME,
    end_to_micros,
    format_instant,
    parse_instant,
    to_micros,
)


class ChangeType(StrEnum):
    IMPOSED = "imposed"
    AMENDED = "amended"
    LIFTED = "lifted"


#: A platform's own reference for a statement of reasons it issued (an id or a URL): no spaces,
#: so that no prose (and no personal data) reaches the hash-chained log through it.
STATEMENT_REFERENCE = re.compile(r"[A-Za-z0-9._:/#?=&%+@~-]{1,300}")


@dataclass(frozen=True, slots=True)
class Imported:
    """What an import says of a sanction decided before it reached Reprieve (PRODUCT.md section
    8): when the platform informed its user (``informed_at``), and the platform's own statement
    of reasons (``statement``: its reference, issued at ``statement_issued_at``), recorded instead
    of issuing one."""

    informed_at: datetime
    statement: str | None = None
    statement_issued_at: datetime | None = None

    @classmethod
    def parse(cls, informed_at: str | datetime, statement: Mapping[str, Any] | None = None) -> Imported:
        """From an edge's values (``statement``: ``{"reference", "issued_at"}``): ValidationError naming the field."""
        informed = parse_instant(informed_at, field="informed_at")
        if statement is None:
            return cls(informed)
        if not isinstance(statement, Mapping) or set(statement) != {"reference", "issued_at"}:
            raise ValidationError("give the platform's statement as {reference, issued_at}", field="statement")
        reference = statement["reference"]
        if not isinstance(reference, str) or STATEMENT_REFERENCE.fullmatch(reference) is None:
            raise ValidationError(
                "must be the platform's reference of its statement (an id or a URL, no spaces)",
                field="statement.reference",
            )
        return cls(informed, reference, parse_instant(statement["issued_at"], field="statement.issued_at"))

    def ensure_within(self, starts_at: datetime, now: datetime) -> None:
        """The user was informed, and the statement issued, between the decision and now."""
        for instant, name in ((self.informed_at, "informed_at"), (self.statement_issued_at, "statement.issued_at")):
            if instant is None:
                continue
            if instant > now:
                raise ValidationError("lies in the future", field=name)
            if instant < starts_at:
                raise ValidationError("lies before the decision (the sanction's starts_at)", field=name)

    def to_dict(self) -> dict[str, Any]:
        statement = None
        if self.statement is not None:
            statement = {"reference": self.statement, "issued_at": format_instant(self.statement_issued_at)}
        return {"informed_at": format_instant(self.informed_at), "statement": statement}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Imported:
        statement = data.get("statement") or {}
        issued = statement.get("issued_at")
        return cls(
            parse_instant(data["informed_at"]),
            statement.get("reference"),
            parse_instant(issued) if issued else None,
        )


def imported_of(
    starts_at: datetime | None,
    informed_at: str | datetime | None,
    statement: Mapping[str, Any] | None = None,
    *,
    informed_at_start: bool = False,
) -> Imported:
    """What a row of imported history says (a sanction's or a content decision's): when the
    platform informed its user (``informed_at``, required; with ``informed_at_start``, a row without
    one says its user was informed when the decision started, ``starts_at``) and the platform's own
    statement (``{reference, issued_at}``)."""
    if informed_at is None:
        if not informed_at_start:
            raise ValidationError(
                "required: when the platform informed the user (or import with the default: informed at starts_at)",
                field="informed_at",
            )
        if starts_at is None:
            raise ValidationError("informed at its start: give starts_at, or informed_at", field="informed_at")
        informed_at = starts_at
    return Imported.parse(informed_at, statement)


@dataclass(frozen=True, slots=True)
class Change:
    """One recorded change of a sanction: its creation, an amendment, or a lift."""

    type: ChangeType
    seq: int  #: recording order; breaks ties between equal effective instants
    effective_at: datetime
    kind: SanctionKind | None = None
    ends_at: datetime | None = None
    denies: tuple[str, ...] = ()
    review_at: datetime | None = None
    #: Kept in force after ``ends_at`` until its review is decided (PRODUCT.md section 8).
    hold_until_review: bool = False
    #: The creation of an imported sanction: when its user was informed (PRODUCT.md section 8).
    imported: Imported | None = None
    #: Backdated (PRODUCT.md section 8): the ``personal_data`` id of its reason, stored with the
    #: change; the reason's text and the instant it was recorded are filled in when it is read
    #: (``store.queries.load_sanction``), never stored here.
    backdated_ref: str | None = None
    backdated_reason: str | None = None
    recorded_at: datetime | None = None
    #: The creation of a sanction giving effect to an authority's order (DSA art. 9, PRODUCT.md section 8).
    order: Order | None = None

    @property
    def backdated(self) -> bool:
        """Taking effect more than 24 hours before it was recorded, with a reason said why."""
        return self.backdated_ref is not None

    @property
    def end(self) -> datetime | None:
        """When this term stops the sanction: ``ends_at``, or None (not known) while it is held
        until its review, whose decision sets the end with a new term or a lift."""
        return None if self.hold_until_review else self.ends_at

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type.value,
            "seq": self.seq,
            "effective_at": format_instant(self.effective_at),
            "kind": self.kind.value if self.kind else None,
            "ends_at": format_instant(self.ends_at),
            "denies": list(self.denies),
            "review_at": format_instant(self.review_at),
            "hold_until_review": self.hold_until_review,
            "backdated": self.backdated,
            "backdated_reason": self.backdated_reason,
        }

    def to_stored(self) -> dict[str, Any]:
        """``to_dict`` as ``sanctions.changes`` keeps it: ``hold_until_review`` and the backdated
        reason's reference only when set, so that every other history is stored (and rebuilt from
        an old log) as it always was."""
        data = self.to_dict()
        del data["backdated"], data["backdated_reason"]
        if not self.hold_until_review:
            del data["hold_until_review"]
        if self.imported is not None:
            data["imported"] = self.imported.to_dict()
        if self.order is not None:
            data["order"] = self.order.to_dict()
        if self.backdated_ref is not None:
            data["backdated_ref"] = self.backdated_ref
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Change:
        return cls(
            type=ChangeType(data["type"]),
            seq=data["seq"],
            effective_at=parse_instant(data["effective_at"]),
            kind=SanctionKind(data["kind"]) if data.get("kind") else None,
            ends_at=parse_instant(data["ends_at"]) if data.get("ends_at") else None,
            denies=tuple(data.get("denies") or ()),
            review_at=parse_instant(data["review_at"]) if data.get("review_at") else None,
            hold_until_review=bool(data.get("hold_until_review")),
            imported=Imported.from_dict(data["imported"]) if data.get("imported") else None,
            backdated_ref=data.get("backdated_ref"),
            order=Order.from_dict(data["order"]) if data.get("order") else None,
        )


@dataclass(frozen=True, slots=True)
class Span:
    """An interval [start, end) in microseconds during which a sanction is active as ``kind``."""

    sanction_id: str
    start: int
    end: int
    kind: SanctionKind
    denies: tuple[str, ...]  #: as recorded; resolved per platform by ``denials_on``


def denials_on(platform: Platform, kind: SanctionKind, denies: Iterable[str]) -> frozenset[str]:
    """The capabilities a sanction of ``kind`` denies on ``platform``; ``appeal`` never."""
    if kind is SanctionKind.WARNING:
        return frozenset()
    if kind is SanctionKind.RESTRICTION:
        return frozenset(c for c in denies if c in platform.capabilities and c != APPEAL)
    return platform.all_denials()


class Unset:
    """Marks a field that an amendment leaves as it is (``None`` means "no end")."""

    _instance: Unset | None = None

    def __new__(cls) -> Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"


UNSET = Unset()


def state_of(starts: datetime, ends: datetime | None, at: datetime, *, lifted: datetime | None = None) -> SanctionState:
    """A sanction's state at ``at``: cancelled if lifted at or before ``starts`` (it never takes
    effect), scheduled before ``starts``, lifted from ``lifted``, expired from ``ends`` (the end of
    the term in force at ``at``; None: open-ended or held until its review), active otherwise."""
    if lifted is not None and lifted <= starts:
        return SanctionState.CANCELLED
    if at < starts:
        return SanctionState.SCHEDULED
    if lifted is not None and lifted <= at:
        return SanctionState.LIFTED
    if ends is not None and at >= ends:
        return SanctionState.EXPIRED
    return SanctionState.ACTIVE


@dataclass(slots=True)
class Sanction:
    """A decision against an identity, with the full history of its term."""

    id: str
    operator: str
    identity: str
    subject: AccountRef
    scope: tuple[str, ...]
    starts_at: datetime
    reason: Reason
    automated: Automation
    changes: list[Change] = field(default_factory=list)

    # --- reading the history -------------------------------------------------------------

    @property
    def imported(self) -> Imported | None:
        """What its import said of it (None: imposed through Reprieve)."""
        return next((c.imported for c in self.changes if c.type is ChangeType.IMPOSED), None)

    @property
    def order(self) -> Order | None:
        """The authority's order its creation gives effect to (DSA art. 9), or None."""
        return next((c.order for c in self.changes if c.type is ChangeType.IMPOSED), None)

    def terms(self) -> list[Change]:
        """Creation and amendments, in effective order (ties: recorded last comes last)."""
        if len(self.changes) == 1 and self.changes[0].type is not ChangeType.LIFTED:
            return list(self.changes)  # a sanction as imposed: most of those an answer shows
        return sorted(
            (c for c in self.changes if c.type is not ChangeType.LIFTED),
            key=lambda c: (c.effective_at, c.seq),
        )

    def term_at(self, t: datetime) -> Change | None:
        """The creation or amendment in force at ``t``, or None before ``starts_at``."""
        in_force = None
        for change in self.terms():
            if change.effective_at <= t:
                in_force = change
            else:
                break
        return in_force

    @property
    def lifted_at(self) -> datetime | None:
        return lifted_at(self.changes)

    @property
    def version(self) -> int:
        """The seq of the last event that changed it (``sanctions.updated_seq``): every change
        (amendment, lift, a review's or an appeal's decision, an amnesty) is one more event."""
        return max(c.seq for c in self.changes)

    @property
    def latest(self) -> Change:
        """The term that will be in force once every recorded change has taken effect."""
        return self.terms()[-1]

    def is_active(self, t: datetime) -> bool:
        return self.state_at(t) is SanctionState.ACTIVE

    def state_at(self, t: datetime) -> SanctionState:
        lifted = self.lifted_at
        if lifted is not None and lifted <= self.starts_at:
            return SanctionState.CANCELLED
        if t < self.starts_at:
            return SanctionState.SCHEDULED
        term = self.term_at(t)
        if term is None:  # none in force after its start: only a history that breaks the model
            return SanctionState.EXPIRED
        return state_of(self.starts_at, term.end, t, lifted=lifted)

    def pending_review_at(self, t: datetime) -> bool:
        """Held past its ``ends_at`` at ``t`` (``hold_until_review``), its review not yet decided."""
        term = self.term_at(t)
        return (
            term is not None
            and term.hold_until_review
            and term.ends_at is not None
            and term.ends_at <= t
            and self.is_active(t)
        )

    def awaits_review_at(self, t: datetime) -> bool:
        """Ended with its term, whose review was scheduled at that end and is due by ``t``.

        Meta's "initial period of two years, after which experts assess whether the risk has
        receded": the term ends when it ends (nothing waits for a job or a panel), and the review
        scheduled at its end is still owed. Its decision may lift the sanction (a reinstatement:
        the probation that goes with it starts then), extend it or make it permanent (a new term
        from the decision), or uphold that it is over. It is owed until decided.
        """
        if t < self.starts_at or self.is_active(t):
            return False
        lifted = self.lifted_at
        if lifted is not None and lifted <= t:
            return False
        term = self.term_at(t)
        return term is not None and term.ends_at is not None and term.ends_at == term.review_at and term.review_at <= t

    def view_at(self, t: datetime) -> Change:
        """The term to show at ``t``: the one in force, or before it starts the one it will start with."""
        return self.term_at(max(t, self.starts_at)) or self.terms()[0]

    def spans(self) -> list[Span]:
        """The intervals during which this sanction is active, merged where nothing changes."""
        return compute_spans(self.id, self.changes)

    # --- guards --------------------------------------------------------------------------

    def ensure_not_before_start(
        self, effective_at: datetime, *, hint: str = "a change cannot be backdated before that"
    ) -> None:
        if effective_at < self.starts_at:
            raise ValidationError(
                f"{format_instant(effective_at)} is before the sanction starts "
                f"({format_instant(self.starts_at)}); {hint}",
                field="effective_at",
            )

    def ensure_version(self, expected: int | None) -> None:
        """A conditional change (``If-Match``): refused if the sanction changed since ``expected``."""
        if expected is not None and expected != self.version:
            raise PreconditionFailedError(
                f"sanction {self.id} changed since version {expected}: it is at version {self.version}; "
                "read it again and decide on what it is now",
                current=self.version,
            )

    def ensure_active_at(self, effective_at: datetime, *, reviewing: bool = False) -> None:
        """Changes apply to an active sanction; a review's decision also to one that awaits it."""
        if not self.is_active(effective_at) and not (reviewing and self.awaits_review_at(effective_at)):
            state = self.state_at(effective_at)
            raise ConflictError(f"sanction {self.id} is not active at {format_instant(effective_at)}: it is {state}")

    # --- changes ---------------------------------------------------------------------------

    def amend(
        self,
        *,
        seq: int,
        effective_at: datetime,
        ends_at: datetime | Unset | None,
        review_at: datetime | Unset | None,
        kind: SanctionKind | None,
        denies: Sequence[str] | None,
        platforms: Sequence[Platform],
        reviewing: bool = False,
        hold_until_review: bool | Unset = UNSET,
    ) -> Change:
        """Record an amendment effective at ``effective_at``; returns the new term.

        ``reviewing``: a review's decision, which may also amend a sanction that awaits it
        (``awaits_review_at``): a new end or kind is a new term from ``effective_at``; the same
        end (an upheld sanction) only settles its review; and it may end a held term at the
        decision itself (``ends_at == effective_at``, the hold released).
        ``hold_until_review``: UNSET keeps the current term's.
        """
        self.ensure_not_before_start(effective_at)
        self.ensure_active_at(effective_at, reviewing=reviewing)
        settles_only = not self.is_active(effective_at) and isinstance(ends_at, Unset) and kind is None
        current = self.term_at(effective_at)
        assert current is not None and current.kind is not None
        new_kind = kind or current.kind
        new_ends = current.ends_at if isinstance(ends_at, Unset) else ends_at
        if new_kind is SanctionKind.TERMINATION and isinstance(ends_at, Unset):
            new_ends = None  # a termination is permanent unless said otherwise
        new_review = current.review_at if isinstance(review_at, Unset) else review_at
        new_hold = current.hold_until_review if isinstance(hold_until_review, Unset) else hold_until_review
        ensure_hold(new_hold, new_review)
        released = reviewing and current.hold_until_review and not new_hold and new_ends == effective_at
        if new_kind is SanctionKind.RESTRICTION:
            new_denies = tuple(denies) if denies is not None else current.denies
        else:
            if denies:
                raise ValidationError("only a restriction lists what it denies", field="denies")
            new_denies = ()
        ensure_term(new_kind, self.starts_at, new_ends, new_denies, platforms)
        # A held term may keep an end already past: it is the hold, not the end, that stops it.
        if new_ends is not None and new_ends <= effective_at and not (settles_only or released or new_hold):
            raise ValidationError(
                f"must lie after the amendment takes effect ({format_instant(effective_at)})",
                field="ends_at",
            )
        change = Change(ChangeType.AMENDED, seq, effective_at, new_kind, new_ends, new_denies, new_review, new_hold)
        self.changes.append(change)
        return change

    def lift(self, *, seq: int, effective_at: datetime, reviewing: bool = False) -> Change:
        self.ensure_not_before_start(effective_at)
        self.ensure_active_at(effective_at, reviewing=reviewing)
        change = Change(ChangeType.LIFTED, seq, effective_at)
        self.changes.append(change)
        return change

    def amended_event(
        self,
        change: Change,
        *,
        reason: str,
        origin: Mapping[str, str] | None = None,
        backdated_reason: PersonalRef | None = None,
    ) -> SanctionAmended:
        """The ``sanction.amended`` event of ``change`` (which ``amend`` returned), naming what made
        it in ``origin`` if anything did (``{"review": id}``, ``{"appeal": id}``), and the reason
        it is backdated, if it is."""
        assert change.kind is not None
        return SanctionAmended(
            self.id,
            change.kind.value,
            format_instant(change.ends_at),
            format_instant(change.review_at),
            list(change.denies),
            reason,
            change.hold_until_review,
            backdated_reason,
            origin or NO_EXTRA,
        )

    def lifted_event(
        self, *, reason: str, origin: Mapping[str, str] | None = None, backdated_reason: PersonalRef | None = None
    ) -> SanctionLifted:
        """The ``sanction.lifted`` event of a lift (``lift``), naming what made it in ``origin``."""
        return SanctionLifted(self.id, reason, backdated_reason, origin or NO_EXTRA)


def lifted_at(changes: Iterable[Change]) -> datetime | None:
    """The earliest lift: from then on the sanction is over, whatever else was recorded."""
    lifts = [c.effective_at for c in changes if c.type is ChangeType.LIFTED]
    return min(lifts) if lifts else None


def held_past_its_end(sanctions: Iterable[Sanction], ids: Iterable[str], t: datetime) -> bool:
    """Whether any of the sanctions ``ids`` (among ``sanctions``, by id) is in force at ``t`` past
    its term's end, held until its review (``Sanction.pending_review_at``): a standing's
    ``pending_review``."""
    by_id = {s.id: s for s in sanctions}
    return any(by_id[i].pending_review_at(t) for i in ids if i in by_id)


def compute_spans(sanction_id: str, changes: Sequence[Change]) -> list[Span]:
    """When a sanction with this history is active, and as what (PRODUCT.md section 3)."""
    terms = sorted(
        (c for c in changes if c.type is not ChangeType.LIFTED),
        key=lambda c: (c.effective_at, c.seq),
    )
    lifted = lifted_at(changes)
    limit = END_OF_TIME if lifted is None else to_micros(lifted)
    breakpoints = sorted({to_micros(c.effective_at) for c in terms})
    result: list[Span] = []
    for i, start in enumerate(breakpoints):
        following = breakpoints[i + 1] if i + 1 < len(breakpoints) else END_OF_TIME
        term = _in_force(terms, start)
        end = min(following, end_to_micros(term.end), limit)
        if end <= start:
            continue
        assert term.kind is not None
        previous = result[-1] if result else None
        if (
            previous is not None
            and previous.end == start
            and previous.kind is term.kind
            and previous.denies == term.denies
        ):
            result[-1] = replace(previous, end=end)
        else:
            result.append(Span(sanction_id, start, end, term.kind, term.denies))
    return result


def kind_periods(changes: Sequence[Change]) -> list[tuple[int, int, SanctionKind]]:
    """When a sanction shows which kind (``view_at``), as (from, until, kind) in µs from the epoch.

    Empty when every term has the same kind, which is nearly always: then the kind is the same
    at every instant. Before the sanction starts it shows the kind it will start with.
    """
    terms = sorted((c for c in changes if c.type is not ChangeType.LIFTED), key=lambda c: (c.effective_at, c.seq))
    if len({c.kind for c in terms}) <= 1:
        return []
    breakpoints = sorted({to_micros(c.effective_at) for c in terms})
    periods: list[tuple[int, int, SanctionKind]] = []
    for i, start in enumerate(breakpoints):
        kind = _in_force(terms, start).kind
        assert kind is not None
        until = breakpoints[i + 1] if i + 1 < len(breakpoints) else END_OF_TIME
        if periods and periods[-1][2] is kind:
            periods[-1] = (periods[-1][0], until, kind)
        else:
            periods.append((0 if not periods else start, until, kind))
    return periods


def _in_force(terms: list[Change], t: int) -> Change:
    chosen = terms[0]
    for change in terms:
        if to_micros(change.effective_at) <= t:
            chosen = change
        else:
            break
    return chosen


def ensure_term(
    kind: SanctionKind,
    starts_at: datetime,
    ends_at: datetime | None,
    denies: Sequence[str],
    platforms: Sequence[Platform],
) -> None:
    """The rules every term obeys, at creation and at each amendment."""
    if ends_at is not None and ends_at <= starts_at:
        raise ValidationError(
            f"{format_instant(ends_at)} is not after starts_at ({format_instant(starts_at)})",
            field="ends_at",
        )
    if kind is SanctionKind.TERMINATION and ends_at is not None:
        raise ValidationError("a termination is permanent: give no ends_at (or impose a suspension)", field="ends_at")
    if kind is SanctionKind.RESTRICTION:
        if not denies:
            raise ValidationError("a restriction must list the capabilities it denies", field="denies")
        offered = _offered(tuple(p.capabilities for p in platforms))
        for capability in denies:
            if capability == APPEAL:
                raise ValidationError("appeal can never be denied", field="denies")
            if capability not in offered:
                raise ValidationError(f"{capability!r} is not a capability of any platform in scope", field="denies")
    elif denies:
        raise ValidationError(
            f"only a restriction lists what it denies; a {kind} denies "
            + ("nothing" if kind is SanctionKind.WARNING else "everything but appeal"),
            field="denies",
        )


def ensure_hold(hold_until_review: bool, review_at: datetime | None) -> None:
    """A term held until its review needs that review (PRODUCT.md section 8)."""
    if hold_until_review and review_at is None:
        raise ValidationError(
            "hold_until_review keeps the sanction in force until its review is decided: give a review_at",
            field="review_at",
        )


def ensure_scope(subject_platform: Platform, scope: Sequence[Platform]) -> None:
    """A scope holds the subject's platform and only platforms of the same operator."""
    for platform in scope:
        if platform.operator != subject_platform.operator:
            raise ValidationError(
                f"platform {platform.id!r} belongs to operator {platform.operator!r}, not "
                f"{subject_platform.operator!r}: a scope cannot span two operators",
                field="scope",
            )
    if subject_platform.id not in {p.id for p in scope}:
        raise ValidationError(f"must include the subject's platform {subject_platform.id!r}", field="scope")


def count_strikes(marks: Iterable[tuple[int, int | None]], t: int) -> int:
    """Sanctions that started by ``t`` and were not lifted by then; ``marks`` is (start, lifted)."""
    return sum(1 for start, lifted in marks if start <= t and (lifted is None or lifted > t))


@lru_cache(maxsize=256)
def _offered(capabilities: tuple[tuple[str, ...], ...]) -> frozenset[str]:
    """Every capability of some platforms (cached: a ladder's restrictions ask again and again)."""
    return frozenset(c for listed in capabilities for c in listed)


def known_by(sanction: Sanction, recorded: AbstractSet[int]) -> Sanction | None:
    """The sanction as the events ``recorded`` (by seq) made it (PRODUCT.md section 8, record
    time): only its changes among them, its term, ``until`` and state recomputed from those by
    the rules above; None if its creation is not among them."""
    changes = [c for c in sanction.changes if c.seq in recorded]
    if not any(c.type is ChangeType.IMPOSED for c in changes):
        return None
    if len(changes) == len(sanction.changes):
        return sanction
    return replace(sanction, changes=changes)
