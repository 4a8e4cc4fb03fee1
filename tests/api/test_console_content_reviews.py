"""The console's rest of issue 25 item 4: the amend form of an active decision on its item's page
(with the version the page showed, as ``If-Match``), the decision's reviews there, on the review
page and in the reviews queue, and the content counts of an amnesty's preview and list. Over
HTTP without a browser, on SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

from datetime import timedelta

from api_support import Clock
from fastapi.testclient import TestClient
from test_console_content import console, csrf, decide_directly, error_summary, quick_hashing, sign_in

from reprieve.services import content, reviews
from reprieve.services.callers import Caller
from reprieve.store.db import Database

__all__ = ["console", "quick_hashing"]  # the fixtures, shared with the console's content tests

ITEM_PAGE = "/console/platforms/facebook/items/post-1"


def test_the_amend_form_changes_an_active_decision_with_the_version_it_showed(
    console: TestClient, db: Database, clock: Clock
) -> None:
    sign_in(console, "moderator@meta.example")
    decision_id = decide_directly(db, clock, "facebook", "post-1", "channel-a")
    page = console.get(ITEM_PAGE).text
    assert f'id="{decision_id}-amend-form"' in page
    version = content.get_content_decision(db, decision_id, at=clock.now).version
    form = {
        "csrf_token": csrf(console),
        "confirm": "yes",
        "version": str(version),
        "kind": "demotion",
        "indefinite": "yes",
        "reason": "Milder on a second look",
    }
    stale = console.post(f"/console/content-decisions/{decision_id}/amend", data={**form, "version": "1"})
    assert stale.status_code == 412 and 'id="changed-since"' in stale.text
    assert "Milder on a second look" in stale.text  # what was typed is kept
    both = console.post(f"/console/content-decisions/{decision_id}/amend", data={**form, "ends_at": "2099-01-01T00:00"})
    assert both.status_code == 400 and any("indefinite" in line for line in error_summary(both.text))
    done = console.post(f"/console/content-decisions/{decision_id}/amend", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    amended = content.get_content_decision(db, decision_id, at=clock.now)
    assert (amended.kind.value, amended.version > version) == ("demotion", True)
    assert f"demotion <code>{decision_id}</code>" in console.get(ITEM_PAGE).text


def test_a_reviewer_does_not_see_the_amend_form(console: TestClient, db: Database, clock: Clock) -> None:
    decision_id = decide_directly(db, clock, "facebook", "post-1", "channel-a")
    sign_in(console, "reviewer@meta.example")
    assert f'id="{decision_id}-amend-form"' not in console.get(ITEM_PAGE).text
    refused = console.post(
        f"/console/content-decisions/{decision_id}/amend",
        data={"csrf_token": csrf(console), "confirm": "yes", "kind": "demotion", "reason": "r"},
    )
    assert refused.status_code == 403


def test_a_content_review_shows_on_the_item_page_its_own_page_and_the_queue(
    console: TestClient, db: Database, clock: Clock
) -> None:
    decision_id = decide_directly(db, clock, "facebook", "post-1", "channel-a")
    review = reviews.open_content_review(
        db, decision_id, panel=["Reviewer"], reason="Quality check", caller=Caller("test", now=clock.now)
    )
    sign_in(console, "moderator@meta.example")
    item_page = console.get(ITEM_PAGE).text
    assert f'id="{decision_id}-reviews"' in item_page and review.id in item_page
    review_page = console.get(f"/console/reviews/{review.id}").text
    assert 'id="review-content-decision"' in review_page and decision_id in review_page
    assert 'value="terminate"' not in review_page and 'id="decide-probation"' not in review_page
    queue = console.get("/console/queues/reviews?state=open").text
    assert review.id in queue and f"/console/content-decisions/{decision_id}" in queue


def test_the_amnesty_preview_and_list_count_content(console: TestClient, db: Database, clock: Clock) -> None:
    decide_directly(db, clock, "facebook", "post-1", "channel-a")
    clock.advance(timedelta(minutes=1))
    sign_in(console, "moderator@meta.example")
    assert 'id="a-covers"' in console.get("/console/amnesties").text
    preview = console.get(
        "/console/amnesties/preview", params={"covers": "both", "content_kinds": "label", "reason": "Amnesty"}
    )
    assert preview.status_code == 200, preview.text
    assert 'id="amnesty-content-sample"' in preview.text
    assert "0 sanctions, 1 content decisions." in preview.text
    wrong = console.get("/console/amnesties/preview", params={"content_kinds": "label", "reason": "Amnesty"})
    assert wrong.status_code == 400 and 'id="a-content-kinds"' in wrong.text
