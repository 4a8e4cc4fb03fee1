"""The webhook routes: admins register and manage endpoints of their operator only; bad input is a
problem answer that changes nothing; dead letters are listed and redelivered."""

from __future__ import annotations

import pytest
from api_support import World
from sqlalchemy import update

from reprieve.store import tables

HOOK = {"url": "http://127.0.0.1:9/hook", "event_types": ["sanction.imposed", "sanction.ended"]}


@pytest.fixture(autouse=True)
def _local_receivers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The receivers of these tests listen on 127.0.0.1, which an installation must allow."""
    monkeypatch.setenv("REPRIEVE_WEBHOOK_ALLOW_NETWORKS", "127.0.0.1/32")


def test_register_list_show_disable_delete(world: World) -> None:
    admin = world.headers["admin"]
    created = world.client.post("/v1/webhooks", json=HOOK, headers=admin)
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["operator"] == "meta" and hook["secret"].startswith("whsec_") and hook["state"] == "active"
    shown = world.client.get(f"/v1/webhooks/{hook['id']}", headers=world.headers["auditor"]).json()
    assert "secret" not in shown and shown["deliveries"] == {"pending": 0, "delivered": 0, "dead": 0}
    world.sanction("meta")
    assert world.client.get(f"/v1/webhooks/{hook['id']}", headers=admin).json()["deliveries"]["pending"] == 1
    listed = world.client.get("/v1/webhooks", headers=admin).json()
    assert [h["id"] for h in listed["items"]] == [hook["id"]] and listed["next_cursor"] is None
    disabled = world.client.post(f"/v1/webhooks/{hook['id']}/disable", headers=admin)
    assert disabled.status_code == 200 and disabled.json()["state"] == "disabled"
    assert world.client.delete(f"/v1/webhooks/{hook['id']}", headers=admin).status_code == 204
    assert world.client.get(f"/v1/webhooks/{hook['id']}", headers=admin).status_code == 404


def test_tenancy_and_roles(world: World) -> None:
    hook = world.client.post("/v1/webhooks", json=HOOK, headers=world.headers["admin"]).json()
    other = world.headers["x-admin"]
    assert world.client.get(f"/v1/webhooks/{hook['id']}", headers=other).status_code == 404
    assert world.client.delete(f"/v1/webhooks/{hook['id']}", headers=other).status_code == 404
    assert world.client.get("/v1/webhooks", headers=other).json()["items"] == []
    assert world.client.post("/v1/webhooks", json={**HOOK, "operator": "meta"}, headers=other).status_code == 404
    for role in ("moderator", "platform"):
        assert world.client.post("/v1/webhooks", json=HOOK, headers=world.headers[role]).status_code == 403
    assert world.client.post("/v1/webhooks", json=HOOK, headers=world.headers["instance-admin"]).status_code == 422
    by_instance = world.client.post(
        "/v1/webhooks", json={**HOOK, "operator": "x"}, headers=world.headers["instance-admin"]
    )
    assert by_instance.status_code == 201 and by_instance.json()["operator"] == "x"


def test_bad_input_is_refused_and_changes_nothing(world: World) -> None:
    admin = world.headers["admin"]
    for body in (
        {**HOOK, "url": "ftp://example.org/x"},
        {**HOOK, "url": "http://user:pw@example.org/x"},
        {**HOOK, "url": "not a url"},
        {**HOOK, "event_types": []},
        {**HOOK, "event_types": ["sanction.exploded"]},
        {**HOOK, "secret": "short"},
        {**HOOK, "unknown": 1},
    ):
        answer = world.client.post("/v1/webhooks", json=body, headers=admin)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert world.client.get("/v1/webhooks", headers=admin).json()["items"] == []
    hook = world.client.post("/v1/webhooks", json=HOOK, headers=admin).json()
    bad = world.client.get(f"/v1/webhooks/{hook['id']}/deliveries?state=lost", headers=admin)
    assert bad.status_code == 422
    assert world.client.post("/v1/webhooks/deliveries/999999/redeliver", headers=admin).status_code == 404
    assert world.client.post("/v1/webhooks/deliveries/abc/redeliver", headers=admin).status_code == 404


def test_dead_letters_listed_and_redelivered(world: World) -> None:
    admin = world.headers["admin"]
    hook = world.client.post("/v1/webhooks", json=HOOK, headers=admin).json()
    world.sanction("meta")
    with world.db.engine.begin() as conn:  # as the worker leaves it after 24 hours of failures
        conn.execute(update(tables.outbox).values(state="dead", attempts=30, last_error="HTTP 503"))
    dead = world.client.get(f"/v1/webhooks/{hook['id']}/deliveries?state=dead", headers=admin).json()["items"]
    assert len(dead) == 1 and dead[0]["last_error"] == "HTTP 503" and dead[0]["type"] == "sanction.imposed"
    other = world.client.post(f"/v1/webhooks/deliveries/{dead[0]['id']}/redeliver", headers=world.headers["x-admin"])
    assert other.status_code == 404
    again = world.client.post(f"/v1/webhooks/deliveries/{dead[0]['id']}/redeliver", headers=admin)
    assert again.status_code == 202 and again.json()["state"] == "pending" and again.json()["attempts"] == 0
    assert world.client.get(f"/v1/webhooks/{hook['id']}/deliveries?state=dead", headers=admin).json()["items"] == []
