"""DSA transparency use cases: the user's statement of reasons, the Transparency Database export
and its submission, the transparency report.

Reads only, except the submitter, which keeps its working state in ``tdb_submissions`` (per
database and puid) and its runs in ``tdb_runs`` (not events: nothing about a sanction changes when
its statement is sent). Where statements go is configuration (``dsa.submit.TdbSettings``), never a
request's choice.
No personal data goes out: requesters' names and e-mails (``appeal_requesters``) are never read,
and no account id or display name is written into a statement, an export or a report.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import groupby, islice
from operator import itemgetter
from typing import Any

import orjson

from reprieve.config import public_url as default_public_url
from reprieve.domain.appeals import complaint_deadline
from reprieve.domain.errors import ConflictError, NotFoundError, ValidationError
from reprieve.domain.periods import Period as Period  # the edges parse it (``period``)
from reprieve.domain.periods import period as period
from reprieve.domain.policy import Policy, policy_of
from reprieve.domain.sanctions import Sanction
from reprieve.domain.time import format_instant, from_micros, parse_instant, to_micros
from reprieve.dsa import statement as sor
from reprieve.dsa import tdb
from reprieve.dsa.report import ReportBuilder
from reprieve.dsa.submit import (
    URL_SETTING,
    BatchResult,
    Client,
    Outcome,
    TdbSettings,
    Transport,
    urllib_transport,
)
from reprieve.dsa.validate import Problem, problems
from reprieve.services import appeal_codes
from reprieve.services.callers import Caller
from reprieve.store import queries
from reprieve.store import transparency as store
from reprieve.store.asof import known_as_of, sanction_as_of
from reprieve.store.connection import Connection
from reprieve.store.db import Database
from reprieve.store.due_process import latest_decision_told_at
from reprieve.store.issued import is_content_decision


def appeal_url(sanction_id: str, public_url: str | None = None) -> str:
    base = (public_url or default_public_url()).rstrip("/")
    return f"{base}/appeal?sanction={sanction_id}"


# --- the statement of reasons --------------------------------------------------------------


def statement_of_reasons(
    db: Database,
    sanction_id: str,
    *,
    language: sor.Lang,
    caller: Caller,
    public_url: str | None = None,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """The statement of reasons of a sanction (DSA art. 17) in ``language``, as it stands at the
    caller's instant (a document, ``dsa.statement``), if the caller sees its operator; ``as_of``:
    from the sanction's changes recorded by then (not found if it was recorded later)."""
    now = caller.instant
    with db.read() as conn:
        sanction = caller.seen(queries.load_sanction(conn, sanction_id), "sanction", sanction_id)
        seen_by = None
        if as_of is not None:
            known = known_as_of(conn, as_of)
            sanction = caller.seen(sanction_as_of(conn, sanction, known), "sanction", sanction_id)
            seen_by = known.seq  # a receipt recorded later does not move the deadline
        code = appeal_codes.code_for(conn, sanction.id)
        context = statement_context(
            db, conn, sanction, now=now, appeal_code=appeal_codes.printed(code), public_url=public_url, known=seen_by
        )
    statement = sor.build_statement(sanction, context, language)
    statement["labels"] = sor.labels_for(language)  # a preview's readers (the console, the CLI) word its headings
    return statement


def statement_context(
    db: Database,
    conn: Connection,
    sanction: Sanction,
    *,
    now: datetime,
    appeal_code: str,
    public_url: str | None,
    decision_seq: int | None = None,
    known: int | None = None,
    policy: Policy | None = None,
) -> sor.Context:
    """What the statement of ``sanction`` needs besides it, at ``now``: its platforms' names and
    the complaint deadline; ``appeal_code`` as printed (empty in an issued statement, which never
    holds one: it is filled in when delivered). ``decision_seq``: a statement issued for that
    decision, whose complaint window runs from its issue (at the least: art. 20(2) counts from the
    day the user receives it, never before); None: a preview, whose deadline runs from the latest
    decision the user was told of; ``known``: the events recorded by then (a past ``as_of``);
    ``policy``: the subject's platform's, if the caller has it parsed already (a batch of violations).
    Once the platforms are cached (``db``), an issued statement's context costs no query."""
    names: dict[str, str] = {}
    for platform_id in (sanction.subject.platform, *sanction.scope):
        platform = db.platform(conn, platform_id)
        if platform is not None:
            names[platform_id] = platform.name
    subject_platform = db.platform(conn, sanction.subject.platform)
    assert subject_platform is not None
    window = (policy or policy_of(subject_platform)).complaint_window
    deadline = None
    if sanction.lifted_at is None or sanction.lifted_at > now:
        try:
            told = now if decision_seq is not None else latest_decision_told_at(conn, sanction, known=known)
            deadline = complaint_deadline(told, window)
        except ValidationError:  # past the last instant there is (a start at 9999-12-31): no date to print
            deadline = None
    return sor.Context(
        platform_names=names,
        complaint_deadline=deadline,
        appeal_url=appeal_url(sanction.id, public_url),
        appeal_code=appeal_code,
        now=now,
        complaint_window=window,
        decision_seq=decision_seq,
    )


