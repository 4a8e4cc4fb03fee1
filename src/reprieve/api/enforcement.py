"""The one place where the API asks "what is this account's standing?" and "may it do X?".

Today every answer comes from the database (``reprieve.services.standing``). The in-memory
enforcement index will answer for the present instant here, and only here; reads at an
explicit ``?at=`` may keep going to the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from reprieve.domain.model import AccountRef
from reprieve.services.standing import Check, get_standing, run_checks
from reprieve.store.db import Database


class Enforcement:
    """Standing and checks, answered from the database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def standing(
        self, ref: AccountRef, *, at: datetime, operators: Sequence[str] | None
    ) -> dict[str, Any]:
        return get_standing(self.db, ref, at=at, operators=operators)

    def checks(
        self, checks: Sequence[Check], *, at: datetime, operators: Sequence[str] | None
    ) -> list[dict[str, Any]]:
        return run_checks(self.db, checks, at=at, operators=operators)
