"""Both clocks against a brute-force reference (issue 22, PRODUCT.md section 8), on each backend.

A random history (impositions, amendments, lifts, identity links; decisions backdated at random)
is recorded at non-decreasing recording instants with random gaps. Then, for instants ``as_of``
(what was known) and ``at`` (what was in force), the read with ``as_of`` is compared with a
reference built by brute force: a fresh database into which only the history recorded by
``as_of`` is replayed, each step at its own recording instant, without the links not yet in
force at ``at`` (a link takes effect when it is recorded), and asked about ``at`` as it knows it
now. The reference shares no code with the ``as_of`` read path (store/asof.py): it is the present,
rebuilt from the prefix.

Compared: every account's standing (status, what it denies, ``until``, the sanctions in force,
strikes), and every known sanction's state, kind and term at ``at``.

The reference runs on SQLite for both backends (the oracle is the present's read, tested on both
elsewhere). The profile is hypothesis's (tests/conftest.py): a bounded one in CI,
``REPRIEVE_HYPOTHESIS_PROFILE=thorough`` for a larger hunt locally.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from due_process_support import REASON
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from database_templates import BACKENDS, Templates
from reprieve.domain.errors import ConflictError, NotFoundError, ValidationError
from reprieve.domain.model import AccountRef
from reprieve.services import catalogue, sanctions, standing
from reprieve.services.callers import Caller
from reprieve.store.db import Database, open_database

T0 = datetime(2020, 1, 1, tzinfo=UTC)
ACTOR = "test-suite"
ACCOUNTS = (AccountRef("facebook", "alice"), AccountRef("instagram", "alice"), AccountRef("facebook", "bob"))
PAIRS = ((0, 1), (1, 2), (0, 2))
KINDS = ("warning", "restriction", "suspension", "termination")
HOUR = timedelta(hours=1)
#: A decision whose own instant lies further before its recording is backdated (section 8).
BACKDATED = timedelta(hours=24)
EXAMPLES = itertools.count()
_TAKES_REASON = "backdated_reason" in inspect.signature(sanctions.ImposeSanction.parse).parameters

hours_before_or_after = st.integers(min_value=-2400, max_value=400)

impose_step = st.tuples(
    st.just("impose"),
    st.integers(0, len(ACCOUNTS) - 1),
    st.sampled_from(KINDS),
    hours_before_or_after,  # its start, from its recording
    st.one_of(st.none(), st.integers(1, 4000)),  # its duration in hours; None: indefinite
)
amend_step = st.tuples(
    st.just("amend"),
    st.integers(0, 5),  # which sanction, by its order of imposition
    st.integers(-1000, 3000),  # the new end, from the recording
    st.one_of(st.none(), hours_before_or_after),  # effective_at, from the recording; None: default
)
lift_step = st.tuples(st.just("lift"), st.integers(0, 5), st.one_of(st.none(), hours_before_or_after))
link_step = st.tuples(st.just("link"), st.sampled_from(PAIRS))
histories = st.lists(
    st.tuples(st.integers(0, 2000), st.one_of(impose_step, impose_step, amend_step, lift_step, link_step)),
    min_size=1,
    max_size=10,
)


@dataclass(frozen=True)
class Recorded:
    """A step of the history that was recorded, at ``when``."""

    when: datetime
    step: tuple[Any, ...]


@contextmanager
def fresh(backend: str, templates: Templates, directory: Path, name: str) -> Iterator[Database]:
    """A new migrated database holding operator ``op`` with platforms facebook and instagram."""
    if backend == "sqlite":
        urls: Iterator[str] = iter([templates.sqlite_copy(directory / f"{name}.db")])
        copies = None
    else:
        copies = templates.postgres_copy()
        urls = copies
    url = next(urls)
    db = open_database(url)
    try:
        caller = Caller(ACTOR, now=T0)
        catalogue.create_operator(db, catalogue.CreateOperator.parse(id="op", name="Operator"), caller=caller)
        for platform in ("facebook", "instagram"):
            catalogue.create_platform(
                db, catalogue.CreatePlatform.parse(id=platform, operator="op", name=platform.title()), caller=caller
            )
        yield db
    finally:
        db.dispose()
        if copies is not None:
            copies.close()  # drops the copy


def _backdated(own: datetime | None, when: datetime) -> dict[str, str]:
    """The reason a backdated decision gives (section 8), if it is one."""
    if own is None:
        return {}
    if not _TAKES_REASON:
        return {}
    return {"backdated_reason": "entered late from the case file"} if own < when - BACKDATED else {}


def apply(db: Database, when: datetime, step: tuple[Any, ...], ids: list[str]) -> bool:
    """Record ``step`` at ``when``; ``ids``: the sanctions imposed so far, appended to. False if
    the service refused it (a lift of a lifted sanction, an amendment of an ended one...)."""
    caller = Caller(ACTOR, now=when)
    try:
        if step[0] == "impose":
            _, account, kind, start_hours, duration_hours = step
            starts = when + start_hours * HOUR
            ends = starts + duration_hours * HOUR if duration_hours is not None and kind != "termination" else None
            denies = ("post",) if kind == "restriction" else ()
            command = sanctions.ImposeSanction.parse(
                ACCOUNTS[account],
                kind,
                dict(REASON),
                starts_at=starts,
                ends_at=ends,
                denies=denies,
                **_backdated(starts, when),
            )
            ids.append(sanctions.impose_sanction(db, command, caller=caller).id)
        elif step[0] == "amend":
            _, which, end_hours, effective_hours = step
            if which >= len(ids):
                return False
            effective = when + effective_hours * HOUR if effective_hours is not None else None
            command = sanctions.AmendSanction.parse(
                reason="changed",
                ends_at=when + end_hours * HOUR,
                effective_at=effective,
                **_backdated(effective, when),
            )
            sanctions.amend_sanction(db, ids[which], command, caller=caller)
        elif step[0] == "lift":
            _, which, effective_hours = step
            if which >= len(ids):
                return False
            effective = when + effective_hours * HOUR if effective_hours is not None else None
            lift = sanctions.LiftSanction.parse(
                reason="lifted",
                effective_at=effective,
                **_backdated(effective, when),
            )
            sanctions.lift_sanction(db, ids[which], lift, caller=caller)
        else:
            _, (a, b) = step
            command = catalogue.LinkIdentities.parse(operator="op", accounts=[ACCOUNTS[a], ACCOUNTS[b]])
            catalogue.link_identities(db, command, caller=caller)
    except (ValidationError, ConflictError, NotFoundError):
        return False
    return True


def seen(db: Database, ids: list[str], *, at: datetime, as_of: datetime | None) -> dict[str, Any]:
    """What ``db`` answers at ``at`` (as known ``as_of``; None: now), sanctions named by their
    order of imposition (their ids differ between the databases)."""
    order = {sid: f"s{i}" for i, sid in enumerate(ids)}
    found: dict[str, Any] = {}
    for ref in ACCOUNTS:
        answer = standing.get_standing(db, ref, at=at, as_of=as_of).to_json()
        found[str(ref)] = {
            "status": answer["status"],
            "denies": sorted(answer["denies"]),
            "until": answer["until"],
            "sanctions": sorted(order[s] for s in answer["sanctions"]),
            "strikes": answer["strikes"],
        }
    for sid in ids:
        try:
            view = sanctions.get_sanction(db, sid, at=at, as_of=as_of).to_json()
        except NotFoundError:
            continue
        found[order[sid]] = {
            key: view[key] for key in ("state", "kind", "starts_at", "ends_at", "lifted_at", "denies", "subject")
        }
    return found


class References:
    """The brute force of one example: replay what was recorded by ``as_of`` (less the links not
    in force at ``at``) into a fresh database, and read the present at ``at``. The ``at``s that
    replay the same prefix read the same database (a read writes nothing): one replay per prefix,
    where one per (``as_of``, ``at``) cost most of the test's time."""

    def __init__(self, templates: Templates, directory: Path) -> None:
        self._templates = templates
        self._directory = directory
        self._replayed: dict[tuple[Recorded, ...], tuple[Database, list[str]]] = {}
        self._open = ExitStack()

    def __enter__(self) -> References:
        return self

    def __exit__(self, *exc: object) -> None:
        self._open.close()

    def seen(self, history: list[Recorded], *, at: datetime, as_of: datetime) -> dict[str, Any]:
        prefix = tuple(
            item for item in history if not (item.when > as_of or (item.step[0] == "link" and item.when > at))
        )
        if prefix not in self._replayed:
            ids: list[str] = []
            # On SQLite whatever the backend under test: the oracle is the present's read, which the
            # rest of the suite tests on both; a PostgreSQL database per replay would cost a minute a run.
            name = f"ref-{len(self._replayed)}"
            db = self._open.enter_context(fresh("sqlite", self._templates, self._directory, name))
            for item in prefix:
                replayed = apply(db, item.when, item.step, ids)
                assert replayed, f"the prefix's step {item.step} at {item.when} was refused on replay"
            self._replayed[prefix] = (db, ids)
        db, ids = self._replayed[prefix]
        return seen(db, ids, at=at, as_of=None)


