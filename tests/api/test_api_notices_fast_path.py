"""``POST /v1/notices``: the fast path (``FastNotices``) answers exactly as the route does, and
the notices it submits together are received in one batch as they would be one by one.

Each notice is sent twice: once plainly (the fast path takes it if it is sure of it) and once
with an ``Idempotency-Key`` (the route always takes those). The two answers must be the same
bytes, ids (numbered in the order they appear) and the status code (an HMAC of the id) aside.
Every test runs on both backends.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from api_support import World
from sqlalchemy import func, select

from reprieve.api.fast.notices import FastNotices
from reprieve.services import notices
from reprieve.services.audit import rebuild_projections, verify_audit_log
from reprieve.services.callers import Caller
from reprieve.services.committing import ALONE
from reprieve.store import tables
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

_ID = re.compile(r"\b[a-z]{3}_[0-9A-Z]{26}\b")
_CODE = re.compile(r'"status_code":"[A-Z2-7]{5}-[A-Z2-7]{5}"')

NOTICE: dict[str, Any] = {
    "platform": "facebook",
    "about": {"item": "post-1"},
    "location": "https://facebook.example/posts/1",
    "explanation": "This post threatens a named neighbour.",
    "category": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "illegal": True,
    "legal_ground": "Article 222-17 of the French Penal Code",
    "notifier": {"kind": "individual", "name": "Camille Notifier", "email": "camille@example.org"},
    "bona_fide": True,
    "channel": "api",
}


def fast_path(world: World) -> FastNotices:
    """The app's FastNotices middleware (the stack is built at the first request)."""
    world.client.get("/healthz")
    layer: Any = world.client.app
    layer = layer.middleware_stack
    while not isinstance(layer, FastNotices):
        layer = layer.app
    return layer


def normalised(response: Any) -> tuple[int, str | None, str]:
    """The status, the content type and the body's bytes, ids and the status code replaced."""
    names: dict[str, str] = {}
    text = _ID.sub(lambda m: names.setdefault(m.group(0), f"id#{len(names)}"), response.text)
    text = _CODE.sub('"status_code":"CODE"', text)
    if response.headers.get("content-type") == "application/problem+json":
        body = json.loads(text)
        body.pop("instance", None)  # a problem names the request that got it
        body.pop("request_id", None)
        text = json.dumps(body, sort_keys=True)
    return response.status_code, response.headers.get("content-type"), text


def both(w: World, body: Any, *, role: str = "platform", n: int = 0) -> tuple[Any, Any]:
    """The answers to ``body`` by the fast path and then by the route."""
    answers = []
    for k in range(2):
        headers = {**w.headers[role], "Content-Type": "application/json"}
        if k == 1:
            headers["Idempotency-Key"] = f"key-{n}"
        answers.append(normalised(w.client.post("/v1/notices", content=json.dumps(body), headers=headers)))
    return answers[0], answers[1]


def count(db: Database, table: Any) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_plain_notices_are_answered_by_the_fast_path_as_the_route_answers_them(world: World) -> None:
    w = world
    path = fast_path(w)
    minors = "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
    bodies: list[dict[str, Any]] = [
        NOTICE,
        dict(NOTICE, about={"account": "alice"}, location="https://facebook.example/alice"),
        dict(NOTICE, illegal=False, legal_ground=None, category="STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE"),
        {k: v for k, v in NOTICE.items() if k != "legal_ground"} | {"illegal": False},
        dict(NOTICE, category=minors, notifier={"kind": "individual"}),  # art. 16(2)(c): anonymous
        dict(NOTICE, category=minors, notifier={"kind": "entity", "name": None, "email": None}),
        dict(NOTICE, language="fr", explanation="Ünïcödé, « menaces » ✓\nsur deux lignes"),
        dict(NOTICE, channel="email", received_at="2024-05-20T08:00:00Z"),  # dated by its arrival
        dict(NOTICE, about={"item": "post-2", "account": None}, received_at=None, language="en"),
    ]
    for n, body in enumerate(bodies):
        fast, route = both(w, body, n=n)
        assert fast == route, body
        assert fast[0] == 201 and fast[1] == "application/json"
    assert path.answered == len(bodies)
    # Both answers of each body joined the same case (the item's or the account's).
    with w.db.read() as conn:
        counts = sorted(conn.execute(select(tables.notice_cases.c.notices)).scalars())
    assert counts == [2, 2, 14]
    assert count(w.db, tables.notice_notifiers) == 2 * len(bodies)
    assert verify_audit_log(w.db).ok


