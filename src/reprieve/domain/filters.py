"""What a listing asks for: the filters of sanctions, reviews, appeals and events. Every field is
optional and all of them must hold; ``operators`` is what the caller may see (None: everything)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reprieve.domain.model import SanctionKind, SanctionState
from reprieve.domain.reviews import ReviewState


@dataclass(frozen=True, slots=True)
class SanctionFilter:
    operator: str | None = None
    operators: Sequence[str] | None = None  #: what the caller may see; None: everything
    platform: str | None = None
    account: str | None = None
    kind: SanctionKind | None = None
    state: SanctionState | None = None
    category: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewFilter:
    state: ReviewState | None = None
    operator: str | None = None
    operators: Sequence[str] | None = None  #: what the caller may see; None: everything
    sanction: str | None = None
    content_decision: str | None = None


@dataclass(frozen=True, slots=True)
class AppealFilter:
    state: str | None = None
    kind: str | None = None
    operator: str | None = None
    operators: Sequence[str] | None = None
    sanction: str | None = None
    #: Complaints about this content decision.
    content_decision: str | None = None
    #: Notifiers' complaints about the decision on this notice.
    notice: str | None = None
    #: As they stood at this instant (µs): received by then; ``state`` is the state then (open:
    #: not decided by then, whatever since; an outcome: decided so by then).
    at: int | None = None


@dataclass(frozen=True, slots=True)
class EventFilter:
    """What the audit page asks of the log: every field optional, all of them must hold.

    ``type`` is a prefix (``sanction.`` or ``sanction.imposed``); ``actor`` a case-insensitive
    part of the actor; ``subject`` an id the events carry (``snc_…``, ``rvw_…``, ``apl_…``,
    ``idt_…``...) or an account as ``platform/account`` (its registration, and every event naming
    one of its sanctions); ``since``/``until`` bound when the event was recorded (``at``, RFC 3339,
    ``until`` excluded).
    """

    operator: str | None = None
    type: str = ""
    actor: str = ""
    #: actors (``member:<id>``...) that ``actor`` names by name, resolved outside the log: they match too
    actors: tuple[str, ...] = ()
    subject: str = ""
    since: str = ""
    until: str = ""
