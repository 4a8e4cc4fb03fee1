"""What reviews, appeals and violations share: who is acting, a platform's policy, the sanction
changes a decision records, and the probation a lifting decision may start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reprieve.domain import roles
from reprieve.domain.errors import NotFoundError, ValidationError
from reprieve.domain.events import NewEvent, ProbationStarted
from reprieve.domain.personal import PersonalRef
from reprieve.domain.policy import ladder_from_data, policy_of
from reprieve.domain.sanctions import Change, Sanction
from reprieve.domain.time import Duration, format_instant, parse_duration
from reprieve.services.callers import Caller
from reprieve.services.catalogue import require_platform
from reprieve.store import queries
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

#: Roles that count as a moderator for reviews (``domain.roles``): they open them and may decide any.
MODERATING = roles.MODERATING


def load_sanction(uow: UnitOfWork, sanction_id: str, caller: Caller | None) -> Sanction:
    """The sanction; NotFoundError if none the caller sees (None: every operator's)."""
    sanction = queries.load_sanction(uow.conn, sanction_id)
    if sanction is None or (caller is not None and not caller.sees(sanction.operator)):
        raise NotFoundError(f"no sanction {sanction_id!r}")
    return sanction


def amendment_event(
    sanction: Sanction,
    change: Change,
    reason: str,
    origin: dict[str, str],
    backdated_reason: PersonalRef | None = None,
) -> NewEvent:
    """The ``sanction.amended`` event of a decision, naming it (``{"review": id}``, ``{"appeal": id}``),
    with the reason it is backdated, if it is (PRODUCT.md section 8)."""
    event = sanction.amended_event(change, reason=reason, origin=origin, backdated_reason=backdated_reason)
    return NewEvent.of(event, format_instant(change.effective_at) or "", sanction.operator)


def lift_event(
    sanction: Sanction,
    effective_at: datetime,
    reason: str,
    origin: dict[str, str],
    backdated_reason: PersonalRef | None = None,
) -> NewEvent:
    event = sanction.lifted_event(reason=reason, origin=origin, backdated_reason=backdated_reason)
    return NewEvent.of(event, format_instant(effective_at) or "", sanction.operator)


def decision_reason(what: str, rationale: str) -> str:
    """The ``reason`` of a sanction change made by a decision, within the 2,000 characters of one."""
    text = f"{what}: {rationale}"
    return text if len(text) <= 2000 else text[:1999] + "…"


@dataclass(frozen=True, slots=True)
class ProbationRequest:
    """The probation a lifting decision asks for; None fields default to the subject platform's
    policy (``probation.duration``, ``probation.ladder``)."""

    duration: Duration | None = None
    ladder: dict[str, Any] | None = None

    @classmethod
    def parse(cls, data: object) -> ProbationRequest:
        """From ``{duration?, ladder?}`` as an edge was given it (JSON-like), parsed once."""
        if isinstance(data, ProbationRequest):
            return data
        if not isinstance(data, dict):
            raise ValidationError("must be an object {duration, ladder?}", field="probation")
        unknown = set(data) - {"duration", "ladder"}
        if unknown:
            raise ValidationError(f"unknown field {sorted(unknown)[0]!r}", field="probation")
        duration = data.get("duration")
        return cls(
            duration=duration
            if duration is None or isinstance(duration, Duration)
            else parse_duration(duration, field="probation.duration"),
            ladder=data.get("ladder"),
        )


def probation_event(
    db: Database,
    uow: UnitOfWork,
    sanction: Sanction,
    request: ProbationRequest,
    *,
    starts_at: datetime,
    source: str,
) -> tuple[NewEvent, dict[str, Any]]:
    """A ``probation.started`` event for ``request`` after lifting ``sanction``.

    Both default to the subject platform's policy (``probation.duration``, ``probation.ladder``).
    The probation covers the sanction's scope, from ``starts_at``.
    """
    platform = require_platform(db, uow.conn, sanction.subject.platform)
    policy = policy_of(platform)
    duration = request.duration if request.duration is not None else policy.probation_duration
    if duration is None:
        raise ValidationError(
            f"give a duration: the policy of platform {platform.id!r} sets none", field="probation.duration"
        )
    ladder_data = request.ladder
    if ladder_data is None:
        probation_policy = platform.policy.get("probation") if isinstance(platform.policy, dict) else None
        ladder_data = probation_policy.get("ladder") if isinstance(probation_policy, dict) else None
        if ladder_data is None:
            raise ValidationError(
                f"give a ladder: the policy of platform {platform.id!r} has no probation ladder",
                field="probation.ladder",
            )
    capabilities = tuple(sorted({c for p in sanction.scope for c in require_platform(db, uow.conn, p).capabilities}))
    ladder = ladder_from_data(ladder_data, path="probation.ladder", capabilities=capabilities)
    if ladder.is_empty:
        raise ValidationError("a probation ladder needs at least one step", field="probation.ladder")
    until = duration.after(starts_at, field="probation.duration")
    data: dict[str, Any] = {
        "id": db.ids.new_id("prb", uow.now),
        "operator": sanction.operator,
        "identity": sanction.identity,
        "scope": list(sanction.scope),
        "starts_at": format_instant(starts_at),
        "until": format_instant(until),
        "duration": str(duration),
        "ladder": ladder_data,
        "sanction": sanction.id,
        "source": source,
    }
    return NewEvent.of(ProbationStarted(**data), format_instant(starts_at) or "", sanction.operator), data


@dataclass(frozen=True, slots=True)
class ProbationView:
    """A probation a decision started."""

    id: str
    starts_at: datetime
    until: datetime
    scope: tuple[str, ...]
    ladder: dict[str, Any]
    sanction: str | None
    source: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "starts_at": format_instant(self.starts_at),
            "until": format_instant(self.until),
            "scope": list(self.scope),
            "ladder": self.ladder,
            "sanction": self.sanction,
            "source": self.source,
        }
