"""Statements of reasons of decisions on content (issue 24 item 3): a creation, and an amendment
that changes the kind, the end or the territorial scope, each issue one in the decision's own
transaction, kept as issued and recorded by a ``statement.issued`` event naming the content
decision; a restoration and an amendment that changes nothing the user is told issue none. Read,
rendered in French and delivered through ``/v1/statements/{id}`` like a sanction's. Both backends."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from api_support import World
from sqlalchemy import select

from content_support import amended, decided, item, record, restored
from reprieve.domain.personal import PersonalRef
from reprieve.services.evidence import forget_expired_evidence
from reprieve.store import tables

SHA = "9f" * 32


def _listed(w: World, decision_id: str, role: str = "auditor") -> list[dict[str, Any]]:
    answer = w.client.get(f"/v1/content-decisions/{decision_id}/statements", headers=w.headers[role])
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _statement(w: World, statement_id: str, **params: str) -> dict[str, Any]:
    answer = w.client.get(f"/v1/statements/{statement_id}", params=params, headers=w.headers["auditor"])
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _events(w: World, type_: str) -> list[dict[str, Any]]:
    items = w.client.get("/v1/events", params={"limit": 1000}, headers=w.headers["auditor"]).json()["items"]
    return [e for e in items if e["type"] == type_]


def test_a_decision_on_content_issues_its_statement_naming_the_item_never_the_content(world: World) -> None:
    w = world
    now = w.clock()
    seq, (statement_id,) = record(
        w.db, now, decided("cd_1", "disabling", now, ends_at=now + timedelta(days=30), scope=("DE", "FR")), now
    )
    (listed,) = _listed(w, "cd_1")
    assert listed["id"] == statement_id and listed["content_decision"] == "cd_1" and "sanction" not in listed
    assert listed["decision"] == seq and listed["kind"] == "statement"

    raw = w.client.get(f"/v1/statements/{statement_id}", headers=w.headers["auditor"])
    assert hashlib.sha256(raw.content).hexdigest() == listed["sha256"]
    body = raw.json()
    assert body["content_decision"] == "cd_1" and "sanction" not in body
    assert body["item"]["id"] == item()["item"] and body["item"]["platform"] == "facebook"
    assert body["item"]["language"] == "en" and "Facebook" in body["item"]["text"]
    assert body["content"]["types"] == ["CONTENT_TYPE_VIDEO", "CONTENT_TYPE_TEXT"]
    assert body["content"]["date"] == "2021-01-06"
    assert body["measure"]["kind"] == "disabling" and body["measure"]["text"] == "Access to your content is disabled."
    assert body["territorial_scope"] == {"countries": ["DE", "FR"], "text": "In these countries only: DE, FR"}
    assert body["duration"]["ends_at"] is not None and "until" in body["duration"]["text"]
    assert body["decided"]["type"] == "decided" and body["decided"]["change"] == seq
    assert body["keywords"] == ["KEYWORD_INCITEMENT_VIOLENCE_HATRED"]
    assert body["source"]["type"] == "trusted_flagger"
    assert (
        body["automated"]
        == {
            "detection": True,
            "decision": "partially",
            "text": body["automated"]["text"],
        }
        and "partly by automated means" in body["automated"]["text"]
    )
    complaint = body["redress"]["internal_complaint"]
    assert complaint["url"] == "https://reprieve.example/appeal?content_decision=cd_1"
    assert complaint["code"] is None and complaint["window"] == "P6M"
    assert complaint["deadline"].startswith(str((now + timedelta(days=181)).year))
    assert "six months from the day you receive this statement" in complaint["text"]

    (event,) = _events(w, "statement.issued")
    assert event["data"] == {
        "id": statement_id,
        "operator": "meta",
        "content_decision": "cd_1",
        "decision": seq,
        "language": "en",
        "format": 1,
        "sha256": listed["sha256"],
    }

    page = w.client.get(f"/v1/statements/{statement_id}", params={"format": "html"}, headers=w.headers["auditor"])
    assert page.status_code == 200 and "cd_1" in page.text and item()["item"] in page.text
    french = _statement(w, statement_id, lang="fr")
    assert french["measure"]["text"] == "L'accès à votre contenu est bloqué."
    assert french["territorial_scope"]["text"] == "Dans ces pays seulement : DE, FR"
    assert (
        french["item"] == {**body["item"], "text": french["item"]["text"]} and " sur Facebook" in french["item"]["text"]
    )
    assert french["id"] == statement_id and french["content_decision"] == "cd_1"


def test_each_kind_says_what_was_decided_and_everywhere_when_no_country_is_named(world: World) -> None:
    w = world
    now = w.clock()
    kinds = (
        "removal",
        "disabling",
        "demotion",
        "age_restriction",
        "interaction_restriction",
        "label",
        "demonetization",
    )
    for n, kind in enumerate((*kinds, "other")):
        other = "Hidden from search results and recommendations" if kind == "other" else None
        _, (statement_id,) = record(w.db, now, decided(f"cd_{n}", kind, now, kind_other=other, the_item=item(n)), now)
        body = _statement(w, statement_id)
        assert body["measure"]["kind"] == kind and body["measure"]["kind_other"] == other
        assert body["territorial_scope"] == {"countries": [], "text": "Everywhere the service is offered"}
        assert body["duration"]["ends_at"] is None and "without an end date" in body["duration"]["text"]
        if other:
            assert body["measure"]["text"].endswith(other)
            assert _statement(w, statement_id, lang="fr")["measure"]["text"].endswith(other)


def test_an_amendment_issues_one_when_it_changes_kind_end_or_scope_and_a_restoration_none(world: World) -> None:
    w = world
    now = w.clock()
    _, first = record(w.db, now, decided("cd_1", "label", now, ends_at=now + timedelta(days=90)), now)
    later = now + timedelta(hours=1)
    w.clock.advance(timedelta(hours=1))
    same = amended("cd_1", "label", ends_at=now + timedelta(days=90))
    assert record(w.db, later, same, later)[1] == []  # nothing the user is told changed
    _, to_removal = record(w.db, later, amended("cd_1", "removal", ends_at=now + timedelta(days=90)), later)
    _, narrower = record(
        w.db, later, amended("cd_1", "removal", ends_at=now + timedelta(days=90), scope=("FR",)), later
    )
    _, shorter = record(w.db, later, amended("cd_1", "removal", ends_at=now + timedelta(days=60), scope=("FR",)), later)
    assert record(w.db, later, restored("cd_1"), later)[1] == []
    issued = [s["id"] for s in _listed(w, "cd_1")]
    assert issued == [*first, *to_removal, *narrower, *shorter] and len(issued) == 4
    last = _statement(w, shorter[0])
    assert last["decided"]["type"] == "amended" and last["measure"]["kind"] == "removal"
    assert last["territorial_scope"]["countries"] == ["FR"] and last["duration"]["ends_at"].startswith(
        str((now + timedelta(days=60)).date())
    )
    # The first statement is kept as it was issued.
    assert _statement(w, first[0])["measure"]["kind"] == "label"


def test_a_backdated_decision_says_so_and_when_it_was_recorded(world: World) -> None:
    w = world
    now = w.clock()
    # The reason's text lives in personal_data; the event holds its reference.
    event = decided("cd_1", "removal", now - timedelta(days=10))._replace(backdated_reason=PersonalRef("pd_test"))
    _, (statement_id,) = record(w.db, now, event, now - timedelta(days=10))
    body = _statement(w, statement_id)
    assert body["decided"]["backdated"] is True and body["decided"]["recorded_at"] is not None
    assert "It was backdated" in body["decided"]["text"]


def test_delivery_is_recorded_for_a_content_statement_and_the_platform_is_told_which(world: World) -> None:
    w = world
    now = w.clock()
    _, (statement_id,) = record(w.db, now, decided("cd_1", "removal", now), now)
    w.clock.advance(timedelta(hours=2))
    delivered_at = (now + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    answer = w.client.post(
        f"/v1/statements/{statement_id}/delivery",
        json={"delivered_at": delivered_at, "channel": "in-app"},
        headers=w.headers["platform"],
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["content_decision"] == "cd_1" and answer.json()["recorded"] is True
    (event,) = _events(w, "statement.delivered")
    assert event["data"]["content_decision"] == "cd_1" and "sanction" not in event["data"]
    (listed,) = _listed(w, "cd_1")
    assert listed["delivered_at"] == delivered_at and listed["channel"] == "in-app"
    with w.db.read() as conn:
        row = conn.execute(select(tables.statement_deliveries)).one()
    assert row.sanction_id == "cd_1"


def test_another_operator_sees_no_content_statement(world: World) -> None:
    w = world
    now = w.clock()
    _, (statement_id,) = record(w.db, now, decided("cd_1", "removal", now), now)
    assert w.client.get("/v1/content-decisions/cd_1/statements", headers=w.headers["x-admin"]).status_code == 404
    assert w.client.get(f"/v1/statements/{statement_id}", headers=w.headers["x-admin"]).status_code == 404
    assert w.client.get("/v1/content-decisions/cd_nope/statements", headers=w.headers["auditor"]).status_code == 404
    stored = json.loads(w.client.get(f"/v1/statements/{statement_id}", headers=w.headers["auditor"]).content)
    assert "channel-a" not in json.dumps(stored)  # the author's account is never written


def test_the_api_shows_the_evidence_forgotten_and_the_decision_kept(world: World) -> None:
    w = world
    body = {
        "item": item(7),
        "kind": "removal",
        "reason": {"ground": "incompatible_content", "category": "STATEMENT_CATEGORY_VIOLENCE", "policy": "Violence",
                   "explanation": "Praise of violence"},
        "evidence": {"reference": "snapshots/7", "sha256": SHA},
    }  # fmt: skip
    created = w.client.post("/v1/content-decisions", headers=w.headers["moderator"], json=body)
    assert created.status_code == 201, created.text
    decision = created.json()
    assert decision["evidence"]["sha256"] == SHA
    (statement,) = w.client.get(
        f"/v1/content-decisions/{decision['id']}/statements", headers=w.headers["auditor"]
    ).json()["items"]
    assert statement["content_decision"] == decision["id"]
    assert forget_expired_evidence(w.db, now=w.clock() + timedelta(days=367)) == 1
    w.clock.advance(timedelta(days=367))
    shown = w.client.get(f"/v1/content-decisions/{decision['id']}", headers=w.headers["auditor"]).json()
    assert shown["evidence"]["sha256"] is None and shown["evidence"]["reference"] is None
    assert shown["kind"] == "removal"  # the decision and its statement stay
    assert w.client.get(f"/v1/statements/{statement['id']}", headers=w.headers["auditor"]).status_code == 200
