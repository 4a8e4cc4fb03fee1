"""Erasing a person (GDPR art. 17, issue 21 item 3): ``POST /v1/people/erase`` blanks what one key
names within one operator (the personal-data texts, the requester's row, cached idempotency
answers), keeps what a legal obligation keeps (and says until when), refuses an open case, records
one ``person.erased`` event without data; ``audit verify`` passes and a rebuild changes nothing.
On SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from api_support import World
from sqlalchemy import select

from reprieve.domain.time import parse_instant
from reprieve.services.audit import rebuild_projections, verify_audit_log
from reprieve.store import personal, tables
from reprieve.store.db import Database

STATEMENT = "Statement 3c9e of Jane: my post quoted the news, nothing more."
REPLY = "Dear Jane Roe, reply 5f10: we keep the suspension."
BODY = "Settlement body b7a2 for Jane"
SUMMARY = "Summary 0d4f: the body sided with the platform against Jane Roe."
NAME, EMAIL = "Jane Roe 81e0", "jane.81e0@example.com"
OTHER_STATEMENT = "Statement 6a6a at the other operator."


def projections(db: Database) -> dict[str, list[str]]:
    with db.read() as conn:
        return {
            t.name: sorted(json.dumps(list(r), default=str) for r in conn.execute(select(t)))
            for t in tables.PROJECTIONS
        }


def everything(db: Database) -> str:
    """Every row of every table, as text."""
    with db.read() as conn:
        return "\n".join(
            json.dumps([list(r) for r in conn.execute(select(t))], default=str, ensure_ascii=False)
            for t in tables.metadata.sorted_tables
        )


def file(w: World, operator: str, statement: str, email: str, key: str) -> dict[str, Any]:
    sanction = w.sanction(operator, duration="P1Y")
    headers = {**w.headers["platform" if operator == "meta" else "x-moderator"], "Idempotency-Key": key}
    body = {
        "sanction": sanction["id"],
        "kind": "complaint",
        "channel": "web",
        "statement": statement,
        "filed_by": {"name": NAME if operator == "meta" else "J. Roe at X", "email": email, "relation": "subject"},
    }
    filed = w.client.post("/v1/appeals", headers=headers, json=body)
    assert filed.status_code == 201, filed.text
    return {"id": filed.json()["id"], "headers": headers, "body": body}


def erase(w: World, token: str = "admin", **key: str) -> Any:
    return w.client.post("/v1/people/erase", headers=w.headers[token], json={"operator": "meta", **key})


def test_erasure_blanks_keeps_what_is_owed_refuses_open_cases_and_leaves_the_log_verifiable(world: World) -> None:
    w = world
    filed = file(w, "meta", STATEMENT, EMAIL, "file-1")
    other = file(w, "x", OTHER_STATEMENT, EMAIL.upper(), "file-x")  # the same person at another operator
    appeal = filed["id"]

    # An open case is refused, naming the appeal to decide first; nothing changes.
    before = everything(w.db)
    refused = erase(w, email=EMAIL)
    assert refused.status_code == 409, refused.text
    assert appeal in refused.json()["detail"] and "decide" in refused.json()["detail"]
    assert everything(w.db) == before

    decision = {"outcome": "denied", "rationale": "The post broke the rule.", "reply": REPLY}
    decide_headers = {**w.headers["moderator"], "Idempotency-Key": "decide-1"}
    decided = w.client.post(f"/v1/appeals/{appeal}/decision", headers=decide_headers, json=decision)
    assert decided.status_code == 200, decided.text
    pending = {"body": BODY, "submitted_at": "2024-06-01T12:00:00Z"}
    recorded = w.client.post(f"/v1/appeals/{appeal}/disputes", headers=w.headers["admin"], json=pending)
    assert recorded.status_code == 201, recorded.text
    assert erase(w, email=EMAIL).status_code == 409  # a dispute pending is an open case too
    dispute = recorded.json()["disputes"][0]["id"]
    outcome = {
        "body": BODY,
        "submitted_at": "2024-06-01T12:00:00Z",
        "decided_at": "2024-06-01T12:00:00Z",
        "outcome": "in_favour_of_platform",
        "summary": SUMMARY,
        "dispute": dispute,
    }
    assert w.client.post(f"/v1/appeals/{appeal}/disputes", headers=w.headers["admin"], json=outcome).status_code == 201
    with w.db.read() as conn:
        requester = conn.execute(select(tables.appeals.c.requester).where(tables.appeals.c.id == appeal)).scalar_one()
    before = projections(w.db)

    # Erased at once: the statement and the dispute's texts; the reply and the contact are kept
    # while the decision can be contested (the complaint window after the case closed).
    first = erase(w, email=EMAIL.title())  # the e-mail, case-insensitively
    assert first.status_code == 200, first.text
    answer = first.json()
    # Filed as the sanction's subject: the statement issued to them about it goes too (issue 23).
    assert sorted(e["what"] for e in answer["erased"]) == [
        "appeal.statement",
        "dispute.body",
        "dispute.body",
        "dispute.summary",
        "issued.statement",
    ]
    assert sorted((k["what"], k["ref"]) for k in answer["kept"])[1] == ("requester.contact", requester)
    until = {parse_instant(k["until"]) for k in answer["kept"]}
    assert len(until) == 1 and until.pop() - w.clock() > timedelta(days=150)
    assert all("GDPR art. 17(3)" in k["why"] for k in answer["kept"])
    shown = w.client.get(f"/v1/appeals/{appeal}", headers=w.headers["moderator"]).json()
    assert shown["statement"] is None and shown["decision"]["reply"] == REPLY
    assert [(d["body"], d["summary"]) for d in shown["disputes"]] == [(None, None)]
    assert (shown["filed_by"]["name"], shown["filed_by"]["email"]) == (NAME, EMAIL)
    # A retry of the filing gets its answer again, without the statement; it does not file twice.
    replay = w.client.post("/v1/appeals", headers=filed["headers"], json=filed["body"])
    assert (replay.status_code, replay.json()["id"], replay.json()["statement"]) == (201, appeal, None)

    # The other operator's appeal of the same e-mail is untouched.
    theirs = w.client.get(f"/v1/appeals/{other['id']}", headers=w.headers["x-moderator"]).json()
    assert (theirs["statement"], theirs["filed_by"]["email"]) == (OTHER_STATEMENT, EMAIL.upper())

    # The event says what and who, never the data.
    listed = w.client.get("/v1/events?limit=1000", headers=w.headers["auditor"]).json()["items"]
    events = [e for e in listed if e["type"] == "person.erased"]
    assert len(events) == 1
    assert events[0]["actor"].startswith("token:") and events[0]["seq"] == answer["event"]
    with w.db.read() as conn:
        data = conn.execute(select(tables.events.c.data).where(tables.events.c.type == "person.erased")).scalar_one()
    payload = json.loads(data)
    assert payload["requesters"] == [requester] and payload["cause"] == "request" and payload["total"] == 5
    for text in (STATEMENT, REPLY, BODY, SUMMARY, NAME, EMAIL):
        assert text not in data and personal.sha256_of(text) not in data
    assert verify_audit_log(w.db).ok
    rebuild_projections(w.db)
    assert projections(w.db) == before

    # Once the window has run out, the rest goes; by reference this time (it names this appeal only).
    w.clock.advance(timedelta(days=400))
    second = erase(w, reference=requester)
    assert second.status_code == 200, second.text
    assert sorted(e["what"] for e in second.json()["erased"]) == ["appeal.reply", "requester.contact"]
    assert second.json()["kept"] == []
    shown = w.client.get(f"/v1/appeals/{appeal}", headers=w.headers["moderator"]).json()
    assert shown["decision"]["reply"] is None and shown["decision"]["rationale"] == "The post broke the rule."
    assert (shown["filed_by"]["name"], shown["filed_by"]["email"]) == (None, None)
    again = erase(w, reference=requester)  # nothing left: an answer, no event
    assert (again.status_code, again.json()["erased"], again.json()["event"]) == (200, [], None)
    assert erase(w, email=EMAIL).status_code == 404  # the e-mail is gone

    stored = everything(w.db)
    for text in (STATEMENT, REPLY, BODY, SUMMARY, NAME, EMAIL):
        assert text not in stored, text
    assert OTHER_STATEMENT in stored and EMAIL.upper() in stored  # the other operator's
    with w.db.read() as conn:
        row = conn.execute(select(tables.appeal_requesters).where(tables.appeal_requesters.c.id == requester)).one()
    assert (row.name_sha256, row.email_sha256) == (personal.sha256_of(NAME), personal.sha256_of(EMAIL))
    assert row.erased_by.startswith("token:")
    assert verify_audit_log(w.db).ok
    rebuild_projections(w.db)
    assert projections(w.db) == before


def test_who_may_erase_and_what_a_key_must_be(world: World) -> None:
    w = world
    filed = file(w, "meta", STATEMENT, EMAIL, "file-2")
    w.client.post(
        f"/v1/appeals/{filed['id']}/decision",
        headers=w.headers["moderator"],
        json={"outcome": "denied", "rationale": "r", "reply": REPLY},
    )
    before = everything(w.db)
    for token in ("moderator", "auditor", "platform", "reviewer"):
        assert erase(w, token, email=EMAIL).status_code == 403, token
    assert erase(w, "x-admin", email=EMAIL).status_code == 404  # another operator's admin sees no 'meta'
    both = erase(w, email=EMAIL, reference="rqr_" + "0" * 26)
    assert both.status_code == 422 and "exactly one" in both.json()["detail"]
    assert erase(w).status_code == 422
    assert erase(w, reference="rqr_nope").status_code == 422
    assert erase(w, email="not an e-mail").status_code == 422
    assert erase(w, email="nobody@example.com").status_code == 404
    assert erase(w, reference="rqr_" + "0" * 26).status_code == 404
    assert erase(w, account="twitter/someone").status_code == 404  # x's platform
    unknown_operator = w.client.post(
        "/v1/people/erase", headers=w.headers["instance-admin"], json={"operator": "nobody", "email": EMAIL}
    )
    assert unknown_operator.status_code == 404
    assert everything(w.db) == before
    assert erase(w, "instance-admin", email=EMAIL).status_code == 200


def test_an_accounts_display_names_are_erased_by_account(world: World) -> None:
    w = world
    path = "/v1/platforms/facebook/accounts/jroe81"
    assert w.client.put(path, json={"display_name": NAME}, headers=w.headers["platform"]).status_code == 201
    before = projections(w.db)
    answer = erase(w, account="facebook/jroe81")
    assert answer.status_code == 200, answer.text
    assert [e["what"] for e in answer.json()["erased"]] == ["account.display_name"]
    assert w.client.put(path, json={}, headers=w.headers["platform"]).json()["display_name"] is None
    assert NAME not in everything(w.db)
    assert verify_audit_log(w.db).ok
    rebuild_projections(w.db)
    assert projections(w.db) == before