# --- the Transparency Database export ------------------------------------------------------


@dataclass(slots=True)
class Exported:
    """One sanction's fate in the export: its statement, or why it has none. Not frozen: a frozen
    class's construction costs three times as much, and the export makes a million of them."""

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
        return {
            "exported": self.exported,
            "left_out_warnings": self.warnings,
            "invalid_count": self.invalid_count,
            "invalid": self.invalid,
        }


def require_operator(db: Database, operator: str | None, caller: Caller | None) -> str:
    """``operator``, or the caller's only one; NotFoundError if the caller does not see it (or
    there is no such operator). caller None: the installation, which sees every operator."""
    operators = caller.operators if caller is not None else None
    if operator is None:
        if operators is None or len(operators) != 1:
            raise ValidationError("name the operator whose statements are wanted", field="operator")
        operator = operators[0]
    elif caller is not None and not caller.sees(operator):
        raise NotFoundError(f"no operator {operator!r}")
    with db.read() as conn:
        if queries.operator_row(conn, operator) is None:
            raise NotFoundError(f"no operator {operator!r}")
    return operator


def export_decisions(db: Database, *, operator: str, within: Period) -> Iterator[Exported]:
    """Every decision of ``operator`` applied within the period, in sanction-id order, with its
    statement: sanctions starting in it, and amendments taking effect in it. A decision that issued
    a statement of reasons is exported from it as issued (``tdb.statements_from_issued``: its
    decision date, application date and end date as the user was told); one that issued none (an
    import, a decision recorded before statements were issued, an erased text) from the sanction's
    columns (``tdb.statements_from_columns``), under the same puid.

    Streams: rows are read in chunks from one read transaction, never all at once.
    """
    start, end = within.start_us, within.end_us
    with db.read() as conn:
        names = store.platform_names(conn, operator)
        yield from _sanction_decisions(conn, names, operator, start, end)
        yield from _content_decisions(conn, names, operator, start, end)


def _sanction_decisions(
    conn: Connection, names: Mapping[str, str], operator: str, start: int, end: int
) -> Iterator[Exported]:
    """The decisions on sanctions of ``operator`` applied within ``[start, end)`` (``export_decisions``)."""
    rows = store.decision_rows_with_issued(conn, operator, start, end)
    of_columns, of_issued = tdb.statements_from_columns, tdb.statements_from_issued
    for sanction_id, group in groupby(rows, key=itemgetter(0)):
        _, platform_id, starts_at, reason, automated, changes, _, document = next(group)
        name = names.get(platform_id, platform_id)
        decisions = of_columns(sanction_id, starts_at, reason, automated, changes, start_us=start, end_us=end)
        if document is not None:
            documents = [document, *(row[7] for row in group)]
            issued = of_issued(sanction_id, documents, start_us=start, end_us=end)
            decisions = [(puid, issued.pop(puid, statement)) for puid, statement in decisions]
            decisions += issued.items()
        for puid, statement in decisions:
            if statement is None:
                yield Exported(sanction_id, puid, name, None, [])
                continue
            found = problems(statement)
            yield Exported(sanction_id, puid, name, None if found else statement, found)


def _content_decisions(
    conn: Connection, names: Mapping[str, str], operator: str, start: int, end: int
) -> Iterator[Exported]:
    """The decisions on content of ``operator`` applied within ``[start, end)``, by id, as
    ``export_decisions`` gives sanctions': from their issued statements, else their columns.
    ``Exported.sanction_id`` holds the content decision's id."""
    items: dict[tuple[str, str, str | None], tdb.ContentItem] = {}
    for row, kept in store.content_decision_rows_with_issued(conn, operator, start, end):
        yield from _content_exported(row, kept, names, start, end, items)


