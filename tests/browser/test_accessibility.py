"""Accessibility: axe-core (vendored in tests/browser/vendor/axe-core) run in Chromium over the public
appeal form in both languages, its error states, its confirmation and its 429 page, and over every
console page a signed-in moderator can reach by following links. Any violation of impact
``serious`` or ``critical`` fails, named with the rule, the page and the elements.

axe is added to each page as an init script (the DevTools protocol's, which the page's strict
Content-Security-Policy does not apply to): the pages are checked exactly as they are served.
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urlsplit

import pytest
from browser_support import TIMEOUT_MS, LiveServer, screenshot, sign_in
from sqlalchemy import select

from reprieve.demo import DEMO_PASSWORD
from reprieve.domain.filters import SanctionFilter
from reprieve.domain.model import AccountRef
from reprieve.services import appeal_codes, members, notices, sanctions
from reprieve.services.callers import Caller
from reprieve.services.sanctions import ImposeSanction, impose_sanction
from reprieve.store import tables

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
#: Console pages of one shape (ids replaced by ``*``) checked at most this many times, and in all.
PER_SHAPE = 2
MAX_PAGES = 80
#: Links a crawl must not follow: they act (GET has no side effect here, but these end the session).
SKIP = re.compile(r"/console/sign-(in|out)")

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
  }));
}"""


@pytest.fixture
def axe_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def violations(page: Page) -> list[str]:
    """The serious and critical violations on the page as it is now, one line each."""
    found: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    return [
        f"{page.url}: [{v['impact']}] {v['id']} ({v['help']}) at {', '.join(v['nodes'])}"
        for v in found
        if v["impact"] in BLOCKING
    ]


def suspended_account(server: LiveServer, informed_at: datetime | None = None, **term: Any) -> tuple[str, str]:
    """A suspension of a fresh account (a year from now, unless ``term`` says otherwise), and its
    code; ``informed_at``: imported, its user informed then."""
    term = term or {"duration": "P1Y"}
    if "starts_at" in term and informed_at is None:  # entered after the fact: backdated (PRODUCT.md section 8)
        term.setdefault("backdated_reason", "Test history, entered after the fact.")
    account = f"a11y_{secrets.token_hex(4)}"
    command = ImposeSanction.parse(
        subject=AccountRef("facebook", account),
        kind="suspension",
        **term,
        reason={
            "ground": "incompatible_content",
            "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
            "policy": "Fraud",
            "explanation": "Sold counterfeit tickets",
        },
    )
    caller = Caller("browser-test", now=datetime.now(UTC))
    if informed_at is None:
        sanction_id = impose_sanction(server.db, command, caller=caller).to_json()["id"]
    else:  # imported history (issue 23: its complaint window runs from when its user was informed)
        sanctions.import_history(server.db, [sanctions.imported_command(command, informed_at)], caller=caller)
        query = SanctionFilter(platform="facebook", account=account)
        sanction_id = sanctions.list_sanctions(server.db, query, at=caller.instant).items[0].id
    with server.db.read() as conn:
        return sanction_id, appeal_codes.printed(appeal_codes.code_for(conn, sanction_id))


def submit(page: Page, expect: str) -> None:
    page.click("form.appeal-form button[type=submit]")
    page.wait_for_selector(expect)


