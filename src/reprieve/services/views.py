"""How sanctions, standings and checks look on the wire (API JSON and CLI --json alike)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reprieve.domain.sanctions import ChangeType, Sanction, state_of
from reprieve.domain.time import format_instant, parse_instant


def sanction_view(sanction: Sanction, *, at: datetime) -> dict[str, Any]:
    """A sanction as it stands at ``at``: its term in force then, and its state."""
    term = sanction.view_at(at)
    assert term.kind is not None
    return {
        "id": sanction.id,
        "operator": sanction.operator,
        "identity": sanction.identity,
        "subject": {"platform": sanction.subject.platform, "account": sanction.subject.account},
        "scope": list(sanction.scope),
        "kind": term.kind.value,
        "denies": list(term.denies),
        "starts_at": format_instant(sanction.starts_at),
        "ends_at": format_instant(term.ends_at),
        "review_at": format_instant(term.review_at),
        "lifted_at": format_instant(sanction.lifted_at),
        "state": sanction.state_at(at).value,
        "at": format_instant(at),
        "reason": sanction.reason.to_dict(),
        "automated": sanction.automated.to_dict(),
        "history": [c.to_dict() for c in sorted(sanction.changes, key=lambda c: c.seq)],
        "version": sanction.version,
    }


_IMPOSED = ChangeType.IMPOSED.value


def imposed_view(
    data: dict[str, Any],
    *,
    seq: int,
    at: datetime,
    starts: datetime | None = None,
    ends: datetime | None = None,
) -> dict[str, Any]:
    """``sanction_view`` of a sanction as imposed, from its ``sanction.imposed`` event's payload
    (``data``, recorded as event ``seq``) without building the Sanction: a group commit of
    violations answers hundreds a second with one. Its only term is the one imposed, never lifted.
    ``starts`` and ``ends``: its ``starts_at`` and ``ends_at`` as instants, if the caller has them."""
    starts_at, ends_at = data["starts_at"], data["ends_at"]
    if starts is None:
        starts = parse_instant(starts_at)
        ends = parse_instant(ends_at) if ends_at is not None else None
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
        "state": state_of(starts, ends, at).value,
        "at": format_instant(at),
        "reason": data["reason"],
        "automated": data["automated"],
        "history": [
            {
                "type": _IMPOSED,
                "seq": seq,
                "effective_at": starts_at,
                "kind": data["kind"],
                "ends_at": ends_at,
                "denies": list(data["denies"]),
                "review_at": data["review_at"],
            }
        ],
        "version": seq,
    }
