"""Notices (DSA art. 16): receive one (from a platform on a user's behalf, or the public form),
record its receipt (art. 16(4)), gather it into the case of its subject, read notices and cases.

The notifier's name and e-mail go to ``notice_notifiers``, and the explanation, the location and
the law named to ``personal_data``, in the same transaction as the ``notice.received`` event,
which carries only references to them (and ids, codes and flags): they are erasable
(``services.people``). The name and e-mail are shown to the operator's moderators and admins in a
read of one notice or one case (the e-mail's reading is recorded in the access log), never in a
list, an intake's answer, an event or a webhook.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from reprieve.domain.appeals import Channel
from reprieve.domain.errors import ConflictError, NotFoundError, ReprieveError, ValidationError
from reprieve.domain.events import CaseDecided, CaseOpened, NewEvent, NoticeDecided, NoticeReceived
from reprieve.domain.model import Platform, ensure_text, parse_enum
from reprieve.domain.notices import (
    DISCLOSURE_REASON_MAX,
    EXPLANATION_MAX,
    RATIONALE_MAX,
    REPLY_MAX,
    About,
    AboutKind,
    CaseState,
    Language,
    NoticeAction,
    NoticeState,
    Notifier,
    NotifierKind,
    Referral,
    ensure_bona_fide,
    ensure_identified,
    notifier_complaint_deadline,
    parse_legal_ground,
    parse_location,
    receipt_text,
    reply_text,
)
from reprieve.domain.personal import PREFIX as PERSONAL
from reprieve.domain.reason import CATEGORIES, Reason, Source
from reprieve.domain.text import trim
from reprieve.domain.time import format_instant, from_micros, parse_instant, to_micros
from reprieve.services import access_log
from reprieve.services.callers import Caller
from reprieve.services.catalogue import require_platform
from reprieve.services.committing import ALONE, Answer, Committer
from reprieve.services.content import DecideContent, decide_within
from reprieve.services.sanctions import ImposeSanction, impose_decided_within
from reprieve.services.viewing import Page
from reprieve.store import content as content_store
from reprieve.store import keys, personal, queries
from reprieve.store import notices as store
from reprieve.store.asof import known_as_of
from reprieve.store.connection import Connection
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

#: The channels whose notices are dated by when they arrived, which may be before they are entered.
DATED_BY_ARRIVAL = frozenset({Channel.LETTER, Channel.EMAIL})
#: How far before its recording a notice of another channel may still say it was received.
CLOCK_SKEW = timedelta(minutes=5)
#: The personal-data kinds of a notice (their subject: the notifier's reference).
EXPLANATION, LOCATION, LEGAL_GROUND = "notice.explanation", "notice.location", "notice.legal_ground"


# --- how a notice looks ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NotifierView:
    """Who notified: their kind, and (for the operator's moderators, in a read of one) name and e-mail."""

    kind: NotifierKind
    name: str | None = None
    email: str | None = None
    erased: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "name": self.name, "email": self.email}


@dataclass(frozen=True, slots=True)
class ReceiptView:
    """The receipt recorded for the notifier (art. 16(4)); ``code`` looks the notice up on the public form."""

    id: str
    language: Language
    text: str
    code: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "language": self.language.value, "text": self.text, "status_code": self.code}


@dataclass(frozen=True, slots=True)
class ReplyView:
    """The reply recorded for a notifier (art. 16(5)): the decision, whether automated means were
    used, the redress open to them, in English and in French (``texts``), with the moderator's own
    words about their allegation (``text``; None once erased). Delivered by messages later."""

    action: NoticeAction
    content_decision: str | None
    sanction: str | None
    automated: bool
    referred: bool
    decided_at: datetime
    complaint_until: datetime
    text: str | None
    texts: Mapping[Language, str]
    erased: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "content_decision": self.content_decision,
            "sanction": self.sanction,
            "automated": self.automated,
            "decided_at": format_instant(self.decided_at),
            "complaint_until": format_instant(self.complaint_until),
            "text": self.text,
            "texts": {lang.value: t for lang, t in self.texts.items()},
        }


@dataclass(frozen=True, slots=True)
class CaseDecisionView:
    """How a case was decided: the action, the decision, automation, a referral (art. 18), the rationale."""

    action: NoticeAction
    content_decision: str | None
    sanction: str | None
    automated: bool
    referral: Referral | None
    rationale: str | None
    decided_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "content_decision": self.content_decision,
            "sanction": self.sanction,
            "automated": self.automated,
            "referral": self.referral.to_json() if self.referral else None,
            "rationale": self.rationale,
            "decided_at": format_instant(self.decided_at),
        }


