"""Items in the index answer exactly as the database does (issue 24): checks and visibility, for
random histories of content decisions, at many instants and in many countries, built at once or
kept current by the follower, in valid time (``at``) and in record time (``as_of``)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from content_history import VIEWERS, ContentHistory
from enforcement_history import History
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from reprieve.domain.content import ITEM_CAPABILITIES, ContentKind, ContentSpan
from reprieve.domain.errors import NotFoundError, ValidationError
from reprieve.domain.item_checks import ItemCheck, decide_item
from reprieve.domain.time import END_OF_TIME, from_micros, to_micros
from reprieve.enforcement import EnforcementIndex, IndexFollower, InstantNotCovered
from reprieve.enforcement.items import EEA, ItemSpan, content_spans_of, pack_item, unpack_item
from reprieve.services.callers import Caller
from reprieve.services.item_checks import item_visibility, run_item_checks
from reprieve.store import tables
from reprieve.store.db import Database

PLATFORMS = {"facebook": "meta", "instagram": "meta", "twitter": "x"}


def content_history(history: Callable[[int], History], seed: int, sanctions: int = 25) -> ContentHistory:
    """Sanctions on the authors (their status is part of the answer), then an empty content history."""
    h = history(seed)
    for _ in range(sanctions):
        h.step()
    return ContentHistory(h.db, random.Random(seed), h.now, PLATFORMS)


def instants(db: Database, now: datetime, most: int = 14) -> list[int]:
    """The horizon, span boundaries after it (and the µs before each), and a far instant."""
    horizon = to_micros(now)
    points = {horizon, horizon + 1, horizon + 86_400_000_000 * 3650}
    with db.read() as conn:
        cs = tables.content_spans.c
        for start, end in conn.execute(select(cs.active_from, cs.active_until)):
            points.update((start, start - 1, end, end - 1))
    later = sorted(p for p in points if horizon < p < END_OF_TIME)
    sample = random.Random(len(later)).sample(later, min(len(later), most - 1))
    return sorted({horizon, *sample})


def item_checks(h: ContentHistory) -> list[ItemCheck]:
    """Every item (and one never decided), every capability, every kind of viewer; some rows state an
    author (the recorded one, another, or for the unknown item the only one)."""
    rng = random.Random(len(h.items))
    keys = [*sorted(set(h.items)), ("facebook", "never-decided")]
    checks = []
    for platform, item in keys:
        for capability in ITEM_CAPABILITIES:
            for country in VIEWERS:
                stated = rng.choice([None, "user3", h.authors.get((platform, item))])
                checks.append(ItemCheck(platform, item, capability, country, stated))
    return checks


def assert_same_answers(
    index: EnforcementIndex, h: ContentHistory, *, most: int = 14, as_of: datetime | None = None
) -> int:
    compared = 0
    checks = item_checks(h)
    keys = sorted({(c.platform, c.item) for c in checks})
    for at_us in instants(h.db, h.now, most):
        at = from_micros(at_us)
        expected = run_item_checks(h.db, checks, at=at, as_of=as_of)
        assert index.item_check_many(checks, at_us) == expected, at
        for platform, item in keys:
            for country in VIEWERS:
                from_db = item_visibility(h.db, platform, item, at=at, country=country, as_of=as_of)
                assert index.visibility(platform, item, at_us, country) == from_db, (platform, item, country, at)
        compared += len(checks)
    return compared


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_built_index_answers_as_the_database(db: Database, history: Callable[[int], History], seed: int) -> None:
    h = content_history(history, seed)
    for _ in range(60):
        h.step()
    assert len(h.decisions) >= 20 and h.made >= 8
    index = EnforcementIndex.build(db, now=h.now)
    assert index.item_count() == len(set(h.items))
    assert assert_same_answers(index, h) > 0


@pytest.mark.parametrize("seed", [4, 5])
def test_a_followed_index_answers_as_the_database(db: Database, history: Callable[[int], History], seed: int) -> None:
    h = content_history(history, seed)
    for _ in range(10):
        h.step()
    index = EnforcementIndex.build(db, now=h.now)
    follower = IndexFollower(index, db)
    for round_ in range(3):
        for _ in range(20):
            h.step()
        assert follower.poll() > 0
        assert follower.lag == 0
        assert assert_same_answers(index, h, most=6) > 0, round_


def test_record_time_the_database_as_of_answers_as_the_index_built_then(
    db: Database, history: Callable[[int], History]
) -> None:
    """``as_of`` (record time) from the database equals the index as it was built at that point."""
    h = content_history(history, 6)
    snapshots: list[tuple[datetime, EnforcementIndex]] = []
    for round_ in range(1, 4):
        h.recorded_at = h.now + timedelta(hours=round_)
        for _ in range(20):
            h.step()
        snapshots.append((h.recorded_at, EnforcementIndex.build(db, now=h.now)))
    for as_of, index in snapshots:
        assert assert_same_answers(index, h, most=6, as_of=as_of) > 0, as_of


def test_the_fast_path_answers_as_the_rule(db: Database, history: Callable[[int], History]) -> None:
    """The index's hot path (one span, read in place) against ``domain.item_checks.decide_item``."""
    h = content_history(history, 7, sanctions=0)
    for _ in range(50):
        h.step()
    index = EnforcementIndex.build(db, now=h.now)
    checks = item_checks(h)
    for at_us in instants(db, h.now, 8):
        answers = index.decide_items([(c.platform, c.item, c.capability, c.country, c.account) for c in checks], at_us)
        for check, (decided, author, _) in zip(checks, answers, strict=True):
            packed = index.slots[check.platform].items.entries.get(check.item)
            spans = content_spans_of(unpack_item(packed)[0]) if packed else []
            assert decided == decide_item(spans, at_us, check.country, check.capability), check
            assert author == (unpack_item(packed)[1] if packed else check.account)


