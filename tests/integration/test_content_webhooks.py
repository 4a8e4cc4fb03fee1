"""Decisions on content go out like every other event (issue 24 item 1): a webhook subscriber gets
content.decided, content.amended and content.restored, signed, in order, without the backdated
decision's reason (kept outside the chain, only referenced by the event) nor the evidence (never in
the event). The broker (NATS) publishes the same ``public_event``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from webhook_support import Clock, Receiver, free_port, run_cycles

from reprieve.runtime.webhooks import public_event
from reprieve.services import content, webhooks
from reprieve.services.callers import Caller
from reprieve.store import outbox
from reprieve.store.db import Database

ACTOR = "test-suite"
WHY = "Decided at the weekend meeting, entered on Monday by Jane Doe."
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
REFERENCE = "https://snapshots.example/facebook/post-42"


@pytest.fixture(autouse=True)
def _local_receivers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The receiver listens on 127.0.0.1, which an installation must allow."""
    monkeypatch.setenv("REPRIEVE_WEBHOOK_ALLOW_NETWORKS", "127.0.0.1/32")


def test_a_subscriber_gets_content_events_without_personal_fields(
    db: Database, meta: str, reason: dict[str, Any], now: datetime
) -> None:
    clock = Clock(now)
    receiver = Receiver(free_port(), "a-shared-secret-of-the-receiver", clock)
    webhooks.create_webhook(
        db,
        webhooks.CreateWebhook(
            operator="meta",
            url=receiver.url,
            event_types=["content.decided", "content.amended", "content.restored"],
            secret=receiver.secret,
        ),
        caller=Caller(ACTOR, now=now),
    )
    command = content.DecideContent.parse(
        item={
            "platform": "facebook",
            "item": "post-42",
            "account": "alice",
            "content_type": ["CONTENT_TYPE_TEXT"],
            "content_date": "2024-04-30",
        },
        kind="removal",
        reason=reason,
        starts_at=now - timedelta(days=3),
        backdated_reason=WHY,
        evidence={"reference": REFERENCE, "sha256": SHA},
    )
    decided = content.decide_content(db, command, caller=Caller(ACTOR, now=now))
    content.amend_content(
        db, decided.id, content.AmendContent.parse(kind="label", reason="milder"), caller=Caller(ACTOR, now=now)
    )
    content.restore_content(
        db, decided.id, content.RestoreContent.parse(reason="complaint granted"), caller=Caller(ACTOR, now=now)
    )
    receiver.start()
    try:
        for _ in range(20):
            run_cycles(db, clock, 1, step=timedelta(seconds=10))
            with db.read() as conn:
                if outbox.depth(conn)[0] == 0:
                    break
        else:
            pytest.fail("the deliveries never drained")
    finally:
        receiver.stop()
    assert receiver.rejected == []
    events = [p["event"] for p in receiver.accepted]
    assert [e["type"] for e in events] == ["content.decided", "content.amended", "content.restored"]
    first = events[0]
    assert first["data"]["id"] == decided.id and first["data"]["item"]["item"] == "post-42"
    assert "backdated_reason" not in first["data"] and "actor" not in first
    assert events[1]["data"]["kind"] == "label"
    delivered = str(receiver.raw)
    assert WHY not in delivered and REFERENCE not in delivered and SHA not in delivered


def test_the_public_form_of_a_content_event_drops_the_backdated_reason() -> None:
    """What webhooks and the broker both send (``runtime.broker`` publishes ``public_event``)."""
    data = '{"id":"cd_1","kind":"removal","backdated_reason":{"ref":"pd_1"},"reason":"r"}'
    for type_ in ("content.decided", "content.amended", "content.restored"):
        shown = public_event(7, type_, "2024-06-01T12:00:00Z", "2024-06-01T12:00:00Z", "meta", data)
        assert "backdated_reason" not in shown["data"] and shown["data"]["id"] == "cd_1"
