"""Fixtures shared by every suite: a database on each backend, a fixed clock, a small catalogue.

``database_url`` runs a test once on SQLite (a fresh file) and once on PostgreSQL (a database
on the server named by ``REPRIEVE_TEST_POSTGRES_URL``; skipped when it is not set), each a copy
of a migrated template (``database_templates.py``; on PostgreSQL a copy is emptied back to the
template after its test and reused); ``empty_database_url`` gives an unmigrated one, for the
tests of the migrations.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from database_templates import BACKENDS, POSTGRES_URL, Templates, postgres_schema
from hashing_support import PRODUCTION_HASHER, QUICK_HASHER
from reprieve.domain.model import AccountRef
from reprieve.services import catalogue, members
from reprieve.services.callers import Caller
from reprieve.services.sanctions import ImposeSanction, impose_sanction
from reprieve.store.db import Database, open_database

# PostgreSQL needs a key to store webhook secrets and derive appeal codes (store/keys.py); the
# same one on SQLite keeps the two backends alike. tests/security/test_secrets.py unsets it to
# test the key file beside a SQLite database, and PostgreSQL without a key.
os.environ.setdefault("REPRIEVE_SECRET_KEY", "the test suite's key, never a production one")

# Modest by default so the suite stays fast on both backends; REPRIEVE_HYPOTHESIS_PROFILE=thorough
# for a longer hunt.
settings.register_profile("reprieve", max_examples=40, deadline=None, print_blob=True)
settings.register_profile("thorough", max_examples=400, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("REPRIEVE_HYPOTHESIS_PROFILE", "reprieve"))

ACTOR = "test-suite"
#: The ``backdated_reason`` of the history tests write: decisions taking effect long before the
#: test's clock (PRODUCT.md section 8).
HISTORY = "Test history, entered after the fact."


@pytest.fixture(scope="session", autouse=True)
def quick_password_hashing() -> Iterator[None]:
    """The whole run hashes passwords at the smallest cost (what a test checks of a password, its
    sign-in, its change, its refusal, does not depend on the hash's cost): a member made, a
    sign-in, a demo loaded cost a millisecond instead of 0.2 s of CPU a hash. The application's
    parameters are tested in tests/security/test_password_hashing.py (``production_hashing``),
    and the servers the tests start in processes of their own hash with them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(members, "_hasher", QUICK_HASHER)
        members._dummy_hash.cache_clear()  # the hash an unknown e-mail is checked against
        yield
    members._dummy_hash.cache_clear()


@pytest.fixture
def production_hashing() -> Iterator[None]:
    """The application's own hasher, for the tests of its parameters."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(members, "_hasher", PRODUCTION_HASHER)
        members._dummy_hash.cache_clear()
        yield
    members._dummy_hash.cache_clear()


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty, unmigrated database, on each backend in turn: for the tests of the
    migrations themselves."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'reprieve.db'}"
        return
    assert POSTGRES_URL is not None
    yield from postgres_schema(POSTGRES_URL)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, templates: Templates) -> Iterator[str]:
    """A URL to a database migrated to the newest schema and holding nothing else, on each
    backend in turn: a copy of a template the real migrations built once per test process
    (running the fourteen migrations for each test cost the suite minutes)."""
    if request.param == "sqlite":
        yield templates.sqlite_copy(tmp_path / "reprieve.db")
        return
    yield from templates.postgres_copy()


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    """The migrated templates of this test process (one per xdist worker)."""
    made = Templates(tmp_path_factory.mktemp("templates"))
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The database at ``database_url``, migrated, disposed of after the test."""
    database = open_database(database_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def now() -> datetime:
    """The instant services are told it is: fixed, so that tests do not depend on the clock."""
    return datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)


def valid_reason(**overrides: Any) -> dict[str, Any]:
    reason: dict[str, Any] = {
        "ground": "incompatible_content",
        "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
        "policy": "Dangerous individuals and organisations",
        "explanation": "Praise of ongoing violence on the platform",
        "facts": "Posts of 2021-01-06",
    }
    reason.update(overrides)
    return reason


@pytest.fixture
def reason() -> dict[str, Any]:
    """A valid DSA reason (a fresh dict each time)."""
    return valid_reason()


@pytest.fixture
def meta(db: Database, now: datetime) -> str:
    """Operator ``meta`` with platforms ``facebook`` and ``instagram``."""
    catalogue.create_operator(
        db, catalogue.CreateOperator.parse(id="meta", name="Meta Platforms"), caller=Caller(ACTOR, now=now)
    )
    for platform, name in (("facebook", "Facebook"), ("instagram", "Instagram")):
        catalogue.create_platform(
            db, catalogue.CreatePlatform.parse(id=platform, operator="meta", name=name), caller=Caller(ACTOR, now=now)
        )
    return "meta"


@pytest.fixture
def x_corp(db: Database, now: datetime) -> str:
    """Operator ``x`` with platform ``twitter``."""
    catalogue.create_operator(db, catalogue.CreateOperator.parse(id="x", name="X Corp"), caller=Caller(ACTOR, now=now))
    catalogue.create_platform(
        db, catalogue.CreatePlatform.parse(id="twitter", operator="x", name="Twitter"), caller=Caller(ACTOR, now=now)
    )
    return "x"


@pytest.fixture
def impose(db: Database, now: datetime) -> Callable[..., dict[str, Any]]:
    """``impose("facebook/alice", "suspension", duration="P30D", ...)``: a sanction, through the service."""

    def impose_(subject: str, kind: str, **fields: Any) -> dict[str, Any]:
        fields.setdefault("reason", valid_reason())
        if "starts_at" in fields:  # history a test writes: a start long before its clock is backdated
            fields.setdefault("backdated_reason", HISTORY)
        when = fields.pop("now", now)
        command = ImposeSanction.parse(subject=AccountRef.parse(subject), kind=kind, **fields)
        return impose_sanction(db, command, caller=Caller(ACTOR, now=when)).to_json()  # the wire form

    return impose_


#: Where the tests' temporary directories go when the machine has it: a file system in memory.
MEMORY = Path("/dev/shm")


def pytest_configure(config: pytest.Config) -> None:
    """The temporary directories (``tmp_path``: the SQLite databases, key files, exports) in
    memory when there is a file system there: SQLite commits with ``synchronous=FULL`` as in
    production, and on a disk each commit waits for its fsync (about 4 ms here, against 0.04 ms
    in memory), many thousand times a run. What a test sees is the same (files, permissions, a
    killed process's last commits); only a crash of the machine itself would lose them. A
    ``--basetemp`` or ``PYTEST_DEBUG_TEMPROOT`` given is kept; the xdist workers get theirs
    from the controller."""
    if config.option.basetemp or os.environ.get("PYTEST_DEBUG_TEMPROOT"):
        return
    if MEMORY.is_dir() and os.access(MEMORY, os.W_OK | os.X_OK):
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(MEMORY)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first (the order is otherwise kept): when the suite runs on several cores
    (``make test``: ``pytest -n auto``), the longest ones start at once instead of last, while
    the other cores share out the rest."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
