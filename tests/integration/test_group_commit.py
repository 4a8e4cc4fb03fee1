"""Group commit: concurrent violations share one transaction, and each still gets its own answer.

A command that blocks the writer (``Gate``) makes the next group certain: everything submitted
while it holds is taken together, in one transaction, once it lets go. No test sleeps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from due_process_support import NOW, PLATFORM_CLIENT, event_count, operator_with
from sqlalchemy import func, select

from reprieve.domain.errors import ConflictError, NotFoundError, ValidationError
from reprieve.runtime.group_commit import GroupCommitter
from reprieve.services import violations
from reprieve.services.audit import verify_audit_log
from reprieve.services.callers import Caller
from reprieve.store import tables
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork


@pytest.fixture
def committer(db: Database) -> Iterator[GroupCommitter]:
    operator_with(db, "meta", ("facebook", "meta"), ("instagram", "meta"))
    committer = GroupCommitter(db)
    try:
        yield committer
    finally:
        committer.close()


def report(id: str, account: str = "alice", platform: str = "facebook", **changes: Any) -> violations.RecordViolation:
    fields: dict[str, Any] = {
        "policy": "Violence and Incitement",
        "severity": "moderate",
        "category": "STATEMENT_CATEGORY_VIOLENCE",
        "facts": "A post inciting violence.",
    }
    return violations.RecordViolation.parse(id=id, platform=platform, account=account, **{**fields, **changes})


def submit(committer: GroupCommitter, id: str, account: str = "alice") -> Future[violations.ViolationAnswer]:
    return violations.submit_violation(committer, report(id, account), caller=PLATFORM_CLIENT.at(NOW))


class Gate:
    """Holds the writer inside a group of its own until ``release``; what is submitted meanwhile
    forms the next group."""

    def __init__(self, committer: GroupCommitter) -> None:
        self._entered = threading.Event()
        self._release = threading.Event()
        self.done = committer.submit(self._hold, actor="gate", now=NOW)
        assert self._entered.wait(timeout=30)

    def _hold(self, _uow: UnitOfWork) -> None:
        self._entered.set()
        assert self._release.wait(timeout=30)

    def release(self) -> None:
        self._release.set()
        self.done.result(timeout=30)


def violation_count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.violations)).scalar_one())


def test_concurrent_violations_from_many_threads_are_recorded_exactly_once_and_the_chain_verifies(
    db: Database, committer: GroupCommitter
) -> None:
    # 16 threads, 320 reports over 40 accounts; each id is reported by two threads at once.
    ids = [f"fb-{n}" for n in range(160)]

    def report_all(thread: int) -> list[tuple[str, violations.ViolationAnswer]]:
        mine = ids[(thread % 8) * 20 : (thread % 8 + 1) * 20]
        return [(id, submit(committer, id, f"acct-{int(id[3:]) % 40}").result(timeout=60)) for id in mine]

    with ThreadPoolExecutor(16) as pool:
        answers = [pair for result in pool.map(report_all, range(16)) for pair in result]

    created = [id for id, answer in answers if answer.created]
    assert sorted(created) == sorted(ids)
    first = {id: answer.body for id, answer in answers if answer.created}
    assert all(answer.body == first[id] for id, answer in answers)
    assert violation_count(db) == len(ids)
    # 40 accounts, 4 violations each: every account climbed its own ladder one strike at a time.
    counts = sorted(body["strike"]["count"] for body in first.values())
    assert counts == sorted(list(range(1, 5)) * 40)
    assert committer.groups < committer.commands
    verification = verify_audit_log(db)
    assert verification.ok, verification


def test_a_refused_command_gets_its_error_and_the_others_of_its_group_are_recorded(
    db: Database, committer: GroupCommitter
) -> None:
    def record_then_refuse(uow: UnitOfWork) -> None:
        checked = violations.check_violation(report("fb-refused", "carol"), now=NOW)
        violations.record_violation_within(db, uow, checked, caller=PLATFORM_CLIENT)
        raise ConflictError("refused after writing: its savepoint undoes the violation")

    events_before = event_count(db)
    gate = Gate(committer)
    first = submit(committer, "fb-1", "alice")
    refused = committer.submit(record_then_refuse, actor="test", now=NOW)
    unknown = violations.submit_violation(committer, report("x-1", platform="nowhere"), caller=PLATFORM_CLIENT.at(NOW))
    last = submit(committer, "fb-2", "bob")
    gate.release()

    assert first.result(timeout=30).created and last.result(timeout=30).created
    with pytest.raises(ConflictError):
        refused.result(timeout=30)
    with pytest.raises(NotFoundError):
        unknown.result(timeout=30)
    assert committer.groups == 2  # the gate's, then the four together
    assert violation_count(db) == 2
    with db.read() as conn:
        recorded = conn.execute(select(tables.violations.c.external_id)).scalars().all()
    assert sorted(recorded) == ["fb-1", "fb-2"]
    # Two violations, each with the sanction its first strike brought: no gap where carol's was.
    assert event_count(db) > events_before
    verification = verify_audit_log(db)
    assert verification.ok, verification


def test_a_failure_that_is_not_a_refusal_fails_its_command_and_the_others_are_run_again(
    db: Database, committer: GroupCommitter
) -> None:
    def broken(uow: UnitOfWork) -> None:
        raise RuntimeError("a bug, not a refusal")

    gate = Gate(committer)
    first = submit(committer, "fb-1", "alice")
    failed = committer.submit(broken, actor="test", now=NOW)
    last = submit(committer, "fb-2", "bob")
    gate.release()

    assert first.result(timeout=30).created and last.result(timeout=30).created
    with pytest.raises(RuntimeError):
        failed.result(timeout=30)
    assert violation_count(db) == 2
    assert verify_audit_log(db).ok


def test_a_violation_id_repeated_inside_one_group_is_recorded_once_and_answered_alike(
    db: Database, committer: GroupCommitter
) -> None:
    gate = Gate(committer)
    once, twice = submit(committer, "fb-7", "dave"), submit(committer, "fb-7", "dave")
    gate.release()

    first, again = once.result(timeout=30), twice.result(timeout=30)
    assert committer.groups == 2
    assert first.created and not again.created
    assert again.body == first.body
    assert violation_count(db) == 1


def test_each_command_of_a_group_keeps_its_own_instant_and_actor(db: Database, committer: GroupCommitter) -> None:
    later = NOW + timedelta(minutes=5)
    moderator = Caller("moderator (tok_m)")
    gate = Gate(committer)
    early = submit(committer, "fb-1", "alice")
    late = violations.submit_violation(committer, report("fb-2", "bob"), caller=moderator.at(later))
    gate.release()

    assert early.result(timeout=30).body["occurred_at"] == "2024-06-01T12:00:00Z"
    assert late.result(timeout=30).body["occurred_at"] == "2024-06-01T12:05:00Z"
    with db.read() as conn:
        rows = conn.execute(
            select(tables.events.c.actor, tables.events.c.at)
            .where(tables.events.c.type == "violation.recorded")
            .order_by(tables.events.c.seq)
        ).all()
    assert [tuple(row) for row in rows] == [
        (PLATFORM_CLIENT.actor, "2024-06-01T12:00:00Z"),
        ("moderator (tok_m)", "2024-06-01T12:05:00Z"),
    ]


def test_a_bad_report_is_refused_before_it_reaches_the_writer(committer: GroupCommitter) -> None:
    with pytest.raises(ValidationError):  # parsed at the edge
        violations.submit_violation(committer, report("fb-1", severity="dire"), caller=PLATFORM_CLIENT.at(NOW))
    with pytest.raises(ValidationError):  # judged against the instant it arrives, before the writer
        violations.submit_violation(
            committer, report("fb-2", occurred_at=NOW + timedelta(hours=1)), caller=PLATFORM_CLIENT.at(NOW)
        )
    assert committer.commands == 0


def test_closing_answers_what_was_submitted_and_a_later_command_starts_the_writer_again(
    db: Database, committer: GroupCommitter
) -> None:
    gate = Gate(committer)
    pending = submit(committer, "fb-1")
    closing = threading.Thread(target=committer.close)
    closing.start()
    gate.release()
    closing.join(timeout=30)
    assert not closing.is_alive()
    assert pending.done() and pending.result().created
    assert submit(committer, "fb-2").result(timeout=30).created
    assert violation_count(db) == 2


class Answers:
    """``submit_answering``'s side: each answer as the writer thread gives it, with what the
    database held then."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.given: dict[str, tuple[Any, BaseException | None, int]] = {}
        self._all = threading.Condition()

    def to(self, name: str) -> Callable[[Any, BaseException | None], None]:
        def answer(result: Any, error: BaseException | None) -> None:
            with self._all:
                self.given[name] = (result, error, violation_count(self.db))
                self._all.notify_all()

        return answer

    def wait_for(self, count: int) -> None:
        with self._all:
            assert self._all.wait_for(lambda: len(self.given) >= count, timeout=30)