def test_bad_rows_are_refused_in_place_as_the_database_refuses_them(
    db: Database, history: Callable[[int], History]
) -> None:
    h = content_history(history, 8, sanctions=0)
    for _ in range(30):
        h.step()
    index = EnforcementIndex.build(db, now=h.now)
    platform, item = next(key for key in h.items if key[0] == "facebook")
    checks = [
        ItemCheck("nowhere", item, "view"),
        ItemCheck(platform, item, "post"),
        ItemCheck(platform, item, "view", "fr"),
        ItemCheck(platform, item, "view", "FRA"),
        ItemCheck("twitter", item, "view"),  # another operator's, for a caller of meta
        ItemCheck(platform, item, "view", "US"),
    ]
    refused: list[int] = []
    from_index = index.item_check_many(checks, to_micros(h.now), operators=["meta"], refused=refused)
    from_db = run_item_checks(db, checks, at=h.now, caller=Caller("t", operators=["meta"]), refused=[])
    assert from_index == from_db
    assert refused == [0, 1, 2, 3, 4]
    assert [row["error"].error for row in from_index[:5]] == [NotFoundError, *[ValidationError] * 3, NotFoundError]
    assert from_index[5]["country"] == "US" and "allowed" in from_index[5]
    with pytest.raises(NotFoundError):
        index.item_check_many([ItemCheck("nowhere", item, "view")], to_micros(h.now))
    with pytest.raises(ValidationError):
        index.item_check_many([ItemCheck(platform, item, "teleport")], to_micros(h.now))
    with pytest.raises(InstantNotCovered):
        index.visibility(platform, item, to_micros(h.now) - 1, None)


_KINDS = st.sampled_from(list(ContentKind))
_SCOPES = st.lists(st.sampled_from(EEA), max_size=4, unique=True).map(lambda c: tuple(sorted(c)))


@settings(max_examples=300, deadline=None)
@given(
    spans=st.lists(
        st.tuples(st.integers(0, 40), st.integers(1, 40), _KINDS, _SCOPES, st.integers(1, 5)), min_size=1, max_size=4
    ),
    t=st.integers(0, 90),
    country=st.sampled_from([None, "FR", "DE", "US", "AT"]),
    capability=st.sampled_from(ITEM_CAPABILITIES),
    author=st.text(min_size=1, max_size=30).filter(lambda s: "\x00" not in s),
)
def test_packed_entries_answer_as_the_rule(
    spans: list[tuple[int, int, ContentKind, tuple[str, ...], int]],
    t: int,
    country: str | None,
    capability: str,
    author: str,
) -> None:
    """Packed, unpacked and read in place: the same spans, the same answers, whatever they are."""
    from reprieve.domain.model import Platform, PlatformKind
    from reprieve.enforcement.items import COUNTRY_BIT, KIND_CODE

    domain = [
        ContentSpan(f"cd_{d}", s, s + n if n < 40 else END_OF_TIME, kind, scope) for s, n, kind, scope, d in spans
    ]
    packed_spans = [
        ItemSpan(s.start, s.end, KIND_CODE[s.kind], sum(COUNTRY_BIT[c] for c in s.countries), s.decision_id)
        for s in sorted(domain, key=lambda s: (s.start, s.decision_id))
    ]
    packed = pack_item(author, packed_spans)
    back, name = unpack_item(packed)
    assert name == author and back == packed_spans
    index = EnforcementIndex(horizon=0, seq=0, platforms=[Platform("p", "o", "P", PlatformKind.OTHER)])
    index.slots["p"].items.put("i", packed)
    # Several decisions of one id overlapping is not a history the domain makes: one id, one span.
    if len({s.decision_id for s in domain}) == len(domain):
        [(decided, found, status)] = index.decide_items([("p", "i", capability, country, None)], t)
        assert decided == decide_item(content_spans_of(back), t, country, capability)
        assert (found, status) == (author, "good")
