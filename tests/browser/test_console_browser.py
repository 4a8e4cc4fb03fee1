"""The console in a real browser: sign in, impose and see it in the timeline, an amnesty through
the wizard, refusals; each page's screenshot is saved for docs/console.md."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from browser_support import LiveServer, screenshot, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page


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
    screenshot(page, "dashboard")
    page.click("text=Sign out")
    page.wait_for_url(re.compile(r"/console/sign-in"))
    page.goto(live_server.console())
    page.wait_for_url(re.compile(r"/console/sign-in"))
