"""The console's handlers never block the event loop: a form post waiting on the database leaves
the server answering other requests (the database work runs in the thread pool)."""

from __future__ import annotations

import inspect
import re
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import httpx
import psycopg
import pytest
from api_support import Clock
from argon2 import PasswordHasher
from fastapi.routing import APIRoute

from database_templates import POSTGRES_URL, Templates
from e2e.live_server import uvicorn_server
from reprieve.api.app import create_app
from reprieve.domain.model import AccountRef
from reprieve.services import catalogue, members, sanctions
from reprieve.services.callers import Caller
from reprieve.store.db import Database, open_database

PASSWORD = "correct horse battery"
REASON: dict[str, Any] = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "policy": "Fraud",
    "explanation": "Sold counterfeit tickets",
}

#: Coroutine handlers of the console and the public pages, each checked to hand its database
#: work to the thread pool (``run_in_threadpool``) itself; every other handler is a plain function.
AWAITING_THEIR_OWN_WORK = {
    "sign_in",
    "sign_out",
    "file_appeal",
    "notice_form",
    "file_notice",
    "look_up_status",
    "contest_decision",
}


def test_every_console_handler_is_a_plain_function_or_hands_its_work_to_the_thread_pool(db: Database) -> None:
    app = create_app(db, clock=Clock(), group_commit=False)
    routes = [r for r in _routes(app.routes) if r.endpoint.__module__.startswith("reprieve.web")]
    assert len(routes) > 30  # the console and the public pages are there
    coroutines = {r.endpoint.__name__ for r in routes if inspect.iscoroutinefunction(r.endpoint)}
    assert coroutines <= AWAITING_THEIR_OWN_WORK, sorted(coroutines - AWAITING_THEIR_OWN_WORK)
    for route in routes:
        if route.endpoint.__name__ in AWAITING_THEIR_OWN_WORK:
            source = inspect.getsource(route.endpoint)
            assert "run_in_threadpool" in source, route.endpoint.__name__


def _routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every route, those of included routers too (FastAPI wraps each in an object of its own)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes)


@pytest.fixture
def postgres_console(templates: Templates, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Database, str]]:
    """A live server over a PostgreSQL database with a moderator and one sanction to lift."""
    if not POSTGRES_URL:
        pytest.skip("set REPRIEVE_TEST_POSTGRES_URL to run on PostgreSQL")
    monkeypatch.setattr(members, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    members._dummy_hash.cache_clear()
    copies = templates.postgres_copy()
    url = next(copies)
    db = open_database(url)
    clock = Clock()
    catalogue.create_operator(
        db, catalogue.CreateOperator.parse(id="meta", name="Meta"), caller=Caller("test", now=clock.now)
    )
    catalogue.create_platform(
        db,
        catalogue.CreatePlatform.parse(id="facebook", operator="meta", name="Facebook"),
        caller=Caller("test", now=clock.now),
    )
    members.create_member(
        db,
        members.CreateMember.parse(
            email="moderator@meta.example", name="Moderator", role="moderator", operator="meta", password=PASSWORD
        ),
        caller=Caller("test", now=clock.now),
    )
    command = sanctions.ImposeSanction.parse(
        subject=AccountRef.parse("facebook/alice"), kind="suspension", reason=REASON
    )
    sanction = str(sanctions.impose_sanction(db, command, caller=Caller("test", now=clock.now)).to_json()["id"])
    server = uvicorn_server(create_app(db, clock=clock, group_commit=False))
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    try:
        if not server.ready.wait(timeout=60) or not server.started:
            pytest.fail("the live server did not start")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}", db, sanction
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        db.dispose()
        next(copies, None)


def _csrf(client: httpx.Client, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


def test_a_form_post_waiting_on_the_database_leaves_the_server_answering(
    postgres_console: tuple[str, Database, str],
) -> None:
    base, db, sanction = postgres_console
    with httpx.Client(base_url=base, timeout=60) as client:
        signed = client.post(
            "/console/sign-in",
            data={
                "email": "moderator@meta.example",
                "password": PASSWORD,
                "csrf_token": _csrf(client, "/console/sign-in"),
            },
        )
        assert signed.status_code in (200, 303)
        form = {"reason": "appeal granted", "confirm": "yes", "csrf_token": _csrf(client, "/console")}
        # Another transaction holds the head of the log: the lift waits for it inside its handler.
        holder = psycopg.connect(_libpq(db))
        holder.execute("SELECT seq FROM chain_head WHERE id = 1 FOR UPDATE")
        outcome: dict[str, Any] = {}
        post = threading.Thread(
            target=lambda: outcome.update(lift=client.post(f"/console/sanctions/{sanction}/lift", data=form)),
        )
        post.start()
        try:
            _wait_for_a_lock_waiter(db)
            # The server answers while the lift waits: were the handler blocking the loop, this
            # request would time out (the lock is only released below).
            try:
                outcome["probe"] = httpx.get(f"{base}/healthz", timeout=10).status_code
            except httpx.TimeoutException:
                outcome["probe"] = "timed out"
        finally:
            holder.rollback()
            holder.close()
            post.join(timeout=60)
    assert outcome["probe"] == 200
    assert outcome["lift"].status_code == 303 and "done=lifted" in outcome["lift"].headers["location"]


def _wait_for_a_lock_waiter(db: Database) -> None:
    """Until another session of this database waits for a lock (polled, at most 30 s)."""
    with psycopg.connect(_libpq(db), autocommit=True) as conn:
        for _ in range(3000):
            waiting = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()
            if waiting and waiting[0]:
                return
            threading.Event().wait(0.01)  # a poll interval
    pytest.fail("the lift never waited for the lock")


def _libpq(db: Database) -> str:
    return db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
