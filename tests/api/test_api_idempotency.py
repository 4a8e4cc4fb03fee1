"""Idempotency-Key: a retry gets the first answer; the same key for another request gets 422."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from api_support import World, sanction_body
from fastapi.testclient import TestClient

from reprieve.api.app import create_app
from reprieve.api.middleware import request_fingerprint
from reprieve.domain.model import Role
from reprieve.services import idempotency, tokens
from reprieve.services.callers import Caller
from reprieve.services.tokens import hash_secret
from reprieve.store import eventlog


def head(world: World) -> int:
    with world.db.read() as conn:
        return eventlog.head(conn)[0]


def post(world: World, path: str, body: Any, key: str, role: str = "moderator") -> Any:
    return world.client.post(path, json=body, headers={**world.headers[role], "Idempotency-Key": key})


def test_a_retry_gets_the_first_answer_and_acts_once(world: World) -> None:
    body = sanction_body("facebook", "alice")
    first = post(world, "/v1/sanctions", body, "impose-alice-1")
    assert first.status_code == 201
    seq = head(world)
    retry = post(world, "/v1/sanctions", body, "impose-alice-1")
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.headers["content-type"] == "application/json"
    assert head(world) == seq
    listed = world.client.get("/v1/sanctions", params={"account": "facebook/alice"}, headers=world.headers["moderator"])
    assert len(listed.json()["items"]) == 1


def test_without_a_key_a_repeat_acts_again(world: World) -> None:
    body = sanction_body("facebook", "bob")
    assert world.client.post("/v1/sanctions", json=body, headers=world.headers["moderator"]).status_code == 201
    assert world.client.post("/v1/sanctions", json=body, headers=world.headers["moderator"]).status_code == 201
    listed = world.client.get("/v1/sanctions", params={"account": "facebook/bob"}, headers=world.headers["moderator"])
    assert len(listed.json()["items"]) == 2


@pytest.mark.parametrize("change", ["body", "path"])
def test_the_same_key_for_another_request_is_refused(world: World, change: str) -> None:
    sanction = world.sanction("meta")
    first = post(world, f"/v1/sanctions/{sanction['id']}/lift", {"reason": "early release"}, "k")
    assert first.status_code == 200
    seq = head(world)
    if change == "body":
        other = post(world, f"/v1/sanctions/{sanction['id']}/lift", {"reason": "another reason"}, "k")
    else:
        other = post(world, "/v1/sanctions", sanction_body("facebook", "carol"), "k")
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert head(world) == seq


def test_an_error_is_a_first_answer_too(world: World) -> None:
    sanction = world.sanction("meta")
    lift = f"/v1/sanctions/{sanction['id']}/lift"
    assert post(world, lift, {"reason": "r"}, "lift-1").status_code == 200
    conflict = post(world, lift, {"reason": "r"}, "lift-2")
    assert conflict.status_code == 409
    assert post(world, lift, {"reason": "r"}, "lift-1").status_code == 200  # replayed, not re-run
    replayed = post(world, lift, {"reason": "r"}, "lift-2")
    assert replayed.status_code == 409 and replayed.json() == conflict.json()


def test_keys_belong_to_their_token(world: World) -> None:
    first = post(world, "/v1/sanctions", sanction_body("facebook", "dan"), "shared-key", role="moderator")
    other = post(world, "/v1/sanctions", sanction_body("facebook", "dan"), "shared-key", role="instance-admin")
    assert first.status_code == other.status_code == 201
    assert first.json()["id"] != other.json()["id"]


def reserve_as_another_copy(world: World, key: str, path: str, body: Any) -> bytes:
    """Hold ``key`` as a copy of this request would while it runs; returns the body to send."""
    content = json.dumps(body).encode()
    idempotency.reserve_key(
        world.db,
        scope=hash_secret(world.headers["moderator"]["Authorization"]),
        key=key,
        fingerprint=request_fingerprint("POST", path, b"", content),
        now=world.clock(),
    )
    return content


def send(world: World, path: str, content: bytes, key: str) -> Any:
    headers = {**world.headers["moderator"], "Idempotency-Key": key, "Content-Type": "application/json"}
    return world.client.post(path, content=content, headers=headers)


def test_a_key_still_running_answers_409(world: World) -> None:
    content = reserve_as_another_copy(world, "busy", "/v1/sanctions", sanction_body("facebook", "erin"))
    response = send(world, "/v1/sanctions", content, "busy")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"


def test_a_key_abandoned_by_a_dead_request_can_be_taken_over(world: World) -> None:
    content = reserve_as_another_copy(world, "stale", "/v1/sanctions", sanction_body("facebook", "frank"))
    assert send(world, "/v1/sanctions", content, "stale").status_code == 409
    world.clock.advance(idempotency.ABANDONED_AFTER + timedelta(seconds=1))
    assert send(world, "/v1/sanctions", content, "stale").status_code == 201


def test_keys_are_forgotten_after_a_day(world: World) -> None:
    body = sanction_body("facebook", "gina")
    first = post(world, "/v1/sanctions", body, "daily")
    world.clock.advance(timedelta(hours=23))
    assert post(world, "/v1/sanctions", body, "daily").json()["id"] == first.json()["id"]
    world.clock.advance(timedelta(hours=1, seconds=1))
    later = post(world, "/v1/sanctions", body, "daily")
    assert later.status_code == 201 and later.json()["id"] != first.json()["id"]
    assert idempotency.forget_expired_keys(world.db, now=world.clock() + timedelta(days=2)) >= 1


@pytest.mark.parametrize("key", ["", "x" * 256, "ümlaut", "with space"])
def test_malformed_keys_are_refused(world: World, key: str) -> None:
    headers = {**world.headers["moderator"], "Idempotency-Key": key}
    response = world.client.post(
        "/v1/sanctions",
        json=sanction_body("facebook", "h"),
        headers={k: v.encode("utf-8") if k == "Idempotency-Key" else v for k, v in headers.items()},  # type: ignore[misc]
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_a_server_error_releases_the_key(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from reprieve.services import sanctions

    calls = {"n": 0}
    real = sanctions.impose_sanction

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("the disk caught fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(sanctions, "impose_sanction", flaky)
    client = TestClient(create_app(world.db, clock=world.clock), raise_server_exceptions=False)
    headers = {**world.headers["moderator"], "Idempotency-Key": "retry-after-500"}
    body = sanction_body("facebook", "ivan")
    failed = client.post("/v1/sanctions", json=body, headers=headers)
    assert failed.status_code == 500
    assert failed.json()["type"] == "https://reprieve.dev/problems/internal"
    retried = client.post("/v1/sanctions", json=body, headers=headers)
    assert retried.status_code == 201


def test_a_new_tokens_secret_is_not_kept_for_replays(world: World) -> None:
    body = {"operator": "meta", "role": "auditor", "name": "replayed"}
    first = post(world, "/v1/tokens", body, "mint", role="admin")
    assert first.status_code == 201 and first.json()["token"].startswith("rpv_")
    replay = post(world, "/v1/tokens", body, "mint", role="admin")
    assert replay.status_code == 201
    assert replay.json()["token"] is None
    assert {k: v for k, v in replay.json().items() if k != "token"} == {
        k: v for k, v in first.json().items() if k != "token"
    }
    with world.db.read() as conn:
        kept = conn.exec_driver_sql("SELECT body FROM idempotency_keys").scalars().all()
    assert not any(first.json()["token"] in text for text in kept)


def test_a_revoked_token_gets_no_replay(world: World) -> None:
    created = world.token(Role.MODERATOR, "meta")
    headers = {"Authorization": f"Bearer {created['token']}", "Idempotency-Key": "before-revocation"}
    body = sanction_body("facebook", "judy")
    assert world.client.post("/v1/sanctions", json=body, headers=headers).status_code == 201
    tokens.revoke_token(world.db, created["id"], caller=Caller("test", now=world.clock()))
    response = world.client.post("/v1/sanctions", json=body, headers=headers)
    assert response.status_code == 401
    assert "idempotent-replayed" not in response.headers
