"""Standing and checks read from the database: "may this account do X at instant t?"

The enforcement index answers the same questions from memory for the present; these are the
reference answers, and the ones for any past or future instant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reprieve.domain.checks import (
    MAX_CHECKS,
    AccountStanding,
    Check,
    RowError,
    standing_view,
)
from reprieve.domain.errors import NotFoundError, ReprieveError, ValidationError
from reprieve.domain.model import AccountRef, Platform, Status, ensure_slug
from reprieve.domain.policy import policy_of
from reprieve.domain.sanctions import Sanction, held_past_its_end
from reprieve.domain.standing import standing_at
from reprieve.domain.strikes import Probation, count_strikes, probation_at
from reprieve.domain.time import format_instant, from_micros, to_micros
from reprieve.services.callers import Caller
from reprieve.services.catalogue import require_platform
from reprieve.store import due_process, queries
from reprieve.store.asof import Known, known_as_of, sanctions_as_of, standing_rows_as_of
from reprieve.store.connection import Connection
from reprieve.store.db import Database
from reprieve.store.standing import standing_rows


@dataclass(frozen=True, slots=True)
class StandingView:
    """An account's standing on its platform at ``at`` (the domain's ``AccountStanding``)."""

    standing: AccountStanding
    at: datetime

    @property
    def ref(self) -> AccountRef:
        return self.standing.ref

    @property
    def identity(self) -> str | None:
        return self.standing.identity

    @property
    def status(self) -> Status:
        return self.standing.standing.status

    @property
    def denies(self) -> tuple[str, ...]:
        return tuple(self.standing.standing.denies)

    @property
    def until(self) -> datetime | None:
        until = self.standing.standing.until
        return from_micros(until) if until is not None else None

    @property
    def pending_review(self) -> bool:
        """In force past its term's end, held until its review (then ``until`` is None)."""
        return self.standing.pending_review

    @property
    def sanctions(self) -> tuple[str, ...]:
        return tuple(self.standing.standing.sanctions)

    @property
    def strikes(self) -> int:
        return self.standing.strikes

    @property
    def probation(self) -> Probation | None:
        return self.standing.probation

    @property
    def probation_until(self) -> datetime | None:
        """When the probation in force ends (None: none is)."""
        probation = self.standing.probation
        return from_micros(probation.until) if probation is not None else None

    def to_json(self) -> dict[str, Any]:
        return standing_view(self.standing, self.at)  # the one wire form, the index's too


@dataclass(frozen=True, slots=True)
class CheckView:
    """A check's answer: allowed or not, the account's status, until when and by which sanction
    it is denied; or, for a check that could not be answered in a batch, its ``error``."""

    check: Check
    allowed: bool | None = None
    status: Status | None = None
    until: datetime | None = None
    sanction: str | None = None
    error: RowError | None = None

    def to_json(self) -> dict[str, Any]:
        ref, capability = self.check.ref, self.check.capability
        if self.error is not None:
            return {"platform": ref.platform, "account": ref.account, "capability": capability, "error": self.error}
        return {
            "platform": ref.platform,
            "account": ref.account,
            "capability": capability,
            "allowed": self.allowed,
            "status": self.status.value if self.status is not None else None,
            "until": format_instant(self.until),
            "sanction": self.sanction,
        }


