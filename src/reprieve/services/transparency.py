"""DSA transparency use cases: the user's statement of reasons, the Transparency Database export
and its submission, the transparency report.

Reads only, except ``submit_statements``, which keeps the submitter's working state in
``tdb_submissions`` (not an event: nothing about a sanction changes when its statement is sent).
No personal data goes out: requesters' names and e-mails (``appeal_requesters``) are never read,
and no account id or display name is written into a statement, an export or a report.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Connection, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from reprieve.domain.appeals import complaint_deadline
from reprieve.domain.errors import NotFoundError, ValidationError
from reprieve.domain.time import format_instant, from_micros, parse_instant, to_micros
from reprieve.dsa import statement as sor
from reprieve.dsa import tdb
from reprieve.dsa.report import ReportBuilder
from reprieve.dsa.submit import BatchResult, Client, Outcome
from reprieve.dsa.validate import Problem, problems
from reprieve.services import appeal_codes
from reprieve.services.due_process import policy_of
from reprieve.store import queries, tables
from reprieve.store.db import Database
from reprieve.store.due_process import latest_decision_told_at

S, V, A, D, T = (tables.sanctions.c, tables.violations.c, tables.appeals.c, tables.appeal_disputes.c,
                 tables.tdb_submissions.c)
_END_OF_TIME = 2**62
_STREAM = {"stream_results": True, "yield_per": 2000}


class PublicSettings(BaseSettings):
    """Where users reach this installation: the appeal link of a statement points there."""

    model_config = SettingsConfigDict(env_prefix="REPRIEVE_", extra="ignore")
    public_url: str = "http://127.0.0.1:8000"


def appeal_url(sanction_id: str, public_url: str | None = None) -> str:
    base = (public_url or PublicSettings().public_url).rstrip("/")
    return f"{base}/appeal?sanction={sanction_id}"


# --- the statement of reasons --------------------------------------------------------------


def statement_of_reasons(
    db: Database, sanction_id: str, *, lang: str | None, now: datetime,
    operators: Sequence[str] | None = None, public_url: str | None = None,
) -> dict[str, Any]:
    """The statement of reasons of a sanction (DSA art. 17) in ``lang`` (en or fr)."""
    language = sor.parse_lang(lang)
    with db.read() as conn:
        sanction = queries.load_sanction(conn, sanction_id)
        if sanction is None or (operators is not None and sanction.operator not in operators):
            raise NotFoundError(f"no sanction {sanction_id!r}")
        names: dict[str, str] = {}
        for platform_id in (sanction.subject.platform, *sanction.scope):
            platform = db.platform(conn, platform_id)
            if platform is not None:
                names[platform_id] = platform.name
        subject_platform = db.platform(conn, sanction.subject.platform)
        assert subject_platform is not None
        latest = latest_decision_told_at(conn, sanction)
        code = appeal_codes.code_for(conn, sanction.id)
    deadline = None
    if sanction.lifted_at is None or sanction.lifted_at > now:
        window = policy_of(subject_platform).complaint_window
        deadline = complaint_deadline(latest, window)
    context = sor.Context(
        platform_names=names, complaint_deadline=deadline, appeal_url=appeal_url(sanction.id, public_url),
        appeal_code=appeal_codes.printed(code), now=now,
    )
    return sor.build_statement(sanction, context, language)


# --- the Transparency Database export ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime | None
    end: datetime | None

    @property
    def start_us(self) -> int:
        return to_micros(self.start) if self.start else -_END_OF_TIME

    @property
    def end_us(self) -> int:
        return to_micros(self.end) if self.end else _END_OF_TIME

    def label(self) -> tuple[str, str]:
        return format_instant(self.start) or "", format_instant(self.end) or ""


def period(start: str | datetime | None, end: str | datetime | None, *, required: bool = False) -> Period:
    """``from <= t < to``; dates are read as midnight UTC."""
    if required and (start is None or end is None):
        raise ValidationError("a period needs both from and to", field="from" if start is None else "to")
    begin = parse_instant(start, field="from") if start is not None else None
    finish = parse_instant(end, field="to") if end is not None else None
    if begin is not None and finish is not None and finish <= begin:
        raise ValidationError("must be after from", field="to")
    return Period(begin, finish)


@dataclass(frozen=True, slots=True)
class Exported:
    """One sanction's fate in the export: its statement, or why it has none."""

    sanction_id: str
    puid: str
    platform_name: str
    statement: dict[str, Any] | None  #: None for a warning, or when invalid
    problems: list[Problem]


