"""Keeping a backdated decision's reason (PRODUCT.md section 8; the rule is ``domain.backdating``)."""

from __future__ import annotations

from reprieve.domain.backdating import REASON_KIND
from reprieve.domain.personal import PersonalRef
from reprieve.store import personal
from reprieve.store.uow import UnitOfWork


def keep_backdated_reason(uow: UnitOfWork, *, operator: str, subject: str, reason: str | None) -> PersonalRef | None:
    """Keep a backdated decision's reason outside the chain (a staff member's free text may name
    people), in ``uow``'s transaction; the reference its event carries. None: not backdated."""
    if reason is None:
        return None
    return personal.put(
        uow.db, uow.conn, operator=operator, kind=REASON_KIND, subject=subject, value=reason, now=uow.now
    )
