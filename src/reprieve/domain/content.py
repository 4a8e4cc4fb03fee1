"""Decisions on content (PRODUCT.md section 9): items and what was decided about them.

An **item** is a piece of content on a platform, named by the platform's own id, with its
author account, content types, date and language. It is recorded with the first decision about
it and keeps its author: a later decision naming another author for the same item is refused.

A **content decision** has the time semantics of a sanction (PRODUCT.md section 3): a history of
changes (its creation, effective at ``starts_at``; amendments; restorations, the item's "lift"),
each with an ``effective_at`` and the order it was recorded in (``seq``). At an instant ``t`` the
term in force is the one set by the creation or amendment with the greatest ``effective_at <= t``
(ties: recorded last); the decision is active at ``t`` iff ``starts_at <= t < ends_at`` under that
term and no restoration has ``effective_at <= t``. A term carries the kind and the territorial
scope (the EEA countries it applies in; empty: everywhere).

What each kind restricts, of the three things a platform asks about an item (``view``,
``interact``, ``monetize``), is ``RESTRICTS``; the others (a demotion, a label, an age gate) deny
nothing and show in the item's status.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from reprieve.domain.errors import ConflictError, PreconditionFailedError, ValidationError
from reprieve.domain.model import AccountRef, SanctionState, ensure_slug
from reprieve.domain.reason import EEA_COUNTRIES, Automation, Reason
from reprieve.domain.sanctions import Imported
from reprieve.domain.sanctions import state_of as sanction_state_of
from reprieve.domain.standing import run_ends_after
from reprieve.domain.time import END_OF_TIME, end_to_micros, format_instant, parse_instant, to_micros

#: What a platform asks about an item (``POST /v1/checks`` item rows).
ITEM_CAPABILITIES: tuple[str, ...] = ("view", "interact", "monetize")
VIEW, INTERACT, MONETIZE = ITEM_CAPABILITIES

#: An item id: the platform's own (a 19-digit number, a 35-character string...), no spaces.
_ITEM_ID = re.compile(r"^[^\s/][^\s]{0,199}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_CONTENT_TYPE = re.compile(r"^CONTENT_TYPE_[A-Z0-9_]{1,40}$")
#: The longest description of a kind ``other`` (the Transparency Database's ``decision_visibility_other``).
KIND_OTHER_MAX = 500


class ContentKind(StrEnum):
    """What a content decision does to its item (the Transparency Database's ``decision_visibility``
    values, and ``decision_monetary`` for a demonetization)."""

    REMOVAL = "removal"
    DISABLING = "disabling"
    DEMOTION = "demotion"
    AGE_RESTRICTION = "age_restriction"
    INTERACTION_RESTRICTION = "interaction_restriction"
    LABEL = "label"
    DEMONETIZATION = "demonetization"
    OTHER = "other"

    @property
    def severity(self) -> int:
        """Worst first when several are in force: the item's status is the worst one's."""
        return SEVERITY[self]

    @property
    def restricts(self) -> frozenset[str]:
        return RESTRICTS[self]

    @property
    def status(self) -> str:
        return STATUS_OF_KIND[self]


#: The capabilities each kind denies. A removal or a disabling hides the item (nothing can be
#: done with it); the others restrict one use, or nothing (a demotion ranks it lower, a label
#: shows a notice, an age restriction shows it to adults only: the platform applies them).
RESTRICTS: dict[ContentKind, frozenset[str]] = {
    ContentKind.REMOVAL: frozenset(ITEM_CAPABILITIES),
    ContentKind.DISABLING: frozenset(ITEM_CAPABILITIES),
    ContentKind.DEMOTION: frozenset(),
    ContentKind.AGE_RESTRICTION: frozenset(),
    ContentKind.INTERACTION_RESTRICTION: frozenset({INTERACT}),
    ContentKind.LABEL: frozenset(),
    ContentKind.DEMONETIZATION: frozenset({MONETIZE}),
    ContentKind.OTHER: frozenset(),
}
#: An item's status when this kind is the worst in force; ``visible`` when none is.
STATUS_OF_KIND: dict[ContentKind, str] = {
    ContentKind.REMOVAL: "removed",
    ContentKind.DISABLING: "disabled",
    ContentKind.DEMOTION: "demoted",
    ContentKind.AGE_RESTRICTION: "age_restricted",
    ContentKind.INTERACTION_RESTRICTION: "interaction_restricted",
    ContentKind.LABEL: "labelled",
    ContentKind.DEMONETIZATION: "demonetized",
    ContentKind.OTHER: "restricted",
}
VISIBLE = "visible"
SEVERITY: dict[ContentKind, int] = {
    ContentKind.LABEL: 1,
    ContentKind.OTHER: 2,
    ContentKind.DEMOTION: 3,
    ContentKind.DEMONETIZATION: 4,
    ContentKind.INTERACTION_RESTRICTION: 5,
    ContentKind.AGE_RESTRICTION: 6,
    ContentKind.DISABLING: 7,
    ContentKind.REMOVAL: 8,
}


class ContentState(StrEnum):
    """A content decision's state at an instant (a sanction's, with ``restored`` for ``lifted``)."""

    SCHEDULED = "scheduled"
    ACTIVE = "active"
    EXPIRED = "expired"
    RESTORED = "restored"
    #: restored at or before its start: it never took effect
    CANCELLED = "cancelled"


class ContentChangeType(StrEnum):
    DECIDED = "decided"
    AMENDED = "amended"
    RESTORED = "restored"


def parse_countries(value: object, *, field: str = "territorial_scope") -> tuple[str, ...]:
    """A territorial scope: EEA country codes (sorted, once each); empty or absent: everywhere."""
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > len(EEA_COUNTRIES):
        raise ValidationError("must be a list of EEA country codes such as FR, DE (empty: everywhere)", field=field)
    for code in value:
        if not isinstance(code, str) or code not in EEA_COUNTRIES:
            raise ValidationError(f"{code!r} is not an EEA country code such as FR, DE", field=field)
    return tuple(sorted(set(value)))


def parse_country(value: object, *, field: str = "country") -> str:
    """A viewer's country (ISO 3166-1 alpha-2, any country: an item disabled in FR is visible in US)."""
    if not isinstance(value, str) or re.fullmatch(r"[A-Z]{2}", value) is None:
        raise ValidationError(f"{value!r} is not a country code such as FR, DE, US", field=field)
    return value


