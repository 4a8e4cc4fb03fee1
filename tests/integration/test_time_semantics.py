"""Time is computed, not scheduled (PRODUCT.md section 3), checked against a brute-force reference.

Hypothesis draws sequences of creations, amendments, lifts and identity links with effective
instants on a coarse grid (so that ties, backdating and future instants are common), applies
them through the services on a real database, and compares what the services answer at random
instants with ``Reference``: a direct, slow reading of section 3 that shares no code with
the domain. The reference also predicts which commands are refused, and with which error.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, currently_in_test_context, given, note, settings
from hypothesis import strategies as st

from reprieve.domain.errors import ConflictError, ValidationError
from reprieve.domain.filters import SanctionFilter
from reprieve.domain.model import AccountRef, SanctionState
from reprieve.domain.sanctions import UNSET
from reprieve.domain.time import format_instant, parse_instant
from reprieve.services import catalogue, standing
from reprieve.services import sanctions as service
from reprieve.services.callers import Caller
from reprieve.store import eventlog
from reprieve.store.db import Database

ACTOR = "property-test"
REASON = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_VIOLENCE",
    "explanation": "incitement to violence",
    "policy": "violence",
}
GRID_START = datetime(2024, 1, 1, tzinfo=UTC)
GRID = 24  # creations start (and "now" falls) on whole hours 0..GRID after GRID_START

# Three platforms of one operator; the third offers fewer capabilities, so that what a
# restriction denies there is a subset of what it denies elsewhere.
FULL = ("login", "post", "comment", "message", "react", "live", "advertise", "monetize", "appeal")
SMALL = ("login", "post", "appeal")
PLATFORM_CAPABILITIES = (FULL, FULL, SMALL)
# (platform index, account name): "a" has an account on each of the first two platforms.
ACCOUNTS = ((0, "a"), (1, "a"), (0, "b"), (1, "b"), (2, "c"))
KINDS = ("warning", "restriction", "suspension", "termination")
SEVERITY = {"warning": 0, "restriction": 1, "suspension": 2, "termination": 3}
STATUS_OF = {"restriction": "restricted", "suspension": "suspended", "termination": "terminated"}
CAPABILITY_POOL = ("post", "live", "login", "comment", "post", "live", "login", "comment", "appeal")

_namespaces = itertools.count()


#: Where hour 0 falls: GRID_START, or, for an example of the property test after others in the
#: same database, a later day: the log's recording instants never go backwards (PRODUCT.md
#: section 8), so each example's story comes after the last one's; its answers are the same, shifted.
_epoch = [GRID_START]


def hour(k: float) -> datetime:
    return _epoch[0] + timedelta(hours=k)


def next_epoch(db: Database) -> datetime:
    """A day boundary after everything recorded so far: hour 0 of the next example."""
    with db.read() as conn:
        at = eventlog.recorded_at(conn, eventlog.head(conn)[0])
    if at is None:
        return GRID_START
    return max(GRID_START, parse_instant(at).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=2))


# --- the reference: PRODUCT.md section 3, read literally ---------------------------------------


@dataclass
class Term:
    effective: datetime
    order: int  #: recording order; the later one wins a tie
    kind: str
    ends: datetime | None
    denies: frozenset[str]


@dataclass
class RefSanction:
    id: str
    subject: int  #: index into ACCOUNTS
    scope: frozenset[int]  #: platform indices
    starts: datetime
    terms: list[Term]
    lifts: list[datetime] = field(default_factory=list)

    def term_at(self, t: datetime) -> Term | None:
        """The creation or amendment with the greatest effective instant <= t (ties: recorded last)."""
        candidates = [term for term in self.terms if term.effective <= t]
        return max(candidates, key=lambda term: (term.effective, term.order)) if candidates else None

    def active(self, t: datetime) -> bool:
        term = self.term_at(t)
        return (
            term is not None
            and self.starts <= t
            and (term.ends is None or t < term.ends)
            and not any(lift <= t for lift in self.lifts)
        )

    def state(self, t: datetime) -> str:
        if any(lift <= self.starts for lift in self.lifts):
            return "cancelled"  # lifted at or before its start: it never took effect (issue 22)
        if t < self.starts:
            return "scheduled"
        if any(lift <= t for lift in self.lifts):
            return "lifted"
        return "active" if self.active(t) else "expired"

    def instants(self) -> set[datetime]:
        """Every instant at which something about this sanction may change."""
        found = {self.starts, *self.lifts}
        for term in self.terms:
            found.add(term.effective)
            if term.ends is not None:
                found.add(term.ends)
        return found


def denied_on(platform: int, kind: str, denies: frozenset[str]) -> set[str]:
    offered = set(PLATFORM_CAPABILITIES[platform]) - {"appeal"}
    if kind == "warning":
        return set()
    if kind == "restriction":
        return set(denies) & offered
    return offered


def term_is_invalid(
    kind: str, starts: datetime, ends: datetime | None, denies: frozenset[str], scope: frozenset[int]
) -> bool:
    offered = {c for p in scope for c in PLATFORM_CAPABILITIES[p]}
    if ends is not None and ends <= starts:
        return True
    if kind == "termination" and ends is not None:  # a termination is permanent
        return True
    if kind == "restriction":
        return not denies or "appeal" in denies or not denies <= offered
    return bool(denies)  # only a restriction lists what it denies


class Reference:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.sanctions: list[RefSanction] = []
        #: Identity links, each with the instant it takes effect: when it is recorded (PRODUCT.md
        #: section 8: a standing at an instant uses the links in force then).
        self.links: list[tuple[int, int, datetime]] = []
        self.order = 0

    def identity(self, account: int, t: datetime) -> int:
        """The smallest account linked with ``account`` by the links in force at ``t``."""
        group = {account}
        grown = True
        while grown:
            grown = False
            for first, second, at in self.links:
                if at <= t and (first in group) != (second in group):
                    group |= {first, second}
                    grown = True
        return min(group)

    def link(self, first: int, second: int) -> str:
        self.links.append((first, second, self.now))
        return "ok"

    def create(self, op: Create) -> str:
        subject_platform = ACCOUNTS[op.subject][0]
        scope = op.scope if op.scope else frozenset({subject_platform})
        starts, ends = creation_term(op, self.now)
        if subject_platform not in scope or term_is_invalid(op.kind, starts, ends, op.denies, scope):
            return "validation"
        return "ok"

    def record_creation(self, op: Create, sanction_id: str) -> None:
        self.order += 1
        subject_platform = ACCOUNTS[op.subject][0]
        starts, ends = creation_term(op, self.now)
        term = Term(starts, self.order, op.kind, ends, op.denies)
        scope = op.scope or frozenset({subject_platform})
        self.sanctions.append(RefSanction(sanction_id, op.subject, scope, starts, [term]))

    def amend(self, op: Amend) -> str:
        if op.kind is None and op.ends is UNSET and op.denies is None:
            return "validation"  # an amendment must change something
        s = self.sanctions[op.target % len(self.sanctions)]
        sent = effective = effective_instant(s.starts, op.at, self.now)
        if op.at is None:
            effective = max(effective, s.starts)  # one not started yet: amended from its start (issue 22)
        if effective < s.starts:
            return "validation"
        if not s.active(effective):
            return "conflict"
        current = s.term_at(effective)
        assert current is not None
        kind = op.kind or current.kind
        ends: Any = current.ends
        if op.ends is not UNSET:
            ends = amended_ends(op, sent)  # as the command gave it, from the instant it was sent
        elif kind == "termination":
            ends = None  # a termination is permanent unless the amendment says otherwise
        if kind == "restriction":
            denies = op.denies if op.denies is not None else current.denies
        elif op.denies:
            return "validation"
        else:
            denies = frozenset()
        if term_is_invalid(kind, s.starts, ends, denies, s.scope):
            return "validation"
        if ends is not None and ends <= effective:
            return "validation"  # an amendment's ends_at lies after its effective_at
        self.order += 1
        s.terms.append(Term(effective, self.order, kind, ends, denies))
        return "ok"

    def lift(self, op: Lift) -> str:
        s = self.sanctions[op.target % len(self.sanctions)]
        effective = effective_instant(s.starts, op.at, self.now)
        if op.at is None:
            effective = max(effective, s.starts)  # one not started yet is cancelled: lifted from its start
        if effective < s.starts:
            return "validation"
        if not s.active(effective):
            return "conflict"
        self.order += 1
        s.lifts.append(effective)
        return "ok"

    # --- reading --------------------------------------------------------------------------

    def reaching(self, account: int, linked_at: datetime) -> list[RefSanction]:
        """The sanctions reaching ``account`` through the links in force at ``linked_at``."""
        platform = ACCOUNTS[account][0]
        mine = self.identity(account, linked_at)
        return [s for s in self.sanctions if self.identity(s.subject, linked_at) == mine and platform in s.scope]

    def denied_at(self, account: int, t: datetime, linked_at: datetime) -> set[str]:
        platform = ACCOUNTS[account][0]
        denied: set[str] = set()
        for s in self.reaching(account, linked_at):
            if s.active(t):
                term = s.term_at(t)
                assert term is not None
                denied |= denied_on(platform, term.kind, term.denies)
        return denied

    def standing(self, account: int, t: datetime) -> dict[str, Any]:
        reaching = self.reaching(account, t)  # the links in force at t, for every instant after it too
        causes = []  # (severity, id) of the active sanctions that are not warnings
        for s in reaching:
            term = s.term_at(t)
            if s.active(t) and term is not None and term.kind != "warning":
                causes.append((SEVERITY[term.kind], s.id))
        worst = max((severity for severity, _ in causes), default=0)
        status = next((STATUS_OF[k] for k in STATUS_OF if SEVERITY[k] == worst), "good")
        denied = self.denied_at(account, t, t)
        until = None
        if denied:
            later = sorted(i for s in reaching for i in s.instants() if i > t)
            until = next((i for i in later if not self.denied_at(account, i, t)), None)
        # Each sanction imposed directly is a strike from its start until it is lifted (these
        # platforms have no policy, so strikes never expire; see reprieve.domain.strikes).
        strikes = sum(1 for s in reaching if s.starts <= t and not any(lift <= t for lift in s.lifts))
        return {
            "status": status,
            "denies": sorted(denied),
            "until": format_instant(until),
            "causes": causes,
            "strikes": strikes,
        }


# --- commands, as Hypothesis draws them --------------------------------------------------------
# Instants are whole hours: creations start on a grid, amendments and lifts take effect at an
# offset from their sanction's start (negative: backdated before it), and an amendment's end is an
# offset from its own effective instant. ``None`` leaves the instant to the service: now.


@dataclass(frozen=True)
class Create:
    subject: int
    scope: frozenset[int]  #: empty: the default scope (the subject's platform)
    kind: str
    denies: frozenset[str]
    starts: int | None  #: grid hour
    length: int | None  #: hours from starts to ends; None: indefinite


@dataclass(frozen=True)
class Amend:
    target: int
    at: int | None  #: hours after the target's start
    kind: str | None
    ends: object  #: UNSET, None (indefinite) or hours after the amendment's effective instant
    denies: frozenset[str] | None


@dataclass(frozen=True)
class Lift:
    target: int
    at: int | None  #: hours after the target's start


@dataclass(frozen=True)
class Link:
    first: int
    second: int


def effective_instant(starts: datetime, offset: int | None, now: datetime) -> datetime:
    return now if offset is None else starts + timedelta(hours=offset)


def creation_term(command: Create, now: datetime) -> tuple[datetime, datetime | None]:
    starts = hour(command.starts) if command.starts is not None else now
    ends = None if command.length is None else starts + timedelta(hours=command.length)
    return starts, ends


def amended_ends(command: Amend, effective: datetime) -> object:
    if command.ends is UNSET or command.ends is None:
        return command.ends
    return effective + timedelta(hours=command.ends)  # type: ignore[arg-type]


capability_sets = st.frozensets(st.sampled_from(CAPABILITY_POOL), min_size=1, max_size=2)
offsets = st.none() | st.integers(-2, 14)
no_denials = st.just(frozenset[str]())


@st.composite
def creates(draw: st.DrawFn) -> Create:
    kind = draw(st.sampled_from(("warning", "restriction", "restriction", "suspension", "suspension", "termination")))
    subject = draw(st.integers(0, len(ACCOUNTS) - 1))
    scope = draw(st.frozensets(st.integers(0, 2), max_size=3))
    if draw(st.integers(0, 9)):  # mostly a scope that holds the subject's platform
        scope = scope | {ACCOUNTS[subject][0]}
    if kind == "restriction":
        denies = draw(st.one_of(capability_sets, capability_sets, capability_sets, no_denials))
    else:
        denies = draw(st.one_of(no_denials, no_denials, no_denials, no_denials, capability_sets))
    if kind == "termination":
        length = draw(st.one_of(st.none(), st.none(), st.none(), st.integers(1, 8)))
    else:
        length = draw(st.one_of(st.none(), st.integers(1, 16), st.integers(1, 16), st.integers(-1, 0)))
    starts = draw(st.none() | st.integers(0, GRID))
    return Create(subject, scope, kind, denies, starts, length)


@st.composite
def amends(draw: st.DrawFn) -> Amend:
    kind = draw(st.none() | st.none() | st.sampled_from(KINDS))
    denies = draw(capability_sets) if kind == "restriction" and draw(st.integers(0, 3)) else None
    if kind is None and draw(st.integers(0, 5)) == 0:
        denies = draw(capability_sets)  # a change of denials only
    ends = draw(st.one_of(st.just(UNSET), st.none(), st.integers(1, 16), st.integers(1, 16), st.integers(-1, 0)))
    return Amend(draw(st.integers(0, 7)), draw(offsets), kind, ends, denies)


lifts = st.builds(Lift, target=st.integers(0, 7), at=offsets)
links = st.builds(Link, first=st.integers(0, len(ACCOUNTS) - 1), second=st.integers(0, len(ACCOUNTS) - 1))
scripts = st.tuples(
    st.lists(creates(), min_size=1, max_size=4),
    st.lists(st.one_of(creates(), amends(), amends(), lifts, lifts, links), max_size=14),
).map(lambda parts: parts[0] + parts[1])
EPSILON = timedelta(microseconds=1)


# --- the test -----------------------------------------------------------------------------------


class World:
    """One operator with three platforms, fresh for each example, in a shared database."""

    def __init__(self, db: Database, now: datetime) -> None:
        self.db = db
        self.now = now
        n = next(_namespaces)
        self.operator = f"op{n}"
        self.platforms = [f"fb{n}", f"ig{n}", f"sm{n}"]
        catalogue.create_operator(
            db, catalogue.CreateOperator.parse(id=self.operator, name="Operator"), caller=Caller(ACTOR, now=now)
        )
        for platform, capabilities in zip(self.platforms, PLATFORM_CAPABILITIES, strict=True):
            catalogue.create_platform(
                db,
                catalogue.CreatePlatform.parse(
                    id=platform, operator=self.operator, name=platform, capabilities=capabilities
                ),
                caller=Caller(ACTOR, now=now),
            )

    def ref(self, account: int) -> AccountRef:
        platform, name = ACCOUNTS[account]
        return AccountRef(self.platforms[platform], name)

    def event_count(self) -> int:
        """Events in the log, read from the chain head: cheap, and the log is verified at the end."""
        with self.db.read() as conn:
            return eventlog.head(conn)[0]


def run(action: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "ok", action()
    except ValidationError as exc:
        return "validation", exc
    except ConflictError as exc:
        return "conflict", exc


def apply(world: World, ref: Reference, command: object) -> str | None:
    """Run ``command`` through the services; check the reference predicted its outcome."""
    db, now = world.db, world.now
    if isinstance(command, Create):
        expected = ref.create(command)
        starts, ends = creation_term(command, now)
        request = service.ImposeSanction.parse(
            subject=world.ref(command.subject),
            kind=command.kind,
            reason=REASON,
            scope=[world.platforms[p] for p in sorted(command.scope)] or None,
            denies=sorted(command.denies),
            starts_at=starts if command.starts is not None else None,
            ends_at=ends,
            backdated_reason="Test history, entered after the fact.",
        )
        outcome, result = run(lambda: service.impose_sanction(db, request, caller=Caller(ACTOR, now=now)))
        if outcome == "ok":
            ref.record_creation(command, result.id)
    elif isinstance(command, Link):
        expected = ref.link(command.first, command.second)
        refs = [world.ref(command.first), world.ref(command.second)]
        outcome, result = run(
            lambda: catalogue.link_identities(
                db,
                catalogue.LinkIdentities.parse(operator=world.operator, accounts=refs),
                caller=Caller(ACTOR, now=now),
            )
        )
    elif not ref.sanctions:
        return None  # nothing to amend or lift yet
    elif isinstance(command, Amend):
        target = ref.sanctions[command.target % len(ref.sanctions)]
        effective = effective_instant(target.starts, command.at, now)
        ends = amended_ends(command, effective)
        denies = sorted(command.denies) if command.denies is not None else None
        expected = ref.amend(command)
        outcome, result = run(
            lambda: service.amend_sanction(
                db,
                target.id,
                service.AmendSanction.parse(
                    reason="amended",
                    ends_at=ends,
                    kind=command.kind,
                    denies=denies,
                    effective_at=effective if command.at is not None else None,
                    backdated_reason="Test history, entered after the fact.",
                ),
                caller=Caller(ACTOR, now=now),
            )
        )
    else:
        assert isinstance(command, Lift)
        target = ref.sanctions[command.target % len(ref.sanctions)]
        effective = effective_instant(target.starts, command.at, now)
        expected = ref.lift(command)
        outcome, result = run(
            lambda: service.lift_sanction(
                db,
                target.id,
                service.LiftSanction.parse(
                    reason="lifted",
                    effective_at=effective if command.at is not None else None,
                    backdated_reason="Test history, entered after the fact.",
                ),
                caller=Caller(ACTOR, now=now),
            )
        )
    if currently_in_test_context():
        note(f"{command} -> {outcome} {result if outcome != 'ok' else ''}")
    assert outcome == expected, f"{command}: the service says {outcome} ({result}), the reference {expected}"
    return outcome


def compare_at(world: World, ref: Reference, t: datetime) -> None:
    """Standing of every account, state and term of every sanction, and lists by state, at ``t``."""
    for account in range(len(ACCOUNTS)):
        got = standing.get_standing(world.db, world.ref(account), at=t).to_json()
        want = ref.standing(account, t)
        context = f"{world.ref(account)} at {format_instant(t)}: {got}"
        assert got["status"] == want["status"], context
        assert got["denies"] == want["denies"], context
        assert got["until"] == want["until"], context
        assert got["strikes"] == want["strikes"], context
        # The causes are the active sanctions that are not warnings, worst first.
        severity = {sid: sev for sev, sid in want["causes"]}
        assert sorted(got["sanctions"]) == sorted(severity), context
        ranks = [severity[sid] for sid in got["sanctions"]]
        assert ranks == sorted(ranks, reverse=True), context

    checks = [
        standing.Check(world.ref(account), capability)
        for account in range(len(ACCOUNTS))
        for capability in PLATFORM_CAPABILITIES[ACCOUNTS[account][0]][:6]
    ]
    answers = [view.to_json() for view in standing.run_checks(world.db, checks, at=t)]  # as the API gives them
    for check, answer in zip(checks, answers, strict=True):
        account = next(a for a in range(len(ACCOUNTS)) if world.ref(a) == check.ref)
        want = ref.standing(account, t)
        context = f"{check} at {format_instant(t)}: {answer}"
        assert answer["allowed"] == (check.capability not in want["denies"]), context
        assert answer["status"] == want["status"], context
        if not answer["allowed"]:
            assert answer["until"] == want["until"], context
            # One of the sanctions that cause the status; which one is pinned down (to one that
            # denies this capability) by test_a_check_names_a_sanction_that_denies_the_capability.
            assert answer["sanction"] in {sid for _, sid in want["causes"]}, context

    views = service.list_sanctions(world.db, SanctionFilter(operator=world.operator), at=t, limit=1000).to_json()[
        "items"
    ]
    assert [view["id"] for view in views] == sorted(s.id for s in ref.sanctions)
    for view in views:
        s = next(s for s in ref.sanctions if s.id == view["id"])
        term = s.term_at(max(t, s.starts))  # before it starts: the term it will start with
        context = f"{s.id} at {format_instant(t)}: {view}"
        assert view["state"] == s.state(t), context
        assert (view["kind"], view["ends_at"]) == (term.kind, format_instant(term.ends)), context
        assert set(view["denies"]) == set(term.denies), context

    for state in SanctionState:
        page = service.list_sanctions(
            world.db, SanctionFilter(operator=world.operator, state=state), at=t, limit=1000
        ).to_json()
        listed = {item["id"] for item in page["items"]}
        assert listed == {s.id for s in ref.sanctions if s.state(t) == state}, (state, format_instant(t))


def interesting_instants(ref: Reference, now: datetime) -> list[datetime]:
    """Where the answers change, and around: every recorded instant, and now."""
    found = {now, hour(0)}
    for s in ref.sanctions:
        found |= s.instants()
    return sorted(found)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(now_hour=st.integers(0, GRID + 6), script=scripts, data=st.data())
def test_services_agree_with_the_reference(
    db: Database, now_hour: int, script: list[object], data: st.DataObject
) -> None:
    # The database is shared by the examples of one test run (a fresh one for each would cost
    # a migration each); every example works in its own operator, platforms and accounts, and in
    # its own days, after the last example's (``_epoch``).
    _epoch[0] = next_epoch(db)
    try:
        check_example(db, now_hour, script, data)
    finally:
        _epoch[0] = GRID_START


def check_example(db: Database, now_hour: int, script: list[object], data: st.DataObject) -> None:
    now = hour(now_hour)
    world = World(db, now)
    ref = Reference(now)
    for command in script:
        before = world.event_count()
        outcome = apply(world, ref, command)
        after = world.event_count()
        if outcome != "ok":
            assert after == before, f"{command} was refused but recorded {after - before} events"
        elif not isinstance(command, Link):  # linking linked accounts records nothing
            assert after > before, f"{command} was accepted but recorded nothing"
    near = st.builds(
        lambda t, d: t + d,
        st.sampled_from(interesting_instants(ref, now)),
        st.sampled_from([-EPSILON, timedelta(0), EPSILON, timedelta(minutes=30)]),
    )
    anywhere = st.integers(-2, 2 * (GRID + 30)).map(lambda k: hour(k / 2))
    for t in data.draw(st.lists(near | anywhere, min_size=1, max_size=4, unique=True), label="at"):
        compare_at(world, ref, t)


def test_a_refused_command_records_nothing(db: Database, now: datetime) -> None:
    world = World(db, now)
    ref = Reference(now)
    apply(world, ref, Create(0, frozenset({0, 1}), "suspension", frozenset(), 4, 10))
    for command, refusal in (
        (Lift(0, -1), "validation"),  # before it starts
        (Amend(0, -2, None, 12, None), "validation"),  # before it starts
        (Lift(0, 10), "conflict"),  # expired by then
        (Amend(0, 12, None, 1, None), "conflict"),  # expired by then
        (Amend(0, 5, "termination", 20, None), "validation"),  # a termination has no end
        (Amend(0, 6, None, UNSET, None), "validation"),  # changes nothing
        (Amend(0, 6, None, 0, None), "validation"),  # ends when it takes effect
        (Amend(0, 6, "restriction", UNSET, None), "validation"),  # denies nothing
        (Amend(0, 6, None, UNSET, frozenset({"post"})), "validation"),  # a suspension lists nothing
    ):
        before = world.event_count()
        assert apply(world, ref, command) == refusal, command
        assert world.event_count() == before, command
    assert ref.sanctions[0].lifts == []
    assert len(ref.sanctions[0].terms) == 1


def test_each_accepted_change_records_one_event(db: Database, now: datetime) -> None:
    # The catalogue made and the accounts linked at hour 0 (a link takes effect when it is
    # recorded, PRODUCT.md section 8; and nothing is recorded before what is already in the log).
    world = World(db, hour(0))
    ref = Reference(now)
    world.now = ref.now = hour(0)
    apply(world, ref, Link(0, 1))
    world.now = ref.now = now
    # An accepted creation or change of the term records its event and the statement of reasons
    # it issued (issue 23); a lift, its event alone; a refused one, nothing.
    for command, outcome, recorded in (
        (Create(0, frozenset({0, 1}), "suspension", frozenset(), 4, 10), "ok", 2),
        (Amend(0, 1, None, 19, None), "ok", 2),  # from hour 5, ends at hour 24
        (Amend(0, 0, "restriction", UNSET, frozenset({"post"})), "ok", 2),  # at the start: a tie, recorded last
        (Lift(0, 26), "conflict", 0),  # after the extended end
        (Lift(0, 11), "ok", 1),  # an early release at hour 15
    ):
        before = world.event_count()
        assert apply(world, ref, command) == outcome, command
        assert world.event_count() == before + recorded, command
    compare_at(world, ref, hour(4.5))
    compare_at(world, ref, hour(10))
    assert ref.standing(1, hour(4.5))["denies"] == ["post"]  # ig/a, through the link
    assert ref.standing(1, hour(10))["until"] == format_instant(hour(15))


@pytest.mark.parametrize("effective", [0, 3])
def test_backdating_before_the_start_is_refused(db: Database, now: datetime, effective: int) -> None:
    world = World(db, now)
    created = service.impose_sanction(
        db,
        service.ImposeSanction.parse(
            subject=world.ref(0),
            kind="suspension",
            starts_at=hour(4),
            duration="P1D",
            reason=REASON,
            backdated_reason="Test history, entered after the fact.",
        ),
        caller=Caller(ACTOR, now=now),
    ).to_json()
    before = world.event_count()
    with pytest.raises(ValidationError) as caught:
        service.lift_sanction(
            db,
            created["id"],
            service.LiftSanction.parse(
                reason="r", effective_at=hour(effective), backdated_reason="Test history, entered after the fact."
            ),
            caller=Caller(ACTOR, now=now),
        )
    assert caught.value.field == "effective_at"
    with pytest.raises(ValidationError):
        service.amend_sanction(
            db,
            created["id"],
            service.AmendSanction.parse(
                reason="r",
                ends_at=hour(30),
                effective_at=hour(effective),
                backdated_reason="Test history, entered after the fact.",
            ),
            caller=Caller(ACTOR, now=now),
        )
    assert world.event_count() == before
    assert service.get_sanction(db, created["id"], at=hour(10)).to_json()["history"] == created["history"]


def test_a_check_names_a_sanction_that_denies_the_capability(db: Database, now: datetime) -> None:
    world = World(db, now)

    def restrict(capability: str, recorded: datetime) -> str:
        command = service.ImposeSanction.parse(
            subject=world.ref(0),
            kind="restriction",
            denies=[capability],
            starts_at=hour(0),
            duration="P1D",
            reason=REASON,
            backdated_reason="Test history, entered after the fact.",
        )
        return str(service.impose_sanction(db, command, caller=Caller(ACTOR, now=recorded)).to_json()["id"])

    live = restrict("live", now)
    post = restrict("post", now + timedelta(seconds=1))  # ids sort by creation: live's comes first
    [view] = standing.run_checks(db, [standing.Check(world.ref(0), "post")], at=hour(1))
    answer = view.to_json()
    assert (answer["allowed"], answer["status"]) == (False, "restricted")
    assert sorted(standing.get_standing(db, world.ref(0), at=hour(1)).to_json()["sanctions"]) == sorted([live, post])
    assert answer["sanction"] == post
