"""Every field of every event class is classified: personal data (or a reference to it), declared
on the class (``domain.events.PERSONAL_FIELDS``), or one of the fields below, which say why they
are not. A new event class, or a new field, that carries text fails here until it is classified:
the hash-chained log can never forget, so what a person may ask to erase must be known (issue 21).
"""

from __future__ import annotations

import json
import typing

import pytest

from reprieve.domain.events import EVENT_TYPES, PERSONAL_FIELDS
from reprieve.runtime.webhooks import public_event

#: Fields that hold no personal data, by name, and why.
NOT_PERSONAL: dict[str, str] = {
    # identifiers made by Reprieve or the platform
    "id": "an id",
    "identity": "an identity id",
    "operator": "an operator id",
    "platform": "a platform id",
    "platforms": "platform ids",
    "sanction": "a sanction id",
    "content_decision": "a content decision id",
    "review": "a review id",
    "appeal": "an appeal id",
    "delivery": "a delivery id",
    "merged": "identity ids",
    "probation": "a probation id",
    "strike": "a strike's id and counts",
    "external_id": "the platform's id of the violation",
    "item": "the platform's item id, its author's handle (the record's subject), content codes and date",
    # the account a decision is about: the pseudonymous handle the platform gave, the subject of
    # the record, kept as long as the record (docs/privacy.md)
    "account": "the platform's account handle, the record's subject",
    "accounts": "account handles, the record's subject",
    "subject": "the platform's account handle, the record's subject",
    # codes, enumerations, numbers, instants
    "kind": "an enumeration",
    "channel": "an enumeration",
    "relation": "an enumeration",
    "outcome": "an enumeration",
    "risk": "an enumeration",
    "role": "an enumeration",
    "severity": "an enumeration",
    "source": "an enumeration",
    "category": "a code",
    "policy": "a policy id",
    "ladder": "a ladder's name",
    "factors": "codes",
    "denies": "capability codes",
    "kind_other": "what a decision of kind other does, in the platform's words about its action",
    "territorial_scope": "country codes",
    "capabilities": "capability codes",
    "scope": "platform ids",
    "event_types": "event type names",
    "automated": "codes and flags",
    "hold_until_review": "a flag: the term is held until its review (issue 22)",
    "filter": "an amnesty's filter: codes, ids, instants",
    "duration": "an ISO 8601 duration",
    "target": "an ISO 8601 duration",
    "appeal_target": "an ISO 8601 duration",
    "retention": "an ISO 8601 duration",
    "cause": "an enumeration",
    "kinds": "kinds of personal data, codes",
    "url": "the operator's webhook endpoint",
    "answered_at": "an instant",
    "deadline_at": "an instant",
    "decided_at": "an instant",
    "delivered_at": "an instant",
    "due_at": "an instant",
    "effective_at": "an instant",
    "ends_at": "an instant",
    "expires_at": "an instant",
    "finished_at": "an instant",
    "next_review_at": "an instant",
    "occurred_at": "an instant",
    "received_at": "an instant",
    "review_at": "an instant",
    "started_at": "an instant",
    "starts_at": "an instant",
    "submitted_at": "an instant",
    "until": "an instant",
    # the grounds of a decision, which the statement of reasons must state (DSA art. 17) and
    # which must not name a person: the console and the API say so where they are written
    "reason": "a decision's grounds (DSA art. 17), written not to name people",
    "rationale": "a decision's grounds, written not to name people",
    "facts": "a violation's grounds, written not to name people",
}
#: Names that are an organisation's or a service's, not a person's.
NOT_PERSONAL_BY_TYPE: dict[tuple[str, str], str] = {
    ("operator.created", "name"): "an organisation's name",
    ("platform.created", "name"): "a service's name",
    ("log.checkpointed", "head_hash"): "a SHA-256 of the log's old head",
    ("log.checkpointed", "digest"): "a SHA-256 over the rewritten prefix",
    ("log.checkpointed", "signature"): "an HMAC of the checkpoint",
    ("statement.issued", "language"): "a language code (en, fr)",
    ("statement.issued", "sha256"): "a SHA-256 of the statement as issued (its text is beside the log)",
    ("retention.set", "of"): "what the retention applies to: evidence (absent: personal data)",
    ("evidence.forgotten", "items"): "the platform's item ids and the ids of the decisions about them",
    ("order_information.issued", "language"): "a language code (en)",
    ("order_information.issued", "sha256"): "a SHA-256 of the art. 9(5) information as issued (beside the log)",
    ("case.opened", "about"): "the platform's item id or account handle, the record's subject",
    ("notice.received", "about"): "the platform's item id or account handle, the record's subject",
    ("notice.received", "case"): "a case id",
    ("notice.received", "notifier_kind"): "an enumeration (individual, entity)",
    ("notice.received", "receipt"): "a receipt id",
    ("notice.received", "language"): "a language code (en, fr)",
    ("person.erased", "notifiers"): "notifier references (ntf_...), never their data",
    ("case.decided", "action"): "an enumeration (content_decision, sanction, no_action)",
    ("case.decided", "referral"): "an authority's name and an EEA country code (art. 18), no person",
    ("case.decided", "notices"): "notice ids",
    ("notice.decided", "case"): "a case id",
    ("case.reopened", "notices"): "notice ids",
}
#: Fields that are not text (flags, counts).
NOT_TEXT: set[object] = {bool, int, bool | None, int | None}


def _fields() -> list[tuple[str, type, str, object]]:
    rows = []
    for cls, type_ in EVENT_TYPES.items():
        hints = typing.get_type_hints(cls)
        for name in cls._fields[:-1]:
            rows.append((type_.value, cls, name, hints[name]))
    return rows


@pytest.mark.parametrize(("type_", "cls", "field", "annotation"), _fields(), ids=lambda v: str(v))
def test_every_field_is_classified(type_: str, cls: type, field: str, annotation: object) -> None:
    if field in PERSONAL_FIELDS[cls]:
        return
    if annotation in NOT_TEXT:
        return
    assert field in NOT_PERSONAL or (type_, field) in NOT_PERSONAL_BY_TYPE, (
        f"{cls.__name__}.{field} ({annotation}) is neither declared personal (@_event(..., personal=...)) "
        "nor listed here as not personal, with why"
    )


def test_the_declared_personal_data_are_what_the_issue_names() -> None:
    declared = {(EVENT_TYPES[cls].value, f) for cls, fields in PERSONAL_FIELDS.items() for f in fields}
    for expected in [
        ("appeal.filed", "statement"),
        ("appeal.decided", "reply"),
        ("appeal.decided", "decided_by"),
        ("review.opened", "panel"),
        ("account.registered", "display_name"),
        ("member.created", "name"),
        ("token.created", "name"),
    ]:
        assert expected in declared


@pytest.mark.parametrize("cls", [c for c, f in PERSONAL_FIELDS.items() if f], ids=lambda c: c.__name__)
def test_webhooks_and_the_broker_never_carry_a_declared_field(cls: type) -> None:
    type_ = EVENT_TYPES[cls].value
    payload = {field: "Jane Doe, jane@example.org" for field in cls._fields[:-1]}
    shown = public_event(1, type_, "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", "op", json.dumps(payload))
    assert not set(shown["data"]) & PERSONAL_FIELDS[cls]
    assert "Jane" not in json.dumps({k: v for k, v in shown["data"].items() if k in PERSONAL_FIELDS[cls]})
