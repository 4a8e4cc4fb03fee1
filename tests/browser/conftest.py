"""The browser tests' fixtures: a live server over the demo data and a headless Chromium.

``live_server`` (one per module): ``reprieve``'s app under uvicorn in a thread, on a free port,
over a fresh SQLite database holding the demo story and its members (``reprieve.demo``: loaded
once per test process, copied for each module); it is handed out once uvicorn has said it
started. ``browser`` (one per module): Debian's ``chromium`` driven by Playwright, headless.
``page``: a fresh context and page for one test. ``screenshot(page, name)`` takes a PNG of the
page; ``make screenshots`` saves them in ``docs/console``.

Nothing is installed from here: ``make test`` installs Playwright (the dev extras) and Debian's
``chromium``; without them these tests are skipped with the reason.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser_support import CHROMIUM_ARGS, TIMEOUT_MS, LiveServer

from e2e.live_server import uvicorn_server
from reprieve.api.app import create_app
from reprieve.api.enforcement import attach_index
from reprieve.demo import load_demo
from reprieve.store.db import open_database

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the demo, loaded once per test process: each module's live server
    gets a copy of it (loading the demo takes seconds, copying the file milliseconds)."""
    path = tmp_path_factory.mktemp("demo") / "reprieve.db"
    db = open_database(f"sqlite:///{path}")
    try:
        load_demo(db, synthetic=300)
    finally:
        db.dispose()  # the last close checkpoints the WAL away: the file is the whole database
    assert not path.with_name("reprieve.db-wal").exists()
    return path


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, demo_database: Path) -> Iterator[LiveServer]:
    path = tmp_path_factory.mktemp("console") / "reprieve.db"
    shutil.copyfile(demo_database, path)
    path.chmod(0o600)  # as a database the application creates
    db = open_database(f"sqlite:///{path}")
    server = uvicorn_server(attach_index(create_app(db), db))
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    try:
        if not server.ready.wait(timeout=60) or not server.started:
            pytest.fail("the live server did not start")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield LiveServer(f"http://127.0.0.1:{port}", db)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        db.dispose()


# One browser per module, not per session: Playwright's sync API keeps an asyncio loop running in
# the main thread while it is open, and later tests (the worker's) call asyncio.run() there.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e .[dev])")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
