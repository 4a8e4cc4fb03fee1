"""Erasing a person's data (GDPR art. 17) and purging closed cases' (retention), within one operator.

The data lives beside the hash-chained log (``personal_data``, ``appeal_requesters``), which holds
only references to it: an erasure blanks it there, keeps each text's SHA-256 and when and by whom,
rewrites the cached idempotency answers that held it, and records one ``person.erased`` event that
carries no data. The log and the projections are untouched: ``audit verify`` passes and a rebuild
gives the same projections.

An erasure on request also blanks the documents issued to the person (``issued_documents``:
statements of reasons, order information) about the sanctions on their account: the account it
names, or the account of a sanction they appealed as its subject. Their texts go; their SHA-256,
the ``statement.issued`` events and the decision's own record (its grounds) stay, which is what a
defence of a legal claim needs. The retention purge leaves them: it purges closed cases' data.

What a legal obligation keeps (GDPR art. 17(3)(b) and (e)) is kept, and the answer says what, why
and until when: the reply to a decided appeal (its statement of reasons) and the requester's
contact, while the decision can still be contested: the complaint window of the platform's policy
(``appeals.complaint_window``, at least six months, DSA art. 20), counted from when the case closed
(its decision, or its latest dispute's outcome, DSA art. 21). Texts that events recorded before
issue 21 carry in the chain are kept too, until the cut-over moves them out.

An open case is refused (409): decide the appeal (and record the dispute's outcome) first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from reprieve.domain.appeals import DisputeOutcome
from reprieve.domain.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from reprieve.domain.events import NewEvent, PersonErased, RetentionSet
from reprieve.domain.model import AccountRef, Role
from reprieve.domain.notices import notifier_complaint_deadline
from reprieve.domain.policy import MINIMUM_COMPLAINT_WINDOW, policy_of
from reprieve.domain.roles import admitted
from reprieve.domain.time import Duration, format_instant, from_micros, parse_duration, to_micros
from reprieve.services.callers import WORKER_ACTOR, Caller
from reprieve.services.catalogue import require_platform
from reprieve.store import due_process, issued, personal, queries
from reprieve.store import notices as notice_store
from reprieve.store import people as store
from reprieve.store import worker as settings
from reprieve.store.connection import Connection
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

_REFERENCE = re.compile(r"(rqr|ntf)_[0-9A-HJKMNP-TV-Z]{26}")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
#: Who may erase: the operator's admin (and the instance-admin); the command line is trusted.
ERASERS = admitted(Role.ADMIN)
#: The command a histories' cut-over is run with (issue 21, item 2).
CUT_OVER = "reprieve audit cut-over"

WHY_CONTESTABLE = (
    "legal obligation (GDPR art. 17(3)(b), (e)): the decision can still be contested, by a complaint or "
    "before an out-of-court dispute settlement body (DSA arts. 20, 21), within the complaint window"
)
WHY_CHAINED = (
    f"recorded in events before the cut-over: the hash-chained log holds the text; run `{CUT_OVER}` "
    "to move it out, then erase again"
)


class Cause(StrEnum):
    REQUEST = "request"  #: an admin asked (``erase_person``)
    RETENTION = "retention"  #: the worker purged a closed case (``purge_closed_cases``)


@dataclass(frozen=True, slots=True)
class ErasePerson:
    """Whom to erase, within ``operator``: exactly one key, parsed (``parse``)."""

    operator: str
    email: str | None = None
    reference: str | None = None
    account: AccountRef | None = None

    @classmethod
    def parse(
        cls,
        *,
        operator: str,
        email: str | None = None,
        reference: str | None = None,
        account: str | None = None,
    ) -> ErasePerson:
        given = [name for name, value in (("email", email), ("reference", reference), ("account", account)) if value]
        if len(given) != 1:
            raise ValidationError(
                "give exactly one key: email, reference (a requester reference rqr_... or a notifier's ntf_...) "
                "or account "
                f"(platform/account); {'none' if not given else ', '.join(given)} given",
                field="key",
            )
        if not operator:
            raise ValidationError("is required", field="operator")
        if email is not None and (len(email) > 320 or not _EMAIL.match(email.strip())):
            raise ValidationError("is not an e-mail address", field="email")
        if reference is not None and not _REFERENCE.fullmatch(reference):
            raise ValidationError(
                "is not a requester or notifier reference (rqr_ or ntf_ and 26 characters)", field="reference"
            )
        parsed = AccountRef.parse(account) if account is not None else None
        return cls(operator, email.strip() if email else None, reference, parsed)


@dataclass(frozen=True, slots=True)
class Erased:
    """One thing blanked: its kind and reference."""

    what: str
    ref: str

    def to_json(self) -> dict[str, Any]:
        return {"what": self.what, "ref": self.ref}


@dataclass(frozen=True, slots=True)
class Kept:
    """One thing kept: its kind, reference, why, and until when (None: until the cut-over)."""

    what: str
    ref: str
    why: str
    until: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {"what": self.what, "ref": self.ref, "why": self.why, "until": format_instant(self.until)}


@dataclass(frozen=True, slots=True)
class ErasureView:
    """What an erasure blanked and what it kept; ``seq`` is its ``person.erased`` event (None: nothing blanked)."""

    operator: str
    erased: tuple[Erased, ...]
    kept: tuple[Kept, ...]
    seq: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "operator": self.operator,
            "erased": [e.to_json() for e in self.erased],
            "kept": [k.to_json() for k in self.kept],
            "event": self.seq,
        }


def erase_person(db: Database, command: ErasePerson, *, caller: Caller) -> ErasureView:
    """Erase what ``command``'s key names within its operator: 403 but for the operator's admin,
    404 for an operator the caller does not see or a key that names nobody, 409 while a case of
    theirs is open."""
    if caller.role is not None and caller.role not in ERASERS:
        raise ForbiddenError(f"a token with role {caller.role.value!r} may not erase personal data (admin only)")
    operator = command.operator
    caller.ensure_sees(operator, "operator", operator)
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        if queries.operator_row(uow.conn, operator) is None:
            raise NotFoundError(f"no operator {operator!r}")
        requesters: list[dict[str, Any]] = []
        notifiers: list[notice_store.NotifierRow] = []
        accounts: list[str] = []
        if command.reference is not None and command.reference.startswith("ntf_"):
            notifier = notice_store.notifier_of(uow.conn, operator, command.reference)
            if notifier is None:
                raise NotFoundError(f"no notifier {command.reference!r} in operator {operator!r}'s notices")
            notifiers = [notifier]
        elif command.reference is not None:
            found = store.requester_of(uow.conn, operator, command.reference)
            if found is None:
                raise NotFoundError(f"no requester {command.reference!r} in operator {operator!r}'s appeals")
            requesters = [found]
        elif command.email is not None:
            requesters = store.requesters_by_email(uow.conn, operator, command.email)
            notifiers = notice_store.notifiers_by_email(uow.conn, operator, command.email)
            if not requesters and not notifiers:
                raise NotFoundError(
                    f"no requester of operator {operator!r}'s appeals nor notifier of its notices has this "
                    "e-mail: nothing to erase (an erased e-mail is not kept: erase again by reference)"
                )
        else:
            assert command.account is not None
            ref = command.account
            platform = db.platform(uow.conn, ref.platform)
            exists = platform is not None and platform.operator == operator
            if not exists or not store.old_display_name(uow.conn, ref.platform, ref.account)[0]:
                raise NotFoundError(f"no account {str(ref)!r} in operator {operator!r}")
            accounts = [str(ref)]
        return _erase(db, uow, operator, requesters, accounts, cause=Cause.REQUEST, notifiers=notifiers)


def _erase(
    db: Database,
    uow: UnitOfWork,
    operator: str,
    requesters: Sequence[dict[str, Any]],
    accounts: Sequence[str],
    *,
    cause: Cause,
    notifiers: Sequence[notice_store.NotifierRow] = (),
) -> ErasureView:
    """The primitive of both causes, in ``uow``: refuse an open case, blank what no obligation
    keeps, rewrite the cached answers, record the event. A notifier's name, e-mail and texts
    (``notifiers``) are blanked whatever their notice's state: asked for, the erasure is theirs to
    ask (a complaint they filed about its decision is an appeal, kept while open as any); the
    worker's purge waits for the six months to complain (``purge_decided_notices``)."""
    conn = uow.conn
    now = uow.now
    appeals = store.appeals_of(conn, [r["appeal_id"] for r in requesters])
    disputes = _disputes_of(conn, [a["id"] for a in appeals])
    open_cases = sorted(
        {a["id"] for a in appeals if a["state"] == "open"}
        | {d["appeal_id"] for d in disputes if d["outcome"] == DisputeOutcome.PENDING.value}
    )
    if open_cases:
        raise ConflictError(
            f"{_plural(len(open_cases), 'case')} still open: {', '.join(open_cases)}; decide the appeal "
            "(POST /v1/appeals/<id>/decision, or `reprieve appeal decide`) and record any pending dispute's "
            "outcome first, then erase again"
        )
    kept: list[Kept] = []
    kept_refs: set[str] = set()
    kept_contacts: set[str] = set()
    for appeal in appeals:
        closed = max(
            [appeal["decided_at"] or 0, *(d["decided_at"] or 0 for d in disputes if d["appeal_id"] == appeal["id"])]
        )
        window = policy_of(require_platform(db, conn, appeal["platform"])).complaint_window
        until = window.after(from_micros(closed))
        if until > now:
            if appeal["reply_ref"]:
                kept.append(Kept("appeal.reply", appeal["reply_ref"], WHY_CONTESTABLE, until))
                kept_refs.add(appeal["reply_ref"])
            kept.append(Kept("requester.contact", appeal["requester"], WHY_CONTESTABLE, until))
            kept_contacts.add(appeal["requester"])
        # Old events' texts: in the chain itself, where nothing can blank them.
        if appeal["statement"] and not appeal["statement_ref"]:
            kept.append(Kept("appeal.statement", appeal["id"], WHY_CHAINED, None))
        if appeal["reply"] and not appeal["reply_ref"]:
            kept.append(Kept("appeal.reply", appeal["id"], WHY_CHAINED, None))
    for d in disputes:
        for field in ("body", "summary"):
            if d[field] and not d[f"{field}_ref"]:
                kept.append(Kept(f"dispute.{field}", d["id"], WHY_CHAINED, None))
    for account in accounts:
        platform, _, name = account.partition("/")
        if store.old_display_name(conn, platform, name)[1]:
            kept.append(Kept("account.display_name", account, WHY_CHAINED, None))

    texts = store.unerased_texts(
        conn, operator, [r["id"] for r in requesters] + list(accounts) + [n.id for n in notifiers]
    )
    blanked = [t for t in texts if t["id"] not in kept_refs]
    contacts = [r for r in requesters if r["erased_at"] is None and r["id"] not in kept_contacts]
    notifier_contacts = [n for n in notifiers if not n.erased]
    documents = (
        issued.unerased_of_accounts(conn, operator, _holders(appeals, accounts)) if cause is Cause.REQUEST else []
    )
    erased = (
        [Erased(t["kind"], t["id"]) for t in blanked]
        + [Erased("requester.contact", r["id"]) for r in contacts]
        + [Erased("notifier.contact", n.id) for n in notifier_contacts]
        + [Erased(f"issued.{kind}", id_) for id_, kind in documents]
    )
    if not erased:
        return ErasureView(operator, (), tuple(kept))
    now_us = to_micros(now)
    by = uow.actor
    personal.erase_ids(conn, [t["id"] for t in blanked], now_us=now_us, by=by)
    for r in contacts:
        store.erase_requester(conn, r["id"], now_us=now_us, by=by)
    for n in notifier_contacts:
        notice_store.erase_notifier(conn, n.id, now_us=now_us, by=by)
    issued.blank(conn, [id_ for id_, _ in documents], now=now)
    gone = [t["value"] for t in blanked] + [v for r in contacts for v in (r["name"], r["email"])]
    store.scrub_cached_answers(conn, [a["id"] for a in appeals], [v for v in gone if v])
    event = PersonErased(
        operator=operator,
        cause=cause.value,
        requesters=sorted({r["id"] for r in requesters}),
        references=sorted(t["id"] for t in blanked),
        accounts=sorted(accounts),
        kinds=sorted({e.what for e in erased}),
        total=len(erased),
        documents=sorted(id_ for id_, _ in documents),
        notifiers=sorted(n.id for n in notifier_contacts),
    )
    recorded = uow.record([NewEvent.of(event, uow.at, operator)])
    return ErasureView(operator, tuple(erased), tuple(kept), recorded[0].seq)