#: Refused statements kept in a tally (the first ones); the rest are counted, or handed to ``on_invalid``,
#: so that memory stays flat however many there are.
INVALID_KEPT = 1000


@dataclass
class ExportTally:
    exported: int = 0
    warnings: int = 0  #: left out: a warning is no DSA decision
    invalid_count: int = 0  #: refused by the local validator
    invalid: list[dict[str, Any]] = field(default_factory=list)  #: the first INVALID_KEPT of them
    on_invalid: Callable[[dict[str, Any]], None] | None = None  #: told of each, as it comes

    def refused(self, entry: dict[str, Any]) -> None:
        self.invalid_count += 1
        if len(self.invalid) < INVALID_KEPT:
            self.invalid.append(entry)
        if self.on_invalid is not None:
            self.on_invalid(entry)

    def to_dict(self) -> dict[str, Any]:
        return {"exported": self.exported, "left_out_warnings": self.warnings, "invalid_count": self.invalid_count,
                "invalid": self.invalid}


def require_operator(db: Database, operator: str | None, operators: Sequence[str] | None) -> str:
    if operator is None:
        if operators is not None and len(operators) == 1:
            return operators[0]
        raise ValidationError("name the operator whose statements are wanted", field="operator")
    if operators is not None and operator not in operators:
        raise NotFoundError(f"no operator {operator!r}")
    with db.read() as conn:
        if queries.operator_row(conn, operator) is None:
            raise NotFoundError(f"no operator {operator!r}")
    return operator


def export_decisions(db: Database, *, operator: str, within: Period) -> Iterator[Exported]:
    """Every decision of ``operator`` applied within the period, in sanction-id order, with its
    statement: sanctions starting in it, and amendments taking effect in it (``tdb.statements_from_columns``).

    Streams: rows are read in chunks from one read transaction, never all at once.
    """
    start, end = within.start_us, within.end_us
    with db.read() as conn:
        names = dict(conn.execute(
            select(tables.platforms.c.id, tables.platforms.c.name).where(tables.platforms.c.operator_id == operator)
        ).all())
        # Sanctions that started before the period count only if changed since (an amendment may fall in it).
        rows = conn.execution_options(**_STREAM).execute(
            select(S.id, S.subject_platform, S.starts_at, S.reason, S.automated, S.changes)
            .where(S.operator_id == operator, S.starts_at < end,
                   or_(S.starts_at >= start, S.updated_seq != S.created_seq))
            .order_by(S.id)
        )
        of_columns = tdb.statements_from_columns
        for sanction_id, platform_id, starts_at, reason, automated, changes in rows:
            name = names.get(platform_id, platform_id)
            for puid, statement in of_columns(
                sanction_id, starts_at, reason, automated, changes, start_us=start, end_us=end
            ):
                if statement is None:
                    yield Exported(sanction_id, puid, name, None, [])
                    continue
                found = problems(statement)
                yield Exported(sanction_id, puid, name, None if found else statement, found)


def _tallied(items: Iterator[Exported], tally: ExportTally) -> Iterator[Exported]:
    for item in items:
        if item.statement is not None:
            tally.exported += 1
            yield item
        elif item.problems:
            tally.refused({
                "sanction": item.sanction_id, "puid": item.puid,
                "problems": [p.to_dict() for p in item.problems],
            })
        else:
            tally.warnings += 1


def export_csv(db: Database, *, operator: str, within: Period, tally: ExportTally | None = None) -> Iterator[str]:
    """The valid statements as CSV in the daily-dump layout, header first, a line at a time."""
    tally = tally if tally is not None else ExportTally()
    yield tdb.csv_header()
    row = tdb.csv_row
    yield from tdb.csv_lines(
        (
            row(item.statement, item.platform_name)
            for item in _tallied(export_decisions(db, operator=operator, within=within), tally)
            if item.statement is not None
        ),
        per_chunk=500,
    )


