"""Item checks and visibility read from the database: "may this item be viewed at instant t?"

The enforcement index answers the same questions from memory for the present; these are the
reference answers, and the ones for a past instant or a past ``as_of`` (record time: as the
events recorded by then made the item's decisions, ``domain.content.known_by``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from reprieve.domain.checks import MAX_CHECKS, RowError
from reprieve.domain.content import ContentSpan, known_by, parse_country
from reprieve.domain.errors import ReprieveError, ValidationError
from reprieve.domain.item_checks import (
    Author,
    ItemCheck,
    author_view,
    decide_item,
    ensure_item_check,
    item_check_view,
    refused_item_row,
    visibility_view,
)
from reprieve.domain.model import AccountRef
from reprieve.domain.time import to_micros
from reprieve.services.callers import Caller
from reprieve.services.standing import _visible, account_standing
from reprieve.store.asof import Known, known_as_of
from reprieve.store.connection import Connection
from reprieve.store.content import item_decisions
from reprieve.store.db import Database


def item_spans(conn: Connection, platform: str, item: str, known: Known | None) -> tuple[list[ContentSpan], str | None]:
    """The spans of every decision about the item (as ``known`` if given) and its recorded author
    (None: no decision about it is recorded, or was by ``known``)."""
    decisions = item_decisions(conn, platform, item)
    if known is not None:
        then = (known_by(d, known.of(conn, [c.seq for c in d.changes])) for d in decisions)
        decisions = [d for d in then if d is not None]
    if not decisions:
        return [], None
    return [s for d in decisions for s in d.spans()], decisions[0].item.account


def _author(
    db: Database, conn: Connection, platform: str, account: str | None, at_us: int, known: Known | None
) -> Author:
    if account is None:
        return None
    standing = account_standing(db, conn, AccountRef(platform, account), at_us, known=known)
    return author_view(account, standing.standing.status.value)


def run_item_checks(
    db: Database,
    checks: Sequence[ItemCheck],
    *,
    at: datetime,
    caller: Caller | None = None,
    refused: list[int] | None = None,
    as_of: datetime | None = None,
) -> list[dict[str, Any]]:
    """The answer to each item check, in order, on the platforms of the operators ``caller`` sees
    (None: every one). A check that cannot be answered raises its error; or, given ``refused``,
    is answered with its ``error`` in its place, its position added to ``refused``."""
    if len(checks) > MAX_CHECKS:
        raise ValidationError(f"at most {MAX_CHECKS} checks per request", field="checks")
    at_us = to_micros(at)
    results: list[dict[str, Any]] = []
    items: dict[tuple[str, str], tuple[list[ContentSpan], str | None]] = {}
    authors: dict[tuple[str, str], Author] = {}
    with db.read() as conn:
        known = known_as_of(conn, as_of) if as_of is not None else None
        for check in checks:
            try:
                _visible(db, conn, check.platform, caller)
                ensure_item_check(check)
            except ReprieveError as error:
                if refused is None:
                    raise
                refused.append(len(results))
                results.append(refused_item_row(check, RowError.of(error)))
                continue
            key = (check.platform, check.item)
            found = items.get(key)
            if found is None:
                found = items[key] = item_spans(conn, check.platform, check.item, known)
            spans, recorded = found
            account = recorded if recorded is not None else check.account
            author = None
            if account is not None:
                if (check.platform, account) not in authors:
                    authors[check.platform, account] = _author(db, conn, check.platform, account, at_us, known)
                author = authors[check.platform, account]
            results.append(item_check_view(check, decide_item(spans, at_us, check.country, check.capability), author))
    return results


def item_visibility(
    db: Database,
    platform: str,
    item: str,
    *,
    at: datetime,
    country: str | None = None,
    caller: Caller | None = None,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """The item's visibility at ``at`` for a viewer in ``country`` (None: not said), as known
    ``as_of`` (None: now)."""
    if country is not None:
        parse_country(country)
    at_us = to_micros(at)
    with db.read() as conn:
        _visible(db, conn, platform, caller)
        known = known_as_of(conn, as_of) if as_of is not None else None
        spans, author = item_spans(conn, platform, item, known)
        return visibility_view(platform, item, spans, at_us, country, _author(db, conn, platform, author, at_us, known))
