"""``CommittedWrites``: the group commit's answers reach the event loop a batch at a time, and
a success only once a poll asked for after its commit has ended (read your own writes)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from reprieve.api.enforcement import CommittedWrites
from reprieve.domain.errors import ConflictError


class Follower:
    """The follower's side of ``after_next_poll``: the callbacks asked for, run when told."""

    running = True

    def __init__(self) -> None:
        self.asked: list[Callable[[], object]] = []

    def after_next_poll(self, callback: Callable[[], object]) -> None:
        self.asked.append(callback)

    def poll_ends(self) -> None:
        asked, self.asked = self.asked, []
        thread = threading.Thread(target=lambda: [callback() for callback in asked])
        thread.start()
        thread.join()


def test_a_batch_waits_for_one_poll_asked_after_its_commit_and_refusals_do_not_wait() -> None:
    follower = Follower()

    async def scenario() -> None:
        committed = CommittedWrites(asyncio.get_running_loop(), lambda: follower)  # type: ignore[arg-type, return-value]
        waiters, answer_with = zip(*(committed.expect() for _ in range(5)), strict=True)
        answers = [asyncio.ensure_future(waiter) for waiter in waiters]
        await asyncio.sleep(0)

        def writer() -> None:  # the group is answered together, one refused
            for n, answer in enumerate(answer_with):
                if n == 2:
                    answer(None, ConflictError("refused"))
                else:
                    answer(n, None)

        thread = threading.Thread(target=writer)
        thread.start()
        thread.join()
        with pytest.raises(ConflictError):
            await answers[2]  # a refusal wrote nothing: no poll to wait for
        assert len(follower.asked) == 1  # one poll for the four successes
        assert not any(answer.done() for n, answer in enumerate(answers) if n != 2)
        follower.poll_ends()
        assert [await answers[n] for n in (0, 1, 3, 4)] == [0, 1, 3, 4]

    asyncio.run(scenario())


def test_without_a_follower_thread_the_batch_polls_once_on_the_thread_pool() -> None:
    polls: list[int] = []

    class Stopped:
        running = False

        def poll(self) -> int:
            polls.append(1)
            return 0

    async def scenario() -> list[Any]:
        committed = CommittedWrites(asyncio.get_running_loop(), lambda: Stopped())  # type: ignore[arg-type, return-value]
        waiters, answer_with = zip(*(committed.expect() for _ in range(3)), strict=True)
        answers = [asyncio.ensure_future(waiter) for waiter in waiters]
        await asyncio.sleep(0)

        def writer() -> None:
            for n, answer in enumerate(answer_with):
                answer(n, None)

        thread = threading.Thread(target=writer)
        thread.start()
        thread.join()
        return list(await asyncio.gather(*answers))

    assert asyncio.run(scenario()) == [0, 1, 2]
    assert polls == [1]
