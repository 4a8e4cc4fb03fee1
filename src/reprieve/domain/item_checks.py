"""Item checks and visibility (PRODUCT.md section 9): "may this item be viewed, interacted with,
monetized?", and an item's visibility, as the database path (``services.item_checks``) and the
in-memory index (``enforcement``) both give them, from ``domain.content.visibility_at``.

An item row of ``POST /v1/checks`` names the item, the capability asked, the viewer's country
(optional) and the platform's statement of the item's author (optional: used when the item has
no recorded decision; the recorded author wins).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reprieve.domain.content import ITEM_CAPABILITIES, ContentSpan, Visibility, parse_country, visibility_at
from reprieve.domain.errors import ValidationError
from reprieve.domain.time import END_OF_TIME, format_instant, from_micros

#: ``(allowed, status, until µs or None, decision id or None, restricted_in)``: one item check's
#: answer, without its author.
ItemDecision = tuple[bool, str, int | None, str | None, tuple[str, ...]]
#: The author of an item as an answer shows it: ``{account, status}``, or None if not known.
Author = dict[str, str] | None


@dataclass(frozen=True, slots=True)
class ItemCheck:
    """One item row of a batch of checks."""

    platform: str
    item: str
    capability: str
    country: str | None = None
    #: The platform's statement of the author: used when the item has no recorded decision.
    account: str | None = None


def ensure_item_capability(capability: str) -> None:
    if capability not in ITEM_CAPABILITIES:
        raise ValidationError(f"{capability!r} is not asked of an item: view, interact or monetize", field="capability")


def ensure_item_check(check: ItemCheck) -> None:
    """What a row must be once its platform is known (checked in this order by both paths)."""
    ensure_item_capability(check.capability)
    if check.country is not None:
        parse_country(check.country)


def decide_item(spans: Sequence[ContentSpan], t: int, country: str | None, capability: str) -> ItemDecision:
    """An item check at ``t``: denied iff a decision in force for this viewer denies the
    capability; then ``decision`` is the worst such (ties: smallest id) and ``until`` the end of
    the denial (``visibility_at``'s). ``status`` and ``restricted_in`` are the visibility's."""
    seen = visibility_at(spans, t, country)
    if capability not in seen.restricted:
        return (True, seen.status, None, None, seen.restricted_in)
    return (False, seen.status, seen.until, denier(spans, seen, t, capability), seen.restricted_in)


def denier(spans: Sequence[ContentSpan], seen: Visibility, t: int, capability: str) -> str | None:
    """The first decision of ``seen.decisions`` (worst first, ties by id) that denies ``capability``."""
    kinds = {s.decision_id: s.kind for s in spans if s.start <= t < s.end}
    return next((d for d in seen.decisions if capability in kinds[d].restricts), None)


def author_view(account: str | None, status: str | None) -> Author:
    return None if account is None or status is None else {"account": account, "status": status}


def item_check_view(check: ItemCheck, decided: ItemDecision, author: Author) -> dict[str, Any]:
    allowed, status, until, decision, restricted_in = decided
    return {
        "platform": check.platform,
        "item": check.item,
        "capability": check.capability,
        "country": check.country,
        "allowed": allowed,
        "status": status,
        "until": None if until is None else format_instant(from_micros(until)),
        "decision": decision,
        "restricted_in": list(restricted_in),
        "author": author,
    }


def refused_item_row(check: ItemCheck, error: Any) -> dict[str, Any]:
    """An item check's answer when it cannot be answered (``error``: a ``RowError``)."""
    return {
        "platform": check.platform,
        "item": check.item,
        "capability": check.capability,
        "country": check.country,
        "error": error,
    }


def visibility_view(
    platform: str, item: str, spans: Sequence[ContentSpan], t: int, country: str | None, author: Author
) -> dict[str, Any]:
    """``GET /v1/platforms/{p}/items/{i}/visibility``: the item at ``t`` for a viewer in ``country``.

    ``decisions`` are those in force for this viewer, worst first; each one's ``until`` is when it
    stops being in force (the end of its run of spans from ``t``; null: never)."""
    seen = visibility_at(spans, t, country)
    current = {s.decision_id: s for s in spans if s.start <= t < s.end}
    decisions = []
    for decision_id in seen.decisions:
        span = current[decision_id]
        end = _run_end([s for s in spans if s.decision_id == decision_id], t)
        decisions.append(
            {
                "id": decision_id,
                "kind": span.kind.value,
                "territorial_scope": list(span.countries),
                "until": None if end is None else format_instant(from_micros(end)),
            }
        )
    return {
        "platform": platform,
        "item": item,
        "country": country,
        "visible": seen.visible,
        "status": seen.status,
        "restricted": [c for c in ITEM_CAPABILITIES if c in seen.restricted],
        "restricted_in": list(seen.restricted_in),
        "author": author,
        "decisions": decisions,
        "until": None if seen.until is None else format_instant(from_micros(seen.until)),
    }


def _run_end(spans: Sequence[ContentSpan], t: int) -> int | None:
    end = t
    moved = True
    while moved:
        moved = False
        for s in spans:
            if s.start <= end < s.end:
                end, moved = s.end, True
    return None if end >= END_OF_TIME else end
