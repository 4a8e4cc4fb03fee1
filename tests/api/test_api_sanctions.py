"""Sanctions over HTTP: the answers of PRODUCT.md section 4, pagination, ?at=, and concurrent lifts."""

from __future__ import annotations

import threading
from typing import Any

import httpx2
import pytest
from api_support import World, reason, sanction_body
from fastapi.testclient import TestClient

from reprieve.api.app import create_app
from reprieve.services import audit


def moderator(world: World) -> dict[str, str]:
    return world.headers["moderator"]


def test_the_trump_story_over_http(world: World) -> None:
    c, h = world.client, moderator(world)
    linked = c.post(
        "/v1/identities",
        headers=h,
        json={
            "operator": "meta",
            "accounts": [
                {"platform": "facebook", "account": "DonaldTrump"},
                {"platform": "instagram", "account": "realdonaldtrump"},
            ],
        },
    )
    assert linked.status_code == 201
    assert len(linked.json()["accounts"]) == 2
    created = c.post(
        "/v1/sanctions",
        headers=h,
        json=sanction_body(
            "facebook",
            "DonaldTrump",
            scope=["facebook", "instagram"],
            starts_at="2021-01-07T00:00:00Z",
            duration="P2Y",
            review_after="P2Y",
            backdated_reason="Test history, entered after the fact.",
        ),
    )
    assert created.status_code == 201
    sanction = created.json()
    assert sanction["ends_at"] == "2023-01-07T00:00:00Z" and sanction["review_at"] == "2023-01-07T00:00:00Z"
    assert sanction["identity"] == linked.json()["id"]

    standing = c.get(
        "/v1/platforms/facebook/accounts/DonaldTrump/standing", params={"at": "2022-06-01T00:00:00Z"}, headers=h
    ).json()
    assert standing["status"] == "suspended" and standing["until"] == "2023-01-07T00:00:00Z"
    assert standing["sanctions"] == [sanction["id"]] and "appeal" not in standing["denies"]
    # The link was recorded now (2024): in 2022 it was not in force, so the sanction of the
    # Facebook account did not reach the Instagram one then (PRODUCT.md section 8, issue 22).
    instagram = c.get(
        "/v1/platforms/instagram/accounts/realdonaldtrump/standing", params={"at": "2022-06-01T00:00:00Z"}, headers=h
    ).json()
    assert (instagram["status"], instagram["sanctions"]) == ("good", [])

    reinstated = c.post(
        f"/v1/sanctions/{sanction['id']}/lift",
        headers=h,
        json={"reason": "Reinstated with new guardrails", "effective_at": "2023-01-25T00:00:00Z"},
    )
    # The term ended on 2023-01-07: nothing to lift on the 25th.
    assert reinstated.status_code == 409
    amended = c.post(
        f"/v1/sanctions/{sanction['id']}/amend",
        headers=h,
        json={
            "ends_at": "2023-01-25T00:00:00Z",
            "reason": "Extended until the review decides",
            "effective_at": "2022-12-01T00:00:00Z",
            "backdated_reason": "Test history, entered after the fact.",
        },
    )
    assert amended.status_code == 200 and amended.json()["history"][-1]["type"] == "amended"
    lifted = c.post(
        f"/v1/sanctions/{sanction['id']}/lift",
        headers=h,
        json={
            "reason": "Reinstated with new guardrails",
            "effective_at": "2023-01-24T00:00:00Z",
            "backdated_reason": "Test history, entered after the fact.",
        },
    )
    assert lifted.status_code == 200

    def state_at(at: str) -> str:
        response = c.get(f"/v1/sanctions/{sanction['id']}", params={"at": at}, headers=h)
        return str(response.json()["state"])

    assert [state_at(t) for t in ("2021-01-01T00:00:00Z", "2022-01-01T00:00:00Z", "2023-02-01T00:00:00Z")] == [
        "scheduled",
        "active",
        "lifted",
    ]
    checks = c.post(
        "/v1/checks",
        headers=world.headers["platform"],
        json={
            "at": "2022-01-01T00:00:00Z",
            "checks": [
                {"platform": "facebook", "account": "DonaldTrump", "capability": "post"},
                {"platform": "facebook", "account": "DonaldTrump", "capability": "appeal"},
                {"platform": "facebook", "account": "someone-else", "capability": "post"},
                {"platform": "instagram", "account": "realdonaldtrump", "capability": "post"},  # linked later
            ],
        },
    ).json()
    assert [r["allowed"] for r in checks["results"]] == [False, True, True, True]
    assert checks["results"][0]["sanction"] == sanction["id"]
    verified = c.get("/v1/audit/verify", headers=world.headers["auditor"]).json()
    assert verified["ok"] is True and verified["events"] > 0


def test_amend_tells_absent_from_null(world: World) -> None:
    sanction = world.sanction("meta")
    path = f"/v1/sanctions/{sanction['id']}/amend"
    kept = world.client.post(
        path, json={"review_at": "2024-06-20T00:00:00Z", "reason": "review"}, headers=moderator(world)
    ).json()
    assert kept["ends_at"] == sanction["ends_at"] and kept["review_at"] == "2024-06-20T00:00:00Z"
    indefinite = world.client.post(
        path, json={"ends_at": None, "reason": "until further notice"}, headers=moderator(world)
    ).json()
    assert indefinite["ends_at"] is None and indefinite["review_at"] == "2024-06-20T00:00:00Z"
    nothing = world.client.post(path, json={"reason": "no change"}, headers=moderator(world))
    assert nothing.status_code == 422


