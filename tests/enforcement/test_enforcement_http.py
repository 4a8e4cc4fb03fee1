"""``POST /v1/checks`` through its fast path answers exactly as the route over the database does:
the same status, content type and body, for good requests and for every kind of bad one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from enforcement_history import History
from fastapi import FastAPI
from starlette.testclient import TestClient

from reprieve.api.app import create_app
from reprieve.api.enforcement import attach_index
from reprieve.api.fast.checks import FastChecks
from reprieve.domain.model import Role
from reprieve.domain.time import format_instant
from reprieve.services.callers import Caller
from reprieve.services.tokens import CreateToken, create_token, revoke_token
from reprieve.store.db import Database


def fast_checks(app: FastAPI) -> FastChecks:
    layer: Any = app.middleware_stack
    while not isinstance(layer, FastChecks):
        layer = layer.app
    return layer


class Pair:
    """The app as served (fast path, in-memory index) and the route alone over the database."""

    def __init__(self, db: Database, now: datetime) -> None:
        self.fast_app = attach_index(create_app(db, clock=lambda: now), db)
        slow_app = create_app(db, clock=lambda: now)
        slow_app.user_middleware = [m for m in slow_app.user_middleware if m.cls is not FastChecks]  # type: ignore[comparison-overlap]
        self.fast = TestClient(self.fast_app)
        self.slow = TestClient(slow_app)

    def answered(self) -> int:
        return fast_checks(self.fast_app).answered

    def same(self, headers: dict[str, str], body: Any = None, content: bytes | None = None) -> dict[str, Any]:
        """Send the request to both; assert the same answer; return it."""
        if content is None:
            content = orjson.dumps(body)
            headers = {"Content-Type": "application/json", **headers}
        answers = [c.post("/v1/checks", content=content, headers=headers) for c in (self.fast, self.slow)]
        fast, slow = answers
        assert fast.status_code == slow.status_code, (fast.text, slow.text)
        assert fast.headers["content-type"] == slow.headers["content-type"]
        if fast.status_code == 200:
            assert fast.content == slow.content
        answer: dict[str, Any] = {"status": fast.status_code, **fast.json()}
        # A problem names its own request (when the app gives ids); the rest is the same.
        assert {**answer, "request_id": None} == {"status": slow.status_code, **slow.json(), "request_id": None}
        return answer


Setting = tuple[Pair, History, dict[str, dict[str, str]]]


@pytest.fixture
def setting(db: Database, history: Callable[[int], History]) -> Iterator[Setting]:
    h = history(11)
    for _ in range(60):
        h.step()
    headers: dict[str, dict[str, str]] = {}
    for name, role, operator in (
        ("admin", Role.INSTANCE_ADMIN.value, None),
        ("meta", "platform", "meta"),
        ("x", "auditor", "x"),
    ):
        token = create_token(
            db, CreateToken.parse(name=name, role=role, operator=operator), caller=Caller("t", now=h.now)
        )
        headers[name] = {"Authorization": f"Bearer {token.secret}"}
    pair = Pair(db, h.now)
    with pair.fast, pair.slow:
        yield pair, h, headers


def every_check(h: History, platforms: set[str]) -> list[dict[str, str]]:
    return [
        {"platform": r.platform, "account": r.account, "capability": c}
        for r in sorted(set(h.accounts), key=str)
        if r.platform in platforms
        for c in h.capabilities[r.platform]
    ] + [{"platform": "facebook", "account": "nobody", "capability": "post"}] * ("facebook" in platforms)


def test_good_batches_are_answered_by_the_fast_path_as_the_route_answers(
    setting: Setting,
) -> None:
    pair, h, headers = setting
    meta = every_check(h, {"facebook", "instagram"})
    everything = every_check(h, set(h.capabilities))
    later = [format_instant(h.now + timedelta(days=d, seconds=s)) for d, s in ((0, 1), (3, 7), (40, 0), (400, 0))]
    before = pair.answered()
    sent = 0
    for who, checks in (("meta", meta), ("admin", everything), ("x", every_check(h, {"twitter"}))):
        for at in (None, *later):
            answer = pair.same(headers[who], {"checks": checks} if at is None else {"checks": checks, "at": at})
            assert answer["status"] == 200 and len(answer["results"]) == len(checks)
            sent += 1
    denied = pair.same(headers["admin"], {"checks": everything})["results"]
    assert any(not r["allowed"] for r in denied) and any(r["allowed"] for r in denied)
    # Before the index's horizon the fast path asks the database, as the route does.
    past = pair.same(headers["meta"], {"at": format_instant(h.now - timedelta(days=30)), "checks": meta})
    assert past["status"] == 200
    assert pair.same(headers["meta"], {"checks": []})["results"] == []
    assert pair.answered() == before + sent + 3


def test_what_the_fast_path_is_unsure_of_gets_the_routes_answer(
    setting: Setting,
) -> None:
    pair, _h, headers = setting
    meta = headers["meta"]

    def check(**fields: Any) -> dict[str, Any]:
        return {"checks": [{"platform": "facebook", "account": "user1", "capability": "post", **fields}]}

    before = pair.answered()
    refused = [
        check(extra="x"),
        check(account=""),
        check(account="a b"),
        check(account="/a"),
        check(account="a" * 201),
        check(account="a\tb"),
        check(account="a\x00b"),
        check(account=7),
        check(platform="Facebook"),
        check(capability=""),
        check(platform=None),
        {"checks": [{"platform": "facebook", "account": "a"}]},
        {"checks": ["x"]},
        {"checks": {}},
        {},
        [],
        {"checks": [], "extra": 1},
        {"checks": [], "at": "yesterday"},
        {"checks": [], "at": ""},
        {"checks": [], "at": "2024-01-01T00:00:00"},
        {"checks": [], "at": 5},
        {"checks": [check()["checks"][0]] * 10_001},
    ]
    for body in refused:
        assert pair.same(meta, body)["status"] == 422, body
    # Accepted by the route's schema: the unusual ones, and one the fast path is unsure of
    # (Python's \s holds the information separator \x1c, pydantic's does not).
    for body in (
        check(account="a\u200bb"),
        check(account="ü" * 200),
        {"at": None, "checks": []},
        check(account="a\x1cb"),
    ):
        assert pair.same(meta, body)["status"] == 200, body
    for content, content_type in ((b"{", "application/json"), (b'{"checks": []}', "text/plain")):
        pair.same({"Content-Type": content_type, **meta}, content=content)
    assert pair.same({}, {"checks": []})["status"] == 401
    assert pair.same({"Authorization": "Basic abc"}, {"checks": []})["status"] == 401
    assert pair.same({"Authorization": "Bearer rpv_nope"}, {"checks": []})["status"] == 401
    assert pair.answered() == before + 3  # the valid bodies but the last


def test_rows_that_cannot_be_answered_get_their_error_in_place_on_both_paths(setting: Setting) -> None:
    """An unknown platform, another operator's platform, a capability the platform lacks: that
    row answers ``{error: {type, detail}}``, the others are decided, fast path and route alike."""
    pair, h, headers = setting
    good = every_check(h, {"facebook", "instagram"})[:40]
    bad = [
        {"platform": "nowhere", "account": "a", "capability": "post"},
        {"platform": "twitter", "account": "a", "capability": "post"},  # x's: unknown to meta
        {"platform": "facebook", "account": "a", "capability": "teleport"},
        {"platform": "instagram", "account": "a", "capability": "comment"},  # facebook's, not instagram's
    ]
    mixed = [*good[:10], bad[0], *good[10:20], *bad[1:3], *good[20:], bad[3], bad[0]]
    before = pair.answered()
    alone = pair.same(headers["meta"], {"checks": good})["results"]
    answer = pair.same(headers["meta"], {"checks": mixed})
    assert answer["status"] == 200 and len(answer["results"]) == len(mixed)
    decided = [r for r in answer["results"] if "error" not in r]
    assert decided == alone  # the others are decided as they are without the bad rows
    errors = [r for r in answer["results"] if "error" in r]
    assert [{k: r[k] for k in ("platform", "account", "capability")} for r in errors] == [*bad, bad[0]]
    base = "https://reprieve.dev/problems/"
    assert [r["error"] for r in errors] == [
        {"type": base + "not-found", "detail": "no platform 'nowhere'"},
        {"type": base + "not-found", "detail": "no platform 'twitter'"},
        {"type": base + "validation", "detail": "capability: 'teleport' is not a capability of platform 'facebook'"},
        {"type": base + "validation", "detail": "capability: 'comment' is not a capability of platform 'instagram'"},
        {"type": base + "not-found", "detail": "no platform 'nowhere'"},
    ]
    assert all(set(r) == {"platform", "account", "capability", "error"} for r in errors)
    # The instance admin sees twitter: its row is decided; a capability twitter lacks is not.
    admin = pair.same(headers["admin"], {"checks": [bad[1], {**bad[1], "capability": "live"}]})["results"]
    assert "error" not in admin[0] and admin[1]["error"]["type"] == base + "validation"
    # The fast path answered what the index could (the capability rows, and the admin's batch),
    # and handed the batches naming a platform it does not know to the route, which asks the database.
    assert pair.answered() == before + 2
    only_capabilities = pair.same(headers["meta"], {"checks": [good[0], bad[2]]})
    assert only_capabilities["results"][1]["error"]["type"] == base + "validation"
    assert pair.answered() == before + 3


def test_a_revoked_token_and_an_idempotency_key_go_through_the_route(
    db: Database,
    setting: Setting,
) -> None:
    pair, h, headers = setting
    token = create_token(
        db, CreateToken.parse(name="soon-revoked", role="platform", operator="meta"), caller=Caller("t", now=h.now)
    )
    auth = {"Authorization": f"Bearer {token.secret}"}
    assert pair.same(auth, {"checks": []})["status"] == 200
    revoke_token(db, token.id, caller=Caller("t", now=h.now))
    before = pair.answered()
    assert pair.same(auth, {"checks": []})["status"] == 401
    body = {"checks": [{"platform": "facebook", "account": "user1", "capability": "post"}]}
    first = pair.fast.post("/v1/checks", json=body, headers={"Idempotency-Key": "k1", **headers["meta"]})
    again = pair.fast.post("/v1/checks", json=body, headers={"Idempotency-Key": "k1", **headers["meta"]})
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers["idempotent-replayed"] == "true" and again.content == first.content
    assert pair.answered() == before
