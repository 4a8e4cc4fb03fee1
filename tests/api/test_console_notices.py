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


def test_a_case_shows_its_notices_a_page_at_a_time(
    console: TestClient,
    db: Database,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(notice_views, "CASE_PAGE_SIZE", 2)
    received = [receive(db, clock).id for _ in range(5)]
    case = notices.get_notice(db, received[0], caller=Caller("test", now=clock.now)).case
    sign_in(console, "moderator@meta.example")
    seen: list[str] = []
    path: str | None = f"/console/cases/{case}"
    while path:
        page = console.get(path.replace("&amp;", "&"))
        assert page.status_code == 200, page.text
        shown = re.findall(r'<section class="panel case-notice" id="notice-([^"]+)"', page.text)
        assert len(shown) <= 2
        seen += shown
        found = re.search(r'<a href="([^"]+)" rel="next" id="next-notices">([^<]+)</a>', page.text)
        if found:
            assert "(2 on this page, 5 in all)" in found.group(2)
        path = found.group(1) if found else None
    assert seen == received  # oldest first, each once
    # A cursor the page never gave is a 4xx page, never a 500.
    assert console.get(f"/console/cases/{case}?cursor=not%20a%20cursor").status_code == 400
    assert console.get(f"/console/cases/{case}?cursor=bm90LWEtcG9zaXRpb24").status_code in (400, 422)


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


# --- deciding a case in the console ----------------------------------------------------------


def case_form(client: TestClient, case: str, **change: Any) -> dict[str, Any]:
    """The case page's decide form, filled in for no action."""
    return {
        "csrf_token": console_support.csrf(client, f"/console/cases/{case}"),
        "confirm": "yes",
        "action": "no_action",
        "rationale": "The post quotes a song; it threatens nobody.",
        "reply": "We read the post you notified: it quotes a song and threatens nobody.",
        **change,
    }


def test_a_moderator_decides_no_action_with_a_reply_to_each_notifier(
    console: TestClient, db: Database, clock: Clock
) -> None:
    first, second = receive(db, clock), receive(db, clock, channel="email")
    sign_in(console, "moderator@meta.example")
    page = console.get(f"/console/cases/{first.case}").text
    assert 'id="case-form"' in page and f'name="replies.{second.id}"' in page
    assert '<option value="article_16" selected>' in page  # the decision made there: on a notice
    own = "You quoted the song's second verse; it names nobody."
    answer = console.post(
        f"/console/cases/{first.case}/decision",
        data=case_form(console, first.case, **{f"replies.{second.id}": own}),
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:3000]
    assert answer.headers["location"] == f"/console/cases/{first.case}?done=case_decided"
    page = console.get(answer.headers["location"]).text
    assert 'id="case-decided"' in page and "no action" in page and "threatens nobody" in page
    assert 'id="case-form"' not in page  # decided: no form
    first_reply = page[page.index(f'id="reply-{first.id}"') :][:3000]
    second_reply = page[page.index(f'id="reply-{second.id}"') :][:3000]
    assert "it quotes a song and threatens nobody" in first_reply and own.replace("'", "&#39;") in second_reply
    assert rows(console.get("/console/notices", params={"state": "decided"}).text) == [first.id, second.id]
    assert rows(console.get("/console/notices").text) == []
    # The service's own record, as the API reads it.
    case = notices.get_case(db, first.case, caller=Caller("test"))
    assert case.decision is not None and case.decision.action.value == "no_action"
    assert [n.reply.text for n in case.notices if n.reply] == [
        "We read the post you notified: it quotes a song and threatens nobody.",
        own,
    ]
    # Deciding again: 409, the page with the form's error, nothing changed.
    again = console.post(f"/console/cases/{first.case}/decision", data=case_form(console, first.case))
    assert again.status_code == 409 and "decided already" in again.text


def test_a_content_decision_made_from_the_case_page_with_a_disclosure(
    console: TestClient, db: Database, clock: Clock
) -> None:
    notice = receive(db, clock)
    sign_in(console, "moderator@meta.example")
    form = case_form(
        console,
        notice.case,
        action="content_decision",
        platform="facebook",  # the embedded form's hidden fields: the case's item
        item="post-1",
        back=f"/console/cases/{notice.case}",
        account="author-1",
        content_type="CONTENT_TYPE_TEXT",
        content_date="2026-01-01",
        kind="removal",
        term="indefinite",
        automated_decision="not_automated",
        **console_support.REASON,
        **{f"disclose.{notice.id}": "yes", f"disclosures.{notice.id}": "The threat is about the notifier's own home."},
    )
    answer = console.post(f"/console/cases/{notice.case}/decision", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text[:3000]
    case = notices.get_case(db, notice.case, caller=Caller("test"))
    assert case.decision is not None and case.decision.content_decision is not None
    assert case.notices[0].disclosed is True
    page = console.get(answer.headers["location"]).text
    assert f'href="/console/content-decisions/{case.decision.content_decision}"' in page
    assert "a decision on the content" in page and "is disclosed to the affected user" in page
    # the item's page shows the decision, made on a notice
    item = console.get("/console/platforms/facebook/items/post-1").text
    assert case.decision.content_decision in item


def test_an_account_case_decided_with_a_sanction_made_there(console: TestClient, db: Database, clock: Clock) -> None:
    notice = receive(db, clock, about={"account": "author-2"})
    sign_in(console, "moderator@meta.example")
    page = console.get(f"/console/cases/{notice.case}").text
    assert 'value="sanction"' in page and 'value="content_decision"' not in page
    form = case_form(
        console,
        notice.case,
        action="sanction",
        subject="facebook/author-2",
        kind="suspension",
        duration="P30D",
        scope="facebook",
        content_type="CONTENT_TYPE_TEXT",
        content_date="2026-01-01",
        **console_support.REASON,
    )
    answer = console.post(f"/console/cases/{notice.case}/decision", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text[:3000]
    case = notices.get_case(db, notice.case, caller=Caller("test"))
    assert case.decision is not None and case.decision.sanction is not None
    assert f'href="/console/sanctions/{case.decision.sanction}"' in console.get(answer.headers["location"]).text


def test_a_refused_decision_comes_back_as_typed_with_each_error_beside_its_field(
    console: TestClient, db: Database, clock: Clock
) -> None:
    notice = receive(db, clock)
    sign_in(console, "moderator@meta.example")
    # no rationale, no confirmation, a half referral: every error at once, what was typed kept
    form = case_form(console, notice.case, rationale="", referral_authority="Police nationale")
    form.pop("confirm")
    answer = console.post(f"/console/cases/{notice.case}/decision", data=form)
    assert answer.status_code == 400
    assert 'id="error-summary"' in answer.text or 'class="error-summary"' in answer.text
    assert 'aria-invalid="true"' in answer.text and "Police nationale" in answer.text
    assert "threatens nobody" in answer.text  # the reply as typed
    # a content decision without its fields: the embedded form's errors beside its fields
    form = case_form(console, notice.case, action="content_decision")
    answer = console.post(f"/console/cases/{notice.case}/decision", data=form)
    assert answer.status_code == 400 and 'id="decide-policy-error"' in answer.text
    # a disclosure without its reason, on no action
    form = case_form(console, notice.case, **{f"disclose.{notice.id}": "yes"})
    answer = console.post(f"/console/cases/{notice.case}/decision", data=form)
    assert answer.status_code == 400 and f'id="case-disclosure-{notice.id}-error"' in answer.text
    for bad in (
        {"action": "delete_everything"},
        {"referral_authority": "Police", "referral_member_state": "ZZ"},
        {"rationale": "x" * 20_001},
    ):
        answer = console.post(f"/console/cases/{notice.case}/decision", data=case_form(console, notice.case, **bad))
        assert 400 <= answer.status_code < 500, (bad, answer.status_code)
    assert notices.get_case(db, notice.case, caller=Caller("test")).decision is None


def test_only_moderators_decide_and_never_another_operators_case(
    console: TestClient, db: Database, clock: Clock
) -> None:
    notice = receive(db, clock)
    sign_in(console, "reviewer@meta.example")
    assert 'id="case-form"' not in console.get(f"/console/cases/{notice.case}").text
    answer = console.post(f"/console/cases/{notice.case}/decision", data=case_form(console, notice.case))
    assert answer.status_code == 403
    other = TestClient(console.app)
    sign_in(other, "moderator@x.example")
    form = {
        "csrf_token": console_support.csrf(other),
        "confirm": "yes",
        "action": "no_action",
        "rationale": "r",
        "reply": "r",
    }
    answer = other.post(f"/console/cases/{notice.case}/decision", data=form)
    assert answer.status_code == 404
    assert notices.get_case(db, notice.case, caller=Caller("test")).decision is None


def test_the_list_and_a_case_as_they_stood_at_an_instant(console: TestClient, db: Database, clock: Clock) -> None:
    notice = receive(db, clock)  # received at the clock's start; a minute later, decided
    before = (clock.now - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    sign_in(console, "moderator@meta.example")
    answer = console.post(f"/console/cases/{notice.case}/decision", data=case_form(console, notice.case))
    assert answer.status_code == 200 and 'id="case-decided"' in answer.text
    assert rows(console.get("/console/notices", params={"state": "decided"}).text) == [notice.id]
    then = console.get("/console/notices", params={"at": before})
    assert rows(then.text) == [notice.id] and 'class="banner-at"' in then.text  # open then
    assert rows(console.get("/console/notices", params={"at": before, "state": "decided"}).text) == []
    case = console.get(f"/console/cases/{notice.case}", params={"at": before}).text
    assert 'id="case-decided"' not in case and 'id="case-form"' not in case and "case-state-open" in case
