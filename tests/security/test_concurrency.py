"""M7 and L1: two moderators acting on the same sanction at once.

PRODUCT.md section 7: "one wins, the other gets 409, no update is lost. A change may carry
``If-Match: "<version>"``: if the sanction changed since, the answer is 412 and nothing is
written. Two lifts racing: one 200, one 409." Every sanction shows its ``version`` (the seq of
the last event that changed it), also as the ``ETag`` of its reads and of the changes' answers,
and a change's instant is read once the write lock is held, never before the log's last
recording instant.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx
import pytest
from api_support import START, World, bearer, sanction_body
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from reprieve.api.app import create_app
from reprieve.domain.model import Role
from reprieve.domain.time import parse_instant
from reprieve.services import catalogue, members, reviews, sanctions, tokens
from reprieve.services.callers import Caller
from reprieve.store import tables
from reprieve.store.db import Database, open_database

AMEND_A = {"ends_at": "2031-01-01T00:00:00Z", "reason": "amend A"}
AMEND_B = {"ends_at": "2032-01-01T00:00:00Z", "reason": "amend B"}


def events_of(db: Database, sanction_id: str, type_: str | None = None) -> int:
    """How many events name the sanction (of ``type_``, if given)."""
    e = tables.events.c
    query = select(func.count()).select_from(tables.events).where(e.data.like(f'%"id":"{sanction_id}"%'))
    if type_ is not None:
        query = query.where(e.type == type_)
    with db.read() as conn:
        return int(conn.execute(query).scalar_one())


def recording_instants(db: Database) -> list[datetime]:
    with db.read() as conn:
        rows = conn.execute(select(tables.events.c.at).order_by(tables.events.c.seq)).scalars().all()
    return [parse_instant(at) for at in rows]


def at_once(*calls: Callable[[], httpx.Response]) -> list[httpx.Response]:
    """Run ``calls`` in threads that all start together (a barrier, no sleep)."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result(timeout=60) for f in [pool.submit(run, call) for call in calls]]


def impose(w: World, headers: dict[str, str]) -> dict[str, Any]:
    """A fresh suspension for a year, imposed through the API (a live write, on the app's clock)."""
    answer = w.client.post(
        "/v1/sanctions", headers=headers, json=sanction_body("facebook", w.unique("subject"), duration="P1Y")
    )
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


