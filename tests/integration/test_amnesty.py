"""Amnesties on every backend: what they select, what they lift, how they resume and revert.

The reference selections here are written in plain Python over the sanctions as the service
shows them, independently of the SQL in ``reprieve.store.amnesty``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from reprieve.domain.amnesty import make_filter, parse_amnesty
from reprieve.domain.errors import ConflictError, NotFoundError, ValidationError
from reprieve.domain.events import EventType, SanctionLifted
from reprieve.domain.filters import SanctionFilter
from reprieve.domain.model import AccountRef
from reprieve.runtime import amnesty as amnesty_runner
from reprieve.services import amnesty
from reprieve.services.audit import rebuild_projections, verify_audit_log
from reprieve.services.callers import Caller
from reprieve.services.catalogue import CreatePlatform, create_platform
from reprieve.services.sanctions import AmendSanction, LiftSanction, amend_sanction, get_sanction, lift_sanction
from reprieve.services.standing import get_standing
from reprieve.store import eventlog, projector, queries
from reprieve.store.db import Database

MODERATOR = Caller("moderator-1")
REASON = "General amnesty"
CATEGORIES = (
    "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
)
POLICIES = ("spam", "hate", "violence", "impersonation")


def reason_for(i: int) -> dict[str, Any]:
    return {
        "ground": "incompatible_content",
        "category": CATEGORIES[i % len(CATEGORIES)],
        "policy": POLICIES[i % len(POLICIES)],
        "explanation": f"case {i}",
    }


@pytest.fixture
def world(db: Database, meta: str, x_corp: str, now: datetime, impose: Callable[..., dict[str, Any]]) -> list[str]:
    """A mixed set of Meta's sanctions (and one of X's): every kind, one or two platforms, expired,
    scheduled, lifted, amended (term and kind), lifted in the future; returns Meta's sanction ids."""
    create_platform(
        db, CreatePlatform.parse(id="threads", operator="meta", name="Threads"), caller=Caller("t", now=now)
    )
    ids = []
    for i in range(60):
        kind = ("warning", "restriction", "suspension", "termination")[i % 4]
        platform = ("facebook", "instagram", "threads")[i % 3]
        fields: dict[str, Any] = {"reason": reason_for(i)}
        if kind in ("restriction", "suspension"):
            fields["duration"] = ("P30D", "P1Y", "P10D")[i % 3]
        if kind == "restriction":
            fields["denies"] = ["post", "live"]
        if i % 5 == 0:
            fields["scope"] = sorted({platform, "facebook"} | ({"instagram"} if i % 2 else set()))
        fields["starts_at"] = now - timedelta(days=1 + (i * 7) % 200)
        if i % 17 == 3:
            fields["starts_at"] = now + timedelta(days=3)  # scheduled: not active
        ids.append(impose(f"{platform}/user{i}", kind, **fields)["id"])

    def special(name: str, kind: str, i: int, **fields: Any) -> str:
        fields.setdefault("duration", None if kind == "termination" else "P30D")
        sanction_id: str = impose(name, kind, reason=reason_for(i), starts_at=now - timedelta(days=5), **fields)["id"]
        ids.append(sanction_id)
        return sanction_id

    # Recorded now (the log's instants never go backwards), each taking effect an hour ago.
    earlier = now - timedelta(hours=1)
    # Amended: extended; a suspension made a termination; a restriction made a suspension; one shortened
    # so that it has ended; one lifted already; one whose lift is scheduled for next week.
    amend_sanction(
        db,
        special("facebook/amended1", "suspension", 1),
        AmendSanction.parse(reason="extended", ends_at=now + timedelta(days=400), effective_at=earlier),
        caller=Caller("t", now=now),
    )
    amend_sanction(
        db,
        special("instagram/amended2", "suspension", 2),
        AmendSanction.parse(reason="worse", kind="termination", ends_at=None, effective_at=earlier),
        caller=Caller("t", now=now),
    )
    amend_sanction(
        db,
        special("threads/amended3", "restriction", 3, denies=["post"]),
        AmendSanction.parse(reason="worse", kind="suspension", effective_at=earlier),
        caller=Caller("t", now=now),
    )
    amend_sanction(
        db,
        special("threads/amended4", "suspension", 4),
        AmendSanction.parse(reason="shorter", ends_at=now - timedelta(minutes=30), effective_at=earlier),
        caller=Caller("t", now=now),
    )
    lift_sanction(
        db,
        special("facebook/lifted1", "termination", 5),
        LiftSanction.parse(reason="lifted already", effective_at=earlier),
        caller=Caller("t", now=now),
    )
    lift_sanction(
        db,
        special("facebook/lifted2", "termination", 6, scope=["facebook", "instagram"]),
        LiftSanction.parse(reason="early release next week", effective_at=now + timedelta(days=7)),
        caller=Caller("t", now=now),
    )
    impose("twitter/elsewhere", "suspension", duration="P1Y", reason=reason_for(0), starts_at=now - timedelta(days=5))
    return ids


