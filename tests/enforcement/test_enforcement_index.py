"""The index answers exactly as the database does, built at once or kept current by the follower."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime

import pytest
from enforcement_history import History
from sqlalchemy import select

from reprieve.domain.checks import MAX_CHECKS, Check
from reprieve.domain.errors import NotFoundError, ReprieveError, ValidationError
from reprieve.domain.model import AccountRef
from reprieve.domain.time import END_OF_TIME, from_micros, to_micros
from reprieve.enforcement import EnforcementIndex, IndexFollower, InstantNotCovered
from reprieve.services.callers import Caller
from reprieve.services.catalogue import LinkIdentities
from reprieve.services.standing import get_standing, run_checks
from reprieve.store import tables
from reprieve.store.db import Database


def instants(db: Database, now: datetime, most: int = 16) -> list[int]:
    """The horizon, every boundary after it where something changes (and the µs before), a few more."""
    horizon = to_micros(now)
    points = {horizon, horizon + 1, horizon + 86_400_000_000 * 3650}
    with db.read() as conn:
        sp, s = tables.sanction_spans.c, tables.sanctions.c
        for start, end in conn.execute(select(sp.active_from, sp.active_until)):
            points.update((start, start - 1, end, end - 1))
        for start, lifted in conn.execute(select(s.starts_at, s.lifted_at)):
            points.update(p for p in (start, lifted) if p is not None)
    later = sorted(p for p in points if horizon < p < END_OF_TIME)
    sample = random.Random(len(later)).sample(later, min(len(later), most - 1))
    return sorted({horizon, *sample})


def assert_same_answers(index: EnforcementIndex, h: History, most: int = 16) -> int:
    """Compare standing and every check for every account (and one unknown) at every instant."""
    compared = 0
    refs = [*sorted(set(h.accounts), key=str), AccountRef("facebook", "nobody")]
    for at_us in instants(h.db, h.now, most):
        at = from_micros(at_us)
        for ref in refs:
            assert index.standing(ref.platform, ref.account, at_us) == get_standing(h.db, ref, at=at).to_json(), (
                ref,
                at,
            )
        checks = [Check(ref, c) for ref in refs for c in h.capabilities[ref.platform]]
        assert index.check_many(checks, at_us) == [v.to_json() for v in run_checks(h.db, checks, at=at)], at
        compared += len(checks)
    return compared


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_built_index_answers_as_the_database(db: Database, history: Callable[[int], History], seed: int) -> None:
    h = history(seed)
    for _ in range(70):
        h.step()
    assert len(h.sanctions) >= 20 and h.changes >= 10
    index = EnforcementIndex.build(db, now=h.now)
    assert assert_same_answers(index, h) > 0


@pytest.mark.parametrize("seed", [4, 5])
def test_a_followed_index_answers_as_the_database(db: Database, history: Callable[[int], History], seed: int) -> None:
    h = history(seed)
    for _ in range(20):
        h.step()
    index = EnforcementIndex.build(db, now=h.now)
    follower = IndexFollower(index, db)
    for round_ in range(3):
        for _ in range(20):
            h.step()
        follower.poll()
        assert follower.lag == 0
        assert assert_same_answers(index, h, most=8) > 0, round_


def test_the_hot_path_gives_the_same_decisions_as_the_checks(db: Database, history: Callable[[int], History]) -> None:
    h = history(6)
    for _ in range(60):
        h.step()
    index = EnforcementIndex.build(db, now=h.now)
    for at_us in instants(db, h.now)[::3]:
        triples = [(r.platform, r.account, c) for r in h.accounts for c in h.capabilities[r.platform]]
        views = index.check_many([Check(AccountRef(p, a), c) for p, a, c in triples], at_us)
        decisions = index.decide_many(triples, at_us)
        for view, (allowed, status, until, sanction) in zip(views, decisions, strict=True):
            assert (view["allowed"], view["status"], view["sanction"]) == (allowed, status, sanction)
            assert view["until"] == (None if until is None else run_until(until))


def run_until(us: int) -> str:
    from reprieve.domain.time import format_instant

    text = format_instant(from_micros(us))
    assert text is not None
    return text


def test_a_linked_account_is_held_by_its_identity_sanctions(
    db: Database, meta: str, impose: Callable[..., dict[str, object]], now: datetime
) -> None:
    from reprieve.services.catalogue import link_identities

    index = EnforcementIndex.build(db, now=now)
    follower = IndexFollower(index, db)
    sanction = impose("facebook/DonaldTrump", "suspension", scope=["facebook", "instagram"], duration="P2Y")
    follower.poll()
    at = to_micros(now)
    assert index.check("instagram", "realDonaldTrump", "post", at)["allowed"] is True
    link_identities(
        db,
        LinkIdentities.parse(
            operator=meta, accounts=[AccountRef("facebook", "DonaldTrump"), AccountRef("instagram", "realDonaldTrump")]
        ),
        caller=Caller("t", now=now),
    )
    follower.poll()
    answer = index.check("instagram", "realDonaldTrump", "post", at)
    assert (answer["allowed"], answer["status"], answer["sanction"]) == (False, "suspended", sanction["id"])
    assert answer["until"] == "2026-06-01T12:00:00Z"


def test_errors_are_the_database_errors(db: Database, meta: str, x_corp: str, now: datetime) -> None:
    index = EnforcementIndex.build(db, now=now)
    at_us = to_micros(now)
    cases = [
        [Check(AccountRef("nowhere", "a"), "post")],
        [Check(AccountRef("facebook", "a"), "teleport")],
        [Check(AccountRef("nowhere", "a"), "Not A Slug")],
        [Check(AccountRef("facebook", "a"), "post"), Check(AccountRef("twitter", "a"), "post")],
        [Check(AccountRef("facebook", "a"), "post")] * (MAX_CHECKS + 1),
    ]
    for checks in cases:
        with pytest.raises(ReprieveError) as from_db:
            run_checks(db, checks, at=now, caller=Caller("t", operators=["meta"]))
        with pytest.raises(type(from_db.value)) as from_index:
            index.check_many(checks, at_us, operators=["meta"])
        assert from_index.value.message == from_db.value.message
    with pytest.raises(NotFoundError, match="twitter"):
        index.standing("twitter", "a", at_us, operators=["meta"])
    with pytest.raises(ValidationError):
        index.check("facebook", "a", "teleport", at_us)


def test_an_instant_before_the_horizon_is_for_the_database(db: Database, meta: str, now: datetime) -> None:
    index = EnforcementIndex.build(db, now=now)
    assert index.covers(to_micros(now)) and not index.covers(to_micros(now) - 1)
    with pytest.raises(InstantNotCovered):
        index.check("facebook", "a", "post", to_micros(now) - 1)
    with pytest.raises(InstantNotCovered):
        index.standing("facebook", "a", to_micros(now) - 1)
