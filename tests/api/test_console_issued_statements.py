"""The console's sanction page lists the statements of reasons issued, with their dates, each
linked to its page exactly as issued (issue 23 item 1), in English and French; another operator's
statement does not exist. On SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from api_support import Clock
from fastapi.testclient import TestClient
from test_console_web import console, impose, quick_hashing, sign_in  # noqa: F401 (fixtures)

from reprieve.services import statements
from reprieve.services.callers import Caller
from reprieve.store.db import Database


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