def _content_exported(
    row: Any,
    kept: Sequence[tuple[Any, Any]],
    names: Mapping[str, str],
    start: int,
    end: int,
    items: dict[tuple[str, str, str | None], tdb.ContentItem],
) -> Iterator[Exported]:
    """The statements of one decision on content (a row of ``content_decision_rows_with_issued``)
    applied within ``[start, end)``; ``items``: the items made so far, shared by the calls."""
    decision_id, platform_id, starts_at, kind_other, reason, automated, changes, types, day, language = row[:10]
    name = names.get(platform_id, platform_id)
    issued = tdb.content_statements_from_issued(decision_id, kept, start_us=start, end_us=end) if kept else {}
    if row[10] == row[11] and decision_id in issued:
        # Never amended nor restored (its seqs are the same), and its statement in hand: what
        # the columns would give (its creation, if applied within the period), unread.
        decisions: list[tuple[str, dict[str, Any] | None]] = (
            [(decision_id, issued.pop(decision_id))] if start <= starts_at < end else []
        )
    else:
        key = (types, day, language)
        item = items.get(key)
        if item is None:  # items repeat their types, dates and languages: one of each is made
            if len(items) > 65_536:
                items.clear()
            item = items[key] = tdb.ContentItem(tuple(orjson.loads(types)), day, language)
        columns = tdb.content_statements_from_columns(
            decision_id,
            starts_at,
            kind_other,
            reason,
            automated,
            changes,
            item,
            start_us=start,
            end_us=end,
            in_hand=issued,
        )
        decisions = [(puid, issued.pop(puid, None) or statement) for puid, statement in columns]
    decisions += issued.items()
    for puid, statement in decisions:
        if statement is None:  # in hand, but not applied within the period as issued: none
            continue
        found = problems(statement)
        yield Exported(decision_id, puid, name, None if found else statement, found)


def _content_csv(
    conn: Connection, names: Mapping[str, str], operator: str, start: int, end: int, tally: ExportTally
) -> Iterator[str]:
    """The CSV lines of the decisions on content of ``operator`` applied within ``[start, end)``
    (those of ``_content_decisions``, in the same order), a chunk of decisions per piece of text.

    A decision never amended nor restored whose one statement's export fields are kept is written
    from those fields alone (``tdb.content_csv_line_of_kept``) when its statement is certainly
    valid; one amended or restored, from its statements' kept fields and its changes
    (``tdb.content_csv_lines_of_kept``) when each of its lines is certainly the general path's;
    every other decision (erased, issued before the fields were kept, with a decision made from
    its columns, or with anything the validator might refuse) is read in full and exported as
    ``_content_decisions`` does: its statements made, validated, refused or written."""
    line_of_kept, lines_of_kept, line = tdb.content_csv_line_of_kept, tdb.content_csv_lines_of_kept, tdb.csv_line
    cells: dict[str, str] = {}
    items: dict[tuple[str, str, str | None], tdb.ContentItem] = {}
    for chunk in store.content_export_chunks(conn, operator, start, end):
        lines: list[str | None] = []
        others: list[str] = []
        written_count = 0
        for decision_id, platform_id, unchanged, fields, starts_at, changes, statements in chunk:
            written = None
            if (unchanged and fields is not None) or statements is not None:
                cell = cells.get(platform_id)
                if cell is None:
                    cell = cells[platform_id] = tdb.csv_cell(names.get(platform_id, platform_id))
                if unchanged:
                    written = line_of_kept(decision_id, fields, cell, start_us=start, end_us=end)  # type: ignore[arg-type]
                    written_count += written is not None
                else:  # amended or restored: every statement's line from its kept fields, if certain
                    assert changes is not None and statements is not None
                    found = lines_of_kept(decision_id, starts_at, changes, statements, cell, start_us=start, end_us=end)
                    if found is not None:
                        written, count = found
                        written_count += count
            if written is None:
                others.append(decision_id)
            lines.append(written)
        tally.exported += written_count
        if others:
            full: dict[str, list[str]] = {decision_id: [] for decision_id in others}
            for row, kept in store.content_decisions_with_issued(conn, others):
                exported = _content_exported(row, kept, names, start, end, items)
                full[row[0]] = [
                    line(item.statement, item.platform_name)
                    for item in _tallied(exported, tally)
                    if item.statement is not None
                ]
            others.reverse()
            yield "".join(written if written is not None else "".join(full[others.pop()]) for written in lines)
        else:
            yield "".join(lines)  # type: ignore[arg-type]  # every line written: none is None


def _about(decision_id: str) -> str:
    """The key naming what a statement is about in a report: ``sanction`` or ``content_decision``."""
    return "content_decision" if is_content_decision(decision_id) else "sanction"


def _tallied(items: Iterator[Exported], tally: ExportTally) -> Iterator[Exported]:
    for item in items:
        if item.statement is not None:
            tally.exported += 1
            yield item
        elif item.problems:
            tally.refused(
                {
                    _about(item.sanction_id): item.sanction_id,
                    "puid": item.puid,
                    "problems": [p.to_dict() for p in item.problems],
                }
            )
        else:
            tally.warnings += 1