@dataclass(frozen=True, slots=True)
class NoticeView:
    """A notice as it stands: its subject, its allegation, its case, its receipt; what the
    notifier wrote (None once erased: the ``*_erased`` flags say so)."""

    id: str
    operator: str
    platform: str
    case: str
    state: NoticeState
    about: About
    category: str
    illegal: bool
    channel: Channel
    source: str
    received_at: datetime
    receipt: ReceiptView
    notifier: NotifierView
    explanation: str | None
    location: str | None
    legal_ground: str | None
    explanation_erased: bool = False
    location_erased: bool = False
    legal_ground_erased: bool = False
    decided_at: datetime | None = None
    reply: ReplyView | None = None
    #: Whether the notifier's identity is disclosed to the affected user (art. 17(3)(b)), and why.
    disclosed: bool | None = None
    disclosure_reason: str | None = None

    def without_contact(self) -> NoticeView:
        """The same notice without the notifier's name and e-mail (personal data)."""
        return replace(self, notifier=replace(self.notifier, name=None, email=None))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operator": self.operator,
            "platform": self.platform,
            "case": self.case,
            "state": self.state.value,
            "about": self.about.to_json(),
            "category": self.category,
            "illegal": self.illegal,
            "legal_ground": self.legal_ground,
            "location": self.location,
            "explanation": self.explanation,
            "notifier": self.notifier.to_json(),
            "channel": self.channel.value,
            "source": self.source,
            "received_at": format_instant(self.received_at),
            "receipt": self.receipt.to_json(),
            "decided_at": format_instant(self.decided_at),
            "reply": self.reply.to_json() if self.reply else None,
            "disclosed": self.disclosed,
            "disclosure_reason": self.disclosure_reason,
        }

    def intake_json(self) -> dict[str, Any]:
        """The answer to the intake: the receipt and what it is about, nothing the notifier wrote
        (the answer is kept for retries; what is personal stays where it can be erased)."""
        return {
            "id": self.id,
            "case": self.case,
            "state": self.state.value,
            "operator": self.operator,
            "platform": self.platform,
            "about": self.about.to_json(),
            "category": self.category,
            "illegal": self.illegal,
            "channel": self.channel.value,
            "received_at": format_instant(self.received_at),
            "receipt": self.receipt.to_json(),
        }


@dataclass(frozen=True, slots=True)
class CaseView:
    """A case: the notices about one item or account open at the same time, oldest first, a
    page of them at a time (``count`` says how many it has)."""

    id: str
    operator: str
    platform: str
    about: About
    state: CaseState
    opened_at: datetime
    count: int
    notices: tuple[NoticeView, ...]
    #: The cursor of the case's next page of notices; None: this page is its last.
    next_cursor: str | None = None
    decision: CaseDecisionView | None = None

    def _head(self) -> dict[str, Any]:
        """What both answers say of the case itself."""
        return {
            "id": self.id,
            "operator": self.operator,
            "platform": self.platform,
            "about": self.about.to_json(),
            "state": self.state.value,
            "opened_at": format_instant(self.opened_at),
            "count": self.count,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            **self._head(),
            "notices": [n.to_json() for n in self.notices],
            "next_cursor": self.next_cursor,
            "decision": self.decision.to_json() if self.decision else None,
        }

    def decided_json(self) -> dict[str, Any]:
        """The answer to a decision: what was decided, by ids, codes and flags; nothing anyone wrote
        (the answer is kept for retries; the rationale, the replies and what the notifiers wrote
        stay where they can be erased: ``GET /v1/cases/{id}`` reads them)."""
        decision = self.decision.to_json() if self.decision else None
        if decision is not None:
            decision.pop("rationale")
        return {
            **self._head(),
            "decision": decision,
            "notices": [
                {
                    "id": n.id,
                    "state": n.state.value,
                    "decided_at": format_instant(n.decided_at),
                    "disclosed": n.disclosed,
                    "complaint_until": format_instant(n.reply.complaint_until) if n.reply else None,
                }
                for n in self.notices
            ],
        }


@dataclass(frozen=True, slots=True)
class NoticeStatus:
    """What the public form's lookup shows: the state, when it was received, and once decided the
    reply recorded for the notifier; nothing else."""

    id: str
    state: NoticeState
    received_at: datetime
    reply: ReplyView | None = None


# --- the command -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReceiveNotice:
    """A notice to receive, parsed (``parse``): every art. 16(2) element checked."""

    platform: str
    about: About
    location: str
    explanation: str
    category: str
    illegal: bool
    legal_ground: str | None
    notifier: Notifier
    channel: Channel
    received_at: datetime | None = None
    language: Language = Language.EN

    @classmethod
    def parse(
        cls,
        *,
        platform: str,
        about: object,
        location: object,
        explanation: object,
        category: object,
        illegal: object,
        notifier: object,
        bona_fide: object,
        channel: object,
        legal_ground: object = None,
        received_at: str | datetime | None = None,
        language: str | Language = Language.EN,
    ) -> ReceiveNotice:
        """The command from what an edge was given, parsed once: ValidationError naming the field."""
        if not isinstance(platform, str) or not platform:
            raise ValidationError("is required", field="platform")
        subject = About.parse(about)
        where = parse_location(location)
        if not isinstance(explanation, str):
            raise ValidationError("is required: why the content is illegal or breaks the terms", field="explanation")
        why = ensure_text(explanation, field="explanation", max_length=EXPLANATION_MAX)
        if not isinstance(category, str) or category not in CATEGORIES:
            raise ValidationError(
                "must be a STATEMENT_CATEGORY_* value (STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE when none fits)",
                field="category",
            )
        if not isinstance(illegal, bool):
            raise ValidationError("must be true (illegal content) or false (a breach of the terms)", field="illegal")
        law = parse_legal_ground(legal_ground, illegal=illegal)
        who = Notifier.parse(notifier)
        ensure_identified(who, category=category, illegal=illegal)
        ensure_bona_fide(bona_fide)
        via = parse_enum(Channel, channel, field="channel")
        given = parse_instant(received_at, field="received_at") if received_at is not None else None
        lang = parse_enum(Language, language, field="language")
        return cls(platform, subject, where, why, category, illegal, law, who, via, given, lang)