def export_json(db: Database, *, operator: str, within: Period) -> Iterator[str]:
    """``{"statements": [...], "exported": n, "left_out_warnings": n, "invalid_count": n, "invalid": [...]}``,
    streamed; ``invalid`` lists the first INVALID_KEPT refusals."""
    tally = ExportTally()
    yield '{"statements":['
    first = True
    for item in _tallied(export_decisions(db, operator=operator, within=within), tally):
        yield ("" if first else ",") + json.dumps(item.statement, ensure_ascii=False, separators=(",", ":"))
        first = False
    yield "]," + json.dumps(tally.to_dict(), ensure_ascii=False)[1:]


# --- the submitter -------------------------------------------------------------------------


@dataclass
class SubmitReport:
    endpoint: str
    batches: int = 0
    accepted: int = 0
    already_there: int = 0  #: found in the database (existing puids, or reconciled after a crash)
    rejected: list[dict[str, Any]] = field(default_factory=list)  #: refused by the database (422)
    invalid: list[dict[str, Any]] = field(default_factory=list)  #: refused by the local validator (the first)
    invalid_count: int = 0
    skipped: int = 0  #: recorded before (accepted or rejected): never sent again
    unresolved: int = 0  #: sent without an answer, and the database could not say: left for the next run
    waits: list[float] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint, "batches": self.batches, "accepted": self.accepted,
            "already_there": self.already_there, "rejected": self.rejected, "invalid_count": self.invalid_count,
            "invalid": self.invalid,
            "skipped": self.skipped, "unresolved": self.unresolved, "waits": self.waits, "error": self.error,
        }


def submit_statements(
    db: Database, client: Client, *, operator: str, within: Period, batch_size: int = tdb.BATCH_LIMIT,
    wall_clock: Any = None,
) -> SubmitReport:
    """Send every valid statement of ``operator`` not sent before, in batches of at most 100.

    No puid is ever sent once the database may hold it. Before each POST its puids are recorded as
    ``sending`` (committed); the answer turns them into ``accepted`` or ``rejected``. A crash
    between the two leaves ``sending`` rows: the next run asks the database (``existing-puid``)
    about each before anything else, and sends again only what it does not hold.
    """
    clock = wall_clock or (lambda: datetime.now(UTC))
    report = SubmitReport(endpoint=client.base)
    refusal = _reconcile(db, client, operator, report, clock)
    if refusal:
        report.error = refusal
        report.waits = list(client.waits)
        return report
    with db.read() as conn:
        known = set(conn.execute(select(T.puid).where(T.operator_id == operator)).scalars())
    tally = ExportTally()

    def unsent() -> Iterator[tuple[str, dict[str, Any]]]:
        for item in _tallied(export_decisions(db, operator=operator, within=within), tally):
            assert item.statement is not None
            if item.statement["puid"] in known:
                report.skipped += 1
            else:
                yield item.sanction_id, item.statement

    try:
        for batch in tdb.batches(unsent(), batch_size):
            _send(db, client, operator, batch, report, clock)
    except _Stop as stop:
        report.error = str(stop)
    report.invalid, report.invalid_count = tally.invalid, tally.invalid_count
    report.waits = list(client.waits)
    return report


class _Stop(Exception):
    """The database answered something retrying will not change: stop the run."""


def _send(
    db: Database, client: Client, operator: str, batch: list[tuple[str, dict[str, Any]]], report: SubmitReport,
    clock: Any,
) -> None:
    while batch:
        puids = [s["puid"] for _, s in batch]
        _record_sending(db, operator, client.base, batch, clock)
        report.batches += 1
        result = client.post_batch([s for _, s in batch])
        if result.outcome is Outcome.CREATED:
            _set_state(db, puids, "accepted", clock, attempts=result.attempts)
            report.accepted += len(puids)
            return
        if result.outcome is Outcome.NO_ANSWER:
            held = {p: client.exists(p) for p in puids}
            if any(v is None for v in held.values()):
                report.unresolved += sum(1 for v in held.values() if v is None)
                _set_state(db, [p for p, v in held.items() if v], "accepted", clock)
                _forget(db, [p for p, v in held.items() if v is False])
                raise _Stop(result.message)
            _set_state(db, [p for p, v in held.items() if v], "accepted", clock)
            report.accepted += sum(1 for v in held.values() if v)
            batch = [(sid, s) for sid, s in batch if not held[s["puid"]]]
            _forget(db, [s["puid"] for _, s in batch])
            continue
        if result.outcome is Outcome.FAILED:
            _forget(db, puids)  # nothing was created without a 201
            raise _Stop(result.message)
        batch = _after_refusal(db, batch, result, report, clock)


