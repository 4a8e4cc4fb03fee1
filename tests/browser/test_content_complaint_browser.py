"""Complaints about content in a real browser (issue 25 item 3): the demo's granted complaint on its
item's page and its appeal page; then a complaint filed on the public form with the reference and
code of a content decision's statement, and granted in the console, which restores the item."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from browser_support import LiveServer, sign_in
from sqlalchemy import select

from reprieve.demo import QUOTED_CLIP
from reprieve.services import appeal_codes
from reprieve.services.callers import Caller
from reprieve.services.content import DecideContent, decide_content
from reprieve.store import tables

if TYPE_CHECKING:
    from playwright.sync_api import Page

REASON = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_VIOLENCE",
    "policy": "Violence and Incitement",
    "explanation": "The clip was found to glorify an attack.",
}


def removed_item(server: LiveServer) -> tuple[str, str, str]:
    """A fresh removal that counts as a strike, decided now: its item, its id and its appeal code
    as the statement prints it."""
    item = f"clip-{secrets.token_hex(4)}"
    command = DecideContent.parse(
        item={
            "platform": "facebook",
            "item": item,
            "account": f"author_{secrets.token_hex(4)}",
            "content_type": ["CONTENT_TYPE_VIDEO"],
            "content_date": "2024-05-30",
        },
        kind="removal",
        reason=dict(REASON),
        strike=True,
    )
    decision = decide_content(server.db, command, caller=Caller("browser-test", now=datetime.now(UTC)))
    with server.db.read() as conn:
        code = appeal_codes.printed(appeal_codes.code_for(conn, decision.id))
    return item, decision.id, code


def test_the_item_page_lists_the_complaint_and_the_appeal_page_shows_the_item(
    page: Page, live_server: LiveServer
) -> None:
    sign_in(page, live_server, "moderator@meta.example")
    page.goto(live_server.console(f"/platforms/facebook/items/{QUOTED_CLIP}"))
    complaints = page.locator("#item-complaints")
    assert "Granted" in complaints.inner_text() or "granted" in complaints.inner_text().lower()
    assert "visible" in page.inner_text("#item-visibility")
    page.click("#item-complaints a[href*='/console/appeals/']")
    page.wait_for_url(re.compile(r"/console/appeals/apl_[0-9A-Z]+$"))
    assert QUOTED_CLIP in page.inner_text("#appeal-item")
    assert "restored" in page.inner_text("#appeal-content-decision").lower()


def test_a_complaint_filed_with_the_statements_code_and_granted_in_the_console(
    page: Page, live_server: LiveServer
) -> None:
    item, decision, code = removed_item(live_server)
    page.goto(f"{live_server.url}/appeal?content_decision={decision}&lang=en")
    assert page.input_value("#appeal-sanction") == decision
    page.fill("#appeal-code", code)
    page.check("#appeal-kind-complaint")
    page.fill("#appeal-statement", "The clip is news reporting that condemns the attack.")
    page.fill("#appeal-name", "Newsdesk")
    page.fill("#appeal-email", "desk@newsdesk.example")
    page.check("#appeal-relation-subject")
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Appeal received')")
    reference = page.inner_text("#appeal-reference").strip()
    with live_server.db.read() as conn:
        appeal = conn.execute(select(tables.appeals).where(tables.appeals.c.id == reference)).one()
    assert (appeal.content_decision_id, appeal.sanction_id, appeal.kind, appeal.channel) == (
        decision,
        None,
        "complaint",
        "web",
    )

    # A moderator finds it in the queue beside the complaints about sanctions, and grants it.
    sign_in(page, live_server, "moderator@meta.example")
    page.goto(live_server.console("/queues/appeals?kind=complaint"))
    assert decision in page.inner_text(f"#appeal-queue tr:has(a[href*='{reference}'])")
    page.click(f"#appeal-queue a[href*='{reference}']")
    page.wait_for_url(re.compile(rf"/console/appeals/{reference}"))
    assert item in page.inner_text("#appeal-item")
    options = page.eval_on_selector_all("#appeal-outcome-select option", "os => os.map(o => o.value)")
    assert options == ["granted", "denied"]  # no partial grant of a complaint about content
    page.select_option("#appeal-outcome-select", "granted")
    page.fill("#appeal-rationale", "News reporting that condemns the attack is allowed.")
    page.fill("#appeal-reply", "Your clip is back and its strike removed.")
    page.check("#appeal-confirm")
    page.click("#appeal-decide-action button[type=submit]")
    page.wait_for_selector("#appeal-outcome")
    assert "restored" in page.inner_text("#appeal-content-decision").lower()
    with live_server.db.read() as conn:
        cd = tables.content_decisions.c
        restored = conn.execute(select(cd.restored_at).where(cd.id == decision)).scalar_one()
        v = tables.violations.c
        ended = conn.execute(
            select(v.strike_expires_at, v.strike_ended_seq).where(v.content_decision_id == decision)
        ).one()
    assert restored is not None and ended.strike_ended_seq is not None
    # The item's page lists the complaint, granted, and the item is visible again.
    page.click("#appeal-item a")
    page.wait_for_url(re.compile(rf"/console/platforms/facebook/items/{item}$"))
    assert reference in page.inner_text("#item-complaints")
    assert "visible" in page.inner_text("#item-visibility")