def test_the_public_form_its_errors_confirmation_and_429_page(axe_page: Page, live_server: LiveServer) -> None:
    page = axe_page
    sanction, code = suspended_account(live_server)
    problems: list[str] = []
    for lang in ("en", "fr"):
        page.goto(f"{live_server.url}/appeal?sanction={sanction}&lang={lang}")
        problems += violations(page)
    # Errors: every field at once (a missing field of each kind), then the code refused.
    page.goto(f"{live_server.url}/appeal?lang=en")
    submit(page, "#error-summary")
    problems += violations(page)
    page.fill("#appeal-sanction", sanction)
    page.fill("#appeal-code", "WRONG-CODE0")
    page.check("#appeal-kind-complaint")
    page.fill("#appeal-statement", "The decision was wrong.")
    page.fill("#appeal-name", "Jo Public")
    page.fill("#appeal-email", "jo@example.org")
    page.check("#appeal-relation-subject")
    submit(page, "#appeal-code-error")
    problems += violations(page)
    page.fill("#appeal-code", code)
    submit(page, "#appeal-reference")
    problems += violations(page)
    # A complaint whose window has closed: imported, imposed and told 400 days ago, the six months are over.
    then = datetime.now(UTC) - timedelta(days=400)
    old, old_code = suspended_account(live_server, informed_at=then, starts_at=then, duration="P5Y")
    page.goto(f"{live_server.url}/appeal?sanction={old}&lang=fr")
    for selector, value in (
        ("#appeal-code", old_code),
        ("#appeal-statement", "La décision était erronée."),
        ("#appeal-name", "Jo Public"),
        ("#appeal-email", "jo@example.org"),
    ):
        page.fill(selector, value)
    page.check("#appeal-kind-complaint")
    page.check("#appeal-relation-subject")
    submit(page, "#appeal-kind-error")
    assert "Le délai pour contester cette décision a expiré le" in page.inner_text("#appeal-kind-error")
    screenshot(page, "appeal-window-closed-fr")
    problems += violations(page)
    # The filings limit (5 in 10 minutes per address) is reached within the next few sends.
    page.goto(f"{live_server.url}/appeal?lang=en")
    for _attempt in range(6):
        page.click("form.appeal-form button[type=submit]")
        page.wait_for_load_state()
        if page.locator("h1", has_text="Too many requests").count():
            break
    assert page.locator("h1", has_text="Too many requests").count() == 1
    screenshot(page, "appeal-limited")
    problems += violations(page)
    assert not problems, "\n".join(problems)


def test_the_public_notice_form_its_errors_receipt_and_status_pages(axe_page: Page, live_server: LiveServer) -> None:
    page = axe_page
    problems: list[str] = []
    for lang in ("en", "fr"):
        page.goto(f"{live_server.url}/notice?lang={lang}")
        problems += violations(page)
    # Every error at once, then a notice received, its receipt, and the status lookup (form and answer).
    page.goto(f"{live_server.url}/notice?lang=en")
    page.click("form.notice-form button[type=submit]")
    page.wait_for_selector("#error-summary")
    problems += violations(page)
    page.select_option("#notice-platform", "facebook")
    page.check("#notice-about_kind-account")
    page.fill("#notice-about_id", "a11y-notice")
    page.fill("#notice-location", "https://facebook.example/a11y-notice")
    page.check("#notice-illegal-no")
    page.fill("#notice-explanation", "Spam, against the terms.")
    page.check("#notice-notifier_kind-entity")
    page.fill("#notice-name", "Example Association")
    page.fill("#notice-email", "desk@example.org")
    page.check("#notice-bona_fide")
    page.click("form.notice-form button[type=submit]")
    page.wait_for_selector("#notice-reference")
    problems += violations(page)
    reference, code = page.inner_text("#notice-reference").strip(), page.inner_text("#notice-code").strip()
    page.goto(f"{live_server.url}/notice/status")
    problems += violations(page)
    page.fill("#notice-reference", reference)
    page.fill("#notice-code", "WRONG-CODE0")
    page.click("button[type=submit]")
    page.wait_for_selector("#error-summary")
    problems += violations(page)
    page.fill("#notice-code", code)
    page.click("button[type=submit]")
    page.wait_for_selector("#notice-state")
    problems += violations(page)
    # Decided: the reply and the form to contest it (art. 20(1)), its errors, and the complaint received.
    decided = notices.DecideCase.parse(
        notice=reference, action="no_action", rationale="Not spam.", reply="We took no action.", automated=False
    )
    notices.decide_case(live_server.db, decided, caller=Caller("a11y-moderator", now=datetime.now(UTC)))
    page.goto(f"{live_server.url}/notice/status")
    page.fill("#notice-reference", reference)
    page.fill("#notice-code", code)
    page.click("button[type=submit]")
    page.wait_for_selector("#notice-contest")
    problems += violations(page)
    page.click("#notice-contest button[type=submit]")
    page.wait_for_selector("#error-summary")
    problems += violations(page)
    page.fill("#notice-name", "Example Association")
    page.fill("#notice-statement", "It is spam: the same post fifty times.")
    page.click("#notice-contest button[type=submit]")
    page.wait_for_selector("#notice-complaint")
    problems += violations(page)
    assert not problems, "\n".join(problems)


