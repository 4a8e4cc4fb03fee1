"""``POST /v1/violations``: the fast path (``FastViolations``) answers exactly as the route does.

Each report is sent twice, to twin platforms with the same policy: once plainly (the fast path
takes it if it is sure of it) and once with an ``Idempotency-Key`` (the route always takes
those). The two answers must be the same, ids and platform names aside.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from api_support import Clock, World, build_world
from starlette.testclient import TestClient

from reprieve.api.app import create_app
from reprieve.api.enforcement import attach_index
from reprieve.api.fast.violations import FastViolations
from reprieve.services import catalogue
from reprieve.services.callers import Caller
from reprieve.store.db import Database

TWINS = ("fbm", "igm")
_ID = re.compile(r"\b[a-z]{3}_[0-9A-Z]{26}\b")


@pytest.fixture
def twins(world: World) -> World:
    for platform in TWINS:
        catalogue.create_platform(
            world.db,
            catalogue.CreatePlatform.parse(id=platform, operator="meta", name="Twin", policy="meta"),
            caller=Caller("setup", now=world.clock()),
        )
    return world


def fast_path(world: World) -> FastViolations:
    """The app's FastViolations middleware (the stack is built at the first request)."""
    layer: Any = world.client.app
    layer = layer.middleware_stack
    while not isinstance(layer, FastViolations):
        layer = layer.app
    return layer


def normalised(response: Any, platform: str) -> tuple[int, str | None, Any]:
    names: dict[str, str] = {}
    text = _ID.sub(lambda m: names.setdefault(m.group(0), f"id#{len(names)}"), response.text)
    body = json.loads(text.replace(platform, "PLATFORM"))
    if isinstance(body, dict):
        body.pop("instance", None)  # a problem names the request that got it
        body.pop("request_id", None)
        sanction = body.get("sanction") or {}
        sanction.pop("version", None)  # a seq of the log, where the twins' events interleave
        for change in sanction.get("history", []):
            change.pop("seq")  # the twins' events interleave in one log
    return response.status_code, response.headers.get("content-type"), body


def both(world: World, body: dict[str, Any], *, role: str = "platform", n: int = 0, **headers: str) -> tuple[Any, Any]:
    """The answers to ``body`` on the first twin by the fast path and on the second by the route."""
    answers = []
    for k, platform in enumerate(TWINS):
        sent = {**world.headers[role], **headers}
        if k == 1:
            sent["Idempotency-Key"] = f"key-{n}"
        content = json.dumps({**body, "platform": platform} if "platform" in body else body)
        answers.append(
            normalised(
                world.client.post(
                    "/v1/violations", content=content, headers={"Content-Type": "application/json", **sent}
                ),
                platform,
            )
        )
    return answers[0], answers[1]


REPORT = {
    "id": "v-1",
    "platform": "fbm",
    "account": "alice",
    "policy": "Violence and Incitement",
    "severity": "moderate",
    "category": "STATEMENT_CATEGORY_VIOLENCE",
    "facts": "A post inciting violence.",
}


CONTENT = {
    "occurred_at": "2024-05-01T00:00:00Z",
    "content_type": ["CONTENT_TYPE_TEXT", "CONTENT_TYPE_VIDEO"],
    "content_date": "2024-04-30",
    "keywords": ["KEYWORD_INCITEMENT_VIOLENCE_HATRED"],
    "territorial_scope": ["FR", "DE"],
}


