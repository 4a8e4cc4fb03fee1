"""Group commit: concurrent write commands share one transaction, so one commit (one fsync) for many.

One writer thread per process takes every command waiting, opens one ``UnitOfWork``, runs each
command's service body under its own SAVEPOINT (``uow.command``), commits once, then answers each
caller. A command refused with a domain error undoes only its savepoint and gets its error; the
others are recorded. Nothing is answered before the commit that holds it, and the events stay one
chain, since the whole group is one transaction holding the chain head.

Commands submitted with a ``batch`` function (violations) are run together: consecutive ones of
the group go to ``batch(uow, items)`` at once, under one savepoint, so that their reads and
writes are made once per table instead of once per command. If the batch raises, its savepoint
is undone and each of its commands runs alone, as above; a command the batch answers with
``ALONE`` (a repeat of another in the same batch) runs alone after it.

``submit`` answers through a ``concurrent.futures.Future``. ``submit_answering`` answers
through a plain function instead, called in the writer's thread, for a caller that brings many
answers to another thread itself (the API's violations): a Future costs a lock and a condition
to make, and another lock to answer.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from reprieve.domain.errors import ReprieveError, StorageError
from reprieve.services.committing import ALONE, Answer, Batch
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

__all__ = ["ALONE", "Answer", "Batch", "GroupCommitter"]

T = TypeVar("T")

logger = logging.getLogger(__name__)

#: Commands in one transaction at most: enough to spread an fsync thin, few enough to answer soon.
MAX_GROUP = 256
#: An idle writer thread ends after this long; the next command starts another.
IDLE_SECONDS = 2.0


class _Command:
    __slots__ = ("actor", "answer", "batch", "body", "item", "now")

    def __init__(
        self,
        body: Callable[[UnitOfWork], Any],
        actor: str,
        now: datetime,
        batch: Batch | None,
        item: Any,
        answer: Answer,
    ) -> None:
        self.body = body
        self.actor = actor
        self.now = now
        self.batch = batch
        self.item = item
        self.answer = answer


class GroupCommitter:
    """``committer.submit(body, actor=..., now=...)``: a future of ``body(uow)``, set once committed."""

    def __init__(self, db: Database, *, max_group: int = MAX_GROUP) -> None:
        self.db = db
        self.max_group = max_group
        #: Commands, and None when ``close`` asks the writer to stop.
        self._queue: queue.SimpleQueue[_Command | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        #: Transactions committed and commands answered, for tests and benchmarks.
        self.groups = 0
        self.commands = 0
        #: Commands answered by a batch (the others ran alone, each under its savepoint).
        self.batched = 0

    def submit(
        self,
        body: Callable[[UnitOfWork], T],
        *,
        actor: str,
        now: datetime,
        batch: Batch | None = None,
        item: Any = None,
    ) -> Future[T]:
        """``body(uow)``'s answer once committed; with ``batch``, ``batch(uow, [..., item, ...])``
        may answer it together with the other commands of the same batch (``body`` if not)."""
        future: Future[T] = Future()
        self._put(_Command(body, actor, now, batch, item, partial(_settle, future)))
        return future

    def submit_answering(
        self,
        answer: Answer,
        body: Callable[[UnitOfWork], Any],
        *,
        actor: str,
        now: datetime,
        batch: Batch | None = None,
        item: Any = None,
    ) -> None:
        """``submit``, answered by ``answer(result, error)`` in the writer's thread instead of a future."""
        self._put(_Command(body, actor, now, batch, item, answer))

    def _put(self, command: _Command) -> None:
        with self._lock:
            self._queue.put(command)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="reprieve-group-commit", daemon=True)
                self._thread.start()

    def run(self, body: Callable[[UnitOfWork], T], *, actor: str, now: datetime) -> T:
        """``submit`` and wait for the answer (from a thread that is not the writer)."""
        return self.submit(body, actor=actor, now=now).result()

    def close(self) -> None:
        """Answer every command submitted so far and stop the writer thread (a later command
        starts another: an app's lifespan may run more than once)."""
        with self._lock:
            thread = self._thread
            if thread is not None:
                self._queue.put(None)
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                item = None
            group: list[_Command] = []
            while item is not None:
                group.append(item)
                if len(group) >= self.max_group:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            while group:
                group = self._commit(group)
            if item is None:  # idle, or asked to stop
                with self._lock:
                    # Decided under the lock: a command submitted after this starts a new thread.
                    if self._queue.empty():
                        self._thread = None
                        return

    def _commit(self, group: list[_Command], *, batches: bool = True) -> list[_Command]:
        """Run ``group`` in one transaction and answer it; return the commands to run again.
        Without ``batches``, each command runs alone (after a batch that was the whole group failed)."""
        answers: list[tuple[_Command, Any]] = []
        refused: list[tuple[_Command, BaseException]] = []
        try:
            with UnitOfWork(self.db, actor=group[0].actor, now=group[0].now) as uow:
                index = 0
                while index < len(group):
                    run = _batch_at(group, index) if batches else group[index : index + 1]
                    alone = self._run_batch(uow, run, answers, whole=len(run) == len(group)) if len(run) > 1 else run
                    for command in alone:
                        try:
                            with uow.command(actor=command.actor, now=command.now):
                                answers.append((command, command.body(uow)))
                        except ReprieveError as exc:
                            if isinstance(exc, StorageError):
                                raise
                            refused.append((command, exc))
                        except Exception as exc:
                            # Not a refusal: the transaction itself may be unusable. Undo the group,
                            # fail this command, and run the others again in a fresh transaction.
                            raise _Retry(_index_of(group, command), exc) from exc
                    index += len(run)
        except _Retry as retry:
            _fail(group[retry.index], retry.error)
            return group[: retry.index] + group[retry.index + 1 :]
        except _WholeBatchFailed:
            # Nothing of the transaction is kept: the same commands again, each alone.
            return self._commit(group, batches=False)
        except BaseException as exc:
            # The commit (or the head's lock) failed: nothing of the group was recorded.
            for command in group:
                _fail(command, exc)
            if not isinstance(exc, Exception):
                raise
            return []
        self.groups += 1
        self.commands += len(group)
        for command, error in refused:
            _fail(command, error)
        for command, answer in answers:
            _answer(command, answer, None)
        return []

    def _run_batch(
        self, uow: UnitOfWork, run: list[_Command], answers: list[tuple[_Command, Any]], *, whole: bool
    ) -> list[_Command]:
        """Run ``run``'s commands as one batch, adding their answers to ``answers``; returns the
        commands still to run alone (all of them if the batch failed: its savepoint undid it).

        A batch that is the ``whole`` group (under a steady load of violations, nearly every
        group) runs without a savepoint, two statements fewer: if it fails, ``_WholeBatchFailed``
        undoes the transaction, and the group runs again with each command alone."""
        batch = run[0].batch
        assert batch is not None
        try:
            with uow.command(actor=run[0].actor, now=run[0].now, savepoint=not whole):
                results = batch(uow, [command.item for command in run])
        except Exception as exc:
            if whole:
                raise _WholeBatchFailed from exc
            return run
        alone = []
        for command, result in zip(run, results, strict=True):
            if result is ALONE:
                alone.append(command)
            else:
                answers.append((command, result))
        self.batched += len(run) - len(alone)
        return alone


def _batch_at(group: list[_Command], start: int) -> list[_Command]:
    """The commands from ``start`` on that share its batch function (just it if it has none)."""
    batch = group[start].batch
    end = start + 1
    if batch is not None:
        while end < len(group) and group[end].batch is batch:
            end += 1
    return group[start:end]


def _index_of(group: list[_Command], command: _Command) -> int:
    return next(i for i, c in enumerate(group) if c is command)


class _WholeBatchFailed(Exception):
    """A batch run without a savepoint failed: its transaction must be undone."""


class _Retry(Exception):
    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(str(error))
        self.index = index
        self.error = error


def _fail(command: _Command, error: BaseException) -> None:
    _answer(command, None, error)


def _answer(command: _Command, result: Any, error: BaseException | None) -> None:
    """Answer ``command``; a failing answer function is logged (as a future's callback would
    be), never left to stop the writer with the rest of the group unanswered."""
    try:
        command.answer(result, error)
    except Exception:
        logger.exception("answering a group-committed command failed")


def _settle(future: Future[Any], result: Any, error: BaseException | None) -> None:
    """The answer of a command submitted with ``submit``: its future's (unless cancelled)."""
    if future.set_running_or_notify_cancel():
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)
