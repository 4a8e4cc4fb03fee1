"""Access to personal data is logged (issue 21, item 5): a moderator's read of one appeal shows
the requester's e-mail and is recorded, outside the chain; lists and write answers never show
it; the operator's admin reads the log; old rows are pruned."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from api_support import World, bearer
from fastapi.testclient import TestClient
from sqlalchemy import select

from reprieve.api.app import create_app
from reprieve.domain.model import Role
from reprieve.store import tables

EMAIL = "jane.access@example.com"
NAME = "Jane Access"


def file(w: World, operator: str = "meta") -> dict[str, Any]:
    sanction = w.sanction(operator, duration="P1Y")
    body = {
        "sanction": sanction["id"],
        "kind": "complaint",
        "channel": "web",
        "statement": "I did nothing wrong.",
        "filed_by": {"name": NAME, "email": EMAIL, "relation": "subject"},
    }
    filed = w.client.post(
        "/v1/appeals", headers=w.headers["platform" if operator == "meta" else "x-moderator"], json=body
    )
    assert filed.status_code == 201, filed.text
    return dict(filed.json())


def accesses(w: World) -> list[dict[str, Any]]:
    with w.db.read() as conn:
        return [dict(r) for r in conn.execute(select(tables.personal_data_access)).mappings()]


def test_a_moderators_read_of_one_appeal_shows_the_email_and_is_recorded_by_token_id(world: World) -> None:
    w = world
    appeal = file(w)
    moderator = w.token(Role.MODERATOR)
    assert accesses(w) == []  # filing shows nothing of the stored data

    for role in ("auditor", "reviewer", "platform"):
        seen = w.client.get(f"/v1/appeals/{appeal['id']}", headers=w.headers[role])
        assert seen.status_code == 200 and EMAIL not in seen.text and NAME not in seen.text
    listed = w.client.get("/v1/appeals", headers=bearer(moderator["token"])).json()["items"]
    assert [a["filed_by"] for a in listed] == [{"relation": "subject", "name": NAME, "email": None}]
    assert accesses(w) == []  # the lists never carry the e-mail: nothing to record

    shown = w.client.get(f"/v1/appeals/{appeal['id']}", headers=bearer(moderator["token"]))
    assert shown.status_code == 200 and shown.json()["filed_by"]["email"] == EMAIL
    rows = accesses(w)
    with w.db.read() as conn:
        requester = conn.execute(select(tables.appeals.c.requester)).scalar()
    assert [(r["actor"], r["via"], r["appeal_id"], r["subject"], r["fields"], r["operator_id"]) for r in rows] == [
        (f"token:{moderator['id']}", "api", appeal["id"], requester, "email", "meta")
    ]
    assert EMAIL not in json.dumps(rows, default=str) and NAME not in json.dumps(rows, default=str)

    decided = w.client.post(
        f"/v1/appeals/{appeal['id']}/decision",
        headers=bearer(moderator["token"]),
        json={"outcome": "denied", "rationale": "The rule was broken.", "reply": "We keep it."},
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["filed_by"] == {"relation": "subject", "name": NAME, "email": None}
    assert len(accesses(w)) == 1  # a write's answer does not show it either


def test_the_operators_admin_reads_the_access_log_and_no_one_else(world: World) -> None:
    w = world
    mine, theirs = file(w), file(w, "x")
    moderator = w.token(Role.MODERATOR)
    assert w.client.get(f"/v1/appeals/{mine['id']}", headers=bearer(moderator["token"])).status_code == 200
    assert w.client.get(f"/v1/appeals/{theirs['id']}", headers=w.headers["x-moderator"]).status_code == 200

    log = w.client.get("/v1/personal-access", headers=w.headers["admin"])
    assert log.status_code == 200, log.text
    assert [(e["actor"], e["appeal"], e["fields"], e["via"]) for e in log.json()["items"]] == [
        (f"token:{moderator['id']}", mine["id"], ["email"], "api")
    ]
    assert [e["appeal"] for e in w.client.get("/v1/personal-access", headers=w.headers["x-admin"]).json()["items"]] == [
        theirs["id"]
    ]
    everyone = w.client.get("/v1/personal-access", headers=w.headers["instance-admin"]).json()["items"]
    assert {e["appeal"] for e in everyone} == {mine["id"], theirs["id"]}
    one = w.client.get(
        "/v1/personal-access", params={"appeal": mine["id"], "operator": "meta"}, headers=w.headers["instance-admin"]
    )
    assert [e["appeal"] for e in one.json()["items"]] == [mine["id"]]
    for role in ("moderator", "auditor", "reviewer", "platform"):
        assert w.client.get("/v1/personal-access", headers=w.headers[role]).status_code == 403
    assert w.client.get("/v1/personal-access", params={"operator": "x"}, headers=w.headers["admin"]).status_code == 404
    bad = w.client.get("/v1/personal-access", params={"since": "yesterday"}, headers=w.headers["admin"])
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")


def test_rows_older_than_the_retention_are_deleted_as_new_ones_are_written(world: World) -> None:
    w = world
    client = TestClient(create_app(w.db, clock=w.clock, access_log_days=30))
    first, second = file(w), file(w)
    moderator = w.headers["moderator"]
    assert client.get(f"/v1/appeals/{first['id']}", headers=moderator).status_code == 200
    w.clock.advance(timedelta(days=31))
    assert client.get(f"/v1/appeals/{second['id']}", headers=moderator).status_code == 200
    assert [r["appeal_id"] for r in accesses(w)] == [second["id"]]


def test_a_page_of_appeals_reads_as_each_appeal_does_disputes_and_texts_included(world: World) -> None:
    """The list reads the disputes and the personal texts of a whole page at once: each item is
    the appeal as its own read shows it."""
    w = world
    appeals = [file(w) for _ in range(3)]
    for i, appeal in enumerate(appeals[:2]):
        decided = w.client.post(
            f"/v1/appeals/{appeal['id']}/decision",
            headers=w.headers["moderator"],
            json={"outcome": "denied", "rationale": "Broken rule.", "reply": f"Reply {i}."},
        )
        assert decided.status_code == 200, decided.text
        w.clock.advance(timedelta(hours=1))
        for n in range(i + 1):
            recorded = w.client.post(
                f"/v1/appeals/{appeal['id']}/disputes",
                headers=w.headers["moderator"],
                json={"body": f"Body {i}.{n}", "submitted_at": w.clock().isoformat(), "summary": f"Summary {n}"},
            )
            assert recorded.status_code == 201, recorded.text
    listed = w.client.get("/v1/appeals", params={"limit": 2}, headers=w.headers["auditor"]).json()
    rest = w.client.get(
        "/v1/appeals", params={"limit": 2, "cursor": listed["next_cursor"]}, headers=w.headers["auditor"]
    ).json()
    items = listed["items"] + rest["items"]
    assert sorted(a["id"] for a in items) == sorted(a["id"] for a in appeals)
    assert sum(len(a["disputes"]) for a in items) == 3
    for item in items:
        assert item == w.client.get(f"/v1/appeals/{item['id']}", headers=w.headers["auditor"]).json()