def shape(path: str) -> str:
    """A console path with its ids (anything with a digit) as ``*``: one shape per kind of page."""
    return "/".join("*" if re.search(r"\d", part) else part for part in path.split("/"))


def content_review(server: LiveServer) -> str:
    """The demo's review of a content decision."""
    with server.db.read() as conn:
        reviews = tables.reviews.c
        return str(conn.execute(select(reviews.id).where(reviews.content_decision_id.is_not(None))).scalar_one())


def notice_case(server: LiveServer) -> str:
    """A case of two notices about the demo's Capitol video (one without its notifier's name, art.
    16(2)(c)), and a notice about an account: the case's page and the notices list have rows."""
    now = datetime.now(UTC)
    fields: dict[str, Any] = {
        "platform": "facebook",
        "about": {"item": "capitol-video-2021-01-06"},
        "location": "https://facebook.example/capitol-video-2021-01-06",
        "explanation": "Calls for violence.",
        "category": "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
        "illegal": True,
        "legal_ground": "A law",
        "notifier": {"kind": "individual", "name": "Axe Notifier", "email": "axe@example.org"},
        "bona_fide": True,
        "channel": "api",
    }
    caller = Caller("a11y", now=now)
    case = notices.receive_notice(server.db, notices.ReceiveNotice.parse(**fields), caller=caller).case
    fields["notifier"] = {"kind": "entity"}
    notices.receive_notice(server.db, notices.ReceiveNotice.parse(**fields), caller=caller)
    fields.update(about={"account": "a11y-account"}, category="STATEMENT_CATEGORY_SCAMS_AND_FRAUD", illegal=False)
    fields.update(legal_ground=None, notifier={"kind": "entity", "name": "Axe Ltd", "email": "axe@example.org"})
    notices.receive_notice(server.db, notices.ReceiveNotice.parse(**fields), caller=caller)
    return case


def test_every_console_page_a_moderator_reaches(axe_page: Page, live_server: LiveServer) -> None:
    page = axe_page
    case = notice_case(live_server)
    sign_in(page, live_server, "moderator@meta.example")
    origin = urlsplit(live_server.url)
    # Links from the dashboard, and what only a GET form leads to: a page as it stood at an
    # instant, and the amnesty wizard's preview (a dry run, which changes nothing).
    queue = [
        live_server.console(path)
        for path in (
            "",
            "/queues/reviews",
            "/queues/appeals",
            "/sanctions",
            "/content-decisions",
            "/platforms/facebook/items/capitol-video-2021-01-06",
            "/platforms/instagram/items/wellness-photo-0042",
            "/platforms/facebook/items/news-clip-2024",  # a granted complaint about content, linked
            "/amnesties",
            "?at=2022-06-01T00:00",
            "/accounts/facebook/DonaldTrump?at=2022-06-01T00:00",
            "/amnesties/preview?kinds=suspension&reason=Accessibility+check",
            # the search box's results, and the amnesty filters refused (shown again with their errors)
            "/accounts?q=DonaldTrump",
            "/amnesties/preview?kinds=suspension&started_before=soon&reason=Check",
            # an amnesty that covers content too: its content counts and sample (issue 25)
            "/amnesties/preview?covers=both&reason=Accessibility+check",
            # the demo's review of a content decision (the Oversight Board's, issue 25)
            f"/reviews/{content_review(live_server)}",
            # the notices list, its decided tab, and a case's page (issue 26)
            "/notices",
            "/notices?state=decided&category=STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
            f"/cases/{case}",
        )
    ]
    seen_urls: set[str] = set()
    shapes: Counter[str] = Counter()
    checked: list[str] = []
    problems: list[str] = []
    while queue and len(checked) < MAX_PAGES:
        url = queue.pop(0)
        parts = urlsplit(url)
        key = parts.path + ("?" + parts.query if parts.query else "")
        if key in seen_urls or shapes[shape(parts.path)] >= PER_SHAPE:
            continue
        seen_urls.add(key)
        shapes[shape(parts.path)] += 1
        answer = page.goto(url)
        assert answer is not None and answer.status < 500, f"{url}: {answer.status if answer else 'no answer'}"
        checked.append(parts.path)
        problems += violations(page)
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            target, _fragment = urldefrag(href)
            split = urlsplit(target)
            if (split.scheme, split.netloc) != (origin.scheme, origin.netloc):
                continue
            if not split.path.startswith("/console") or SKIP.search(split.path) or "/static/" in split.path:
                continue
            if "lang=" in split.query:
                continue
            queue.append(target)
    # The crawl reached the console's parts, not just its front page.
    assert len({shape(p) for p in checked}) >= 2, checked
    assert not problems, "\n".join(problems)


