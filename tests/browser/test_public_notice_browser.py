"""The public notice form (DSA art. 16) in a real browser, without an account: a notice filed in
English and one in French, each read back from its receipt (the reference, the status code, the
acknowledgement's text), then looked up on /notice/status with them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from browser_support import LiveServer, screenshot
from sqlalchemy import select

from reprieve.store import tables

if TYPE_CHECKING:
    from playwright.sync_api import Page


def fill_notice(page: Page, *, item: str, explanation: str, legal_ground: str) -> None:
    page.select_option("#notice-platform", "facebook")
    page.check("#notice-about_kind-item")
    page.fill("#notice-about_id", item)
    page.fill("#notice-location", f"https://facebook.example/posts/{item}")
    page.check("#notice-illegal-yes")
    page.fill("#notice-legal_ground", legal_ground)
    page.select_option("#notice-category", "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH")
    page.fill("#notice-explanation", explanation)
    page.check("#notice-notifier_kind-individual")
    page.fill("#notice-name", "Jo Public")
    page.fill("#notice-email", "jo.notifier@example.org")
    page.check("#notice-bona_fide")
    page.click("form.notice-form button[type=submit]")
    page.wait_for_selector("#notice-reference")


def test_a_notice_filed_in_english_then_in_french_with_their_receipts(page: Page, live_server: LiveServer) -> None:
    receipts = {}
    for lang, title, receipt_words, open_words in (
        ("en", "Your notice has been received", "we received your notice", "It is being examined"),
        ("fr", "Votre notification a été reçue", "nous avons reçu votre notification", "en cours d'examen"),
    ):
        page.goto(f"{live_server.url}/notice?lang={lang}")
        if lang == "en":
            screenshot(page, "notice-form")
        fill_notice(
            page,
            item=f"browser-{lang}",
            explanation="This post insults a named person." if lang == "en" else "Ce message injurie une personne.",
            legal_ground="Law of 29 July 1881, article 33",
        )
        assert page.locator("h1").inner_text() == title
        reference = page.inner_text("#notice-reference").strip()
        code = page.inner_text("#notice-code").strip()
        receipt = page.inner_text("#notice-receipt")
        assert re.fullmatch(r"ntc_[0-9A-Z]{26}", reference) and re.fullmatch(r"[A-Z2-7]{5}-[A-Z2-7]{5}", code)
        assert reference in receipt and receipt_words in receipt
        assert "jo.notifier@example.org" not in page.content() and "Jo Public" not in page.content()
        screenshot(page, f"notice-received-{lang}")
        receipts[lang] = reference
        # The lookup, from the receipt's link, with the code as printed.
        page.click("a[href^='/notice/status']")
        assert page.input_value("#notice-reference") == reference
        page.fill("#notice-code", code)
        page.click("button[type=submit]")
        page.wait_for_selector("#notice-state")
        assert open_words in page.inner_text("#notice-state")
    with live_server.db.read() as conn:
        rows = conn.execute(
            select(tables.notices.c.id, tables.notices.c.channel, tables.notices.c.receipt_language).where(
                tables.notices.c.id.in_(list(receipts.values()))
            )
        ).all()
    assert sorted((r.channel, r.receipt_language) for r in rows) == [("web", "en"), ("web", "fr")]
