"""Standing: the state of one account on one platform at one instant (PRODUCT.md section 3).

Computed from the spans of the sanctions that reach the account on that platform, with their
denials already resolved for the platform. Instants are microseconds since the epoch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from reprieve.domain.model import STATUS_OF_KIND, STATUS_RANK, SanctionKind, Status
from reprieve.domain.time import END_OF_TIME


@dataclass(frozen=True, slots=True)
class ResolvedSpan:
    """A span of a sanction on one platform: active as ``kind``, denying ``denies`` there."""

    sanction_id: str
    start: int
    end: int
    kind: SanctionKind
    denies: frozenset[str]


@dataclass(frozen=True, slots=True)
class Standing:
    status: Status
    denies: tuple[str, ...]
    until: int | None  #: first instant after t when nothing is denied; None if never or nothing
    sanctions: tuple[str, ...]  #: the active sanctions that cause the status, worst first
    #: For each capability denied, the worst active sanction that denies it (what a check names).
    denied_by: dict[str, str] = field(default_factory=dict)

    def denier_of(self, capability: str) -> str | None:
        return self.denied_by.get(capability)


def standing_at(spans: Sequence[ResolvedSpan], t: int) -> Standing:
    """Standing at ``t`` given every span of every sanction reaching the account."""
    status = Status.GOOD
    denied: set[str] = set()
    causes: list[tuple[int, str, frozenset[str]]] = []
    for span in spans:
        if span.start <= t < span.end and span.kind is not SanctionKind.WARNING:
            kind_status = STATUS_OF_KIND[span.kind]
            if STATUS_RANK[kind_status] > STATUS_RANK[status]:
                status = kind_status
            denied |= span.denies
            causes.append((-span.kind.severity, span.sanction_id, span.denies))
    until = denial_ends_after(spans, t) if denied else None
    causes.sort(key=lambda c: (c[0], c[1]))
    denied_by: dict[str, str] = {}
    for _, sanction_id, denies in causes:
        for capability in denies:
            denied_by.setdefault(capability, sanction_id)
    return Standing(
        status=status,
        denies=tuple(sorted(denied)),
        until=until,
        sanctions=tuple(dict.fromkeys(sid for _, sid, _ in causes)),
        denied_by=denied_by,
    )


def denial_ends_after(spans: Sequence[ResolvedSpan], t: int) -> int | None:
    """The end of the unbroken run of denials that covers ``t``; None if it never ends."""
    return run_ends_after(((s.start, s.end) for s in spans if s.denies), t)


def run_ends_after(intervals: Iterable[tuple[int, int]], t: int) -> int | None:
    """The end of the unbroken run of ``[start, end)`` intervals that covers ``t``; None if endless.

    Shared by the database's answers and the in-memory index, so that both compute ``until`` alike.
    """
    denying = sorted((start, end) for start, end in intervals if end > t)
    cursor = t
    changed = True
    while changed:
        changed = False
        for start, end in denying:
            if start <= cursor < end:
                cursor = end
                changed = True
        if cursor >= END_OF_TIME:
            return None
    return cursor
