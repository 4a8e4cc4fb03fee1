"""Personal data out of the chain (issue 21): the texts people write or are written (an appeal's
statement) sit in ``personal_data``, the events carry ``{"ref": ...}``; after the store blanks
them, the API and the console say they were erased, the chain verifies and a rebuild changes
nothing. On SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from api_support import World
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from reprieve.domain.time import to_micros
from reprieve.services import members
from reprieve.services.audit import rebuild_projections, verify_audit_log
from reprieve.services.callers import Caller
from reprieve.store import personal, tables
from reprieve.store.db import Database

STATEMENT = "My cat walked on the keyboard; statement-7f3a of a real person."
REPLY = "Dear Jane, reply-91c2: we restored your account."
BODY = "Settlement body 4d1e"
SUMMARY = "Summary 88aa: the body found for Jane Roe."
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(members, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    members._dummy_hash.cache_clear()


def event_data(db: Database) -> str:
    with db.read() as conn:
        return "\n".join(conn.execute(select(tables.events.c.data)).scalars())


def projections(db: Database) -> dict[str, list[Any]]:
    with db.read() as conn:
        return {
            t.name: sorted(json.dumps(list(r), default=str) for r in conn.execute(select(t)))
            for t in tables.PROJECTIONS
        }


def console_of(world: World) -> TestClient:
    members.create_member(
        world.db,
        members.CreateMember.parse(
            email="moderator@meta.example", name="Moderator", role="moderator", operator="meta", password=PASSWORD
        ),
        caller=Caller("test", now=world.clock()),
    )
    desk = TestClient(world.client.app)
    page = desk.get("/console/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    signed = desk.post(
        "/console/sign-in",
        data={"email": "moderator@meta.example", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert signed.status_code == 200, signed.text
    return desk


def erase(db: Database, subject: str, now_us: int) -> list[personal.PersonalText]:
    with db.engine.begin() as conn:
        return personal.erase_subject(conn, operator="meta", subject=subject, now_us=now_us, by="admin-1")


def test_an_appeals_statement_and_reply_are_referenced_shown_and_erased(world: World) -> None:
    w = world
    sanction = w.sanction("meta", duration="P1Y")
    body = {
        "sanction": sanction["id"],
        "kind": "complaint",
        "channel": "web",
        "statement": STATEMENT,
        "filed_by": {"name": "Jane Roe", "email": "jane@example.com", "relation": "subject"},
    }
    filed = w.client.post("/v1/appeals", headers=w.headers["platform"], json=body)
    assert filed.status_code == 201, filed.text
    appeal = filed.json()
    assert appeal["statement"] == STATEMENT
    # The log holds a reference, never the text nor its hash.
    log = event_data(w.db)
    assert STATEMENT not in log and personal.sha256_of(STATEMENT) not in log
    assert re.search(r'"statement":\{"ref":"pd_[0-9A-Z]{26}"\}', log)
    assert w.client.get(f"/v1/appeals/{appeal['id']}", headers=w.headers["moderator"]).json()["statement"] == STATEMENT
    decision = {"outcome": "granted", "rationale": "The post broke no rule.", "reply": REPLY}
    decided = w.client.post(f"/v1/appeals/{appeal['id']}/decision", headers=w.headers["moderator"], json=decision)
    assert decided.status_code == 200, decided.text
    assert decided.json()["decision"]["reply"] == REPLY
    log = event_data(w.db)
    assert REPLY not in log and personal.sha256_of(REPLY) not in log
    assert re.search(r'"reply":\{"ref":"pd_[0-9A-Z]{26}"\}', log)
    assert (
        w.client.get(f"/v1/appeals/{appeal['id']}", headers=w.headers["auditor"]).json()["decision"]["reply"] == REPLY
    )
    dispute = {
        "body": BODY,
        "submitted_at": "2024-06-01T12:00:00Z",
        "decided_at": "2024-06-01T12:00:00Z",
        "outcome": "in_favour_of_requester",
        "summary": SUMMARY,
    }
    recorded = w.client.post(f"/v1/appeals/{appeal['id']}/disputes", headers=w.headers["admin"], json=dispute)
    assert recorded.status_code == 201, recorded.text
    assert [(d["body"], d["summary"]) for d in recorded.json()["disputes"]] == [(BODY, SUMMARY)]
    log = event_data(w.db)
    for text in (BODY, SUMMARY):
        assert text not in log and personal.sha256_of(text) not in log
    assert re.search(r'"body":\{"ref":"pd_[0-9A-Z]{26}"\}.*"summary":\{"ref":"pd_[0-9A-Z]{26}"\}', log)
    desk = console_of(w)
    page = desk.get(f"/console/appeals/{appeal['id']}").text
    assert STATEMENT.split(";")[0] in page and REPLY.split(",")[0] in page

    with w.db.read() as conn:
        requester = conn.execute(
            select(tables.appeals.c.requester).where(tables.appeals.c.id == appeal["id"])
        ).scalar_one()
    before = projections(w.db)
    erased = erase(w.db, requester, to_micros(w.clock()))
    assert sorted((e.kind, e.value, e.sha256, e.erased) for e in erased) == [
        ("appeal.reply", None, personal.sha256_of(REPLY), True),
        ("appeal.statement", None, personal.sha256_of(STATEMENT), True),
        ("dispute.body", None, personal.sha256_of(BODY), True),
        ("dispute.summary", None, personal.sha256_of(SUMMARY), True),
    ]
    assert erase(w.db, requester, to_micros(w.clock())) == []  # nothing left to blank

    shown = w.client.get(f"/v1/appeals/{appeal['id']}", headers=w.headers["moderator"]).json()
    assert shown["statement"] is None and shown["decision"]["reply"] is None
    assert shown["decision"]["rationale"] == "The post broke no rule."  # the operator's reasons are kept
    assert [(d["body"], d["summary"], d["outcome"]) for d in shown["disputes"]] == [
        (None, None, "in_favour_of_requester")
    ]
    listed = w.client.get("/v1/appeals", headers=w.headers["auditor"]).json()["items"]
    assert [a["statement"] for a in listed] == [None]
    page = desk.get(f"/console/appeals/{appeal['id']}").text
    assert page.count("Erased (personal data)") == 2
    assert STATEMENT.split(";")[0] not in page and REPLY.split(",")[0] not in page
    with w.db.read() as conn:
        stored = json.dumps([list(r) for r in conn.execute(select(tables.personal_data))], default=str)
    assert all(text not in stored for text in (STATEMENT, REPLY, BODY, SUMMARY))

    assert verify_audit_log(w.db).ok
    rebuild_projections(w.db)
    assert projections(w.db) == before


def test_a_display_name_is_referenced_shown_and_erased(world: World) -> None:
    w = world
    path = "/v1/platforms/facebook/accounts/jroe"
    first, renamed = "Jane Roe 5b0c", "Jane R. 6e2d"
    created = w.client.put(path, json={"display_name": first}, headers=w.headers["platform"])
    assert (created.status_code, created.json()["display_name"]) == (201, first)
    unnamed = w.client.put("/v1/platforms/facebook/accounts/anon", json={}, headers=w.headers["platform"])
    assert (unnamed.status_code, unnamed.json()["display_name"]) == (201, None)
    assert w.client.put(path, json={"display_name": first}, headers=w.headers["platform"]).status_code == 200
    again = w.client.put(path, json={"display_name": renamed}, headers=w.headers["platform"])
    assert (again.status_code, again.json()["display_name"]) == (200, renamed)
    log = event_data(w.db)
    for text in (first, renamed):
        assert text not in log and personal.sha256_of(text) not in log
    assert len(re.findall(r'"display_name":\{"ref":"pd_[0-9A-Z]{26}"\}', log)) == 2  # registered, renamed
    assert '"account":"anon","display_name":null' in log  # no name, no row
    with w.db.read() as conn:
        kinds = conn.execute(select(tables.personal_data.c.kind, tables.personal_data.c.subject)).all()
    assert sorted(kinds) == [("account.display_name", "facebook/jroe")] * 2
    desk = console_of(w)
    assert renamed in desk.get("/console/accounts/facebook/jroe").text

    before = projections(w.db)
    erased = erase(w.db, "facebook/jroe", to_micros(w.clock()))
    assert sorted(e.sha256 for e in erased) == sorted(personal.sha256_of(t) for t in (first, renamed))
    read = w.client.put(path, json={}, headers=w.headers["platform"])  # the API reads an account so
    assert (read.status_code, read.json()["display_name"]) == (200, None)
    page = desk.get("/console/accounts/facebook/jroe").text
    assert renamed not in page and first not in page and "Erased (personal data)" in page
    assert verify_audit_log(w.db).ok
    rebuild_projections(w.db)
    assert projections(w.db) == before
