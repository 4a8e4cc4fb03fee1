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