class Backwards:
    """A clock that goes back a millisecond at each reading (thread-safe): whoever reads the time
    last gets the earliest instant, as a request that read it before waiting for the lock would."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            self.now -= timedelta(milliseconds=1)
            return self.now


# --- the version, and If-Match ------------------------------------------------------------


def test_every_sanction_shows_its_version_and_the_etag(world: World) -> None:
    w, h = world, world.headers["moderator"]
    created = w.client.post("/v1/sanctions", headers=h, json=sanction_body("facebook", "alice", duration="P1Y"))
    assert created.status_code == 201, created.text
    sanction = created.json()
    version = sanction["version"]
    assert version == sanction["history"][0]["seq"]
    read = w.client.get(f"/v1/sanctions/{sanction['id']}", headers=h)
    assert read.headers["ETag"] == f'"{version}"' and read.json()["version"] == version
    listed = w.client.get("/v1/sanctions", headers=h, params={"account": "facebook/alice"}).json()["items"]
    assert [s["version"] for s in listed] == [version]

    amended = w.client.post(
        f"/v1/sanctions/{sanction['id']}/amend", headers={**h, "If-Match": f'"{version}"'}, json=AMEND_A
    )
    assert amended.status_code == 200, amended.text
    v2 = amended.json()["version"]
    assert v2 > version and amended.headers["ETag"] == f'"{v2}"'
    assert w.client.get(f"/v1/sanctions/{sanction['id']}", headers=h).headers["ETag"] == f'"{v2}"'

    lifted = w.client.post(
        f"/v1/sanctions/{sanction['id']}/lift", headers={**h, "If-Match": f'"{v2}"'}, json={"reason": "done"}
    )
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["version"] > v2 and lifted.headers["ETag"] == f'"{lifted.json()["version"]}"'


def test_a_stale_if_match_is_412_with_the_current_version_and_nothing_is_written(world: World) -> None:
    w, h = world, world.headers["moderator"]
    sanction = w.sanction("meta", duration="P1Y")
    seen = sanction["version"]
    first = w.client.post(f"/v1/sanctions/{sanction['id']}/amend", headers={**h, "If-Match": f'"{seen}"'}, json=AMEND_A)
    assert first.status_code == 200, first.text
    current = first.json()["version"]
    before = events_of(w.db, sanction["id"])

    for action, body in (("amend", AMEND_B), ("lift", {"reason": "too late"})):
        stale = w.client.post(
            f"/v1/sanctions/{sanction['id']}/{action}", headers={**h, "If-Match": f'"{seen}"'}, json=body
        )
        assert stale.status_code == 412, stale.text
        assert stale.headers["content-type"].startswith("application/problem+json")
        problem = stale.json()
        assert problem["type"].endswith("/precondition-failed") and problem["version"] == current
        assert stale.headers["ETag"] == f'"{current}"'
        assert f"version {seen}" in problem["detail"]
    assert events_of(w.db, sanction["id"]) == before
    now = w.client.get(f"/v1/sanctions/{sanction['id']}", headers=h).json()
    assert (now["ends_at"], now["state"], now["version"]) == ("2031-01-01T00:00:00Z", "active", current)

    # ``*`` matches whatever the version; a current one, of course, too.
    assert (
        w.client.post(
            f"/v1/sanctions/{sanction['id']}/amend", headers={**h, "If-Match": " * "}, json=AMEND_B
        ).status_code
        == 200
    )

    # A malformed If-Match is refused clearly, and writes nothing.
    before = events_of(w.db, sanction["id"])
    for value in ("12", 'W/"12"', '"abc"', '"1", "2"', '""', '"12', "**"):
        answer = w.client.post(f"/v1/sanctions/{sanction['id']}/amend", headers={**h, "If-Match": value}, json=AMEND_A)
        assert answer.status_code == 422, (value, answer.text)
        assert answer.json()["errors"][0]["field"] == "If-Match"
    assert events_of(w.db, sanction["id"]) == before


def test_the_version_changes_with_a_review_decision(world: World) -> None:
    """Not only amend and lift: any change of the sanction makes an If-Match on the old version stale."""
    w, h = world, world.headers["moderator"]
    sanction = w.sanction("meta", duration="P1Y")
    seen = sanction["version"]
    person = Caller("a moderator", ("Ann",))
    review = reviews.open_review(w.db, sanction["id"], panel=["Ann"], reason="check", caller=person.at(w.clock()))
    reviews.file_assessment(
        w.db,
        review.id,
        reviews.FileAssessment.parse(risk="low", factors=[], rationale="r"),
        caller=person.at(w.clock()),
    )
    reviews.decide_review(
        w.db,
        review.id,
        reviews.DecideReview.parse(outcome="reduce", rationale="r", ends_at="2024-09-01T00:00:00Z"),
        caller=person.at(w.clock()),
    )
    after = w.client.get(f"/v1/sanctions/{sanction['id']}", headers=h).json()
    assert after["version"] > seen
    stale = w.client.post(f"/v1/sanctions/{sanction['id']}/amend", headers={**h, "If-Match": f'"{seen}"'}, json=AMEND_A)
    assert stale.status_code == 412 and stale.json()["version"] == after["version"]


# --- the instant of a change --------------------------------------------------------------


def test_a_second_lift_read_earlier_is_409_and_instants_never_go_backwards(world: World) -> None:
    """L1: the second of two lifts read the time before the first was recorded. It is judged at
    the first one's recording instant (not before it), sees the sanction lifted, and gets 409."""
    w, h = world, world.headers["moderator"]
    sanction = w.sanction("meta", duration="P1Y")
    w.clock.advance(timedelta(minutes=10))
    first = w.client.post(f"/v1/sanctions/{sanction['id']}/lift", headers=h, json={"reason": "first"})
    assert first.status_code == 200, first.text
    w.clock.now -= timedelta(minutes=5)  # this process's clock goes back (or it read the time earlier)
    second = w.client.post(f"/v1/sanctions/{sanction['id']}/lift", headers=h, json={"reason": "second"})
    assert second.status_code == 409, second.text
    assert events_of(w.db, sanction["id"], "sanction.lifted") == 1
    # Any live write now is recorded no earlier than the last event.
    other = impose(w, h)
    assert other["starts_at"] == first.json()["lifted_at"]
    instants = recording_instants(w.db)
    assert instants == sorted(instants)


