"""Issue 21: who acted is named in the log by id only. A member and a token with distinctive names
act through the API, the console and the command line; no event written since carries their
names (in its envelope or its payload), and the readers (``GET /v1/events``, the audit page)
still show who acted by name, resolved from the members and tokens tables."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from e2e.cli_support import Cli
from reprieve.api.app import create_app
from reprieve.domain.filters import EventFilter
from reprieve.services import audit, members
from reprieve.store import tables
from reprieve.store.db import open_database

PASSWORD = "correct horse battery"
MEMBER = "Zebulon Quaintree"
TOKEN = "Quaintree Moderation Bot"
REASON = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "policy": "Fraud",
    "explanation": "Sold fake tickets",
}


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(members, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    members._dummy_hash.cache_clear()


def csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


def sign_in(client: TestClient, email: str) -> None:
    answer = client.post(
        "/console/sign-in",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf(client, "/console/sign-in")},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def test_no_new_event_names_a_member_or_a_token_and_readers_still_see_names(
    database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(database_url, capsys)
    cli.ok("operator", "create", "meta", "--name", "Meta")
    cli.ok("platform", "create", "facebook", "--operator", "meta", "--name", "Facebook")

    def member(email: str, name: str, role: str) -> dict[str, Any]:
        monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
        created: dict[str, Any] = cli.json(
            "member",
            "create",
            "--email",
            email,
            "--name",
            name,
            "--role",
            role,
            "--operator",
            "meta",
            "--password-stdin",
        )
        return created

    moderator = member("zq@meta.example", MEMBER, "moderator")
    member("audit@meta.example", "Audrey", "auditor")
    token = cli.json("token", "create", "--role", "moderator", "--operator", "meta", "--name", TOKEN)
    auditor = cli.json("token", "create", "--role", "auditor", "--operator", "meta", "--name", "auditing")
    before = cli.events()

    db = open_database(database_url)
    try:
        client = TestClient(create_app(db, group_commit=False))
        bearer = {"Authorization": f"Bearer {token['token']}"}
        # the API: the token imposes, opens a review with both on the panel (by id), assesses
        imposed = client.post(
            "/v1/sanctions",
            json={"subject": {"platform": "facebook", "account": "carol"}, "kind": "warning", "reason": REASON},
            headers=bearer,
        )
        assert imposed.status_code == 201, imposed.text
        review = client.post(
            f"/v1/sanctions/{imposed.json()['id']}/reviews",
            json={"panel": [token["id"], moderator["id"]], "reason": "Has the risk receded?"},
            headers=bearer,
        ).json()
        assessment = {"risk": "low", "factors": ["election_period"], "rationale": "Calm."}
        answer = client.post(f"/v1/reviews/{review['id']}/assessments", json=assessment, headers=bearer)
        assert answer.status_code == 201, answer.text
        # the command line: the member assesses from their seat, named by their id
        cli.ok("review", "assess", review["id"], "--reviewer", moderator["id"], "--risk", "low", "--rationale", "Ok")
        decided = client.post(
            f"/v1/reviews/{review['id']}/decision", json={"outcome": "uphold", "rationale": "Keep"}, headers=bearer
        )
        assert decided.status_code == 200, decided.text
        cli.ok(
            "sanction",
            "create",
            "facebook/dave",
            "--kind",
            "warning",
            "--explanation",
            "Spam",
            "--policy",
            "Spam",
            "--category",
            REASON["category"],
        )

        # the console: the member imposes
        console = TestClient(client.app)
        sign_in(console, "zq@meta.example")
        form = {
            "csrf_token": csrf(console, "/console"),
            "confirm": "yes",
            "subject": "facebook/erin",
            "kind": "warning",
            "scope": "facebook",
            "facts": "Forty reports",
            "content_type": "CONTENT_TYPE_TEXT",
            "content_date": "2024-05-01",
            **REASON,
        }
        assert console.post("/console/sanctions", data=form, follow_redirects=False).status_code == 303

        with db.read() as conn:
            rows = conn.execute(select(tables.events).where(tables.events.c.seq > before)).mappings().all()
        actors = {r["actor"] for r in rows}
        assert actors >= {f"token:{token['id']}", f"member:{moderator['id']}", f"cli:member:{moderator['id']}", "cli"}
        for row in rows:
            text = " ".join(str(v) for v in row.values())
            assert "Quaintree" not in text, row  # neither the member's name nor the token's

        # GET /v1/events names who acted, beside the id
        events = client.get(
            "/v1/events",
            params={"after": before, "limit": 1000},
            headers={"Authorization": f"Bearer {auditor['token']}"},
        ).json()["items"]
        named = {e["actor"]: e["actor_name"] for e in events}
        assert named[f"token:{token['id']}"] == TOKEN
        assert named[f"member:{moderator['id']}"] == MEMBER
        assert named[f"cli:member:{moderator['id']}"] == f"cli:{MEMBER}"
        assert named["cli"] == "cli"

        # the audit page too
        auditing = TestClient(client.app)
        sign_in(auditing, "audit@meta.example")
        page = auditing.get("/console/audit").text
        assert MEMBER in page and TOKEN in page
        # and its filter finds who acted by a part of their name
        found = audit.search_events(db, EventFilter(actor="zebulon")).items
        assert found and {e.actor for e in found} == {f"member:{moderator['id']}", f"cli:member:{moderator['id']}"}
        # the console names who decided the review, by name
        assert TOKEN in console.get(f"/console/reviews/{review['id']}").text
    finally:
        db.dispose()
