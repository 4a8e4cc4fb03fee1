"""``POST /v1/imports`` with ``content_decisions`` (issue 24): history of decisions on content, each
row with when its user was informed and the platform's own statement, recorded instead of issuing
one. All rows or none; a row refused is named. On SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import World, reason
from sqlalchemy import func, select

from reprieve.domain.model import Role
from reprieve.services.content_import import MAX_IMPORT_ROWS
from reprieve.store import tables

SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def row(item: str, author: str = "alice", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "item": {
            "platform": "facebook",
            "item": item,
            "account": author,
            "content_type": ["CONTENT_TYPE_TEXT"],
            "content_date": "2023-02-27",
        },
        "kind": "removal",
        "starts_at": "2023-03-01T09:00:00Z",
        "reason": reason(),
        "informed_at": "2023-03-01T09:05:00Z",
    }
    body.update(overrides)
    return body


def counts(w: World) -> tuple[int, int, int]:
    """(events, content decisions, evidence rows): an import refused changes none."""
    with w.db.read() as conn:
        return tuple(  # type: ignore[return-value]
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (tables.events, tables.content_decisions, tables.content_evidence)
        )


def problem(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return str(response.json())


@pytest.mark.parametrize("role", ["platform", "admin"])
def test_content_history_is_imported_with_when_each_user_was_informed(world: World, role: str) -> None:
    w = world
    statement = {"reference": "tdb:example-0001", "issued_at": "2023-03-01T09:00:00Z"}
    evidence = {"reference": "snapshots/0001", "sha256": SHA}
    body = {
        "content_decisions": [
            row("1000000000000000001", statement=statement, evidence=evidence),
            row("1000000000000000002", "bob", kind="disabling", territorial_scope=["DE"]),
        ]
    }
    done = w.client.post("/v1/imports", headers=w.headers[role], json=body)
    assert done.status_code == 201, done.text
    assert done.json() == {"imported": 2}

    found = w.client.get("/v1/content-decisions", headers=w.headers["auditor"], params={"platform": "facebook"})
    first, second = found.json()["items"]
    assert first["imported"] == {"informed_at": "2023-03-01T09:05:00Z", "statement": statement}
    assert (first["kind"], first["state"], first["starts_at"]) == ("removal", "active", "2023-03-01T09:00:00Z")
    assert second["territorial_scope"] == ["DE"] and second["item"]["account"] == "bob"
    one = w.client.get(f"/v1/content-decisions/{first['id']}", headers=w.headers["auditor"]).json()
    assert one["evidence"]["reference"] == "snapshots/0001" and one["evidence"]["sha256"] == SHA
    # Imported history issues no statement of reasons: the platform issued its own.
    with w.db.read() as conn:
        issued = conn.execute(select(func.count()).select_from(tables.issued_documents)).scalar_one()
        data = list(
            conn.execute(select(tables.events.c.data).where(tables.events.c.type == "content.decided")).scalars()
        )
    assert issued == 0
    # When its user was informed is in the chained event; the evidence never is.
    assert ['"informed_at":"2023-03-01T09:05:00Z"' in d for d in data] == [True, True]
    assert not any(SHA in d or "snapshots/0001" in d for d in data)


def test_a_bad_row_is_refused_naming_it_and_nothing_is_imported(world: World) -> None:
    w, h = world, world.headers["platform"]
    w.client.post("/v1/imports", headers=h, json={"content_decisions": [row("1000000000000000009", "first")]})
    before = counts(w)
    good = row("1000000000000000010", evidence={"reference": "snapshots/0010", "sha256": SHA})
    elsewhere = row("2")
    elsewhere["item"]["platform"] = "twitter"
    for bad, status, said in (
        (
            row("2", informed_at="2023-02-28T00:00:00Z"),
            422,
            "content decision #2: informed_at: lies before the decision",
        ),
        (row("2", informed_at="2030-01-01T00:00:00Z"), 422, "content decision #2: informed_at: lies in the future"),
        ({k: v for k, v in row("2").items() if k != "informed_at"}, 422, "content decision #2: informed_at: required"),
        (row("2", kind="other"), 422, "content decision #2: kind_other"),
        (row("2", territorial_scope=["US"]), 422, "content decision #2"),
        (row("2", strike=True), 422, "content decision #2: strike: an imported decision counts as no strike"),
        (row("1000000000000000009", "someone-else"), 409, "content decision #2: item facebook/1000000000000000009"),
        (row("1000000000000000010", "someone-else"), 409, "not 'someone-else'"),  # the same batch's first author
        (elsewhere, 404, "twitter"),  # another operator's platform
    ):
        answer = w.client.post("/v1/imports", headers=h, json={"content_decisions": [good, bad]})
        assert said in problem(answer, status)
    assert counts(w) == before


def test_one_kind_of_history_per_import_and_bounded(world: World) -> None:
    w, h = world, world.headers["platform"]
    before = counts(w)
    both = {"content_decisions": [row("1")], "sanctions": []}
    problem(w.client.post("/v1/imports", headers=h, json=both), 422)
    problem(w.client.post("/v1/imports", headers=h, json={}), 422)
    problem(w.client.post("/v1/imports", headers=h, json={"content_decisions": []}), 422)
    many = {"content_decisions": [row(str(n)) for n in range(MAX_IMPORT_ROWS + 1)]}
    assert w.client.post("/v1/imports", headers=h, json=many).status_code in (413, 422)
    assert counts(w) == before


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.REVIEWER, Role.AUDITOR])
def test_only_platform_tokens_and_admins_import_content(world: World, role: Role) -> None:
    w = world
    before = counts(w)
    answer = w.client.post("/v1/imports", headers=w.headers[role.value], json={"content_decisions": [row("7")]})
    problem(answer, 403)
    assert counts(w) == before


def test_informed_at_start_and_idempotency(world: World) -> None:
    w = world
    h = {**w.headers["platform"], "Idempotency-Key": "content-import-1"}
    plain = {k: v for k, v in row("8").items() if k != "informed_at"}
    body = {"content_decisions": [plain], "informed_at_start": True}
    first = w.client.post("/v1/imports", headers=h, json=body)
    after = counts(w)
    again = w.client.post("/v1/imports", headers=h, json=body)
    assert (first.status_code, again.status_code) == (201, 201) and counts(w) == after
    (decision,) = w.client.get("/v1/content-decisions", headers=h, params={"item": "8", "platform": "facebook"}).json()[
        "items"
    ]
    assert decision["imported"] == {"informed_at": "2023-03-01T09:00:00Z", "statement": None}


def test_an_item_keeps_its_first_description(world: World) -> None:
    """A later decision (decided or imported) naming the item with another content type or date is
    about the item as first recorded: its reason and its answer say so."""
    w = world
    first = row("1000000000000000077")
    assert w.client.post("/v1/imports", headers=w.headers["platform"], json={"content_decisions": [first]}).status_code
    later = {k: v for k, v in row("1000000000000000077").items() if k not in ("informed_at", "starts_at")}
    later["item"] = {**later["item"], "content_type": ["CONTENT_TYPE_VIDEO"], "content_date": "2020-01-01"}
    later["kind"] = "label"
    answer = w.client.post("/v1/content-decisions", headers=w.headers["moderator"], json=later)
    assert answer.status_code == 201, answer.text
    decided = answer.json()
    assert decided["item"]["content_type"] == ["CONTENT_TYPE_TEXT"] and decided["item"]["content_date"] == "2023-02-27"
    assert decided["reason"]["content_type"] == ["CONTENT_TYPE_TEXT"]
    assert decided["reason"]["content_date"] == "2023-02-27"
    again = w.client.get(f"/v1/content-decisions/{decided['id']}", headers=w.headers["auditor"]).json()
    assert again["reason"] == decided["reason"] and again["item"] == decided["item"]
