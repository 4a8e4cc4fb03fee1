"""Random sanction histories, written through the services, to compare the index with the database."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from reprieve.domain.errors import ConflictError, ValidationError
from reprieve.domain.model import AccountRef
from reprieve.services import catalogue
from reprieve.services.appeals import DecideAppeal, FileAppeal, decide_appeal, file_appeal
from reprieve.services.callers import Caller
from reprieve.services.sanctions import (
    AmendSanction,
    ImposeSanction,
    LiftSanction,
    amend_sanction,
    impose_sanction,
    lift_sanction,
)
from reprieve.services.violations import RecordViolation, record_violation
from reprieve.store.db import Database

ACTOR = "enforcement-tests"

#: operator -> platform -> capabilities (None: the default list)
CATALOGUE: dict[str, dict[str, list[str] | None]] = {
    "meta": {"facebook": None, "instagram": ["login", "post", "message", "live"]},
    "x": {"twitter": ["login", "post", "appeal"]},
}
#: Shipped policies, for platforms whose strikes expire and whose violations climb a ladder.
POLICIES = {"facebook": "meta", "twitter": "youtube"}
MODERATOR = Caller(actor="enforcement-tests")
KINDS = ("warning", "restriction", "suspension", "termination")


@dataclass
class History:
    """What a random history created: the accounts, the sanctions, and the catalogue."""

    db: Database
    rng: random.Random
    now: datetime
    accounts: list[AccountRef] = field(default_factory=list)
    sanctions: list[str] = field(default_factory=list)
    capabilities: dict[str, list[str]] = field(default_factory=dict)
    operator_of: dict[str, str] = field(default_factory=dict)
    changes: int = 0  #: amendments, lifts, links, registrations, violations and appeals made
    violations: int = 0
    refused: int = 0  #: those the domain refused

    def instant(self, low_days: int, high_days: int) -> datetime:
        seconds = self.rng.randint(low_days * 86_400, high_days * 86_400)
        return self.now + timedelta(seconds=seconds)

    def step(self) -> None:
        """One random change; an amendment or lift the domain refuses is not made, as in real life."""
        roll = self.rng.random()
        if roll < 0.35 or not self.sanctions:
            self.impose()
            return
        try:
            if roll < 0.5:
                self.amend()
            elif roll < 0.6:
                self.lift()
            elif roll < 0.7:
                self.link()
            elif roll < 0.75:
                self.register()
            elif roll < 0.9:
                self.violate()
            else:
                self.appeal()
            self.changes += 1
        except (ConflictError, ValidationError):
            self.refused += 1

    def account(self, platform: str | None = None) -> AccountRef:
        platform = platform or self.rng.choice(sorted(self.operator_of))
        return AccountRef(platform, f"user{self.rng.randrange(8)}")

    def impose(self) -> None:
        subject = self.account()
        operator = self.operator_of[subject.platform]
        siblings = [p for p, o in self.operator_of.items() if o == operator and p != subject.platform]
        scope = [subject.platform] + [p for p in siblings if self.rng.random() < 0.5]
        kind = self.rng.choice(KINDS)
        offered = sorted({c for p in scope for c in self.capabilities[p]} - {"appeal"})
        denies = self.rng.sample(offered, self.rng.randint(1, min(3, len(offered)))) if kind == "restriction" else []
        starts = self.instant(-400, 120) if self.rng.random() < 0.8 else None
        ends = None
        if kind != "termination" and self.rng.random() < 0.8:
            ends = (starts or self.now) + timedelta(seconds=self.rng.randint(3_600, 500 * 86_400))
        # Some terms are held until their review (issue 22): in force after their end until decided.
        held = ends is not None and self.rng.random() < 0.2
        sanction = impose_sanction(
            self.db,
            ImposeSanction.parse(
                subject=subject,
                kind=kind,
                scope=scope,
                denies=denies,
                starts_at=starts,
                ends_at=ends,
                review_at=ends if held else None,
                hold_until_review=held,
                reason=_reason(),
                backdated_reason="Test history, entered after the fact.",
            ),
            caller=Caller(ACTOR, now=self.now),
        ).to_json()
        self.sanctions.append(sanction["id"])
        if subject not in self.accounts:
            self.accounts.append(subject)

    def amend(self) -> None:
        sanction_id = self.rng.choice(self.sanctions)
        effective = self.instant(-300, 200)
        kind = self.rng.choice((None, *KINDS))
        changes: dict[str, object] = {}
        if kind is not None:
            changes["kind"] = kind
        if kind == "restriction":
            changes["denies"] = self.rng.sample(["login", "post", "message"], self.rng.randint(1, 2))
        if kind != "termination" and (not changes or self.rng.random() < 0.7):
            changes["ends_at"] = (
                None if self.rng.random() < 0.2 else effective + timedelta(seconds=self.rng.randint(60, 400 * 86_400))
            )
        if self.rng.random() < 0.15:  # hold the term until a review, or release it
            hold = self.rng.random() < 0.7
            changes["hold_until_review"] = hold
            if hold:
                changes["review_at"] = effective + timedelta(seconds=self.rng.randint(60, 400 * 86_400))
        amend_sanction(
            self.db,
            sanction_id,
            AmendSanction.parse(
                reason="amended by a test",
                effective_at=effective,
                **changes,
                backdated_reason="Test history, entered after the fact.",
            ),  # type: ignore[arg-type]
            caller=Caller(ACTOR, now=self.now),
        )

    def lift(self) -> None:
        lift_sanction(
            self.db,
            self.rng.choice(self.sanctions),
            LiftSanction.parse(
                reason="lifted by a test",
                effective_at=self.instant(-200, 200),
                backdated_reason="Test history, entered after the fact.",
            ),
            caller=Caller(ACTOR, now=self.now),
        )

    def link(self) -> None:
        operator = self.rng.choice(sorted(CATALOGUE))
        platforms = sorted(CATALOGUE[operator])
        refs = list({self.account(self.rng.choice(platforms)) for _ in range(self.rng.randint(2, 3))})
        catalogue.link_identities(
            self.db,
            catalogue.LinkIdentities.parse(operator=operator, accounts=refs),
            caller=Caller(ACTOR, now=self.now),
        )
        self.accounts.extend(r for r in refs if r not in self.accounts)

    def violate(self) -> None:
        """A violation reported by the platform, now or in the past; its ladder may sanction."""
        ref = self.account()
        self.violations += 1
        result = record_violation(
            self.db,
            RecordViolation.parse(
                id=f"v{self.violations}",
                platform=ref.platform,
                account=ref.account,
                policy="spam",
                severity=self.rng.choice(("low", "moderate", "high", "severe")),
                category="STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
                occurred_at=self.instant(-500, 0),
            ),
            caller=MODERATOR.at(self.now),
        )
        sanction = result.body.get("sanction")
        if sanction:
            self.sanctions.append(sanction["id"])
        if ref not in self.accounts:
            self.accounts.append(ref)

    def appeal(self) -> None:
        """A reinstatement request, granted now: the sanction is lifted, its strike voided,
        and sometimes a probation begins."""
        sanction_id = self.rng.choice(self.sanctions)
        filed = file_appeal(
            self.db,
            FileAppeal.parse(
                sanction_id=sanction_id,
                kind="reinstatement",
                filed_by={"name": "Counsel", "relation": "representative"},
                statement="Please reinstate.",
                channel="letter",
            ),
            caller=MODERATOR.at(self.now),
        )
        decide_appeal(
            self.db,
            filed.id,
            DecideAppeal.parse(
                outcome="granted",
                rationale="Circumstances changed.",
                reply="Reinstated.",
                probation={"duration": "P1Y"} if self.rng.random() < 0.5 else None,
            ),
            caller=MODERATOR.at(self.now),
        )

    def register(self) -> None:
        ref = self.account()
        catalogue.put_account(self.db, catalogue.PutAccount.parse(ref), caller=Caller(ACTOR, now=self.now))
        if ref not in self.accounts:
            self.accounts.append(ref)


def _reason() -> dict[str, object]:
    return {
        "ground": "incompatible_content",
        "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
        "policy": "Community standards",
        "explanation": "A random test sanction",
        "facts": "Generated",
    }
