"""Events: the append-only, hash-chained record of every change.

An event's hash is SHA-256 over the previous event's hash followed by the event's
canonical JSON (sorted keys, no insignificant whitespace, UTF-8).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from json.encoder import encode_basestring, encode_basestring_ascii
from types import MappingProxyType
from typing import Any, NamedTuple, TypeVar

import orjson

from reprieve.domain.model import AccountRef
from reprieve.domain.personal import PersonalRef, ref_in, ref_out
from reprieve.domain.time import format_instant

GENESIS_HASH = "0" * 64


class EventType(StrEnum):
    OPERATOR_CREATED = "operator.created"
    PLATFORM_CREATED = "platform.created"
    ACCOUNT_REGISTERED = "account.registered"
    ACCOUNT_RENAMED = "account.renamed"
    IDENTITIES_LINKED = "identities.linked"
    SANCTION_IMPOSED = "sanction.imposed"
    SANCTION_AMENDED = "sanction.amended"
    SANCTION_LIFTED = "sanction.lifted"
    TOKEN_CREATED = "token.created"
    TOKEN_REVOKED = "token.revoked"
    REVIEW_OPENED = "review.opened"
    ASSESSMENT_FILED = "assessment.filed"
    REVIEW_DECIDED = "review.decided"
    APPEAL_FILED = "appeal.filed"
    APPEAL_ATTACHED = "appeal.attached"
    APPEAL_DECIDED = "appeal.decided"
    DISPUTE_RECORDED = "dispute.recorded"
    VIOLATION_RECORDED = "violation.recorded"
    PROBATION_STARTED = "probation.started"
    AMNESTY_STARTED = "amnesty.started"  # then one sanction.lifted naming it per sanction lifted
    AMNESTY_COMPLETED = "amnesty.completed"
    AMNESTY_REVERT_STARTED = "amnesty.revert_started"  # then one sanction.imposed naming it per re-imposed
    AMNESTY_REVERTED = "amnesty.reverted"
    MEMBER_CREATED = "member.created"  # the console: recorded, not projected (like tokens)
    MEMBER_DISABLED = "member.disabled"
    MEMBER_ENABLED = "member.enabled"
    MEMBER_PASSWORD_CHANGED = "member.password_changed"
    # The worker's announcements of what time has done (projected nowhere: enforcement computes time).
    SANCTION_STARTED = "sanction.started"
    SANCTION_ENDED = "sanction.ended"
    REVIEW_DUE = "review.due"
    APPEAL_OVERDUE = "appeal.overdue"
    PROBATION_ENDED = "probation.ended"
    APPEAL_TARGET_SET = "appeal_target.set"
    # Webhooks and the broker: recorded, not projected (like tokens).
    WEBHOOK_CREATED = "webhook.created"
    WEBHOOK_DISABLED = "webhook.disabled"
    WEBHOOK_ENABLED = "webhook.enabled"
    WEBHOOK_DELETED = "webhook.deleted"
    WEBHOOK_REDELIVERY_REQUESTED = "webhook.redelivery_requested"
    BROKER_ENABLED = "broker.enabled"
    # Personal data (issue 21): recorded, not projected; the data itself is never in them.
    PERSON_ERASED = "person.erased"
    RETENTION_SET = "retention.set"
    # The cut-over of a history already chained (issue 21): recorded, not projected.
    LOG_CHECKPOINTED = "log.checkpointed"
    # A document issued to a person (issue 23): recorded, not projected; its text is beside the log.
    STATEMENT_ISSUED = "statement.issued"
    # Its delivery to the user (issue 23): projected into statement_deliveries.
    STATEMENT_DELIVERED = "statement.delivered"
    #: The art. 9(5) information about a decision giving effect to an authority's order (art. 17(5)).
    ORDER_INFORMATION_ISSUED = "order_information.issued"
    # Decisions on content (issue 24, PRODUCT.md section 9): projected into items and content_decisions.
    CONTENT_DECIDED = "content.decided"
    CONTENT_AMENDED = "content.amended"
    CONTENT_RESTORED = "content.restored"
    # The worker forgot the evidence of content decisions (kept beside the log): recorded, not projected.
    EVIDENCE_FORGOTTEN = "evidence.forgotten"
    # Notices and their cases (issue 26, PRODUCT.md section 10): projected into notices and notice_cases.
    CASE_OPENED = "case.opened"
    NOTICE_RECEIVED = "notice.received"
    CASE_DECIDED = "case.decided"
    NOTICE_DECIDED = "notice.decided"
    CASE_REOPENED = "case.reopened"


# Named tuples rather than dataclasses: a bulk import makes millions of them, three times faster.


class NewEvent(NamedTuple):
    """An event a service has decided on, not yet given its place in the log: the envelope of a
    typed event's payload (``NewEvent.of``)."""

    type: EventType
    effective_at: str
    operator: str | None
    data: dict[str, Any]  #: the payload, as it is hashed: ``event.to_payload()``
    event: Event  #: what the projector applies

    @classmethod
    def of(cls, event: Event, effective_at: str, operator: str | None) -> NewEvent:
        """The envelope of ``event``, taking effect at ``effective_at``, belonging to ``operator``."""
        return tuple.__new__(cls, (EVENT_TYPES[type(event)], effective_at, operator, event.to_payload(), event))


class RecordedEvent(NamedTuple):
    """An event in the log: its sequence number, when and by whom, and its place in the chain.

    Its fields are the columns of the ``events`` table, in order.
    """

    seq: int
    type: str
    at: str
    effective_at: str
    actor: str
    operator: str | None
    data: str  #: canonical JSON of the payload, exactly as hashed
    prev_hash: str
    hash: str

    def payload(self) -> dict[str, Any]:
        result: dict[str, Any] = parse_json(self.data)
        return result

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "type": self.type,
            "at": self.at,
            "effective_at": self.effective_at,
            "actor": self.actor,
            "operator": self.operator,
            "data": self.payload(),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


