"""The transparency report (DSA art. 15 and 24) of one operator over one period: its figures.

Fed row by row by ``services.transparency`` so that memory holds counters and the durations whose
median is asked for, never the rows. Periods are half-open: ``from <= t < to``.

* Sanctions count in the period when they start in it, by their kind as imposed.
* Time to action: for each violation that led to one of these sanctions, from the violation's
  ``occurred_at`` to the sanction's ``starts_at`` (never negative).
* Appeals count as received when received in the period, as decided (and reversed, when granted
  or partially granted) when decided in it; the median handling time is that of the decided ones.
* Art. 23(1) suspensions: suspensions on the ground of illegal content of an identity that had
  already received a warning before (art. 23(1): "after having issued a prior warning"). Reprieve
  keeps no notices, so art. 23(2) suspensions (manifestly unfounded notices) are reported as 0.
* Out-of-court disputes (art. 21) count when submitted in the period, by outcome.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from reprieve.dsa import labels

ART23_RULE = (
    "a suspension on the ground of illegal content, of an identity that had already received a warning "
    "(art. 23(1): after a prior warning)"
)
ART23_2_RULE = "Reprieve records no notices: art. 23(2) suspensions (manifestly unfounded notices) are not recognised"
REVERSED = frozenset({"granted", "partially_granted"})


def median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


@dataclass
class ReportBuilder:
    operator: str
    start: str
    end: str
    kinds: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    grounds: Counter[str] = field(default_factory=Counter)
    platforms: Counter[str] = field(default_factory=Counter)
    detection: Counter[str] = field(default_factory=Counter)
    decision: Counter[str] = field(default_factory=Counter)
    to_action: list[int] = field(default_factory=list)
    appeals_received: Counter[str] = field(default_factory=Counter)
    appeals_decided: Counter[str] = field(default_factory=Counter)
    handling: list[int] = field(default_factory=list)
    art23: int = 0  #: set by the caller, who knows which suspensions followed a warning (ART23_RULE)
    disputes: Counter[str] = field(default_factory=Counter)

    def add_sanction(
        self,
        *,
        kind: str,
        category: str,
        ground: str,
        platform: str,
        detection: bool,
        decision: str,
    ) -> None:
        self.kinds[kind] += 1
        self.categories[category] += 1
        self.grounds[ground] += 1
        self.platforms[platform] += 1
        self.detection["automated" if detection else "not_automated"] += 1
        self.decision[decision] += 1

    def add_time_to_action(self, seconds: int) -> None:
        self.to_action.append(max(0, seconds))

    def add_appeal_received(self, kind: str) -> None:
        self.appeals_received[kind] += 1

    def add_appeal_decided(self, outcome: str, handling_seconds: int) -> None:
        self.appeals_decided[outcome] += 1
        self.handling.append(max(0, handling_seconds))

    def add_dispute(self, outcome: str) -> None:
        self.disputes[outcome] += 1

    def result(self, generated_at: str) -> dict[str, Any]:
        decided = sum(self.appeals_decided.values())
        return {
            "operator": self.operator,
            "from": self.start,
            "to": self.end,
            "generated_at": generated_at,
            "sanctions": {
                "total": sum(self.kinds.values()),
                "by_kind": _sorted(self.kinds),
                "by_category": _sorted(self.categories),
                "by_ground": _sorted(self.grounds),
                "by_platform": _sorted(self.platforms),
                "by_automated_detection": _sorted(self.detection),
                "by_automated_decision": _sorted(self.decision),
            },
            "time_to_action": {"violations": len(self.to_action), "median_seconds": median(self.to_action)},
            "appeals": {
                "received": sum(self.appeals_received.values()),
                "received_by_kind": _sorted(self.appeals_received),
                "decided": decided,
                "decided_by_outcome": _sorted(self.appeals_decided),
                "reversed": sum(n for outcome, n in self.appeals_decided.items() if outcome in REVERSED),
                "median_handling_seconds": median(self.handling),
            },
            "art23_suspensions": {
                "manifestly_illegal_content": self.art23,
                "manifestly_unfounded_notices": 0,
                "rule": ART23_RULE,
                "note": ART23_2_RULE,
            },
            "disputes": {"submitted": sum(self.disputes.values()), "by_outcome": _sorted(self.disputes)},
        }


def _sorted(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items()))


def csv_rows(report: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """The report as ``(section, item, value)`` rows: one figure per row."""
    yield ("period", "operator", report["operator"])
    yield ("period", "from", report["from"])
    yield ("period", "to", report["to"])
    for section in ("sanctions", "time_to_action", "appeals", "art23_suspensions", "disputes"):
        for key, value in report[section].items():
            if isinstance(value, dict):
                for item, n in value.items():
                    yield (f"{section}.{key}", item, str(n))
            else:
                yield (section, key, "" if value is None else str(value))


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    width: float  #: share of the chart's width, 0 to 1
    y: int


def bars(counts: dict[str, int], *, row_height: int = 22) -> list[Bar]:
    """Horizontal bars for an inline SVG chart, largest first."""
    top = max(counts.values(), default=0) or 1
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [Bar(_label(label), n, n / top, i * row_height) for i, (label, n) in enumerate(ordered)]


def _label(code: str) -> str:
    """``STATEMENT_CATEGORY_SCAMS_AND_FRAUD`` -> ``Scams and fraud`` (``dsa/labels.py``);
    ``partially_granted`` -> ``partially granted``."""
    if code in labels.LABELS:
        return labels.label(code)
    return code.replace("_", " ").lower()
