"""The API with its in-memory index attached, as `reprieve serve` runs it: the same answers as
the database, your own writes seen at once, other processes' writes seen after a poll."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from api_support import Clock, World, sanction_body
from starlette.testclient import TestClient

from reprieve.api.app import create_app
from reprieve.api.enforcement import Enforcement, attach_index
from reprieve.domain.model import AccountRef
from reprieve.services.callers import Caller
from reprieve.services.sanctions import ImposeSanction, impose_sanction
from reprieve.store.db import Database


def check(client: TestClient, headers: dict[str, str], account: str, **body: Any) -> dict[str, Any]:
    answer = client.post(
        "/v1/checks",
        headers=headers,
        json={"checks": [{"platform": "facebook", "account": account, "capability": "post"}], **body},
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()["results"][0]
    return result


def test_checks_come_from_the_index_and_see_writes_at_once(db: Database, clock: Clock, world: World) -> None:
    moderator = world.headers["moderator"]
    before = world.sanction("meta")  # in the database before the index is built
    app = attach_index(create_app(db, clock=clock), db)
    with TestClient(app) as client:
        enforcement: Enforcement = app.state.enforcement
        assert enforcement.index is not None and enforcement.follower is not None
        assert check(client, moderator, before["subject"]["account"])["sanction"] == before["id"]

        created = client.post("/v1/sanctions", headers=moderator, json=sanction_body("facebook", "newcomer"))
        assert created.status_code == 201
        # The next check through the same process sees the write: no waiting.
        denied = check(client, moderator, "newcomer")
        assert (denied["allowed"], denied["sanction"]) == (False, created.json()["id"])
        standing = client.get("/v1/platforms/facebook/accounts/newcomer/standing", headers=moderator).json()
        assert standing["status"] == "suspended" and standing["sanctions"] == [created.json()["id"]]

        # A write made elsewhere (another process, the CLI) reaches the index through the log.
        elsewhere = impose_sanction(
            db,
            ImposeSanction.parse(
                subject=AccountRef("facebook", "elsewhere"),
                kind="suspension",
                duration="P1D",
                reason=sanction_body("facebook", "x")["reason"],
            ),
            caller=Caller("another-process", now=clock()),
        ).to_json()
        deadline = time.monotonic() + 5
        while check(client, moderator, "elsewhere")["allowed"] and time.monotonic() < deadline:
            enforcement.follower.wake()
        assert check(client, moderator, "elsewhere")["sanction"] == elsewhere["id"]

        # Before the index's horizon the database answers, and alike.
        past = (clock() - timedelta(days=1)).isoformat()
        assert check(client, moderator, "newcomer", at=past)["allowed"] is True
        later = (clock() + timedelta(days=31)).isoformat()
        assert check(client, moderator, "newcomer", at=later)["allowed"] is True