def _holders(appeals: Sequence[dict[str, Any]], accounts: Sequence[str]) -> list[str]:
    """The accounts whose issued documents (statements of reasons, order information) are the
    person's: an account named by the erasure, and the account of each sanction they appealed as
    its subject (not as a representative: those documents were addressed to someone else)."""
    held = [*accounts, *(f"{a['platform']}/{a['account']}" for a in appeals if a["relation"] == "subject")]
    return sorted(set(held))


def _disputes_of(conn: Connection, appeal_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Every dispute of these appeals, in one query per 500 appeals."""
    return [d for found in due_process.dispute_rows_of(conn, appeal_ids).values() for d in found]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# --- retention --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetentionView:
    """How long after a case closed its personal data is kept: set, or (None) the default."""

    operator: str
    retention: Duration | None
    default: tuple[Duration, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "operator": self.operator,
            "retention": None if self.retention is None else str(self.retention),
            "default": "the longest complaint window of the operator's platforms: "
            + ", ".join(sorted({str(d) for d in self.default})),
        }


def set_retention(db: Database, operator: str, retention: Duration | None, *, caller: Caller) -> RetentionView:
    """Set (None: reset to the default) how long after a case closed its personal data is kept."""
    if caller.role is not None and caller.role not in ERASERS:
        raise ForbiddenError(f"a token with role {caller.role.value!r} may not set the retention (admin only)")
    caller.ensure_sees(operator, "operator", operator)
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        if queries.operator_row(uow.conn, operator) is None:
            raise NotFoundError(f"no operator {operator!r}")
        text = None if retention is None else str(retention)
        settings.set_retention(uow.conn, operator, text, updated_seq=uow.next_seq())
        uow.record([NewEvent.of(RetentionSet(operator=operator, retention=text), uow.at, operator)])
        return RetentionView(operator, retention, _windows(db, uow.conn, operator))


def _windows(db: Database, conn: Connection, operator: str) -> tuple[Duration, ...]:
    """The complaint windows of ``operator``'s platforms (the default retention is the longest)."""
    found = {
        policy_of(require_platform(db, conn, p)).complaint_window for p in queries.list_platform_ids(conn, operator)
    }
    return tuple(sorted(found, key=str)) or (MINIMUM_COMPLAINT_WINDOW,)


def _shortest(durations: Sequence[Duration]) -> timedelta:
    """A lower bound of the shortest of ``durations`` (a month is at least 28 days, a year 365)."""
    return min(timedelta(days=28 * d.months + 365 * d.years) + d.exact for d in durations)


#: Closed cases purged per operator and pass, at most: a backlog is worked off pass by pass.
PURGE_BATCH = 200


def purge_closed_cases(db: Database, *, now: datetime) -> int:
    """Erase, as the worker, the personal data of every closed case (a decided appeal, no dispute
    pending) that closed longer ago than its operator's retention period; how many people. The
    obligations of ``erase_person`` still apply (with the default period they have all run out)."""
    purged = 0
    with db.read() as conn:
        operators = store.operator_ids(conn)
        periods = settings.retentions(conn)
        plans = {}
        for operator in operators:
            chosen = periods.get(operator)
            durations = (parse_duration(chosen),) if chosen else _windows(db, conn, operator)
            closed_by = to_micros(now - _shortest(durations))
            plans[operator] = (
                durations,
                store.closed_unpurged_appeals(conn, operator, closed_by_us=closed_by, limit=PURGE_BATCH),
            )
    caller = Caller(WORKER_ACTOR, now=now)
    for operator, (durations, candidates) in plans.items():
        for candidate in candidates:
            with UnitOfWork(db, actor=caller.actor, now=now) as uow:
                requester = store.requester_of(uow.conn, operator, candidate["requester"])
                if requester is None or requester["erased_at"] is not None:
                    continue
                disputes = _disputes_of(uow.conn, [candidate["id"]])
                if any(d["outcome"] == DisputeOutcome.PENDING.value for d in disputes):
                    continue
                closed = from_micros(max([candidate["decided_at"], *(d["decided_at"] or 0 for d in disputes)]))
                if max(d.after(closed) for d in durations) > now:
                    continue
                if _erase(db, uow, operator, [requester], [], cause=Cause.RETENTION).erased:
                    purged += 1
    return purged


def purge_decided_notices(db: Database, *, now: datetime, limit: int = PURGE_BATCH) -> int:
    """Erase, as the worker, the personal data of the notifiers of notices decided longer ago than
    a notifier may complain (art. 20(1): six months from the decision) and with no complaint open:
    their name, e-mail, explanation, location, law named, reply and disclosure reason (the notice,
    its case and its receipt stay). How many notifiers."""
    # Six months are at least 181 days: a superset, each then judged by its own deadline.
    decided_by = to_micros(now - timedelta(days=181))
    with db.read() as conn:
        candidates = notice_store.purgeable_notifiers(conn, decided_by_us=decided_by, limit=limit)
    purged = 0
    caller = Caller(WORKER_ACTOR, now=now)
    for candidate in candidates:
        with UnitOfWork(db, actor=caller.actor, now=now) as uow:
            # Read again under the write lock: a complaint filed since, or a reopened case, keeps it.
            found = notice_store.purgeable_notifier(uow.conn, candidate.id)
            if found is None:
                continue
            notifier, operator, decided_us = found
            if notifier_complaint_deadline(from_micros(decided_us)) >= now:
                continue
            if _erase(db, uow, operator, [], [], cause=Cause.RETENTION, notifiers=[notifier]).erased:
                purged += 1
    return purged