def export_csv(db: Database, *, operator: str, within: Period, tally: ExportTally | None = None) -> Iterator[str]:
    """The valid statements as CSV in the daily-dump layout, header first, a line at a time."""
    tally = tally if tally is not None else ExportTally()
    yield tdb.csv_header()
    line = tdb.csv_line
    start, end = within.start_us, within.end_us
    with db.read() as conn:
        names = store.platform_names(conn, operator)
        lines = (
            line(item.statement, item.platform_name)
            for item in _tallied(_sanction_decisions(conn, names, operator, start, end), tally)
            if item.statement is not None
        )
        while chunk := "".join(islice(lines, 500)):  # 500 lines per piece of text
            yield chunk
        for chunk in _content_csv(conn, names, operator, start, end, tally):
            if chunk:
                yield chunk


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
    skipped: int = 0  #: recorded before at this endpoint (accepted or rejected): never sent again
    unresolved: int = 0  #: sent without an answer, and the database could not say: left for the next run
    waits: list[float] = field(default_factory=list)
    error: str | None = None  #: a short class (``HTTP 4xx``, ``timeout``, ...) or Reprieve's own words
    status: int | None = None  #: the HTTP status of the answer that stopped the run
    fields: list[str] = field(default_factory=list)  #: a 422 without per-statement errors: the fields it named
    retry_at: datetime | None = None  #: another submission is sending: not before this instant

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "batches": self.batches,
            "accepted": self.accepted,
            "already_there": self.already_there,
            "rejected": self.rejected,
            "invalid_count": self.invalid_count,
            "invalid": self.invalid,
            "skipped": self.skipped,
            "unresolved": self.unresolved,
            "waits": self.waits,
            "error": self.error,
            "status": self.status,
            "fields": self.fields,
        }


class SubmissionInterrupted(Exception):
    """Raised by a run's progress hook or wait: stop here, what is recorded stays recorded."""


def submit_statements(
    db: Database,
    client: Client,
    *,
    operator: str,
    within: Period,
    batch_size: int = tdb.BATCH_LIMIT,
    wall_clock: Any = None,
    on_batch: Callable[[SubmitReport], None] | None = None,
) -> SubmitReport:
    """Send every valid statement of ``operator`` not sent before to ``client.base``, in batches of at most 100.

    The state is kept per endpoint and puid: a statement another endpoint accepted is still sent here.
    No puid is ever sent once the database may hold it. Before each POST its puids are recorded as
    ``sending`` (committed); the answer turns them into ``accepted`` or ``rejected``. A crash
    between the two leaves ``sending`` rows: the next run asks the database (``existing-puid``)
    about each before anything else, and sends again only what it does not hold. ``on_batch`` is
    told after each batch (progress); it may raise ``SubmissionInterrupted``.
    """
    clock = wall_clock or (lambda: datetime.now(UTC))
    endpoint = client.base
    report = SubmitReport(endpoint=endpoint)
    refusal = _reconcile(db, client, operator, report, clock)
    if refusal:
        report.error = refusal
        report.waits = list(client.waits)
        return report
    with db.read() as conn:
        known = store.submitted_puids(conn, endpoint, operator)
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
            report.invalid, report.invalid_count = tally.invalid, tally.invalid_count
            if on_batch is not None:
                on_batch(report)
    except _Stop as stop:
        report.error, report.status, report.fields = stop.error, stop.status, stop.fields
    report.invalid, report.invalid_count = tally.invalid, tally.invalid_count
    report.waits = list(client.waits)
    return report


class _Stop(Exception):
    """The database answered something retrying will not change: stop the run."""

    def __init__(self, error: str, status: int | None = None, fields: list[str] | None = None) -> None:
        super().__init__(error)
        self.error, self.status, self.fields = error, status, fields or []


