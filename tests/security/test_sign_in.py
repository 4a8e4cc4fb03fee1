"""Sign-in that holds (red-team M5, M6, L3, L4, L6): parallel sign-ins never answer 500, a stranger
cannot lock a member out, the back-off grows and refused attempts do not re-arm it, a client
spraying many e-mails is stopped, the limits live in the database (restarts, several app
objects), the client address behind a trusted proxy, and the security log."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from pathlib import Path

import httpx2
import pytest
from api_support import SETUP, Clock, World, reason
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from test_api_server import running

from reprieve.api.app import create_app
from reprieve.domain.model import AccountRef
from reprieve.services import appeal_codes, catalogue, members, security_log
from reprieve.services.callers import Caller
from reprieve.services.sanctions import ImposeSanction, impose_sanction
from reprieve.store import tables
from reprieve.store.db import Database, open_database

PASSWORD = "correct horse battery staple"
OWNER = "owner@meta.example"
OWNER_HOME = "192.0.2.10"
STRANGER = "203.0.113.66"


def add_member(db: Database, clock: Clock, email: str) -> str:
    created = members.create_member(
        db,
        members.CreateMember.parse(
            email=email, name=email.partition("@")[0], role="moderator", operator="meta", password=PASSWORD
        ),
        caller=Caller(SETUP, now=clock()),
    )
    return created.id


def browser(app: FastAPI, address: str) -> TestClient:
    """A browser at ``address`` (the socket's peer the app sees)."""
    return TestClient(app, client=(address, 41000), follow_redirects=False)


def form_token(client: TestClient | httpx2.Client, path: str = "/console/sign-in") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def attempt(client: TestClient, email: str, password: str = PASSWORD, **headers: str) -> httpx2.Response:
    data = {"email": email, "password": password, "csrf_token": form_token(client)}
    return client.post("/console/sign-in", data=data, headers=headers)


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its cheapest, in this process: the limits are under test, not the hash's cost."""
    monkeypatch.setattr(members, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    members._dummy_hash.cache_clear()


def log_rows(db: Database) -> list[dict[str, object]]:
    with db.read() as conn:
        query = select(tables.security_log).order_by(tables.security_log.c.id)
        return [dict(row._mapping) for row in conn.execute(query)]


# --- M5: parallel sign-ins --------------------------------------------------------------------


def test_parallel_sign_ins_to_a_real_server_never_answer_500(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'parallel.db'}"
    db = open_database(url)
    try:
        now = Clock()()
        catalogue.create_operator(
            db, catalogue.CreateOperator.parse(id="meta", name="Meta"), caller=Caller(SETUP, now=now)
        )
        emails = [f"m{i}@meta.example" for i in range(4)]
        for email in emails:
            members.create_member(
                db,
                members.CreateMember.parse(
                    email=email, name=email, role="moderator", operator="meta", password=PASSWORD
                ),
                caller=Caller(SETUP, now=now),
            )
    finally:
        db.dispose()
    # Four members signing in with their right passwords, and six guesses at one of them, at once.
    tries = [(email, PASSWORD) for email in emails] + [(emails[0], f"guess {i}") for i in range(6)]
    statuses: list[int] = []
    with running(url, 1) as base:
        clients = [httpx2.Client(base_url=base, follow_redirects=False, timeout=60) for _ in tries]
        tokens = [form_token(client) for client in clients]
        start = threading.Barrier(len(tries))

        def sign_in(index: int) -> None:
            email, password = tries[index]
            start.wait()
            answer = clients[index].post(
                "/console/sign-in", data={"email": email, "password": password, "csrf_token": tokens[index]}
            )
            statuses.append(answer.status_code)

        threads = [threading.Thread(target=sign_in, args=(i,)) for i in range(len(tries))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for client in clients:
            client.close()
    assert len(statuses) == len(tries)
    assert 500 not in statuses
    assert set(statuses) <= {303, 401, 429}
    assert statuses.count(303) >= len(emails) - 1  # only m0's could meet its guessers' back-off


# --- M6: a stranger cannot lock the owner out ---------------------------------------------------


def test_a_stranger_cannot_lock_the_owner_out_of_their_own_address(world: World, clock: Clock) -> None:
    add_member(world.db, clock, OWNER)
    app = world.client.app
    owner, stranger = browser(app, OWNER_HOME), browser(app, STRANGER)
    assert attempt(owner, OWNER).status_code == 303  # the owner's address, known from now on
    clock.advance(timedelta(hours=1))
    answers = [attempt(stranger, OWNER, "guess").status_code for _ in range(10)]
    assert answers == [401] * 4 + [429] * 6  # the stranger is held back...
    assert attempt(browser(app, OWNER_HOME), OWNER).status_code == 303  # ...the owner is not


def test_the_owner_on_a_new_address_gets_in_once_the_short_back_off_is_over(world: World, clock: Clock) -> None:
    add_member(world.db, clock, OWNER)
    app = world.client.app
    stranger = browser(app, STRANGER)
    for _ in range(5):
        attempt(stranger, OWNER, "guess")
    travelling = browser(app, "198.51.100.20")
    refused = attempt(travelling, OWNER)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
    clock.advance(timedelta(seconds=60))
    assert attempt(travelling, OWNER).status_code == 303


def test_the_back_off_grows_and_refused_attempts_do_not_re_arm_it(world: World, clock: Clock) -> None:
    add_member(world.db, clock, OWNER)
    stranger = browser(world.client.app, STRANGER)
    assert [attempt(stranger, OWNER, "guess").status_code for _ in range(4)] == [401] * 4
    waits = []
    for _ in range(4):
        answer = attempt(stranger, OWNER, "guess")
        assert answer.status_code == 429
        waits.append(int(answer.headers["retry-after"]))
        clock.advance(timedelta(seconds=waits[-1] // 2))
        held = attempt(stranger, OWNER, "guess")  # refused, unchecked, not counted
        assert held.status_code == 429 and int(held.headers["retry-after"]) == waits[-1] - waits[-1] // 2
        clock.advance(timedelta(seconds=waits[-1] - waits[-1] // 2))
    assert waits == [60, 120, 240, 480]


# --- L3: password spraying -----------------------------------------------------------------------


def test_a_client_trying_many_emails_is_limited_and_others_are_not(world: World, clock: Clock) -> None:
    app = world.client.app
    sprayer = browser(app, STRANGER)
    answers = [attempt(sprayer, f"user{i}@meta.example", "Summer2026!").status_code for i in range(19)]
    assert answers == [401] * 19
    twentieth = attempt(sprayer, "user19@meta.example", "Summer2026!")  # wrong, and the limit reached
    assert twentieth.status_code == 429 and twentieth.headers["retry-after"] == "600"
    clock.advance(timedelta(minutes=1))
    refused = attempt(sprayer, "user20@meta.example", "Summer2026!")
    assert refused.status_code == 429 and refused.headers["retry-after"] == "540"
    assert attempt(browser(app, "198.51.100.7"), "user21@meta.example", "x").status_code == 401
    clock.advance(timedelta(minutes=9))
    assert attempt(sprayer, "user22@meta.example", "Summer2026!").status_code == 401


# --- L6 and the limits' storage: restarts, several app objects -----------------------------------


def test_the_sign_in_back_off_holds_across_app_objects_over_one_database(world: World, clock: Clock) -> None:
    add_member(world.db, clock, OWNER)
    for _ in range(5):
        attempt(browser(world.client.app, STRANGER), OWNER, "guess")
    restarted = create_app(world.db, clock=clock)  # a restart, or a second worker
    refused = attempt(browser(restarted, STRANGER), OWNER)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"


def test_the_appeal_form_filing_limit_holds_across_app_objects_and_restarts(world: World, clock: Clock) -> None:
    sanction = impose_sanction(
        world.db,
        ImposeSanction.parse(
            subject=AccountRef("facebook", "limited"),
            kind="suspension",
            reason=reason(),
            duration="P1Y",
        ),
        caller=Caller(SETUP, now=clock()),
    ).to_json()
    with world.db.read() as conn:
        code = appeal_codes.printed(appeal_codes.code_for(conn, sanction["id"]))
    data = {
        "sanction": sanction["id"],
        "code": "WRONG-CODE0",
        "kind": "complaint",
        "name": "N",
        "email": "n@example.org",
        "relation": "subject",
        "statement": "wrong",
    }
    first, second = create_app(world.db, clock=clock), create_app(world.db, clock=clock)
    for app in (first, second, first, second, first):
        client = browser(app, STRANGER)
        assert client.post("/appeal", data=dict(data, csrf_token=form_token(client, "/appeal"))).status_code == 422
    for app in (second, create_app(world.db, clock=clock)):
        client = browser(app, STRANGER)
        refused = client.post("/appeal", data=dict(data, code=code, csrf_token=form_token(client, "/appeal")))
        assert refused.status_code == 429 and 590 <= int(refused.headers["retry-after"]) <= 600


# --- the client address -------------------------------------------------------------------------


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(world: World, clock: Clock) -> None:
    add_member(world.db, clock, OWNER)
    app = create_app(world.db, clock=clock, trusted_proxies="10.0.0.0/8, ::1")
    # An untrusted peer's header is ignored: the peer is who is counted.
    attempt(browser(app, STRANGER), OWNER, "guess", **{"x-forwarded-for": "192.0.2.99"})
    # Behind the proxy: the right-most address the proxy did not add itself; what the client
    # wrote to the left of it is not believed.
    attempt(browser(app, "10.1.2.3"), OWNER, "guess", **{"x-forwarded-for": "192.0.2.98, 198.51.100.5, 10.9.9.9"})
    # Only proxies in the chain: the proxy's own address.
    attempt(browser(app, "10.1.2.3"), OWNER, "guess", **{"x-forwarded-for": "10.4.4.4"})
    assert [row["client"] for row in log_rows(world.db)] == [STRANGER, "198.51.100.5", "10.1.2.3"]


def test_trusted_proxies_is_a_setting_and_a_bad_one_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from reprieve.config import load_settings
    from reprieve.domain.errors import ValidationError

    monkeypatch.setenv("REPRIEVE_TRUSTED_PROXIES", "10.0.0.0/8, 2001:db8::/32")
    assert load_settings().trusted_proxies == "10.0.0.0/8, 2001:db8::/32"
    monkeypatch.setenv("REPRIEVE_TRUSTED_PROXIES", "10.0.0.0/8, proxy.example")
    with pytest.raises(ValidationError, match=r"proxy\.example"):
        load_settings()


# --- L4: the security log -----------------------------------------------------------------------


def test_failures_and_refusals_are_in_the_security_log_without_unknown_emails(world: World, clock: Clock) -> None:
    owner_id = add_member(world.db, clock, OWNER)
    stranger = browser(world.client.app, STRANGER)
    for _ in range(5):
        attempt(stranger, OWNER, "guess")
    attempt(stranger, OWNER, "guess")  # refused: in the back-off
    attempt(stranger, "nobody@elsewhere.example", "guess")  # no member's: its e-mail is not kept
    rows = log_rows(world.db)
    assert [row["event"] for row in rows[:6]] == ["sign_in_failed"] * 5 + ["sign_in_refused"]
    assert all(
        row["client"] == STRANGER and row["member_id"] == owner_id and row["email_digest"] is None for row in rows[:6]
    )
    assert [row["retry_after"] for row in rows[:6]] == [None] * 4 + [60, 60]
    unknown = rows[6]
    assert unknown["member_id"] is None and unknown["email_digest"]
    assert "nobody" not in repr(rows)
    with world.db.read() as conn:  # nor in what the back-off counts
        assert "nobody" not in repr(conn.execute(select(tables.sign_in_attempts)).all())
    found = security_log.entries(world.db, email="Nobody@Elsewhere.example")
    assert [entry.email_digest for entry in found] == [unknown["email_digest"]]
    assert len(security_log.entries(world.db, email=OWNER)) == 6
    # Kept for the retention (90 days by default), then pruned as new rows come.
    clock.advance(timedelta(days=91))
    attempt(stranger, "later@elsewhere.example", "guess")
    assert len(log_rows(world.db)) == 1


def test_a_wrong_current_password_in_the_console_is_logged_and_counted(world: World, clock: Clock) -> None:
    owner_id = add_member(world.db, clock, OWNER)
    session = browser(world.client.app, OWNER_HOME)
    assert attempt(session, OWNER).status_code == 303
    clock.advance(timedelta(minutes=1))
    token = form_token(session, "/console/password")
    for _ in range(5):
        answer = session.post(
            "/console/password",
            data={
                "current_password": "guess",
                "new_password": "a new long password",
                "repeat_password": "a new long password",
                "csrf_token": token,
            },
        )
        assert answer.status_code == 400
    assert "few minutes" in answer.text
    assert [row["event"] for row in log_rows(world.db)] == ["password_failed"] * 5
    assert {row["member_id"] for row in log_rows(world.db)} == {owner_id}


def test_an_instance_admin_reads_the_security_log_from_the_command_line(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from e2e.cli_support import Cli

    db = open_database(database_url)
    try:
        clock = Clock()
        catalogue.create_operator(
            db, catalogue.CreateOperator.parse(id="meta", name="Meta"), caller=Caller(SETUP, now=clock())
        )
        owner_id = add_member(db, clock, OWNER)
        for email in (OWNER, "stranger@elsewhere.example"):
            with pytest.raises(members.SignInRefused):
                members.sign_in(db, email=email, password="guess", now=clock(), client=STRANGER)
    finally:
        db.dispose()
    cli = Cli(database_url, capsys)
    rows = cli.json("security-log", "--client", STRANGER)
    assert [(row["event"], row["member"]) for row in rows] == [("sign_in_failed", None), ("sign_in_failed", owner_id)]
    assert [row["member"] for row in cli.json("security-log", "--email", "Stranger@Elsewhere.example")] == [None]
    assert "sign_in_failed" in cli.ok("security-log", "--since", "2024-01-01T00:00:00Z")
    assert cli.json("security-log", "--since", "2030-01-01T00:00:00Z") == []
    assert "since" in cli.fails("security-log", "--since", "yesterday")