#: The reference encoding; ``json.dumps`` with these options would build a new encoder each call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
#: What orjson writes differently from the reference: floats below 1e-4 (``1e-7`` for ``1e-07``,
#: ``0.00001`` for ``1e-05``). Matching text inside a string only sends that payload the slow way.
_ORJSON_FLOAT_FORMS = re.compile(rb"\de[-+]|0\.0000")
#: Datetimes and dataclasses are refused, as the reference does, rather than written in orjson's way.
_ORJSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 as is: ``json.dumps(value, sort_keys=True,
    separators=(",", ":"), ensure_ascii=False)``, written by orjson, twenty times faster."""
    try:
        encoded = orjson.dumps(value, option=_ORJSON_OPTIONS)
    except TypeError:  # what orjson refuses: integers past 64 bits, keys that are not text...
        return _CANONICAL.encode(value)
    # The plain substring tests are many times faster than the regular expression, which then
    # only runs on payloads that have such text in them ("e-" in "hate-speech", say).
    if (b"e-" in encoded or b"e+" in encoded or b"0.0000" in encoded) and _ORJSON_FLOAT_FORMS.search(encoded):
        return _CANONICAL.encode(value)
    return encoded.decode()


def parse_json(text: str | bytes) -> Any:
    """``json.loads``, by orjson when it can (it refuses NaN and integers past 64 bits)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def envelope_json(seq: int, type_: str, at: str, effective_at: str, actor: str, operator: str | None, data: str) -> str:
    """Canonical JSON of an event, built around its already canonical payload.

    Equal to ``canonical_json`` of the whole event (keys in sorted order) without parsing
    the payload again, so that verifying the chain checks the stored bytes themselves.
    """
    return (
        envelope_head(actor, at)
        + data
        + ',"effective_at":'
        + _ascii_string(effective_at)
        + ',"operator":'
        + _string_or_null(operator)
        + ',"seq":'
        + str(seq)
        + ',"type":'
        + _ascii_string(type_)
        + "}"
    )


def envelope_head(actor: str, at: str) -> str:
    """The start of ``envelope_json``, the same for every event of one transaction."""
    return '{"actor":' + _string_or_null(actor) + ',"at":' + _ascii_string(at) + ',"data":'


def _ascii_string(value: str) -> str:
    """``json.dumps(value)``, without its overhead for the common case of a plain string."""
    return encode_basestring_ascii(value) if type(value) is str else json.dumps(value)


def _string_or_null(value: str | None) -> str:
    """``json.dumps(value, ensure_ascii=False)``, idem."""
    return encode_basestring(value) if type(value) is str else json.dumps(value, ensure_ascii=False)


def chain_hash(prev_hash: str, envelope: str) -> str:
    return hashlib.sha256((prev_hash + envelope).encode()).hexdigest()


# --- typed events ------------------------------------------------------------------------
#
# One frozen class per event type: its fields are the keys of its payload, in the canonical JSON
# exactly as before the classes existed (``to_payload``). ``extra`` holds the keys a payload has
# beyond the fields: where a sanction or a change comes from (``{"violation": id}``,
# ``{"amnesty": id}``, ``{"review": id}``...), and whatever keys older code wrote that this code
# does not know, kept so that a payload read and written again is the same. Named tuples, not
# dataclasses: a bulk import makes millions of them.

#: No keys beyond the fields (shared: an event's ``extra`` is never changed in place).
NO_EXTRA: Mapping[str, Any] = MappingProxyType({})

_E = TypeVar("_E")

#: Each event class's type and payload version, and each type's class.
EVENT_TYPES: dict[type[Any], EventType] = {}
PAYLOAD_VERSIONS: dict[type[Any], int] = {}
EVENT_CLASSES: dict[str, type[Any]] = {}
#: Each event class's fields that hold a person's data (free text they wrote or that is written
#: to them, a name, an e-mail) or a reference to it (issue 21: the chain keeps references only).
#: ``tests/unit/test_personal_fields.py`` fails when a class carries text it has not classified.
PERSONAL_FIELDS: dict[type[Any], frozenset[str]] = {}


def _event(type_: EventType, version: int = 1, personal: Iterable[str] = ()) -> Callable[[type[_E]], type[_E]]:
    """Register an event class as the one of ``type_``, whose payloads are at ``version``, and
    whose fields ``personal`` hold personal data or references to it."""

    def register(cls: type[_E]) -> type[_E]:
        EVENT_TYPES[cls] = type_
        PAYLOAD_VERSIONS[cls] = version
        EVENT_CLASSES[type_.value] = cls
        fields = frozenset(personal)
        unknown = fields - set(getattr(cls, "_fields", ()))
        if unknown:
            raise TypeError(f"{cls.__name__} declares personal fields it lacks: {sorted(unknown)}")
        PERSONAL_FIELDS[cls] = fields
        return cls

    return register


def _payload(event: tuple[Any, ...], fields: tuple[str, ...]) -> dict[str, Any]:
    """The payload of ``event``: its fields (but ``extra``, the last) by name, then ``extra``."""
    data = dict(zip(fields, event, strict=False))
    extra = event[-1]
    if extra:
        data.update(extra)
    return data


def _read(cls: Any, payload: Mapping[str, Any]) -> list[Any]:
    """The values of ``cls``'s fields in a payload of any shape it has had: the keys it lacks
    take the fields' defaults (a missing key without one is an error), and the keys it does not
    know are kept, in ``extra`` (the last)."""
    fields: tuple[str, ...] = cls._fields[:-1]
    defaults: dict[str, Any] = cls._field_defaults
    values = []
    for name in fields:
        if name in payload:
            values.append(payload[name])
        elif name in defaults:
            default = defaults[name]
            values.append(list(default) if isinstance(default, tuple) else default)
        else:
            raise KeyError(f"{EVENT_TYPES[cls]} payload without {name!r}")
    known = set(fields)
    extra = {k: v for k, v in payload.items() if k not in known}
    values.append(MappingProxyType(extra) if extra else NO_EXTRA)
    return values