def _send(
    db: Database,
    client: Client,
    operator: str,
    batch: list[tuple[str, dict[str, Any]]],
    report: SubmitReport,
    clock: Any,
) -> None:
    endpoint = client.base
    while batch:
        puids = [s["puid"] for _, s in batch]
        _record_sending(db, operator, endpoint, batch, clock)
        report.batches += 1
        try:
            result = client.post_batch([s for _, s in batch])
        except SubmissionInterrupted:
            _forget(db, endpoint, puids)  # interrupted while waiting after a 429 or 5xx: nothing was created
            raise
        if result.outcome is Outcome.CREATED:
            _set_state(db, endpoint, puids, "accepted", clock, attempts=result.attempts)
            report.accepted += len(puids)
            return
        if result.outcome is Outcome.NO_ANSWER:
            held = {p: client.exists(p) for p in puids}
            if any(v is None for v in held.values()):
                report.unresolved += sum(1 for v in held.values() if v is None)
                _set_state(db, endpoint, [p for p, v in held.items() if v], "accepted", clock)
                _forget(db, endpoint, [p for p, v in held.items() if v is False])
                raise _Stop(result.message)
            _set_state(db, endpoint, [p for p, v in held.items() if v], "accepted", clock)
            report.accepted += sum(1 for v in held.values() if v)
            batch = [(sid, s) for sid, s in batch if not held[s["puid"]]]
            _forget(db, endpoint, [s["puid"] for _, s in batch])
            continue
        if result.outcome is Outcome.FAILED:
            _forget(db, endpoint, puids)  # nothing was created without a 201
            raise _Stop(result.message, result.status)
        batch = _after_refusal(db, endpoint, batch, result, report, clock)


def _after_refusal(
    db: Database,
    endpoint: str,
    batch: list[tuple[str, dict[str, Any]]],
    result: BatchResult,
    report: SubmitReport,
    clock: Any,
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
            report.rejected.append({_about(sanction_id): sanction_id, "puid": puid, "errors": errors})
            _set_state(db, endpoint, [puid], "rejected", clock, errors=errors)
        else:
            again.append((sanction_id, statement))
    if existing:
        held = [s["puid"] for _, s in batch if s["puid"] in existing]
        _set_state(db, endpoint, held, "accepted", clock)
        report.already_there += len(held)
    if not existing and not rejected:
        _forget(db, endpoint, [s["puid"] for _, s in batch])
        raise _Stop("HTTP 422 without per-statement errors", 422, result.fields)
    _forget(db, endpoint, [s["puid"] for _, s in again])
    return again


#: ``sending`` rows younger than this belong to a submission still running (a POST with its retries
#: lasts minutes at most); older ones were left by a run that died, and are settled by the next.
IN_FLIGHT = timedelta(minutes=15)


def _reconcile(db: Database, client: Client, operator: str, report: SubmitReport, clock: Any) -> str | None:
    """Settle statements left ``sending`` by an interrupted run; why nothing may be sent, if so."""
    endpoint = client.base
    fresh_after = to_micros(clock() - IN_FLIGHT)
    with db.read() as conn:
        sending = store.sending(conn, endpoint, operator)
    in_flight = [updated for _, updated in sending if updated > fresh_after]
    if in_flight:
        report.retry_at = from_micros(max(in_flight)) + IN_FLIGHT
        until = format_instant(report.retry_at)
        return f"another submission is sending statements of {operator}; nothing sent (retry after {until})"
    unresolved = 0
    for puid, _ in sending:
        held = client.exists(puid)
        if held is True:
            _set_state(db, endpoint, [puid], "accepted", clock)
            report.already_there += 1
        elif held is False:
            _forget(db, endpoint, [puid])
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
    recorded = store.record_sending(
        db,
        [
            {
                "puid": s["puid"],
                "operator_id": operator,
                "sanction_id": sid,
                "state": "sending",
                "attempts": 1,
                "errors": None,
                "endpoint": endpoint,
                "updated_at": at,
            }
            for sid, s in batch
        ],
    )
    if not recorded:
        # Another submission recorded one of these puids since this one started: let it finish.
        raise _Stop("another submission is sending these statements; nothing sent")


def _set_state(
    db: Database, endpoint: str, puids: list[str], state: str, clock: Any, *, errors: Any = None, attempts: int = 1
) -> None:
    if not puids:
        return
    store.set_submission_state(
        db,
        endpoint,
        puids,
        state=state,
        now_us=lambda: to_micros(clock()),
        attempts=attempts,
        errors=json.dumps(errors, ensure_ascii=False) if errors is not None else None,
    )


def _forget(db: Database, endpoint: str, puids: list[str]) -> None:
    """Drop ``sending`` rows of statements the database did not create: they may be sent again."""
    if not puids:
        return
    store.forget_sending(db, endpoint, puids)


def submissions(db: Database, *, operator: str, endpoint: str | None) -> dict[str, int]:
    """How many statements of ``operator`` are in each state at ``endpoint`` (None: submission is off)."""
    if endpoint is None:
        return {}
    with db.read() as conn:
        return store.submission_counts(conn, endpoint, operator)


# --- submission runs: requested by the API or the CLI, run by the worker ------------------------


@dataclass(frozen=True, slots=True)
class SubmissionRun:
    """A submission run: which operator's statements, sent where, for which period, how far it got
    (``progress``: batches, accepted, already_there, rejected, skipped, invalid, unresolved, waits)."""

    id: str
    operator: str
    endpoint: str
    within: Period  #: ``from`` and ``to`` on the wire
    batch_size: int
    state: str  #: queued, running, done, failed
    requested_by: str
    requested_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    not_before: datetime | None  #: waiting (a 429 or 5xx, or another run sending): not taken up before
    progress: Mapping[str, Any]
    error: str | None
    status: int | None  #: the HTTP status of the answer that stopped it

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operator": self.operator,
            "endpoint": self.endpoint,
            "from": format_instant(self.within.start),
            "to": format_instant(self.within.end),
            "batch_size": self.batch_size,
            "state": self.state,
            "requested_by": self.requested_by,
            "requested_at": format_instant(self.requested_at),
            "started_at": format_instant(self.started_at),
            "finished_at": format_instant(self.finished_at),
            "not_before": format_instant(self.not_before),
            "progress": dict(self.progress),
            "error": self.error,
            "status": self.status,
        }


