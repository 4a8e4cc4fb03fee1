"""The console as a person reads it, in Chromium over the demo: the audit page's filters and
pages; no page wider than a phone (390 px), nor showing a raw constant, in English or French."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from browser_support import TIMEOUT_MS, LiveServer, sign_in
from sqlalchemy import select

from reprieve.store import tables
from reprieve.web.i18n import catalog

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

PHONE = {"width": 390, "height": 844}
#: The pages a moderator and an auditor read most, in both languages.
MAIN_PAGES = (
    "",
    "/sanctions",
    "/queues/reviews",
    "/queues/appeals",
    "/amnesties",
    "/accounts/facebook/DonaldTrump",
    "/accounts/facebook/DonaldTrump?at=2022-06-01T00:00",
    "/sanctions/{sanction}",
    "/reviews/{review}",
    "/appeals/{appeal}",
    "/content-decisions",
    "/platforms/facebook/items/capitol-video-2021-01-06",
    "/platforms/instagram/items/wellness-photo-0042",
)


def story(server: LiveServer) -> dict[str, str]:
    """The ids of the demo's story: Trump's Facebook suspension, its review and the appeal."""
    with server.db.read() as conn:
        sanction = conn.execute(
            select(tables.sanctions.c.id).where(
                tables.sanctions.c.subject_platform == "facebook",
                tables.sanctions.c.subject_account == "DonaldTrump",
            )
        ).scalar_one()
        review = conn.execute(select(tables.reviews.c.id).where(tables.reviews.c.sanction_id == sanction)).scalar_one()
        appeal = conn.execute(select(tables.appeals.c.id).where(tables.appeals.c.sanction_id == sanction)).scalar_one()
    return {"sanction": sanction, "review": review, "appeal": appeal}


#: The values the catalogue gives words for (``partially_granted``, ``ongoing_violence``...): none
#: may reach a page as it is, nor a Transparency Database constant.
VALUE_FAMILIES = (
    "factor",
    "appeal_outcome",
    "review_outcome",
    "appeal_state",
    "review_state",
    "appeal_kind",
    "ground",
    "source",
    "automated",
    "relation",
    "amnesty_state",
    "kind",
    "state",
    "status",
)
RAW_VALUES = {
    key.split(".", 1)[1]
    for key in catalog("en")
    if key.split(".", 1)[0] in VALUE_FAMILIES and "_" in key.split(".", 1)[1]
}
RAW = re.compile(
    r"STATEMENT_CATEGORY_|KEYWORD_|CONTENT_TYPE_|DECISION_GROUND_|\b(" + "|".join(sorted(RAW_VALUES)) + r")\b"
)


def raw_words(page: Page) -> list[str]:
    """The raw constants a person reads on the page (its rendered text: a closed <details> hides its own)."""
    return sorted({m.group(0) for m in RAW.finditer(page.inner_text("body"))})


@pytest.fixture(scope="module")
def auditor(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    sign_in(page, live_server, "auditor@meta.example")
    try:
        yield page
    finally:
        context.close()


def row_seqs(page: Page) -> list[int]:
    seqs = page.eval_on_selector_all("#event-log tbody tr[data-seq]", "rs => rs.map(r => r.dataset.seq)")
    return [int(s) for s in seqs]


def row_types(page: Page) -> list[str]:
    return list(page.eval_on_selector_all("#event-log tbody tr[data-type]", "rs => rs.map(r => r.dataset.type)"))


def test_the_audit_page_reads_newest_first_filters_and_pages_with_its_filters(
    auditor: Page, live_server: LiveServer
) -> None:
    page = auditor
    page.goto(live_server.console("/audit"))
    seqs = row_seqs(page)
    assert len(seqs) == 100 and seqs == sorted(seqs, reverse=True)
    header = page.inner_text("#event-log thead")
    assert "empty: now" not in header and "Event" in header

    page.fill("#e-subject", "facebook/DonaldTrump")
    page.select_option("#e-type", "sanction.")
    page.click("#audit-filters button[type=submit]")
    page.wait_for_url(re.compile(r"subject=facebook%2FDonaldTrump"))
    types = row_types(page)
    assert types and all(t.startswith("sanction.") for t in types), types
    oldest = page.locator("#event-log tbody tr").last
    assert oldest.locator(".summary").inner_text().startswith("Sanction imposed on facebook/DonaldTrump: suspension")
    data = oldest.locator("pre.json")
    assert not data.is_visible()  # the JSON waits behind its toggle
    oldest.locator("details summary").click()
    assert data.is_visible() and '"subject"' in data.inner_text()
    assert data.evaluate("e => getComputedStyle(e).whiteSpace") == "pre"  # no wrapping character by character

    page.select_option("#e-order", "oldest")
    page.click("#audit-filters button[type=submit]")
    page.wait_for_url(re.compile(r"order=oldest"))
    ascending = row_seqs(page)
    assert ascending == sorted(ascending) and len(ascending) == len(types)

    # A filter with more than a page of events: the next page keeps the filter and goes on below.
    page.goto(live_server.console("/audit?type=account.&actor=demo"))
    first = row_seqs(page)
    page.click("#next-page")
    page.wait_for_url(re.compile(r"cursor="))
    assert "type=account." in page.url and "actor=demo" in page.url
    second = row_seqs(page)
    assert second and max(second) < min(first)
    assert set(row_types(page)) == {"account.registered"}

    page.goto(live_server.console("/audit?lang=fr&subject=facebook/DonaldTrump&type=sanction.imposed"))
    assert page.locator(".summary").first.inner_text().startswith("Sanction infligée à facebook/DonaldTrump")


def test_no_page_is_wider_than_a_phone_nor_shows_a_raw_constant(browser: Browser, live_server: LiveServer) -> None:
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        too_wide, raw = [], []
        ids = story(live_server)
        for email, paths in (("moderator@meta.example", MAIN_PAGES), ("auditor@meta.example", ("/audit",))):
            sign_in(page, live_server, email)
            for path in (p.format(**ids) for p in paths):
                for lang in ("en", "fr"):
                    answer = page.goto(live_server.console(path) + ("&" if "?" in path else "?") + f"lang={lang}")
                    assert answer is not None and answer.status == 200, path
                    width = page.evaluate("document.scrollingElement.scrollWidth")
                    if width > PHONE["width"]:
                        too_wide.append(f"{path} ({lang}): {width} px")
                    if found := raw_words(page):
                        raw.append(f"{path} ({lang}): {found}")
            page.context.clear_cookies()
        assert not too_wide, too_wide
        assert not raw, raw
    finally:
        context.close()


def test_timeline_links_say_what_they_point_to_and_who_filed(auditor: Page, live_server: LiveServer) -> None:
    page, ids = auditor, story(live_server)
    page.goto(live_server.console(f"/sanctions/{ids['sanction']}?lang=en"))
    links = {
        a.get_attribute("href").split("?")[0]: a.inner_text()  # type: ignore[union-attr]
        for a in page.locator("#timeline a").all()
    }
    assert links[f"/console/appeals/{ids['appeal']}"] == f"appeal {ids['appeal']} (reinstatement request)"
    assert links[f"/console/reviews/{ids['review']}"] == f"review {ids['review']}"
    timeline = page.inner_text("#timeline")
    assert "filed by a representative" in timeline and "by representative" not in timeline
    assert "(reinstatement request · letter)" in timeline and "(granted)" in timeline
    page.goto(live_server.console(f"/sanctions/{ids['sanction']}?lang=fr"))
    timeline = page.inner_text("#timeline")
    assert "déposé par un représentant" in timeline and "(accueilli)" in timeline and "courrier" in timeline