def test_plain_reports_are_answered_by_the_fast_path_as_the_route_answers_them(twins: World) -> None:
    w = twins
    bodies = [
        REPORT,
        dict(REPORT, id="v-2"),  # a second strike: feature limits
        dict(REPORT, id="v-3", severity="severe", account="bob"),  # straight to termination
        dict(REPORT, id="v-4", account="carol", occurred_at="2024-05-01T00:00:00Z"),
        {k: v for k, v in dict(REPORT, id="v-5", account="dave").items() if k != "facts"},
        dict(REPORT, id="v-1"),  # a repeat: 200, the first answer
        dict(REPORT, id="v-6", account="erin", facts="Ünïcödé facts ✓"),
        dict(REPORT, id="v-7", account="frank", **CONTENT),  # the content, for the statement of reasons
        dict(REPORT, id="v-8", account="frank", content_type=["CONTENT_TYPE_TEXT"]),  # content_date: today
        dict(
            REPORT, id="v-9", account="gus", content_type=None, content_date=None, keywords=None, territorial_scope=None
        ),
        dict(REPORT, id="v-10", account="gus", content_type=[], keywords=[], territorial_scope=[]),
    ]
    for n, body in enumerate(bodies):
        fast, route = both(w, body, n=n)
        assert fast == route, body
        assert fast[0] in (200, 201)
    assert fast_path(w).answered == len(bodies)
    reason = both(w, dict(REPORT, id="v-7", account="frank", **CONTENT), n=50)[0][2]["sanction"]["reason"]
    assert {k: reason[k] for k in CONTENT if k != "occurred_at"} == {
        "content_type": ["CONTENT_TYPE_TEXT", "CONTENT_TYPE_VIDEO"],
        "content_date": "2024-04-30",
        "keywords": ["KEYWORD_INCITEMENT_VIOLENCE_HATRED"],
        "territorial_scope": ["DE", "FR"],
    }
    strikes = [both(w, dict(REPORT, id=f"m-{n}", account="mod"), role="moderator", n=100 + n)[0] for n in range(3)]
    assert [s[2]["strike"]["count"] for s in strikes] == [1, 2, 3]


def test_what_the_fast_path_is_not_sure_of_is_answered_by_the_route(twins: World) -> None:
    w = twins
    probe = w.client.post(
        "/v1/violations", json=dict(REPORT, id="probe", account="probe"), headers=w.headers["platform"]
    )
    path = fast_path(w)
    assert probe.status_code == 201 and path.answered == 1
    cases: list[tuple[dict[str, Any], str, int]] = [
        (dict(REPORT, id="u-1", severity="dire"), "platform", 422),
        (dict(REPORT, id="u-2", category="STATEMENT_CATEGORY_NOPE"), "platform", 422),
        (dict(REPORT, id="u-3", extra="field"), "platform", 422),
        (dict(REPORT, id="u-4", occurred_at="yesterday"), "platform", 422),
        (dict(REPORT, id="u-5", occurred_at="2999-01-01T00:00:00Z"), "platform", 422),
        (dict(REPORT, id=" u-6"), "platform", 422),
        (dict(REPORT, id="u-7", account="has space"), "platform", 422),
        (dict(REPORT, id="u-8", policy=""), "platform", 422),
        (dict(REPORT, id="u-9", facts=7), "platform", 422),
        (dict(REPORT, id="u-10", automated={"detection": True, "decision": "fully"}), "platform", 201),
        (dict(REPORT, id="u-11", account="ünïcode"), "platform", 201),
        (dict(REPORT, id="u-12"), "reviewer", 403),
        ({k: v for k, v in REPORT.items() if k != "severity"}, "platform", 422),
        # The content fields: what the schema refuses, and what the service does.
        (dict(REPORT, id="u-13", content_type="CONTENT_TYPE_TEXT"), "platform", 422),
        (dict(REPORT, id="u-14", content_type=["CONTENT_TYPE_OTHER"]), "platform", 422),
        (dict(REPORT, id="u-15", content_type=["CONTENT_TYPE_HOLOGRAM"]), "platform", 422),
        (dict(REPORT, id="u-16", content_type=[7]), "platform", 422),
        (dict(REPORT, id="u-17", content_type=["CONTENT_TYPE_TEXT"] * 21), "platform", 422),
        (dict(REPORT, id="u-18", content_type=["CONTENT_TYPE_" + "X" * 40]), "platform", 422),
        (dict(REPORT, id="u-19", content_date="2024-02-30"), "platform", 422),
        (dict(REPORT, id="u-20", content_date="2024-5-1"), "platform", 422),
        (dict(REPORT, id="u-21", content_date="٢٠٢٤-٠٥-٠١"), "platform", 422),  # digits, but not ASCII
        (dict(REPORT, id="u-22", content_date=20240501), "platform", 422),
        (dict(REPORT, id="u-23", occurred_at="2024-05-01T00:00:00Z", content_date="2024-05-02"), "platform", 422),
        (dict(REPORT, id="u-24", keywords=["KEYWORD_ELECTORAL_VIOLENCE"]), "platform", 422),
        (dict(REPORT, id="u-25", keywords="KEYWORD_PHISHING"), "platform", 422),
        (dict(REPORT, id="u-26", territorial_scope=["US"]), "platform", 422),
        (dict(REPORT, id="u-27", territorial_scope=["FRA"]), "platform", 422),
        (dict(REPORT, id="u-28", territorial_scope=["FR"] * 41), "platform", 422),
        (dict(REPORT, id="u-29", content_type=["CONTENT_TYPE_TEXT\u0000"]), "platform", 422),
    ]
    for n, (body, role, status) in enumerate(cases):
        fast, route = both(w, body, role=role, n=n)
        assert fast == route, body
        assert fast[0] == status, (body, fast)
    assert path.answered == 1
    # Not JSON, no token, a token that is not one: the route's own answers.
    for content, headers, status in [
        (b"{not json", w.headers["platform"], 422),
        (json.dumps(REPORT).encode(), {}, 401),
        (json.dumps(REPORT).encode(), {"Authorization": "Bearer rpv_nope"}, 401),
    ]:
        response = w.client.post(
            "/v1/violations", content=content, headers={"Content-Type": "application/json", **headers}
        )
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
    assert path.answered == 1


