"""Issued documents are erasable with their person, and their SHA-256 survives erasure (issue 23,
must hold): ``POST /v1/people/erase`` blanks the texts of the statements issued about the sanctions
on the person's account, lists them in ``erased``, and ``GET /v1/statements/{id}`` then answers 410
with the SHA-256 kept; the log stays verifiable and a rebuild changes nothing. On SQLite and
PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from api_support import World, sanction_body
from sqlalchemy import select
from test_erasure import erase, projections

from content_support import item as content_item
from reprieve.services.audit import rebuild_projections, verify_audit_log
from reprieve.store import tables


def _impose(w: World, account: str) -> dict[str, Any]:
    created = w.client.post("/v1/sanctions", headers=w.headers["moderator"], json=sanction_body("facebook", account))
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def _issued(w: World, sanction_id: str) -> list[dict[str, Any]]:
    listed = w.client.get(f"/v1/sanctions/{sanction_id}/statements", headers=w.headers["auditor"])
    assert listed.status_code == 200, listed.text
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


def test_an_erasure_blanks_the_persons_statements_and_keeps_their_sha256(world: World) -> None:
    w = world
    first = _impose(w, "kim")
    amended = w.client.post(
        f"/v1/sanctions/{first['id']}/amend",
        headers=w.headers["moderator"],
        json={"ends_at": "2031-01-01T00:00:00Z", "reason": "Extended after a second offence"},
    )
    assert amended.status_code == 200, amended.text
    other = _impose(w, "lee")  # someone else's: untouched
    mine = _issued(w, first["id"])
    assert len(mine) == 2
    (theirs,) = _issued(w, other["id"])
    texts = {
        item["id"]: w.client.get(f"/v1/statements/{item['id']}", headers=w.headers["auditor"]).content for item in mine
    }
    # The first one's page was made (and kept) before the erasure; the second's never was.
    made = w.client.get(f"/v1/statements/{mine[0]['id']}", params={"format": "html"}, headers=w.headers["auditor"])
    assert made.status_code == 200, made.text
    page_sha256 = made.headers["etag"].strip('"')
    assert hashlib.sha256(made.content).hexdigest() == page_sha256
    before = projections(w.db)

    erased = erase(w, account="facebook/kim")
    assert erased.status_code == 200, erased.text
    answer = erased.json()
    assert sorted((e["what"], e["ref"]) for e in answer["erased"]) == sorted(
        ("issued.statement", item["id"]) for item in mine
    )

    for index, item in enumerate(mine):
        for params in ({}, {"format": "html"}):
            gone = w.client.get(f"/v1/statements/{item['id']}", params=params, headers=w.headers["auditor"])
            assert gone.status_code == 410, gone.text
            assert gone.headers["content-type"].startswith("application/problem+json")
            problem = gone.json()
            assert problem["type"].endswith("/gone") and problem["erased"] is True
            assert problem["sha256"] == item["sha256"]
            if params and index == 0:  # the page made before: its SHA-256 is kept too
                assert problem["page_sha256"] == page_sha256
            else:
                assert "page_sha256" not in problem
        assert hashlib.sha256(texts[item["id"]]).hexdigest() == item["sha256"]  # what was issued, still provable
    # The list keeps them, marked erased, with their hashes.
    assert [(i["id"], i["sha256"], i["erased"]) for i in _issued(w, first["id"])] == [
        (i["id"], i["sha256"], True) for i in mine
    ]
    kept = w.client.get(f"/v1/statements/{theirs['id']}", headers=w.headers["auditor"])
    assert kept.status_code == 200 and hashlib.sha256(kept.content).hexdigest() == theirs["sha256"]

    with w.db.read() as conn:
        rows = {r.id: r for r in conn.execute(select(tables.issued_documents))}
        pages = list(conn.execute(select(tables.issued_renderings)))
        payload = json.loads(
            conn.execute(select(tables.events.c.data).where(tables.events.c.type == "person.erased")).scalar_one()
        )
    for item in mine:
        row = rows[item["id"]]
        assert (row.document, row.sha256) == (None, item["sha256"]) and row.erased_at is not None
    ((rendering),) = [p for p in pages if p.document_id == mine[0]["id"]]
    assert (rendering.page, rendering.page_sha256) == (None, page_sha256)
    assert rows[theirs["id"]].document is not None
    assert payload["documents"] == sorted(i["id"] for i in mine) and payload["total"] == 2
    assert "issued.statement" in payload["kinds"]

    assert verify_audit_log(w.db).ok
    rebuild_projections(w.db)
    assert projections(w.db) == before
    # Nothing left: an answer, no event.
    again = erase(w, account="facebook/kim")
    assert (again.status_code, again.json()["erased"], again.json()["event"]) == (200, [], None)


def test_a_representatives_erasure_leaves_the_subjects_statements(world: World) -> None:
    w = world
    sanction = _impose(w, "mo")
    (item,) = _issued(w, sanction["id"])
    email = "counsel.3f1a@example.com"
    body = {
        "sanction": sanction["id"],
        "kind": "complaint",
        "channel": "web",
        "statement": "On behalf of my client.",
        "filed_by": {"name": "Counsel 3f1a", "email": email, "relation": "representative"},
    }
    filed = w.client.post("/v1/appeals", headers=w.headers["platform"], json=body)
    assert filed.status_code == 201, filed.text
    decision = {"outcome": "denied", "rationale": "The post broke the rule.", "reply": "We keep it."}
    decided = w.client.post(f"/v1/appeals/{filed.json()['id']}/decision", headers=w.headers["moderator"], json=decision)
    assert decided.status_code == 200, decided.text
    erased = erase(w, email=email)
    assert erased.status_code == 200, erased.text
    assert "issued.statement" not in {e["what"] for e in erased.json()["erased"]}
    assert w.client.get(f"/v1/statements/{item['id']}", headers=w.headers["auditor"]).status_code == 200


def _decide_content(w: World, number: int, author: str) -> str:
    body = {
        "item": content_item(number, account=author),
        "kind": "removal",
        "reason": sanction_body("facebook", author)["reason"],
    }
    created = w.client.post("/v1/content-decisions", headers=w.headers["moderator"], json=body)
    assert created.status_code == 201, created.text
    listed = w.client.get(f"/v1/content-decisions/{created.json()['id']}/statements", headers=w.headers["auditor"])
    (statement,) = listed.json()["items"]
    return str(statement["id"])


def test_an_erasure_blanks_the_statements_of_decisions_on_the_persons_items(world: World) -> None:
    w = world
    mine, theirs = _decide_content(w, 1, "kim"), _decide_content(w, 2, "lee")
    erased = erase(w, account="facebook/kim")
    assert erased.status_code == 200, erased.text
    assert [(e["what"], e["ref"]) for e in erased.json()["erased"]] == [("issued.statement", mine)]
    assert w.client.get(f"/v1/statements/{mine}", headers=w.headers["auditor"]).status_code == 410
    assert w.client.get(f"/v1/statements/{theirs}", headers=w.headers["auditor"]).status_code == 200
    assert verify_audit_log(w.db).ok