def _backdated_out(data: dict[str, Any]) -> dict[str, Any]:
    """A payload's ``backdated_reason`` (PRODUCT.md section 8): its reference, or no key at all
    when the decision was not backdated (every other payload as it always was)."""
    reason = data.pop("backdated_reason", None)
    if reason is not None:
        data["backdated_reason"] = ref_out(reason)
    return data


_B = TypeVar("_B", bound=Any)


def _backdated_in(event: _B) -> _B:
    """The event with its ``backdated_reason`` read back as a reference."""
    reason = event.backdated_reason
    if reason is None:
        return event
    read: _B = event._replace(backdated_reason=ref_in(reason))
    return read


@_event(EventType.OPERATOR_CREATED)
class OperatorCreated(NamedTuple):
    id: str
    name: str
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> OperatorCreated:
        return cls(*_read(cls, payload))


@_event(EventType.PLATFORM_CREATED)
class PlatformCreated(NamedTuple):
    id: str
    operator: str
    name: str
    kind: str
    capabilities: list[str]
    policy: dict[str, Any]
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> PlatformCreated:
        return cls(*_read(cls, payload))


@_event(EventType.ACCOUNT_REGISTERED, personal=("display_name",))
class AccountRegistered(NamedTuple):
    platform: str
    account: str
    identity: str
    operator: str
    #: None, or the text in events written before issue 21, or a reference to ``personal_data``.
    display_name: str | PersonalRef | None = None
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        # Written out, as the hot paths' payloads are: one per new account of a bulk import.
        platform, account, identity, operator, display_name, extra = self
        data = {
            "platform": platform,
            "account": account,
            "identity": identity,
            "operator": operator,
            # Usually None; a name is a reference to personal_data since issue 21, text before.
            "display_name": display_name if display_name is None else ref_out(display_name),
        }
        if extra:
            data.update(extra)
        return data

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> AccountRegistered:
        event = cls(*_read(cls, payload))
        name = event.display_name
        return event if name is None or type(name) is str else event._replace(display_name=ref_in(name))


@_event(EventType.ACCOUNT_RENAMED, personal=("display_name",))
class AccountRenamed(NamedTuple):
    platform: str
    account: str
    #: The text in events written before issue 21; a reference to ``personal_data`` since.
    display_name: str | PersonalRef | None
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        data = _payload(self, self._fields[:-1])
        data["display_name"] = ref_out(self.display_name)
        return data

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> AccountRenamed:
        event = cls(*_read(cls, payload))
        return event._replace(display_name=ref_in(event.display_name))


@_event(EventType.IDENTITIES_LINKED)
class IdentitiesLinked(NamedTuple):
    identity: str
    merged: list[str]
    operator: str
    accounts: list[dict[str, str]]
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> IdentitiesLinked:
        return cls(*_read(cls, payload))


@_event(EventType.SANCTION_IMPOSED, personal=("backdated_reason",))
class SanctionImposed(NamedTuple):
    """A sanction imposed: on whom (``subject``, ``identity``), where (``scope``), its first term
    (``kind``, ``denies``, ``starts_at``, ``ends_at``, ``review_at``), why (``reason``, the DSA
    statement's fields) and how (``automated``); ``extra``: where it comes from (a violation, an
    amnesty's revert...)."""

    id: str
    operator: str
    identity: str
    subject: dict[str, str]
    scope: list[str]
    kind: str
    denies: list[str]
    starts_at: str
    ends_at: str | None
    review_at: str | None
    reason: dict[str, Any]
    automated: dict[str, Any]
    #: In the payload only when true (PRODUCT.md section 8): every other payload as it always was.
    hold_until_review: bool = False
    #: A backdated creation's reason (PRODUCT.md section 8), by reference to ``personal_data``; in
    #: the payload only when set.
    backdated_reason: PersonalRef | None = None
    extra: Mapping[str, Any] = NO_EXTRA

    @classmethod
    def of(
        cls,
        *,
        id: str,
        operator: str,
        identity: str,
        subject: AccountRef,
        scope: Sequence[str],
        kind: str,
        denies: Sequence[str],
        starts_at: datetime,
        ends_at: datetime | None,
        review_at: datetime | None,
        reason: dict[str, Any],
        automated: dict[str, Any],
        origin: Mapping[str, Any] | None = None,
        hold_until_review: bool = False,
        backdated_reason: PersonalRef | None = None,
    ) -> SanctionImposed:
        """The one way a sanction.imposed event is made: by an imposition, a ladder, a revert."""
        # tuple.__new__: the generated __new__ binds thirteen arguments by name, once per sanction.
        return tuple.__new__(
            cls,
            (
                id,
                operator,
                identity,
                {"platform": subject.platform, "account": subject.account},
                list(scope),
                kind,
                list(denies),
                format_instant(starts_at) or "",
                format_instant(ends_at),
                format_instant(review_at),
                reason,
                automated,
                hold_until_review,
                backdated_reason,
                origin or NO_EXTRA,
            ),
        )

    def to_payload(self) -> dict[str, Any]:
        # Written out, the fields unpacked at once: the bulk paths make one per sanction.
        (
            id,
            operator,
            identity,
            subject,
            scope,
            kind,
            denies,
            starts_at,
            ends_at,
            review_at,
            reason,
            automated,
            hold,
            backdated,
            extra,
        ) = self
        data: dict[str, Any] = {
            "id": id,
            "operator": operator,
            "identity": identity,
            "subject": subject,
            "scope": scope,
            "kind": kind,
            "denies": denies,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "review_at": review_at,
            "reason": reason,
            "automated": automated,
        }
        if hold:
            data["hold_until_review"] = True
        if backdated is not None:
            data["backdated_reason"] = ref_out(backdated)
        if extra:
            data.update(extra)
        return data

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> SanctionImposed:
        # review_at: absent from the payloads of the first versions (a sanction without a review).
        event = cls(*_read(cls, payload if "review_at" in payload else {**payload, "review_at": None}))
        return (
            event if event.backdated_reason is None else event._replace(backdated_reason=ref_in(event.backdated_reason))
        )