@dataclass(frozen=True, slots=True)
class RejectedStatement:
    """A statement the database refused, with its errors (by field)."""

    puid: str
    sanction: str
    errors: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"puid": self.puid, "sanction": self.sanction, "errors": dict(self.errors)}


@dataclass(frozen=True, slots=True)
class SubmissionRunDetail:
    """A run, and the states of its operator's statements at its database (how many in each state,
    and the first ``REJECTED_SHOWN`` rejected ones)."""

    run: SubmissionRun
    statements: Mapping[str, int]
    rejected: tuple[RejectedStatement, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            **self.run.to_json(),
            "statements": dict(self.statements),
            "rejected": [r.to_json() for r in self.rejected],
        }


@dataclass(frozen=True, slots=True)
class SubmissionStatus:
    """An operator's statements at the configured database (endpoint None: submission is off):
    how many in each state, and its latest runs."""

    operator: str
    endpoint: str | None
    states: Mapping[str, int]
    runs: tuple[SubmissionRun, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "operator": self.operator,
            "endpoint": self.endpoint,
            "states": dict(self.states),
            "runs": [run.to_json() for run in self.runs],
        }


#: A run's owner holds it this long after each batch (or after each wait it announces).
RUN_LEASE = timedelta(minutes=5)
ACTIVE = ("queued", "running")
REJECTED_SHOWN = 100
_PROGRESS_SUMMED = ("batches", "accepted", "already_there", "rejected")


def request_submission(
    db: Database,
    settings: TdbSettings,
    *,
    operator: str,
    within: Period,
    batch_size: int = tdb.BATCH_LIMIT,
    caller: Caller,
) -> SubmissionRunDetail:
    """Record a run sending ``operator``'s statements to the configured database; the worker runs it.

    ConflictError when submission is off (``REPRIEVE_TDB_URL`` unset). A run already queued or
    running for the same operator, database and period is answered instead of a second one."""
    endpoint = settings.endpoint()
    if not 1 <= batch_size <= tdb.BATCH_LIMIT:
        raise ValidationError(f"must be 1 to {tdb.BATCH_LIMIT}", field="batch_size")
    start = to_micros(within.start) if within.start else None
    end = to_micros(within.end) if within.end else None
    now = caller.instant
    with store.writing(db) as conn:
        found = store.active_run(conn, operator, endpoint, start, end, ACTIVE)
        if found is None:
            found = db.ids.new_id("tdbr", now)
            at = to_micros(now)
            store.insert_run(
                conn,
                id=found,
                operator_id=operator,
                endpoint=endpoint,
                period_from=start,
                period_to=end,
                batch_size=batch_size,
                state="queued",
                requested_by=caller.actor[:200],
                requested_at=at,
                progress="{}",
                updated_at=at,
            )
    return get_run(db, found)


def get_run(db: Database, run_id: str, *, caller: Caller | None = None) -> SubmissionRunDetail:
    """A run's progress and the states of the operator's statements at its database (the rejected
    ones with the database's errors, the first ``REJECTED_SHOWN``)."""
    with db.read() as conn:
        row = store.run_row(conn, run_id)
        if row is None or (caller is not None and not caller.sees(row.operator_id)):
            raise NotFoundError(f"no submission {run_id!r}")
        states = store.submission_counts(conn, row.endpoint, row.operator_id)
        rejected = tuple(
            RejectedStatement(puid, sanction, json.loads(errors) if errors else {})
            for puid, sanction, errors in store.rejected(conn, row.endpoint, row.operator_id, limit=REJECTED_SHOWN)
        )
    return SubmissionRunDetail(_run_view(row), states, rejected)


