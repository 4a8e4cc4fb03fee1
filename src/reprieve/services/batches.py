"""Bulk imports' batches: one loop for the sanctions' and the content decisions' imports."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Any, TypeVar

from reprieve.services.callers import Caller
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

T = TypeVar("T")

#: Rows checked, chained and projected at a time inside a batch.
IMPORT_CHUNK = 1000


def in_batches(
    db: Database,
    commands: Iterable[T],
    record: Callable[[UnitOfWork, Sequence[T], int], None],
    *,
    caller: Caller,
    batch_size: int,
    on_batch: Any = None,
) -> int:
    """Record ``commands``, ``batch_size`` per transaction, through ``record(uow, chunk, offset)``
    (``offset``: how many rows came before the chunk, for the error naming a row); returns how
    many. Each batch is all-or-nothing; ``on_batch(total)`` after each one; ``caller.now`` is the
    instant of every batch (a clock is read once, here)."""
    actor, now = caller.actor, caller.instant
    total = 0
    size = max(1, batch_size)
    pending = iter(commands)
    chunk = list(islice(pending, min(IMPORT_CHUNK, size)))
    while chunk:
        with UnitOfWork(db, actor=actor, now=now) as uow:
            done = 0
            # A batch is taken in chunks, each checked, chained and projected in turn: what a chunk
            # makes stays in the processor's caches, where a whole batch per step would not.
            while chunk:
                record(uow, chunk, total + done)
                done += len(chunk)
                chunk = list(islice(pending, min(IMPORT_CHUNK, size - done)))
        total += done
        if on_batch is not None:
            on_batch(total)
        chunk = list(islice(pending, min(IMPORT_CHUNK, size)))
    return total
