"""L8, L9, L13: what a refused token, the readiness probe and a taken platform id tell a caller.

- L8: unknown, revoked and expired tokens all get the same 401 detail; the real reason is in the
  server's log (with the token's id, never its secret).
- L9: ``/readyz`` without a token answers its status alone; the event counts (every operator's
  activity together) go only to an instance-admin token or the metrics token.
- L13: platform ids stay one namespace (knowingly); the 409 says the id is taken, nothing more.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from api_support import World, bearer
from starlette.testclient import TestClient

from reprieve.api.app import create_app
from reprieve.domain.model import Role

REFUSED = "invalid or expired token"
FIGURES = {"in_memory", "applied_seq", "head_seq", "lag_events", "lag_seconds"}


def test_unknown_revoked_and_expired_tokens_are_told_apart_only_in_the_log(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    revoked = world.token(Role.AUDITOR, "meta", name="leaked-revoked")
    assert world.client.post(f"/v1/tokens/{revoked['id']}/revoke", headers=world.headers["admin"]).status_code == 200
    expiring = world.client.post(
        "/v1/tokens",
        json={"operator": "meta", "role": "auditor", "name": "leaked-expired", "expires_in": "PT1H"},
        headers=world.headers["admin"],
    ).json()
    assert world.client.get("/v1/events", headers=bearer(expiring["token"])).status_code == 200
    world.clock.advance(timedelta(hours=1))

    secrets = {"unknown": "rpv_" + "x" * 43, "revoked": revoked["token"], "expired": expiring["token"]}
    with caplog.at_level(logging.INFO, logger="reprieve.services.tokens"):
        answers = {why: world.client.get("/v1/events", headers=bearer(secret)) for why, secret in secrets.items()}
    for answer in answers.values():
        assert answer.status_code == 401
        assert answer.json()["detail"] == REFUSED
    bodies = {answer.content.replace(answer.json()["request_id"].encode(), b"") for answer in answers.values()}
    assert len(bodies) == 1  # nothing else tells them apart either

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "token refused: unknown" in logged
    assert f"revoked at {revoked_at(world, revoked['id'])} (token {revoked['id']}" in logged
    assert f"(token {expiring['id']}, 'leaked-expired')" in logged and "expired at" in logged
    for secret in secrets.values():
        assert secret not in logged


def revoked_at(world: World, token_id: str) -> str:
    from reprieve.services.tokens import get_token

    return str(get_token(world.db, token_id).to_json()["revoked_at"])


def test_the_fast_paths_and_the_cache_say_the_same(world: World) -> None:
    """A token expired while it was remembered (the principal cache) gets the same detail."""
    expiring = world.client.post(
        "/v1/tokens",
        json={"operator": "meta", "role": "platform", "name": "edge", "expires_in": "PT1M"},
        headers=world.headers["admin"],
    ).json()
    check = {"checks": [{"platform": "facebook", "account": "someone", "capability": "post"}]}
    assert world.client.post("/v1/checks", json=check, headers=bearer(expiring["token"])).status_code == 200
    world.clock.advance(timedelta(minutes=1))
    for answer in (
        world.client.post("/v1/checks", json=check, headers=bearer(expiring["token"])),
        world.client.get("/v1/sanctions", headers=bearer(expiring["token"])),
    ):
        assert answer.status_code == 401 and answer.json()["detail"] == REFUSED


def test_readyz_shows_no_event_counts_to_anonymous_callers(world: World) -> None:
    world.sanction("meta")
    anonymous = world.client.get("/readyz")
    assert anonymous.status_code == 200
    assert anonymous.json() == {"status": "ready"}

    for role in ("admin", "auditor", "moderator", "platform"):  # an operator's token: not the instance's figures
        refused = world.client.get("/readyz", headers=world.headers[role])
        assert refused.status_code == 403, role
    assert world.client.get("/readyz", headers=bearer("rpv_not-a-token")).status_code == 401

    shown = world.client.get("/readyz", headers=world.headers["instance-admin"])
    assert shown.status_code == 200 and set(shown.json()) >= FIGURES
    assert shown.json()["head_seq"] > 0


def test_readyz_figures_for_the_metrics_token(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPRIEVE_METRICS_TOKEN", "scrape-secret-0123456789")
    with TestClient(create_app(world.db, clock=world.clock)) as client:
        shown = client.get("/readyz", headers={"Authorization": "Bearer scrape-secret-0123456789"})
        assert shown.status_code == 200 and set(shown.json()) >= FIGURES
        assert client.get("/readyz").json() == {"status": "ready"}


def test_a_taken_platform_id_is_only_said_to_be_taken(world: World) -> None:
    body = {"id": "twitter", "operator": "meta", "name": "Mine", "kind": "social"}
    taken = world.client.post("/v1/platforms", json=body, headers=world.headers["admin"])
    assert taken.status_code == 409
    assert taken.json()["detail"] == "the platform id 'twitter' is taken; platform ids are shared by every operator"
    # The same answer whoever holds the id: meta's own platform, or another operator's.
    own = world.client.post("/v1/platforms", json={**body, "id": "facebook"}, headers=world.headers["admin"])
    assert own.status_code == 409 and own.json()["detail"].replace("facebook", "twitter") == taken.json()["detail"]
    assert "x" not in taken.json()["detail"].replace("twitter", "").split()  # no operator named
