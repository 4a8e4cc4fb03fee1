"""The two shapes a personal field has in the log: an old event's text, a new event's reference."""

from __future__ import annotations

import pytest

from reprieve.domain.events import (
    AccountRegistered,
    AccountRenamed,
    AppealDecided,
    AppealFiled,
    DisputeRecorded,
    canonical_json,
    parse_event,
)
from reprieve.domain.personal import PersonalRef, ref_id, ref_in, text_of

REF = PersonalRef("pd_01J0000000000000000000000A")

FILED = {
    "id": "apl_1",
    "operator": "meta",
    "sanction": "snc_1",
    "kind": "complaint",
    "requester": "rqr_1",
    "relation": "subject",
    "channel": "web",
    "meeting_requested": False,
    "received_at": "2024-01-01T00:00:00Z",
    "deadline_at": None,
}
DECIDED = {
    "id": "apl_1",
    "sanction": "snc_1",
    "outcome": "denied",
    "rationale": "r",
    "decided_by": "m",
    "handling_seconds": 5,
    "lifted": False,
}
DISPUTE = {
    "id": "dsp_1",
    "appeal": "apl_1",
    "operator": "meta",
    "submitted_at": "2024-01-02T00:00:00Z",
    "decided_at": None,
    "outcome": "pending",
    "update": False,
}
REGISTERED = {"platform": "facebook", "account": "a", "identity": "idt_1", "operator": "meta"}


@pytest.mark.parametrize(
    ("type_", "payload", "fields"),
    [
        ("appeal.filed", FILED, ("statement",)),
        ("appeal.decided", DECIDED, ("reply",)),
        ("dispute.recorded", DISPUTE, ("body", "summary")),
        ("account.registered", REGISTERED, ("display_name",)),
        ("account.renamed", {"platform": "facebook", "account": "a"}, ("display_name",)),
    ],
)
def test_old_text_and_new_references_both_read_and_write_back_the_same_bytes(
    type_: str, payload: dict[str, object], fields: tuple[str, ...]
) -> None:
    old = {**payload, **{f: "Some text of a person" for f in fields}}
    event = parse_event(type_, old)
    assert all(getattr(event, f) == "Some text of a person" for f in fields)
    assert canonical_json(event.to_payload()) == canonical_json(old)
    new = {**payload, **{f: {"ref": REF.id} for f in fields}}
    event = parse_event(type_, new)
    assert all(getattr(event, f) == REF for f in fields)
    assert canonical_json(event.to_payload()) == canonical_json(new)


def test_a_reference_is_only_an_object_with_ref_alone() -> None:
    assert ref_in({"ref": "pd_1"}) == PersonalRef("pd_1")
    assert ref_in({"ref": "pd_1", "other": 1}) == {"ref": "pd_1", "other": 1}
    assert ref_in('{"ref": "pd_1"}') == '{"ref": "pd_1"}'  # text that looks like one stays text
    assert (ref_id(REF), text_of(REF), ref_id("text"), text_of("text")) == (REF.id, None, None, "text")


def test_an_account_without_a_name_carries_null() -> None:
    event = AccountRegistered("facebook", "a", "idt_1", "meta")
    assert event.to_payload()["display_name"] is None
    assert AccountRenamed("facebook", "a", REF).to_payload()["display_name"] == {"ref": REF.id}
    assert AppealFiled(**{**FILED, "statement": REF}).to_payload()["statement"] == {"ref": REF.id}  # type: ignore[arg-type]
    assert AppealDecided(**{**DECIDED, "reply": REF}).to_payload()["reply"] == {"ref": REF.id}  # type: ignore[arg-type]
    assert DisputeRecorded(**{**DISPUTE, "body": REF}).to_payload()["summary"] == ""  # type: ignore[arg-type]