def _after_refusal(
    db: Database, batch: list[tuple[str, dict[str, Any]]], result: BatchResult, report: SubmitReport, clock: Any,
) -> list[tuple[str, dict[str, Any]]]:
    """A 422: nothing was created. Statements with errors are rejected; puids the database already
    holds are accepted; the others go again, in a smaller batch."""
    existing = set(result.existing)
    again: list[tuple[str, dict[str, Any]]] = []
    rejected: list[tuple[str, dict[str, Any]]] = []
    for position, (sanction_id, statement) in enumerate(batch):
        puid = statement["puid"]
        if puid in existing:
            continue
        errors = result.errors.get(position)
        if errors is not None:
            rejected.append((sanction_id, statement))
            report.rejected.append({"sanction": sanction_id, "puid": puid, "errors": errors})
            _set_state(db, [puid], "rejected", clock, errors=errors)
        else:
            again.append((sanction_id, statement))
    if existing:
        held = [s["puid"] for _, s in batch if s["puid"] in existing]
        _set_state(db, held, "accepted", clock)
        report.already_there += len(held)
    if not existing and not rejected:
        _forget(db, [s["puid"] for _, s in batch])
        raise _Stop(f"HTTP 422 without per-statement errors: {result.message}")
    _forget(db, [s["puid"] for _, s in again])
    return again


#: ``sending`` rows younger than this belong to a submission still running (a POST with its retries
#: lasts minutes at most); older ones were left by a run that died, and are settled by the next.
IN_FLIGHT = timedelta(minutes=15)


def _reconcile(db: Database, client: Client, operator: str, report: SubmitReport, clock: Any) -> str | None:
    """Settle statements left ``sending`` by an interrupted run; why nothing may be sent, if so."""
    fresh_after = to_micros(clock() - IN_FLIGHT)
    with db.read() as conn:
        sending = conn.execute(
            select(T.puid, T.updated_at).where(T.operator_id == operator, T.state == "sending")
        ).all()
    in_flight = [updated for _, updated in sending if updated > fresh_after]
    if in_flight:
        until = format_instant(from_micros(max(in_flight)) + IN_FLIGHT)
        return f"another submission is sending statements of {operator}; nothing sent (retry after {until})"
    unresolved = 0
    for puid, _ in sending:
        held = client.exists(puid)
        if held is True:
            _set_state(db, [puid], "accepted", clock)
            report.already_there += 1
        elif held is False:
            _forget(db, [puid])
        else:
            unresolved += 1
    report.unresolved += unresolved
    if unresolved:
        return "statements sent earlier without an answer could not be checked: nothing sent"
    return None


def _record_sending(
    db: Database, operator: str, endpoint: str, batch: list[tuple[str, dict[str, Any]]], clock: Any
) -> None:
    at = to_micros(clock())
    try:
        with db.engine.begin() as conn:
            conn.execute(insert(tables.tdb_submissions), [
                {"puid": s["puid"], "operator_id": operator, "sanction_id": sid, "state": "sending", "attempts": 1,
                 "errors": None, "endpoint": endpoint[:500], "updated_at": at}
                for sid, s in batch
            ])
    except IntegrityError:
        # Another submission recorded one of these puids since this one started: let it finish.
        raise _Stop("another submission is sending these statements; nothing sent") from None


def _set_state(
    db: Database, puids: list[str], state: str, clock: Any, *, errors: Any = None, attempts: int = 1
) -> None:
    if not puids:
        return
    with db.engine.begin() as conn:
        for i in range(0, len(puids), 500):
            conn.execute(
                update(tables.tdb_submissions).where(T.puid.in_(puids[i:i + 500])).values(
                    state=state, updated_at=to_micros(clock()), attempts=attempts,
                    errors=json.dumps(errors, ensure_ascii=False) if errors is not None else None,
                )
            )


