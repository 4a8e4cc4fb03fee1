"""Item rows in POST /v1/checks and GET /v1/platforms/{p}/items/{i}/visibility (issue 24): from the
index (fast path and route alike) as from the database, mixed with account rows, bad rows refused
in place, other operators' platforms not found, the past and ``as_of`` from the database."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from api_support import START, Clock, World
from starlette.testclient import TestClient

from reprieve.api.app import create_app
from reprieve.api.enforcement import attach_index
from reprieve.domain.events import ContentAmended, ContentDecided, ContentRestored, NewEvent
from reprieve.domain.model import AccountRef
from reprieve.domain.time import format_instant
from reprieve.services.callers import Caller
from reprieve.services.sanctions import ImposeSanction, impose_sanction
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

NUMERIC = "1234567890123456789"
TEXT = "posts/UgkxR9dBz1YvKqTQwLmN3pE8sJcH0aF2"
REASON = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "policy": "Dangerous individuals and organisations",
    "explanation": "Praise of ongoing violence",
}


def record(db: Database, at: datetime, event: object, effective_at: datetime) -> None:
    with UnitOfWork(db, actor="api-tests", now=at) as uow:
        uow.record([NewEvent.of(event, format_instant(effective_at) or "", "meta")])  # type: ignore[arg-type]


def decided(decision_id: str, item: str, kind: str, starts: datetime, *, scope: tuple[str, ...] = ()) -> ContentDecided:
    return ContentDecided(
        id=decision_id,
        operator="meta",
        item={
            "platform": "facebook",
            "item": item,
            "account": "channel-a",
            "content_type": ["CONTENT_TYPE_VIDEO"],
            "content_date": "2024-05-01",
        },
        kind=kind,
        starts_at=format_instant(starts) or "",
        ends_at=None,
        reason=dict(REASON),
        automated={"detection": True, "decision": "partially"},
        territorial_scope=list(scope),
    )


@pytest.fixture
def items(db: Database, clock: Clock, world: World) -> dict[str, str]:
    """The numeric item disabled in FR and DE, then also demonetized everywhere; the text item
    removed for ten days, then restored; their author suspended."""
    now = clock()
    day, hour = timedelta(days=1), timedelta(hours=1)
    # Recorded over the next hours (recording instants never go back), effective some days before.
    record(db, now + hour, decided("cd_01", NUMERIC, "disabling", now - 3 * day, scope=("DE", "FR")), now - 3 * day)
    record(db, now + 2 * hour, decided("cd_02", NUMERIC, "demonetization", now - 2 * day), now - 2 * day)
    record(db, now + 2 * hour, decided("cd_03", TEXT, "removal", now - 2 * day), now - 2 * day)
    ten_days = ContentAmended("cd_03", "removal", format_instant(now + 10 * day), [], "ten days")
    record(db, now + 3 * hour, ten_days, now - day)
    record(db, now + 3 * hour, ContentRestored("cd_03", "granted on review"), now + 8 * day)
    impose_sanction(
        db,
        ImposeSanction.parse(
            subject=AccountRef("facebook", "channel-a"), kind="suspension", duration="P30D", reason=dict(REASON)
        ),
        caller=Caller("api-tests", now=now + 4 * hour),
    )
    clock.advance(5 * hour)
    return {"numeric": NUMERIC, "text": TEXT}


MIXED: list[dict[str, Any]] = [
    {"platform": "facebook", "item": NUMERIC, "capability": "view"},
    {"platform": "facebook", "item": NUMERIC, "capability": "view", "country": "FR"},
    {"platform": "facebook", "account": "someone", "capability": "post"},
    {"platform": "facebook", "item": NUMERIC, "capability": "monetize", "country": "US"},
    {"platform": "facebook", "item": TEXT, "capability": "interact", "account": "not-the-author"},
    {"platform": "facebook", "item": "never-decided", "capability": "view", "account": "channel-b"},
    {"platform": "facebook", "item": "never-decided", "capability": "view"},
    {"platform": "nowhere", "item": NUMERIC, "capability": "view"},
    {"platform": "facebook", "item": NUMERIC, "capability": "post"},
    {"platform": "facebook", "item": NUMERIC, "capability": "view", "country": "fr"},
    {"platform": "twitter", "item": NUMERIC, "capability": "view"},
    {"platform": "facebook", "account": "someone", "capability": "teleport"},
]


def post(client: TestClient, headers: dict[str, str], checks: list[dict[str, Any]], **body: Any) -> list[Any]:
    answer = client.post("/v1/checks", headers=headers, json={"checks": checks, **body})
    assert answer.status_code == 200, answer.text
    results: list[Any] = answer.json()["results"]
    return results


def test_a_mixed_batch_is_answered_in_order_alike_from_the_index_and_the_database(
    db: Database, clock: Clock, world: World, items: dict[str, str]
) -> None:
    reader = world.headers["auditor"]
    from_db = post(world.client, reader, MIXED)  # no index attached: the database
    app = attach_index(create_app(db, clock=clock), db)
    with TestClient(app) as client:
        from_index = post(client, reader, MIXED)  # the fast path
        through_route = client.post(
            "/v1/checks", headers={**reader, "Idempotency-Key": "items-1"}, json={"checks": MIXED}
        ).json()["results"]  # an Idempotency-Key: the route
    assert from_index == from_db == through_route

    suspended = {"account": "channel-a", "status": "suspended"}
    assert from_index[0] == {
        "platform": "facebook",
        "item": NUMERIC,
        "capability": "view",
        "country": None,
        "allowed": True,  # disabled in FR and DE only
        "status": "demonetized",
        "until": None,
        "decision": None,
        "restricted_in": ["DE", "FR"],
        "author": suspended,
    }
    assert from_index[1] | {"author": None} == {
        **from_index[0],
        "country": "FR",
        "allowed": False,
        "status": "disabled",
        "decision": "cd_01",
        "author": None,
    }
    assert from_index[2]["account"] == "someone" and from_index[2]["allowed"] is True
    assert (from_index[3]["allowed"], from_index[3]["decision"], from_index[3]["status"]) == (
        False,
        "cd_02",
        "demonetized",
    )
    removed = from_index[4]
    assert (removed["allowed"], removed["status"], removed["decision"]) == (False, "removed", "cd_03")
    assert removed["until"] == format_instant(START + timedelta(days=8))  # restored then
    assert removed["author"] == suspended  # the recorded author wins over the stated one
    assert from_index[5]["author"] == {"account": "channel-b", "status": "good"}
    assert from_index[5]["status"] == "visible" and from_index[6]["author"] is None
    errors = [r.get("error", {}).get("type", "").rsplit("/", 1)[-1] for r in from_index[7:]]
    assert errors == ["not-found", "validation", "validation", "not-found", "validation"], from_index[7:]
    assert "view, interact or monetize" in from_index[8]["error"]["detail"]
    assert from_index[9]["country"] == "fr" and "country" in from_index[9]["error"]["detail"]


def test_the_past_and_as_of_are_answered_from_the_database(
    db: Database, clock: Clock, world: World, items: dict[str, str]
) -> None:
    reader = world.headers["auditor"]
    app = attach_index(create_app(db, clock=clock), db)
    before_removal = format_instant(START - timedelta(days=2, hours=12))
    known_then = format_instant(START + timedelta(hours=2, minutes=30))  # decided, not yet amended
    row = [{"platform": "facebook", "item": TEXT, "capability": "view"}]
    with TestClient(app) as client:
        assert post(client, reader, row, at=before_removal)[0]["allowed"] is True
        assert post(client, reader, row)[0]["allowed"] is False
        # As known then the removal had no end and no restoration yet.
        known = post(client, reader, row, as_of=known_then)[0]
        assert (known["allowed"], known["until"]) == (False, None)
        later = format_instant(START + timedelta(days=9))
        assert post(client, reader, row, at=later)[0]["allowed"] is True
        seen = client.get(
            f"/v1/platforms/facebook/items/{TEXT}/visibility",
            headers=reader,
            params={"as_of": known_then},
        ).json()
        assert seen["decisions"] == [{"id": "cd_03", "kind": "removal", "territorial_scope": [], "until": None}]


def test_visibility_from_the_index_as_from_the_database(
    db: Database, clock: Clock, world: World, items: dict[str, str]
) -> None:
    reader = world.headers["auditor"]
    cases = [(NUMERIC, {}), (NUMERIC, {"country": "FR"}), (NUMERIC, {"country": "US"}), (TEXT, {}), ("x/y", {})]
    from_db = [
        world.client.get(f"/v1/platforms/facebook/items/{item}/visibility", headers=reader, params=params).json()
        for item, params in cases
    ]
    app = attach_index(create_app(db, clock=clock), db)
    with TestClient(app) as client:
        from_index = [
            client.get(f"/v1/platforms/facebook/items/{item}/visibility", headers=reader, params=params).json()
            for item, params in cases
        ]
    assert from_index == from_db
    in_france = from_index[1]
    assert in_france == {
        "platform": "facebook",
        "item": NUMERIC,
        "country": "FR",
        "visible": False,
        "status": "disabled",
        "restricted": ["view", "interact", "monetize"],
        "restricted_in": ["DE", "FR"],
        "author": {"account": "channel-a", "status": "suspended"},
        "decisions": [
            {"id": "cd_01", "kind": "disabling", "territorial_scope": ["DE", "FR"], "until": None},
            {"id": "cd_02", "kind": "demonetization", "territorial_scope": [], "until": None},
        ],
        "until": None,
    }
    assert from_index[0]["visible"] and from_index[0]["restricted"] == ["monetize"]
    assert from_index[2]["restricted"] == ["monetize"] and from_index[2]["restricted_in"] == ["DE", "FR"]
    assert from_index[3]["until"] == format_instant(START + timedelta(days=8))
    assert from_index[4] | {"item": None} == {
        "platform": "facebook",
        "item": None,
        "country": None,
        "visible": True,
        "status": "visible",
        "restricted": [],
        "restricted_in": [],
        "author": None,
        "decisions": [],
        "until": None,
    }


def test_visibility_refuses_what_it_cannot_answer(
    db: Database, clock: Clock, world: World, items: dict[str, str]
) -> None:
    reader = world.headers["auditor"]
    app = attach_index(create_app(db, clock=clock), db)
    with TestClient(app) as client:
        for headers, path, params, status in [
            (reader, f"/v1/platforms/twitter/items/{NUMERIC}/visibility", {}, 404),  # another operator's
            (world.headers["x-admin"], f"/v1/platforms/facebook/items/{NUMERIC}/visibility", {}, 404),
            (reader, f"/v1/platforms/nowhere/items/{NUMERIC}/visibility", {}, 404),
            (reader, f"/v1/platforms/facebook/items/{NUMERIC}/visibility", {"country": "fra"}, 422),
            (reader, f"/v1/platforms/facebook/items/{NUMERIC}/visibility", {"country": "x" * 40}, 422),
            (reader, f"/v1/platforms/facebook/items/{NUMERIC}/visibility", {"at": "yesterday"}, 422),
            (reader, f"/v1/platforms/facebook/items/{NUMERIC}/visibility", {"as_of": "2999-01-01T00:00:00Z"}, 422),
            ({}, f"/v1/platforms/facebook/items/{NUMERIC}/visibility", {}, 401),
        ]:
            answer = client.get(path, headers=headers, params=params)
            assert answer.status_code == status, (path, params, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
        # Another operator's token sees its own platform, where the item is unknown.
        theirs = client.get(f"/v1/platforms/twitter/items/{NUMERIC}/visibility", headers=world.headers["x-admin"])
        assert theirs.status_code == 200 and theirs.json()["status"] == "visible"


def test_bad_item_rows_at_the_schema_are_refused_whole(db: Database, clock: Clock, world: World) -> None:
    reader = world.headers["auditor"]
    for row in [
        {"platform": "facebook", "item": "has space", "capability": "view"},
        {"platform": "facebook", "item": NUMERIC, "capability": "view", "country": 33},
        {"platform": "facebook", "item": NUMERIC, "capability": "view", "colour": "red"},
        {"platform": "facebook", "item": NUMERIC},
        {"platform": "facebook", "item": NUMERIC, "capability": "view", "country": "F" * 17},
    ]:
        answer = world.client.post("/v1/checks", headers=reader, json={"checks": [row]})
        assert answer.status_code == 422, (row, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