def list_runs(db: Database, *, operator: str, limit: int = 10) -> list[SubmissionRun]:
    """The operator's latest runs, newest first."""
    with db.read() as conn:
        rows = store.run_rows(conn, operator, limit=limit)
    return [_run_view(row) for row in rows]


def submission_status(db: Database, *, operator: str, endpoint: str | None) -> SubmissionStatus:
    """How many of ``operator``'s statements are in each state at ``endpoint`` (None: submission
    is off), and its latest runs."""
    return SubmissionStatus(
        operator,
        endpoint,
        submissions(db, operator=operator, endpoint=endpoint),
        tuple(list_runs(db, operator=operator)),
    )


def _instant(us: int | None) -> datetime | None:
    return from_micros(us) if us is not None else None


def _run_view(row: Any) -> SubmissionRun:
    return SubmissionRun(
        id=row.id,
        operator=row.operator_id,
        endpoint=row.endpoint,
        within=Period(_instant(row.period_from), _instant(row.period_to)),
        batch_size=row.batch_size,
        state=row.state,
        requested_by=row.requested_by,
        requested_at=_instant(row.requested_at),
        started_at=_instant(row.started_at),
        finished_at=_instant(row.finished_at),
        not_before=_instant(row.not_before),
        progress=json.loads(row.progress or "{}"),
        error=row.error,
        status=row.status,
    )


def claim_run(db: Database, *, owner: str, now: datetime, run_id: str | None = None) -> str | None:
    """Take a run that is due (queued, or running with an expired lease), oldest first, and lease it
    to ``owner``; its id, or None. A run waits while another run of the same operator and database
    is held by someone else, so that one run at a time sends an operator's statements."""
    return store.claim_run(
        db,
        owner=owner,
        now_us=to_micros(now),
        lease_us=int(RUN_LEASE.total_seconds() * 1_000_000),
        states=ACTIVE,
        run_id=run_id,
    )


def _lease_us(until: datetime) -> int:
    return to_micros(until + RUN_LEASE)


def _update_run(db: Database, run_id: str, holder: str, **values: Any) -> bool:
    """Change a run ``holder`` holds; False when another owner took it over (the lease ran out)."""
    return store.update_run(db, run_id, holder, **values)


def execute_run(
    db: Database,
    settings: TdbSettings,
    run_id: str,
    *,
    owner: str,
    transport: Transport = urllib_transport,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    stop: threading.Event | None = None,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
) -> SubmissionRunDetail:
    """Run ``run_id`` (claimed by ``owner``) until it is done, failed, must wait, or is interrupted
    (``stop`` set, or the lease lost); its view. 429 and 5xx answers are waited out here (the wait
    is announced in the run's ``not_before`` and its lease extended) with ``sleep``, by default
    ``stop.wait`` (a stop cuts the wait short) or ``time.sleep``."""
    with db.read() as conn:
        row = store.existing_run_row(conn, run_id)
        operators = store.operator_ids(conn)
    base = json.loads(row.progress or "{}")

    def merged(report: SubmitReport) -> dict[str, Any]:
        now = report.to_dict()
        summed = {k: int(base.get(k, 0)) + (len(now[k]) if k == "rejected" else now[k]) for k in _PROGRESS_SUMMED}
        return {
            **summed,
            "skipped": report.skipped,
            "invalid": report.invalid_count,
            "unresolved": report.unresolved,
            "waits": len(report.waits) + int(base.get("waits", 0)),
        }

    def finish(
        state: str,
        error: str | None,
        status: int | None = None,
        progress: dict[str, Any] | None = None,
        not_before: datetime | None = None,
    ) -> SubmissionRunDetail:
        at = to_micros(clock())
        done = state in ("done", "failed")
        _update_run(
            db,
            run_id,
            owner,
            state=state,
            error=error,
            status=status,
            owner=None,
            leased_until=None,
            finished_at=at if done else None,
            updated_at=at,
            not_before=to_micros(not_before) if not_before else None,
            **({"progress": json.dumps(progress)} if progress is not None else {}),
        )
        return get_run(db, run_id)

    try:
        endpoint = settings.endpoint()
        if endpoint != row.endpoint:
            raise ConflictError(f"{URL_SETTING} changed since this submission was requested: request a new one")
        token = settings.token_for(row.operator_id, operators)
        client = Client(endpoint, token, transport=transport, clock=clock, timeout=30.0)
    except (ConflictError, ValidationError) as exc:
        return finish("failed", exc.message[:200])

    def waiting(seconds: float) -> None:
        until = clock() + timedelta(seconds=seconds)
        if not _update_run(
            db, run_id, owner, leased_until=_lease_us(until), not_before=to_micros(until), updated_at=to_micros(clock())
        ):
            raise SubmissionInterrupted("lease lost")
        if sleep is None and stop is not None:
            stop.wait(seconds)  # cut short by a stop
        else:
            (sleep or time.sleep)(seconds)
        if stop is not None and stop.is_set():
            raise SubmissionInterrupted("stopping")

    def progressed(report: SubmitReport) -> None:
        progress = merged(report)
        if not _update_run(
            db,
            run_id,
            owner,
            progress=json.dumps(progress),
            leased_until=_lease_us(clock()),
            not_before=None,
            updated_at=to_micros(clock()),
        ):
            raise SubmissionInterrupted("lease lost")
        if on_progress is not None:
            on_progress(progress)
        if stop is not None and stop.is_set():
            raise SubmissionInterrupted("stopping")

    client.sleep = waiting
    within = Period(
        from_micros(row.period_from) if row.period_from is not None else None,
        from_micros(row.period_to) if row.period_to is not None else None,
    )
    report = SubmitReport(endpoint=endpoint)
    try:
        report = submit_statements(
            db,
            client,
            operator=row.operator_id,
            within=within,
            batch_size=row.batch_size,
            wall_clock=clock,
            on_batch=progressed,
        )
    except SubmissionInterrupted:
        # Handed on as it stands: the next worker (or this one, later) goes on from what is recorded.
        _update_run(db, run_id, owner, owner=None, leased_until=None, updated_at=to_micros(clock()))
        return get_run(db, run_id)
    progress = merged(report)
    if report.retry_at is not None:
        return finish("queued", None, progress=progress, not_before=report.retry_at)
    if report.error is not None:
        return finish("failed", report.error[:200], report.status, progress={**progress, "fields": report.fields})
    return finish("done", None, progress=progress)