def test_lists_page_with_a_cursor_and_filter(world: World) -> None:
    ids = {world.sanction("meta")["id"] for _ in range(5)}
    warning = world.sanction("meta", kind="warning", reason=reason(category="STATEMENT_CATEGORY_SCAMS_AND_FRAUD"))
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "kind": "suspension"}
        if cursor:
            params["cursor"] = cursor
        page = world.client.get("/v1/sanctions", params=params, headers=moderator(world)).json()
        assert len(page["items"]) <= 2
        seen += [s["id"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert set(seen) == ids and len(seen) == len(ids)
    by_category = world.client.get(
        "/v1/sanctions", params={"category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD"}, headers=moderator(world)
    ).json()
    assert [s["id"] for s in by_category["items"]] == [warning["id"]]
    subject = warning["subject"]
    by_account = world.client.get(
        "/v1/sanctions", params={"account": f"{subject['platform']}/{subject['account']}"}, headers=moderator(world)
    ).json()
    assert [s["id"] for s in by_account["items"]] == [warning["id"]]
    active = world.client.get("/v1/sanctions", params={"state": "active", "limit": 100}, headers=moderator(world))
    assert len(active.json()["items"]) == 6
    later = world.client.get(
        "/v1/sanctions", params={"state": "expired", "at": "2030-01-01T00:00:00Z"}, headers=moderator(world)
    )
    assert len(later.json()["items"]) == 6


def test_events_page_oldest_first(world: World) -> None:
    world.sanction("meta")
    first = world.client.get("/v1/events", params={"limit": 2}, headers=world.headers["auditor"]).json()
    assert [e["seq"] for e in first["items"]] == sorted(e["seq"] for e in first["items"])
    second = world.client.get(
        "/v1/events", params={"limit": 2, "cursor": first["next_cursor"]}, headers=world.headers["auditor"]
    ).json()
    assert second["items"][0]["seq"] > first["items"][-1]["seq"]
    assert {"seq", "type", "at", "effective_at", "actor", "operator", "data", "prev_hash", "hash"} <= set(
        second["items"][0]
    )


def test_put_account_answers_201_then_200(world: World) -> None:
    path = "/v1/platforms/facebook/accounts/newcomer"
    first = world.client.put(path, json={"display_name": "New"}, headers=world.headers["platform"])
    again = world.client.put(path, json={"display_name": "Renamed"}, headers=world.headers["platform"])
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["display_name"] == "Renamed"


@pytest.mark.parametrize("attempt", range(3))
def test_two_concurrent_lifts_one_wins(world: World, attempt: int) -> None:
    sanction = world.sanction("meta")
    path = f"/v1/sanctions/{sanction['id']}/lift"
    barrier = threading.Barrier(2)
    answers: list[httpx2.Response] = []
    # One app, its routes built before the race (FastAPI builds them on first use, and that is
    # not meant to happen in two threads at once); one client per thread.
    app = create_app(world.db, clock=world.clock)
    clients = [TestClient(app) for _ in range(2)]
    for client in clients:
        assert client.get(f"/v1/sanctions/{sanction['id']}", headers=moderator(world)).status_code == 200

    def lift(client: TestClient, note: str) -> None:
        barrier.wait()
        answers.append(client.post(path, json={"reason": note}, headers=moderator(world)))

    threads = [threading.Thread(target=lift, args=(client, f"moderator {i}")) for i, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 409]
    loser = next(a for a in answers if a.status_code == 409)
    assert loser.json()["type"] == "https://reprieve.dev/problems/conflict"
    events = audit.list_events(world.db, limit=1000).items
    lifts = [e for e in events if e.type == "sanction.lifted" and e.data["id"] == sanction["id"]]
    assert len(lifts) == 1
    assert audit.verify_audit_log(world.db).ok


def test_a_scheduled_sanction_is_cancelled_by_lifting_it_before_it_starts(world: World) -> None:
    c, h = world.client, moderator(world)
    sanction = c.post(
        "/v1/sanctions",
        headers=h,
        json=sanction_body(
            "facebook",
            "later",
            starts_at="2024-07-01T00:00:00Z",
            duration="P30D",
        ),
    ).json()
    path = f"/v1/sanctions/{sanction['id']}/lift"
    before = c.get("/v1/events", params={"limit": 1000}, headers=world.headers["auditor"]).json()["items"]
    early = c.post(path, headers=h, json={"reason": "too early", "effective_at": "2024-06-15T00:00:00Z"})
    assert early.status_code == 422
    assert "before the sanction starts (2024-07-01T00:00:00Z)" in early.json()["detail"]
    assert "lift it at its start or without effective_at" in early.json()["detail"]
    after = c.get("/v1/events", params={"limit": 1000}, headers=world.headers["auditor"]).json()["items"]
    assert after == before
    cancelled = c.post(path, headers=h, json={"reason": "Decided in error"})
    assert cancelled.status_code == 200 and cancelled.json()["lifted_at"] == "2024-07-01T00:00:00Z"
    # It never took effect: cancelled (issue 22: not "lifted", nor "scheduled" before its start).
    assert cancelled.json()["state"] == "cancelled"
    for at in ("2024-06-15T00:00:00Z", "2024-07-01T00:00:00Z", "2024-07-15T00:00:00Z"):
        standing = c.get("/v1/platforms/facebook/accounts/later/standing", params={"at": at}, headers=h).json()
        assert standing["status"] == "good", at
        state = c.get(f"/v1/sanctions/{sanction['id']}", params={"at": at}, headers=h).json()["state"]
        assert state == "cancelled", at
