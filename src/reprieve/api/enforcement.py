"""The one place where the API asks "what is this account's standing?" and "may it do X?".

For the present (any instant from the index's build on) the answer comes from the in-memory
enforcement index, kept current by its follower; for an earlier instant, or a platform created
since the follower's last poll, from the database (``reprieve.services.standing``). Both answer
alike: the index's tests compare them on random histories.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reprieve.domain.checks import Check, RowError
from reprieve.domain.errors import NotFoundError
from reprieve.domain.item_checks import ItemCheck
from reprieve.domain.model import AccountRef
from reprieve.domain.time import to_micros
from reprieve.enforcement.follower import IndexFollower
from reprieve.enforcement.index import EnforcementIndex, InstantNotCovered
from reprieve.runtime.group_commit import Answer
from reprieve.services import Database
from reprieve.services.callers import Caller
from reprieve.services.item_checks import item_visibility, run_item_checks
from reprieve.services.standing import get_standing, run_checks


class Enforcement:
    """Standing and checks: from memory when an index is attached, else from the database."""

    def __init__(
        self, db: Database, *, index: EnforcementIndex | None = None, follower: IndexFollower | None = None
    ) -> None:
        self.db = db
        self.index = index
        self.follower = follower

    @classmethod
    def in_memory(cls, db: Database, *, now: datetime, interval: float = 0.1) -> Enforcement:
        """Build the index from the projections and start following the log."""
        index = EnforcementIndex.build(db, now=now)
        follower = IndexFollower(index, db, interval=interval).start()
        return cls(db, index=index, follower=follower)

    def close(self) -> None:
        if self.follower is not None:
            self.follower.stop()

    def _index_for(self, at: datetime) -> tuple[EnforcementIndex, int] | None:
        at_us = to_micros(at)
        if self.index is not None and self.index.covers(at_us):
            return self.index, at_us
        return None

    def standing(
        self, ref: AccountRef, *, at: datetime, caller: Caller, as_of: datetime | None = None
    ) -> dict[str, Any]:
        """The account's standing at ``at``, on a platform of an operator ``caller`` sees; a past
        ``as_of`` is read from the database (the index knows only the present)."""
        if as_of is not None:
            return get_standing(self.db, ref, at=at, caller=caller, as_of=as_of).to_json()
        found = self._index_for(at)
        if found is not None:
            index, at_us = found
            try:
                return index.standing(ref.platform, ref.account, at_us, operators=caller.operators)
            except NotFoundError:
                pass  # a platform newer than the follower's last poll: the database knows it
            except InstantNotCovered:
                pass  # a link just followed moved the horizon past ``at``: the database knows it
        return get_standing(self.db, ref, at=at, caller=caller).to_json()

    def checks(
        self, checks: Sequence[Check | ItemCheck], *, at: datetime, caller: Caller, as_of: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Each check's answer, in order; a check that cannot be answered (an unknown platform, a
        capability the platform lacks, one of an operator ``caller`` does not see) is answered
        with its error in its place (``RowError``). A past ``as_of``: from the database.
        Item rows (``ItemCheck``) may come in the same batch as account rows."""
        if not any(type(c) is ItemCheck for c in checks):
            return self.account_checks(checks, at=at, caller=caller, as_of=as_of)  # type: ignore[arg-type]
        accounts = [c for c in checks if isinstance(c, Check)]
        items = [c for c in checks if isinstance(c, ItemCheck)]
        answered = iter(self.account_checks(accounts, at=at, caller=caller, as_of=as_of))
        item_answers = iter(self.item_checks(items, at=at, caller=caller, as_of=as_of))
        return [next(item_answers) if isinstance(c, ItemCheck) else next(answered) for c in checks]

    def item_checks(
        self, checks: Sequence[ItemCheck], *, at: datetime, caller: Caller, as_of: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Each item check's answer, in order, as ``checks``."""
        found = self._index_for(at) if as_of is None else None
        if found is not None:
            index, at_us = found
            refused: list[int] = []
            try:
                results = index.item_check_many(checks, at_us, operators=caller.operators, refused=refused)
            except InstantNotCovered:
                pass
            else:
                if not unknown_platforms(results, refused):
                    return results
        return run_item_checks(self.db, checks, at=at, caller=caller, refused=[], as_of=as_of)

    def visibility(
        self,
        platform: str,
        item: str,
        *,
        at: datetime,
        caller: Caller,
        country: str | None = None,
        as_of: datetime | None = None,
    ) -> dict[str, Any]:
        """An item's visibility at ``at`` for a viewer in ``country``: from the index for the
        present, else (a past instant, a past ``as_of``) from the database."""
        found = self._index_for(at) if as_of is None else None
        if found is not None:
            index, at_us = found
            try:
                return index.visibility(platform, item, at_us, country, operators=caller.operators)
            except (NotFoundError, InstantNotCovered):
                pass  # a platform newer than the follower's last poll, or a link moved the horizon
        return item_visibility(self.db, platform, item, at=at, country=country, caller=caller, as_of=as_of)

    def account_checks(
        self, checks: Sequence[Check], *, at: datetime, caller: Caller, as_of: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Each account check's answer, in order, as ``checks``."""
        found = self._index_for(at) if as_of is None else None
        if found is not None:
            index, at_us = found
            refused: list[int] = []
            try:
                results = index.check_many(checks, at_us, operators=caller.operators, refused=refused)
            except InstantNotCovered:
                pass  # a link just followed moved the horizon past ``at``: the database knows it
            else:
                if not unknown_platforms(results, refused):
                    return results
                # a platform newer than the follower's last poll: the database knows it
        views = run_checks(self.db, checks, at=at, caller=caller, refused=[], as_of=as_of)
        return [view.to_json() for view in views]


def unknown_platforms(answers: Sequence[dict[str, Any] | Any], refused: Sequence[int]) -> bool:
    """Whether any of the ``refused`` rows of ``answers`` (result dicts, or the index's decisions)
    names a platform the index does not know, which the database may know (a newer one)."""
    for position in refused:
        answer = answers[position]
        error = answer["error"] if isinstance(answer, dict) else answer
        if isinstance(error, RowError) and issubclass(error.error, NotFoundError):
            return True
    return False


def attach_index(app: FastAPI, db: Database) -> FastAPI:
    """Serve ``app``'s standing and checks from an index built when it starts, stopped when it stops.

    Built in the serving process (after uvicorn forks its workers), so each worker has its own.
    """
    inner = app.router.lifespan_context
    app.state.index_expected = True  # /readyz: not ready until the index is built
    # Innermost, right around the routes: the request middleware (api/observability) then times
    # the catch-up as part of the write's answer, and logs anything it logs under the request id.
    app.user_middleware.append(
        Middleware(CatchUpAfterWrites, follower=lambda: getattr(app.state.enforcement, "follower", None))
    )

    @asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[None]:
        clock = getattr(app_.state, "clock", None)
        now = clock() if callable(clock) else datetime.now(UTC)
        enforcement = await run_in_threadpool(Enforcement.in_memory, db, now=now)
        app_.state.enforcement = enforcement
        try:
            async with inner(app_):
                with _collected_as_a_server():
                    yield
        finally:
            enforcement.close()

    app.router.lifespan_context = lifespan
    return app


#: Allocations (less deallocations) of tracked objects between two collections of the youngest
#: generation while serving (Python's default: 700). Each request of the violations load leaves
#: a few hundred such objects behind it for a moment (its task, its frames, its dicts); at 700 a
#: collection ran every request or two, at 20,000 every few dozen, over objects mostly freed by then.
YOUNG_THRESHOLD = 20_000


@contextmanager
def _collected_as_a_server() -> Iterator[None]:
    """Leave what exists once the server has started (modules, the app, the index as built)
    out of every later garbage collection: it lives as long as the process, yet each full
    collection, triggered by the requests' allocations in the loop or the writer thread, went
    through all of it (a tenth of a second each, about 0.1 ms per violation served). The
    garbage of the start is collected first, so that none of it is kept. The youngest
    generation is collected less often (``YOUNG_THRESHOLD``). Undone when the app stops, for a
    process that goes on (tests)."""
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


async def caught_up(follower: IndexFollower) -> None:
    """Return once the index holds everything committed before the call: after a poll of the
    follower's thread begun since (writes answered together wait for the same poll, rather
    than each running its own in the thread pool), or, without that thread, after a poll here."""
    if not follower.running:
        await run_in_threadpool(follower.poll)
        return
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def wake_waiter() -> None:
        if not done.done():
            done.set_result(None)

    follower.after_next_poll(lambda: loop.call_soon_threadsafe(wake_waiter))
    await done


#: A request's future on the event loop, and what the writer thread answered it: (result, error).
_Answer = tuple["asyncio.Future[Any]", Any, BaseException | None]


class CommittedWrites:
    """The group commit's answers, brought to one event loop a batch at a time, each success
    once the index holds it (read your own writes, as ``caught_up``).

    ``asyncio.wrap_future`` and ``caught_up`` per request would wake the loop twice a request
    (a system call each, from the writer thread and from the follower's). Here the writer
    thread only adds the answer to a list (``expect``'s answer function, which the request
    submits its command with: no ``concurrent.futures.Future`` is made), and the first of a
    batch wakes the loop; the loop takes the whole list and its successes wait together for one
    poll, asked for after every one of them was committed (they are answered after their commit)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, follower: Callable[[], IndexFollower | None]) -> None:
        self.loop = loop
        self.follower = follower
        self._lock = threading.Lock()
        self._answered: list[_Answer] = []
        self._polls: set[asyncio.Task[None]] = set()  # polls run here (no follower thread), kept alive

    def expect(self) -> tuple[asyncio.Future[Any], Answer]:
        """A future of this loop, and the function (``group_commit.Answer``) the writer thread
        answers it with: the result, or the error, and for a result, once the index holds it."""
        waiter: asyncio.Future[Any] = self.loop.create_future()
        return waiter, partial(self._arrived, waiter)

    def _arrived(self, waiter: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
        """In the thread that answers (the writer's): queue the answer, wake the loop once."""
        with self._lock:
            self._answered.append((waiter, result, error))
            first = len(self._answered) == 1
        if first and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._take)

    def _take(self) -> None:
        with self._lock:
            answered, self._answered = self._answered, []
        written = []
        for waiter, result, error in answered:
            if waiter.done():
                continue
            if error is not None:
                waiter.set_exception(error)  # a refusal: nothing was written
            else:
                written.append((waiter, result))
        if not written:
            return
        follower = self.follower()
        if follower is None:
            _release(written)
        elif follower.running:
            follower.after_next_poll(partial(self._release_threadsafe, written))
        else:
            task = self.loop.create_task(self._poll_then_release(follower, written))
            self._polls.add(task)
            task.add_done_callback(self._polls.discard)

    def _release_threadsafe(self, written: list[_Written]) -> None:
        """In the follower's thread, after the poll: answer the batch on the loop."""
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(_release, written)

    async def _poll_then_release(self, follower: IndexFollower, written: list[_Written]) -> None:
        try:
            await run_in_threadpool(follower.poll)
        except Exception as exc:  # as ``caught_up``: the requests fail with it
            for waiter, _ in written:
                if not waiter.done():
                    waiter.set_exception(exc)
            return
        _release(written)


#: A success waiting for the index: its request's future, and the result.
_Written = tuple["asyncio.Future[Any]", Any]


def _release(written: list[_Written]) -> None:
    for waiter, result in written:
        if not waiter.done():
            waiter.set_result(result)


class CatchUpAfterWrites:
    """Read your own writes: before a successful write's answer leaves this process, the index
    applies it, so the caller's next check here sees it. Other processes see it within a poll
    (or at once on PostgreSQL, woken by NOTIFY). Checks themselves are not writes.
    """

    READS = frozenset({"GET", "HEAD", "OPTIONS"})

    def __init__(self, app: ASGIApp, *, follower: Callable[[], IndexFollower | None]) -> None:
        self.app = app
        self.follower = follower

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        follower = self.follower() if scope["type"] == "http" else None
        if follower is None or scope["method"] in self.READS or scope["path"] == "/v1/checks":
            await self.app(scope, receive, send)
            return

        async def send_after_catching_up(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 300:
                await caught_up(follower)
            await send(message)

        await self.app(scope, receive, send_after_catching_up)