def reference(
    db: Database,
    at: datetime,
    *,
    platforms: set[str] | None = None,
    kinds: set[str] | None = None,
    started_before: datetime | None = None,
    categories: set[str] = frozenset(),  # type: ignore[assignment]
    policies: set[str] = frozenset(),
) -> set[str]:  # type: ignore[assignment]
    """The reference selection: Meta's sanctions as the service shows them at ``at``, filtered in Python."""
    with db.read() as conn:
        rows, _ = queries.list_sanction_rows(conn, SanctionFilter(operator="meta"), at_us=0, limit=10_000, cursor=None)
        sanctions = queries.load_sanctions(conn, rows)
    chosen = set()
    for s in sanctions:
        if not s.is_active(at):
            continue
        if platforms and not platforms & set(s.scope):
            continue
        term = s.view_at(at)
        assert term.kind is not None
        if kinds and term.kind.value not in kinds:
            continue
        if started_before is not None and not s.starts_at < started_before:
            continue
        if s.reason.category in categories or s.reason.policy in policies:
            continue
        chosen.add(s.id)
    return chosen


def lifted_by(db: Database, amnesty_id: str) -> set[str]:
    with db.read() as conn:
        events = eventlog.read_events(conn, limit=100_000, types=[EventType.SANCTION_LIFTED.value])
    return {e.payload()["id"] for e in events if e.payload().get("amnesty") == amnesty_id}


def event_count(db: Database) -> int:
    with db.read() as conn:
        return eventlog.count_events(conn)


FILTERS: list[dict[str, Any]] = [
    {},
    {"kinds": ["suspension", "termination"]},
    {"platforms": ["instagram"], "exclude_categories": ["STATEMENT_CATEGORY_SCAMS_AND_FRAUD"]},
    {"kinds": ["termination", "restriction"], "exclude_policies": ["hate", "spam"], "started_before": "2024-03-01"},
    {
        "platforms": ["facebook", "threads"],
        "kinds": ["warning", "suspension"],
        "exclude_categories": ["STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"],
        "exclude_policies": ["violence"],
    },
]


@pytest.mark.parametrize("given", FILTERS, ids=[str(i) for i in range(len(FILTERS))])
def test_an_amnesty_lifts_exactly_what_the_reference_selects(
    db: Database, world: list[str], now: datetime, given: dict[str, Any]
) -> None:
    expected = reference(
        db,
        now,
        platforms=set(given.get("platforms", ())) or None,
        kinds=set(given.get("kinds", ())) or None,
        started_before=datetime.fromisoformat(given["started_before"] + "T00:00:00+00:00")
        if "started_before" in given
        else None,
        categories=set(given.get("exclude_categories", ())),
        policies=set(given.get("exclude_policies", ())),
    )
    assert expected  # every filter here selects something, and...
    assert expected != reference(db, now) or not given  # ...each but the first leaves something out

    preview = amnesty.preview(db, make_filter("meta", **given), caller=Caller("test", now=now))
    assert preview.matched == len(expected)
    assert {s.id for s in preview.sample} <= expected
    assert len(preview.sample) == min(20, len(expected))

    started = amnesty.start(db, make_filter("meta", **given), reason=REASON, caller=MODERATOR.at(now))
    assert started.state == "running" and started.matched == len(expected)
    done = amnesty_runner.run(db, started.id, now=now, batch_size=7)
    assert done.state == "completed"
    assert (done.processed, done.lifted, done.skipped) == (len(expected), len(expected), 0)
    assert lifted_by(db, started.id) == expected
    for sanction_id in expected:
        assert get_sanction(db, sanction_id, at=now).to_json()["state"] == "lifted"
    assert reference(db, now, **({"kinds": set(given["kinds"])} if "kinds" in given else {})).isdisjoint(expected)
    assert verify_audit_log(db).ok