def account_standing(
    db: Database, conn: Connection, ref: AccountRef, at_us: int, *, known: Known | None = None
) -> AccountStanding:
    """``known``: as the events recorded by a past ``as_of`` made it; None: now."""
    platform = require_platform(db, conn, ref.platform)
    if known is None:
        rows = standing_rows(conn, ref.platform, ref.account)
        if rows.last_link is not None and at_us < rows.last_link:  # before a link: not the identity of now
            rows = standing_rows_as_of(conn, platform, ref.account, None, at_us)
    else:
        rows = standing_rows_as_of(conn, platform, ref.account, known, at_us)
    if rows.identity is None:  # never sanctioned, never registered: in good standing
        return AccountStanding(ref, None, standing_at([], at_us), 0)
    # Strikes and probation follow the rule of reprieve.domain.strikes.
    marks = due_process.marks_of(rows.direct, rows.reported, policy_of(platform).strike_expiry)
    probation = probation_at(rows.probations, at_us)
    standing = standing_at(rows.spans, at_us)
    if rows.known is not None:  # read as known then (store.asof), with their holds
        pending = bool(standing.sanctions) and held_past_its_end(
            rows.known.values(), standing.sanctions, from_micros(at_us)
        )
    else:
        held = [i for i in standing.sanctions if i in rows.held]
        pending = bool(held) and held_past_its_end(_held(conn, held, known), held, from_micros(at_us))
    return AccountStanding(ref, rows.identity, standing, count_strikes(marks, at_us), probation, pending)


def _held(conn: Connection, ids: Sequence[str], known: Known | None) -> list[Sanction]:
    """Those of the sanctions ``ids`` (a standing's causes, few) with a term held until its
    review, as known by ``known`` if given."""
    found = queries.held_sanctions(conn, ids=ids)
    return found if known is None else list(sanctions_as_of(conn, found, known).values())


def get_standing(
    db: Database, ref: AccountRef, *, at: datetime, caller: Caller | None = None, as_of: datetime | None = None
) -> StandingView:
    """The account's standing at ``at``; caller None: the installation, which sees every operator.
    ``as_of``: as the events recorded by then knew it (None: now)."""
    if as_of is not None:
        with db.read() as conn:
            _visible(db, conn, ref.platform, caller)
            standing = account_standing(db, conn, ref, to_micros(at), known=known_as_of(conn, as_of))
        return StandingView(standing, at)
    with db.read_one() as conn:  # one statement (store.standing), once the platform is known
        _visible(db, conn, ref.platform, caller)
        return StandingView(account_standing(db, conn, ref, to_micros(at)), at)


def run_checks(
    db: Database,
    checks: Sequence[Check],
    *,
    at: datetime,
    caller: Caller | None = None,
    refused: list[int] | None = None,
    as_of: datetime | None = None,
) -> list[CheckView]:
    """The answer to each check, in order, on the platforms of the
    operators ``caller`` sees (None: the installation, which sees every operator).

    A check that cannot be answered raises its error; or, given a ``refused`` list, is answered
    a view holding its ``error`` (``RowError``) in its place, its position added to
    ``refused``, and the others are still decided."""
    if len(checks) > MAX_CHECKS:
        raise ValidationError(f"at most {MAX_CHECKS} checks per request", field="checks")
    at_us = to_micros(at)
    results: list[CheckView] = []
    cache: dict[AccountRef, AccountStanding] = {}
    with db.read() as conn:
        known = known_as_of(conn, as_of) if as_of is not None else None
        for check in checks:
            try:
                ensure_slug(check.capability, field="capability")
                platform = _visible(db, conn, check.ref.platform, caller)
                if check.capability not in platform.capabilities:
                    raise ValidationError(
                        f"{check.capability!r} is not a capability of platform {platform.id!r}", field="capability"
                    )
            except ReprieveError as error:
                if refused is None:
                    raise
                refused.append(len(results))
                results.append(CheckView(check, error=RowError.of(error)))
                continue
            result = cache.get(check.ref)
            if result is None:
                result = cache[check.ref] = account_standing(db, conn, check.ref, at_us, known=known)
            s = result.standing
            allowed = check.capability not in s.denies
            results.append(
                CheckView(
                    check,
                    allowed,
                    s.status if not allowed or s.status is not Status.GOOD else Status.GOOD,
                    None if allowed else (from_micros(s.until) if s.until else None),
                    None if allowed else s.denier_of(check.capability),
                )
            )
    return results


def _visible(db: Database, conn: Connection, platform_id: str, caller: Caller | None) -> Platform:
    platform = db.platform(conn, platform_id)
    if platform is None or (caller is not None and not caller.sees(platform.operator)):
        raise NotFoundError(f"no platform {platform_id!r}")
    return platform
