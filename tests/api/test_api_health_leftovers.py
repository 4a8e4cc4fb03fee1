"""Three things the API's health needed (leftovers of issue 3): expired Idempotency-Keys are
forgotten, account ids holding "/" are addressable, and an operator's auditor verifies the
chain without learning the rest of the instance."""

from __future__ import annotations

from datetime import timedelta

from api_support import World, sanction_body
from sqlalchemy import select

from reprieve.api.middleware import FORGET_EXPIRED_KEYS_EVERY
from reprieve.services.idempotency import KEY_LIFETIME
from reprieve.store import eventlog, tables


def kept_keys(world: World) -> set[str]:
    with world.db.read() as conn:
        return set(conn.execute(select(tables.idempotency_keys.c.key)).scalars())


def keyed_check(world: World, key: str) -> None:
    headers = {**world.headers["platform"], "Idempotency-Key": key}
    body = {"checks": [{"platform": "facebook", "account": "alice", "capability": "post"}]}
    assert world.client.post("/v1/checks", headers=headers, json=body).status_code == 200


def test_expired_idempotency_keys_are_forgotten_at_most_once_a_minute(world: World) -> None:
    keyed_check(world, "first")  # the first keyed request also forgets (nothing yet)
    assert kept_keys(world) == {"first"}

    world.clock.advance(KEY_LIFETIME - timedelta(seconds=10))
    keyed_check(world, "second")  # forgets what expired: "first" has 10 s left
    assert kept_keys(world) == {"first", "second"}

    world.clock.advance(timedelta(seconds=20))  # "first" has expired, but the last sweep was 20 s ago
    keyed_check(world, "third")
    assert kept_keys(world) == {"first", "second", "third"}

    world.clock.advance(FORGET_EXPIRED_KEYS_EVERY)
    keyed_check(world, "fourth")
    assert kept_keys(world) == {"second", "third", "fourth"}


def test_account_ids_holding_slashes_are_addressable(world: World) -> None:
    moderator = world.headers["moderator"]
    account = "pages/some/path"
    put = world.client.put(f"/v1/platforms/facebook/accounts/{account}", headers=moderator, json={})
    assert put.status_code == 201, put.text
    assert put.json()["account"] == account
    # Sent encoded, the same account.
    again = world.client.put("/v1/platforms/facebook/accounts/pages%2Fsome%2Fpath", headers=moderator, json={})
    assert again.status_code == 200 and again.json()["account"] == account

    created = world.client.post("/v1/sanctions", headers=moderator, json=sanction_body("facebook", account))
    assert created.status_code == 201, created.text
    for path in (account, "pages%2Fsome%2Fpath"):
        standing = world.client.get(f"/v1/platforms/facebook/accounts/{path}/standing", headers=moderator)
        assert standing.status_code == 200, standing.text
        assert (standing.json()["account"], standing.json()["status"]) == (account, "suspended")
    # Its neighbours are other accounts.
    other = world.client.get("/v1/platforms/facebook/accounts/pages/some/standing", headers=moderator)
    assert other.status_code == 200 and other.json()["status"] == "good"
    # Still refused: an id starting with "/", an empty one.
    for bad in ("/v1/platforms/facebook/accounts//x/standing", "/v1/platforms/facebook/accounts//standing"):
        refused = world.client.get(bad, headers=moderator)
        assert refused.status_code == 422, (bad, refused.text)


def test_an_operators_auditor_verifies_the_chain_and_sees_only_its_operator(world: World) -> None:
    world.sanction("meta")
    world.sanction("x")  # the latest event of the instance is another operator's
    fields = ("ok", "events", "head")
    admin, auditor = (
        {
            k: v
            for k, v in world.client.get("/v1/audit/verify", headers=world.headers[role]).json().items()
            if k in fields
        }
        for role in ("instance-admin", "auditor")
    )
    with world.db.read() as conn:
        head_seq, head_hash = eventlog.head(conn)
        meta_events = eventlog.read_events(conn, limit=100_000, operator="meta")
    assert admin == {"ok": True, "events": head_seq, "head": head_hash}
    assert auditor == {"ok": True, "events": len(meta_events), "head": meta_events[-1].hash}
    assert auditor["events"] < admin["events"] and auditor["head"] != admin["head"]
