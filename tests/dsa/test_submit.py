"""The submitter against a local server that answers as the Transparency Database does: batches of
at most 100, retries after 429 and 5xx without waiting (injected sleep), per-statement 422 errors
recorded, and no puid ever sent again once the database may hold it, even after a crash."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fake_tdb import TOKEN, FakeDatabase, fake_database
from sqlalchemy import select

from content_support import decided, item, record
from reprieve.domain.model import AccountRef
from reprieve.dsa.submit import Client, Response, Transport, urllib_transport
from reprieve.services import transparency
from reprieve.services.callers import Caller
from reprieve.services.sanctions import ImposeSanction, import_sanctions
from reprieve.store import tables
from reprieve.store.db import Database

ALL_TIME = transparency.period(None, None)


def reason(i: int) -> dict[str, Any]:
    return {
        "ground": "incompatible_content",
        "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        "policy": "Spam and fake engagement",
        "explanation": "Automated fake engagement.",
        "facts": f"Case {i}: 30 fake likes an hour.",
        "content_type": ["CONTENT_TYPE_TEXT"],
        "content_date": "2024-05-01",
    }


def seed(db: Database, now: datetime, count: int) -> list[str]:
    commands = (
        ImposeSanction.parse(
            subject=AccountRef("facebook", f"spammer{i}"),
            kind="suspension",
            reason=reason(i),
            starts_at="2024-05-02T00:00:00Z",
            duration="P7D",
        )
        for i in range(count)
    )
    import_sanctions(db, commands, caller=Caller("dsa-tests", now=now))
    with db.read() as conn:
        return sorted(conn.execute(select(tables.sanctions.c.id)).scalars())


@pytest.fixture
def tdb() -> Iterator[tuple[FakeDatabase, str]]:
    with fake_database() as running:
        yield running


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def client(base: str, sleep: Sleeps | None = None, transport: Transport = urllib_transport) -> Client:
    return Client(
        base, TOKEN, transport=transport, sleep=sleep or Sleeps(), clock=lambda: datetime(2024, 6, 1, tzinfo=UTC)
    )


def states(db: Database) -> dict[str, str]:
    with db.read() as conn:
        return dict(conn.execute(select(tables.tdb_submissions.c.puid, tables.tdb_submissions.c.state)).all())


def test_batches_of_100_retries_after_429_and_5xx_and_never_twice(
    db: Database, meta: str, now: datetime, tdb: tuple[FakeDatabase, str]
) -> None:
    fake, base = tdb
    ids = seed(db, now, 205)
    fake.forced = [(429, {"Retry-After": "7"}), (503, {})]
    sleeps = Sleeps()
    report = transparency.submit_statements(db, client(base, sleeps), operator="meta", within=ALL_TIME)
    assert report.error is None and report.accepted == 205 and report.rejected == []
    assert sleeps.waits == [7.0, 1.0]  # Retry-After, then the first back-off step
    assert [len(p) for p in fake.posts] == [100, 100, 100, 100, 5]  # 2 refused tries of the first batch
    assert sorted(fake.stored) == ids
    assert set(states(db).values()) == {"accepted"}
    # A second run sends nothing: every puid is recorded as accepted.
    again = transparency.submit_statements(db, client(base), operator="meta", within=ALL_TIME)
    assert again.batches == 0 and again.skipped == 205 and len(fake.posts) == 5


def test_per_statement_errors_are_recorded_and_the_rest_sent(
    db: Database, meta: str, now: datetime, tdb: tuple[FakeDatabase, str]
) -> None:
    fake, base = tdb
    ids = seed(db, now, 5)
    errors = {"decision_facts": ["The decision facts field is required."]}
    fake.bad = {ids[2]: errors}
    report = transparency.submit_statements(db, client(base), operator="meta", within=ALL_TIME)
    assert report.accepted == 4
    assert report.rejected == [{"sanction": ids[2], "puid": ids[2], "errors": errors}]
    assert sorted(fake.stored) == [i for i in ids if i != ids[2]]
    assert states(db)[ids[2]] == "rejected"
    assert transparency.submissions(db, operator="meta", endpoint=base) == {"accepted": 4, "rejected": 1}
    # The refused statement is not sent again on its own: it is reported, not retried blindly.
    posts = len(fake.posts)
    assert transparency.submit_statements(db, client(base), operator="meta", within=ALL_TIME).batches == 0
    assert len(fake.posts) == posts


def test_puids_the_database_already_holds_are_accepted_not_sent_again(
    db: Database, meta: str, now: datetime, tdb: tuple[FakeDatabase, str]
) -> None:
    fake, base = tdb
    ids = seed(db, now, 4)
    fake.stored[ids[0]] = {"puid": ids[0]}  # sent earlier by another system
    report = transparency.submit_statements(db, client(base), operator="meta", within=ALL_TIME)
    assert report.already_there == 1 and report.accepted == 3
    assert set(states(db).values()) == {"accepted"}
    assert all(fake.times_created(i) == 1 for i in ids)


class CrashAfterSending:
    """Sends the POST, then dies before the answer is recorded (a crash between send and record)."""

    def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> Response:
        answer = urllib_transport(method, url, headers, body, timeout)
        if method == "POST":
            raise KeyboardInterrupt("the process died")
        return answer


def test_a_crash_between_send_and_record_sends_nothing_twice(
    db: Database, meta: str, now: datetime, tdb: tuple[FakeDatabase, str]
) -> None:
    fake, base = tdb
    ids = seed(db, now, 3)
    with pytest.raises(KeyboardInterrupt):
        transparency.submit_statements(
            db, client(base, transport=CrashAfterSending()), operator="meta", within=ALL_TIME
        )
    assert set(states(db).values()) == {"sending"} and sorted(fake.stored) == ids
    # Right after, the rows may belong to a run still going: nothing is sent.
    busy = transparency.submit_statements(db, client(base), operator="meta", within=ALL_TIME)
    assert busy.error is not None and "another submission" in busy.error and busy.batches == 0
    # Once they are older than a submission can last, the next run settles them with the database.
    later = datetime.now(UTC) + transparency.IN_FLIGHT + timedelta(seconds=1)
    report = transparency.submit_statements(
        db, client(base), operator="meta", within=ALL_TIME, wall_clock=lambda: later
    )
    assert report.already_there == 3 and report.batches == 0 and report.error is None
    assert [fake.posted(i) for i in ids] == [1, 1, 1]
    assert set(states(db).values()) == {"accepted"}


def test_a_request_without_answer_is_checked_before_anything_is_sent_again(
    db: Database, meta: str, now: datetime, tdb: tuple[FakeDatabase, str]
) -> None:
    fake, base = tdb
    ids = seed(db, now, 3)
    calls = {"n": 0}

    def lost_answer(method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float) -> Response:
        answer = urllib_transport(method, url, headers, body, timeout)
        calls["n"] += 1
        if method == "POST" and calls["n"] == 1:
            raise TimeoutError("read timed out")
        return answer

    report = transparency.submit_statements(db, client(base, transport=lost_answer), operator="meta", within=ALL_TIME)
    assert report.accepted == 3 and report.error is None
    assert [fake.posted(i) for i in ids] == [1, 1, 1]


def test_a_refused_token_stops_the_run_and_records_nothing(
    db: Database, meta: str, now: datetime, tdb: tuple[FakeDatabase, str]
) -> None:
    fake, base = tdb
    seed(db, now, 2)
    report = transparency.submit_statements(db, Client(base, "wrong", sleep=Sleeps()), operator="meta", within=ALL_TIME)
    assert report.error == "HTTP 4xx" and report.status == 401  # a class and a status, never the body
    assert states(db) == {} and fake.stored == {}


def test_two_submissions_at_once_never_send_a_puid_twice(
    db: Database, meta: str, now: datetime, tdb: tuple[FakeDatabase, str]
) -> None:
    """The second run finds the first's ``sending`` rows when it records its batch, and stops."""
    fake, base = tdb
    ids = seed(db, now, 3)
    inner: dict[str, Any] = {}

    def meanwhile(method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float) -> Response:
        if method == "POST" and "report" not in inner:  # the first run, as it POSTs: a second run starts
            inner["report"] = transparency.submit_statements(db, client(base), operator="meta", within=ALL_TIME)
        return urllib_transport(method, url, headers, body, timeout)

    first = transparency.submit_statements(db, client(base, transport=meanwhile), operator="meta", within=ALL_TIME)
    second = inner["report"]
    assert second.error is not None and "another submission" in second.error and second.batches == 0
    assert second.already_there == 0
    assert first.accepted == 3 and [fake.posted(i) for i in ids] == [1, 1, 1]


