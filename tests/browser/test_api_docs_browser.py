"""The API's first pages in Chromium: ``/docs`` renders Swagger UI from the vendored files with
nothing fetched from another origin and nothing refused by the strict Content-Security-Policy,
and ``/`` (the landing page) links everything a newcomer looks for; both pass axe-core
(vendored in tests/browser/vendor/axe-core), as the console's pages do (test_accessibility.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from browser_support import TIMEOUT_MS, LiveServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
  }));
}"""


class Watched:
    """A page, and what it asked for and complained about since it was made."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def violations(self) -> list[str]:
        found: list[dict[str, Any]] = self.page.evaluate(RUN_AXE)
        return [
            f"{self.page.url}: [{v['impact']}] {v['id']} ({v['help']}) at {', '.join(v['nodes'])}"
            for v in found
            if v["impact"] in BLOCKING
        ]


@pytest.fixture(scope="module")
def watched(browser: Browser) -> Iterator[Watched]:
    """One context for the module (browser tests are costly), axe added as an init script (the
    DevTools protocol's, which the page's CSP does not apply to), every request recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(path=str(AXE))
    try:
        yield Watched(context.new_page())
    finally:
        context.close()


def test_docs_render_offline_under_the_strict_policy(watched: Watched, live_server: LiveServer) -> None:
    page = watched.page
    answer = page.goto(f"{live_server.url}/docs")
    assert answer is not None and answer.status == 200
    assert "'unsafe-inline'" not in answer.headers["content-security-policy"]
    # The operations list: one block per operation, grouped under the tags.
    page.locator(".opblock-tag-section").first.wait_for()
    page.locator("#operations-checks-run_checks_v1_checks_post").wait_for()
    assert page.locator(".opblock").count() >= 40
    assert page.locator(".info .title").inner_text().startswith("Reprieve")
    origin = urlsplit(live_server.url).netloc
    assert watched.requests and all(urlsplit(url).netloc == origin for url in watched.requests), watched.requests
    assert any(url.endswith("/openapi.json") for url in watched.requests)
    assert not watched.errors, watched.errors  # a CSP refusal is reported as a console error
    # An operation opens, with its example body, without leaving the page's origin either.
    page.locator("#operations-checks-run_checks_v1_checks_post .opblock-summary").click()
    page.locator(
        "#operations-checks-run_checks_v1_checks_post .body-param__example, "
        "#operations-checks-run_checks_v1_checks_post .microlight"
    ).first.wait_for()
    assert all(urlsplit(url).netloc == origin for url in watched.requests)
    assert not watched.errors, watched.errors
    found = watched.violations()
    assert found == [], "\n".join(found)


def test_the_landing_page_links_everything_in_english_and_french(watched: Watched, live_server: LiveServer) -> None:
    page = watched.page
    links = {"/console", "/appeal", "/notice", "/docs", "/openapi.json", "/healthz", "/readyz"}
    answer = page.goto(f"{live_server.url}/")
    assert answer is not None and answer.status == 200 and "content-security-policy" in answer.headers
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Reprieve"
    hrefs = set(page.eval_on_selector_all("main a[href]", "links => links.map(a => new URL(a.href).pathname)"))
    assert hrefs == links
    assert page.get_by_role("link", name="API documentation").count() == 1
    assert watched.violations() == []
    # Each link leads somewhere that answers (the console asks to sign in).
    for path in sorted(links):
        reached = page.request.get(f"{live_server.url}{path}")
        assert reached.status == 200, (path, reached.status)
    french = page.request.get(f"{live_server.url}/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert french.headers["content-language"] == "fr" and "Documentation de l’API" in french.text()
    page.goto(f"{live_server.url}/?lang=fr")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("link", name="Documentation de l’API").count() == 1
    assert watched.violations() == []
    assert not watched.errors, watched.errors
