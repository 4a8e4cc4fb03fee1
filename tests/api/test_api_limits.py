"""Limits on every input: over a limit the answer is 413 or 422, never a 500, and nothing changes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_support import World, reason, sanction_body

from reprieve.api.app import create_app
from reprieve.api.middleware import DEFAULT_MAX_BODY_BYTES
from reprieve.api.schemas import ChecksOut
from reprieve.store import eventlog


def head(world: World) -> int:
    with world.db.read() as conn:
        return eventlog.head(conn)[0]


def check(platform: str = "facebook", account: str = "alice", capability: str = "post") -> dict[str, str]:
    return {"platform": platform, "account": account, "capability": capability}


def test_a_batch_of_10000_checks_is_answered_in_order(world: World) -> None:
    sanctioned = world.sanction("meta")["subject"]["account"]
    checks = [check(account=sanctioned if i % 2 else f"user{i}") for i in range(10_000)]
    response = world.client.post("/v1/checks", json={"checks": checks}, headers=world.headers["platform"])
    assert response.status_code == 200
    ChecksOut.model_validate(response.json())  # served without response validation: hold it to the schema
    results = response.json()["results"]
    assert len(results) == 10_000
    assert [r["allowed"] for r in results[:4]] == [True, False, True, False]
    assert results[1]["status"] == "suspended" and results[1]["sanction"]


def test_a_batch_of_10001_checks_is_refused(module_world: World) -> None:
    world = module_world
    checks = [check(account=f"user{i}") for i in range(10_001)]
    response = world.client.post("/v1/checks", json={"checks": checks}, headers=world.headers["platform"])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.checks"


def test_a_body_over_the_limit_is_413(module_world: World) -> None:
    world = module_world
    big = {"checks": [check(account="a" * 200)] * 20_000}
    response = world.client.post("/v1/checks", json=big, headers=world.headers["platform"])
    assert response.status_code == 413
    assert response.json()["type"] == "https://reprieve.dev/problems/payload-too-large"


def test_a_chunked_body_over_the_limit_is_413(module_world: World) -> None:
    world = module_world

    def chunks() -> Iterator[bytes]:
        yield b'{"checks": ['
        for _ in range(DEFAULT_MAX_BODY_BYTES // 1000 + 10):
            yield b" " * 1000
        yield b"]}"

    headers = {**world.headers["platform"], "Content-Type": "application/json"}
    response = world.client.post("/v1/checks", content=chunks(), headers=headers)
    assert response.status_code == 413


def test_the_body_limit_can_be_set(world: World) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(create_app(world.db, clock=world.clock, max_body_bytes=100))
    body = sanction_body("facebook", "a" * 100)
    response = client.post("/v1/sanctions", json=body, headers=world.headers["moderator"])
    assert response.status_code == 413


LONG = "x" * 5001

BAD_SANCTIONS: dict[str, dict[str, Any]] = {
    "account too long": sanction_body("facebook", "a" * 201),
    "account with a space": sanction_body("facebook", "a b"),
    "platform not a slug": sanction_body("Face Book", "a"),
    "unknown kind": sanction_body("facebook", "a", kind="exile"),
    "unknown field": sanction_body("facebook", "a", colour="red"),
    "facts too long": sanction_body("facebook", "a", reason=reason(facts=LONG)),
    "explanation too long": sanction_body("facebook", "a", reason=reason(explanation="e" * 2001)),
    "NUL in a text": sanction_body("facebook", "a", reason=reason(explanation="bad\x00byte")),
    "NUL in an account": sanction_body("facebook", "a\x00b"),
    "unknown category": sanction_body("facebook", "a", reason=reason(category="STATEMENT_CATEGORY_NOPE")),
    "too many platforms": sanction_body("facebook", "a", scope=[f"p{i}" for i in range(101)]),
    "too many keywords": sanction_body("facebook", "a", reason=reason(keywords=["KEYWORD_X"] * 21)),
    "instant out of range": sanction_body("facebook", "a", starts_at="0001-01-01T00:00:00+01:00"),
    "instant without offset": sanction_body("facebook", "a", starts_at="2024-01-01T00:00:00"),
    "not an instant": sanction_body("facebook", "a", starts_at="yesterday"),
    "huge duration": sanction_body("facebook", "a", duration="P99999999Y"),
    "duration past year 9999": sanction_body("facebook", "a", starts_at="9999-01-01T00:00:00Z", duration="P2Y"),
    "ends before it starts": sanction_body(
        "facebook", "a", starts_at="2024-01-02T00:00:00Z", ends_at="2024-01-01T00:00:00Z", duration=None
    ),
    "restriction denying appeal": sanction_body("facebook", "a", kind="restriction", denies=["appeal"]),
    "not an object": [1, 2, 3],  # type: ignore[dict-item]
}


@pytest.mark.parametrize("case", BAD_SANCTIONS)
def test_bad_sanctions_are_422_and_change_nothing(module_world: World, case: str) -> None:
    world = module_world
    body = BAD_SANCTIONS[case]
    if isinstance(body, dict) and body.get("duration") is None:
        body.pop("duration", None)
    seq = head(world)
    response = world.client.post("/v1/sanctions", json=body, headers=world.headers["moderator"])
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "https://reprieve.dev/problems/validation"
    assert problem["status"] == 422 and problem["detail"]
    assert head(world) == seq


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/sanctions", {"limit": 0}),
        ("/v1/sanctions", {"limit": 1001}),
        ("/v1/sanctions", {"at": "not-a-time"}),
        ("/v1/sanctions", {"at": "9999-12-31T23:59:59-05:00"}),
        ("/v1/sanctions", {"cursor": "AA"}),
        ("/v1/sanctions", {"cursor": "!!"}),
        ("/v1/sanctions", {"kind": "exile"}),
        ("/v1/sanctions", {"account": "x" * 300}),
        ("/v1/sanctions", {"category": "lower"}),
        ("/v1/events", {"limit": 5000}),
        ("/v1/events", {"after": -1}),
        ("/v1/events", {"cursor": "abc"}),
        ("/v1/platforms/facebook/accounts/alice/standing", {"at": "2024-13-01T00:00:00Z"}),
    ],
)
def test_bad_queries_are_422(module_world: World, path: str, params: dict[str, Any]) -> None:
    world = module_world
    response = world.client.get(path, params=params, headers=world.headers["instance-admin"])
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "path",
    [
        "/v1/platforms/" + "p" * 64,
        "/v1/platforms/facebook/accounts/" + "a" * 201 + "/standing",
        "/v1/sanctions/snc_%00",
        "/v1/sanctions/" + "s" * 65,
    ],
)
def test_bad_path_parameters_are_422(module_world: World, path: str) -> None:
    world = module_world
    response = world.client.get(path, headers=world.headers["instance-admin"])
    assert response.status_code == 422, response.text


def test_a_text_in_a_query_cannot_carry_nul(module_world: World) -> None:
    world = module_world
    response = world.client.get(
        "/v1/sanctions", params={"account": "facebook/a\x00b"}, headers=world.headers["instance-admin"]
    )
    assert response.status_code == 422


def test_a_check_on_an_unknown_capability_answers_its_row_with_the_error(module_world: World) -> None:
    world = module_world
    response = world.client.post(
        "/v1/checks", json={"checks": [check(capability="teleport")]}, headers=world.headers["platform"]
    )
    assert response.status_code == 200
    [row] = ChecksOut.model_validate(response.json()).model_dump()["results"]
    assert row["error"]["type"] == "https://reprieve.dev/problems/validation"