def test_an_appeal_granted_by_a_clock_behind_does_not_lift_a_lifted_sanction_again(world: World) -> None:
    """The same for the decisions that change a sanction (appeals, reviews): judged when recorded."""
    w, h = world, world.headers["moderator"]
    sanction = impose(w, h)
    filed = w.client.post(
        "/v1/appeals",
        headers=h,
        json={
            "sanction": sanction["id"],
            "kind": "complaint",
            "channel": "api",
            "statement": "s",
            "filed_by": {"name": "Someone"},
        },
    )
    assert filed.status_code == 201, filed.text
    w.clock.advance(timedelta(minutes=10))
    assert w.client.post(f"/v1/sanctions/{sanction['id']}/lift", headers=h, json={"reason": "r"}).status_code == 200
    w.clock.now -= timedelta(minutes=5)
    granted = w.client.post(
        f"/v1/appeals/{filed.json()['id']}/decision",
        headers=h,
        json={"outcome": "granted", "rationale": "r", "reply": "r"},
    )
    assert granted.status_code == 200, granted.text
    assert events_of(w.db, sanction["id"], "sanction.lifted") == 1


def test_an_amendment_defaults_to_the_instant_it_is_recorded(world: World) -> None:
    w, h = world, world.headers["moderator"]
    sanction = w.sanction("meta", duration="P1Y")
    w.clock.advance(timedelta(hours=1))
    w.client.post(f"/v1/sanctions/{sanction['id']}/amend", headers=h, json=AMEND_A)
    w.clock.now -= timedelta(hours=2)
    answer = w.client.post(f"/v1/sanctions/{sanction['id']}/amend", headers=h, json=AMEND_B)
    assert answer.status_code == 200, answer.text
    history = answer.json()["history"]
    assert history[-1]["effective_at"] == history[-2]["effective_at"] == "2024-06-01T13:00:00Z"
    assert answer.json()["ends_at"] == "2032-01-01T00:00:00Z"  # the later one is in force: no lost update
    instants = recording_instants(w.db)
    assert instants == sorted(instants)


# --- real concurrent requests -------------------------------------------------------------


def _racing_world(world: World) -> World:
    """``world`` whose app reads a clock that goes back at each reading."""
    world.client.app.state.clock = Backwards(START + timedelta(hours=1))  # type: ignore[attr-defined]
    return world


def test_two_lifts_racing_give_200_and_409(world: World) -> None:
    w, h = _racing_world(world), world.headers["moderator"]
    h2 = bearer(w.token(Role.MODERATOR)["token"])
    for _ in range(4):
        sanction = impose(w, h)
        answers = at_once(
            partial(w.client.post, f"/v1/sanctions/{sanction['id']}/lift", headers=h, json={"reason": "A"}),
            partial(w.client.post, f"/v1/sanctions/{sanction['id']}/lift", headers=h2, json={"reason": "B"}),
        )
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        assert events_of(w.db, sanction["id"], "sanction.lifted") == 1
    instants = recording_instants(w.db)
    assert instants == sorted(instants)


