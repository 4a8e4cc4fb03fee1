"""Amnesty rules: what a filter may say, the states an amnesty goes through, and its progress.

An amnesty lifts every sanction of one operator that matches a filter, minus exclusions, at one
``effective_at``; a filter that ``covers`` content restores the matching content decisions'
items as well (issue 25, PRODUCT.md section 9). A lift only acts on a sanction active at its
``effective_at`` (PRODUCT.md section 3), so the states a filter may ask for are those a lift accepts: ``active``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from reprieve.domain.content import ContentKind
from reprieve.domain.errors import ValidationError
from reprieve.domain.model import SanctionKind, SanctionState, ensure_slug, ensure_text, parse_enum
from reprieve.domain.reason import CATEGORIES, category_problem
from reprieve.domain.time import format_instant, parse_instant

#: Sanctions shown by a dry run.
SAMPLE_SIZE = 20
#: Most platforms, kinds, categories or policies one filter may name.
MAX_LIST = 100


class AmnestyState(StrEnum):
    """Where an amnesty is: lifting, done, re-imposing what it lifted, undone; or stopped by an error."""

    RUNNING = "running"
    COMPLETED = "completed"
    REVERTING = "reverting"
    REVERTED = "reverted"
    FAILED = "failed"


class Covers(StrEnum):
    """What an amnesty acts on: sanctions (lifted), content decisions (their items restored), or both."""

    SANCTIONS = "sanctions"
    CONTENT = "content"
    BOTH = "both"

    @property
    def sanctions(self) -> bool:
        return self is not Covers.CONTENT

    @property
    def content(self) -> bool:
        return self is not Covers.SANCTIONS


class Phase(StrEnum):
    """The two batched passes over an amnesty's targets."""

    LIFT = "lift"
    REVERT = "revert"


@dataclass(frozen=True, slots=True)
class AmnestyFilter:
    """Which sanctions (and, with ``covers``, content decisions) of ``operator`` an amnesty acts on;
    empty lists mean "any". ``kinds`` are sanctions' kinds, ``content_kinds`` content decisions';
    the platforms, start and exclusions apply to both."""

    operator: str
    platforms: tuple[str, ...] = ()
    kinds: tuple[SanctionKind, ...] = ()
    states: tuple[SanctionState, ...] = (SanctionState.ACTIVE,)
    started_before: datetime | None = None
    exclude_categories: tuple[str, ...] = ()
    exclude_policies: tuple[str, ...] = ()
    covers: Covers = Covers.SANCTIONS
    content_kinds: tuple[ContentKind, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "operator": self.operator,
            "platforms": list(self.platforms),
            "kinds": [k.value for k in self.kinds],
            "states": [s.value for s in self.states],
            "started_before": format_instant(self.started_before),
            "exclude_categories": list(self.exclude_categories),
            "exclude_policies": list(self.exclude_policies),
        }
        if self.covers is not Covers.SANCTIONS:  # an amnesty of sanctions records what it always did
            data["covers"] = self.covers.value
            data["content_kinds"] = [k.value for k in self.content_kinds]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AmnestyFilter:
        """A filter as recorded in an ``amnesty.started`` event (already checked when it was made)."""
        return cls(
            operator=data["operator"],
            platforms=tuple(data.get("platforms") or ()),
            kinds=tuple(SanctionKind(k) for k in data.get("kinds") or ()),
            states=tuple(SanctionState(s) for s in data.get("states") or (SanctionState.ACTIVE,)),
            started_before=parse_instant(data["started_before"]) if data.get("started_before") else None,
            exclude_categories=tuple(data.get("exclude_categories") or ()),
            exclude_policies=tuple(data.get("exclude_policies") or ()),
            covers=Covers(data.get("covers") or Covers.SANCTIONS.value),
            content_kinds=tuple(ContentKind(k) for k in data.get("content_kinds") or ()),
        )


