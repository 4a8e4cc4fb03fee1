"""The public pages' rate limit: a sliding window per key, on an injected clock (no sleeping)."""

from __future__ import annotations

import pytest

from reprieve.web.ratelimit import Decision, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_allows_the_limit_then_refuses_with_the_wait_until_the_oldest_hit_leaves() -> None:
    clock = Clock()
    limiter = RateLimiter(3, 60, clock=clock)
    assert [limiter.hit("a").allowed for _ in range(3)] == [True, True, True]
    clock.now += 20
    assert limiter.hit("a") == Decision(False, 40)
    clock.now += 39.5
    assert limiter.hit("a") == Decision(False, 1)  # rounded up, never 0
    clock.now += 0.5
    assert limiter.hit("a").allowed


def test_the_window_slides_refused_hits_do_not_count_and_keys_are_independent() -> None:
    clock = Clock()
    limiter = RateLimiter(2, 10, clock=clock)
    assert limiter.hit("a").allowed
    clock.now += 6
    assert limiter.hit("a").allowed
    for _ in range(5):
        assert not limiter.hit("a").allowed
    assert limiter.hit("b").allowed
    clock.now += 4  # the first hit leaves the window; the refused ones were never counted
    assert limiter.hit("a").allowed
    assert limiter.hit("a") == Decision(False, 6)


def test_remembers_at_most_max_keys_forgetting_the_least_recently_seen() -> None:
    clock = Clock()
    limiter = RateLimiter(1, 60, clock=clock, max_keys=2)
    assert limiter.hit("a").allowed
    assert limiter.hit("b").allowed
    assert not limiter.hit("a").allowed  # "a" is now the most recently seen
    assert limiter.hit("c").allowed  # forgets "b"
    assert limiter.hit("b").allowed
    assert not limiter.hit("c").allowed


def test_reset_forgets_every_key() -> None:
    limiter = RateLimiter(1, 60, clock=Clock())
    assert limiter.hit("a").allowed
    limiter.reset()
    assert limiter.hit("a").allowed


@pytest.mark.parametrize(("limit", "window", "max_keys"), [(0, 1, 1), (1, 0, 1), (1, 1, 0)])
def test_refuses_a_limit_that_allows_nothing(limit: int, window: float, max_keys: int) -> None:
    with pytest.raises(ValueError):
        RateLimiter(limit, window, max_keys=max_keys)
