"""Notices in the console (issue 26 item 6): the list (open and decided tabs, oldest first, by
category and platform, a page at a time from the store's cursor, never a notifier's name or
e-mail), and a case's page (the history of its item or account, each notice; the notifiers' names
and e-mails for moderators only, their reading recorded in the access log). Roles and tenancy as
for the other pages; bad input is a 4xx page, never a 500. Over HTTP without a browser, on SQLite
and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import test_console_content as console_support
from api_support import Clock
from fastapi.testclient import TestClient

from reprieve.services import access_log, notices
from reprieve.services.callers import Caller
from reprieve.store.db import Database
from reprieve.web.views import notices as notice_views

# The console's fixtures and helpers of the content pages' tests: two operators, their members.
console, quick_hashing = console_support.console, console_support.quick_hashing
decide_directly, sign_in = console_support.decide_directly, console_support.sign_in

NAME = "Camille Notifier-Unique"
EMAIL = "camille.notifier@example.org"
EXPLANATION = "This post threatens my neighbour by name."
LOCATION = "https://facebook.example/posts/console-4711"
LAW = "Article 222-17 of the French Penal Code (threats)"
THREATS = "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"
SCOPE = "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"


def receive(db: Database, clock: Clock, platform: str = "facebook", **overrides: Any) -> notices.NoticeView:
    fields: dict[str, Any] = {
        "platform": platform,
        "about": {"item": "post-1"},
        "location": LOCATION,
        "explanation": EXPLANATION,
        "category": THREATS,
        "illegal": True,
        "legal_ground": LAW,
        "notifier": {"kind": "individual", "name": NAME, "email": EMAIL},
        "bona_fide": True,
        "channel": "api",
    }
    fields.update(overrides)
    view = notices.receive_notice(db, notices.ReceiveNotice.parse(**fields), caller=Caller("test", now=clock.now))
    clock.advance(timedelta(minutes=1))
    return view


def rows(page: str) -> list[str]:
    """The notices' ids in the list, in its order."""
    return re.findall(r'<tr data-href="[^"]*" id="row-([^"]+)"', page)


def test_the_list_is_oldest_first_filtered_and_holds_no_notifier(
    console: TestClient, db: Database, clock: Clock
) -> None:
    first = receive(db, clock)
    second = receive(db, clock, about={"account": "author-1"}, category=SCOPE, illegal=False, legal_ground=None)
    same_case = receive(db, clock, channel="email")
    receive(db, clock, "twitter")  # another operator's
    sign_in(console, "moderator@meta.example")

    page = console.get("/console/notices")
    assert page.status_code == 200
    assert rows(page.text) == [first.id, second.id, same_case.id]
    assert 'id="tab-open" href="/console/notices?state=open" aria-current="page"' in page.text
    assert f'href="/console/cases/{first.case}"' in page.text and f">{second.case}<" in page.text
    assert 'href="/console/platforms/facebook/items/post-1"' in page.text
    assert 'href="/console/accounts/facebook/author-1"' in page.text
    assert "illegal content" in page.text and "a breach of the terms" in page.text and "<td>e-mail</td>" in page.text
    for secret in (NAME, EMAIL, EXPLANATION, LOCATION, LAW):
        assert secret not in page.text
    # The nav links to it.
    assert 'href="/console/notices"' in console.get("/console").text

    assert rows(console.get("/console/notices", params={"category": SCOPE}).text) == [second.id]
    assert rows(console.get("/console/notices", params={"platform": "facebook", "category": THREATS}).text) == [
        first.id,
        same_case.id,
    ]
    assert rows(console.get("/console/notices", params={"platform": "twitter"}).text) == []
    decided = console.get("/console/notices", params={"state": "decided"})
    assert rows(decided.text) == [] and "Nothing here." in decided.text