def parse_item_id(value: object, *, field: str = "item.item") -> str:
    if not isinstance(value, str) or _ITEM_ID.match(value) is None:
        raise ValidationError("must be the platform's id of the item: 1 to 200 characters, no spaces", field=field)
    return value


@dataclass(frozen=True, slots=True)
class Item:
    """A piece of content on a platform: its id, author, content types, date and language."""

    platform: str
    item: str
    account: str  #: its author, on the same platform
    content_type: tuple[str, ...]
    content_date: str  #: a date, YYYY-MM-DD
    language: str | None = None

    @property
    def author(self) -> AccountRef:
        return AccountRef(self.platform, self.account)

    @classmethod
    def parse(cls, data: object, *, field: str = "item") -> Item:
        """From a command's ``item`` object: ValidationError naming the field."""
        if not isinstance(data, Mapping):
            raise ValidationError(
                "must be an object {platform, item, account, content_type, content_date}", field=field
            )
        unknown = set(data) - {"platform", "item", "account", "content_type", "content_date", "language"}
        if unknown:
            raise ValidationError(f"unknown field {sorted(unknown)[0]!r}", field=field)
        platform = ensure_slug(data.get("platform"), field=f"{field}.platform")  # type: ignore[arg-type]
        item = parse_item_id(data.get("item"), field=f"{field}.item")
        account = data.get("account")
        if not isinstance(account, str) or not re.match(r"^[^\s/][^\s]{0,199}$", account):
            raise ValidationError("must be the author's account id on the platform", field=f"{field}.account")
        types = data.get("content_type")
        if isinstance(types, str):
            types = [types]
        if not isinstance(types, list) or not types or len(types) > 20:
            raise ValidationError(
                "must list the item's CONTENT_TYPE_... codes (at least one)", field=f"{field}.content_type"
            )
        for code in types:
            if not isinstance(code, str) or _CONTENT_TYPE.match(code) is None:
                raise ValidationError(f"{code!r} is not a CONTENT_TYPE_... code", field=f"{field}.content_type")
        content_date = data.get("content_date")
        try:
            day = date.fromisoformat(content_date)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValidationError(
                f"{content_date!r} is not a date such as 2021-01-06", field=f"{field}.content_date"
            ) from None
        language = data.get("language")
        if language is not None and (not isinstance(language, str) or _LANGUAGE.match(language) is None):
            raise ValidationError(f"{language!r} is not a language code such as en, fr", field=f"{field}.language")
        return cls(platform, item, account, tuple(dict.fromkeys(types)), day.isoformat(), language)

    def to_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "item": self.item,
            "account": self.account,
            "content_type": list(self.content_type),
            "content_date": self.content_date,
            "language": self.language,
        }

    def to_payload(self) -> dict[str, Any]:
        """``to_dict`` with ``content_type`` the tuple it is (the same JSON): as ``Reason.to_payload``."""
        return {
            "platform": self.platform,
            "item": self.item,
            "account": self.account,
            "content_type": self.content_type,
            "content_date": self.content_date,
            "language": self.language,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Item:
        return cls(
            data["platform"],
            data["item"],
            data["account"],
            tuple(data.get("content_type") or ()),
            data["content_date"],
            data.get("language"),
        )

    def ensure_same_author(self, recorded: Item) -> None:
        """An item keeps the author it was first recorded with (409 naming it)."""
        if recorded.account != self.account:
            raise ConflictError(
                f"item {self.platform}/{self.item} was first recorded with author {recorded.account!r}, "
                f"not {self.account!r}: an item keeps its author"
            )


@dataclass(frozen=True, slots=True)
class ContentChange:
    """One recorded change of a content decision: its creation, an amendment, or a restoration."""

    type: ContentChangeType
    seq: int  #: recording order; breaks ties between equal effective instants
    effective_at: datetime
    kind: ContentKind | None = None
    ends_at: datetime | None = None
    territorial_scope: tuple[str, ...] = ()
    #: Backdated (PRODUCT.md section 8): the ``personal_data`` id of its reason; its text and
    #: recording instant are filled in when read, never stored here.
    backdated_ref: str | None = None
    backdated_reason: str | None = None
    recorded_at: datetime | None = None
    #: The creation of an imported decision: when its user was informed, and the platform's own
    #: statement of reasons, recorded instead of issuing one (PRODUCT.md section 8).
    imported: Imported | None = None

    @property
    def backdated(self) -> bool:
        return self.backdated_ref is not None

    def to_dict(self) -> dict[str, Any]:
        """As an answer shows it."""
        return {
            "type": self.type.value,
            "seq": self.seq,
            "effective_at": format_instant(self.effective_at),
            "kind": self.kind.value if self.kind else None,
            "ends_at": format_instant(self.ends_at),
            "territorial_scope": list(self.territorial_scope),
            "backdated": self.backdated,
            "backdated_reason": self.backdated_reason,
        }

    def to_stored(self) -> dict[str, Any]:
        """As ``content_decisions.changes`` keeps it."""
        data: dict[str, Any] = {
            "type": self.type.value,
            "seq": self.seq,
            "effective_at": format_instant(self.effective_at),
        }
        if self.type is not ContentChangeType.RESTORED:
            assert self.kind is not None
            data["kind"] = self.kind.value
            data["ends_at"] = format_instant(self.ends_at)
            data["territorial_scope"] = list(self.territorial_scope)
        if self.backdated_ref is not None:
            data["backdated_ref"] = self.backdated_ref
        if self.imported is not None:
            data["imported"] = self.imported.to_dict()
        return data

    @classmethod
    def from_stored(cls, data: Mapping[str, Any]) -> ContentChange:
        return cls(
            type=ContentChangeType(data["type"]),
            seq=data["seq"],
            effective_at=parse_instant(data["effective_at"]),
            kind=ContentKind(data["kind"]) if data.get("kind") else None,
            ends_at=parse_instant(data["ends_at"]) if data.get("ends_at") else None,
            territorial_scope=tuple(data.get("territorial_scope") or ()),
            backdated_ref=data.get("backdated_ref"),
            imported=Imported.from_dict(data["imported"]) if data.get("imported") else None,
        )


@dataclass(frozen=True, slots=True)
class ContentSpan:
    """An interval [start, end) in microseconds during which a decision is in force as ``kind``
    in ``countries`` (empty: everywhere): the form the projection and the index keep."""

    decision_id: str
    start: int
    end: int
    kind: ContentKind
    countries: tuple[str, ...]

    def applies_in(self, country: str | None) -> bool:
        """Whether it applies to a viewer in ``country`` (None: no country given, then only a
        decision that applies everywhere does)."""
        return not self.countries or (country is not None and country in self.countries)


def state_of(starts: datetime, ends: datetime | None, at: datetime, restored: datetime | None) -> ContentState:
    """A sanction's rule (``domain.sanctions.state_of``), a restoration in the place of a lift."""
    return _STATE_OF[sanction_state_of(starts, ends, at, lifted=restored)]


_STATE_OF = {
    SanctionState.CANCELLED: ContentState.CANCELLED,
    SanctionState.SCHEDULED: ContentState.SCHEDULED,
    SanctionState.LIFTED: ContentState.RESTORED,
    SanctionState.EXPIRED: ContentState.EXPIRED,
    SanctionState.ACTIVE: ContentState.ACTIVE,
}


@dataclass(slots=True)
class ContentDecision:
    """A decision about an item, with the full history of its term."""

    id: str
    operator: str
    item: Item
    starts_at: datetime
    reason: Reason
    automated: Automation
    kind_other: str | None = None  #: what a kind ``other`` does, in the platform's words
    strike: bool = False  #: counts as a strike against the author (issue 25 applies the ladder)
    changes: list[ContentChange] = field(default_factory=list)

    # --- reading the history -------------------------------------------------------------

    @property
    def imported(self) -> Imported | None:
        """What its import said of it (None: decided through Reprieve, which issued its statement)."""
        return next((c.imported for c in self.changes if c.type is ContentChangeType.DECIDED), None)

    def terms(self) -> list[ContentChange]:
        """Creation and amendments, in effective order (ties: recorded last comes last)."""
        return sorted(
            (c for c in self.changes if c.type is not ContentChangeType.RESTORED),
            key=lambda c: (c.effective_at, c.seq),
        )

    def term_at(self, t: datetime) -> ContentChange | None:
        in_force = None
        for change in self.terms():
            if change.effective_at <= t:
                in_force = change
            else:
                break
        return in_force

    @property
    def restored_at(self) -> datetime | None:
        """The earliest restoration: from then on the decision is over, whatever else was recorded."""
        restorations = [c.effective_at for c in self.changes if c.type is ContentChangeType.RESTORED]
        return min(restorations) if restorations else None

    @property
    def version(self) -> int:
        """The seq of the last event that changed it (also its ``ETag``)."""
        return max(c.seq for c in self.changes)

    @property
    def latest(self) -> ContentChange:
        return self.terms()[-1]

    def view_at(self, t: datetime) -> ContentChange:
        """The term to show at ``t``: the one in force, or before it starts the one it starts with."""
        return self.term_at(max(t, self.starts_at)) or self.terms()[0]

    def state_at(self, t: datetime) -> ContentState:
        restored = self.restored_at
        if restored is not None and restored <= self.starts_at:
            return ContentState.CANCELLED
        if t < self.starts_at:
            return ContentState.SCHEDULED
        term = self.term_at(t)
        if term is None:
            return ContentState.EXPIRED
        return state_of(self.starts_at, term.ends_at, t, restored)

    def is_active(self, t: datetime) -> bool:
        return self.state_at(t) is ContentState.ACTIVE

    def spans(self) -> list[ContentSpan]:
        return content_spans(self.id, self.changes)

    # --- guards --------------------------------------------------------------------------

    def ensure_not_before_start(self, effective_at: datetime) -> None:
        if effective_at < self.starts_at:
            raise ValidationError(
                f"{format_instant(effective_at)} is before the decision starts ({format_instant(self.starts_at)}); "
                "a change cannot be backdated before that",
                field="effective_at",
            )

    def ensure_version(self, expected: int | None) -> None:
        """A conditional change (``If-Match``): refused if the decision changed since ``expected``."""
        if expected is not None and expected != self.version:
            raise PreconditionFailedError(
                f"content decision {self.id} changed since version {expected}: it is at version {self.version}; "
                "read it again and decide on what it is now",
                current=self.version,
            )

    def ensure_active_at(self, effective_at: datetime) -> None:
        if not self.is_active(effective_at):
            state = self.state_at(effective_at)
            raise ConflictError(
                f"content decision {self.id} is not active at {format_instant(effective_at)}: it is {state}"
            )

    # --- changes ---------------------------------------------------------------------------

    def amend(
        self,
        *,
        seq: int,
        effective_at: datetime,
        ends_at: datetime | _Keep | None,
        kind: ContentKind | None,
        territorial_scope: Sequence[str] | None,
    ) -> ContentChange:
        """Record an amendment effective at ``effective_at`` (None or KEEP: as it was); returns the
        new term."""
        self.ensure_not_before_start(effective_at)
        self.ensure_active_at(effective_at)
        current = self.term_at(effective_at)
        assert current is not None and current.kind is not None
        new_kind = kind or current.kind
        if new_kind is ContentKind.OTHER and current.kind is not ContentKind.OTHER and not self.kind_other:
            raise ValidationError("a decision of kind other needs kind_other (what it does)", field="kind")
        new_ends = current.ends_at if isinstance(ends_at, _Keep) else ends_at
        if new_ends is not None and new_ends <= effective_at:
            raise ValidationError(
                f"must lie after the amendment takes effect ({format_instant(effective_at)})", field="ends_at"
            )
        scope = current.territorial_scope if territorial_scope is None else tuple(territorial_scope)
        change = ContentChange(ContentChangeType.AMENDED, seq, effective_at, new_kind, new_ends, scope)
        self.changes.append(change)
        return change

    def restore(self, *, seq: int, effective_at: datetime) -> ContentChange:
        self.ensure_not_before_start(effective_at)
        self.ensure_active_at(effective_at)
        change = ContentChange(ContentChangeType.RESTORED, seq, effective_at)
        self.changes.append(change)
        return change


class _Keep:
    """Marks an amendment's field left as it is (``None`` means "no end")."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()


def ensure_term(starts_at: datetime, ends_at: datetime | None) -> None:
    if ends_at is not None and ends_at <= starts_at:
        raise ValidationError(
            f"{format_instant(ends_at)} is not after starts_at ({format_instant(starts_at)})", field="ends_at"
        )


def parse_kind_other(kind: ContentKind, value: object) -> str | None:
    """``kind_other``: required for ``other`` (what it does, in the platform's words), refused otherwise."""
    if kind is not ContentKind.OTHER:
        if value not in (None, ""):
            raise ValidationError("only a decision of kind other says what it does", field="kind_other")
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("a decision of kind other needs kind_other: what it does", field="kind_other")
    text = " ".join(value.split())
    if len(text) > KIND_OTHER_MAX:
        raise ValidationError(f"at most {KIND_OTHER_MAX} characters", field="kind_other")
    return text


def content_spans(decision_id: str, changes: Sequence[ContentChange]) -> list[ContentSpan]:
    """When a decision with this history is in force, as what and where (PRODUCT.md section 3)."""
    terms = sorted(
        (c for c in changes if c.type is not ContentChangeType.RESTORED), key=lambda c: (c.effective_at, c.seq)
    )
    restorations = [c.effective_at for c in changes if c.type is ContentChangeType.RESTORED]
    limit = END_OF_TIME if not restorations else to_micros(min(restorations))
    breakpoints = sorted({to_micros(c.effective_at) for c in terms})
    result: list[ContentSpan] = []
    for i, start in enumerate(breakpoints):
        following = breakpoints[i + 1] if i + 1 < len(breakpoints) else END_OF_TIME
        term = terms[0]
        for change in terms:
            if to_micros(change.effective_at) <= start:
                term = change
            else:
                break
        end = min(following, end_to_micros(term.ends_at), limit)
        if end <= start:
            continue
        assert term.kind is not None
        previous = result[-1] if result else None
        if (
            previous is not None
            and previous.end == start
            and previous.kind is term.kind
            and previous.countries == term.territorial_scope
        ):
            result[-1] = replace(previous, end=end)
        else:
            result.append(ContentSpan(decision_id, start, end, term.kind, term.territorial_scope))
    return result


def known_by(decision: ContentDecision, recorded: AbstractSet[int]) -> ContentDecision | None:
    """The decision as the events ``recorded`` (by seq) made it (record time, PRODUCT.md section 8);
    None if its creation is not among them."""
    changes = [c for c in decision.changes if c.seq in recorded]
    if not any(c.type is ContentChangeType.DECIDED for c in changes):
        return None
    if len(changes) == len(decision.changes):
        return decision
    return replace(decision, changes=changes)


@dataclass(frozen=True, slots=True)
class Visibility:
    """An item at an instant, for a viewer in ``country`` (None: not said): what the decisions
    in force restrict (PRODUCT.md section 9, ``GET /v1/platforms/{p}/items/{i}/visibility``)."""

    status: str  #: ``visible`` or the worst kind in force's status
    restricted: frozenset[str]  #: capabilities denied to this viewer
    restricted_in: tuple[str, ...]  #: the countries of the decisions in force in some countries only (any viewer)
    decisions: tuple[str, ...]  #: the decisions in force for this viewer, worst first
    until: int | None  #: µs: the earliest instant after ``t`` at which nothing is denied; None: never or nothing

    @property
    def visible(self) -> bool:
        return VIEW not in self.restricted


def visibility_at(spans: Iterable[ContentSpan], t: int, country: str | None) -> Visibility:
    """The rules every reader of an item follows (the index and the database alike).

    Without a country, a decision in force in some countries only restricts nothing; with one, the
    decisions in force there apply. Either way ``restricted_in`` lists the countries of the decisions
    in force in some countries only.
    """
    spans = list(spans)
    in_force = [s for s in spans if s.start <= t < s.end]
    applying = [s for s in in_force if s.applies_in(country)]
    restricted_in = sorted({c for s in in_force for c in s.countries})
    denied: set[str] = set()
    for s in applying:
        denied |= s.kind.restricts
    ordered = sorted(applying, key=lambda s: (-s.kind.severity, s.decision_id))
    status = ordered[0].kind.status if ordered else VISIBLE
    until = None
    if denied:
        until = run_ends_after(((s.start, s.end) for s in spans if s.kind.restricts and s.applies_in(country)), t)
    return Visibility(status, frozenset(denied), tuple(restricted_in), tuple(s.decision_id for s in ordered), until)