def test_the_console_forms_refused_with_their_errors_beside_the_fields(axe_page: Page, live_server: LiveServer) -> None:
    """The impose form, a sanction's amend form and the decide form, refused: each shown again as
    typed, with the error summary and the errors beside the fields."""
    page = axe_page
    sign_in(page, live_server, "moderator@meta.example")
    sanction, _code = suspended_account(live_server)
    page.goto(live_server.console(f"/accounts/facebook/a11y-{secrets.token_hex(3)}"))
    page.click("#impose-action summary")
    assert violations(page) == []  # the open form, with the DSA's fields and the term's presets
    page.fill("#impose-duration", "a fortnight or so")
    page.fill("#impose-policy", "Fraud")
    page.fill("#impose-explanation", "Sold counterfeit tickets")
    page.check("#impose-confirm")
    page.click("#impose-submit")
    page.wait_for_selector("#impose-duration-error")
    problems = violations(page)
    page.goto(live_server.console(f"/sanctions/{sanction}"))
    page.click("#amend-action summary")
    page.fill("#amend-ends", "2001-01-01T00:00")
    page.fill("#amend-reason", "Shorter")
    page.check("#amend-confirm")
    page.click("#amend-action button[type=submit]")
    page.wait_for_selector("#amend-ends-error")
    assert page.input_value("#amend-reason") == "Shorter"
    problems += violations(page)
    page.goto(live_server.console(f"/accounts/facebook/a11y-{secrets.token_hex(3)}"))
    page.click("#decide-action summary")
    problems += violations(page)  # the open decide form, with the item's and the DSA's fields
    page.fill("#decide-item", "a11y-item")
    page.fill("#decide-evidence-reference", "snapshots/a11y-item")
    page.fill("#decide-policy", "Spam")
    page.fill("#decide-explanation", "Repeated identical posts")
    page.check("#decide-confirm")
    page.click("#decide-submit")
    page.wait_for_selector("#decide-evidence-sha256-error")
    problems += violations(page)
    assert not problems, "\n".join(problems)


def test_a_cases_decide_form_refused_and_the_case_decided(axe_page: Page, live_server: LiveServer) -> None:
    """The case page's decide form sent empty (every error beside its field, the embedded item
    form's too), then the case decided with no action: its decision and replies, in both languages."""
    page = axe_page
    case = notice_case(live_server)
    sign_in(page, live_server, "moderator@meta.example")
    page.goto(live_server.console(f"/cases/{case}"))
    page.check("#case-action-content_decision")
    page.click("#case-submit")
    page.wait_for_selector("#error-summary")
    problems = violations(page)
    page.check("#case-action-no_action")
    page.fill("#case-rationale", "The video is news reporting.")
    page.fill("#case-reply", "We kept the video: it reports the events.")
    page.check("#case-confirm")
    page.click("#case-submit")
    page.wait_for_selector("#case-decided")
    problems += violations(page)
    page.goto(live_server.console(f"/cases/{case}?lang=fr"))
    problems += violations(page)
    assert not problems, "\n".join(problems)


