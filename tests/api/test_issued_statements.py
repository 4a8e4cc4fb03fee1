"""Statements of reasons issued once per decision (issue 23 item 1, PRODUCT.md section 8): each
decision that needs one issues it in its own transaction, stored as issued and read back byte for
byte; a later decision issues another and leaves the old one. A warning, a plain lift and an
import issue none. Every test runs on both backends (the ``db`` fixture)."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from api_support import World, bearer, sanction_body
from sqlalchemy import func, select

from reprieve.domain.model import Role
from reprieve.store import tables


def _impose(w: World, account: str, **fields: Any) -> dict[str, Any]:
    created = w.client.post(
        "/v1/sanctions", headers=w.headers["moderator"], json=sanction_body("facebook", account, **fields)
    )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def _issued(w: World, sanction_id: str, role: str = "auditor") -> list[dict[str, Any]]:
    listed = w.client.get(f"/v1/sanctions/{sanction_id}/statements", headers=w.headers[role])
    assert listed.status_code == 200, listed.text
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


def _events(w: World, type_: str) -> list[dict[str, Any]]:
    items = w.client.get("/v1/events", params={"limit": 1000}, headers=w.headers["auditor"]).json()["items"]
    return [e for e in items if e["type"] == type_]


def _documents(w: World) -> int:
    with w.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.issued_documents)).scalar_one())


def test_a_creation_issues_a_statement_read_back_byte_for_byte_a_year_later(world: World) -> None:
    w = world
    sanction = _impose(w, "alice")
    (item,) = _issued(w, sanction["id"])
    assert (item["kind"], item["sanction"], item["language"], item["format_version"]) == (
        "statement",
        sanction["id"],
        "en",
        1,
    )
    path = f"/v1/statements/{item['id']}"
    first = w.client.get(path, headers=w.headers["auditor"])
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "application/json"
    assert hashlib.sha256(first.content).hexdigest() == item["sha256"]
    assert first.headers["etag"] == f'"{item["sha256"]}"'
    document = json.loads(first.content)
    assert (document["id"], document["sanction"], document["issued_at"]) == (
        item["id"],
        sanction["id"],
        item["issued_at"],
    )
    # The stored text never holds the appeal code: it is filled in when the statement is delivered.
    assert document["redress"]["internal_complaint"]["code"] is None
    page = w.client.get(path, params={"format": "html"}, headers=w.headers["auditor"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    # The page is made from the JSON as issued when first asked for, and kept as made: its ETag
    # is its SHA-256, and every later read gives the same bytes.
    assert page.headers["etag"] == f'"{hashlib.sha256(page.content).hexdigest()}"'
    by_accept = w.client.get(path, headers={**w.headers["auditor"], "Accept": "text/html,application/json;q=0.9"})
    assert by_accept.content == page.content

    # A year later, after the sanction ended and the complaint window closed: the same bytes.
    w.clock.advance(timedelta(days=366))
    later = w.client.get(path, headers=w.headers["auditor"])
    assert later.content == first.content
    assert hashlib.sha256(later.content).hexdigest() == item["sha256"]
    assert w.client.get(path, params={"format": "html"}, headers=w.headers["auditor"]).content == page.content
    # ...where the preview is rebuilt from today's knowledge and says so.
    preview = w.client.get(f"/v1/sanctions/{sanction['id']}/statement", headers=w.headers["auditor"]).json()
    assert preview["issued_at"] != document["issued_at"]

    # The event records the issue by id and hashes, never the text.
    (event,) = [e for e in _events(w, "statement.issued") if e["data"]["id"] == item["id"]]
    assert event["data"] == {
        "id": item["id"],
        "operator": "meta",
        "sanction": sanction["id"],
        "decision": item["decision"],
        "language": "en",
        "format": 1,
        "sha256": item["sha256"],
    }
    (imposed,) = [e for e in _events(w, "sanction.imposed") if e["data"]["id"] == sanction["id"]]
    assert item["decision"] == imposed["seq"] and event["at"] == imposed["at"] == item["issued_at"]


def test_an_amendment_issues_a_new_statement_and_leaves_the_old_one(world: World) -> None:
    w = world
    sanction = _impose(w, "bob")
    (old,) = _issued(w, sanction["id"])
    old_bytes = w.client.get(f"/v1/statements/{old['id']}", headers=w.headers["auditor"]).content
    w.clock.advance(timedelta(days=2))
    ends_at = (w.clock() + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    amended = w.client.post(
        f"/v1/sanctions/{sanction['id']}/amend",
        headers=w.headers["moderator"],
        json={"ends_at": ends_at, "reason": "worse"},
    )
    assert amended.status_code == 200, amended.text
    first, second = _issued(w, sanction["id"])
    assert first == old and second["id"] != old["id"] and second["issued_at"] > old["issued_at"]
    assert w.client.get(f"/v1/statements/{old['id']}", headers=w.headers["auditor"]).content == old_bytes
    new = w.client.get(f"/v1/statements/{second['id']}", headers=w.headers["auditor"]).json()
    assert new["duration"]["ends_at"] == amended.json()["ends_at"] != json.loads(old_bytes)["duration"]["ends_at"]


def test_a_change_of_the_review_date_only_issues_nothing(world: World) -> None:
    w = world
    sanction = _impose(w, "carol")
    review_at = (w.clock() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    changed = w.client.post(
        f"/v1/sanctions/{sanction['id']}/amend",
        headers=w.headers["moderator"],
        json={"review_at": review_at, "reason": "r"},
    )
    assert changed.status_code == 200, changed.text
    assert len(_issued(w, sanction["id"])) == 1


def test_a_lift_that_is_not_a_review_decision_issues_nothing(world: World) -> None:
    """PRODUCT.md section 8 lists creation, amendment of kind or term and review decision: a lift
    ends a restriction, and art. 17 asks reasons for imposing one."""
    w = world
    sanction = _impose(w, "dave")
    lifted = w.client.post(
        f"/v1/sanctions/{sanction['id']}/lift", headers=w.headers["moderator"], json={"reason": "mistake"}
    )
    assert lifted.status_code == 200, lifted.text
    assert len(_issued(w, sanction["id"])) == 1


def test_a_review_decision_issues_a_statement(world: World) -> None:
    w = world
    sanction = _impose(w, "erin")
    name = w.unique("expert-")
    expert = bearer(w.token(Role.REVIEWER, "meta", name=name)["token"])
    opened = w.client.post(
        f"/v1/sanctions/{sanction['id']}/reviews",
        headers=w.headers["moderator"],
        json={"panel": [name], "reason": "due"},
    )
    assert opened.status_code == 201, opened.text
    path = f"/v1/reviews/{opened.json()['id']}"
    assess = {"risk": "low", "factors": [], "rationale": "Calm."}
    assert w.client.post(f"{path}/assessments", headers=expert, json=assess).status_code == 201
    decided = w.client.post(f"{path}/decision", headers=expert, json={"outcome": "lift", "rationale": "Calm."})
    assert decided.status_code == 200, decided.text
    creation, review = _issued(w, sanction["id"])
    (event,) = _events(w, "review.decided")
    assert review["decision"] == event["seq"] != creation["decision"]
    document = w.client.get(f"/v1/statements/{review['id']}", headers=w.headers["auditor"]).json()
    assert document["duration"]["lifted_at"] is not None


def test_a_warning_issues_nothing(world: World) -> None:
    w = world
    body = sanction_body("frank", "frank", kind="warning")
    del body["duration"]
    body["subject"]["platform"] = "facebook"
    created = w.client.post("/v1/sanctions", headers=w.headers["moderator"], json=body)
    assert created.status_code == 201, created.text
    warning = created.json()
    assert _issued(w, warning["id"]) == []


def test_an_import_issues_nothing(world: World) -> None:
    w = world
    before = _documents(w)
    row = {
        **sanction_body("facebook", "gina", starts_at="2023-03-01T09:00:00Z"),
        "informed_at": "2023-03-01T09:05:00Z",
        "statement": {"reference": "tdb:example-0001", "issued_at": "2023-03-01T09:00:00Z"},
    }
    done = w.client.post("/v1/imports", headers=w.headers["platform"], json={"sanctions": [row]})
    assert done.status_code == 201, done.text
    assert _documents(w) == before
    assert _events(w, "statement.issued") == []


def test_another_operators_statement_does_not_exist(world: World) -> None:
    w = world
    sanction = _impose(w, "hana")
    (item,) = _issued(w, sanction["id"])
    for path in (f"/v1/statements/{item['id']}", f"/v1/sanctions/{sanction['id']}/statements"):
        answer = w.client.get(path, headers=w.headers["x-admin"])
        assert answer.status_code == 404, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
    missing = w.client.get("/v1/statements/stm_nothing", headers=w.headers["auditor"])
    assert missing.status_code == 404
    bad = w.client.get(f"/v1/statements/{item['id']}", params={"format": "pdf"}, headers=w.headers["auditor"])
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")


def test_a_failed_decision_issues_nothing(world: World) -> None:
    w = world
    before = _documents(w)
    refused = w.client.post(
        "/v1/sanctions", headers=w.headers["moderator"], json=sanction_body("facebook", "ivan", duration="nonsense")
    )
    assert refused.status_code == 422
    assert _documents(w) == before