def test_a_platform_of_another_operator_is_404_from_both_paths(twins: World) -> None:
    w = twins
    body = dict(REPORT, id="x-1", platform="twitter")
    fast = w.client.post("/v1/violations", json=body, headers=w.headers["platform"])
    route = w.client.post("/v1/violations", json=body, headers={**w.headers["platform"], "Idempotency-Key": "x-1"})
    assert fast.status_code == route.status_code == 404
    assert fast.headers["content-type"] == route.headers["content-type"] == "application/problem+json"
    mine = ("instance", "request_id")
    assert {k: v for k, v in fast.json().items() if k not in mine} == {
        k: v for k, v in route.json().items() if k not in mine
    }
    assert fast_path(w).answered == 1


def test_with_the_index_attached_the_next_check_sees_what_a_violation_imposed(db: Database, clock: Clock) -> None:
    """Read your own writes: the fast path answers only once the enforcement index has applied
    the violation, as ``CatchUpAfterWrites`` does for the routes."""
    world = build_world(db, clock)
    catalogue.create_platform(
        db,
        catalogue.CreatePlatform.parse(id="fbm", operator="meta", name="Twin", policy="meta"),
        caller=Caller("setup", now=clock()),
    )
    app = attach_index(create_app(db, clock=clock), db)
    with TestClient(app) as client:
        follower = app.state.enforcement.follower
        assert follower is not None
        polls = []
        for n in range(3):
            before = follower.index.seq
            answer = client.post(
                "/v1/violations",
                headers=world.headers["platform"],
                json=dict(REPORT, id=f"r-{n}", account=f"rita{n}", severity="severe"),
            )
            assert answer.status_code == 201 and answer.json()["sanction"]["kind"] == "termination"
            polls.append(follower.index.seq > before)
            check = client.post(
                "/v1/checks",
                headers=world.headers["platform"],
                json={"checks": [{"platform": "fbm", "account": f"rita{n}", "capability": "post"}]},
            )
            assert check.json()["results"][0]["allowed"] is False
        assert all(polls)
        layer: Any = app.middleware_stack
        while not isinstance(layer, FastViolations):
            layer = layer.app
        assert layer.answered == 3


def test_observe_and_the_fast_paths_stand_in_front_of_fastapis_own_layers(world: World) -> None:
    from reprieve.api.fast.checks import FastChecks
    from reprieve.api.observability.middleware import Observe

    world.client.get("/healthz")  # the stack is built at the first request
    stack: Any = world.client.app.middleware_stack  # type: ignore[attr-defined]
    assert [type(layer) for layer in (stack, stack.app, stack.app.app)] == [Observe, FastChecks, FastViolations]