def test_commands_answered_through_a_function_get_their_answer_after_their_commit_or_their_refusal(
    db: Database, committer: GroupCommitter
) -> None:
    answers = Answers(db)
    gate = Gate(committer)
    for name, platform in (("fb-1", "facebook"), ("x-1", "nowhere"), ("fb-2", "facebook")):
        violations.submit_violation(
            committer, report(name, platform=platform), caller=PLATFORM_CLIENT.at(NOW), answer=answers.to(name)
        )
    assert answers.given == {}
    gate.release()
    answers.wait_for(3)

    first, refused, last = (answers.given[name] for name in ("fb-1", "x-1", "fb-2"))
    assert first[0].created and first[1] is None and first[2] == 2  # both were committed by then
    assert last[0].created and last[1] is None and last[2] == 2
    assert refused[0] is None and isinstance(refused[1], NotFoundError)
    assert committer.groups == 2


def test_an_answer_function_that_fails_is_logged_and_the_rest_of_its_group_is_answered(
    db: Database, committer: GroupCommitter, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(result: Any, error: BaseException | None) -> None:
        raise RuntimeError("a bug in the caller's answer")

    answers = Answers(db)
    gate = Gate(committer)
    violations.submit_violation(committer, report("fb-1"), caller=PLATFORM_CLIENT.at(NOW), answer=broken)
    violations.submit_violation(committer, report("fb-2"), caller=PLATFORM_CLIENT.at(NOW), answer=answers.to("fb-2"))
    gate.release()
    answers.wait_for(1)

    assert answers.given["fb-2"][0].created
    assert "answering a group-committed command failed" in caplog.text
    assert violation_count(db) == 2


def test_closing_answers_what_was_submitted_with_an_answer_function(db: Database, committer: GroupCommitter) -> None:
    answers = Answers(db)
    gate = Gate(committer)
    violations.submit_violation(committer, report("fb-1"), caller=PLATFORM_CLIENT.at(NOW), answer=answers.to("fb-1"))
    closing = threading.Thread(target=committer.close)
    closing.start()
    gate.release()
    closing.join(timeout=30)
    assert not closing.is_alive()
    assert answers.given["fb-1"][0].created
