"""Random histories of content decisions (decide, amend, restore; territorial scopes; backdated and
future effective instants), recorded as content.* events, to compare the index with the database.

Written through the unit of work rather than the content service (another branch's), with the
domain's own guards (``ContentDecision.amend`` and ``restore``) deciding what may be recorded.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from reprieve.domain.content import ContentKind
from reprieve.domain.errors import ConflictError, ValidationError
from reprieve.domain.events import ContentAmended, ContentDecided, ContentRestored, NewEvent
from reprieve.domain.time import format_instant
from reprieve.store.content import load_decision
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

ACTOR = "enforcement-tests"
REASON = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "policy": "Dangerous individuals and organisations",
    "explanation": "Praise of ongoing violence",
}
#: A few EEA countries, so that scopes overlap often.
COUNTRIES = ("DE", "FR", "IT", "NL", "PL")
#: What a check may name as the viewer's country: none, scoped ones, another EEA one, one outside.
VIEWERS: tuple[str | None, ...] = (None, "FR", "DE", "PL", "AT", "US")


@dataclass
class ContentHistory:
    """Items and decisions made by random steps on ``platforms`` (platform -> operator)."""

    db: Database
    rng: random.Random
    now: datetime  #: valid time: effective instants are drawn around it
    platforms: dict[str, str]
    recorded_at: datetime = field(default=datetime.min)  #: record time of the next events
    items: list[tuple[str, str]] = field(default_factory=list)
    authors: dict[tuple[str, str], str] = field(default_factory=dict)
    decisions: list[str] = field(default_factory=list)
    made: int = 0
    refused: int = 0

    def __post_init__(self) -> None:
        if self.recorded_at == datetime.min:
            self.recorded_at = self.now

    def instant(self, low_days: int, high_days: int) -> datetime:
        return self.now + timedelta(seconds=self.rng.randint(low_days * 86_400, high_days * 86_400))

    def step(self) -> None:
        roll = self.rng.random()
        if roll < 0.45 or not self.decisions:
            self.decide()
            return
        try:
            if roll < 0.8:
                self.amend()
            else:
                self.restore()
            self.made += 1
        except (ConflictError, ValidationError):
            self.refused += 1

    def _record(self, event: object, effective_at: datetime, operator: str) -> None:
        with UnitOfWork(self.db, actor=ACTOR, now=self.recorded_at) as uow:
            uow.record([NewEvent.of(event, format_instant(effective_at) or "", operator)])  # type: ignore[arg-type]

    def scope(self) -> list[str]:
        if self.rng.random() < 0.55:
            return []
        return sorted(self.rng.sample(COUNTRIES, self.rng.randint(1, 3)))

    def item(self) -> tuple[str, str]:
        if self.items and self.rng.random() < 0.4:
            return self.rng.choice(self.items)
        platform = self.rng.choice(sorted(self.platforms))
        if self.rng.random() < 0.5:
            item = str(self.rng.randrange(10**18, 10**19))  # a numeric id of 19 digits
        else:
            item = f"post/{self.rng.randrange(10**6)}-{self.rng.randrange(10**20):020d}"
        self.items.append((platform, item))
        self.authors[platform, item] = f"user{self.rng.randrange(8)}"
        return platform, item

    def decide(self) -> None:
        platform, item = self.item()
        decision_id = f"cd_{len(self.decisions) + 1:06d}"
        starts = self.instant(-300, 100) if self.rng.random() < 0.85 else self.now
        ends = None if self.rng.random() < 0.3 else starts + timedelta(seconds=self.rng.randint(60, 300 * 86_400))
        event = ContentDecided(
            id=decision_id,
            operator=self.platforms[platform],
            item={
                "platform": platform,
                "item": item,
                "account": self.authors[platform, item],
                "content_type": ["CONTENT_TYPE_TEXT"],
                "content_date": "2024-01-01",
            },
            kind=self.rng.choice(list(ContentKind)).value,
            starts_at=format_instant(starts) or "",
            ends_at=format_instant(ends),
            reason=dict(REASON),
            automated={"detection": True, "decision": "partially"},
            kind_other="shown with a notice",
            territorial_scope=self.scope(),
        )
        self._record(event, starts, self.platforms[platform])
        self.decisions.append(decision_id)

    def effective(self, starts_at: datetime) -> datetime:
        """Mostly while the decision may still be in force (from its start), sometimes anywhere."""
        if self.rng.random() < 0.7:
            return starts_at + timedelta(seconds=self.rng.randint(0, 120 * 86_400))
        return self.instant(-250, 150)

    def _load(self, decision_id: str):  # type: ignore[no-untyped-def]
        with self.db.read() as conn:
            decision = load_decision(conn, decision_id)
        assert decision is not None
        return decision

    def amend(self) -> None:
        decision = self._load(self.rng.choice(self.decisions))
        effective = self.effective(decision.starts_at)
        kind = self.rng.choice([None, *ContentKind])
        ends: datetime | None = None
        if self.rng.random() < 0.7:
            ends = effective + timedelta(seconds=self.rng.randint(60, 300 * 86_400))
        scope = self.scope() if self.rng.random() < 0.6 else None
        change = decision.amend(seq=0, effective_at=effective, ends_at=ends, kind=kind, territorial_scope=scope)
        assert change.kind is not None
        event = ContentAmended(
            decision.id, change.kind.value, format_instant(change.ends_at), list(change.territorial_scope), "amended"
        )
        self._record(event, effective, decision.operator)

    def restore(self) -> None:
        decision = self._load(self.rng.choice(self.decisions))
        effective = self.effective(decision.starts_at)
        decision.restore(seq=0, effective_at=effective)
        self._record(ContentRestored(decision.id, "restored"), effective, decision.operator)
