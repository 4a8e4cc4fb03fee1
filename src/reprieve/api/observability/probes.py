"""What ``/readyz`` and ``/metrics`` read at the moment they are asked: the enforcement index's
lag behind the log, the outbox, the amnesties under way."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any

from reprieve.api.enforcement import Enforcement
from reprieve.api.observability.metrics import GaugeFamily, Sample
from reprieve.domain.time import parse_instant
from reprieve.services import Database, operations

log = logging.getLogger(__name__)

#: ``/readyz`` answers 503 while the oldest event the index has not applied is older than this.
#: Not zero: under a steady flow of writes another process's index is always a few milliseconds
#: behind (it is woken by NOTIFY or polls every 0.1 s), and that must not take it out of service.
READY_MAX_LAG_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class IndexLag:
    """How far the enforcement index is behind the event log, read now."""

    in_memory: bool  #: False: no index, standing and checks are answered by the database
    applied: int  #: seq of the last event the index has applied (the log's head without index)
    head: int  #: seq of the last event in the log
    seconds: float  #: age of the oldest event not applied yet (0 when caught up)

    @property
    def events(self) -> int:
        return max(0, self.head - self.applied)

    @property
    def caught_up(self) -> bool:
        return self.events == 0 or self.seconds <= READY_MAX_LAG_SECONDS

    def to_dict(self) -> dict[str, Any]:
        return {
            "in_memory": self.in_memory,
            "applied_seq": self.applied,
            "head_seq": self.head,
            "lag_events": self.events,
            "lag_seconds": round(self.seconds, 3),
        }


def index_lag(enforcement: Enforcement, *, now: datetime) -> IndexLag:
    """Compare the index with the log's head (one or two primary-key reads)."""
    index = enforcement.index
    applied = index.seq if index is not None else None  # read once: the follower moves it
    head, oldest_at = operations.log_head(enforcement.db, after=applied)
    if applied is None:
        return IndexLag(False, head, head, 0.0)
    if head <= applied:
        return IndexLag(True, applied, head, 0.0)
    seconds = (now - parse_instant(oldest_at)).total_seconds() if oldest_at else 0.0
    return IndexLag(True, applied, head, max(0.0, seconds))


def _optional(module: str) -> ModuleType | None:
    """A module built by another part of the project, if it is there yet."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def outbox_gauges(db: Database) -> list[GaugeFamily]:
    count, oldest = operations.outbox_depth(db)
    return [
        GaugeFamily("reprieve_outbox_depth", "Webhook and broker messages not delivered yet", [Sample({}, count)]),
        GaugeFamily(
            "reprieve_outbox_oldest_age_seconds",
            "Age of the oldest message not delivered yet (0 when the outbox is empty)",
            [Sample({}, oldest or 0.0)],
        ),
    ]


def amnesty_gauges(db: Database) -> list[GaugeFamily]:
    amnesty = _optional("reprieve.services.amnesty")
    snapshot: Callable[[Database], list[Any]] | None = getattr(amnesty, "progress_snapshot", None)
    if snapshot is None:
        return []
    matched: list[Sample] = []
    processed: list[Sample] = []
    for view in snapshot(db):
        row = view.to_json()
        labels = {"amnesty": str(row["id"]), "operator": str(row["operator"]), "state": str(row["state"])}
        matched.append(Sample(labels, float(row["matched"] or 0)))
        processed.append(Sample(labels, float(row["processed"] or 0)))
    return [
        GaugeFamily("reprieve_amnesty_matched", "Sanctions an amnesty matched", matched),
        GaugeFamily("reprieve_amnesty_processed", "Sanctions an amnesty has lifted (or re-imposed) so far", processed),
    ]


def index_gauges(enforcement: Enforcement, *, now: datetime) -> list[GaugeFamily]:
    lag = index_lag(enforcement, now=now)
    families = [
        GaugeFamily(
            "reprieve_enforcement_index_loaded",
            "1 when standing and checks are answered from the in-memory index, 0 from the database",
            [Sample({}, 1 if lag.in_memory else 0)],
        ),
        GaugeFamily(
            "reprieve_enforcement_index_lag_events",
            "Events in the log the index has not applied yet",
            [Sample({}, lag.events)],
        ),
        GaugeFamily(
            "reprieve_enforcement_index_lag_seconds",
            "Age of the oldest event in the log the index has not applied yet (0 when caught up)",
            [Sample({}, lag.seconds)],
        ),
        GaugeFamily(
            "reprieve_event_log_head_seq", "Sequence number of the last event in the log", [Sample({}, lag.head)]
        ),
    ]
    if enforcement.follower is not None:
        families.append(
            GaugeFamily(
                "reprieve_enforcement_follower_errors",
                "Polls of the log that failed since the process started",
                [Sample({}, enforcement.follower.errors)],
            )
        )
    return families


def read_gauges(enforcement: Enforcement, db: Database, *, now: datetime) -> list[GaugeFamily]:
    """Every gauge read at scrape time. A source that fails is logged and left out, so that
    ``/metrics`` still answers with the rest (its absence is what an alert notices)."""
    families: list[GaugeFamily] = []
    sources: list[tuple[str, Callable[[], list[GaugeFamily]]]] = [
        ("enforcement index", lambda: index_gauges(enforcement, now=now)),
        ("outbox", lambda: outbox_gauges(db)),
        ("amnesties", lambda: amnesty_gauges(db)),
    ]
    for name, read in sources:
        try:
            families.extend(read())
        except Exception:
            log.exception("metrics: could not read the %s", name)
    return families