def test_what_the_fast_path_is_not_sure_of_is_answered_by_the_route(world: World) -> None:
    w = world
    path = fast_path(w)
    cases: list[tuple[Any, str, int]] = [
        ({k: v for k, v in NOTICE.items() if k != "explanation"}, "platform", 422),
        (dict(NOTICE, extra="field"), "platform", 422),
        (dict(NOTICE, category="STATEMENT_CATEGORY_NOPE"), "platform", 422),
        (dict(NOTICE, illegal="maybe"), "platform", 422),
        (dict(NOTICE, illegal="yes"), "platform", 201),  # the schema's lax bool takes it: the route's
        (dict(NOTICE, bona_fide=False), "platform", 422),
        (dict(NOTICE, notifier={"kind": "individual"}), "platform", 422),  # not art. 16(2)(c): named
        (dict(NOTICE, notifier={"kind": "robot", "name": "R", "email": "r@example.org"}), "platform", 422),
        (dict(NOTICE, notifier={"kind": "individual", "name": "A\nB", "email": "a@example.org"}), "platform", 422),
        (dict(NOTICE, notifier={"kind": "individual", "name": "A", "email": "a@" + "x" * 330}), "platform", 422),
        (dict(NOTICE, notifier={"kind": "individual", "name": "A", "email": "not an address"}), "platform", 422),
        (dict(NOTICE, location="ftp://facebook.example/1"), "platform", 422),
        (dict(NOTICE, location=""), "platform", 422),
        (dict(NOTICE, explanation="   "), "platform", 422),
        (dict(NOTICE, explanation="nul \u0000 inside"), "platform", 422),
        (dict(NOTICE, explanation="x" * 20_001), "platform", 422),
        (dict(NOTICE, legal_ground=""), "platform", 422),
        (dict(NOTICE, illegal=True, legal_ground=None), "platform", 422),
        (dict(NOTICE, about={"item": "p", "account": "a"}), "platform", 422),
        (dict(NOTICE, about={}), "platform", 422),
        (dict(NOTICE, about={"item": "has space"}), "platform", 422),
        (dict(NOTICE, about={"item": "ünïcode-post"}), "platform", 201),  # the schema takes it: the route's
        (dict(NOTICE, platform="Not A Slug"), "platform", 422),
        (dict(NOTICE, channel="pigeon"), "platform", 422),
        (dict(NOTICE, language="de"), "platform", 422),
        (dict(NOTICE, received_at="yesterday"), "platform", 422),
        (dict(NOTICE, received_at="2999-01-01T00:00:00Z"), "platform", 422),
        (dict(NOTICE, received_at="9999-12-31T23:59:59-23:59"), "platform", 422),
        (dict(NOTICE, received_at="2024-05-01T00:00:00Z"), "platform", 422),  # backdated, but by the API
        (dict(NOTICE, platform="nowhere"), "platform", 404),
        (NOTICE, "moderator", 403),
        (NOTICE, "reviewer", 403),
        ([NOTICE], "platform", 422),
    ]
    for n, (body, role, status) in enumerate(cases):
        fast, route = both(w, body, role=role, n=n)
        assert fast == route, body
        assert fast[0] == status, (
            {k: v for k, v in body.items() if NOTICE.get(k) != v} if isinstance(body, dict) else body,
            role,
        )
    # Only the unknown platform was the fast path's: refused by the writer, as by the route.
    assert path.answered == 1
    for content, headers, status in [
        (b"{not json", w.headers["platform"], 422),
        (json.dumps(NOTICE).encode(), {}, 401),
        (json.dumps(NOTICE).encode(), {"Authorization": "Bearer rpv_nope"}, 401),
    ]:
        response = w.client.post(
            "/v1/notices", content=content, headers={"Content-Type": "application/json", **headers}
        )
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
    assert path.answered == 1


