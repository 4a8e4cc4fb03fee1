"""What a use case asks of a group commit (``runtime.group_commit.GroupCommitter`` answers it):
run a command's body in a shared transaction, and answer once it is committed."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from typing import Any, Protocol, TypeVar

from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

T = TypeVar("T")

#: What a batch answers for an item it leaves to be run alone, after the batch, by its own body.
ALONE: Any = object()

#: ``batch(uow, items) -> answers``: several commands of one kind at once, an answer (or ALONE) per item.
Batch = Callable[[UnitOfWork, list[Any]], list[Any]]
#: ``answer(result, error)``: called once per command, in the writer's thread, after its commit
#: (``error`` None) or its refusal or failure (``result`` None). It must not block.
Answer = Callable[[Any, BaseException | None], object]


class Committer(Protocol):
    """Commands submitted here share one transaction with the others waiting."""

    @property
    def db(self) -> Database: ...

    def submit(
        self,
        body: Callable[[UnitOfWork], T],
        *,
        actor: str,
        now: datetime,
        batch: Batch | None = None,
        item: Any = None,
    ) -> Future[T]: ...

    def submit_answering(
        self,
        answer: Answer,
        body: Callable[[UnitOfWork], Any],
        *,
        actor: str,
        now: datetime,
        batch: Batch | None = None,
        item: Any = None,
    ) -> None: ...