# --- status codes ----------------------------------------------------------------------------

_CODE_PREFIX = b"reprieve notice code\x00"
CODE_LENGTH = 10


def _derive(key: bytes, notice_id: str) -> str:
    digest = hmac.new(key, _CODE_PREFIX + notice_id.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii")[:CODE_LENGTH]


def printed_code(code: str) -> str:
    """How the code is printed: ``ABCDE-FGHIJ``."""
    return f"{code[:5]}-{code[5:]}"


def status_code_for(conn: Connection, notice_id: str) -> str:
    """The code printed on a notice's receipt, with which its notifier looks it up on the public
    form: an HMAC of its id under the installation's key ring (as appeal codes), never stored."""
    return printed_code(_derive(code_key(conn), notice_id))


def code_key(conn: Connection) -> bytes:
    """The key the status codes are made with now (the key ring is read from its file each time:
    read it once for many notices, as ``status_code_for`` would for each)."""
    return keys.require_key_ring(conn.engine.url).appeal_keys()[0]


def _code_matches(conn: Connection, notice_id: str, typed: str) -> bool:
    given = "".join(ch for ch in typed.upper() if ch.isalnum()).encode()
    found = False
    for key in keys.require_key_ring(conn.engine.url).appeal_keys():
        found |= hmac.compare_digest(given, _derive(key, notice_id).encode())
    return found


# --- use cases -------------------------------------------------------------------------------


def receive_notice(db: Database, command: ReceiveNotice, *, caller: Caller) -> NoticeView:
    """Receive a notice: it joins the open case of its subject (or opens one), its receipt is
    recorded; 404 for a platform the caller does not see."""
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        return receive_notice_within(uow, command, caller=caller)


def receive_notice_within(uow: UnitOfWork, command: ReceiveNotice, *, caller: Caller) -> NoticeView:
    """``receive_notice`` inside ``uow`` (a command of a group commit, or its own unit of work)."""
    intake = _Intake(uow, [command])
    view, events = intake.receive(command, caller, recorded=uow.now)  # read once the write lock is held
    intake.write()
    uow.record(events)
    return view


@dataclass(frozen=True, slots=True)
class PendingNotice:
    """A parsed notice waiting for the writer of a group commit, with who sent it."""

    command: ReceiveNotice
    caller: Caller


def submit_notice(committer: Committer, command: ReceiveNotice, *, caller: Caller, answer: Answer) -> None:
    """``receive_notice`` as one command of a group commit, received in a batch with the others
    waiting (``receive_notices_within``); ``answer(view, error)`` is called once it is committed,
    in the writer's thread. A notice the service would refuse whatever the log holds (received
    in the future...) is refused here, before the writer (ValidationError)."""
    now = caller.instant
    received = command.received_at if command.received_at is not None else now
    _ensure_received(received, command.channel, recorded=now)

    def body(uow: UnitOfWork) -> NoticeView:
        return receive_notice_within(uow, command, caller=caller)

    committer.submit_answering(
        answer,
        body,
        actor=caller.actor,
        now=now,
        batch=receive_notices_within,
        item=PendingNotice(command, caller),
    )


#: ``record_runs``'s order: a case is opened before its notices are counted in it.
_BATCH_ORDER = ("case.opened", "notice.received")


def receive_notices_within(uow: UnitOfWork, items: list[PendingNotice]) -> list[Any]:
    """Many notices at once, inside ``uow``: the answers they would get one after the other, in
    order, with the same events, and one read of the open cases and one insert per table. A
    notice the batch would refuse (a platform its sender does not see...) is answered ``ALONE``:
    it runs alone after the batch, and gets its own refusal."""
    intake = _Intake(uow, [item.command for item in items])
    answers: list[Any] = [ALONE] * len(items)
    runs: list[tuple[str, str, list[NewEvent]]] = []
    now = uow.stamp(items[0].caller.instant)
    for index, item in enumerate(items):
        # Recorded at its instant, never before the one before it (PRODUCT.md section 8).
        now = max(now, uow.stamp(item.caller.instant))
        try:
            view, events = intake.receive(item.command, item.caller, recorded=now)
        except ReprieveError:
            continue  # nothing of it was kept: ``receive`` refuses before it adds anything
        runs.append((item.caller.actor, format_instant(now) or "", events))
        answers[index] = view
    intake.write()
    uow.record_runs(runs, order=_BATCH_ORDER)
    return answers


#: The ids a notice takes of each prefix, at most.
_IDS_PER_NOTICE = {"cas": 1, "ntc": 1, "ntf": 1, "rcp": 1, PERSONAL: 3}


class _Intake:
    """What the notices received in one transaction share as each is received in turn: the
    platforms, the open cases of their subjects (read at once, and those opened since), and the
    rows written beside the log (``write``: one insert per table)."""

    def __init__(self, uow: UnitOfWork, commands: Sequence[ReceiveNotice]) -> None:
        self.db = uow.db
        self.conn = uow.conn
        self.platforms: dict[str, Platform] = {}
        for name in {command.platform for command in commands}:
            platform = self.db.platform(self.conn, name)
            if platform is not None:  # an unknown one is refused by ``receive``
                self.platforms[name] = platform
        self.cases = store.open_cases_of(
            self.conn,
            [(c.platform, c.about.kind.value, c.about.id) for c in commands if c.platform in self.platforms],
        )
        self.notifiers: list[dict[str, object]] = []
        self.texts: list[dict[str, object]] = []
        self.code_key = code_key(self.conn)
        #: Ids by prefix, made in one run for the transaction's notices at the first one's instant.
        self._ids: dict[str, Iterator[str]] = {}
        self._count = len(commands)

    def receive(
        self, command: ReceiveNotice, caller: Caller, *, recorded: datetime
    ) -> tuple[NoticeView, list[NewEvent]]:
        """The notice's view and events, its rows kept for ``write``; a refusal keeps nothing."""
        db = self.db
        received = command.received_at if command.received_at is not None else recorded
        _ensure_received(received, command.channel, recorded=recorded)
        platform = self.platforms.get(command.platform) or require_platform(db, self.conn, command.platform)
        caller.ensure_sees(platform.operator, "platform", command.platform)
        operator = platform.operator
        about = command.about
        events: list[NewEvent] = []
        at = format_instant(received) or ""
        subject = (command.platform, about.kind.value, about.id)
        case_id = self.cases.get(subject)
        if case_id is None:
            case_id = self._id("cas", recorded)
            opened = CaseOpened(id=case_id, operator=operator, platform=platform.id, about=about.to_json())
            events.append(NewEvent.of(opened, at, operator))
        notice_id = self._id("ntc", recorded)
        reference = self._id("ntf", recorded)
        texts = [(EXPLANATION, command.explanation), (LOCATION, command.location)]
        if command.legal_ground is not None:
            texts.append((LEGAL_GROUND, command.legal_ground))
        refs, rows = personal.rows_of(
            db,
            operator=operator,
            subject=reference,
            texts=texts,
            now=recorded,
            ids=[self._id(PERSONAL, recorded) for _ in texts],
        )
        receipt_id = self._id("rcp", recorded)

        received_event = NoticeReceived(
            id=notice_id,
            operator=operator,
            platform=platform.id,
            case=case_id,
            about=about.to_json(),
            category=command.category,
            illegal=command.illegal,
            channel=command.channel.value,
            notifier=reference,
            notifier_kind=command.notifier.kind.value,
            received_at=at,
            receipt=receipt_id,
            language=command.language.value,
            explanation=refs[0],
            location=refs[1],
            legal_ground=refs[2] if command.legal_ground is not None else None,
        )
        events.append(NewEvent.of(received_event, at, operator))
        # The view from what was just recorded, as a read would build it (not read back).
        received = parse_instant(at)
        view = NoticeView(
            id=notice_id,
            operator=operator,
            platform=platform.id,
            case=case_id,
            state=NoticeState.OPEN,
            about=about,
            category=command.category,
            illegal=command.illegal,
            channel=command.channel,
            source=store.ARTICLE_16,
            received_at=received,
            receipt=ReceiptView(
                receipt_id,
                command.language,
                receipt_text(notice_id, received, receipt_id, command.language),
                printed_code(_derive(self.code_key, notice_id)),
            ),
            notifier=NotifierView(command.notifier.kind, command.notifier.name, command.notifier.email),
            explanation=command.explanation,
            location=command.location,
            legal_ground=command.legal_ground,
        )
        # Kept only now, with nothing left to refuse it.
        self.cases[subject] = case_id
        self.notifiers.append(
            store.notifier_row(
                id=reference,
                notice_id=notice_id,
                operator=operator,
                name=command.notifier.name,
                email=command.notifier.email,
                created_us=to_micros(recorded),
            )
        )
        self.texts.extend(rows)
        return view, events

    def _id(self, prefix: str, now: datetime) -> str:
        """A new id of ``prefix``: one run of ids for all the notices (a run per id costs more
        than the rest of the notice's ids together)."""
        ids = self._ids.get(prefix)
        if ids is None:
            ids = self._ids[prefix] = iter(self.db.ids.new_ids(prefix, now, self._count * _IDS_PER_NOTICE[prefix]))
        return next(ids)

    def write(self) -> None:
        """The notifiers' rows and the personal data of the notices received, in one insert each."""
        store.insert_notifiers(self.conn, self.notifiers)
        personal.insert_rows(self.conn, self.texts)


def _ensure_received(received: datetime, via: Channel, *, recorded: datetime) -> None:
    """``received_at`` is never after the notice is recorded; only a letter or an e-mail may be
    dated before its recording (a few minutes of clock skew aside)."""
    if received > recorded + CLOCK_SKEW:
        raise ValidationError(f"{format_instant(received)} is in the future", field="received_at")
    if received < recorded - CLOCK_SKEW and via not in DATED_BY_ARRIVAL:
        raise ValidationError(
            "only a letter's or an e-mail's notice may be dated before it is recorded", field="received_at"
        )


def get_notice(
    db: Database,
    notice_id: str,
    *,
    caller: Caller,
    include_contact: bool = False,
    via: str = access_log.API,
    at: datetime | None = None,
    as_of: datetime | None = None,
) -> NoticeView:
    """One notice (404 if another operator's, or not received yet at ``at`` as known ``as_of``);
    with the notifier's name and e-mail for the operator's moderators (``include_contact``), the
    e-mail's reading recorded in the access log. ``at``, ``as_of``: as for ``list_notices`` (a
    notice decided later reads ``open``, without its reply)."""
    with db.read() as conn:
        row = caller.seen(store.notice_row(conn, notice_id), "notice", notice_id, operator="operator_id")
        at_us, known = _then(conn, at, as_of)
        if (at_us is not None and row["received_at"] > at_us) or (known is not None and row["created_seq"] > known):
            raise NotFoundError(f"no notice {notice_id!r}")
        cases = None
        if at_us is not None or known is not None:
            row = store.row_then(row, at_us, known)
            case = store.case_row(conn, row["case_id"])
            cases = None if case is None else {row["case_id"]: store.case_then(case, at_us, known)}
        view = _views(conn, [row], include_contact=include_contact, cases=cases)[0]
    _log_reveal(db, caller, [view], [row], via=via)
    return view


def _log_reveal(
    db: Database, caller: Caller, views: Sequence[NoticeView], rows: Sequence[Mapping[str, Any]], *, via: str
) -> None:
    """Each e-mail shown, in the access log (one transaction for a page of them)."""
    shown = [
        access_log.Shown(view.operator, view.id, row["notifier"], ("email",))
        for view, row in zip(views, rows, strict=True)
        if view.notifier.email is not None
    ]
    if shown:  # a read that showed none needs no instant
        access_log.record_accesses(db, shown, at=caller.instant, actor=caller.actor, via=via)


@dataclass(frozen=True, slots=True)
class ListNotices:
    state: NoticeState | None = None
    platform: str | None = None
    category: str | None = None


def list_notices(
    db: Database,
    f: ListNotices,
    *,
    caller: Caller,
    limit: int = 50,
    cursor: str | None = None,
    at: datetime | None = None,
    as_of: datetime | None = None,
) -> Page[NoticeView]:
    """A page of notices, oldest first, without the notifiers' names and e-mails; ``at``: as they
    stood then (received by then; decided by then, else open); ``as_of``: as the events recorded by
    then knew them (PRODUCT.md section 8)."""
    if not 1 <= limit <= 1000:
        raise ValidationError("must be between 1 and 1000", field="limit")
    with db.read() as conn:
        at_us, known = _then(conn, at, as_of)
        query = store.NoticeFilter(
            operators=caller.operators,
            state=f.state.value if f.state else None,
            platform=f.platform,
            category=f.category,
            at_us=at_us,
            known_seq=known,
        )
        rows, next_cursor = store.list_notice_rows(conn, query, limit=limit, cursor=cursor)
        rows = [store.row_then(r, at_us, known) for r in rows]
        return Page(tuple(_views(conn, rows, include_contact=False)), next_cursor)


#: The notices of a case shown at once, unless asked for fewer or more (up to ``list_notices``' 1,000).
CASE_PAGE = 100


def _then(conn: Connection, at: datetime | None, as_of: datetime | None) -> tuple[int | None, int | None]:
    """``at`` in µs and the last event known ``as_of`` (None for each not given)."""
    return (
        to_micros(at) if at is not None else None,
        known_as_of(conn, as_of).seq if as_of is not None else None,
    )


def get_case(
    db: Database,
    case_id: str,
    *,
    caller: Caller,
    include_contact: bool = False,
    via: str = access_log.API,
    at: datetime | None = None,
    as_of: datetime | None = None,
    limit: int = CASE_PAGE,
    cursor: str | None = None,
) -> CaseView:
    """A case with a page of its notices, oldest first (404 if another operator's, or not opened
    yet at ``at`` as known ``as_of``); with the notifiers' names and e-mails for the operator's
    moderators (``include_contact``). ``at``, ``as_of``: as for ``list_notices``."""
    if not 1 <= limit <= 1000:
        raise ValidationError("must be between 1 and 1000", field="limit")
    with db.read() as conn:
        row = caller.seen(store.case_row(conn, case_id), "case", case_id, operator="operator_id")
        at_us, known = _then(conn, at, as_of)
        if (at_us is not None and row["opened_at"] > at_us) or (known is not None and row["created_seq"] > known):
            raise NotFoundError(f"no case {case_id!r}")
        row = store.case_then(row, at_us, known)
        page, next_cursor = store.case_notice_rows(
            conn, case_id, limit=limit, cursor=cursor, at_us=at_us, known_seq=known
        )
        rows = [store.row_then(r, at_us, known) for r in page]
        notices = _views(conn, rows, include_contact=include_contact, cases={case_id: row})
        decision = _case_decision(conn, row)
        then = at_us is not None or known is not None
        count = store.count_case_notices(conn, case_id, at_us=at_us, known_seq=known) if then else row["notices"]
    _log_reveal(db, caller, notices, rows, via=via)
    return CaseView(
        id=row["id"],
        operator=row["operator_id"],
        platform=row["platform_id"],
        about=About(AboutKind(row["about_kind"]), row["about_id"]),
        state=CaseState(row["state"]),
        opened_at=from_micros(row["opened_at"]),
        count=count,
        notices=tuple(notices),
        next_cursor=next_cursor,
        decision=decision,
    )


def notice_status(db: Database, reference: str, code: str) -> NoticeStatus | None:
    """The notice ``reference`` if ``code`` is its status code (constant time), else None: a wrong
    code and an unknown reference are the same answer."""
    with db.read() as conn:
        row = store.notice_row(conn, reference) if len(reference) <= 64 else None
        if row is None or not _code_matches(conn, reference, code):
            return None
        view = _views(conn, [row], include_contact=False)[0]
    return NoticeStatus(row["id"], NoticeState(row["state"]), from_micros(row["received_at"]), view.reply)


# --- views -----------------------------------------------------------------------------------


def _case_decision(conn: Connection, row: Mapping[str, Any]) -> CaseDecisionView | None:
    decided = store.case_decision(dict(row))
    if decided is None:
        return None
    texts = personal.read_many(conn, [decided["rationale_ref"]])
    rationale, _ = personal.resolved(None, decided["rationale_ref"], texts)
    referral = decided.get("referral")
    return CaseDecisionView(
        action=NoticeAction(decided["action"]),
        content_decision=decided.get("content_decision"),
        sanction=decided.get("sanction"),
        automated=bool(decided["automated"]),
        referral=Referral(referral["authority"], referral["member_state"]) if referral else None,
        rationale=rationale,
        decided_at=from_micros(row["decided_at"]),
    )


def _reply(row: Mapping[str, Any], case: Mapping[str, Any], texts: Mapping[str, personal.PersonalText]) -> ReplyView:
    """The reply recorded for the notifier of the decided notice ``row`` of ``case``."""
    decided = store.case_decision(dict(case))
    assert decided is not None, f"notice {row['id']} is decided, its case {case['id']} is not"
    own, erased = personal.resolved(None, row["reply_ref"], texts)
    action = NoticeAction(decided["action"])
    decided_at = from_micros(row["decided_at"])
    made = decided.get("content_decision") or decided.get("sanction")
    words = {
        lang: reply_text(
            lang,
            notice_id=row["id"],
            received_at=from_micros(row["received_at"]),
            action=action,
            decision=made,
            automated=bool(decided["automated"]),
            referred=decided.get("referral") is not None,
            decided_at=decided_at,
            own=own,
        )
        for lang in Language
    }
    return ReplyView(
        action=action,
        content_decision=decided.get("content_decision"),
        sanction=decided.get("sanction"),
        automated=bool(decided["automated"]),
        referred=decided.get("referral") is not None,
        decided_at=decided_at,
        complaint_until=notifier_complaint_deadline(decided_at),
        text=own,
        texts=words,
        erased=erased,
    )


def _views(
    conn: Connection,
    rows: Sequence[Mapping[str, Any]],
    *,
    include_contact: bool,
    cases: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[NoticeView]:
    texts = personal.read_many(
        conn,
        [
            r[c]
            for r in rows
            for c in ("explanation_ref", "location_ref", "legal_ground_ref", "reply_ref", "disclosure_reason_ref")
        ],
    )
    decided = {r["id"] for r in rows if r["decided_at"] is not None and r["state"] == NoticeState.DECIDED.value}
    if decided:
        known = dict(cases or {})
        missing = [r["case_id"] for r in rows if r["id"] in decided and r["case_id"] not in known]
        if missing:
            known.update(store.case_rows(conn, missing))
        cases = known
    people = store.notifiers_of(conn, [r["notifier"] for r in rows]) if include_contact else {}
    key = code_key(conn) if rows else b""
    views = []
    for r in rows:
        explanation, explanation_erased = personal.resolved(None, r["explanation_ref"], texts)
        location, location_erased = personal.resolved(None, r["location_ref"], texts)
        legal_ground, legal_erased = personal.resolved(None, r["legal_ground_ref"], texts)
        who = people.get(r["notifier"])
        notifier = NotifierView(
            NotifierKind(r["notifier_kind"]),
            name=who.name if who else None,
            email=who.email if who else None,
            erased=bool(who and who.erased),
        )
        views.append(
            NoticeView(
                id=r["id"],
                operator=r["operator_id"],
                platform=r["platform_id"],
                case=r["case_id"],
                state=NoticeState(r["state"]),
                about=About(AboutKind(r["about_kind"]), r["about_id"]),
                category=r["category"],
                illegal=bool(r["illegal"]),
                channel=Channel(r["channel"]),
                source=r["source"],
                received_at=from_micros(r["received_at"]),
                receipt=ReceiptView(
                    r["receipt_id"],
                    Language(r["receipt_language"]),
                    r["receipt_text"],
                    printed_code(_derive(key, r["id"])),
                ),
                notifier=notifier,
                explanation=explanation,
                location=location,
                legal_ground=legal_ground,
                explanation_erased=explanation_erased,
                location_erased=location_erased,
                legal_ground_erased=legal_erased and r["legal_ground_ref"] is not None,
                decided_at=from_micros(r["decided_at"]) if r["decided_at"] is not None else None,
                reply=_reply(r, cases[r["case_id"]], texts) if r["id"] in decided and cases else None,
                disclosed=r["disclose_notifier"],
                disclosure_reason=personal.resolved(None, r["disclosure_reason_ref"], texts)[0],
            )
        )
    return views


# --- deciding a case (art. 16(5), 17(3)(b), 18) ------------------------------------------------

#: The personal-data kinds of a decision: the rationale (subject: the case), each notifier's reply
#: and the reason their identity is disclosed (subject: the notifier's reference).
RATIONALE, REPLY, DISCLOSURE_REASON = "case.rationale", "notice.reply", "notice.disclosure_reason"


@dataclass(frozen=True, slots=True)
class DecideCase:
    """A decision of the case of notice ``notice``, parsed (``parse``): its action, the decision it
    makes (``content``, ``sanction``) or references (``decision_id``), the rationale, the default
    reply and each notifier's own, whether automated means were used, a referral (art. 18), and
    which notifiers' identities are disclosed to the affected user and why (art. 17(3)(b))."""

    notice: str
    action: NoticeAction
    rationale: str
    reply: str
    automated: bool
    content: DecideContent | None = None
    sanction: ImposeSanction | None = None
    decision_id: str | None = None
    replies: Mapping[str, str] = field(default_factory=dict)
    referral: Referral | None = None
    disclosures: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def parse(
        cls,
        *,
        notice: str,
        action: object,
        rationale: object,
        reply: object,
        automated: object,
        decision: str | DecideContent | ImposeSanction | None = None,
        replies: Mapping[str, object] | None = None,
        referral: object = None,
        disclosures: Mapping[str, object] | None = None,
    ) -> DecideCase:
        """The command from what an edge was given, parsed once: ValidationError naming the field."""
        act = parse_enum(NoticeAction, action, field="action")
        if act is NoticeAction.NO_ACTION and decision is not None:
            raise ValidationError("is not given when no action is taken", field="decision")
        if act is not NoticeAction.NO_ACTION and decision is None:
            raise ValidationError(
                f"is required for action {act.value}: the decision to make, or the id of one made", field="decision"
            )
        if act is NoticeAction.CONTENT_DECISION and isinstance(decision, ImposeSanction):
            raise ValidationError("must be a content decision for action content_decision", field="decision")
        if act is NoticeAction.SANCTION and isinstance(decision, DecideContent):
            raise ValidationError("must be a sanction for action sanction", field="decision")
        why = _text(rationale, "rationale", RATIONALE_MAX)
        default = _text(reply, "reply", REPLY_MAX)
        if not isinstance(automated, bool):
            raise ValidationError("must be true or false: whether automated means were used", field="automated")
        own = {k: _text(v, f"replies.{k}", REPLY_MAX) for k, v in (replies or {}).items()}
        told = {k: _text(v, f"disclosures.{k}", DISCLOSURE_REASON_MAX) for k, v in (disclosures or {}).items()}
        if told and act is NoticeAction.NO_ACTION:
            raise ValidationError(
                "only a decision with a statement of reasons discloses a notifier's identity", field="disclosures"
            )
        if told and isinstance(decision, str):
            raise ValidationError(
                "a decision made earlier has its statement issued already: make the decision in this call to "
                "disclose a notifier's identity in it",
                field="disclosures",
            )
        return cls(
            notice=notice,
            action=act,
            rationale=why,
            reply=default,
            automated=automated,
            content=decision if isinstance(decision, DecideContent) else None,
            sanction=decision if isinstance(decision, ImposeSanction) else None,
            decision_id=decision if isinstance(decision, str) else None,
            replies=own,
            referral=None if referral is None else Referral.parse(referral),
            disclosures=told,
        )


def _text(value: object, name: str, max_length: int) -> str:
    if not isinstance(value, str):
        raise ValidationError("is required: text", field=name)
    return trim(ensure_text(value, field=name, max_length=max_length))


def decide_case(db: Database, command: DecideCase, *, caller: Caller) -> CaseView:
    """Decide the case of ``command.notice``: all its open notices together, with one action
    (a content decision or a sanction made now, or referenced, or no action), a reply recorded for
    each notifier, and, for a decision made now, its statement of reasons saying it was taken on a
    notice and naming only the notifiers whose identity is disclosed. 404 for another operator's
    notice; 409 if its case is decided already; 422 naming the field for the rest."""
    with UnitOfWork(db, actor=caller.actor, now=caller.clock) as uow:
        conn = uow.conn
        row = caller.seen(store.notice_row(conn, command.notice), "notice", command.notice, operator="operator_id")
        case = store.case_row(conn, row["case_id"])
        assert case is not None, f"decide_case: no case {row['case_id']!r}"
        if case["state"] != CaseState.OPEN.value:
            raise ConflictError(f"case {case['id']} is decided already")
        rows = store.open_notices_of_case(conn, case["id"])
        ids = {r["id"] for r in rows}
        for key, name in ((command.replies, "replies"), (command.disclosures, "disclosures")):
            for notice_id in key:
                if notice_id not in ids:
                    raise ValidationError(f"{notice_id!r} is no open notice of case {case['id']}", field=name)
        people = store.notifiers_of(conn, [r["notifier"] for r in rows if r["id"] in command.disclosures])
        disclosed: list[str] = []
        for r in rows:
            if r["id"] in command.disclosures:
                who = people.get(r["notifier"])
                if who is None or who.name is None:
                    raise ValidationError(
                        "the notifier of this notice gave no name (or it was erased): there is no identity to disclose",
                        field=f"disclosures.{r['id']}",
                    )
                disclosed.append(who.name)
        operator = case["operator_id"]
        about = About(AboutKind(case["about_kind"]), case["about_id"])
        on_notice = {"disclosed": disclosed}
        content_id, sanction_id = _decision_of(db, uow, command, case, about, caller=caller, notice=on_notice)
        recorded = uow.now
        at = uow.at
        texts = [(RATIONALE, command.rationale)]
        rationale = personal.put_many(db, conn, operator=operator, subject=case["id"], texts=texts, now=recorded)[0]
        events: list[NewEvent] = [
            NewEvent.of(
                CaseDecided(
                    id=case["id"],
                    operator=operator,
                    action=command.action.value,
                    content_decision=content_id,
                    sanction=sanction_id,
                    automated=command.automated,
                    referral=command.referral.to_json() if command.referral else None,
                    notices=[r["id"] for r in rows],
                    rationale=rationale,
                ),
                at,
                operator,
            )
        ]
        for r in rows:
            own = [(REPLY, command.replies.get(r["id"], command.reply))]
            if r["id"] in command.disclosures:
                own.append((DISCLOSURE_REASON, command.disclosures[r["id"]]))
            refs = personal.put_many(db, conn, operator=operator, subject=r["notifier"], texts=own, now=recorded)
            decided = NoticeDecided(
                id=r["id"],
                operator=operator,
                case=case["id"],
                reply=refs[0],
                disclosed=r["id"] in command.disclosures,
                disclosure_reason=refs[1] if len(refs) > 1 else None,
            )
            events.append(NewEvent.of(decided, at, operator))
        uow.record(events)
    return get_case(db, case["id"], caller=caller)


def _decision_of(
    db: Database,
    uow: UnitOfWork,
    command: DecideCase,
    case: Mapping[str, Any],
    about: About,
    *,
    caller: Caller,
    notice: dict[str, Any],
) -> tuple[str | None, str | None]:
    """The content decision or the sanction the case is decided with (made now inside ``uow``, its
    statement saying it was taken on a notice, or referenced, checked to be about the case's subject
    and to have been taken on a notice), as ``(content decision id, sanction id)``."""
    platform = case["platform_id"]
    if command.content is not None:
        c = command.content
        if about.kind is not AboutKind.ITEM or (c.item.platform, c.item.item) != (platform, about.id):
            raise ValidationError(f"must be about the case's item, {about.id} on {platform}", field="decision.item")
        _ensure_automation_told(command.automated, c.automated.decision.value)
        c = replace(c, reason=_on_notice(c.reason))
        return decide_within(db, uow, [c], caller=caller, notice=notice)[0].id, None
    if command.sanction is not None:
        s = command.sanction
        _ensure_subject(s.subject.platform, s.subject.account, platform, about, field="decision.subject")
        _ensure_automation_told(command.automated, s.automated.decision.value)
        s = replace(s, reason=_on_notice(s.reason))
        return None, impose_decided_within(db, uow, s, caller=caller, notice=notice).id
    if command.decision_id is None:
        return None, None
    decision_id = command.decision_id
    if command.action is NoticeAction.CONTENT_DECISION:
        found = content_store.load_decision(uow.conn, decision_id)
        if found is None or not caller.sees(found.operator):
            raise ValidationError(f"no content decision {decision_id!r}", field="decision")
        if about.kind is not AboutKind.ITEM or (found.item.platform, found.item.item) != (platform, about.id):
            raise ValidationError(f"{decision_id} is not about the case's item {about.id}", field="decision")
        _ensure_taken_on_notice(found.reason, decision_id)
        return decision_id, None
    sanction = queries.load_sanction(uow.conn, decision_id)
    if sanction is None or not caller.sees(sanction.operator):
        raise ValidationError(f"no sanction {decision_id!r}", field="decision")
    _ensure_subject(sanction.subject.platform, sanction.subject.account, platform, about, field="decision")
    _ensure_taken_on_notice(sanction.reason, decision_id)
    return None, decision_id


def _on_notice(reason: Reason) -> Reason:
    """A reason made on a notice: its source is a notice (art. 16), unless it names another notification."""
    return replace(reason, source=Source.ARTICLE_16) if reason.source is Source.VOLUNTARY else reason


def _ensure_taken_on_notice(reason: Reason, decision_id: str) -> None:
    if reason.source is Source.VOLUNTARY:
        raise ConflictError(
            f"{decision_id} was taken on the platform's own initiative (reason.source voluntary): its statement "
            "cannot say it was taken on a notice; make the decision in this call instead"
        )


def _ensure_subject(sub_platform: str, account: str, platform: str, about: About, *, field: str) -> None:
    if sub_platform != platform or (about.kind is AboutKind.ACCOUNT and account != about.id):
        where = f"the account {about.id}" if about.kind is AboutKind.ACCOUNT else "an account"
        raise ValidationError(f"must be about {where} on the case's platform {platform}", field=field)


def _ensure_automation_told(automated: bool, decision: str) -> None:
    if decision != "not_automated" and not automated:
        raise ValidationError(
            f"is false, but the decision says it was taken by automated means ({decision})", field="automated"
        )
