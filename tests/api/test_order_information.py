"""A decision giving effect to an authority's order (DSA art. 9) issues no statement of reasons
(art. 17(5)) but the art. 9(5) information, into the same store of issued documents (issue 23 item
4); the order is recorded on the sanction and shown with it. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
from api_support import World, sanction_body
from sqlalchemy import func, select

from reprieve.domain.time import format_instant
from reprieve.services.audit import verify_audit_log
from reprieve.store import tables

ORDER = {"authority": "Arcom", "member_state": "FR", "reference": "2026/118-AB", "received_at": "2024-05-31T09:00:00Z"}


def _events(w: World, type_: str) -> list[dict[str, Any]]:
    items = w.client.get("/v1/events", params={"limit": 1000}, headers=w.headers["auditor"]).json()["items"]
    return [e for e in items if e["type"] == type_]


def _count(w: World, table: Any) -> int:
    with w.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_an_order_issues_its_information_and_no_statement(world: World) -> None:
    w = world
    order = {**ORDER, "received_at": format_instant(w.clock() - timedelta(hours=2)), "territorial_scope": ["FR", "be"]}
    created = w.client.post(
        "/v1/sanctions", headers=w.headers["moderator"], json=sanction_body("facebook", "ordered", order=order)
    )
    assert created.status_code == 201, created.text
    sanction = created.json()
    assert sanction["order"] == {**order, "territorial_scope": ["FR", "BE"]}
    shown = w.client.get(f"/v1/sanctions/{sanction['id']}", headers=w.headers["auditor"]).json()
    assert shown["order"] == sanction["order"]

    assert _events(w, "statement.issued") == []
    (event,) = _events(w, "order_information.issued")
    (imposed,) = _events(w, "sanction.imposed")
    assert imposed["data"]["order"] == sanction["order"]  # the event carries it (no personal data)
    listed = w.client.get(f"/v1/sanctions/{sanction['id']}/statements", headers=w.headers["auditor"]).json()
    (item,) = listed["items"]
    assert (item["kind"], item["decision"], item["id"]) == ("order_information", imposed["seq"], event["data"]["id"])

    fetched = w.client.get(f"/v1/statements/{item['id']}", headers=w.headers["auditor"])
    assert fetched.status_code == 200, fetched.text
    assert hashlib.sha256(fetched.content).hexdigest() == item["sha256"] == event["data"]["sha256"]
    document = json.loads(fetched.content)
    assert document["kind"] == "order_information" and document["legal_basis"] == ["DSA art. 9(5)", "DSA art. 17(5)"]
    assert document["order"] == sanction["order"]
    assert document["effect"]["kind"] == "suspension" and document["territorial_scope"]["member_states"] == ["FR", "BE"]
    assert "courts of the Member State" in document["redress"]
    page = w.client.get(f"/v1/statements/{item['id']}", params={"format": "html"}, headers=w.headers["auditor"])
    assert page.status_code == 200 and hashlib.sha256(page.content).hexdigest() == page.headers["etag"].strip('"')
    assert "Arcom (FR)" in page.text and "2026/118-AB" in page.text
    w.clock.advance(timedelta(days=365))
    assert w.client.get(f"/v1/statements/{item['id']}", headers=w.headers["auditor"]).content == fetched.content
    assert verify_audit_log(w.db).ok

    # Erased with its person, like a statement: the text goes, the SHA-256 stays.
    erased = w.client.post(
        "/v1/people/erase", headers=w.headers["admin"], json={"operator": "meta", "account": "facebook/ordered"}
    )
    assert erased.status_code == 200, erased.text
    assert [(e["what"], e["ref"]) for e in erased.json()["erased"]] == [("issued.order_information", item["id"])]
    gone = w.client.get(f"/v1/statements/{item['id']}", headers=w.headers["auditor"])
    assert gone.status_code == 410 and gone.json()["sha256"] == item["sha256"]


def test_an_order_on_a_warning_still_gives_the_information(world: World) -> None:
    w = world
    body = sanction_body("facebook", "warned-by-order", kind="warning", order=ORDER)
    del body["duration"]
    created = w.client.post("/v1/sanctions", headers=w.headers["moderator"], json=body)
    assert created.status_code == 201, created.text
    listed = w.client.get(f"/v1/sanctions/{created.json()['id']}/statements", headers=w.headers["auditor"]).json()
    assert [i["kind"] for i in listed["items"]] == ["order_information"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"member_state": "US"}, "member_state"),
        ({"member_state": "fra"}, "member_state"),
        ({"authority": "Arcom\nJane Doe"}, "authority"),
        ({"authority": ""}, "authority"),
        ({"authority": "A" * 121}, "authority"),
        ({"reference": "R" * 101}, "reference"),
        ({"reference": "<script>"}, "reference"),
        ({"received_at": "2999-01-01T00:00:00Z"}, "received_at"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"territorial_scope": ["XX"]}, "territorial_scope"),
        ({"name": "Jane Doe"}, "name"),
    ],
)
def test_a_bad_order_is_refused_and_changes_nothing(world: World, change: dict[str, Any], field: str) -> None:
    w = world
    before = (_count(w, tables.events), _count(w, tables.issued_documents))
    body = sanction_body("facebook", "refused-order", order={**ORDER, **change})
    refused = w.client.post("/v1/sanctions", headers=w.headers["moderator"], json=body)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert field in refused.text
    assert (_count(w, tables.events), _count(w, tables.issued_documents)) == before


def test_a_decision_giving_effect_to_an_order_is_not_exported_to_the_transparency_database(world: World) -> None:
    """Art. 17(5): no statement of reasons, so nothing for the database of art. 24(5); the
    decision beside it, taken on the platform's own initiative, is exported."""
    w = world
    ordered = w.client.post(
        "/v1/sanctions", headers=w.headers["moderator"], json=sanction_body("facebook", "by-order", order=ORDER)
    ).json()
    own = w.client.post(
        "/v1/sanctions", headers=w.headers["moderator"], json=sanction_body("facebook", "own-initiative")
    ).json()
    exported = w.client.get("/v1/transparency/statements", headers=w.headers["auditor"])
    assert exported.status_code == 200, exported.text
    answer = exported.json()
    # Exported or refused by the local validator (this reason lacks the database's content
    # fields): either way the decision on the platform's own initiative is there, the ordered one not.
    puids = [s["puid"] for s in answer["statements"]] + [s["puid"] for s in answer["invalid"]]
    assert own["id"] in puids and ordered["id"] not in puids
