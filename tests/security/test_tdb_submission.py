"""H1, M2 and the Transparency Database half of "no answer echoes what a destination said".

H1: the endpoint came from the request body, and the answer's body came back in ``error``: a
moderator could make the server POST anywhere and read the answer. Now the endpoint and the
tokens are configuration (``REPRIEVE_TDB_URL``, ``REPRIEVE_TDB_TOKEN_<OPERATOR>``), a body naming
them is refused, the worker sends, and a failure is a short class. M2: the submission state was
keyed by puid alone, so statements "accepted" by any endpoint were never sent to the real one;
it is keyed by endpoint and puid now.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping

import pytest
from alembic import command
from api_support import World
from dsa_support import impose_golden
from fake_tdb import TOKEN, FakeDatabase, fake_database
from sqlalchemy import insert, select, text

from reprieve.cli import main
from reprieve.domain.errors import ConflictError
from reprieve.dsa.submit import Response, TdbSettings, Transport, token_setting, urllib_transport
from reprieve.runtime.worker import Worker
from reprieve.services import transparency
from reprieve.store import tables
from reprieve.store.db import Database, create_engine_for
from reprieve.store.migrate import alembic_config

SUBMISSIONS = "/v1/transparency/submissions"
ELSEWHERE = "http://127.0.0.1:8799/fake-tdb"
INTERNAL = "THE-INTERNAL-SERVICE-SAID-THIS"
#: For what does not depend on the backend (what goes out, what comes back): SQLite only, for speed.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


class Recording:
    """A transport that remembers every URL it was asked for, and may answer instead of the wire."""

    def __init__(
        self, inner: Transport = urllib_transport, answer: Response | None = None, error: OSError | None = None
    ) -> None:
        self.inner, self.answer, self.error = inner, answer, error
        self.urls: list[str] = []

    def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> Response:
        self.urls.append(url)
        if self.error is not None:
            raise self.error
        if self.answer is not None:
            return self.answer
        return self.inner(method, url, headers, body, timeout)


@pytest.fixture
def tdb() -> Iterator[tuple[FakeDatabase, str]]:
    with fake_database() as running:
        yield running


@pytest.fixture
def golden(world: World) -> dict[str, str]:
    return impose_golden(world.db, world.clock())


def configure(world: World, url: str | None, **tokens: str) -> TdbSettings:
    settings = TdbSettings(url, tokens or {"REPRIEVE_TDB_TOKEN_META": TOKEN})
    world.client.app.state.tdb = settings
    return settings


def work(world: World, settings: TdbSettings, transport: Transport, sleeps: list[float] | None = None) -> int:
    """One worker cycle, and the submission it took up run to its end; how many runs it took up."""

    async def go() -> int:
        async with Worker(
            world.db,
            clock=world.clock,
            tdb=settings,
            tdb_transport=transport,
            tdb_sleep=(sleeps.append if sleeps is not None else None),
        ) as worker:
            taken = (await worker.cycle()).submissions
            await worker.settle()
            return taken

    return asyncio.run(go())


def request(world: World, body: dict[str, object] | None = None, role: str = "moderator") -> dict[str, object]:
    answer = world.client.post(SUBMISSIONS, json=body or {}, headers=world.headers[role])
    assert answer.status_code == 202, answer.text
    data: dict[str, object] = answer.json()
    return data


def follow(world: World, run_id: object) -> dict[str, object]:
    answer = world.client.get(f"{SUBMISSIONS}/{run_id}", headers=world.headers["auditor"])
    assert answer.status_code == 200, answer.text
    data: dict[str, object] = answer.json()
    return data


# --- H1 -------------------------------------------------------------------------------------


@SQLITE_ONLY
def test_h1_an_endpoint_or_token_in_the_body_is_refused_and_nothing_is_sent(
    world: World, golden: dict[str, str], tdb: tuple[FakeDatabase, str]
) -> None:
    fake, base = tdb
    settings = configure(world, base)
    for body in (
        {"endpoint": "http://127.0.0.1:8731/v1/operators#", "token": "t"},
        {"endpoint": "http://127.0.0.1:8731/v1/operators#"},
        {"token": "t"},
    ):
        answer = world.client.post(SUBMISSIONS, json=body, headers=world.headers["moderator"])
        assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    recording = Recording()
    assert work(world, settings, recording) == 0  # nothing was recorded to run
    assert recording.urls == [] and fake.posts == []


@SQLITE_ONLY
def test_h1_no_answer_body_and_no_os_error_text_is_echoed(world: World, golden: dict[str, str]) -> None:
    cases = [
        (Recording(answer=Response(401, {}, f'{{"detail":"{INTERNAL}"}}'.encode())), "HTTP 4xx", 401),
        (Recording(answer=Response(302, {"location": "http://10.0.0.1/"}, INTERNAL.encode())), "HTTP 3xx", 302),
        (Recording(answer=Response(503, {}, INTERNAL.encode())), "HTTP 5xx", 503),
        (Recording(error=ConnectionRefusedError(111, "Connection refused")), "connection refused", None),
        (Recording(error=TimeoutError("timed out")), "timeout", None),
        (Recording(error=OSError(113, f"No route to host 10.1.2.3 {INTERNAL}")), "no answer", None),
    ]
    for i, (recording, error, status) in enumerate(cases):
        settings = configure(world, f"https://tdb{i}.example/api/v1")
        run = request(world)
        sleeps: list[float] = []
        work(world, settings, recording, sleeps)
        shown = follow(world, run["id"])
        assert (shown["state"], shown["error"], shown["status"]) == ("failed", error, status)
        listed = world.client.get(SUBMISSIONS, headers=world.headers["moderator"]).text
        for said in (INTERNAL, "Errno", "10.1.2.3", "10.0.0.1"):
            assert said not in json.dumps(shown) and said not in listed
        if status == 503:  # retried with back-off (never waiting here), then given up
            assert sleeps == [1.0, 2.0, 4.0, 8.0, 16.0]
        assert all(url.startswith(f"https://tdb{i}.example/api/v1/") for url in recording.urls)


@SQLITE_ONLY
def test_a_422_keeps_its_parsed_fields_never_its_body(world: World, golden: dict[str, str]) -> None:
    settings = configure(world, "https://tdb.example/api/v1")
    body = {
        "message": INTERNAL,
        "errors": {
            "statement_0": {"decision_facts": ["The decision facts field is required."]},
            "statement_1": {"<script>": [INTERNAL]},
        },
    }
    refused = Response(422, {}, json.dumps(body).encode())
    run = request(world)
    work(world, settings, Recording(answer=refused))
    shown = follow(world, run["id"])
    facts = {"decision_facts": ["The decision facts field is required."]}
    assert len(shown["rejected"]) == 3 and all(r["errors"] in (facts, {}) for r in shown["rejected"])
    assert INTERNAL not in json.dumps(shown) and "<script>" not in json.dumps(shown)
    # A 422 that names no statement: its field names, and a class.
    settings = configure(world, "https://tdb2.example/api/v1")
    run2 = request(world)
    whole = Response(422, {}, json.dumps({"message": INTERNAL, "errors": {"statements": [INTERNAL]}}).encode())
    work(world, settings, Recording(answer=whole))
    failed = follow(world, run2["id"])
    assert failed["error"] == "HTTP 422 without per-statement errors" and failed["progress"]["fields"] == ["statements"]
    assert INTERNAL not in json.dumps(failed)


# --- M2 -------------------------------------------------------------------------------------


def test_m2_statements_accepted_elsewhere_are_still_sent_to_the_configured_database(
    world: World, golden: dict[str, str], tdb: tuple[FakeDatabase, str]
) -> None:
    fake, base = tdb
    puids = sorted(golden[k] for k in ("suspension", "termination", "restriction"))
    with world.db.engine.begin() as conn:  # what a submission to a fake endpoint left, before the fix
        conn.execute(
            insert(tables.tdb_submissions),
            [
                {
                    "endpoint": ELSEWHERE,
                    "puid": p,
                    "operator_id": "meta",
                    "sanction_id": p,
                    "state": "accepted",
                    "attempts": 1,
                    "errors": None,
                    "updated_at": 0,
                }
                for p in puids
            ],
        )
    settings = configure(world, base)
    run = request(world)
    recording = Recording()
    work(world, settings, recording)
    assert sorted(fake.stored) == puids
    assert recording.urls and all(url.startswith(base + "/") for url in recording.urls)  # H1: only there
    shown = follow(world, run["id"])
    assert shown["progress"]["accepted"] == 3 and shown["progress"]["skipped"] == 0
    with world.db.read() as conn:
        rows = conn.execute(select(tables.tdb_submissions.c.endpoint, tables.tdb_submissions.c.state)).all()
    assert sorted(rows) == sorted([(ELSEWHERE, "accepted")] * 3 + [(base, "accepted")] * 3)


# --- off unless configured; tokens ------------------------------------------------------------


@SQLITE_ONLY
def test_submission_is_off_when_the_url_is_unset(
    world: World,
    golden: dict[str, str],
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = configure(world, None)
    answer = world.client.post(SUBMISSIONS, json={}, headers=world.headers["admin"])
    assert answer.status_code == 409 and "REPRIEVE_TDB_URL" in answer.json()["detail"]
    recording = Recording()
    assert work(world, settings, recording) == 0 and recording.urls == []
    monkeypatch.delenv("REPRIEVE_TDB_URL", raising=False)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(["--database-url", database_url, "transparency", "submit", "--operator", "meta"])
    out, err = capsys.readouterr()
    assert exited.value.code == 1 and out == "" and err.count("\n") == 1 and "REPRIEVE_TDB_URL" in err


def test_tokens_are_per_operator_and_never_stored(
    world: World, golden: dict[str, str], tdb: tuple[FakeDatabase, str]
) -> None:
    fake, base = tdb
    # Two operators: the installation-wide token is not used for either.
    shared = configure(world, base, REPRIEVE_TDB_TOKEN=TOKEN)
    run = request(world)
    work(world, shared, Recording())
    failed = follow(world, run["id"])
    assert failed["state"] == "failed" and "REPRIEVE_TDB_TOKEN_META" in str(failed["error"]) and fake.posts == []
    # X's token does not send Meta's statements.
    other = configure(world, base, REPRIEVE_TDB_TOKEN_X=TOKEN)
    run = request(world)
    work(world, other, Recording())
    assert follow(world, run["id"])["state"] == "failed" and fake.posts == []
    settings = configure(world, base, REPRIEVE_TDB_TOKEN_META=TOKEN)
    run = request(world)
    work(world, settings, Recording())
    assert follow(world, run["id"])["state"] == "done" and len(fake.stored) == 3
    with world.db.read() as conn:
        for table in (tables.tdb_runs, tables.tdb_submissions):
            assert TOKEN not in json.dumps([list(map(str, r)) for r in conn.execute(select(table)).all()])


# --- the worker: progress, rate limits, one run at a time -----------------------------------


def test_progress_through_the_worker_with_429_and_5xx_one_run_at_a_time(
    world: World, golden: dict[str, str], tdb: tuple[FakeDatabase, str]
) -> None:
    fake, base = tdb
    settings = configure(world, base)
    fake.forced = [(429, {"Retry-After": "7"}), (503, {})]
    run = request(world, {"batch_size": 1})
    again = request(world, {"batch_size": 1})
    assert again["id"] == run["id"]  # the same run, queued: not a second one
    queued = follow(world, run["id"])
    assert queued["state"] == "queued" and queued["progress"] == {}
    # Held by another worker, it is not taken up; once that lease has run out, it is.
    assert transparency.claim_run(world.db, owner="other-worker", now=world.clock()) == run["id"]
    recording = Recording()
    assert work(world, settings, recording) == 0 and recording.urls == []
    world.clock.advance(transparency.RUN_LEASE * 2)
    sleeps: list[float] = []
    work(world, settings, Recording(), sleeps)
    done = follow(world, run["id"])
    assert sleeps == [7.0, 1.0]  # Retry-After, then the first back-off step
    assert done["state"] == "done" and done["finished_at"] is not None
    assert done["progress"]["batches"] == 3 and done["progress"]["accepted"] == 3 and done["progress"]["waits"] == 2
    assert done["statements"] == {"accepted": 3} and len(fake.stored) == 3
    # Nothing is left to send: a new run sends nothing.
    run2 = request(world)
    work(world, settings, Recording())
    assert follow(world, run2["id"])["progress"]["skipped"] == 3 and len(fake.posts) == 5


# --- the migration --------------------------------------------------------------------------


def test_the_migration_keeps_existing_rows_and_keys_them_by_endpoint(empty_database_url: str) -> None:
    engine = create_engine_for(empty_database_url)
    try:
        command.upgrade(alembic_config(engine), "0010")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO tdb_submissions (puid, operator_id, sanction_id, state, attempts, errors, endpoint, "
                    "updated_at) VALUES ('p1', 'meta', 's1', 'accepted', 1, NULL, :e, 5), "
                    "('p2', 'meta', 's2', 'rejected', 2, '{\"f\": [\"m\"]}', :e, 6)"
                ),
                {"e": ELSEWHERE},
            )
        command.upgrade(alembic_config(engine), "head")
        db = Database(engine)
        with db.read() as conn:
            rows = sorted(
                tuple(r)
                for r in conn.execute(
                    select(
                        tables.tdb_submissions.c.endpoint,
                        tables.tdb_submissions.c.puid,
                        tables.tdb_submissions.c.state,
                        tables.tdb_submissions.c.attempts,
                        tables.tdb_submissions.c.errors,
                    )
                )
            )
        assert rows == [(ELSEWHERE, "p1", "accepted", 1, None), (ELSEWHERE, "p2", "rejected", 2, '{"f": ["m"]}')]
        with engine.begin() as conn:  # the same puid, at another database: its own row
            conn.execute(
                insert(tables.tdb_submissions).values(
                    endpoint="https://tdb.example/api/v1",
                    puid="p1",
                    operator_id="meta",
                    sanction_id="s1",
                    state="sending",
                    attempts=1,
                    errors=None,
                    updated_at=7,
                )
            )
        assert transparency.submissions(db, operator="meta", endpoint=ELSEWHERE) == {"accepted": 1, "rejected": 1}
    finally:
        engine.dispose()


def test_the_settings_scheme() -> None:
    """No database: the variable names, what a shared token serves, and URLs that are refused."""
    assert token_setting("x-corp") == "REPRIEVE_TDB_TOKEN_X_CORP" and token_setting("meta") == "REPRIEVE_TDB_TOKEN_META"
    env = {
        "REPRIEVE_TDB_URL": "https://tdb.example/api/v1/",
        "REPRIEVE_TDB_TOKEN": "shared",
        "REPRIEVE_TDB_TOKEN_X_CORP": "x",
        "OTHER": "o",
    }
    settings = TdbSettings.from_env(env)
    assert settings.endpoint() == "https://tdb.example/api/v1" and "OTHER" not in settings.tokens
    assert settings.token_for("meta", ["meta"]) == "shared"  # a single operator: the installation's token
    assert settings.token_for("x-corp", ["meta", "x-corp"]) == "x"
    with pytest.raises(ConflictError, match="REPRIEVE_TDB_TOKEN_META"):
        settings.token_for("meta", ["meta", "x-corp"])  # several: each its own
    with pytest.raises(ConflictError, match="several operators"):
        settings.token_for("x-corp", ["x-corp", "x_corp"])
    for url in (
        "ftp://tdb.example",
        "http://127.0.0.1:8731/v1/operators#",
        "https://u:p@tdb.example/api",
        "https://tdb.example/api?x=1",
    ):
        with pytest.raises(ConflictError, match="REPRIEVE_TDB_URL"):
            TdbSettings(url).endpoint()
    with pytest.raises(ConflictError, match="off"):
        TdbSettings.from_env({}).endpoint()