def make_filter(
    operator: str,
    *,
    platforms: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    states: Sequence[str] | None = None,
    started_before: str | datetime | None = None,
    exclude_categories: Sequence[str] | None = None,
    exclude_policies: Sequence[str] | None = None,
    covers: str | None = None,
    content_kinds: Sequence[str] | None = None,
) -> AmnestyFilter:
    """Check what a moderator asked for and turn it into a filter (ValidationError naming the field)."""
    ensure_slug(operator, field="operator")
    platform_ids = tuple(dict.fromkeys(ensure_slug(p, field="platforms") for p in _listed(platforms, "platforms")))
    kind_values = tuple(
        dict.fromkeys(parse_enum(SanctionKind, k, field="filter.kinds") for k in _listed(kinds, "filter.kinds"))
    )
    state_values = tuple(
        dict.fromkeys(parse_enum(SanctionState, s, field="filter.states") for s in _listed(states, "filter.states"))
    ) or (SanctionState.ACTIVE,)
    for state in state_values:
        if state is not SanctionState.ACTIVE:
            raise ValidationError(
                f"an amnesty lifts sanctions, and only an active sanction can be lifted: {state.value!r} "
                "cannot be asked for (use 'active', the default)",
                field="filter.states",
            )
    before = parse_instant(started_before, field="filter.started_before") if started_before is not None else None
    categories = tuple(dict.fromkeys(_listed(exclude_categories, "filter.exclude_categories")))
    for category in categories:
        if category not in CATEGORIES:
            raise ValidationError(category_problem(category), field="filter.exclude_categories")
    policies = tuple(
        dict.fromkeys(
            ensure_text(p, field="filter.exclude_policies", max_length=500)
            for p in _listed(exclude_policies, "filter.exclude_policies")
        )
    )
    covering = Covers.SANCTIONS if covers is None else parse_enum(Covers, covers, field="filter.covers")
    content_kind_values = tuple(
        dict.fromkeys(
            parse_enum(ContentKind, k, field="filter.content_kinds")
            for k in _listed(content_kinds, "filter.content_kinds")
        )
    )
    if content_kind_values and not covering.content:
        raise ValidationError(
            "content kinds filter content decisions: say covers 'content' or 'both'", field="filter.content_kinds"
        )
    if kind_values and not covering.sanctions:
        raise ValidationError(
            "kinds filter sanctions: an amnesty that covers only content takes content_kinds", field="filter.kinds"
        )
    return AmnestyFilter(
        operator,
        platform_ids,
        kind_values,
        state_values,
        before,
        categories,
        policies,
        covering,
        content_kind_values,
    )


def parse_amnesty(
    operator: str, *, effective_at: str | datetime | None = None, **filter_fields: Any
) -> tuple[AmnestyFilter, datetime | None]:
    """What an edge (a route, a form, the command line) was asked for, parsed once: the filter
    (``make_filter``'s fields) and the instant the lifts take effect (None: when recorded)."""
    effective = parse_instant(effective_at, field="effective_at") if effective_at is not None else None
    return make_filter(operator, **filter_fields), effective


def _listed(values: Sequence[str] | None, field: str) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise ValidationError("must be a list", field=field)
    if len(values) > MAX_LIST:
        raise ValidationError(f"at most {MAX_LIST} values", field=field)
    return list(values)


@dataclass(frozen=True, slots=True)
class Progress:
    """How far one pass has gone; ``rate`` per second since it started, ``eta`` in seconds."""

    done: int
    total: int
    rate: float | None
    eta_seconds: float | None


def progress(done: int, total: int, *, started_us: int | None, now_us: int, finished: bool) -> Progress:
    """Rate and estimated time left of a pass that started at ``started_us`` (µs since the epoch)."""
    if started_us is None or now_us <= started_us or done <= 0:
        return Progress(done, total, None, 0.0 if finished else None)
    rate = done / ((now_us - started_us) / 1_000_000)
    eta = 0.0 if finished else max(0, total - done) / rate
    return Progress(done, total, round(rate, 1), round(eta, 1))
