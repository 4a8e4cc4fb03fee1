"""``POST /v1/imports`` (issue 22, PRODUCT.md section 8): history, backdated by nature, says when
each user was informed. Platform tokens and operators' admins only; all rows or none. On SQLite and
PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from api_support import World, reason
from sqlalchemy import func, select

from reprieve.domain.model import Role
from reprieve.services.sanctions import MAX_IMPORT_ROWS
from reprieve.store import tables


def row(account: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": {"platform": "facebook", "account": account},
        "kind": "suspension",
        "starts_at": "2023-03-01T09:00:00Z",
        "duration": "P30D",
        "reason": reason(),
        "informed_at": "2023-03-01T09:05:00Z",
    }
    body.update(overrides)
    return body


def counts(w: World) -> tuple[int, int]:
    """(events, sanctions): an import refused changes neither."""
    with w.db.read() as conn:
        events = conn.execute(select(func.count()).select_from(tables.events)).scalar_one()
        sanctions = conn.execute(select(func.count()).select_from(tables.sanctions)).scalar_one()
    return int(events), int(sanctions)


def problem(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return str(response.json())


@pytest.mark.parametrize("role", ["platform", "admin"])
def test_history_is_imported_with_when_each_user_was_informed(world: World, role: str) -> None:
    w = world
    statement = {"reference": "tdb:example-0001", "issued_at": "2023-03-01T09:00:00Z"}
    body = {"sanctions": [row("alice", statement=statement), row("bob", informed_at="2023-03-02T00:00:00Z")]}
    done = w.client.post("/v1/imports", headers=w.headers[role], json=body)
    assert done.status_code == 201, done.text
    assert done.json() == {"imported": 2}

    found = w.client.get("/v1/sanctions", headers=w.headers["auditor"], params={"account": "facebook/alice"})
    (alice,) = found.json()["items"]
    assert alice["starts_at"] == "2023-03-01T09:00:00Z"
    assert alice["imported"] == {"informed_at": "2023-03-01T09:05:00Z", "statement": statement}
    one = w.client.get(f"/v1/sanctions/{alice['id']}", headers=w.headers["auditor"]).json()
    assert one["imported"] == alice["imported"]
    # In the hash-chained event too, and so kept by a rebuild of the projections.
    with w.db.read() as conn:
        data = conn.execute(
            select(tables.events.c.data).where(tables.events.c.type == "sanction.imposed").order_by(tables.events.c.seq)
        ).scalars()
        assert ['"informed_at":"2023-03-02T00:00:00Z"' in d for d in data] == [False, True]
    # A sanction imposed through Reprieve was not imported.
    assert w.sanction("meta")["imported"] is None


def test_a_bad_row_is_422_naming_it_and_nothing_is_imported(world: World) -> None:
    w, h = world, world.headers["platform"]
    before = counts(w)
    for bad, said in (
        (row("bob", informed_at="2023-02-28T00:00:00Z"), "sanction #2: informed_at: lies before the decision"),
        (row("bob", informed_at="2024-06-02T00:00:00Z"), "sanction #2: informed_at: lies in the future"),
        ({k: v for k, v in row("bob").items() if k != "informed_at"}, "sanction #2: informed_at: required"),
        (row("bob", statement={"reference": "tdb:1", "issued_at": "2030-01-01T00:00:00Z"}), "statement.issued_at"),
        (row("bob", subject={"platform": "nowhere", "account": "bob"}), "nowhere"),
    ):
        answer = w.client.post("/v1/imports", headers=h, json={"sanctions": [row("alice"), bad]})
        assert said in problem(answer, 422 if "nowhere" not in said else 404)
    # A statement reference is an id, never prose (nothing personal reaches the chain through it).
    spaced = row("bob", statement={"reference": "Dear Bob, you were banned", "issued_at": "2023-03-01T09:00:00Z"})
    problem(w.client.post("/v1/imports", headers=h, json={"sanctions": [spaced]}), 422)
    assert counts(w) == before


def test_informed_at_start_is_the_documented_default(world: World) -> None:
    w, h = world, world.headers["platform"]
    plain = {k: v for k, v in row("carol").items() if k != "informed_at"}
    done = w.client.post("/v1/imports", headers=h, json={"sanctions": [plain], "informed_at_start": True})
    assert done.status_code == 201, done.text
    (carol,) = w.client.get("/v1/sanctions", headers=h, params={"account": "facebook/carol"}).json()["items"]
    assert carol["imported"] == {"informed_at": "2023-03-01T09:00:00Z", "statement": None}


def test_the_rows_are_bounded(world: World) -> None:
    w, h = world, world.headers["platform"]
    before = counts(w)
    problem(w.client.post("/v1/imports", headers=h, json={"sanctions": []}), 422)
    many = {"sanctions": [row(f"user{n}") for n in range(MAX_IMPORT_ROWS + 1)]}
    assert w.client.post("/v1/imports", headers=h, json=many).status_code in (413, 422)
    assert counts(w) == before


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.REVIEWER, Role.AUDITOR])
def test_only_platform_tokens_and_admins_import(world: World, role: Role) -> None:
    w = world
    before = counts(w)
    problem(w.client.post("/v1/imports", headers=w.headers[role.value], json={"sanctions": [row("dave")]}), 403)
    assert counts(w) == before


def test_another_operators_platform_does_not_exist(world: World) -> None:
    w = world
    before = counts(w)
    theirs = row("erin", subject={"platform": "twitter", "account": "erin"})
    problem(w.client.post("/v1/imports", headers=w.headers["platform"], json={"sanctions": [theirs]}), 404)
    assert counts(w) == before


def test_an_import_repeated_with_its_idempotency_key_is_recorded_once(world: World) -> None:
    w = world
    h = {**w.headers["platform"], "Idempotency-Key": "import-2023-03"}
    first = w.client.post("/v1/imports", headers=h, json={"sanctions": [row("frank")]})
    after = counts(w)
    again = w.client.post("/v1/imports", headers=h, json={"sanctions": [row("frank")]})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and counts(w) == after


def test_an_import_is_recorded_now_and_the_log_stays_in_order(world: World) -> None:
    """Backdated by nature: its sanctions start in 2023, and are recorded at the API's instant."""
    w = world
    w.clock.advance(timedelta(minutes=1))
    assert w.client.post("/v1/imports", headers=w.headers["platform"], json={"sanctions": [row("gina")]}).status_code
    with w.db.read() as conn:
        last = conn.execute(select(tables.events.c.at).order_by(tables.events.c.seq.desc()).limit(1)).scalar_one()
    assert last == "2024-06-01T12:01:00Z"
