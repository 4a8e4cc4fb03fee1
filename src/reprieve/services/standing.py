"""Standing and checks read from the database: "may this account do X at instant t?"

The enforcement index answers the same questions from memory for the present; these are the
reference answers, and the ones for any past or future instant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from reprieve.domain.errors import NotFoundError, ReprieveError, ValidationError
from reprieve.domain.model import AccountRef, Status, ensure_slug
from reprieve.domain.standing import Standing, standing_at
from reprieve.domain.strikes import Probation, count_strikes, probation_at
from reprieve.domain.time import format_instant, from_micros, to_micros
from reprieve.services.catalogue import require_platform
from reprieve.services.due_process import policy_of
from reprieve.store import due_process
from reprieve.store.db import Database
from reprieve.store.standing import standing_rows

MAX_CHECKS = 10_000


@dataclass(frozen=True, slots=True)
class AccountStanding:
    ref: AccountRef
    identity: str | None
    standing: Standing
    strikes: int
    probation: Probation | None = None


def account_standing(db: Database, conn: Connection, ref: AccountRef, at_us: int) -> AccountStanding:
    platform = require_platform(db, conn, ref.platform)
    rows = standing_rows(conn, ref.platform, ref.account)
    if rows.identity is None:  # never sanctioned, never registered: in good standing
        return AccountStanding(ref, None, standing_at([], at_us), 0)
    # Strikes and probation follow the rule of reprieve.domain.strikes.
    marks = due_process.marks_of(rows.direct, rows.reported, policy_of(platform).strike_expiry)
    probation = probation_at(rows.probations, at_us)
    return AccountStanding(ref, rows.identity, standing_at(rows.spans, at_us), count_strikes(marks, at_us), probation)


def standing_view(result: AccountStanding, at: datetime) -> dict[str, Any]:
    s = result.standing
    return {
        "platform": result.ref.platform,
        "account": result.ref.account,
        "identity": result.identity,
        "at": format_instant(at),
        "status": s.status.value,
        "denies": list(s.denies),
        "until": format_instant(from_micros(s.until)) if s.until is not None else None,
        "sanctions": list(s.sanctions),
        "strikes": result.strikes,
        "probation": probation_view(result.probation),
    }


def probation_view(probation: Probation | None) -> dict[str, Any] | None:
    """The probation in force: since when, until when, the ladder that applies, the sanction it follows."""
    if probation is None:
        return None
    return {
        "id": probation.id,
        "since": format_instant(from_micros(probation.start)),
        "until": format_instant(from_micros(probation.until)),
        "ladder": probation.ladder_data,
        "sanction": probation.sanction,
    }


def get_standing(
    db: Database, ref: AccountRef, *, at: datetime, operators: Sequence[str] | None = None
) -> dict[str, Any]:
    with db.read_one() as conn:  # one statement (store.standing), once the platform is known
        _visible(db, conn, ref.platform, operators)
        return standing_view(account_standing(db, conn, ref, to_micros(at)), at)


@dataclass(frozen=True, slots=True)
class Check:
    ref: AccountRef
    capability: str


@dataclass(frozen=True, slots=True)
class RowError:
    """What answers a check that cannot be answered (an unknown platform, a capability the
    platform lacks), in its place in the batch: the error's class and message."""

    error: type[ReprieveError]
    message: str

    @classmethod
    def of(cls, error: ReprieveError) -> RowError:
        return cls(type(error), error.message)


def run_checks(
    db: Database,
    checks: Sequence[Check],
    *,
    at: datetime,
    operators: Sequence[str] | None = None,
    refused: list[int] | None = None,
) -> list[dict[str, Any]]:
    """``{allowed, status, until, sanction}`` for each check, in order.

    A check that cannot be answered raises its error; or, given a ``refused`` list, is answered
    ``{platform, account, capability, error: RowError}`` in its place, its position added to
    ``refused``, and the others are still decided."""
    if len(checks) > MAX_CHECKS:
        raise ValidationError(f"at most {MAX_CHECKS} checks per request", field="checks")
    at_us = to_micros(at)
    results: list[dict[str, Any]] = []
    cache: dict[AccountRef, AccountStanding] = {}
    with db.read() as conn:
        for check in checks:
            try:
                ensure_slug(check.capability, field="capability")
                platform = _visible(db, conn, check.ref.platform, operators)
                if check.capability not in platform.capabilities:
                    raise ValidationError(
                        f"{check.capability!r} is not a capability of platform {platform.id!r}", field="capability"
                    )
            except ReprieveError as error:
                if refused is None:
                    raise
                refused.append(len(results))
                results.append(refused_row(check.ref.platform, check.ref.account, check.capability, error))
                continue
            result = cache.get(check.ref)
            if result is None:
                result = cache[check.ref] = account_standing(db, conn, check.ref, at_us)
            s = result.standing
            allowed = check.capability not in s.denies
            results.append(
                {
                    "platform": check.ref.platform,
                    "account": check.ref.account,
                    "capability": check.capability,
                    "allowed": allowed,
                    "status": s.status.value if not allowed or s.status is not Status.GOOD else Status.GOOD.value,
                    "until": None if allowed else (format_instant(from_micros(s.until)) if s.until else None),
                    "sanction": None if allowed else s.denier_of(check.capability),
                }
            )
    return results


def refused_row(platform: str, account: str, capability: str, error: ReprieveError | RowError) -> dict[str, Any]:
    """A check's answer in a batch when it cannot be answered (see ``run_checks``)."""
    row_error = error if isinstance(error, RowError) else RowError.of(error)
    return {"platform": platform, "account": account, "capability": capability, "error": row_error}


def _visible(db: Database, conn: Connection, platform_id: str, operators: Sequence[str] | None) -> Any:
    platform = db.platform(conn, platform_id)
    if platform is None or (operators is not None and platform.operator not in operators):
        raise NotFoundError(f"no platform {platform_id!r}")
    return platform
