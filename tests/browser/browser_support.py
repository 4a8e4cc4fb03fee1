"""Helpers of the browser tests: the live server's handle, screenshots, signing in."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reprieve.demo import DEMO_PASSWORD
from reprieve.store.db import Database

if TYPE_CHECKING:
    from playwright.sync_api import Page

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
#: How long a browser test waits for a page or an element (ms): generous for a busy 2-core machine.
TIMEOUT_MS = 20_000


@dataclass(frozen=True)
class LiveServer:
    url: str
    db: Database

    def console(self, path: str = "") -> str:
        return f"{self.url}/console{path}"


def screenshot(page: Page, name: str) -> bytes:
    """The whole page as a PNG. With ``REPRIEVE_SCREENSHOTS=1`` (``make screenshots``) it is saved
    as ``docs/console/<name>.png``, the pictures the docs show; a plain test run leaves the
    checkout as it found it."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
        raise ValueError(f"screenshot name {name!r}: lower-case letters, digits, '-' and '_'")
    if os.environ.get("REPRIEVE_SCREENSHOTS") != "1":
        return page.screenshot(full_page=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, server: LiveServer, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the form, and wait for the dashboard."""
    page.goto(server.console("/sign-in"))
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r"/console(\?.*)?$"))
