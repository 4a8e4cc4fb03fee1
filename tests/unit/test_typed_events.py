"""Typed events: one class per event type, with a payload version, written as the log holds it."""

from __future__ import annotations

from datetime import UTC, datetime

from reprieve.domain.events import (
    EVENT_CLASSES,
    EVENT_TYPES,
    PAYLOAD_VERSIONS,
    EventType,
    NewEvent,
    SanctionImposed,
    parse_event,
)
from reprieve.domain.model import AccountRef


def test_every_event_type_has_one_class_with_a_payload_version() -> None:
    assert set(EVENT_CLASSES) == {t.value for t in EventType}
    assert all(EVENT_TYPES[cls] == type_ and PAYLOAD_VERSIONS[cls] >= 1 for type_, cls in EVENT_CLASSES.items())


def test_a_sanction_imposed_is_written_with_its_origin_and_read_back_alike() -> None:
    event = SanctionImposed.of(
        id="snc_1",
        operator="meta",
        identity="idt_1",
        subject=AccountRef("facebook", "alice"),
        scope=("facebook",),
        kind="suspension",
        denies=(),
        starts_at=datetime(2024, 6, 1, tzinfo=UTC),
        ends_at=None,
        review_at=None,
        reason={"ground": "incompatible_content"},
        automated={"detection": False},
        origin={"violation": "vio_1"},
    )
    new = NewEvent.of(event, event.starts_at, event.operator)
    assert new.type is EventType.SANCTION_IMPOSED and new.event is event
    assert new.data == {
        "id": "snc_1",
        "operator": "meta",
        "identity": "idt_1",
        "subject": {"platform": "facebook", "account": "alice"},
        "scope": ["facebook"],
        "kind": "suspension",
        "denies": [],
        "starts_at": "2024-06-01T00:00:00Z",
        "ends_at": None,
        "review_at": None,
        "reason": {"ground": "incompatible_content"},
        "automated": {"detection": False},
        "violation": "vio_1",
    }
    assert parse_event("sanction.imposed", new.data) == event


def test_a_sanction_imposed_of_the_first_shape_has_no_review() -> None:
    first = SanctionImposed("s", "o", "i", {}, [], "warning", [], "t", None, None, {}, {}).to_payload()
    del first["review_at"]
    event = parse_event("sanction.imposed", first)
    assert isinstance(event, SanctionImposed) and event.review_at is None