def test_the_list_pages_with_the_stores_cursor(
    console: TestClient,
    db: Database,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(notice_views, "PAGE_SIZE", 2)
    received = [receive(db, clock, about={"item": f"post-{i}"}).id for i in range(5)]
    sign_in(console, "moderator@meta.example")
    seen: list[str] = []
    path: str | None = "/console/notices?category=" + THREATS
    while path:
        page = console.get(path.replace("&amp;", "&"))
        assert page.status_code == 200
        seen += rows(page.text)
        found = re.search(r'<a href="([^"]+)" rel="next"', page.text)
        path = found.group(1) if found else None
        assert path is None or f"category={THREATS}" in path  # the filters stay on the next page
    assert seen == received


def test_a_moderator_reads_a_case_with_its_notifiers_and_the_reading_is_logged(
    console: TestClient,
    db: Database,
    clock: Clock,
) -> None:
    decide_directly(db, clock, "facebook", "post-1", "author-1")
    first = receive(db, clock)
    second = receive(
        db,
        clock,
        category="STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
        notifier={"kind": "individual"},
        legal_ground="Art. 227-23 Code pénal",
    )
    assert second.case == first.case
    sign_in(console, "moderator@meta.example")
    page = console.get(f"/console/cases/{first.case}")
    assert page.status_code == 200, page.text
    text = page.text
    assert f"Case {first.case}" in text and f'id="notice-{first.id}"' in text and f'id="notice-{second.id}"' in text
    assert text.index(f'id="notice-{first.id}"') < text.index(f'id="notice-{second.id}"')  # oldest first
    for shown in (NAME, EMAIL, EXPLANATION, LOCATION, LAW, "Art. 227-23 Code pénal", "not given (art. 16(2)(c))"):
        assert shown in text.replace("&lt;", "<").replace("&gt;", ">").replace("&#39;", "'"), shown
    # The item's history: the content decision on it, linked to the item's page.
    assert 'href="/console/platforms/facebook/items/post-1"' in text and "The item&#39;s history" in text
    assert "Decision on content" in text and "Praise of an ongoing attack" in text
    # The e-mail shown is recorded (the notifier without one is not).
    logged = access_log.entries(db, appeal_id=first.id)
    assert [(e.via, e.fields, e.operator) for e in logged] == [("console", ("email",), "meta")]
    assert access_log.entries(db, appeal_id=second.id) == []


def test_a_reviewer_reads_a_case_without_the_notifiers_and_nothing_is_logged(
    console: TestClient,
    db: Database,
    clock: Clock,
) -> None:
    notice = receive(db, clock)
    sign_in(console, "reviewer@meta.example")
    page = console.get(f"/console/cases/{notice.case}")
    assert page.status_code == 200
    assert EXPLANATION in page.text and 'id="contact-hidden"' in page.text
    assert NAME not in page.text and EMAIL not in page.text
    assert access_log.entries(db, appeal_id=notice.id) == []
    assert rows(console.get("/console/notices").text) == [notice.id]


def test_an_account_case_shows_the_accounts_history(console: TestClient, db: Database, clock: Clock) -> None:
    decide_directly(db, clock, "facebook", "post-7", "author-1")
    notice = receive(db, clock, about={"account": "author-1"})
    sign_in(console, "moderator@meta.example")
    page = console.get(f"/console/cases/{notice.case}").text
    assert "The account&#39;s history" in page and 'id="case-subject"' in page
    assert 'href="/console/accounts/facebook/author-1"' in page
    # the decision on the item it authored
    assert 'href="/console/platforms/facebook/items/post-7"' in page


def test_other_operators_and_bad_input_are_4xx_never_a_500(console: TestClient, db: Database, clock: Clock) -> None:
    notice = receive(db, clock)
    assert console.get("/console/notices", follow_redirects=False).status_code == 303  # not signed in
    sign_in(console, "moderator@x.example")
    assert console.get(f"/console/cases/{notice.case}").status_code == 404
    assert rows(console.get("/console/notices").text) == []
    for params in (
        {"category": "STATEMENT_CATEGORY_NOPE"},
        {"state": "assigned-to-me"},
        {"platform": "Not A Slug"},
        {"cursor": "bm90LWEtY3Vyc29y"},
        {"cursor": "%%%"},
    ):
        answer = console.get("/console/notices", params=params)
        assert 400 <= answer.status_code < 500, (params, answer.status_code)
    assert console.get("/console/cases/cas_missing").status_code == 404
    assert console.get("/console/cases/" + "x" * 65).status_code in (400, 404, 422)
