"""Reviews of content decisions over HTTP (issue 25 item 3): opened on a content decision by
``POST /v1/content-decisions/{id}/reviews`` or ``POST /v1/reviews`` (exactly one of sanction and
content_decision), assessed by the panel, decided; lift restores the item, extend and reduce set
its new end, uphold keeps it; terminate, a probation and a next review are refused (422), and the
events name the content decision. Every test runs on both backends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from api_support import World, bearer, reason
from sqlalchemy import select

from reprieve.domain.model import Role
from reprieve.domain.time import format_instant
from reprieve.store import tables

PROBLEM = "https://reprieve.dev/problems/"


def problem(response: Any, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    assert response.json()["type"] == PROBLEM + kind
    return str(response.json()["detail"])


def decide(w: World, item_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "item": {
            "platform": "facebook",
            "item": item_id,
            "account": "author-1",
            "content_type": ["CONTENT_TYPE_TEXT"],
            "content_date": "2024-05-30",
        },
        "kind": "removal",
        "reason": reason(),
    }
    body.update(overrides)
    answer = w.client.post("/v1/content-decisions", headers=w.headers["moderator"], json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def open_assessed(w: World, decision_id: str) -> dict[str, Any]:
    """A review of ``decision_id`` with a panel of one, who has assessed it."""
    opened = w.client.post(
        "/v1/reviews",
        headers=w.headers["moderator"],
        json={"content_decision": decision_id, "panel": ["expert-1"], "reason": "Was the removal right?"},
    )
    assert opened.status_code == 201, opened.text
    review = opened.json()
    expert = bearer(w.token(Role.REVIEWER, "meta", name="expert-1")["token"])
    assessed = w.client.post(
        f"/v1/reviews/{review['id']}/assessments",
        headers=expert,
        json={"risk": "low", "factors": [], "rationale": "Satire, not a threat."},
    )
    assert assessed.status_code == 201, assessed.text
    return dict(assessed.json())


def decide_review(w: World, review_id: str, **body: Any) -> Any:
    return w.client.post(
        f"/v1/reviews/{review_id}/decision",
        headers=w.headers["moderator"],
        json={"rationale": "The panel has spoken.", **body},
    )


def test_a_review_of_a_content_decision_that_lifts_it_restores_the_item(world: World) -> None:
    w = world
    decision = decide(w, "post-1")
    opened = w.client.post(
        f"/v1/content-decisions/{decision['id']}/reviews",
        headers=w.headers["moderator"],
        json={"panel": ["expert-1", "expert-2"], "reason": "Escalated by the quality team."},
    )
    assert opened.status_code == 201, opened.text
    review = opened.json()
    assert (review["sanction"], review["content_decision"], review["item"]) == (None, decision["id"], "post-1")
    assert review["subject"] == {"platform": "facebook", "account": "author-1"}
    assert (review["state"], review["quorum"], review["due_at"]) == ("open", 2, None)
    problem(
        w.client.post(
            f"/v1/content-decisions/{decision['id']}/reviews",
            headers=w.headers["moderator"],
            json={"panel": ["expert-3"], "reason": "again"},
        ),
        409,
        "conflict",
    )
    listed = w.client.get("/v1/reviews", params={"content_decision": decision["id"]}, headers=w.headers["auditor"])
    assert [r["id"] for r in listed.json()["items"]] == [review["id"]]
    for name in ("expert-1", "expert-2"):
        expert = bearer(w.token(Role.REVIEWER, "meta", name=name)["token"])
        filed = w.client.post(
            f"/v1/reviews/{review['id']}/assessments",
            headers=expert,
            json={"risk": "none", "factors": ["public_interest"], "rationale": "News reporting."},
        )
        assert filed.status_code == 201, filed.text
    w.clock.advance(timedelta(hours=1))  # in force an hour: restored, not cancelled at its start
    statements_url = f"/v1/content-decisions/{decision['id']}/statements"
    assert len(w.client.get(statements_url, headers=w.headers["auditor"]).json()["items"]) == 1
    decided = decide_review(w, review["id"], outcome="lift")
    assert decided.status_code == 200, decided.text
    # The restoration, a review's decision, issues its statement saying why (issue 25).
    _own, restoration = w.client.get(statements_url, headers=w.headers["auditor"]).json()["items"]
    stated = w.client.get(f"/v1/statements/{restoration['id']}", headers=w.headers["auditor"]).json()
    assert (stated["content_decision"], stated["decided"]["type"], stated["decided"]["lifts"]) == (
        decision["id"],
        "restored",
        True,
    )
    assert stated["decided"]["why"] == f"Review {review['id']} decided to lift: The panel has spoken."
    assert (decided.json()["state"], decided.json()["outcome"]) == ("decided", "lift")
    after = w.client.get(f"/v1/content-decisions/{decision['id']}", headers=w.headers["auditor"]).json()
    assert after["state"] == "restored"
    visible = w.client.get("/v1/platforms/facebook/items/post-1/visibility", headers=w.headers["auditor"]).json()
    assert visible["visible"] is True
    events = w.client.get("/v1/events", params={"limit": 1000}, headers=w.headers["auditor"]).json()["items"]
    by_type = {e["type"]: e for e in events}
    assert by_type["review.opened"]["data"]["content_decision"] == decision["id"]
    assert "sanction" not in by_type["review.opened"]["data"]
    assert by_type["assessment.filed"]["data"]["content_decision"] == decision["id"]
    assert by_type["review.decided"]["data"]["content_decision"] == decision["id"]
    assert by_type["content.restored"]["data"]["review"] == review["id"]
    assert by_type["review.decided"]["seq"] < by_type["content.restored"]["seq"]
    assert by_type["statement.issued"]["data"] == by_type["statement.issued"]["data"] | {
        "id": restoration["id"],
        "content_decision": decision["id"],
        "decision": by_type["content.restored"]["seq"],
    }


def test_extend_reduce_and_uphold_act_on_the_content_decision(world: World) -> None:
    w = world
    now = w.clock().replace(microsecond=0)
    ends, later, sooner = (format_instant(now + timedelta(days=d)) for d in (30, 60, 10))
    extended = decide(w, "post-x", ends_at=ends)
    review = open_assessed(w, extended["id"])
    problem(decide_review(w, review["id"], outcome="extend", ends_at=sooner), 422, "validation")
    answer = decide_review(w, review["id"], outcome="extend", ends_at=later)
    assert answer.status_code == 200, answer.text
    now_ = w.client.get(f"/v1/content-decisions/{extended['id']}", headers=w.headers["auditor"]).json()
    assert (now_["state"], now_["ends_at"], now_["changes"][-1]["type"]) == ("active", later, "amended")

    reduced = decide(w, "post-r", ends_at=ends)
    review = open_assessed(w, reduced["id"])
    assert decide_review(w, review["id"], outcome="reduce", ends_at=sooner).status_code == 200
    assert (
        w.client.get(f"/v1/content-decisions/{reduced['id']}", headers=w.headers["auditor"]).json()["ends_at"] == sooner
    )

    upheld = decide(w, "post-u")
    review = open_assessed(w, upheld["id"])
    before = w.client.get(f"/v1/content-decisions/{upheld['id']}", headers=w.headers["auditor"]).json()
    assert decide_review(w, review["id"], outcome="uphold").status_code == 200
    after = w.client.get(f"/v1/content-decisions/{upheld['id']}", headers=w.headers["auditor"]).json()
    assert (after["state"], after["version"], after["ends_at"]) == ("active", before["version"], None)


def test_what_a_content_review_cannot_decide_is_a_422_and_writes_nothing(world: World) -> None:
    w = world
    decision = decide(w, "post-bad")
    review = open_assessed(w, decision["id"])
    with w.db.read() as conn:
        before = len(conn.execute(select(tables.events.c.seq)).all())
    for body in (
        {"outcome": "terminate"},
        {"outcome": "lift", "probation": {"duration": "P1Y"}},
        {"outcome": "uphold", "next_review_at": "2099-01-01T00:00:00Z"},
        {"outcome": "extend"},
        {"outcome": "extend", "ends_at": "2099-01-01T00:00:00Z"},  # indefinite: nothing to extend
        {"outcome": "uphold", "ends_at": "2099-01-01T00:00:00Z"},
        {"outcome": "forgive"},
    ):
        problem(decide_review(w, review["id"], **body), 422, "validation")
    with w.db.read() as conn:
        assert len(conn.execute(select(tables.events.c.seq)).all()) == before
    assert w.client.get(f"/v1/reviews/{review['id']}", headers=w.headers["auditor"]).json()["state"] == "open"


def test_opening_a_review_names_exactly_one_thing_that_is_active(world: World) -> None:
    w, h = world, world.headers["moderator"]
    decision = decide(w, "post-open")
    panel = {"panel": ["expert-1"], "reason": "r"}
    problem(w.client.post("/v1/reviews", headers=h, json=panel), 422, "validation")
    both = {**panel, "sanction": "snc_x", "content_decision": decision["id"]}
    problem(w.client.post("/v1/reviews", headers=h, json=both), 422, "validation")
    problem(w.client.post("/v1/reviews", headers=h, json={**panel, "content_decision": "cd_nope"}), 404, "not-found")
    problem(
        w.client.post("/v1/reviews", headers=w.headers["reviewer"], json={**panel, "content_decision": decision["id"]}),
        403,
        "forbidden",
    )
    restored = w.client.post(
        f"/v1/content-decisions/{decision['id']}/restore", headers=h, json={"reason": "Posted in error."}
    )
    assert restored.status_code == 200, restored.text
    problem(
        w.client.post("/v1/reviews", headers=h, json={**panel, "content_decision": decision["id"]}), 409, "conflict"
    )
    live = decide(w, "post-tenant")
    problem(
        w.client.post(f"/v1/content-decisions/{live['id']}/reviews", headers=w.headers["x-moderator"], json=panel),
        404,
        "not-found",
    )