def test_two_amends_racing_with_the_version_they_read_give_200_and_412(world: World) -> None:
    w, h = _racing_world(world), world.headers["moderator"]
    h2 = bearer(w.token(Role.MODERATOR)["token"])
    for _ in range(4):
        sanction = impose(w, h)
        seen = w.client.get(f"/v1/sanctions/{sanction['id']}", headers=h).headers["ETag"]
        answers = at_once(
            partial(
                w.client.post, f"/v1/sanctions/{sanction['id']}/amend", headers={**h, "If-Match": seen}, json=AMEND_A
            ),
            partial(
                w.client.post, f"/v1/sanctions/{sanction['id']}/amend", headers={**h2, "If-Match": seen}, json=AMEND_B
            ),
        )
        assert sorted(a.status_code for a in answers) == [200, 412], [a.text for a in answers]
        winner = next(a.json() for a in answers if a.status_code == 200)
        final = w.client.get(f"/v1/sanctions/{sanction['id']}", headers=h).json()
        assert final["version"] == winner["version"]
        assert final["history"][-1]["ends_at"] == winner["ends_at"] in (AMEND_A["ends_at"], AMEND_B["ends_at"])
        assert events_of(w.db, sanction["id"], "sanction.amended") == 1


@pytest.mark.slow  # a server process starts in 4 to 10 seconds, as test_api_server's
def test_two_processes_lifting_and_amending_at_once(database_url: str) -> None:
    """A ``serve`` process and this one (its own app, whose clock goes back at each reading) on
    one database: the same promises across processes whose clocks disagree."""
    from test_api_server import running

    db = open_database(database_url)
    try:
        catalogue.create_operator(
            db, catalogue.CreateOperator.parse(id="meta", name="Meta"), caller=Caller("test", now=START)
        )
        catalogue.create_platform(
            db,
            catalogue.CreatePlatform.parse(id="facebook", operator="meta", name="Facebook"),
            caller=Caller("test", now=START),
        )
        secrets = [
            tokens.create_token(
                db,
                tokens.CreateToken.parse(name=f"mod{i}", role="moderator", operator="meta"),
                caller=Caller("test", now=START),
            ).secret
            for i in range(2)
        ]
        here = TestClient(
            create_app(db, clock=Backwards(datetime.now(UTC) + timedelta(seconds=1))), headers=bearer(secrets[1])
        )
        with (
            running(database_url, 1) as base,
            httpx.Client(base_url=base, headers=bearer(secrets[0]), timeout=30) as there,
        ):
            for round_ in range(3):
                created = there.post("/v1/sanctions", json=sanction_body("facebook", f"acct{round_}", duration="P1Y"))
                assert created.status_code == 201, created.text
                path = f"/v1/sanctions/{created.json()['id']}"
                seen = {"If-Match": here.get(path).headers["ETag"]}
                amends = at_once(
                    partial(there.post, f"{path}/amend", headers=seen, json=AMEND_A),
                    partial(here.post, f"{path}/amend", headers=seen, json=AMEND_B),
                )
                assert sorted(x.status_code for x in amends) == [200, 412], [x.text for x in amends]
                lifts = at_once(
                    partial(there.post, f"{path}/lift", json={"reason": "A"}),
                    partial(here.post, f"{path}/lift", json={"reason": "B"}),
                )
                assert sorted(x.status_code for x in lifts) == [200, 409], [x.text for x in lifts]
                history = there.get(path).json()["history"]
                assert [c["type"] for c in history] == ["imposed", "amended", "lifted"]
        instants = recording_instants(db)
        assert instants == sorted(instants)
    finally:
        db.dispose()


# --- the console and the command line -------------------------------------------------------