def test_the_bulk_lift_leaves_the_projections_a_one_by_one_replay_makes(
    db: Database,
    world: list[str],
    now: datetime,
    projections: Callable[[Database], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = amnesty.start(db, make_filter("meta"), reason=REASON, caller=MODERATOR.at(now))
    amnesty_runner.run(db, started.id, now=now, batch_size=9)
    assert len(lifted_by(db, started.id)) > 30
    live = projections(db)
    # The same log replayed with every lift applied one at a time, by the projector's general path.
    one_by_one = dict(projector.HANDLERS)
    one_by_one[SanctionLifted] = projector.Projector.sanctions_changed
    monkeypatch.setattr(projector, "HANDLERS", one_by_one)
    rebuild_projections(db)
    replayed = projections(db)
    assert replayed == live
    monkeypatch.undo()
    rebuild_projections(db)
    assert projections(db) == live


def test_a_dry_run_changes_nothing(
    db: Database, world: list[str], now: datetime, projections: Callable[[Database], Any]
) -> None:
    before, events = projections(db), event_count(db)
    result = amnesty.preview(db, make_filter("meta", kinds=["suspension"]), caller=Caller("test", now=now))
    assert result.matched > 0
    assert projections(db) == before and event_count(db) == events
    assert amnesty.list_amnesties(db) == []


def test_the_amnesty_events_are_one_start_one_lift_per_sanction_and_one_end(
    db: Database, world: list[str], now: datetime
) -> None:
    first = event_count(db)
    started = amnesty.start(db, make_filter("meta", kinds=["termination"]), reason=REASON, caller=MODERATOR.at(now))
    amnesty_runner.run(db, started.id, now=now, batch_size=4)
    with db.read() as conn:
        events = eventlog.read_events(conn, after=first, limit=1000)
    types = [e.type for e in events]
    assert types == ["amnesty.started"] + ["sanction.lifted"] * started.matched + ["amnesty.completed"]
    head = events[0].payload()
    assert head["filter"]["kinds"] == ["termination"] and head["matched"] == started.matched
    assert head["reason"] == REASON and head["effective_at"] == "2024-06-01T12:00:00Z"
    assert all(e.payload()["amnesty"] == started.id for e in events[1:-1])
    assert events[-1].payload()["lifted"] == started.matched


def test_a_target_no_longer_active_when_its_batch_comes_is_skipped_and_other_writes_go_on(
    db: Database, world: list[str], now: datetime, impose: Callable[..., dict[str, Any]]
) -> None:
    started = amnesty.start(db, make_filter("meta"), reason=REASON, caller=MODERATOR.at(now))
    targets = sorted(reference(db, now))
    last = targets[-1]
    first_batch_done, writes_done = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def progress(view: amnesty.AmnestyView) -> None:
        if not first_batch_done.is_set():
            first_batch_done.set()
            assert writes_done.wait(30)

    def work() -> None:
        outcome["result"] = amnesty_runner.run(db, started.id, now=now, batch_size=5, on_progress=progress)

    runner = threading.Thread(target=work)
    runner.start()
    try:
        assert first_batch_done.wait(30)
        # While the amnesty is half-way: another moderator lifts one of its targets, a new sanction is imposed.
        lift_sanction(db, last, LiftSanction.parse(reason="released on appeal"), caller=Caller("t", now=now))
        fresh = impose("facebook/newcomer", "suspension", duration="P30D")
    finally:
        writes_done.set()
        runner.join(60)
    result = outcome["result"]
    assert result.state == "completed"
    assert (result.lifted, result.skipped) == (len(targets) - 1, 1)
    assert last not in lifted_by(db, started.id)
    assert get_sanction(db, fresh["id"], at=now).to_json()["state"] == "active"  # imposed after the start: not a target


def test_a_run_stopped_by_an_error_is_failed_and_resumes_where_it_stopped(
    db: Database, world: list[str], now: datetime
) -> None:
    started = amnesty.start(db, make_filter("meta"), reason=REASON, caller=MODERATOR.at(now))
    batches = []

    def crash(view: amnesty.AmnestyView) -> None:
        batches.append(view.processed)
        if len(batches) == 2:
            raise RuntimeError("the machine fell over")

    with pytest.raises(RuntimeError):
        amnesty_runner.run(db, started.id, now=now, batch_size=6, on_progress=crash)
    failed = amnesty.get(db, started.id)
    assert failed.state == "failed" and "fell over" in failed.error and failed.processed == 12
    assert amnesty_runner.resume_unfinished(db, now=now) == []  # a failed pass waits for someone to look at it
    done = amnesty_runner.run(db, started.id, now=now, batch_size=6)
    assert done.state == "completed" and done.error is None
    with db.read() as conn:
        lifts = [
            e
            for e in eventlog.read_events(conn, limit=100_000, types=["sanction.lifted"])
            if e.payload().get("amnesty") == started.id
        ]
    assert len(lifts) == len({e.payload()["id"] for e in lifts}) == done.matched == done.lifted
    assert verify_audit_log(db).ok


def test_a_pass_held_by_a_live_process_is_not_taken_over(db: Database, world: list[str], now: datetime) -> None:
    started = amnesty.start(db, make_filter("meta"), reason=REASON, caller=MODERATOR.at(now))
    holder = amnesty_runner.new_owner()  # this very process: alive
    seen = []

    def other_process_tries(view: amnesty.AmnestyView) -> None:
        if not seen:
            seen.append(view)
            with pytest.raises(ConflictError, match="being processed"):
                amnesty_runner.run(db, started.id, now=now)
            assert amnesty_runner.resume_unfinished(db, now=now) == []

    done = amnesty_runner.run(db, started.id, now=now, batch_size=10, owner=holder, on_progress=other_process_tries)
    assert seen and done.state == "completed"


def test_resume_unfinished_finishes_what_a_dead_process_left(db: Database, world: list[str], now: datetime) -> None:
    started = amnesty.start(db, make_filter("meta"), reason=REASON, caller=MODERATOR.at(now))
    dead = "no-such-host/1/dead"

    def die(view: amnesty.AmnestyView) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        amnesty_runner.run(db, started.id, now=now, batch_size=10, owner=dead, on_progress=die)
    assert amnesty.get(db, started.id).state == "running"
    assert amnesty_runner.resume_unfinished(db, now=now) == [started.id]  # released on the way out: free to take
    assert amnesty.get(db, started.id).state == "completed"
    assert [p.to_json() for p in amnesty.progress_snapshot(db)] == [
        {
            "id": started.id,
            "operator": "meta",
            "state": "completed",
            "matched": started.matched,
            "processed": started.matched,
        }
    ]


def test_revert_reimposes_what_was_lifted_and_leaves_alone_what_changed_since(
    db: Database, world: list[str], now: datetime
) -> None:
    started = amnesty.start(db, make_filter("meta"), reason=REASON, caller=MODERATOR.at(now))
    amnesty_runner.run(db, started.id, now=now, batch_size=8)
    lifted = sorted(lifted_by(db, started.id))
    # Recorded after the amnesty: a lift backdated before it (the sanction had been released earlier).
    unrelated = lifted[3]
    lift_sanction(
        db,
        unrelated,
        LiftSanction.parse(reason="released on appeal last week", effective_at=now - timedelta(hours=2)),
        caller=Caller("t", now=now + timedelta(hours=1)),
    )
    later = now + timedelta(days=1)
    before_unrelated = get_sanction(db, unrelated, at=later).to_json()
    with pytest.raises(ValidationError):
        amnesty.revert(db, started.id, reason="", caller=MODERATOR.at(later))
    reverting = amnesty.revert(db, started.id, reason="The amnesty was a mistake", caller=MODERATOR.at(later))
    assert reverting.state == "reverting"
    done = amnesty_runner.run(db, started.id, now=later, batch_size=7)
    assert done.state == "reverted"
    with db.read() as conn:
        from reprieve.store import amnesty as amnesty_store

        pairs = dict(amnesty_store.restored_ids(conn, started.id))
    originals = {s: get_sanction(db, s, at=now - timedelta(minutes=1)).to_json() for s in lifted}
    # What had a term left: every lifted sanction but the one lifted otherwise, and those that would have ended.
    expected = {
        s
        for s, view in originals.items()
        if s != unrelated and (view["ends_at"] is None or view["ends_at"] > "2024-06-02T12:00:00Z")
    }
    assert set(pairs) == expected and len(expected) > 20
    assert done.revert.restored == len(expected)
    assert done.revert.left_alone == len(lifted) - len(expected)
    for original, new in pairs.items():
        old, fresh = originals[original], get_sanction(db, new, at=later).to_json()
        assert fresh["state"] == "active" and fresh["starts_at"] == "2024-06-02T12:00:00Z"
        for key in ("kind", "denies", "scope", "subject", "reason", "ends_at", "automated"):
            assert fresh[key] == old[key], key
    assert get_sanction(db, unrelated, at=later).to_json() == before_unrelated  # left alone
    assert unrelated not in pairs
    # The subject of a re-imposed sanction is sanctioned again.
    some = next(o for o in pairs if originals[o]["kind"] in ("suspension", "termination"))
    subject = originals[some]["subject"]
    standing = get_standing(db, AccountRef(subject["platform"], subject["account"]), at=later).to_json()
    assert pairs[some] in standing["sanctions"] and standing["status"] in ("suspended", "terminated")
    with pytest.raises(ConflictError):
        amnesty.revert(db, started.id, reason="twice", caller=MODERATOR.at(later))
    assert verify_audit_log(db).ok


def test_bad_filters_and_other_operators_are_refused_and_change_nothing(
    db: Database, world: list[str], now: datetime, projections: Callable[[Database], Any]
) -> None:
    before, events = projections(db), event_count(db)
    bad: list[tuple[type[Exception], dict[str, Any]]] = [
        (ValidationError, {"kinds": ["ban"]}),
        (ValidationError, {"states": ["dormant"]}),
        (ValidationError, {"states": ["expired"]}),
        (ValidationError, {"started_before": "last tuesday"}),
        (ValidationError, {"platforms": ["twitter"]}),  # X's, not Meta's
        (ValidationError, {"exclude_categories": ["SPAM"]}),
        (ValidationError, {"effective_at": "2024-13-01T00:00:00Z"}),
    ]
    for error, fields in bad:
        with pytest.raises(error):
            f, effective_at = parse_amnesty("meta", **fields)
            amnesty.preview(db, f, effective_at=effective_at, caller=Caller("test", now=now))
        with pytest.raises(error):
            f, effective_at = parse_amnesty("meta", **fields)
            amnesty.start(db, f, reason=REASON, effective_at=effective_at, caller=MODERATOR.at(now))
    with pytest.raises(NotFoundError):
        amnesty.start(db, make_filter("meta"), reason=REASON, caller=MODERATOR.at(now).among(["x"]))
    with pytest.raises(NotFoundError):
        amnesty.preview(db, make_filter("nobody"), caller=Caller("test", now=now))
    with pytest.raises(ValidationError):
        amnesty.start(db, make_filter("meta"), reason=" ", caller=MODERATOR.at(now))
    assert projections(db) == before and event_count(db) == events
    started = amnesty.start(db, make_filter("x"), reason=REASON, caller=MODERATOR.at(now))
    with pytest.raises(NotFoundError):
        amnesty.get(db, started.id, caller=Caller("test", operators=["meta"]))
    with pytest.raises(NotFoundError):
        amnesty.revert(db, started.id, reason="no", caller=MODERATOR.at(now).among(["meta"]))


def test_an_empty_amnesty_completes_at_once(db: Database, world: list[str], now: datetime) -> None:
    started = amnesty.start(
        db, make_filter("meta", started_before="1990-01-01"), reason=REASON, caller=MODERATOR.at(now)
    )
    assert (started.state, started.matched) == ("completed", 0)
    with pytest.raises(ConflictError, match="only a completed amnesty"):
        running = amnesty.start(db, make_filter("meta"), reason=REASON, caller=MODERATOR.at(now))
        amnesty.revert(db, running.id, reason="too early", caller=MODERATOR.at(now))