def _forget(db: Database, puids: list[str]) -> None:
    """Drop ``sending`` rows of statements the database did not create: they may be sent again."""
    if not puids:
        return
    with db.engine.begin() as conn:
        for i in range(0, len(puids), 500):
            conn.execute(delete(tables.tdb_submissions).where(T.puid.in_(puids[i:i + 500]), T.state == "sending"))


def submissions(db: Database, *, operator: str) -> dict[str, int]:
    """How many statements of ``operator`` are in each state."""
    with db.read() as conn:
        return dict(conn.execute(
            select(T.state, func.count()).where(T.operator_id == operator).group_by(T.state)
        ).all())


# --- the transparency report ---------------------------------------------------------------


def transparency_report(db: Database, *, operator: str, within: Period, now: datetime) -> dict[str, Any]:
    """DSA art. 15/24 figures of ``operator`` for the period (see ``reprieve.dsa.report``)."""
    start, end = within.start_us, within.end_us
    label = within.label()
    builder = ReportBuilder(operator, label[0], label[1])
    with db.read() as conn:
        # Counted as they stream by; only illegal-content suspensions are kept, for art. 23 below.
        candidates: list[tuple[str, int]] = []
        rows = conn.execution_options(**_STREAM).execute(
            select(S.identity_id, S.subject_platform, S.starts_at, S.category, S.reason, S.automated, S.changes)
            .where(S.operator_id == operator, S.starts_at >= start, S.starts_at < end)
        )
        loads = orjson.loads
        for identity, platform, starts_at, category, reason, automated, changes in rows:
            kind = next(c["kind"] for c in loads(changes) if c["type"] == "imposed")
            ground = loads(reason)["ground"]
            auto = loads(automated)
            builder.add_sanction(kind=kind, category=category, ground=ground, platform=platform,
                                 detection=bool(auto.get("detection")), decision=auto.get("decision", "not_automated"))
            if kind == "suspension" and ground == "illegal_content":
                candidates.append((identity, starts_at))
        first_warning = _first_warnings(conn, operator, {identity for identity, _ in candidates})
        builder.art23 = sum(
            1 for identity, starts_at in candidates if identity in first_warning and first_warning[identity] < starts_at
        )
        # The action is taken when the sanction is recorded (its creation event), not at its starts_at,
        # which a ladder backdates to the violation itself.
        E = tables.events.c
        for occurred, recorded in conn.execute(
            select(V.occurred_at, E.at)
            .select_from(tables.violations.join(tables.sanctions, S.id == V.sanction_id)
                         .join(tables.events, E.seq == S.created_seq))
            .where(S.operator_id == operator, S.starts_at >= start, S.starts_at < end)
        ):
            builder.add_time_to_action((to_micros(parse_instant(recorded)) - occurred) // 1_000_000)
        for (kind,) in conn.execute(
            select(A.kind).where(A.operator_id == operator, A.received_at >= start, A.received_at < end)
        ):
            builder.add_appeal_received(kind)
        for state, seconds in conn.execute(
            select(A.state, A.handling_seconds).where(
                A.operator_id == operator, A.decided_at >= start, A.decided_at < end, A.state != "open"
            )
        ):
            builder.add_appeal_decided(state, seconds or 0)
        for (outcome,) in conn.execute(
            select(D.outcome).where(D.operator_id == operator, D.submitted_at >= start, D.submitted_at < end)
        ):
            builder.add_dispute(outcome)
    return builder.result(format_instant(now) or "")


def _first_warnings(conn: Connection, operator: str, identities: set[str]) -> dict[str, int]:
    """The start of each identity's first warning (kind as imposed is read from ``sanctions.kind``:
    a warning is never amended into another kind by the ladders)."""
    found: dict[str, int] = {}
    ids = sorted(identities)
    for i in range(0, len(ids), 500):
        for identity, first in conn.execute(
            select(S.identity_id, func.min(S.starts_at))
            .where(S.operator_id == operator, S.kind == "warning", S.identity_id.in_(ids[i:i + 500]))
            .group_by(S.identity_id)
        ):
            found[identity] = first
    return found