def test_a_platform_of_another_operator_is_404_from_both_paths(world: World) -> None:
    fast, route = both(world, dict(NOTICE, platform="twitter"))
    assert fast == route and fast[0] == 404
    assert fast_path(world).answered == 1
    assert count(world.db, tables.notices) == 0 and count(world.db, tables.personal_data) == 0


def test_an_idempotency_key_is_the_routes_and_a_retry_gets_the_first_answer(world: World) -> None:
    w = world
    path = fast_path(w)
    headers = {**w.headers["platform"], "Idempotency-Key": "retry-1"}
    first = w.client.post("/v1/notices", json=NOTICE, headers=headers)
    again = w.client.post("/v1/notices", json=NOTICE, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.content == again.content
    assert path.answered == 0 and count(w.db, tables.notices) == 1


def pending(platform: str, item: str, caller: Caller, **overrides: Any) -> notices.PendingNotice:
    body = {**NOTICE, "platform": platform, "about": {"item": item}, **overrides}
    return notices.PendingNotice(notices.ReceiveNotice.parse(**body), caller)


def test_a_batch_receives_its_notices_as_one_by_one_and_leaves_the_refused_alone(world: World) -> None:
    """Notices about the same item in one batch join one case; those the batch cannot receive
    (an unknown platform, another operator's) are left ``ALONE``, with nothing of them written;
    the chain verifies and a rebuild of the projections gives the same rows."""
    w = world
    db = w.db
    now = w.clock() + timedelta(seconds=1)
    meta = Caller("platform:bench", now=now, operators=("meta",))
    before = w.client.post("/v1/notices", json=dict(NOTICE, about={"item": "old"}), headers=w.headers["platform"])
    old_case = before.json()["case"]
    items = [
        pending("facebook", "p-1", meta),
        pending("facebook", "p-1", meta, language="fr"),
        pending("nowhere", "p-1", meta),
        pending("twitter", "p-1", meta),
        pending("instagram", "p-1", meta),  # the same id on another platform: another case
        pending("facebook", "old", meta),  # joins the case opened before the batch
        pending("facebook", "p-2", meta, channel="letter", received_at=now - timedelta(days=3)),
    ]
    with UnitOfWork(db, actor="platform:bench", now=now) as uow:
        answers = notices.receive_notices_within(uow, items)
    assert answers[2] is ALONE and answers[3] is ALONE
    views = [a for a in answers if a is not ALONE]
    assert [v.about.id for v in views] == ["p-1", "p-1", "p-1", "old", "p-2"]
    assert views[0].case == views[1].case != views[2].case
    assert views[3].case == old_case
    assert views[1].receipt.text.startswith("Accusé de réception")
    with db.read() as conn:
        c = tables.notice_cases.c
        cases = dict(conn.execute(select(c.id, c.notices)).all())
    assert cases[views[0].case] == 2 and cases[old_case] == 2 and len(cases) == 4
    assert count(db, tables.notices) == 6 and count(db, tables.notice_notifiers) == 6
    assert count(db, tables.personal_data) == 6 * 3
    for view in views:
        assert notices.get_notice(db, view.id, caller=meta, include_contact=True).to_json() == view.to_json()
    rows = snapshot(db)
    rebuild_projections(db)
    assert snapshot(db) == rows
    assert verify_audit_log(db).ok


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    with db.read() as conn:
        return {
            t.name: sorted((tuple(r) for r in conn.execute(select(t))), key=repr)
            for t in (tables.notice_cases, tables.notices)
        }