@pytest.mark.parametrize("backend", BACKENDS)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=histories, data=st.data())
def test_reads_as_of_agree_with_the_prefix_replayed(
    backend: str, templates: Templates, tmp_path: Path, history: list[tuple[int, tuple[Any, ...]]], data: st.DataObject
) -> None:
    directory = tmp_path / f"example-{next(EXAMPLES)}"  # one per example: tmp_path is the test's
    directory.mkdir()
    recorded: list[Recorded] = []
    ids: list[str] = []
    when = T0 + 3000 * HOUR  # room for backdating before the first step
    with fresh(backend, templates, directory, "main") as db, References(templates, directory) as references:
        for gap, step in history:
            when += gap * HOUR
            if apply(db, when, step, ids):
                recorded.append(Recorded(when, step))
        if not recorded:
            return
        instants = sorted({r.when for r in recorded})
        # as_of: at a recording instant (what it recorded is known), or just before one (it is not).
        candidates = instants + [w - timedelta(seconds=1) for w in instants]
        for as_of in data.draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=3, unique=True)):
            offsets = data.draw(st.lists(st.integers(-3000, 3000), min_size=1, max_size=3, unique=True))
            for at in [as_of] + [as_of + h * HOUR for h in offsets]:
                expected = references.seen(recorded, at=at, as_of=as_of)
                assert seen(db, ids, at=at, as_of=as_of) == expected, (at, as_of, recorded)
