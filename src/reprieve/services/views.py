"""What the sanctions' use cases return (``SanctionView``), and the wire dict of a sanction
imposed by a batch of violations, written from its event (``imposed_view``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reprieve.domain.model import AccountRef, SanctionKind, SanctionState
from reprieve.domain.orders import Order
from reprieve.domain.reason import Automation, Reason
from reprieve.domain.sanctions import Change, ChangeType, Imported, Sanction, state_of
from reprieve.domain.time import format_instant, parse_instant


@dataclass(frozen=True, slots=True)
class SanctionView:
    """A sanction as it stands at ``at``: its term in force then (or, before it starts, the one it
    starts with), its state, and its history (the domain's ``Change`` of each event, by seq)."""

    id: str
    operator: str
    identity: str
    subject: AccountRef
    scope: tuple[str, ...]
    kind: SanctionKind
    denies: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime | None
    review_at: datetime | None
    lifted_at: datetime | None
    state: SanctionState
    at: datetime
    reason: Reason
    automated: Automation
    history: tuple[Change, ...]
    version: int
    #: The term is held until its review (PRODUCT.md section 8); ``pending_review``: held past its
    #: ``ends_at`` at ``at``, the review not decided yet.
    hold_until_review: bool = False
    pending_review: bool = False
    #: An imported sanction: when its user was informed, and the platform's own statement.
    imported: Imported | None = None
    #: The authority's order it gives effect to (DSA art. 9): it issued the art. 9(5) information
    #: instead of a statement of reasons.
    order: Order | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operator": self.operator,
            "identity": self.identity,
            "subject": {"platform": self.subject.platform, "account": self.subject.account},
            "scope": list(self.scope),
            "kind": self.kind.value,
            "denies": list(self.denies),
            "starts_at": format_instant(self.starts_at),
            "ends_at": format_instant(self.ends_at),
            "review_at": format_instant(self.review_at),
            "lifted_at": format_instant(self.lifted_at),
            "state": self.state.value,
            "at": format_instant(self.at),
            "reason": self.reason.to_dict(),
            "automated": self.automated.to_dict(),
            "history": [c.to_dict() for c in self.history],
            "version": self.version,
            "hold_until_review": self.hold_until_review,
            "pending_review": self.pending_review,
            "imported": self.imported.to_dict() if self.imported is not None else None,
            "order": self.order.to_dict() if self.order is not None else None,
        }


def sanction_view(sanction: Sanction, *, at: datetime) -> SanctionView:
    """A sanction as it stands at ``at``: its term in force then, and its state."""
    term = sanction.view_at(at)
    assert term.kind is not None
    return SanctionView(
        id=sanction.id,
        operator=sanction.operator,
        identity=sanction.identity,
        subject=sanction.subject,
        scope=tuple(sanction.scope),
        kind=term.kind,
        denies=tuple(term.denies),
        starts_at=sanction.starts_at,
        ends_at=term.ends_at,
        review_at=term.review_at,
        lifted_at=sanction.lifted_at,
        state=sanction.state_at(at),
        at=at,
        reason=sanction.reason,
        automated=sanction.automated,
        history=tuple(sorted(sanction.changes, key=lambda c: c.seq)),
        version=sanction.version,
        hold_until_review=term.hold_until_review,
        pending_review=sanction.pending_review_at(at),
        imported=sanction.imported,
        order=sanction.order,
    )


_IMPOSED = ChangeType.IMPOSED.value


def imposed_view(
    data: dict[str, Any],
    *,
    seq: int,
    at: datetime,
    starts: datetime | None = None,
    ends: datetime | None = None,
) -> dict[str, Any]:
    """``sanction_view(...).to_json()`` of a sanction as imposed, from its ``sanction.imposed``
    event's payload (``data``, recorded as event ``seq``) without building the Sanction: a group
    commit of violations answers hundreds a second with one, so it writes the wire dict directly
    rather than a ``SanctionView`` (whose reason would be parsed again from the payload). Its only
    term is the one imposed, never lifted. ``starts`` and ``ends``: its ``starts_at`` and
    ``ends_at`` as instants, if the caller has them."""
    starts_at, ends_at = data["starts_at"], data["ends_at"]
    hold = bool(data.get("hold_until_review"))
    if starts is None:
        starts = parse_instant(starts_at)
        ends = parse_instant(ends_at) if ends_at is not None else None
    history = {
        "type": _IMPOSED,
        "seq": seq,
        "effective_at": starts_at,
        "kind": data["kind"],
        "ends_at": ends_at,
        "denies": list(data["denies"]),
        "review_at": data["review_at"],
        "hold_until_review": hold,
        "backdated": False,  # a violation's sanction starts when it occurred: a reported fact
        "backdated_reason": None,
    }
    held_past = hold and ends is not None and ends <= at
    return {
        "id": data["id"],
        "operator": data["operator"],
        "identity": data["identity"],
        "subject": dict(data["subject"]),
        "scope": list(data["scope"]),
        "kind": data["kind"],
        "denies": list(data["denies"]),
        "starts_at": starts_at,
        "ends_at": ends_at,
        "review_at": data["review_at"],
        "lifted_at": None,
        "state": state_of(starts, None if hold else ends, at).value,
        "at": format_instant(at),
        "reason": data["reason"],
        "automated": data["automated"],
        "history": [history],
        "version": seq,
        "hold_until_review": hold,
        "pending_review": held_past and starts <= at,
        "imported": data.get("imported"),
        "order": data.get("order"),
    }