def test_decisions_on_content_are_sent_with_their_visibility_and_monetary_fields(
    db: Database, meta: str, now: datetime, tdb: tuple[FakeDatabase, str]
) -> None:
    fake, base = tdb
    record(db, now, decided("cd_1", "removal", now, the_item=item(1)), now)
    record(db, now, decided("cd_2", "demonetization", now, ends_at=now + timedelta(days=7), the_item=item(2)), now)
    record(db, now, decided("cd_3", "other", now, kind_other="Shown to followers only", the_item=item(3)), now)
    report = transparency.submit_statements(db, client(base), operator="meta", within=ALL_TIME)
    assert report.error is None and report.accepted == 3 and report.invalid_count == 0
    sent = fake.stored
    assert sent["cd_1"]["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert sent["cd_2"]["decision_monetary"] == "DECISION_MONETARY_SUSPENSION"
    assert sent["cd_2"]["end_date_monetary_restriction"] == (now + timedelta(days=7)).date().isoformat()
    assert sent["cd_3"]["decision_visibility_other"] == "Shown to followers only"
    assert {s["content_language"] for s in sent.values()} == {"EN"}
    with db.read() as conn:
        about = dict(conn.execute(select(tables.tdb_submissions.c.puid, tables.tdb_submissions.c.sanction_id)).all())
    assert about == {"cd_1": "cd_1", "cd_2": "cd_2", "cd_3": "cd_3"}  # the content decision's id
