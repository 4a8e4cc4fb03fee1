"""The console's sanction page lists the statements of reasons issued, with their dates, each
linked to its page exactly as issued (issue 23 item 1), in English and French; another operator's
statement does not exist. On SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import timedelta

from api_support import Clock
from fastapi.testclient import TestClient
from test_console_web import console, impose, quick_hashing, sign_in  # noqa: F401 (fixtures)

from reprieve.services import appeals, catalogue, content, content_statements, statements
from reprieve.services.callers import Caller
from reprieve.store.db import Database

#: A removal's reason (any operator's policy takes it).
REASON = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_VIOLENCE",
    "policy": "Violence and Incitement",
    "explanation": "Praise of an ongoing attack.",
}


def test_the_sanction_page_lists_the_statements_issued_and_links_each_as_issued(
    console: TestClient,  # noqa: F811
    db: Database,
    clock: Clock,
) -> None:
    sanction_id = impose(db, clock, "facebook/zoe")
    (issued,) = statements.statements_of(db, sanction_id, caller=Caller("test"))
    sign_in(console, "auditor@meta.example")
    page = console.get(f"/console/sanctions/{sanction_id}")
    assert page.status_code == 200
    link = f"/console/sanctions/{sanction_id}/statements/{issued.id}"
    assert "Statements of reasons issued" in page.text and link in page.text
    assert issued.issued_at.strftime("%Y-%m-%d %H:%M UTC") in page.text
    assert "a preview, rebuilt from what is known today" in page.text.lower()
    french = console.get(f"/console/sanctions/{sanction_id}?lang=fr")
    assert "Exposés des motifs établis" in french.text and link in french.text

    first = console.get(link)  # the page is made from the JSON as issued when first asked for, then kept
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/html")
    kept = statements.rendered_statement(db, issued.id, caller=Caller("test", now=clock()))
    assert hashlib.sha256(first.content).hexdigest() == kept.page_sha256

    clock.advance(timedelta(days=400))
    sign_in(console, "auditor@meta.example")  # the session has long expired
    shown = console.get(link)
    assert shown.status_code == 200 and shown.content == first.content

    other = TestClient(console.app)
    sign_in(other, "moderator@x.example")
    assert other.get(link).status_code == 404


def test_a_granted_complaints_restoration_and_lift_show_their_statements_on_the_item_and_sanction_pages(
    console: TestClient,  # noqa: F811
    db: Database,
    clock: Clock,
) -> None:
    """Issue 25: the restoration of an item by a granted complaint and the lift of the sanction its
    strike caused are listed with the statements issued (the ``issued_statements`` macro), each
    linked to its page as issued, which says why, naming the complaint."""
    # A platform with Meta's shipped policy: its ladder imposes a sanction from strikes on content.
    catalogue.create_platform(
        db,
        catalogue.CreatePlatform.parse(id="threads", operator="meta", name="Threads", policy="meta"),
        caller=Caller("setup", now=clock.now),
    )
    # Removals of one author's items until the ladder imposes a sanction for a strike.
    for n in range(5):
        decided = content.decide_content(
            db,
            content.DecideContent.parse(
                item={
                    "platform": "threads",
                    "item": f"100000000000000007{n}",
                    "account": "complainant",
                    "content_type": ["CONTENT_TYPE_TEXT"],
                    "content_date": "2026-01-01",
                },
                kind="removal",
                reason=dict(REASON),
                strike=True,
            ),
            caller=Caller("test", now=clock.now),
        )
        assert decided.strike_record is not None
        if decided.strike_record.sanction is not None:
            break
        clock.advance(timedelta(minutes=1))
    sanction_id = decided.strike_record.sanction
    assert sanction_id is not None
    item_page = f"/console/platforms/threads/items/{decided.item.item}"
    clock.advance(timedelta(hours=1))
    filed = appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=None,
            content_decision_id=decided.id,
            kind="complaint",
            filed_by={"name": "Ada Author", "email": "ada@example.org"},
            statement="The post quotes the attack to condemn it.",
            channel="email",
        ),
        caller=Caller("test", now=clock.now),
    )
    clock.advance(timedelta(hours=1))
    appeals.decide_appeal(
        db,
        filed.id,
        appeals.DecideAppeal.parse(outcome="granted", rationale="It condemns the attack.", reply="Put back."),
        caller=Caller("test", now=clock.now),
    )
    restoration = content_statements.statements_of(db, decided.id, caller=Caller("test"))[-1]
    lift = statements.statements_of(db, sanction_id, caller=Caller("test"))[-1]
    sign_in(console, "auditor@meta.example")
    for base, issued in (
        (item_page, restoration),
        (f"/console/sanctions/{sanction_id}", lift),
    ):
        page = console.get(base)
        assert page.status_code == 200 and f'id="issued-{issued.id}"' in page.text, base
        found = re.search(rf'href="([^"]*/statements/{issued.id})"', page.text)
        assert found, page.text
        shown = console.get(found.group(1))
        assert shown.status_code == 200 and "text/html" in shown.headers["content-type"]
        assert f"Complaint {filed.id}" in html.unescape(shown.text) and "It condemns the attack." in shown.text
