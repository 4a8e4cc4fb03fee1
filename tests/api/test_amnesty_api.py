"""The amnesty routes: dry run, a real run answered 202 and finished in the background, progress,
revert, roles, tenancy, and bad input as problem+json that changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from api_support import World, reason

from reprieve.runtime import amnesty as amnesty_runner
from reprieve.store import eventlog

PROBLEM = "application/problem+json"


def body(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"operator": "meta", "filter": {"kinds": ["suspension"]}, "reason": "General amnesty"}
    data.update(overrides)
    return data


def events(world: World) -> int:
    with world.db.read() as conn:
        return eventlog.count_events(conn)


def test_dry_run_then_real_run_then_revert(world: World) -> None:
    kept = world.sanction("meta", kind="termination", duration=None)
    spam = world.sanction("meta", reason=reason(category="STATEMENT_CATEGORY_SCAMS_AND_FRAUD"))
    ids = {world.sanction("meta")["id"] for _ in range(25)}
    other = world.sanction("x")
    moderator = world.headers["moderator"]
    request = body(filter={"kinds": ["suspension"], "exclude_categories": ["STATEMENT_CATEGORY_SCAMS_AND_FRAUD"]})
    world.clock.advance(timedelta(minutes=1))  # in force a minute: lifted, not cancelled at their start

    before = events(world)
    dry = world.client.post("/v1/amnesties", json={**request, "dry_run": True}, headers=moderator)
    assert dry.status_code == 200, dry.text
    assert dry.json()["matched"] == 25 and len(dry.json()["sample"]) == 20
    assert {s["id"] for s in dry.json()["sample"]} <= ids
    assert events(world) == before

    started = world.client.post("/v1/amnesties", json=request, headers=moderator)
    assert started.status_code == 202, started.text
    accepted = started.json()
    assert accepted["matched"] == 25 and accepted["state"] in ("running", "completed")
    assert amnesty_runner.join_background(60)
    shown = world.client.get(f"/v1/amnesties/{accepted['id']}", headers=world.headers["auditor"]).json()
    assert (shown["state"], shown["processed"], shown["lifted"], shown["skipped"]) == ("completed", 25, 25, 0)
    assert shown["finished_at"] is not None and shown["eta_seconds"] == 0
    for sanction_id in ids:
        assert world.client.get(f"/v1/sanctions/{sanction_id}", headers=moderator).json()["state"] == "lifted"
    for untouched in (kept, spam):
        assert world.client.get(f"/v1/sanctions/{untouched['id']}", headers=moderator).json()["state"] == "active"
    assert (
        world.client.get(f"/v1/sanctions/{other['id']}", headers=world.headers["instance-admin"]).json()["state"]
        == "active"
    )

    # Another operator's token sees no such amnesty, and cannot revert it.
    assert world.client.get(f"/v1/amnesties/{accepted['id']}", headers=world.headers["x-admin"]).status_code == 404
    refused = world.client.post(
        f"/v1/amnesties/{accepted['id']}/revert", json={"reason": "no"}, headers=world.headers["x-moderator"]
    )
    assert refused.status_code == 404 and refused.headers["content-type"] == PROBLEM

    reverted = world.client.post(
        f"/v1/amnesties/{accepted['id']}/revert", json={"reason": "A mistake"}, headers=moderator
    )
    assert reverted.status_code == 202, reverted.text
    assert amnesty_runner.join_background(60)
    shown = world.client.get(f"/v1/amnesties/{accepted['id']}", headers=moderator).json()
    assert shown["state"] == "reverted" and shown["revert"]["restored"] == 25
    again = world.client.post(f"/v1/amnesties/{accepted['id']}/revert", json={"reason": "again"}, headers=moderator)
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(
    ("role", "status"), [("platform", 403), ("reviewer", 403), ("auditor", 403), ("admin", 200), ("moderator", 200)]
)
def test_who_may_run_an_amnesty(world: World, role: str, status: int) -> None:
    answer = world.client.post("/v1/amnesties", json=body(dry_run=True), headers=world.headers[role])
    assert answer.status_code == status, answer.text


BAD: list[tuple[dict[str, Any], int]] = [
    (body(filter={"kinds": ["ban"]}), 422),
    (body(filter={"states": ["dormant"]}), 422),
    (body(filter={"states": ["expired"]}), 422),
    (body(filter={"started_before": "yesterday"}), 422),
    (body(filter={"exclude_categories": ["SPAM"]}), 422),
    (body(filter={"colour": "red"}), 422),
    (body(effective_at="2024-02-30T00:00:00Z"), 422),
    (body(platforms=["twitter"]), 422),
    (body(platforms=["no-such-platform"]), 422),
    (body(reason=""), 422),
    (body(operator="x"), 404),
    (body(operator="nobody"), 404),
]


@pytest.mark.parametrize(("request_body", "status"), BAD, ids=[str(i) for i in range(len(BAD))])
@pytest.mark.parametrize("dry_run", [True, False])
def test_bad_input_is_a_problem_and_changes_nothing(
    world: World, request_body: dict[str, Any], status: int, dry_run: bool
) -> None:
    world.sanction("meta")
    before = events(world)
    answer = world.client.post(
        "/v1/amnesties", json={**request_body, "dry_run": dry_run}, headers=world.headers["moderator"]
    )
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert events(world) == before


def test_an_unknown_amnesty_is_not_found(world: World) -> None:
    for path, method in (("/v1/amnesties/amn_nope", "get"), ("/v1/amnesties/amn_nope/revert", "post")):
        kwargs: dict[str, Any] = {"json": {"reason": "x"}} if method == "post" else {}
        answer = getattr(world.client, method)(path, headers=world.headers["moderator"], **kwargs)
        assert answer.status_code == 404 and answer.headers["content-type"] == PROBLEM
