"""Checks ("may this account do X?") and the standing that answers them, as the database path
(``services.standing``) and the in-memory index (``enforcement``) both give them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reprieve.domain.errors import ReprieveError
from reprieve.domain.model import AccountRef
from reprieve.domain.standing import Standing
from reprieve.domain.strikes import Probation
from reprieve.domain.time import format_instant, from_micros

MAX_CHECKS = 10_000


@dataclass(frozen=True, slots=True)
class AccountStanding:
    ref: AccountRef
    identity: str | None
    standing: Standing
    strikes: int
    probation: Probation | None = None
    #: In force past its term's end, held until its review is decided (PRODUCT.md section 8):
    #: ``until`` is then null, and this says why.
    pending_review: bool = False


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
        "pending_review": result.pending_review,
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


def refused_row(platform: str, account: str, capability: str, error: ReprieveError | RowError) -> dict[str, Any]:
    """A check's answer in a batch when it cannot be answered (see ``run_checks``)."""
    row_error = error if isinstance(error, RowError) else RowError.of(error)
    return {"platform": platform, "account": account, "capability": capability, "error": row_error}