@_event(EventType.SANCTION_AMENDED, personal=("backdated_reason",))
class SanctionAmended(NamedTuple):
    id: str
    kind: str
    ends_at: str | None = None
    review_at: str | None = None
    denies: Sequence[str] = ()  #: read as a list: a payload holds lists
    reason: str = ""
    #: In the payload only when true (PRODUCT.md section 8): every other payload as it always was.
    hold_until_review: bool = False
    #: A backdated change's reason, by reference to ``personal_data``; in the payload only when set.
    backdated_reason: PersonalRef | None = None
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        data = _payload(self, self._fields[:-1])
        if not data["hold_until_review"]:
            del data["hold_until_review"]
        _backdated_out(data)
        return data

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> SanctionAmended:
        return _backdated_in(cls(*_read(cls, payload)))


@_event(EventType.SANCTION_LIFTED, personal=("backdated_reason",))
class SanctionLifted(NamedTuple):
    id: str
    reason: str = ""
    #: A backdated lift's reason, by reference to ``personal_data``; in the payload only when set.
    backdated_reason: PersonalRef | None = None
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _backdated_out(_payload(self, self._fields[:-1]))

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> SanctionLifted:
        return _backdated_in(cls(*_read(cls, payload)))


@_event(EventType.TOKEN_CREATED, personal=("name",))
class TokenCreated(NamedTuple):
    id: str
    name: str  #: the token id since issue 21 (the name is in the tokens table); older events: the name
    role: str
    operator: str | None
    expires_at: str | None = None
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> TokenCreated:
        return cls(*_read(cls, payload))


@_event(EventType.TOKEN_REVOKED)
class TokenRevoked(NamedTuple):
    id: str
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> TokenRevoked:
        return cls(*_read(cls, payload))


def _review_subject_out(data: dict[str, Any]) -> dict[str, Any]:
    """A review event's payload names what is reviewed: ``sanction`` or (issue 25) ``content_decision``;
    the other key is left out, so that a review of a sanction keeps the payload it always had."""
    for key in ("sanction", "content_decision"):
        if key in data and data[key] is None:
            del data[key]
    return data


