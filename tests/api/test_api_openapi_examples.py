"""The request examples of the OpenAPI document (what Swagger UI's "Try it out" sends) are safe to
send as they are to the demo: each one runs, and none backdates anything or duplicates one of
the demo's sanctions (a newcomer once created a second, backdated Trump suspension this way),
but the import's, which is history (backdated by nature, PRODUCT.md section 8): its sanctions say
when their user was informed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from reprieve.api.app import create_app
from reprieve.demo import load_demo
from reprieve.domain.time import parse_instant
from reprieve.services import members
from reprieve.services.callers import Caller
from reprieve.services.tokens import CreateToken, create_token
from reprieve.store.db import open_database


def request_examples(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, example body) for every operation whose body schema has an example."""
    schemas = doc["components"]["schemas"]
    found = []
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            ref = content.get("schema", {}).get("$ref", "")
            for example in schemas.get(ref.rsplit("/", 1)[-1], {}).get("examples", []):
                found.append((method.upper(), path, example))
    return found


def events_after(client: TestClient, headers: dict[str, str], seq: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    while True:
        page = client.get("/v1/events", params={"after": seq, "limit": 1000}, headers=headers).json()
        events += page["items"]
        if not page["items"]:
            return events
        seq = page["items"][-1]["seq"]


def test_every_request_example_runs_against_the_demo_and_backdates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite only: what is checked is the examples, not the storage."""
    monkeypatch.setattr(members, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    db = open_database(f"sqlite:///{tmp_path / 'demo.db'}")
    load_demo(db, synthetic=0)
    # Read once, after the demo: its present (recorded relative to the real clock) comes before it,
    # as the log's recording instants never go backwards.
    now = datetime.now(UTC).replace(microsecond=0)
    client = TestClient(create_app(db, clock=lambda: now))
    token = create_token(
        db, CreateToken.parse(name="examples", role="instance-admin", operator=None), caller=Caller("test", now=now)
    )
    headers = {"Authorization": f"Bearer {token.secret}"}
    before = events_after(client, headers, 0)
    sanctioned_before = {
        (e["data"]["subject"]["platform"], e["data"]["subject"]["account"])
        for e in before
        if e["type"] == "sanction.imposed"
    }
    # In the document's order (the sanction's first, the content decision's first of its own), but
    # the lift and the restoration last: the other examples (an amendment, an appeal) need the
    # sanction and the decision in force; a complaint about content after the decision's example.
    examples = sorted(
        request_examples(client.get("/openapi.json").json()),
        key=lambda e: (e[1].endswith(("/lift", "/restore")), "content_decision" in e[2]),
    )
    paths = {path for _method, path, _example in examples}
    assert {"/v1/sanctions", "/v1/violations", "/v1/appeals", "/v1/sanctions/{sanction_id}/amend"} <= paths
    assert {
        "/v1/content-decisions",
        "/v1/content-decisions/{decision_id}/amend",
        "/v1/content-decisions/{decision_id}/restore",
    } <= paths
    sanction_id: str | None = None
    decision_id: str | None = None
    answers: dict[str, int] = {}
    for method, path, example in examples:
        body = dict(example)
        if "{sanction_id}" in path:
            assert sanction_id is not None, "the sanction example runs first (the document's order)"
            path = path.replace("{sanction_id}", sanction_id)
        elif "{decision_id}" in path:
            assert decision_id is not None, "the content decision example runs first (the document's order)"
            path = path.replace("{decision_id}", decision_id)
        elif "{" in path:
            continue
        if path == "/v1/appeals" and "content_decision" in body:
            assert decision_id is not None, "the content decision example runs first"
            body["content_decision"] = decision_id  # the example's id is a placeholder
        elif path == "/v1/appeals":
            body["sanction"] = sanction_id  # the example's id is a placeholder
        answer = client.request(method, path, json=body, headers=headers)
        answers[path] = answer.status_code
        assert answer.status_code < 300, (method, path, answer.text)
        if path == "/v1/sanctions":
            sanction = answer.json()
            sanction_id = sanction["id"]
            assert (sanction["subject"]["platform"], sanction["subject"]["account"]) not in sanctioned_before
            assert parse_instant(sanction["starts_at"]) == now  # starts now: no backdating
        if path == "/v1/content-decisions":
            decision_id = answer.json()["id"]
            assert parse_instant(answer.json()["starts_at"]) == now
    assert sanction_id is not None and f"/v1/sanctions/{sanction_id}/lift" in answers
    assert decision_id is not None and f"/v1/content-decisions/{decision_id}/restore" in answers
    written = events_after(client, headers, before[-1]["seq"])
    assert written
    assert answers["/v1/imports"] == 201
    for event in written:
        if event["type"] in ("sanction.imposed", "content.decided") and event["data"].get("imported"):
            # History: in the past, saying when its user was informed, of an account the demo never sanctioned.
            assert parse_instant(event["data"]["imported"]["informed_at"]) <= now, event
        else:
            assert parse_instant(event["effective_at"]) >= now, event  # nothing takes effect in the past
        if event["type"] == "sanction.imposed":
            subject = event["data"]["subject"]
            assert (subject["platform"], subject["account"]) not in sanctioned_before, event
    db.dispose()
