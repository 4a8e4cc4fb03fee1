"""Fixtures of the security suite: each finding of the red-team report, reproduced.

The suite reuses the API suite's world (an app over the shared ``db`` fixture, a clock tests can
move, tokens for every role) and the helpers of the other suites, by putting their folders on the
import path; ``db`` and ``database_url`` come from ``tests/conftest.py`` (SQLite, and PostgreSQL
when ``REPRIEVE_TEST_POSTGRES_URL`` is set).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_TESTS = Path(__file__).resolve().parent.parent
for _suite in ("api", "dsa", "e2e", "integration"):
    if str(_TESTS / _suite) not in sys.path:
        sys.path.append(str(_TESTS / _suite))

from api_support import Clock, World, build_world  # noqa: E402

from reprieve.store.db import Database  # noqa: E402


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def world(db: Database, clock: Clock) -> World:
    """A fresh world on a fresh database, for one test."""
    return build_world(db, clock)


@pytest.fixture(autouse=True)
def _local_receivers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Webhook endpoints in these tests name 127.0.0.1, which an installation must allow; the
    SSRF tests that check the refusal clear the setting themselves."""
    monkeypatch.setenv("REPRIEVE_WEBHOOK_ALLOW_NETWORKS", "127.0.0.1/32")