def _review_subject_in(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    """A review event's payload with ``sanction`` present (None: a review of a content decision)."""
    return payload if "sanction" in payload else {"sanction": None, **payload}


@_event(EventType.REVIEW_OPENED, personal=("panel", "opened_by"))
class ReviewOpened(NamedTuple):
    id: str
    operator: str
    sanction: str | None  #: None: a review of a content decision (``content_decision``)
    #: each entry a reference to ``personal_data`` (kind ``review.panel``) since issue 21; older
    #: events: the name or id the moderator typed
    panel: list[str | PersonalRef]
    quorum: int
    reason: str
    due_at: str | None = None
    opened_by: str | None = None
    content_decision: str | None = None  #: the content decision reviewed (issue 25); None: a sanction
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        data = _review_subject_out(_payload(self, self._fields[:-1]))
        data["panel"] = [ref_out(entry) for entry in self.panel]
        return data

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ReviewOpened:
        event = cls(*_read(cls, _review_subject_in(payload)))
        return event._replace(panel=[ref_in(entry) for entry in event.panel])


@_event(EventType.ASSESSMENT_FILED, personal=("reviewer",))
class AssessmentFiled(NamedTuple):
    review: str
    sanction: str | None  #: None: a review of a content decision (``content_decision``)
    reviewer: str  #: who filed it: the actor, by id (older events: the panel entry)
    risk: str
    factors: list[str]
    rationale: str
    seat: int | None = None  #: the panel entry filed from, by position (older events: None, ``reviewer`` is it)
    content_decision: str | None = None  #: the content decision reviewed (issue 25); None: a sanction
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        data = _review_subject_out(_payload(self, self._fields[:-1]))
        if self.seat is None:  # an older event has no seat: written back as it was (same bytes, same hash)
            del data["seat"]
        return data

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> AssessmentFiled:
        return cls(*_read(cls, _review_subject_in(payload)))


@_event(EventType.REVIEW_DECIDED, personal=("decided_by", "backdated_reason"))
class ReviewDecided(NamedTuple):
    id: str
    sanction: str | None  #: None: a review of a content decision (``content_decision``)
    outcome: str
    rationale: str
    decided_by: str | None = None
    ends_at: str | None = None
    next_review_at: str | None = None
    assessments: int = 0
    quorum: int = 0
    probation: str | None = None
    #: A backdated decision's reason, by reference to ``personal_data``; in the payload only when set.
    backdated_reason: PersonalRef | None = None
    content_decision: str | None = None  #: the content decision reviewed (issue 25); None: a sanction
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _review_subject_out(_backdated_out(_payload(self, self._fields[:-1])))

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ReviewDecided:
        return _backdated_in(cls(*_read(cls, _review_subject_in(payload))))


@_event(EventType.APPEAL_FILED, personal=("requester", "statement"))
class AppealFiled(NamedTuple):
    """An appeal filed against a sanction, or (``sanction`` None, ``extra["content_decision"]``: its
    id) a complaint about a content decision."""

    id: str
    operator: str
    sanction: str | None
    kind: str
    requester: str
    relation: str
    channel: str
    meeting_requested: bool
    #: The text in events written before issue 21; a reference to ``personal_data`` since.
    statement: str | PersonalRef
    received_at: str | None
    deadline_at: str | None
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        data = _payload(self, self._fields[:-1])
        data["statement"] = ref_out(self.statement)
        return data

    @property
    def content_decision(self) -> str | None:
        """The content decision complained about (None: the appeal is against ``sanction``)."""
        found: str | None = self.extra.get("content_decision")
        return found

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> AppealFiled:
        event = cls(*_read(cls, payload))
        return event._replace(statement=ref_in(event.statement))


@_event(EventType.APPEAL_ATTACHED)
class AppealAttached(NamedTuple):
    id: str
    review: str
    sanction: str
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> AppealAttached:
        return cls(*_read(cls, payload))


@_event(EventType.APPEAL_DECIDED, personal=("reply", "decided_by", "backdated_reason"))
class AppealDecided(NamedTuple):
    """An appeal decided; about a content decision: ``sanction`` None, ``extra["content_decision"]``."""

    id: str
    sanction: str | None
    outcome: str
    rationale: str
    #: The text in events written before issue 21; a reference to ``personal_data`` since.
    reply: str | PersonalRef
    decided_by: str | None = None
    handling_seconds: int | None = None
    lifted: bool = False
    #: A backdated decision's reason, by reference to ``personal_data``; in the payload only when set.
    backdated_reason: PersonalRef | None = None
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        data = _backdated_out(_payload(self, self._fields[:-1]))
        data["reply"] = ref_out(self.reply)
        return data

    @property
    def content_decision(self) -> str | None:
        """The content decision complained about (None: the appeal is against ``sanction``)."""
        found: str | None = self.extra.get("content_decision")
        return found

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> AppealDecided:
        event = _backdated_in(cls(*_read(cls, payload)))
        return event._replace(reply=ref_in(event.reply))


@_event(EventType.DISPUTE_RECORDED, personal=("body", "summary"))
class DisputeRecorded(NamedTuple):
    id: str
    appeal: str
    operator: str
    #: The texts in events written before issue 21; references to ``personal_data`` since (an
    #: empty summary stays "").
    body: str | PersonalRef
    submitted_at: str | None
    decided_at: str | None = None
    outcome: str = "pending"
    summary: str | PersonalRef = ""
    update: bool = False
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        data = _payload(self, self._fields[:-1])
        data["body"] = ref_out(self.body)
        data["summary"] = ref_out(self.summary)
        return data

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> DisputeRecorded:
        event = cls(*_read(cls, payload))
        return event._replace(body=ref_in(event.body), summary=ref_in(event.summary))


@_event(EventType.VIOLATION_RECORDED)
class ViolationRecorded(NamedTuple):
    id: str
    external_id: str
    operator: str
    platform: str
    account: str
    identity: str
    policy: str
    severity: str
    category: str
    facts: str
    occurred_at: str | None
    automated: dict[str, Any]
    strike: dict[str, Any]
    sanction: str | None = None
    probation: str | None = None
    answered_at: str | None = None
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        # Written out: a group commit of violations makes one per violation.
        data = {
            "id": self[0],
            "external_id": self[1],
            "operator": self[2],
            "platform": self[3],
            "account": self[4],
            "identity": self[5],
            "policy": self[6],
            "severity": self[7],
            "category": self[8],
            "facts": self[9],
            "occurred_at": self[10],
            "automated": self[11],
            "strike": self[12],
            "sanction": self[13],
            "probation": self[14],
            "answered_at": self[15],
        }
        if self[16]:
            data.update(self[16])
        return data

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ViolationRecorded:
        return cls(*_read(cls, payload))


@_event(EventType.PROBATION_STARTED)
class ProbationStarted(NamedTuple):
    id: str
    operator: str
    identity: str
    scope: list[str]
    starts_at: str
    until: str
    duration: str
    ladder: dict[str, Any]
    sanction: str | None = None
    source: str = ""
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ProbationStarted:
        return cls(*_read(cls, payload))


@_event(EventType.AMNESTY_STARTED, personal=("by", "backdated_reason"))
class AmnestyStarted(NamedTuple):
    id: str
    operator: str
    filter: dict[str, Any]
    reason: str
    effective_at: str
    matched: int
    by: str
    started_at: str
    #: A backdated amnesty's reason, by reference to ``personal_data``; in the payload only when set.
    backdated_reason: PersonalRef | None = None
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _backdated_out(_payload(self, self._fields[:-1]))

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> AmnestyStarted:
        return _backdated_in(cls(*_read(cls, payload)))


@_event(EventType.AMNESTY_COMPLETED)
class AmnestyCompleted(NamedTuple):
    id: str
    lifted: int
    skipped: int
    finished_at: str
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> AmnestyCompleted:
        return cls(*_read(cls, payload))


@_event(EventType.AMNESTY_REVERT_STARTED, personal=("by",))
class AmnestyRevertStarted(NamedTuple):
    id: str
    reason: str
    by: str
    started_at: str
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> AmnestyRevertStarted:
        return cls(*_read(cls, payload))


@_event(EventType.AMNESTY_REVERTED)
class AmnestyReverted(NamedTuple):
    id: str
    restored: int
    left_alone: int
    finished_at: str
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> AmnestyReverted:
        return cls(*_read(cls, payload))


@_event(EventType.MEMBER_CREATED, personal=("name",))
class MemberCreated(NamedTuple):
    id: str
    name: str  #: the member id since issue 21 (the name is in the members table); older events: the name
    role: str
    operator: str | None
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> MemberCreated:
        return cls(*_read(cls, payload))


@_event(EventType.MEMBER_DISABLED)
class MemberDisabled(NamedTuple):
    id: str
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> MemberDisabled:
        return cls(*_read(cls, payload))


@_event(EventType.MEMBER_ENABLED)
class MemberEnabled(NamedTuple):
    id: str
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> MemberEnabled:
        return cls(*_read(cls, payload))


@_event(EventType.MEMBER_PASSWORD_CHANGED)
class MemberPasswordChanged(NamedTuple):
    id: str
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> MemberPasswordChanged:
        return cls(*_read(cls, payload))


@_event(EventType.SANCTION_STARTED)
class SanctionStarted(NamedTuple):
    sanction: str
    subject: dict[str, str]
    starts_at: str | None
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> SanctionStarted:
        return cls(*_read(cls, payload))


@_event(EventType.SANCTION_ENDED)
class SanctionEnded(NamedTuple):
    sanction: str
    subject: dict[str, str]
    ends_at: str | None
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> SanctionEnded:
        return cls(*_read(cls, payload))


@_event(EventType.REVIEW_DUE)
class ReviewDue(NamedTuple):
    sanction: str
    subject: dict[str, str]
    review_at: str | None
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ReviewDue:
        return cls(*_read(cls, payload))


@_event(EventType.APPEAL_OVERDUE)
class AppealOverdue(NamedTuple):
    appeal: str
    #: None: a complaint about a content decision (``extra["content_decision"]``)
    sanction: str | None
    kind: str
    received_at: str | None
    target: str
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> AppealOverdue:
        return cls(*_read(cls, payload))


@_event(EventType.PROBATION_ENDED)
class ProbationEnded(NamedTuple):
    probation: str
    identity: str
    sanction: str | None
    platforms: list[str]
    until: str | None
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ProbationEnded:
        return cls(*_read(cls, payload))


@_event(EventType.APPEAL_TARGET_SET)
class AppealTargetSet(NamedTuple):
    operator: str
    appeal_target: str
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> AppealTargetSet:
        return cls(*_read(cls, payload))


@_event(EventType.WEBHOOK_CREATED)
class WebhookCreated(NamedTuple):
    id: str
    operator: str
    url: str
    event_types: list[str]
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> WebhookCreated:
        return cls(*_read(cls, payload))


@_event(EventType.WEBHOOK_DISABLED)
class WebhookDisabled(NamedTuple):
    id: str
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> WebhookDisabled:
        return cls(*_read(cls, payload))


@_event(EventType.WEBHOOK_ENABLED)
class WebhookEnabled(NamedTuple):
    id: str
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> WebhookEnabled:
        return cls(*_read(cls, payload))


@_event(EventType.WEBHOOK_DELETED)
class WebhookDeleted(NamedTuple):
    id: str
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> WebhookDeleted:
        return cls(*_read(cls, payload))


@_event(EventType.WEBHOOK_REDELIVERY_REQUESTED)
class WebhookRedeliveryRequested(NamedTuple):
    id: str
    delivery: str
    seq: int
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> WebhookRedeliveryRequested:
        return cls(*_read(cls, payload))


@_event(EventType.BROKER_ENABLED)
class BrokerEnabled(NamedTuple):
    kind: str
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> BrokerEnabled:
        return cls(*_read(cls, payload))


@_event(EventType.PERSON_ERASED, personal=("requesters", "references", "documents"))
class PersonErased(NamedTuple):
    """Personal data of one person within one operator was blanked beside the log (on request, or
    by the retention period): which references, of which kinds, how many; never the data. The
    envelope's actor says who did it. Projected nowhere: the projections hold no personal data."""

    operator: str
    cause: str  #: ``request`` (an admin asked) or ``retention`` (the worker purged a closed case)
    requesters: list[str]  #: appeal requester references (``rqr_...``) blanked
    references: list[str]  #: personal-data references (``pd_...``) blanked
    accounts: list[str]  #: accounts (``platform/account``) whose display names were blanked
    kinds: list[str]  #: the kinds of what was blanked (``appeal.statement``, ``requester.contact``...)
    total: int  #: how many things were blanked
    #: Issued documents (``stm_...``) whose texts were blanked (issue 23); in the payload only when
    #: some were, so that every other payload is as it always was.
    documents: Sequence[str] = ()
    #: Notifiers (``ntf_...``) whose name and e-mail were blanked (issue 26); in the payload only
    #: when some were.
    notifiers: Sequence[str] = ()
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        data = _payload(self, self._fields[:-1])
        if not self.documents:
            del data["documents"]
        if not self.notifiers:
            del data["notifiers"]
        return data

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> PersonErased:
        return cls(*_read(cls, payload))


@_event(EventType.RETENTION_SET)
class RetentionSet(NamedTuple):
    """How long an operator keeps the personal data of a closed case (None: the default), or, with
    ``of`` = ``evidence``, the evidence of its content decisions (issue 24; absent in the payloads
    of the personal data's, as they always were)."""

    operator: str
    retention: str | None
    of: str | None = None
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        data = _payload(self, self._fields[:-1])
        if data["of"] is None:
            del data["of"]
        return data

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> RetentionSet:
        return cls(*_read(cls, payload))


@_event(EventType.LOG_CHECKPOINTED)
class LogCheckpointed(NamedTuple):
    """``reprieve audit cut-over`` moved the personal data of the events up to ``head_seq`` out of
    the chain; their stored hashes stay, and ``digest`` (signed) proves them as they now are."""

    head_seq: int
    head_hash: str
    rewritten: int
    digest: str
    signature: str
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> LogCheckpointed:
        return cls(*_read(cls, payload))


@_event(EventType.STATEMENT_ISSUED)
class StatementIssued(NamedTuple):
    """A statement of reasons was issued for a decision (PRODUCT.md section 8): which document
    (``issued_documents``), for which decision (the seq of its event) on which sanction, or on which
    content decision (``content_decision``, PRODUCT.md section 9: then no ``sanction``), in which
    language and format, and the SHA-256 of its JSON as issued (its pages are renderings of that
    JSON); never its text. A payload names only the one it is about: a sanction's is as it always was."""

    id: str
    operator: str
    decision: int  #: the seq of the decision's event
    language: str
    format: int
    sha256: str
    sanction: str | None = None
    content_decision: str | None = None
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _about(_payload(self, self._fields[:-1]))

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> StatementIssued:
        return cls(*_read(cls, payload))

    @property
    def about(self) -> str:
        """The id of the sanction or content decision it is about."""
        return self.content_decision or self.sanction or ""


def _about(data: dict[str, Any]) -> dict[str, Any]:
    """A statement event's payload names the sanction or the content decision it is about, not both."""
    if data.get("content_decision") is None:
        data.pop("content_decision", None)
    if data.get("sanction") is None:
        data.pop("sanction", None)
    return data


@_event(EventType.STATEMENT_DELIVERED)
class StatementDelivered(NamedTuple):
    """The platform reported that an issued statement reached its user (PRODUCT.md section 8,
    "The user is informed"): which statement, of which sanction (or content decision,
    ``content_decision``: then no ``sanction``), when (``delivered_at``, a fact from outside) and
    by which channel (a short code). The first receipt counts; no later one is recorded. No
    personal data: the address it went to is the platform's business."""

    id: str  #: the statement's id
    operator: str
    delivered_at: str
    channel: str
    sanction: str | None = None
    content_decision: str | None = None
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _about(_payload(self, self._fields[:-1]))

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> StatementDelivered:
        return cls(*_read(cls, payload))

    @property
    def about(self) -> str:
        """The id of the sanction or content decision its statement is about."""
        return self.content_decision or self.sanction or ""


@_event(EventType.ORDER_INFORMATION_ISSUED)
class OrderInformationIssued(NamedTuple):
    """The information of DSA art. 9(5) was issued for a decision giving effect to an authority's
    order, instead of a statement of reasons (art. 17(5)): which document (``issued_documents``),
    for which decision, and the SHA-256 of its JSON (the document of record); never its text."""

    id: str
    operator: str
    sanction: str
    decision: int  #: the seq of the decision's event
    language: str
    format: int
    sha256: str
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> OrderInformationIssued:
        return cls(*_read(cls, payload))


@_event(EventType.CONTENT_DECIDED, personal=("backdated_reason",))
class ContentDecided(NamedTuple):
    """A decision about an item (PRODUCT.md section 9): the item as the platform described it (its
    author first of all: an item keeps the author it was first recorded with), what was decided
    (``kind``, ``kind_other`` for ``other``), where (``territorial_scope``: EEA countries, empty:
    everywhere), its first term, why (``reason``) and how (``automated``), and whether it counts as
    a strike against the author. Never the content itself, nor its evidence (kept beside the log)."""

    id: str
    operator: str
    item: dict[str, Any]  #: {platform, item, account, content_type, content_date, language}
    kind: str
    starts_at: str
    ends_at: str | None
    reason: dict[str, Any]
    automated: dict[str, Any]
    kind_other: str | None = None
    territorial_scope: Sequence[str] = ()  #: read as a list: a payload holds lists
    strike: bool = False
    backdated_reason: PersonalRef | None = None
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        # Written out, the fields unpacked at once: a bulk import makes one per decision.
        (id, operator, item, kind, starts_at, ends_at, reason, automated, other, scope, strike, backdated, extra) = self
        data: dict[str, Any] = {
            "id": id,
            "operator": operator,
            "item": item,
            "kind": kind,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "reason": reason,
            "automated": automated,
            "territorial_scope": list(scope),
            "strike": strike,
        }
        if other is not None:
            data["kind_other"] = other
        if backdated is not None:
            data["backdated_reason"] = ref_out(backdated)
        if extra:
            data.update(extra)
        return data

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ContentDecided:
        return _backdated_in(cls(*_read(cls, payload)))


@_event(EventType.CONTENT_AMENDED, personal=("backdated_reason",))
class ContentAmended(NamedTuple):
    """A content decision's new term from the event's ``effective_at``: its kind, end and territorial
    scope as they are from then on (whole, not a difference)."""

    id: str
    kind: str
    ends_at: str | None = None
    territorial_scope: Sequence[str] = ()
    reason: str = ""
    backdated_reason: PersonalRef | None = None
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        data = _payload(self, self._fields[:-1])
        data["territorial_scope"] = list(self.territorial_scope)
        return _backdated_out(data)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ContentAmended:
        return _backdated_in(cls(*_read(cls, payload)))


@_event(EventType.CONTENT_RESTORED, personal=("backdated_reason",))
class ContentRestored(NamedTuple):
    """The item restored from the event's ``effective_at``: the decision is over (its "lift")."""

    id: str
    reason: str = ""
    backdated_reason: PersonalRef | None = None
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _backdated_out(_payload(self, self._fields[:-1]))

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ContentRestored:
        return _backdated_in(cls(*_read(cls, payload)))


@_event(EventType.EVIDENCE_FORGOTTEN)
class EvidenceForgotten(NamedTuple):
    """The worker forgot, in one pass, the evidence of an operator's content decisions whose
    ``retention`` (an ISO 8601 duration: the operator's, or the default) had passed and about whose
    items no complaint or dispute was possible or open (PRODUCT.md section 9). Ids only: each item
    ``{platform, item, decisions}`` with the ids of the decisions whose evidence was dropped; never
    the evidence's reference or hash, which were never in the log."""

    operator: str
    retention: str
    items: list[dict[str, Any]]  #: [{platform, item, decisions: [id, ...]}], in item order
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> EvidenceForgotten:
        return cls(*_read(cls, payload))


@_event(EventType.CASE_OPENED)
class CaseOpened(NamedTuple):
    """A case opened for the item or the account ``about`` (``{item: id}`` or ``{account: id}``) on
    ``platform``: the notices about it that are open at the same time join it."""

    id: str
    operator: str
    platform: str
    about: dict[str, str]
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> CaseOpened:
        return cls(*_read(cls, payload))


@_event(EventType.NOTICE_RECEIVED, personal=("notifier", "explanation", "location", "legal_ground"))
class NoticeReceived(NamedTuple):
    """A notice (DSA art. 16) received, joining the open case ``case`` of its subject, with the
    receipt (art. 16(4)) recorded for its notifier. Ids, codes and flags only: the notifier's name
    and e-mail sit in ``notice_notifiers`` (``notifier`` is its reference), the explanation, the
    location and the law named in ``personal_data`` (the fields hold ``{"ref": ...}``)."""

    id: str
    operator: str
    platform: str
    case: str
    about: dict[str, str]  #: {item: id} or {account: id}
    category: str
    illegal: bool
    channel: str
    notifier: str  #: reference into notice_notifiers (ntf_...)
    notifier_kind: str
    received_at: str
    receipt: str  #: the receipt's id (rcp_...)
    language: str  #: the receipt's language
    explanation: PersonalRef
    location: PersonalRef
    legal_ground: PersonalRef | None = None
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        data = _payload(self, self._fields[:-1])
        for name in ("explanation", "location", "legal_ground"):
            data[name] = ref_out(data[name])
        return data

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> NoticeReceived:
        event = cls(*_read(cls, payload))
        return event._replace(
            explanation=ref_in(event.explanation),
            location=ref_in(event.location),
            legal_ground=ref_in(event.legal_ground),
        )


@_event(EventType.CASE_DECIDED, personal=("rationale",))
class CaseDecided(NamedTuple):
    """A case decided (art. 16(5)): all its open notices together (each has its ``notice.decided``
    right after), with one ``action`` and the decision it took or referenced (``content_decision``
    or ``sanction``; neither for ``no_action``); whether automated means were used; a referral
    of a suspected offence threatening life or safety (art. 18), if any. The rationale is kept in
    ``personal_data`` (``{"ref": ...}``)."""

    id: str
    operator: str
    action: str  #: content_decision, sanction or no_action
    content_decision: str | None
    sanction: str | None
    automated: bool
    referral: dict[str, str] | None  #: {authority, member_state}: an authority, not a person
    notices: list[str]  #: the notices decided, oldest first
    rationale: PersonalRef
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        data = _payload(self, self._fields[:-1])
        data["rationale"] = ref_out(data["rationale"])
        return data

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> CaseDecided:
        event = cls(*_read(cls, payload))
        return event._replace(rationale=ref_in(event.rationale))


@_event(EventType.NOTICE_DECIDED, personal=("reply", "disclosure_reason"))
class NoticeDecided(NamedTuple):
    """A notice decided with its case ``case``: the reply recorded for its notifier (in
    ``personal_data``) and whether the notifier's identity is disclosed to the affected user
    (art. 17(3)(b)), with its reason (in ``personal_data``) when it is."""

    id: str
    operator: str
    case: str
    reply: PersonalRef
    disclosed: bool
    disclosure_reason: PersonalRef | None = None
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        data = _payload(self, self._fields[:-1])
        for name in ("reply", "disclosure_reason"):
            data[name] = ref_out(data[name])
        return data

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> NoticeDecided:
        event = cls(*_read(cls, payload))
        return event._replace(reply=ref_in(event.reply), disclosure_reason=ref_in(event.disclosure_reason))


@_event(EventType.CASE_REOPENED)
class CaseReopened(NamedTuple):
    """A decided case reopened for a new decision, with its notices (``notices``), by the grant of
    a notifier's complaint ``appeal`` about its decision (art. 20(1))."""

    id: str
    operator: str
    appeal: str
    notices: list[str]
    extra: Mapping[str, Any] = NO_EXTRA

    def to_payload(self) -> dict[str, Any]:
        return _payload(self, self._fields[:-1])

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> CaseReopened:
        return cls(*_read(cls, payload))


class UnknownEvent(NamedTuple):
    """An event of a type this code does not know (written by a newer version): read as it is,
    applied to nothing, as the projector did with types it had no handler for."""

    type: str
    payload: Mapping[str, Any]

    def to_payload(self) -> dict[str, Any]:
        return dict(self.payload)


#: Any typed event.
Event = (
    OperatorCreated
    | PlatformCreated
    | AccountRegistered
    | AccountRenamed
    | IdentitiesLinked
    | SanctionImposed
    | SanctionAmended
    | SanctionLifted
    | TokenCreated
    | TokenRevoked
    | ReviewOpened
    | AssessmentFiled
    | ReviewDecided
    | AppealFiled
    | AppealAttached
    | AppealDecided
    | DisputeRecorded
    | ViolationRecorded
    | ProbationStarted
    | AmnestyStarted
    | AmnestyCompleted
    | AmnestyRevertStarted
    | AmnestyReverted
    | MemberCreated
    | MemberDisabled
    | MemberEnabled
    | MemberPasswordChanged
    | SanctionStarted
    | SanctionEnded
    | ReviewDue
    | AppealOverdue
    | ProbationEnded
    | AppealTargetSet
    | WebhookCreated
    | WebhookDisabled
    | WebhookEnabled
    | WebhookDeleted
    | WebhookRedeliveryRequested
    | BrokerEnabled
    | PersonErased
    | RetentionSet
    | LogCheckpointed
    | StatementIssued
    | StatementDelivered
    | OrderInformationIssued
    | ContentDecided
    | ContentAmended
    | ContentRestored
    | EvidenceForgotten
    | CaseOpened
    | NoticeReceived
    | CaseDecided
    | NoticeDecided
    | CaseReopened
    | UnknownEvent
)


def parse_event(type_: str, payload: Mapping[str, Any]) -> Event:
    """The typed event of a recorded ``type_`` and payload, of whichever version it was written in."""
    known = EVENT_CLASSES.get(type_)
    if known is None:
        return UnknownEvent(type_, payload)
    event: Event = known.from_payload(payload)
    return event
