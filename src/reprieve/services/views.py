"""How sanctions, standings and checks look on the wire (API JSON and CLI --json alike)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reprieve.domain.sanctions import Sanction
from reprieve.domain.time import format_instant


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
    }
