"""Decisions on content in the console (issue 25, item 4): an item's page, the content decisions on
the account page and in their list, deciding and restoring through the forms; roles and tenancy as
for sanctions (moderators decide, the others read, another operator's items are 404), and bad input
answered with the form again as typed and a clear message, never a 500. Over HTTP without a
browser, on SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from api_support import Clock
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from reprieve.api.app import create_app
from reprieve.services import catalogue, content, members
from reprieve.services.callers import Caller
from reprieve.services.evidence import forget_expired_evidence
from reprieve.store import tables
from reprieve.store.db import Database

PASSWORD = "correct horse battery"
SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
REASON: dict[str, Any] = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "policy": "Violent extremism",
    "explanation": "Praise of an ongoing attack",
    "facts": "The video praises the attack of 6 January.",
}


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(members, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    members._dummy_hash.cache_clear()


@pytest.fixture
def console(db: Database, clock: Clock) -> TestClient:
    """Operators meta (facebook) and x (twitter), a moderator and a reviewer of meta, a moderator of x."""
    for op, platform in (("meta", "facebook"), ("x", "twitter")):
        catalogue.create_operator(
            db, catalogue.CreateOperator.parse(id=op, name=op), caller=Caller("test", now=clock.now)
        )
        catalogue.create_platform(
            db,
            catalogue.CreatePlatform.parse(id=platform, operator=op, name=platform.title()),
            caller=Caller("test", now=clock.now),
        )
    for email, role, op in (
        ("moderator@meta.example", "moderator", "meta"),
        ("reviewer@meta.example", "reviewer", "meta"),
        ("moderator@x.example", "moderator", "x"),
    ):
        members.create_member(
            db,
            members.CreateMember.parse(email=email, name=role.title(), role=role, operator=op, password=PASSWORD),
            caller=Caller("test", now=clock.now),
        )
    return TestClient(create_app(db, clock=clock, group_commit=False))


def csrf(client: TestClient, path: str = "/console") -> str:
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


def decide_form(client: TestClient, **change: Any) -> dict[str, Any]:
    """The decide form as the account page of facebook/channel-a sends it, filled in."""
    return {
        "csrf_token": csrf(client),
        "confirm": "yes",
        "back": "/console/accounts/facebook/channel-a",
        "platform": "facebook",
        "account": "channel-a",
        "item": "1000000000000000042",
        "content_type": "CONTENT_TYPE_VIDEO",
        "content_date": "2021-01-06",
        "language": "en",
        "kind": "removal",
        "term": "indefinite",
        "automated_decision": "not_automated",
        "evidence_reference": "snapshots/1000000000000000042",
        "evidence_sha256": SHA256,
        **REASON,
        **change,
    }


def count(db: Database, table: Any) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def error_summary(page: str) -> list[str]:
    found = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert found, page[:2000]
    return [html.unescape(m) for m in re.findall(r"<li>(?:<a [^>]*>)?(.*?)(?:</a>)?</li>", found.group(0))]


def decide_directly(db: Database, clock: Clock, platform: str, item: str, author: str) -> str:
    command = content.DecideContent.parse(
        item={
            "platform": platform,
            "item": item,
            "account": author,
            "content_type": ["CONTENT_TYPE_TEXT"],
            "content_date": "2026-01-01",
        },
        kind="label",
        territorial_scope=["DE"],
        reason=REASON,
    )
    return content.decide_content(db, command, caller=Caller("test", now=clock.now)).id


def test_a_moderator_decides_from_the_account_page_sees_the_item_page_and_restores_it(
    console: TestClient, db: Database, clock: Clock
) -> None:
    sign_in(console, "moderator@meta.example")
    account_page = console.get("/console/accounts/facebook/channel-a").text
    assert 'id="decide-form"' in account_page and "No decision on items this account authored." in account_page
    answer = console.post("/console/content-decisions", data=decide_form(console, strike="yes"), follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/platforms/facebook/items/1000000000000000042?done=content_decided"
    page = console.get(answer.headers["location"]).text
    assert "The decision on the item is recorded." in page
    # the item: its author linked to the account's page with the author's status, its facts
    assert '<a href="/console/accounts/facebook/channel-a">facebook/channel-a</a>' in page
    assert "status-good" in page and "video" in page and "2021-01-06" in page
    # its visibility now, and the decision: kind, scope, term, state, reason, evidence, history
    assert "item-status-removed" in page and "state-active" in page
    assert "Praise of an ongoing attack" in page and "everywhere" in page
    assert "snapshots/1000000000000000042" in page and SHA256 in page
    assert "Decision on content" in page and "by Moderator" in page
    (decision,) = content.list_content_decisions(db, content.ListContent(), at=clock.now).items
    assert decision.strike and decision.evidence is not None
    # its statement, linked to its page as issued
    found = re.search(rf'href="(/console/content-decisions/{decision.id}/statements/[^"]+)"', page)
    assert found, page
    statement = console.get(found.group(1))
    assert statement.status_code == 200 and "text/html" in statement.headers["content-type"]
    assert decision.id in statement.text
    # the account page and the list show it, with a link to the item's page
    item_link = 'href="/console/platforms/facebook/items/1000000000000000042"'
    assert item_link in console.get("/console/accounts/facebook/channel-a").text
    listed = console.get("/console/content-decisions?platform=facebook&kind=removal&state=active&account=").text
    assert decision.id in listed and item_link in listed
    assert decision.id not in console.get("/console/content-decisions?kind=label").text
    assert decision.id not in console.get("/console/content-decisions?state=restored").text
    assert (
        console.get(f"/console/content-decisions/{decision.id}", follow_redirects=False)
        .headers["location"]
        .startswith("/console/platforms/facebook/items/1000000000000000042")
    )

    clock.advance(timedelta(hours=1))
    refused = console.post(
        f"/console/content-decisions/{decision.id}/restore",
        data={"csrf_token": csrf(console), "confirm": "yes", "version": str(decision.version), "reason": ""},
    )
    assert refused.status_code == 400 and any("Reason" in e for e in error_summary(refused.text))
    restored = console.post(
        f"/console/content-decisions/{decision.id}/restore",
        data={
            "csrf_token": csrf(console),
            "confirm": "yes",
            "version": str(decision.version),
            "reason": "Granted on review: news reporting, not praise",
        },
        follow_redirects=False,
    )
    assert restored.status_code == 303 and restored.headers["location"].endswith("done=content_restored")
    page = console.get(restored.headers["location"]).text
    assert "The item is restored." in page and "state-restored" in page and "item-status-visible" in page
    assert "Item restored" in page and "Granted on review: news reporting, not praise" in page
    assert f'id="{decision.id}-restore-action"' not in page  # nothing left to restore
    # as it stood before the restoration: removed, and no action offered at an earlier instant
    earlier = console.get(
        "/console/platforms/facebook/items/1000000000000000042?at="
        + (clock.now - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    ).text
    assert "item-status-removed" in earlier and 'id="decide-form"' not in earlier


def test_a_restore_sent_after_the_decision_changed_is_refused_and_shows_it_as_it_is(
    console: TestClient, db: Database, clock: Clock
) -> None:
    sign_in(console, "moderator@meta.example")
    decision_id = decide_directly(db, clock, "facebook", "post-1", "channel-a")
    form = {"csrf_token": csrf(console), "confirm": "yes", "version": "0", "reason": "Typed before the change"}
    answer = console.post(f"/console/content-decisions/{decision_id}/restore", data=form)
    assert answer.status_code == 412 and 'id="changed-since"' in answer.text
    assert "Typed before the change" in answer.text  # what was typed is kept
    assert count(db, tables.events) > 0 and "state-active" in answer.text


def test_the_evidence_shows_forgotten_once_the_worker_dropped_it(
    console: TestClient, db: Database, clock: Clock
) -> None:
    sign_in(console, "moderator@meta.example")
    console.post("/console/content-decisions", data=decide_form(console), follow_redirects=False)
    assert forget_expired_evidence(db, now=clock.now + timedelta(days=400)) == 1
    page = console.get("/console/platforms/facebook/items/1000000000000000042").text
    assert SHA256 not in page and "snapshots/1000000000000000042" not in page
    assert "forgotten on" in page


@pytest.mark.parametrize("email", ["reviewer@meta.example"])
def test_a_member_who_is_not_a_moderator_reads_but_may_not_decide_nor_restore(
    console: TestClient, db: Database, clock: Clock, email: str
) -> None:
    decision_id = decide_directly(db, clock, "facebook", "post-1", "channel-a")
    sign_in(console, email)
    page = console.get("/console/platforms/facebook/items/post-1")
    assert page.status_code == 200 and decision_id in page.text
    assert 'id="decide-form"' not in page.text and "-restore-action" not in page.text
    before = count(db, tables.events)
    decided = console.post("/console/content-decisions", data=decide_form(console))
    restored = console.post(
        f"/console/content-decisions/{decision_id}/restore",
        data={"csrf_token": csrf(console), "confirm": "yes", "reason": "Not mine to restore"},
    )
    assert decided.status_code == 403 and restored.status_code == 403
    assert decided.headers["content-type"].startswith("text/html")
    assert count(db, tables.events) == before


def test_another_operators_item_and_decision_are_not_found(console: TestClient, db: Database, clock: Clock) -> None:
    decision_id = decide_directly(db, clock, "twitter", "tweet-1", "someone")
    sign_in(console, "moderator@meta.example")
    assert console.get("/console/platforms/twitter/items/tweet-1").status_code == 404
    assert console.get(f"/console/content-decisions/{decision_id}").status_code == 404
    before = count(db, tables.events)
    restored = console.post(
        f"/console/content-decisions/{decision_id}/restore",
        data={"csrf_token": csrf(console), "confirm": "yes", "reason": "Not ours"},
    )
    decided = console.post(
        "/console/content-decisions",
        data=decide_form(console, platform="twitter", back="/console/accounts/twitter/someone", item="tweet-1"),
    )
    assert restored.status_code == 404 and decided.status_code == 404
    assert decision_id not in console.get("/console/content-decisions").text
    assert count(db, tables.events) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"item": ""}, "Item: required"),
        ({"content_type": ""}, "Type of content: required"),
        ({"evidence_sha256": "not-a-digest"}, "Evidence: the snapshot's SHA-256: must be the snapshot's SHA-256"),
        ({"evidence_sha256": ""}, "Evidence: the snapshot's SHA-256: give the snapshot's reference and its SHA-256"),
        ({"kind": "other"}, "What the decision does:"),
        ({"kind": "erase"}, "Kind:"),
        ({"language": "English"}, "Language:"),
        ({"term": "other", "duration": "a while"}, "Duration:"),
        ({"confirm": ""}, "tick the confirmation box"),
    ],
)
def test_bad_input_shows_the_form_again_as_typed_with_a_clear_message(
    console: TestClient, db: Database, change: dict[str, str], message: str
) -> None:
    sign_in(console, "moderator@meta.example")
    answer = console.post("/console/content-decisions", data=decide_form(console, **change))
    assert answer.status_code == 400 and answer.headers["content-type"].startswith("text/html")
    assert any(message in error for error in error_summary(answer.text)), error_summary(answer.text)
    # the account page again, the form open and filled in as typed
    assert "<h1>facebook/channel-a" in answer.text and '<details class="action" id="decide-action" open>' in answer.text
    assert 'value="Violent extremism"' in answer.text and "Praise of an ongoing attack</textarea>" in answer.text
    assert count(db, tables.content_decisions) == 0


def test_an_item_keeps_its_author_the_form_says_so_on_the_item_page(
    console: TestClient, db: Database, clock: Clock
) -> None:
    decide_directly(db, clock, "facebook", "post-1", "channel-a")
    sign_in(console, "moderator@meta.example")
    form = decide_form(console, item="post-1", account="someone-else", back="/console/platforms/facebook/items/post-1")
    answer = console.post("/console/content-decisions", data=form)
    assert answer.status_code == 409
    assert any("first recorded with author 'channel-a'" in e for e in error_summary(answer.text))
    assert "<h1>Item post-1" in answer.text and count(db, tables.content_decisions) == 1


def test_the_list_takes_empty_filters_and_refuses_a_wrong_one(console: TestClient) -> None:
    sign_in(console, "moderator@meta.example")
    assert console.get("/console/content-decisions?platform=&kind=&state=&account=").status_code == 200
    for wrong in ("kind=erase", "state=lifted", "platform=Face%20book", "platform=x%2Ffacebook", "account=a%00b"):
        assert console.get(f"/console/content-decisions?{wrong}").status_code == 400, wrong
    assert console.get("/console/platforms/facebook/items/never-decided").status_code == 200
    assert console.get("/console/platforms/facebook/items/a%00b").status_code == 400
    nav = console.get("/console").text
    assert 'href="/console/content-decisions"' in nav
