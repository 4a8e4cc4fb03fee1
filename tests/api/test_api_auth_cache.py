"""The principal cache of authentication: a revocation in this process is seen at once, one in
another process within the cache's second, an expiry at the request's instant."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from api_support import SETUP, World, bearer

from reprieve.domain.model import Role
from reprieve.services import tokens
from reprieve.services.callers import Caller

CHECK = {"checks": [{"platform": "facebook", "account": "a", "capability": "post"}]}


class Ticks:
    """The cache's monotonic clock, moved by the test instead of waiting."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks(world: World) -> Iterator[Ticks]:
    cache = tokens.principal_cache(world.db)
    ticks = Ticks()
    cache.clock = ticks
    yield ticks


def status(world: World, headers: dict[str, str]) -> int:
    return world.client.post("/v1/checks", json=CHECK, headers=headers).status_code


def test_a_token_revoked_through_the_api_is_refused_at_once(world: World, ticks: Ticks) -> None:
    created = world.token(Role.PLATFORM, "meta")
    headers = bearer(created["token"])
    assert status(world, headers) == 200
    assert status(world, headers) == 200  # now remembered
    revoked = world.client.post(f"/v1/tokens/{created['id']}/revoke", headers=world.headers["admin"])
    assert revoked.status_code == 200
    response = world.client.post("/v1/checks", json=CHECK, headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"] == "invalid or expired token"  # the reason is only logged


def test_a_token_revoked_through_the_service_in_this_process_is_refused_at_once(world: World, ticks: Ticks) -> None:
    created = world.token(Role.PLATFORM, "meta")
    headers = bearer(created["token"])
    assert status(world, headers) == 200
    tokens.revoke_token(world.db, created["id"], caller=Caller(SETUP, now=world.clock()))
    assert status(world, headers) == 401


def test_a_token_revoked_by_another_process_is_refused_within_a_second(
    world: World, ticks: Ticks, database_url: str
) -> None:
    created = world.token(Role.PLATFORM, "meta")
    headers = bearer(created["token"])
    assert status(world, headers) == 200
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("reprieve")),
            "--database-url",
            database_url,
            "token",
            "revoke",
            created["id"],
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    ticks.now += 0.5
    assert status(world, headers) == 200  # still remembered, as the rule allows
    ticks.now += tokens.PRINCIPAL_TTL - 0.5
    response = world.client.post("/v1/checks", json=CHECK, headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"] == "invalid or expired token"  # the reason is only logged


def test_a_remembered_token_is_refused_once_it_expires(world: World, ticks: Ticks) -> None:
    created = tokens.create_token(
        world.db,
        tokens.CreateToken.parse(name="short", role="platform", operator="meta", expires_in="PT1H"),
        caller=Caller(SETUP, now=world.clock()),
    )
    headers = bearer(created.secret)
    assert status(world, headers) == 200
    world.clock.advance(timedelta(minutes=59, seconds=59))
    assert status(world, headers) == 200
    world.clock.advance(timedelta(seconds=1))  # the cache is still fresh: ticks did not move
    response = world.client.post("/v1/checks", json=CHECK, headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"] == "invalid or expired token"


def test_an_unknown_token_is_never_remembered(world: World, ticks: Ticks) -> None:
    assert status(world, bearer("rpv_unknown")) == 401
    assert tokens.remembered_principal(world.db, "rpv_unknown", now=world.clock()) is None