def run_due(
    db: Database,
    settings: TdbSettings,
    *,
    owner: str,
    transport: Transport = urllib_transport,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    stop: threading.Event | None = None,
) -> SubmissionRunDetail | None:
    """The worker's step: claim the oldest due run and run it; its view, or None when none is due."""
    if settings.url is None:
        return None
    run_id = claim_run(db, owner=owner, now=clock())
    if run_id is None:
        return None
    return execute_run(db, settings, run_id, owner=owner, transport=transport, clock=clock, stop=stop)


# --- the transparency report ---------------------------------------------------------------


def transparency_report(db: Database, *, operator: str, within: Period, caller: Caller) -> dict[str, Any]:
    """DSA art. 15/24 figures of ``operator`` for the period, as of the caller's instant (a document,
    ``reprieve.dsa.report``); NotFoundError if the caller does not see the operator."""
    caller.ensure_sees(operator, "operator", operator)
    now = caller.instant
    start, end = within.start_us, within.end_us
    label = within.label()
    builder = ReportBuilder(operator, label[0], label[1])
    with db.read() as conn:
        # Counted as they stream by; only illegal-content suspensions are kept, for art. 23 below.
        candidates: list[tuple[str, int]] = []
        rows = store.report_sanction_rows(conn, operator, start, end)
        loads = orjson.loads
        for identity, platform, starts_at, category, reason, automated, changes in rows:
            kind = next(c["kind"] for c in loads(changes) if c["type"] == "imposed")
            ground = loads(reason)["ground"]
            auto = loads(automated)
            builder.add_sanction(
                kind=kind,
                category=category,
                ground=ground,
                platform=platform,
                detection=bool(auto.get("detection")),
                decision=auto.get("decision", "not_automated"),
            )
            if kind == "suspension" and ground == "illegal_content":
                candidates.append((identity, starts_at))
        first_warning = store.first_warnings(conn, operator, {identity for identity, _ in candidates})
        builder.art23 = sum(
            1 for identity, starts_at in candidates if identity in first_warning and first_warning[identity] < starts_at
        )
        # The action is taken when the sanction is recorded (its creation event), not at its starts_at,
        # which a ladder backdates to the violation itself.
        for occurred, recorded in store.violations_recorded(conn, operator, start, end):
            builder.add_time_to_action((to_micros(parse_instant(recorded)) - occurred) // 1_000_000)
        for kind in store.appeal_kinds_received(conn, operator, start, end):
            builder.add_appeal_received(kind)
        for state, seconds in store.appeals_decided(conn, operator, start, end):
            builder.add_appeal_decided(state, seconds or 0)
        for outcome in store.dispute_outcomes(conn, operator, start, end):
            builder.add_dispute(outcome)
    return builder.result(format_instant(now) or "")
