"""``GET /metrics``: the Prometheus text format, counters that move, latency by route template,
the index's lag, and who may read it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from api_support import Clock, World, sanction_body
from prometheus_metrics_text import Exposition, parse
from starlette.testclient import TestClient

from reprieve.api.app import create_app
from reprieve.api.enforcement import Enforcement
from reprieve.api.observability import probes
from reprieve.api.observability.metrics import GaugeFamily
from reprieve.domain.amnesty import make_filter
from reprieve.enforcement.follower import IndexFollower
from reprieve.enforcement.index import EnforcementIndex
from reprieve.runtime import amnesty as amnesty_runner
from reprieve.services import amnesty, webhooks
from reprieve.services.callers import Caller
from reprieve.store.db import Database

DURATION = "reprieve_http_request_duration_seconds"


def scrape(world: World, client: TestClient | None = None) -> Exposition:
    answer = (client or world.client).get("/metrics", headers=world.headers["instance-admin"])
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(answer.text)


def requests_of(metrics: Exposition, method: str, route: str, status: str) -> float:
    return metrics.value(f"{DURATION}_count", method=method, route=route, status=status) or 0.0


def test_metrics_parse_and_request_counts_move_by_route_template(world: World) -> None:
    moderator = world.headers["moderator"]
    before = scrape(world)
    assert before.types[DURATION] == "histogram"
    for missing in ("nope-1", "nope-2", "nope-3"):
        assert world.client.get(f"/v1/sanctions/{missing}", headers=moderator).status_code == 404
    created = world.client.post("/v1/sanctions", headers=moderator, json=sanction_body("facebook", "metrics-1"))
    assert created.status_code == 201
    after = scrape(world)

    template = "/v1/sanctions/{sanction_id}"
    assert requests_of(after, "GET", template, "4xx") - requests_of(before, "GET", template, "4xx") == 3
    assert requests_of(after, "POST", "/v1/sanctions", "2xx") - requests_of(before, "POST", "/v1/sanctions", "2xx") == 1
    # The raw paths never become labels: one series per template.
    routes = {dict(labels)["route"] for labels in after.series(f"{DURATION}_count")}
    assert not any("nope" in route for route in routes)
    assert "/metrics" in routes  # the scrape before this one was observed too
    # The three 404s fell in some bucket: every bucket at or above it counts them (cumulative).
    buckets = {
        float(dict(labels)["le"]): value
        for labels, value in after.series(f"{DURATION}_bucket").items()
        if dict(labels).get("route") == template
        and dict(labels).get("method") == "GET"
        and dict(labels).get("status") == "4xx"
    }
    assert buckets[float("inf")] == requests_of(after, "GET", template, "4xx")
    assert list(buckets.values()) == sorted(buckets.values())


def test_checks_answered_counts_every_check_of_every_path(world: World) -> None:
    platform = world.headers["platform"]
    batch = {"checks": [{"platform": "facebook", "account": f"c{i}", "capability": "post"} for i in range(7)]}
    before = scrape(world).value("reprieve_checks_answered_total")
    assert before is not None
    assert world.client.post("/v1/checks", headers=platform, json=batch).status_code == 200
    # With an Idempotency-Key the request goes through the full route rather than the fast path.
    keyed = {**platform, "Idempotency-Key": "checks-metrics-1"}
    assert world.client.post("/v1/checks", headers=keyed, json=batch).status_code == 200
    after = scrape(world)
    assert after.value("reprieve_checks_answered_total") == before + 14
    assert requests_of(after, "POST", "/v1/checks", "2xx") >= 2


def test_index_lag_in_events_and_seconds(db: Database, clock: Clock, world: World) -> None:
    index = EnforcementIndex.build(db, now=clock())
    follower = IndexFollower(index, db)  # not started: the test polls it
    app = create_app(db, clock=clock, enforcement=Enforcement(db, index=index, follower=follower))
    with TestClient(app) as client:
        caught_up = scrape(world, client)
        assert caught_up.value("reprieve_enforcement_index_loaded") == 1
        assert caught_up.value("reprieve_enforcement_index_lag_events") == 0
        assert caught_up.value("reprieve_enforcement_index_lag_seconds") == 0

        world.sanction("meta")  # written elsewhere: the index has not seen it
        world.sanction("meta")
        clock.advance(timedelta(seconds=30))
        behind = scrape(world, client)
        head_before = caught_up.value("reprieve_event_log_head_seq")
        head_after = behind.value("reprieve_event_log_head_seq")
        assert head_before is not None and head_after is not None and head_after > head_before
        assert behind.value("reprieve_enforcement_index_lag_events") == head_after - head_before
        assert behind.value("reprieve_enforcement_index_lag_seconds") == 30

        follower.poll()
        again = scrape(world, client)
        assert again.value("reprieve_enforcement_index_lag_events") == 0
        assert again.value("reprieve_enforcement_index_lag_seconds") == 0


def test_without_index_the_database_answers_and_nothing_lags(world: World) -> None:
    metrics = scrape(world)
    assert metrics.value("reprieve_enforcement_index_loaded") == 0
    assert metrics.value("reprieve_enforcement_index_lag_events") == 0


def test_a_failing_source_leaves_the_rest(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_db: Database) -> list[GaugeFamily]:
        raise RuntimeError("the outbox table is not there")

    monkeypatch.setattr(probes, "outbox_gauges", broken)
    metrics = scrape(world)
    assert "reprieve_outbox_depth" not in metrics.types
    assert metrics.value("reprieve_enforcement_index_lag_events") == 0


def test_amnesty_progress(world: World) -> None:
    for _ in range(3):
        world.sanction("meta")
    world.sanction("x")
    started = amnesty.start(
        world.db, make_filter("meta"), reason="general amnesty", caller=Caller("mod").at(world.clock())
    )
    labels = {"amnesty": started.id, "operator": "meta"}
    pending = scrape(world)
    matched = pending.series("reprieve_amnesty_matched")
    assert [dict(k) for k in matched] == [{**labels, "state": dict(next(iter(matched)))["state"]}]
    assert list(matched.values()) == [3]
    assert list(pending.series("reprieve_amnesty_processed").values()) == [0]

    amnesty_runner.run(world.db, started.id, now=world.clock())
    done = scrape(world)
    assert list(done.series("reprieve_amnesty_matched").values()) == [3]
    assert list(done.series("reprieve_amnesty_processed").values()) == [3]


def test_outbox_depth_and_age(world: World) -> None:
    empty = scrape(world)
    assert (empty.value("reprieve_outbox_depth"), empty.value("reprieve_outbox_oldest_age_seconds")) == (0, 0)
    webhooks.create_webhook(
        world.db,
        webhooks.CreateWebhook(operator="meta", url="https://receiver.example/hook", event_types=["sanction.imposed"]),
        caller=Caller("test", now=world.clock()),
    )
    world.sanction("meta")
    world.sanction("meta")
    world.sanction("x")  # another operator's: not for this endpoint
    waiting = scrape(world)
    assert waiting.value("reprieve_outbox_depth") == 2
    age = waiting.value("reprieve_outbox_oldest_age_seconds")
    assert age is not None and age > 0  # recorded at the test clock's instant, in 2024


def test_who_may_read_metrics(db: Database, clock: Clock, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    anonymous = world.client.get("/metrics")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    for role in ("admin", "auditor", "moderator", "platform"):
        refused = world.client.get("/metrics", headers=world.headers[role])
        assert refused.status_code == 403, role
    assert world.client.get("/metrics", headers={"Authorization": "Bearer rpv_not-a-token"}).status_code == 401

    # A secret that may read /metrics and nothing else, for the scraper's configuration.
    monkeypatch.setenv("REPRIEVE_METRICS_TOKEN", "scrape-secret-0123456789")
    with TestClient(create_app(db, clock=clock)) as client:
        scraper = {"Authorization": "Bearer scrape-secret-0123456789"}
        assert client.get("/metrics", headers=scraper).status_code == 200
        assert client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-wrong"}).status_code == 401
        assert client.get("/v1/events", headers=scraper).status_code == 401  # it is not an API token
