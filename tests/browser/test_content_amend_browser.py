"""The item page's amend form in a real browser (issue 25 item 4): a decision changed by someone
else after the page was shown is refused (412) with the decision as it is now and what was typed
kept; sent again, from the page as it now is, the amendment is recorded."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from browser_support import LiveServer, sign_in

from reprieve.services import content
from reprieve.services.callers import Caller

if TYPE_CHECKING:
    from playwright.sync_api import Page

REASON = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "policy": "Fraud and Deception",
    "explanation": "Links to counterfeit tickets",
    "facts": "The post links to a shop selling counterfeit tickets.",
}


def test_amend_a_decision_from_its_item_page_with_the_version_it_showed(page: Page, live_server: LiveServer) -> None:
    decided = content.decide_content(
        live_server.db,
        content.DecideContent.parse(
            item={
                "platform": "facebook",
                "item": "amend-in-browser-1",
                "account": "ticket-shop",
                "content_type": ["CONTENT_TYPE_TEXT"],
                "content_date": "2026-01-01",
            },
            kind="removal",
            reason=REASON,
        ),
        caller=Caller("browser-test", now=datetime.now(UTC)),
    )
    d = decided.id
    sign_in(page, live_server, "moderator@meta.example")
    page.goto(live_server.console("/platforms/facebook/items/amend-in-browser-1"))
    page.click(f"#{d}-amend-action summary")
    page.select_option(f"#{d}-amend-kind", "demotion")
    page.fill(f"#{d}-amend-reason", "The shop is real: demoted, not removed")
    page.check(f"#{d}-amend-confirm")
    # Meanwhile someone else labels it: the page's version is stale.
    content.amend_content(
        live_server.db,
        d,
        content.AmendContent.parse(reason="Labelled first", kind="label"),
        caller=Caller("browser-test", now=datetime.now(UTC)),
    )
    page.click(f"#{d}-amend-submit")
    page.wait_for_selector("#changed-since")
    assert "label" in page.inner_text(f"#cd-{d}-title")
    assert page.input_value(f"#{d}-amend-reason") == "The shop is real: demoted, not removed"  # kept as typed
    page.select_option(f"#{d}-amend-kind", "demotion")
    page.check(f"#{d}-amend-confirm")
    page.click(f"#{d}-amend-submit")
    page.wait_for_url(re.compile(r"done=content_amended$"))
    assert "amended" in page.inner_text("#notice")
    assert "demotion" in page.inner_text(f"#cd-{d}-title")
