"""M11: an appeal's ``received_at`` cannot be back-dated to distort the report or reopen a window.

It is never in the future and never before the sanction was decided; only a ``letter`` or an
``email`` may be dated before it is recorded (by its arrival), any other channel at most a few
minutes (clock skew), and only a letter's or an e-mail's date counts for the complaint window.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from api_support import World, reason
from sqlalchemy import func, select

from reprieve.domain.time import format_instant
from reprieve.store import tables
from reprieve.store.db import Database


def appeal(sanction: str, channel: str, received_at: str | None = None, kind: str = "complaint") -> dict[str, Any]:
    body: dict[str, Any] = {
        "sanction": sanction,
        "kind": kind,
        "channel": channel,
        "statement": "It was not me.",
        "filed_by": {"name": "Jane Roe", "relation": "subject"},
    }
    if received_at is not None:
        body["received_at"] = received_at
    return body


def appeals_recorded(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.appeals)).scalar_one())


def refused(answer: Any, field: str) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in answer.json()["errors"]] == [field], answer.text


def test_an_appeal_cannot_be_dated_before_the_sanction_was_decided(world: World) -> None:
    """The report's reproduction: a letter "received" in 2019 about a sanction imposed today."""
    w, h = world, world.headers["platform"]
    sanction = w.sanction("meta", duration="P1Y")  # imposed at the world's clock, 2024-06-01T12:00Z
    for channel in ("letter", "email", "api"):
        refused(
            w.client.post("/v1/appeals", headers=h, json=appeal(sanction["id"], channel, "2019-01-01T00:00:00Z")),
            "received_at",
        )
    refused(
        w.client.post("/v1/appeals", headers=h, json=appeal(sanction["id"], "letter", "2024-06-01T11:59:59Z")),
        "received_at",
    )
    assert appeals_recorded(w.db) == 0
    w.clock.advance(timedelta(days=3))
    # A letter that arrived after the decision, entered three days later: its arrival is kept.
    letter = w.client.post("/v1/appeals", headers=h, json=appeal(sanction["id"], "letter", "2024-06-02T09:00:00Z"))
    assert letter.status_code == 201, letter.text
    assert letter.json()["received_at"] == "2024-06-02T09:00:00Z"


def test_only_letters_and_emails_may_be_dated_before_they_are_recorded(world: World) -> None:
    w, h = world, world.headers["platform"]
    w.clock.advance(timedelta(days=10))
    now = w.clock()
    for channel in ("api", "web"):
        sanction = w.sanction("meta", duration="P1Y", starts_at="2024-06-01T12:00:00Z")
        refused(
            w.client.post(
                "/v1/appeals", headers=h, json=appeal(sanction["id"], channel, format_instant(now - timedelta(hours=1)))
            ),
            "received_at",
        )
        # A few minutes' difference between the platform's clock and ours is no back-dating.
        skewed = w.client.post(
            "/v1/appeals", headers=h, json=appeal(sanction["id"], channel, format_instant(now - timedelta(minutes=2)))
        )
        assert skewed.status_code == 201, skewed.text
    sanction = w.sanction("meta", duration="P1Y", starts_at="2024-06-01T12:00:00Z")
    email = w.client.post("/v1/appeals", headers=h, json=appeal(sanction["id"], "email", "2024-06-03T00:00:00Z"))
    assert email.status_code == 201, email.text
    # Never in the future, whatever the channel.
    other = w.sanction("meta", duration="P1Y")
    refused(
        w.client.post(
            "/v1/appeals", headers=h, json=appeal(other["id"], "letter", format_instant(now + timedelta(minutes=1)))
        ),
        "received_at",
    )


def test_a_back_dated_appeal_does_not_get_through_a_closed_window(world: World) -> None:
    """The report's second reproduction: an imported sanction of 2020-01-01, whose six-month window
    closed long ago; an ``api`` complaint dated 2020-02-01 is refused, and nothing is recorded."""
    w, h = world, world.headers["platform"]
    # Imported (issue 23: a sanction entered late today issues its statement today, and its window
    # runs from that), its user informed on 2020-01-01.
    row = {
        "subject": {"platform": "facebook", "account": w.unique("imported")},
        "kind": "suspension",
        "duration": "P100Y",
        "starts_at": "2020-01-01T00:00:00Z",
        "informed_at": "2020-01-01T00:00:00Z",
        "reason": reason(),
    }
    done = w.client.post("/v1/imports", headers=h, json={"sanctions": [row]})
    assert done.status_code == 201, done.text
    query = {"platform": "facebook", "account": row["subject"]["account"]}
    (old,) = w.client.get("/v1/sanctions", params=query, headers=h).json()["items"]
    refused(
        w.client.post("/v1/appeals", headers=h, json=appeal(old["id"], "api", "2020-02-01T00:00:00Z")), "received_at"
    )
    closed = w.client.post("/v1/appeals", headers=h, json=appeal(old["id"], "api"))
    refused(closed, "kind")
    assert "window closed" in closed.json()["detail"]
    assert appeals_recorded(w.db) == 0
    # A letter that did arrive within the window is still admissible when entered late.
    letter = w.client.post("/v1/appeals", headers=h, json=appeal(old["id"], "letter", "2020-02-01T00:00:00Z"))
    assert letter.status_code == 201, letter.text


def test_the_handling_time_of_the_report_cannot_be_inflated(world: World) -> None:
    """A denied appeal's handling time runs from a received_at no earlier than the decision."""
    w, h = world, world.headers["moderator"]
    sanction = w.sanction("meta", duration="P1Y")
    refused(
        w.client.post("/v1/appeals", headers=h, json=appeal(sanction["id"], "letter", "2019-01-01T00:00:00Z")),
        "received_at",
    )
    filed = w.client.post("/v1/appeals", headers=h, json=appeal(sanction["id"], "letter", "2024-06-01T12:00:00Z"))
    assert filed.status_code == 201, filed.text
    w.clock.advance(timedelta(minutes=1))
    decided = w.client.post(
        f"/v1/appeals/{filed.json()['id']}/decision",
        headers=h,
        json={"outcome": "denied", "rationale": "r", "reply": "r"},
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["decision"]["handling_seconds"] == 60