@pytest.fixture
def console(db: Database, clock: Any, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    """The console over ``db``, with a moderator of meta (argon2 at its smallest cost)."""
    from argon2 import PasswordHasher
    from test_console_web import PASSWORD

    monkeypatch.setattr(members, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    members._dummy_hash.cache_clear()
    catalogue.create_operator(
        db, catalogue.CreateOperator.parse(id="meta", name="meta"), caller=Caller("test", now=clock.now)
    )
    catalogue.create_platform(
        db,
        catalogue.CreatePlatform.parse(id="facebook", operator="meta", name="facebook"),
        caller=Caller("test", now=clock.now),
    )
    members.create_member(
        db,
        members.CreateMember.parse(
            email="moderator@meta.example", name="Mod", role="moderator", operator="meta", password=PASSWORD
        ),
        caller=Caller("test", now=clock.now),
    )
    return TestClient(create_app(db, clock=clock, group_commit=False))


def test_the_console_sends_the_version_it_showed_and_keeps_what_was_typed(
    console: TestClient, db: Database, clock: Any
) -> None:
    from test_console_web import csrf, sign_in

    sign_in(console, "moderator@meta.example")
    sanction = impose_with(db, clock, "facebook/olga")
    page = console.get(f"/console/sanctions/{sanction}")
    shown = re.findall(r'name="version" value="([0-9]+)"', page.text)
    assert len(shown) == 2 and len(set(shown)) == 1  # the amend form's and the lift form's
    # Another moderator amends it meanwhile.
    sanctions.amend_sanction(
        db,
        sanction,
        sanctions.AmendSanction.parse(reason="other", ends_at="2030-01-01T00:00:00Z"),
        caller=Caller("other", now=clock),
    )
    before = events_of(db, sanction)
    form = {
        "csrf_token": csrf(console, "/console"),
        "confirm": "yes",
        "version": shown[0],
        "ends_at": "2031-01-01T00:00",
        "reason": "what I typed",
    }
    stale = console.post(f"/console/sanctions/{sanction}/amend", data=form, follow_redirects=False)
    assert stale.status_code == 412, stale.text[:500]
    assert "changed since you opened it" in stale.text and 'id="changed-since"' in stale.text
    assert ">what I typed</textarea>" in stale.text and 'value="2031-01-01T00:00"' in stale.text
    now_shown = re.findall(r'name="version" value="([0-9]+)"', stale.text)
    assert now_shown[0] != shown[0]
    assert events_of(db, sanction) == before
    lift = {"csrf_token": csrf(console, "/console"), "confirm": "yes", "version": shown[0], "reason": "lift it"}
    stale_lift = console.post(f"/console/sanctions/{sanction}/lift", data=lift, follow_redirects=False)
    assert stale_lift.status_code == 412 and ">lift it</textarea>" in stale_lift.text
    assert events_of(db, sanction) == before
    # Sent again from the page as it is now, it goes through.
    again = console.post(
        f"/console/sanctions/{sanction}/amend", data={**form, "version": now_shown[0]}, follow_redirects=False
    )
    assert again.status_code == 303, again.text[:500]
    assert events_of(db, sanction, "sanction.amended") == 2
    bad = console.post(f"/console/sanctions/{sanction}/lift", data={**lift, "version": "v1"}, follow_redirects=False)
    assert bad.status_code == 400 and events_of(db, sanction, "sanction.lifted") == 0


def impose_with(db: Database, clock: Any, subject: str) -> str:
    from test_console_web import impose as console_impose

    return console_impose(db, clock, subject)


def test_the_command_line_shows_the_version_and_amends_or_lifts_only_at_it(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from reprieve.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        try:
            main(["--database-url", database_url, *args])
            code = 0
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    assert run("operator", "create", "meta", "--name", "Meta")[0] == 0
    assert run("platform", "create", "facebook", "--operator", "meta", "--name", "Facebook")[0] == 0
    code, out, err = run(
        "sanction",
        "create",
        "facebook/ann",
        "--kind",
        "suspension",
        "--duration",
        "P1Y",
        "--category",
        "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        "--ground",
        "incompatible_content",
        "--policy",
        "Fraud",
        "--explanation",
        "Counterfeit tickets",
        "--json",
    )
    assert code == 0, err
    sanction = json.loads(out)
    code, out, _ = run("sanction", "show", sanction["id"])
    assert code == 0 and re.search(rf"version\s+{sanction['version']}\b", out), out
    code, out, err = run(
        "sanction",
        "amend",
        sanction["id"],
        "--reason",
        "longer",
        "--ends-at",
        "2031-01-01T00:00:00Z",
        "--if-version",
        str(sanction["version"]),
        "--json",
    )
    assert code == 0, err
    code, out, err = run(
        "sanction", "lift", sanction["id"], "--reason", "done", "--if-version", str(sanction["version"])
    )
    assert code == 1 and out == "" and err.count("\n") == 1 and f"changed since version {sanction['version']}" in err
    code, _, err = run("sanction", "lift", sanction["id"], "--reason", "done")
    assert code == 0, err
