"""The console in a real browser: sign in, impose a sanction and see it in the account's timeline,
decide on an item and restore it, an amnesty through the wizard to its end, refusals (no CSRF
token, a forbidden role), and a screenshot of every page for docs/console.md."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from browser_support import LiveServer, screenshot, sign_in
from sqlalchemy import func, select

from reprieve.domain.model import AccountRef
from reprieve.services import appeals, sanctions
from reprieve.services.callers import Caller
from reprieve.store import tables

if TYPE_CHECKING:
    from playwright.sync_api import Page

REASON: dict[str, Any] = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "policy": "Fraud and Deception",
    "explanation": "Sold counterfeit tickets",
}


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> tuple[str, str]:
    """Sanctions due for review, with open appeals that have waited 45, 12 and 2 days, so that the
    queues have something to show: the 12-day sanction and appeal."""
    now = datetime.now(UTC)
    ids = {}
    for days, kind in ((45, "complaint"), (12, "complaint"), (2, "reinstatement")):
        sanction = sanctions.impose_sanction(
            live_server.db,
            sanctions.ImposeSanction.parse(
                subject=AccountRef("facebook", f"queue-{days}"),
                kind="suspension",
                reason=REASON,
                starts_at=now - timedelta(days=60),
                review_at=now - timedelta(days=days),
                backdated_reason="Test history, entered after the fact.",
            ),
            caller=Caller("browser-test", now=now),
        ).to_json()
        ids[days] = (
            sanction["id"],
            appeals.file_appeal(
                live_server.db,
                appeals.FileAppeal.parse(
                    sanction_id=sanction["id"],
                    kind=kind,
                    channel="email",
                    meeting_requested=days == 2,
                    filed_by={"name": "Queue Tester", "email": "queue@example.org", "relation": "subject"},
                    statement="The tickets were genuine.",
                    received_at=(now - timedelta(days=days)).isoformat(),
                ),
                caller=Caller("browser-test", now=now),
            ).id,
        )
    return ids[12]


def test_sign_in_shows_the_dashboard_and_sign_out_ends_the_session(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.console())
    page.wait_for_url(re.compile(r"/console/sign-in"))
    screenshot(page, "sign-in")
    page.fill("#email", "moderator@meta.example")
    page.fill("#password", "wrong password!")
    page.click("button[type=submit].primary")
    assert page.locator("#sign-in-error").is_visible()
    sign_in(page, live_server, "moderator@meta.example")
    assert page.locator("h1").inner_text() == "Dashboard"
    assert int(page.inner_text("#figure-active")) > 0
    screenshot(page, "dashboard")
    page.click("nav.lang a[hreflang=fr]")
    page.wait_for_selector("h1:has-text('Tableau de bord')")
    screenshot(page, "dashboard-fr")
    page.click("nav.lang a[hreflang=en]")
    page.click("form.sign-out button")
    page.wait_for_url(re.compile(r"/console/sign-in"))
    page.goto(live_server.console())
    page.wait_for_url(re.compile(r"/console/sign-in"))


def test_impose_a_sanction_and_see_it_in_the_account_timeline(page: Page, live_server: LiveServer) -> None:
    """Through a refusal first: the form comes back as typed with the error beside its field (and
    the summary focused); then the "7 days" preset sets the term."""
    sign_in(page, live_server, "moderator@meta.example")
    page.goto(live_server.console("/accounts/facebook/ticket-tout"))
    assert page.inner_text("#standing").count("good") >= 1
    page.click("#impose-action summary")
    page.select_option("#impose-kind", "suspension")
    assert not page.locator("#impose-denies").is_visible()  # only for a restriction
    page.select_option("#impose-kind", "restriction")
    assert page.locator("#impose-denies").is_visible()
    page.select_option("#impose-kind", "suspension")
    page.fill("#impose-duration", "seven days")  # no pattern: the server says what is wrong
    assert page.is_checked("#impose-term-other")
    page.fill("#impose-policy", "Fraud and Deception")
    page.select_option("#impose-category", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD")
    page.fill("#impose-explanation", "Sold counterfeit concert tickets to 40 users")
    page.fill("#impose-facts", "Forty buyers reported fake tickets for the 3 May concert")
    page.check("#impose-confirm")
    page.click("#impose-submit")
    page.wait_for_selector("#error-summary")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert "Duration: 'seven days' is not a duration" in page.inner_text("#error-summary")
    assert "is not a duration" in page.inner_text("#impose-duration-error")
    assert page.input_value("#impose-duration") == "seven days"  # what was typed is kept
    assert page.input_value("#impose-explanation") == "Sold counterfeit concert tickets to 40 users"
    assert page.input_value("#impose-policy") == "Fraud and Deception"
    assert page.input_value("#impose-category") == "STATEMENT_CATEGORY_SCAMS_AND_FRAUD"
    page.click("#error-summary a[href='#impose-duration']")
    assert page.evaluate("document.activeElement.id") == "impose-duration"
    page.check("#impose-term-p7d")  # a preset empties the typed duration
    assert page.input_value("#impose-duration") == ""
    page.check("#impose-confirm")
    page.click("#impose-submit")
    page.wait_for_selector("#notice")
    until = datetime.strptime(page.inner_text("#standing tbody tr td:nth-child(4)")[:16], "%Y-%m-%d %H:%M")
    assert abs(until.replace(tzinfo=UTC) - (datetime.now(UTC) + timedelta(days=7))) < timedelta(hours=1)
    timeline = page.inner_text("#timeline")
    assert "Sanction imposed" in timeline and "Sold counterfeit concert tickets to 40 users" in timeline
    assert "Mia Moderator" in timeline  # who: the member, by name (the log names her by id)
    assert "suspended" in page.inner_text("#standing")
    screenshot(page, "account")
    page.click("#account-sanctions a[href*='/console/sanctions/snc_']")
    page.wait_for_selector("#sor-title")
    assert "Sold counterfeit concert tickets" in page.inner_text(".statement-of-reasons")
    screenshot(page, "sanction")
    with live_server.db.read() as conn:
        actors = conn.execute(
            select(tables.events.c.actor)
            .where(tables.events.c.type == "sanction.imposed")
            .order_by(tables.events.c.seq.desc())
            .limit(1)
        ).scalar_one()
    assert actors.startswith("member:mem_")  # issue 21: by id only, never by name


def test_open_an_item_from_the_account_page_decide_on_content_and_restore_it(
    page: Page, live_server: LiveServer
) -> None:
    """Issue 25 item 4: the demo's removed video opened from its author's page; then a decision
    on an item through the form (refused first: what was typed is kept), seen on the item's page,
    and the item restored."""
    sign_in(page, live_server, "moderator@meta.example")
    page.goto(live_server.console("/accounts/facebook/DonaldTrump"))
    page.click("#account-content-decisions a[href$='/items/capitol-video-2021-01-06']")
    page.wait_for_url(re.compile(r"/console/platforms/facebook/items/capitol-video-2021-01-06$"))
    assert "removed" in page.inner_text("#item-visibility")
    assert "facebook/DonaldTrump" in page.inner_text("#item-author")
    assert "snapshots/capitol-video-2021-01-06" in page.inner_text(".evidence")
    screenshot(page, "item")
    page.click("#item-author a")
    page.wait_for_url(re.compile(r"/console/accounts/facebook/DonaldTrump$"))

    author = f"meme-page-{secrets.token_hex(3)}"
    page.goto(live_server.console(f"/accounts/facebook/{author}"))
    page.click("#decide-action summary")
    page.fill("#decide-item", "1000000000000000777")
    page.check("#decide-content-type input[value='CONTENT_TYPE_IMAGE']")
    page.fill("#decide-content-date", "2026-11-30")
    page.select_option("#decide-kind", "other")
    assert page.locator("#decide-kind-other").is_visible()  # only for "other"
    page.select_option("#decide-kind", "removal")
    assert not page.locator("#decide-kind-other").is_visible()
    page.fill("#decide-policy", "Bullying and Harassment")
    page.select_option("#decide-category", "STATEMENT_CATEGORY_CYBER_VIOLENCE")
    page.fill("#decide-explanation", "The image mocks a named pupil of a school")
    page.fill("#decide-facts", "An edited photo of a pupil, reported by her parents")
    page.fill("#decide-evidence-reference", "snapshots/1000000000000000777")
    page.fill("#decide-evidence-sha256", "not a digest")
    page.check("#decide-confirm")
    page.click("#decide-submit")
    page.wait_for_selector("#error-summary")
    assert "SHA-256" in page.inner_text("#decide-evidence-sha256-error")
    assert page.input_value("#decide-item") == "1000000000000000777"  # what was typed is kept
    assert page.input_value("#decide-explanation") == "The image mocks a named pupil of a school"
    page.fill("#decide-evidence-sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
    page.check("#decide-confirm")
    page.click("#decide-submit")
    page.wait_for_url(re.compile(r"/console/platforms/facebook/items/1000000000000000777\?done=content_decided$"))
    assert "removed" in page.inner_text("#item-visibility")
    assert author in page.inner_text("#item-author")
    section = page.locator("section.content-decision").first
    assert "active" in section.inner_text() and "The image mocks a named pupil of a school" in section.inner_text()
    assert "Mia Moderator" in section.inner_text()  # who decided, by name
    decision = (section.get_attribute("id") or "").removeprefix("cd-")
    assert decision.startswith("cd_")

    page.click(f"#{decision}-restore-action summary")
    page.fill(f"#{decision}-restore-reason", "The parents withdrew their report: the pupil made the image herself")
    page.check(f"#{decision}-restore-confirm")
    page.click(f"#{decision}-restore-submit")
    page.wait_for_url(re.compile(r"done=content_restored$"))
    assert "The item is restored." in page.inner_text("#notice")
    assert "visible" in page.inner_text("#item-visibility")
    assert "restored" in page.locator("section.content-decision").first.inner_text()
    assert "The parents withdrew their report" in page.inner_text(f"#cd-{decision}")
    page.goto(live_server.console(f"/accounts/facebook/{author}"))
    assert "restored" in page.inner_text("#account-content-decisions")
    page.goto(live_server.console("/content-decisions?platform=facebook"))
    assert "1000000000000000777" in page.inner_text(f"#content-decision-list #row-{decision}")
    screenshot(page, "content-decisions")


def test_a_backdated_lift_asks_why_and_the_timeline_says_so(page: Page, live_server: LiveServer) -> None:
    """Issue 22 item 4: a lift taking effect three days ago is refused until the form says why,
    the error beside the "Why backdated" field; then the timeline marks it backdated, with why."""
    now = datetime.now(UTC)
    sid = sanctions.impose_sanction(
        live_server.db,
        sanctions.ImposeSanction.parse(
            subject=AccountRef("facebook", "late-lift"),
            kind="suspension",
            reason=REASON,
            duration="P30D",
            starts_at=now - timedelta(days=10),
            backdated_reason="Test history, entered after the fact.",
        ),
        caller=Caller("browser-test", now=now),
    ).id
    sign_in(page, live_server, "moderator@meta.example")
    page.goto(live_server.console(f"/sanctions/{sid}"))
    page.click("#lift-action summary")
    page.fill("#lift-effective", (now - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#lift-reason", "Appeal granted at the hearing")
    page.check("#lift-confirm")
    page.click("#lift-action button[type=submit]")
    page.wait_for_selector("#lift-backdated-error")
    assert "backdated by" in page.inner_text("#lift-backdated-error")
    assert page.input_value("#lift-reason") == "Appeal granted at the hearing"  # what was typed is kept
    page.fill("#lift-backdated", "The hearing was on Friday; the minutes came in today.")
    page.check("#lift-confirm")
    page.click("#lift-action button[type=submit]")
    page.wait_for_selector("#notice")
    timeline = page.inner_text("#timeline")
    assert "backdated" in timeline and "The hearing was on Friday; the minutes came in today." in timeline
    assert page.locator("#backdated").is_visible()


def test_run_an_amnesty_through_the_wizard_and_watch_it_finish(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server, "moderator@meta.example")
    page.goto(live_server.console("/amnesties"))
    page.check("#amnesty-filters input[name=platforms][value=instagram]")
    page.check("#amnesty-filters input[name=kinds][value=warning]")
    page.fill("#a-reason", "General amnesty of warnings on Instagram")
    page.click("#amnesty-preview-button")
    page.wait_for_selector("#amnesty-matched")
    count = page.get_attribute("#typed-count", "data-confirm-count")
    assert count is not None and int(count) > 0
    screenshot(page, "amnesty-preview")
    assert page.locator("#amnesty-start").is_disabled()  # until the count is typed
    page.fill("#typed-count", count)
    page.check("#amnesty-confirm-box")
    page.click("#amnesty-start")
    page.wait_for_selector("#amnesty-progress[data-state=completed]")  # htmx polls until it is done
    assert f"{count} sanctions lifted" in page.inner_text("#amnesty-result")
    screenshot(page, "amnesty-done")
    page.fill("#revert-reason", "Lifted by mistake")
    page.check("#revert-confirm")
    page.click("#amnesty-revert button")
    page.wait_for_selector("#amnesty-progress[data-state=reverted]")
    assert f"{count} sanctions imposed again" in page.inner_text("#amnesty-result")


def test_a_post_without_csrf_token_and_a_forbidden_role_are_refused(
    page: Page, live_server: LiveServer, seeded: tuple[str, str]
) -> None:
    due, _appeal = seeded
    sign_in(page, live_server, "moderator@meta.example")
    refused = page.request.post(
        live_server.console(f"/sanctions/{due}/lift"), form={"reason": "no token", "confirm": "yes"}
    )
    assert refused.status == 403
    sign_in(page, live_server, "auditor@meta.example")
    page.goto(live_server.console(f"/sanctions/{due}"))
    assert page.locator("#lift-action").count() == 0  # no action offered to an auditor
    token = page.get_attribute("form.sign-out input[name=csrf_token]", "value")
    assert token
    forbidden = page.request.post(
        live_server.console(f"/sanctions/{due}/lift"), form={"reason": "auditor", "confirm": "yes", "csrf_token": token}
    )
    assert forbidden.status == 403
    page.goto(live_server.console("/amnesties/preview?reason=x"))
    assert "may not do this" in page.inner_text("main")
    screenshot(page, "forbidden")
    with live_server.db.read() as conn:
        lifts = conn.execute(
            select(func.count())
            .select_from(tables.events)
            .where(tables.events.c.type == "sanction.lifted", tables.events.c.data.contains(due))
        ).scalar_one()
    assert lifts == 0


def test_every_other_page_for_the_docs(page: Page, live_server: LiveServer, seeded: tuple[str, str]) -> None:
    due, appeal = seeded
    sign_in(page, live_server, "moderator@meta.example")
    page.goto(live_server.console("/queues/reviews"))
    assert due in page.inner_text("#review-queue")
    page.keyboard.press("j")
    assert page.locator("#review-queue tr.selected").count() == 1
    screenshot(page, "queue-reviews")
    page.goto(live_server.console("/queues/appeals"))
    assert page.locator(f"#appeal-queue tr.age-old a[href*='{appeal}']").count() == 1
    screenshot(page, "queue-appeals")
    assert page.locator("#appeal-queue tr.age-late").count() == 1
    assert page.locator("#appeal-queue tr.age-fresh").count() == 3  # the 2-day one and the demo's two of this week
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/console/appeals/{appeal}"))
    screenshot(page, "appeal")
    page.goto(live_server.console("/sanctions?platform=facebook&state=active"))
    screenshot(page, "sanctions")
    page.goto(live_server.console("/accounts/facebook/DonaldTrump?at=2022-06-01T00:00"))
    assert "suspended" in page.inner_text("#standing")  # as it stood then
    screenshot(page, "account-at")
    page.goto(live_server.console("/queues/reviews?state=open"))
    page.goto(live_server.console("/sanctions?account=facebook/DonaldTrump"))
    page.click("#sanction-list a[href*='/console/sanctions/snc_']")
    page.click("#timeline a[href*='/console/reviews/']")
    page.wait_for_selector("#assessments")
    screenshot(page, "review")
    page.goto(live_server.console("/amnesties"))
    screenshot(page, "amnesties")
    sign_in(page, live_server, "auditor@meta.example")
    page.goto(live_server.console("/audit"))
    page.click("#verify-button")
    page.wait_for_selector("#verify-result")
    assert "intact" in page.inner_text("#verify-result")
    screenshot(page, "audit")
