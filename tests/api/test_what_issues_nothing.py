"""What issues no statement of reasons (issue 23 item 4, PRODUCT.md section 8): a ladder's warning
(it restricts nothing), through the fast path and the route alike, while the next step that
restricts issues one; an import, which records the platform's own statement instead, shown as the
`platform_statement` of the sanction's statements. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from api_support import World, sanction_body

from reprieve.domain.time import format_instant
from reprieve.services import catalogue
from reprieve.services.callers import Caller


def _events(w: World, type_: str) -> list[dict[str, Any]]:
    items = w.client.get("/v1/events", params={"limit": 1000}, headers=w.headers["auditor"]).json()["items"]
    return [e for e in items if e["type"] == type_]


def _statements(w: World, sanction_id: str, **params: str) -> dict[str, Any]:
    listed = w.client.get(f"/v1/sanctions/{sanction_id}/statements", params=params, headers=w.headers["auditor"])
    assert listed.status_code == 200, listed.text
    body: dict[str, Any] = listed.json()
    return body


def _report(account: str, number: int) -> dict[str, Any]:
    return {
        "id": f"{account}-{number}",
        "platform": "fbl",
        "account": account,
        "policy": "Violence and Incitement",
        "severity": "moderate",
        "category": "STATEMENT_CATEGORY_VIOLENCE",
        "facts": "A post inciting violence.",
    }


def test_a_ladders_warning_issues_nothing_and_its_next_restriction_one(world: World) -> None:
    w = world
    catalogue.create_platform(
        w.db,
        catalogue.CreatePlatform.parse(id="fbl", operator="meta", name="Ladder", policy="meta"),
        caller=Caller("setup", now=w.clock()),
    )
    # The fast path (a plain request) and the route (with an Idempotency-Key) alike.
    for account, extra in (("walt", {}), ("wren", {"Idempotency-Key": "wren-1"})):
        headers = {**w.headers["platform"], **extra}
        first = w.client.post("/v1/violations", json=_report(account, 1), headers=headers)
        assert first.status_code == 201, first.text
        warning = first.json()["sanction"]
        assert warning["kind"] == "warning"
        assert _statements(w, warning["id"]) == {"items": [], "platform_statement": None}
    assert _events(w, "statement.issued") == []

    second = w.client.post("/v1/violations", json=_report("walt", 2), headers=w.headers["platform"])
    assert second.status_code == 201, second.text
    restriction = second.json()["sanction"]
    assert restriction["kind"] == "restriction"
    (item,) = _statements(w, restriction["id"])["items"]
    assert item["kind"] == "statement"
    assert [e["data"]["sanction"] for e in _events(w, "statement.issued")] == [restriction["id"]]


def test_a_manual_warning_issues_nothing(world: World) -> None:
    w = world
    body = sanction_body("facebook", "wanda", kind="warning")
    del body["duration"]
    created = w.client.post("/v1/sanctions", headers=w.headers["moderator"], json=body)
    assert created.status_code == 201, created.text
    assert _statements(w, created.json()["id"]) == {"items": [], "platform_statement": None}
    assert _events(w, "statement.issued") == []


def test_an_import_issues_nothing_and_shows_the_platforms_statement(world: World) -> None:
    w = world
    before = w.clock()
    w.clock.advance(timedelta(minutes=5))
    statement = {"reference": "https://transparency.example/sor/0042", "issued_at": "2023-03-01T09:00:00Z"}
    rows = [
        {
            **sanction_body("facebook", "gale", starts_at="2023-03-01T09:00:00Z"),
            "informed_at": "2023-03-01T09:05:00Z",
            "statement": statement,
        },
        {**sanction_body("facebook", "hal", starts_at="2023-03-01T09:00:00Z"), "informed_at": "2023-03-02T00:00:00Z"},
    ]
    done = w.client.post("/v1/imports", headers=w.headers["platform"], json={"sanctions": rows})
    assert done.status_code == 201, done.text
    assert _events(w, "statement.issued") == [] and _events(w, "order_information.issued") == []
    imposed = {e["data"]["subject"]["account"]: e["data"]["id"] for e in _events(w, "sanction.imposed")}

    gale = _statements(w, imposed["gale"])
    assert gale == {
        "items": [],
        "platform_statement": {
            "kind": "platform_statement",
            "reference": statement["reference"],
            "issued_at": statement["issued_at"],
            "informed_at": "2023-03-01T09:05:00Z",
        },
    }
    hal = _statements(w, imposed["hal"])["platform_statement"]
    assert (hal["reference"], hal["issued_at"], hal["informed_at"]) == (None, None, "2023-03-02T00:00:00Z")
    # As known before the import was recorded: nothing.
    assert _statements(w, imposed["gale"], as_of=format_instant(before) or "")["platform_statement"] is None
    shown = w.client.get(f"/v1/sanctions/{imposed['gale']}", headers=w.headers["auditor"]).json()
    assert shown["imported"]["statement"] == statement


def test_the_platforms_statement_is_checked(world: World) -> None:
    w = world
    base = {**sanction_body("facebook", "ida", starts_at="2023-03-01T09:00:00Z"), "informed_at": "2023-03-01T09:05:00Z"}
    for statement in (
        {"reference": "R" * 301, "issued_at": "2023-03-01T09:00:00Z"},
        {"reference": "has spaces in it", "issued_at": "2023-03-01T09:00:00Z"},
        {"reference": "tdb:1", "issued_at": "2023-02-01T00:00:00Z"},  # before the decision
        {"reference": "tdb:1"},
    ):
        refused = w.client.post(
            "/v1/imports", headers=w.headers["platform"], json={"sanctions": [{**base, "statement": statement}]}
        )
        assert refused.status_code == 422, (statement, refused.text)
    assert _events(w, "sanction.imposed") == []
