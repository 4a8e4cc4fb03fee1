"""The access log of personal data: who was shown a requester's e-mail, when, of which appeal.

Revealing an e-mail is a deliberate act (the console's "Reveal e-mail" button, the API's read of
one appeal by a moderator), and each one is recorded here, outside the hash-chained event log:
the reader by id (``member:<id>``, ``token:<id>``), the instant, the appeal and the requester's
reference, the field shown. Never the e-mail itself. The operator's admins read it
(``GET /v1/personal-access``, ``reprieve access-log``). Rows older than the retention
(``REPRIEVE_ACCESS_LOG_DAYS``, 365 days by default) are deleted as new ones are written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from reprieve.domain.errors import ValidationError
from reprieve.domain.time import format_instant, from_micros, to_micros
from reprieve.store import access_log as store
from reprieve.store.db import Database

DEFAULT_RETENTION = timedelta(days=365)
#: Where an access was made.
CONSOLE, API, CLI = "console", "api", "cli"


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """A row of the access log."""

    at: datetime
    operator: str
    actor: str
    via: str
    appeal: str
    requester: str
    fields: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "at": format_instant(self.at),
            "operator": self.operator,
            "actor": self.actor,
            "via": self.via,
            "appeal": self.appeal,
            "requester": self.requester,
            "fields": list(self.fields),
        }


def record_access(
    db: Database,
    *,
    at: datetime,
    operator: str,
    actor: str,
    via: str,
    appeal_id: str,
    requester: str,
    fields: Sequence[str],
    retention: timedelta = DEFAULT_RETENTION,
) -> None:
    """Record that ``actor`` was shown ``fields`` of an appeal's requester, and forget rows older
    than ``retention``."""
    record_accesses(
        db, [Shown(operator, appeal_id, requester, tuple(fields))], at=at, actor=actor, via=via, retention=retention
    )


@dataclass(frozen=True, slots=True)
class Shown:
    """What one page showed of one person: the operator's, of which appeal (or notice), whose, which fields."""

    operator: str
    appeal_id: str
    requester: str
    fields: tuple[str, ...]


def record_accesses(
    db: Database,
    shown: Sequence[Shown],
    *,
    at: datetime,
    actor: str,
    via: str,
    retention: timedelta = DEFAULT_RETENTION,
) -> None:
    """``record_access`` for each of ``shown`` (a page showing many e-mails), in one transaction."""
    if not shown:
        return
    micros = to_micros(at)
    store.add_accesses(
        db,
        [
            {
                "at": micros,
                "operator_id": s.operator,
                "actor": actor,
                "via": via,
                "appeal_id": s.appeal_id,
                "subject": s.requester,
                "fields": ",".join(s.fields),
            }
            for s in shown
        ],
        forget_before_us=to_micros(at - retention),
    )


def entries(
    db: Database,
    *,
    operators: Sequence[str] | None = None,
    appeal_id: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[AccessEntry]:
    """The log's rows, newest first: of these operators (None: every one), of one appeal, since an instant."""
    if not 1 <= limit <= 10_000:
        raise ValidationError("must be between 1 and 10000", field="limit")
    with db.read() as conn:
        rows = store.access_rows(
            conn,
            operators=None if operators is None else tuple(operators),
            appeal_id=appeal_id,
            since_us=None if since is None else to_micros(since),
            limit=limit,
        )
    return [
        AccessEntry(
            at=from_micros(r.at),
            operator=r.operator_id,
            actor=r.actor,
            via=r.via,
            appeal=r.appeal_id,
            requester=r.subject,
            fields=tuple(f for f in r.fields.split(",") if f),
        )
        for r in rows
    ]
