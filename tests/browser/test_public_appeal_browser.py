"""The public appeal form in a real browser: its errors and where the focus goes, then an appeal
filed in French from the statement's link, and decided in the console by a moderator with a reply.
Each public page's screenshot is saved for docs/console.md."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from browser_support import LiveServer, screenshot, sign_in
from sqlalchemy import select

from reprieve.domain.model import AccountRef
from reprieve.services import appeal_codes
from reprieve.services.callers import Caller
from reprieve.services.sanctions import ImposeSanction, impose_sanction
from reprieve.store import tables

if TYPE_CHECKING:
    from playwright.sync_api import Page

REASON = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "policy": "Dangerous Individuals and Organizations",
    "explanation": "Praise of people engaged in violence",
}
EMAIL = "avocate@cabinet.example"


def suspended_account(server: LiveServer) -> tuple[str, str]:
    """A fresh suspension on facebook, imposed now, and its appeal code as the statement prints it."""
    account = f"appellant_{secrets.token_hex(4)}"
    command = ImposeSanction.parse(
        subject=AccountRef("facebook", account), kind="suspension", reason=dict(REASON), duration="P1Y"
    )
    sanction = impose_sanction(server.db, command, caller=Caller("browser-test", now=datetime.now(UTC))).to_json()
    with server.db.read() as conn:
        code = appeal_codes.printed(appeal_codes.code_for(conn, sanction["id"]))
    return sanction["id"], code


def focused_id(page: Page) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def test_errors_are_summarised_at_the_top_with_the_focus_on_the_summary(page: Page, live_server: LiveServer) -> None:
    sanction, _code = suspended_account(live_server)
    page.goto(f"{live_server.url}/appeal?sanction={sanction}&lang=en")
    assert page.input_value("#appeal-sanction") == sanction
    assert page.get_by_text("Required fields are marked *").is_visible()
    screenshot(page, "appeal-form")
    page.fill("#appeal-code", "WRONG-CODE0")
    page.click("button[type=submit]")
    page.wait_for_selector("#error-summary")
    assert focused_id(page) == "error-summary"
    assert page.locator("#appeal-name-error").inner_text().endswith("Enter your name")
    assert page.input_value("#appeal-code") == "WRONG-CODE0"
    screenshot(page, "appeal-form-errors")
    # Each error in the summary is a link to its field.
    page.click("#error-summary a[href='#appeal-email']")
    assert focused_id(page) == "appeal-email"


def test_file_an_appeal_in_french_and_decide_it_in_the_console(page: Page, live_server: LiveServer) -> None:
    sanction, code = suspended_account(live_server)
    page.goto(f"{live_server.url}/appeal?sanction={sanction}&lang=en")
    page.click("nav.lang a[hreflang=fr]")
    page.wait_for_selector("h1:has-text('Contester une décision')")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.input_value("#appeal-sanction") == sanction  # the switch keeps the statement's reference
    screenshot(page, "appeal-form-fr")
    page.fill("#appeal-code", code.lower())
    page.check("#appeal-kind-reinstatement")
    page.fill("#appeal-statement", "Les circonstances ont changé : le compte est désormais géré par une équipe.")
    page.check("#appeal-meeting")
    page.fill("#appeal-name", "Maître Camille Durand")
    page.fill("#appeal-email", EMAIL)
    page.check("#appeal-relation-representative")
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Recours reçu')")
    reference = page.inner_text("#appeal-reference").strip()
    assert re.fullmatch(r"apl_[0-9A-Z]+", reference)
    assert EMAIL not in page.content()
    screenshot(page, "appeal-received-fr")
    with live_server.db.read() as conn:
        appeal = conn.execute(select(tables.appeals).where(tables.appeals.c.id == reference)).one()
    assert (appeal.sanction_id, appeal.kind, appeal.channel, appeal.relation, appeal.meeting_requested) == (
        sanction,
        "reinstatement",
        "web",
        "representative",
        True,
    )

    # A moderator of the operator finds it in the console's queue and decides it, with a reply.
    page.goto(f"{live_server.url}/appeal?lang=en")  # back to English for the console
    sign_in(page, live_server, "moderator@meta.example")
    page.goto(live_server.console("/queues/appeals?kind=reinstatement"))
    page.click(f"#appeal-queue a[href*='{reference}']")
    page.wait_for_url(re.compile(rf"/console/appeals/{reference}"))
    # The e-mail is behind a button: clicking it shows whom to answer, and records who saw it.
    assert EMAIL not in page.content() and page.inner_text("#requester-name") == "Maître Camille Durand"
    page.click("#reveal-email")
    page.wait_for_selector("#requester-email")
    assert page.inner_text("#requester-email") == EMAIL
    with live_server.db.read() as conn:
        m = tables.members.c
        moderator = conn.execute(select(m.id).where(m.email == "moderator@meta.example")).scalar_one()
        a = tables.personal_data_access.c
        access = conn.execute(select(a.actor, a.via, a.fields).where(a.appeal_id == reference)).all()
    assert [tuple(row) for row in access] == [(f"member:{moderator}", "console", "email")]
    page.select_option("#appeal-outcome-select", "granted")
    page.fill("#appeal-rationale", "The account is now run by a team with a moderation policy.")
    page.fill("#appeal-reply", "Votre recours est accepté : le compte est rétabli.")
    page.check("#appeal-confirm")
    page.click("#appeal-decide-action button[type=submit]")
    page.wait_for_selector("#appeal-outcome")
    assert page.get_by_text("Votre recours est accepté : le compte est rétabli.").is_visible()
    screenshot(page, "appeal-decided")
    with live_server.db.read() as conn:
        decided = conn.execute(select(tables.appeals).where(tables.appeals.c.id == reference)).one()
        lifted = conn.execute(select(tables.sanctions.c.lifted_at).where(tables.sanctions.c.id == sanction)).one()
        pd = tables.personal_data.c
        reply = conn.execute(
            select(pd.value).where(pd.id == decided.reply_ref)
        ).scalar_one()  # issue 21: beside the log
    assert decided.state == "granted" and decided.reply is None
    assert reply == "Votre recours est accepté : le compte est rétabli."
    assert lifted[0] is not None
