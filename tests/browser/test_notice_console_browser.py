"""Notices in the console, in a real browser (issue 26 item 6): the list with its tabs and filters
(without JavaScript's auto-submit: the Apply button), a case's page reached from it with the
item's history and each notice, the notifier shown to a moderator and hidden from a reviewer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from browser_support import LiveServer, screenshot, sign_in

from reprieve.services import notices
from reprieve.services.callers import Caller

if TYPE_CHECKING:
    from playwright.sync_api import Page

NAME = "Noa Notifier"
EMAIL = "noa.notifier@example.org"


def receive(server: LiveServer, **overrides: Any) -> notices.NoticeView:
    fields: dict[str, Any] = {
        "platform": "facebook",
        "about": {"item": "capitol-video-2021-01-06"},
        "location": "https://facebook.example/capitol-video-2021-01-06",
        "explanation": "The video calls for violence against named officials.",
        "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
        "illegal": True,
        "legal_ground": "Art. 421-2-5 Code pénal",
        "notifier": {"kind": "individual", "name": NAME, "email": EMAIL},
        "bona_fide": True,
        "channel": "api",
    }
    fields.update(overrides)
    command = notices.ReceiveNotice.parse(**fields)
    return notices.receive_notice(server.db, command, caller=Caller("browser-test", now=datetime.now(UTC)))


@pytest.fixture(scope="module")
def filed(live_server: LiveServer) -> tuple[notices.NoticeView, notices.NoticeView]:
    """A notice about the demo's Capitol video (it has a decision), and one about an account, in
    another category: a breach of the terms."""
    about_item = receive(live_server)
    about_account = receive(
        live_server,
        about={"account": "notice-browser-account"},
        location="https://facebook.example/notice-browser-account",
        category="STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        illegal=False,
        legal_ground=None,
    )
    return about_item, about_account


def listed(page: Page) -> list[str]:
    return [
        row.removeprefix("row-")
        for row in page.eval_on_selector_all("#notice-list tbody tr[id]", "r => r.map(e => e.id)")
    ]


def test_the_list_with_its_filters_leads_to_the_case_page(
    page: Page, live_server: LiveServer, filed: tuple[notices.NoticeView, notices.NoticeView]
) -> None:
    about_item, about_account = filed
    sign_in(page, live_server, "moderator@meta.example")
    page.click("nav.main-nav >> text=Notices")
    page.wait_for_selector("#notice-list")
    assert listed(page)[:2] == [about_item.id, about_account.id]  # oldest first
    assert page.get_attribute("#tab-open", "aria-current") == "page"
    assert EMAIL not in page.content() and NAME not in page.content()
    screenshot(page, "notices")

    page.select_option("#n-category", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**category=STATEMENT_CATEGORY_SCAMS_AND_FRAUD**")
    assert listed(page) == [about_account.id]
    assert "a breach of the terms" in page.inner_text(f"#row-{about_account.id}")

    page.click("#tab-decided")
    page.wait_for_url("**state=decided**")
    assert listed(page) == [] and "category=STATEMENT_CATEGORY_SCAMS_AND_FRAUD" in page.url

    page.click("#tab-open")
    page.select_option("#n-category", "")
    page.select_option("#n-platform", "facebook")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**platform=facebook**")
    page.click(f"#row-{about_item.id} >> text={about_item.case}")
    page.wait_for_selector(f"#notice-{about_item.id}")
    notice = page.inner_text(f"#notice-{about_item.id}")
    assert NAME in notice and EMAIL in notice and "calls for violence" in notice and "421-2-5" in notice
    # The item's history: the demo's decision on the video, linked to the item's page.
    assert "Decision on content" in page.inner_text("#timeline")
    assert page.get_attribute("#case-subject", "href") == "/console/platforms/facebook/items/capitol-video-2021-01-06"
    screenshot(page, "case")


def test_a_reviewer_reads_the_case_without_the_notifier(
    page: Page, live_server: LiveServer, filed: tuple[notices.NoticeView, notices.NoticeView]
) -> None:
    _, about_account = filed
    sign_in(page, live_server, "reviewer@meta.example")
    page.goto(live_server.console(f"/cases/{about_account.case}"))
    page.wait_for_selector("#contact-hidden")
    assert NAME not in page.content() and EMAIL not in page.content()
    assert "The account's history" in page.inner_text("main")


def test_a_moderator_decides_a_case_in_the_console(page: Page, live_server: LiveServer) -> None:
    """Two notices about an item never decided on: the case decided with a removal made there,
    the first notifier's identity disclosed with its reason, the second given their own reply;
    a form sent without a rationale first comes back as typed with the error beside the field."""
    about = {"item": "notice-browser-item"}
    first = receive(live_server, about=about, location="https://facebook.example/notice-browser-item")
    second = receive(
        live_server,
        about=about,
        location="https://facebook.example/notice-browser-item",
        notifier={"kind": "entity", "name": "Hate Watch", "email": "desk@hatewatch.example"},
    )
    assert first.case == second.case
    sign_in(page, live_server, "moderator@meta.example")
    page.goto(live_server.console(f"/cases/{first.case}"))
    page.check("#case-action-content_decision")
    page.fill("#decide-account", "notice-browser-author")
    page.check("#decide-content-type input[value=CONTENT_TYPE_VIDEO]")
    page.fill("#decide-content-date", "2026-11-30")
    page.select_option("#decide-kind", "removal")
    page.fill("#decide-policy", "Violent extremism")
    page.select_option("#decide-ground", "illegal_content")
    page.fill("#decide-legal", "Art. 421-2-5 Code pénal")
    page.select_option("#decide-category", "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY")
    page.fill("#decide-explanation", "The video calls for violence against named officials.")
    page.fill("#decide-facts", "Two notices; the video names the officials and their addresses.")
    page.fill("#case-reply", "We removed the video you notified.")
    page.fill(f"#case-reply-{second.id}", "We removed the video; your association's report named the right passage.")
    page.check(f"#case-disclose-{first.id}")
    page.fill(f"#case-disclosure-{first.id}", "The uploader must know who to serve with the court's order.")
    page.check("#case-confirm")
    # no rationale: refused, what was typed kept
    page.click("#case-submit")
    page.wait_for_selector("#error-summary")
    assert page.is_visible("#case-rationale-error")
    assert page.input_value("#decide-policy") == "Violent extremism"
    assert page.input_value(f"#case-reply-{second.id}").startswith("We removed the video; your association")
    assert page.is_checked(f"#case-disclose-{first.id}") and page.is_checked("#case-action-content_decision")
    page.fill("#case-rationale", "A call to violence against named officials: removed, as the law requires.")
    page.check("#case-confirm")
    page.click("#case-submit")
    page.wait_for_selector("#case-decided")
    assert "The case is decided" in page.inner_text("#notice")
    assert "a decision on the content" in page.inner_text("#case-decision-action")
    assert "removed, as the law requires" in page.inner_text("#case-decision-rationale")
    assert "We removed the video you notified." in page.inner_text(f"#reply-{first.id}")
    assert "your association's report" in page.inner_text(f"#reply-{second.id}")
    assert "court's order" in page.inner_text(f"#notice-{first.id}")
    assert page.locator("#case-form").count() == 0
    screenshot(page, "case-decided")
    # The decision is the item's, made on a notice: its page shows it.
    page.click("#case-decision-action a")
    page.wait_for_selector(".content-decision")
    assert "notice-browser-item" in page.url
