"""``/healthz`` (the process is alive) and ``/readyz`` (the enforcement index has caught up with
the log), driven by polling the index's follower by hand: no thread, no waiting."""

from __future__ import annotations

from datetime import timedelta

from api_support import Clock, World
from sqlalchemy import text
from starlette.testclient import TestClient

from reprieve.api.app import create_app
from reprieve.api.enforcement import Enforcement, attach_index
from reprieve.api.observability.probes import READY_MAX_LAG_SECONDS
from reprieve.enforcement.follower import IndexFollower
from reprieve.enforcement.index import EnforcementIndex
from reprieve.store.db import Database


def test_healthz_answers_without_a_token(world: World) -> None:
    answer = world.client.get("/healthz")
    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})


def test_readyz_is_503_until_the_index_catches_up(db: Database, clock: Clock, world: World) -> None:
    index = EnforcementIndex.build(db, now=clock())
    follower = IndexFollower(index, db)  # not started: polled by the test
    app = create_app(db, clock=clock, enforcement=Enforcement(db, index=index, follower=follower))
    with TestClient(app, headers=world.headers["instance-admin"]) as client:  # to whom /readyz shows its figures
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["status"] == "ready" and ready.json()["lag_events"] == 0

        world.sanction("meta")  # written by another process, as far as this index knows
        # Just written: a lag younger than the tolerance keeps the process in service.
        fresh = client.get("/readyz")
        assert fresh.status_code == 200 and fresh.json()["lag_events"] > 0

        clock.advance(timedelta(seconds=READY_MAX_LAG_SECONDS + 8))
        behind = client.get("/readyz")
        assert behind.status_code == 503
        assert behind.headers["content-type"] == "application/problem+json"
        problem = behind.json()
        assert problem["type"].endswith("/unavailable") and problem["status"] == 503
        assert problem["lag_events"] == fresh.json()["lag_events"]
        assert problem["lag_seconds"] == READY_MAX_LAG_SECONDS + 8
        assert problem["request_id"] == behind.headers["x-request-id"]
        assert "behind the event log" in problem["detail"]

        follower.poll()
        caught_up = client.get("/readyz")
        assert caught_up.status_code == 200
        assert caught_up.json()["lag_events"] == 0
        assert caught_up.json()["applied_seq"] == caught_up.json()["head_seq"] == problem["head_seq"]


def test_readyz_is_503_while_the_index_is_being_built(db: Database, clock: Clock, world: World) -> None:
    app = attach_index(create_app(db, clock=clock), db)
    client = TestClient(app)  # not started: the lifespan that builds the index has not run
    loading = client.get("/readyz")
    assert loading.status_code == 503 and loading.json()["detail"] == "the enforcement index is being built"
    assert client.get("/healthz").status_code == 200
    with client:  # started: the index is built before the first request is answered
        ready = client.get("/readyz", headers=world.headers["instance-admin"])
        assert ready.status_code == 200 and ready.json()["in_memory"] is True


def test_readyz_without_an_index_is_ready_while_the_database_answers(world: World) -> None:
    answer = world.client.get("/readyz", headers=world.headers["instance-admin"])
    assert answer.status_code == 200
    assert answer.json()["in_memory"] is False


def test_readyz_is_503_when_the_log_cannot_be_read(db: Database, world: World) -> None:
    with db.engine.connect() as conn, conn.begin():
        conn.execute(text("DELETE FROM chain_head"))  # as good as a database that is not Reprieve's
    answer = world.client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["type"].endswith("/unavailable") and "event log cannot be read" in answer.json()["detail"]
    assert world.client.get("/healthz").status_code == 200  # alive all the same
