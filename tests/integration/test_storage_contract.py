"""The storage contract, on every backend: atomic writes, projections as a fold of the log,
identities, listing, and one winner when two moderators act at once (PRODUCT.md sections 5, 7)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from reprieve.domain.errors import NotFoundError, ValidationError
from reprieve.domain.events import EventType, NewEvent, OperatorCreated
from reprieve.domain.filters import SanctionFilter
from reprieve.domain.model import AccountRef, SanctionKind, SanctionState
from reprieve.services import catalogue
from reprieve.services.audit import rebuild_projections, verify_audit_log
from reprieve.services.callers import Caller
from reprieve.services.sanctions import (
    AmendSanction,
    ImposeSanction,
    LiftSanction,
    amend_sanction,
    get_sanction,
    import_sanctions,
    lift_sanction,
    list_sanctions,
)
from reprieve.services.standing import get_standing
from reprieve.store import eventlog, queries
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

ACTOR = "contract-test"
Impose = Callable[..., dict[str, Any]]
Projections = Callable[[Database], dict[str, list[tuple[Any, ...]]]]


def event_count(db: Database) -> int:
    with db.read() as conn:
        return eventlog.count_events(conn)


def lifts_of(db: Database, sanction_id: str) -> int:
    with db.read() as conn:
        events = eventlog.read_events(conn, limit=100_000, types=[EventType.SANCTION_LIFTED.value])
    return sum(1 for e in events if e.payload()["id"] == sanction_id)


# --- one transaction ------------------------------------------------------------------------------


class Boom(Exception):
    pass


def test_a_unit_of_work_that_fails_leaves_nothing(db: Database, now: datetime, projections: Projections) -> None:
    before = projections(db)
    with db.read() as conn:
        head = eventlog.head(conn)
    with pytest.raises(Boom), UnitOfWork(db, actor=ACTOR, now=now) as uow:
        uow.record([NewEvent.of(OperatorCreated("meta", "Meta"), uow.at, "meta")])
        assert queries.operator_row(uow.conn, "meta") is not None  # projected, within
        raise Boom
    assert projections(db) == before
    assert event_count(db) == 0
    with db.read() as conn:
        assert eventlog.head(conn) == head
    with pytest.raises(NotFoundError):
        catalogue.get_operator(db, "meta")


def test_a_failing_service_call_leaves_no_event_and_no_projection_row(
    db: Database, meta: str, now: datetime, impose: Impose, projections: Projections
) -> None:
    impose("facebook/known", "suspension", duration="P1D")
    before, events = projections(db), event_count(db)
    # The new account is registered (an event, an identity, an account row) before the term is
    # found broken: all of it goes.
    with pytest.raises(ValidationError):
        impose("facebook/newcomer", "suspension", scope=["facebook", "instagram"], ends_at=now - timedelta(days=1))
    with pytest.raises(ValidationError):
        impose("instagram/newcomer", "restriction", denies=["appeal"])
    with pytest.raises(NotFoundError):
        impose("facebook/newcomer", "suspension", scope=["facebook", "nowhere"])
    assert event_count(db) == events
    assert projections(db) == before
    with pytest.raises(NotFoundError):
        catalogue.get_account(db, AccountRef("facebook", "newcomer"))


def test_an_import_batch_is_all_or_nothing(
    db: Database, meta: str, now: datetime, reason: dict[str, Any], projections: Projections
) -> None:
    commands = [
        ImposeSanction.parse(
            subject=AccountRef("facebook", f"user{i}"), kind="suspension", reason=reason, duration="P7D"
        )
        for i in range(7)
    ]
    commands[5] = ImposeSanction.parse(
        subject=AccountRef("facebook", "user5"), kind="termination", reason=reason, duration="P7D"
    )
    with pytest.raises(ValidationError, match="sanction #6"):
        import_sanctions(db, commands, caller=Caller(ACTOR, now=now), batch_size=3)
    # The first batch (users 0-2) stands; the second (3-5) left nothing behind, not even accounts.
    registered = {row[1] for row in projections(db)["accounts"]}
    assert registered == {"user0", "user1", "user2"}
    assert len(projections(db)["sanctions"]) == 3
    assert verify_audit_log(db).ok


# --- projections are a fold of the log --------------------------------------------------------------


def build_history(db: Database, now: datetime, impose: Impose, reason: dict[str, Any]) -> None:
    """A bit of everything the log can hold so far."""
    catalogue.put_account(
        db,
        catalogue.PutAccount.parse(AccountRef("facebook", "DonaldTrump"), display_name="Donald J. Trump"),
        caller=Caller(ACTOR, now=now),
    )
    catalogue.put_account(
        db,
        catalogue.PutAccount.parse(AccountRef("facebook", "DonaldTrump"), display_name="Donald Trump"),
        caller=Caller(ACTOR, now=now),
    )
    ban = impose(
        "facebook/DonaldTrump",
        "suspension",
        scope=["facebook", "instagram"],
        starts_at="2021-01-07T00:00:00Z",
        review_after="P2Y",
        ends_at=None,
    )
    amend_sanction(
        db,
        ban["id"],
        AmendSanction.parse(
            reason="initial period of two years",
            ends_at="2023-01-07T00:00:00Z",
            effective_at="2021-06-04T00:00:00Z",
            backdated_reason="Test history, entered after the fact.",
        ),
        caller=Caller(ACTOR, now=now),
    )
    amend_sanction(
        db,
        ban["id"],
        AmendSanction.parse(
            reason="downgraded",
            kind="restriction",
            denies=["live", "advertise"],
            effective_at="2022-06-01T00:00:00Z",
            backdated_reason="Test history, entered after the fact.",
        ),
        caller=Caller(ACTOR, now=now),
    )
    lift_sanction(
        db,
        ban["id"],
        LiftSanction.parse(
            reason="reinstated",
            effective_at="2022-12-01T00:00:00Z",
            backdated_reason="Test history, entered after the fact.",
        ),
        caller=Caller(ACTOR, now=now),
    )
    catalogue.link_identities(
        db,
        catalogue.LinkIdentities.parse(
            operator="meta",
            accounts=[AccountRef("facebook", "DonaldTrump"), AccountRef("instagram", "realdonaldtrump")],
        ),
        caller=Caller(ACTOR, now=now),
    )
    impose("instagram/realdonaldtrump", "warning")
    impose("twitter/realDonaldTrump", "termination", starts_at="2021-01-08T00:00:00Z")
    future = impose("twitter/someone", "restriction", denies=["post"], duration="P30D")
    lift_sanction(
        db,
        future["id"],
        LiftSanction.parse(
            reason="scheduled early release",
            effective_at=now + timedelta(days=10),
            backdated_reason="Test history, entered after the fact.",
        ),
        caller=Caller(ACTOR, now=now),
    )
    import_sanctions(
        db,
        [
            ImposeSanction.parse(
                subject=AccountRef("instagram", f"spam{i}"),
                kind="suspension",
                reason=reason,
                duration="P1Y",
                scope=["instagram", "facebook"],
            )
            for i in range(150)
        ],
        caller=Caller(ACTOR, now=now),
        batch_size=70,
    )


def test_rebuilding_the_projections_gives_the_same_tables(
    db: Database,
    meta: str,
    x_corp: str,
    now: datetime,
    impose: Impose,
    reason: dict[str, Any],
    projections: Projections,
) -> None:
    build_history(db, now, impose, reason)
    before = projections(db)
    assert all(
        before[name]
        for name in (
            "operators",
            "platforms",
            "identities",
            "accounts",
            "sanctions",
            "sanction_scope",
            "sanction_spans",
        )
    )
    standing_before = get_standing(db, AccountRef("instagram", "realdonaldtrump"), at=now).to_json()
    assert rebuild_projections(db) == event_count(db)
    assert projections(db) == before
    assert rebuild_projections(db, batch=7) == event_count(db)  # replay in small pages too
    assert projections(db) == before
    assert get_standing(db, AccountRef("instagram", "realdonaldtrump"), at=now).to_json() == standing_before


def test_a_rebuild_undoes_a_projection_changed_behind_the_log(
    db: Database, meta: str, now: datetime, impose: Impose, projections: Projections
) -> None:
    sanction = impose("facebook/someone", "suspension", duration="P30D")
    before = projections(db)
    with db.engine.begin() as conn:
        conn.execute(queries.tables.sanction_spans.delete())
    assert get_standing(db, AccountRef("facebook", "someone"), at=now).to_json()["status"] == "good"
    rebuild_projections(db)
    assert projections(db) == before
    assert get_standing(db, AccountRef("facebook", "someone"), at=now).to_json()["sanctions"] == [sanction["id"]]


# --- identities -------------------------------------------------------------------------------------


def test_linking_merges_identities_and_moves_their_sanctions(
    db: Database, meta: str, x_corp: str, now: datetime, impose: Impose
) -> None:
    fb, ig = AccountRef("facebook", "DonaldTrump"), AccountRef("instagram", "realdonaldtrump")
    ban = impose(str(fb), "suspension", scope=["facebook", "instagram"], duration="P2Y")
    other = impose(str(ig), "restriction", denies=["live"], duration="P30D")  # instagram only
    fb_identity = ban["identity"]
    assert get_standing(db, ig, at=now).to_json()["status"] == "restricted"  # not yet reached by the ban

    linked = catalogue.link_identities(
        db, catalogue.LinkIdentities.parse(operator="meta", accounts=[ig, fb]), caller=Caller(ACTOR, now=now)
    )

    survivor = other["identity"]  # the identity of the first account named
    assert linked.id == survivor
    assert linked.to_json()["accounts"] == [
        {"platform": "facebook", "account": "DonaldTrump"},
        {"platform": "instagram", "account": "realdonaldtrump"},
    ]
    with pytest.raises(NotFoundError):
        catalogue.get_identity(db, fb_identity)
    assert get_sanction(db, ban["id"], at=now).to_json()["identity"] == survivor
    on_instagram = get_standing(db, ig, at=now).to_json()
    assert on_instagram["status"] == "suspended"
    assert on_instagram["identity"] == survivor
    assert on_instagram["sanctions"] == [ban["id"], other["id"]]
    assert on_instagram["strikes"] == 2
    on_facebook = get_standing(db, fb, at=now).to_json()
    assert on_facebook["sanctions"] == [ban["id"]]  # the restriction's scope is instagram only
    assert on_facebook["strikes"] == 1

    events = event_count(db)
    assert (
        catalogue.link_identities(
            db, catalogue.LinkIdentities.parse(operator="meta", accounts=[fb, ig]), caller=Caller(ACTOR, now=now)
        ).id
        == survivor
    )
    assert event_count(db) == events  # already linked: nothing to record


def test_linking_registers_new_accounts_and_merges_several_identities(
    db: Database, meta: str, now: datetime, impose: Impose
) -> None:
    first = impose("facebook/a", "suspension", duration="P1D")
    second = impose("facebook/b", "suspension", scope=["facebook", "instagram"], duration="P2D")
    refs = [AccountRef("instagram", "brand-new"), AccountRef("facebook", "a"), AccountRef("facebook", "b")]
    linked = catalogue.link_identities(
        db, catalogue.LinkIdentities.parse(operator="meta", accounts=refs), caller=Caller(ACTOR, now=now)
    )
    assert len(linked.accounts) == 3
    for ref in refs:
        assert catalogue.get_account(db, ref).identity == linked.id
    assert get_standing(db, AccountRef("facebook", "a"), at=now).to_json()["sanctions"] == sorted(
        [first["id"], second["id"]]
    )
    assert get_standing(db, AccountRef("instagram", "brand-new"), at=now).to_json()["sanctions"] == [second["id"]]
    assert (
        get_standing(db, AccountRef("instagram", "brand-new"), at=now).to_json()["until"]
        == (get_sanction(db, second["id"], at=now).to_json()["ends_at"])
    )


def test_accounts_of_two_operators_cannot_be_linked(
    db: Database, meta: str, x_corp: str, now: datetime, projections: Projections
) -> None:
    before, events = projections(db), event_count(db)
    with pytest.raises(ValidationError, match="two operators"):
        catalogue.link_identities(
            db,
            catalogue.LinkIdentities.parse(
                operator="meta", accounts=[AccountRef("facebook", "a"), AccountRef("twitter", "a")]
            ),
            caller=Caller(ACTOR, now=now),
        )
    assert (projections(db), event_count(db)) == (before, events)


# --- listing ------------------------------------------------------------------------------------------


def test_list_sanctions_filters_and_pages(db: Database, meta: str, x_corp: str, now: datetime, impose: Impose) -> None:
    day = timedelta(days=1)
    created = {
        "active": impose("facebook/a", "suspension", scope=["facebook", "instagram"], duration="P30D"),
        "scheduled": impose("instagram/b", "restriction", denies=["live"], starts_at=now + 10 * day, duration="P5D"),
        "expired": impose("facebook/c", "warning", starts_at=now - 60 * day, ends_at=now - 30 * day),
        "lifted": impose("facebook/d", "termination", starts_at=now - day),
        "twitter": impose("twitter/e", "suspension", duration="P7D"),
    }
    lift_sanction(db, created["lifted"]["id"], LiftSanction.parse(reason="error"), caller=Caller(ACTOR, now=now))

    def ids(at: datetime = now, **f: Any) -> set[str]:
        page = list_sanctions(db, SanctionFilter(**f), at=at, limit=1000).to_json()
        assert page["next_cursor"] is None
        return {item["id"] for item in page["items"]}

    every = {s["id"] for s in created.values()}
    assert ids() == every
    for state in ("active", "scheduled", "expired", "lifted"):
        expected = {created[state]["id"]} | ({created["twitter"]["id"]} if state == "active" else set())
        assert ids(state=SanctionState(state)) == expected, state
    later = now + 11 * day
    assert ids(at=later, state=SanctionState.ACTIVE) == {created["active"]["id"], created["scheduled"]["id"]}
    assert ids(at=later, state=SanctionState.EXPIRED) == {created["expired"]["id"], created["twitter"]["id"]}
    assert ids(kind=SanctionKind.RESTRICTION) == {created["scheduled"]["id"]}
    assert ids(kind=SanctionKind.SUSPENSION) == {created["active"]["id"], created["twitter"]["id"]}
    assert ids(platform="instagram") == {created["active"]["id"], created["scheduled"]["id"]}
    assert ids(platform="twitter") == {created["twitter"]["id"]}
    assert ids(operator="x") == {created["twitter"]["id"]}
    assert ids(operators=["meta"]) == every - {created["twitter"]["id"]}
    assert ids(account="facebook/a") == {created["active"]["id"]}
    assert ids(account="a") == ids(account="a", operator="meta") == {created["active"]["id"]}
    assert ids(account="a", operators=["meta", "x"]) == {created["active"]["id"]}
    assert ids(account="a", operators=["x"]) == ids(account="a", operator="x") == set()
    assert ids(account="twitter/e", operators=["x"]) == {created["twitter"]["id"]}
    assert ids(platform="instagram", state=SanctionState.ACTIVE) == {created["active"]["id"]}


def test_list_sanctions_filters_by_the_kind_in_force_at_the_instant_asked(
    db: Database, meta: str, now: datetime, impose: Impose
) -> None:
    sanction = impose("facebook/a", "suspension", duration="P30D")
    amend_sanction(
        db,
        sanction["id"],
        AmendSanction.parse(
            reason="downgrade from day 10",
            kind="restriction",
            denies=["live"],
            effective_at=now + timedelta(days=10),
            backdated_reason="Test history, entered after the fact.",
        ),
        caller=Caller(ACTOR, now=now),
    )
    shown = list_sanctions(db, SanctionFilter(), at=now).to_json()["items"]
    assert [item["kind"] for item in shown] == ["suspension"]
    listed = list_sanctions(db, SanctionFilter(kind=SanctionKind.SUSPENSION), at=now).to_json()["items"]
    assert [item["id"] for item in listed] == [sanction["id"]]
    assert list_sanctions(db, SanctionFilter(kind=SanctionKind.RESTRICTION), at=now).to_json()["items"] == []
    later = now + timedelta(days=15)
    assert list_sanctions(db, SanctionFilter(kind=SanctionKind.SUSPENSION), at=later).to_json()["items"] == []
    listed = list_sanctions(db, SanctionFilter(kind=SanctionKind.RESTRICTION), at=later).to_json()["items"]
    assert [(item["id"], item["kind"]) for item in listed] == [(sanction["id"], "restriction")]


def test_list_sanctions_filters_by_category(
    db: Database, meta: str, now: datetime, impose: Impose, reason: dict[str, Any]
) -> None:
    scam = impose("facebook/a", "suspension", reason={**reason, "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD"})
    impose("facebook/b", "suspension", reason={**reason, "category": "STATEMENT_CATEGORY_VIOLENCE"})
    page = list_sanctions(db, SanctionFilter(category="STATEMENT_CATEGORY_SCAMS_AND_FRAUD"), at=now).to_json()
    assert [item["id"] for item in page["items"]] == [scam["id"]]


def test_list_sanctions_pages_with_a_cursor(db: Database, meta: str, now: datetime, reason: dict[str, Any]) -> None:
    import_sanctions(
        db,
        [
            ImposeSanction.parse(
                subject=AccountRef("facebook", f"u{i}"), kind="suspension", reason=reason, duration="P1D"
            )
            for i in range(23)
        ],
        caller=Caller(ACTOR, now=now),
    )
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = list_sanctions(db, SanctionFilter(operator="meta"), at=now, limit=5, cursor=cursor).to_json()
        seen.extend(item["id"] for item in page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(page["items"]) == 5
    assert pages == 5
    assert len(seen) == 23 == len(set(seen))
    assert seen == sorted(seen)
    everything = list_sanctions(db, SanctionFilter(), at=now, limit=1000).to_json()["items"]
    assert seen == [item["id"] for item in everything]
    exact = list_sanctions(db, SanctionFilter(), at=now, limit=23).to_json()
    assert exact["next_cursor"] is None  # no empty last page


@pytest.mark.parametrize(("limit", "cursor"), [(0, None), (1001, None), (10, "!!not a cursor!!")])
def test_list_sanctions_refuses_bad_paging(db: Database, now: datetime, limit: int, cursor: str | None) -> None:
    with pytest.raises(ValidationError):
        list_sanctions(db, SanctionFilter(), at=now, limit=limit, cursor=cursor)


# --- concurrency ------------------------------------------------------------------------------------


def race(actions: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    """Run ``actions`` in threads released at the same instant; their outcomes, in order."""
    barrier = threading.Barrier(len(actions))
    results: list[tuple[str, Any]] = [("unfinished", None)] * len(actions)

    def runner(index: int, action: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = ("ok", action())
        except Exception as exc:
            results[index] = (type(exc).__name__, exc)

    threads = [threading.Thread(target=runner, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a writer is stuck"
    return results


@pytest.mark.parametrize("moderators", [2, 4])
def test_concurrent_lifts_have_one_winner(
    db: Database, meta: str, now: datetime, impose: Impose, moderators: int
) -> None:
    for _ in range(3):
        # started an hour ago: lifted now, not cancelled (a lift at its very start would cancel it)
        sanction = impose("facebook/DonaldTrump", "suspension", duration="P2Y", starts_at=now - timedelta(hours=1))
        outcomes = race(
            [
                lambda i=i, s=sanction["id"]: lift_sanction(
                    db, s, LiftSanction.parse(reason=f"moderator {i}"), caller=Caller(f"mod{i}", now=now)
                )
                for i in range(moderators)
            ]
        )
        kinds = sorted(kind for kind, _ in outcomes)
        assert kinds == ["ConflictError"] * (moderators - 1) + ["ok"], outcomes
        assert lifts_of(db, sanction["id"]) == 1
        assert get_sanction(db, sanction["id"], at=now).to_json()["state"] == "lifted"
    assert verify_audit_log(db).ok


def test_concurrent_writers_keep_one_chain(db: Database, meta: str, now: datetime, impose: Impose) -> None:
    before = event_count(db)
    outcomes = race([lambda w=w: [impose(f"facebook/writer{w}-{i}", "warning") for i in range(5)] for w in range(4)])
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    assert event_count(db) == before + 4 * 5 * 2  # an account and a sanction each
    result = verify_audit_log(db)
    assert result.ok
    assert result.events == event_count(db)


def test_a_sanction_amended_while_it_is_lifted_loses_no_update(
    db: Database, meta: str, now: datetime, impose: Impose
) -> None:
    sanction = impose("facebook/DonaldTrump", "suspension", duration="P2Y")
    outcomes = race(
        [
            lambda: lift_sanction(
                db, sanction["id"], LiftSanction.parse(reason="reinstated"), caller=Caller("mod1", now=now)
            ),
            lambda: amend_sanction(
                db,
                sanction["id"],
                AmendSanction.parse(
                    reason="extended",
                    ends_at=now + timedelta(days=1000),
                    effective_at=now,
                    backdated_reason="Test history, entered after the fact.",
                ),
                caller=Caller("mod2", now=now),
            ),
        ]
    )
    view = get_sanction(db, sanction["id"], at=now).to_json()
    lift, amendment = outcomes
    assert lift[0] == "ok"
    # The amendment either came first (then both stand) or found the sanction lifted (409).
    assert amendment[0] in ("ok", "ConflictError"), outcomes
    recorded = [change["type"] for change in view["history"]]
    assert recorded.count("lifted") == 1
    assert recorded.count("amended") == (amendment[0] == "ok")