def test_the_audit_page_the_french_pages_and_the_404_page_an_auditor_reads(
    axe_page: Page, live_server: LiveServer
) -> None:
    """What the moderator's crawl does not reach: the audit page (an auditor's), with its filters
    and an event's JSON open, the French pages the labels changed, and the French 404 page."""
    page = axe_page
    sign_in(page, live_server, "auditor@meta.example")
    problems: list[str] = []
    with live_server.db.read() as conn:
        sanctions, reviews, appeals = tables.sanctions.c, tables.reviews.c, tables.appeals.c
        sanction = conn.execute(
            select(sanctions.id).where(
                sanctions.subject_platform == "facebook", sanctions.subject_account == "DonaldTrump"
            )
        ).scalar_one()
        review = conn.execute(select(reviews.id).where(reviews.sanction_id == sanction)).scalar_one()
        appeal = conn.execute(select(appeals.id).where(appeals.sanction_id == sanction)).scalar_one()
    for path in (
        "/audit",
        "/audit?lang=fr&type=sanction.&subject=facebook/DonaldTrump&order=oldest",
        "?lang=fr",
        f"/sanctions/{sanction}?lang=fr",
        f"/reviews/{review}?lang=fr",
        f"/appeals/{appeal}?lang=fr",
        "/accounts/facebook/DonaldTrump?lang=fr",
        "/notices?lang=fr&state=decided",
        "/no-such-page?lang=fr",
    ):
        page.goto(live_server.console(path))
        if "/audit" in path:
            page.locator("details.event-data summary").first.click()
        problems += violations(page)
    assert page.locator("h1").inner_text() == "Page introuvable"
    assert not problems, "\n".join(problems)


def test_the_check_finds_a_serious_violation_when_there_is_one(axe_page: Page, live_server: LiveServer) -> None:
    """The guard against a check that passes because it never ran: an unlabelled field is found."""
    axe_page.goto(f"{live_server.url}/appeal")
    assert violations(axe_page) == []
    axe_page.evaluate("""() => {
        const input = document.createElement("input");
        input.id = "unlabelled";
        document.querySelector("main").appendChild(input);
    }""")
    found = violations(axe_page)
    assert any("] label (" in line and "#unlabelled" in line for line in found), found


def test_an_admin_disables_and_enables_a_member_on_an_accessible_members_page(
    axe_page: Page, live_server: LiveServer
) -> None:
    page = axe_page
    email = f"leaver-{secrets.token_hex(4)}@meta.example"
    members.create_member(
        live_server.db,
        members.CreateMember.parse(
            email=email, name="Lee Leaver", role="reviewer", operator="meta", password=DEMO_PASSWORD
        ),
        caller=Caller("test", now=datetime.now(UTC)),
    )
    sign_in(page, live_server, "admin@meta.example")
    page.click("nav.main-nav a[href='/console/members']")
    page.wait_for_url(re.compile(r"/console/members$"))
    assert violations(page) == []
    row = page.locator("#member-list tr", has_text=email)
    row.locator("summary").click()
    assert violations(page) == []  # the open form too
    row.locator("input[name=confirm]").check()
    row.locator("button[type=submit]").click()
    page.wait_for_selector("#notice")
    assert "disabled since" in page.locator("#member-list tr", has_text=email).inner_text()
    assert violations(page) == []
    # And enabled again, through the form the disabled member's row now holds.
    row = page.locator("#member-list tr", has_text=email)
    row.locator("summary").click()
    assert violations(page) == []
    row.locator("input[name=confirm]").check()
    row.locator("button[type=submit]").click()
    page.wait_for_selector("#notice:has-text('enabled again')")
    again = page.locator("#member-list tr", has_text=email).inner_text()
    assert "disabled since" not in again and again.strip().endswith("Disable this member")
    assert violations(page) == []


def test_a_member_changes_their_password_on_an_accessible_page(axe_page: Page, live_server: LiveServer) -> None:
    page = axe_page
    email = f"changer-{secrets.token_hex(4)}@meta.example"
    members.create_member(
        live_server.db,
        members.CreateMember.parse(
            email=email, name="Cy Changer", role="auditor", operator="meta", password=DEMO_PASSWORD
        ),
        caller=Caller("test", now=datetime.now(UTC)),
    )
    sign_in(page, live_server, email)
    page.click("header a[href='/console/password']")
    page.wait_for_url(re.compile(r"/console/password$"))
    assert violations(page) == []
    page.fill("#current_password", "not the password")
    page.fill("#new_password", "a brand new passphrase")
    page.fill("#repeat_password", "a brand new passphrase")
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#password-error")
    assert violations(page) == []  # the refusal too
    page.fill("#current_password", DEMO_PASSWORD)
    page.fill("#new_password", "a brand new passphrase")
    page.fill("#repeat_password", "a brand new passphrase")
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#notice")
    assert "password is changed" in page.locator("#notice").inner_text()
    assert violations(page) == []
