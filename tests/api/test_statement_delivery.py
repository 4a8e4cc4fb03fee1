"""Delivery receipts of issued statements, and the day the user was told (issue 23 item 3,
PRODUCT.md section 8, "The user is informed"): ``POST /v1/statements/{id}/delivery`` by a
``platform`` token; the first receipt counts; the complaint window (DSA art. 20(2)) runs from the
delivery, or from the issue when none is recorded; a past ``as_of`` does not see a later receipt.
Every test runs on both backends (the ``db`` fixture)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from api_support import World, sanction_body
from sqlalchemy import func, select

from reprieve.domain.policy import MINIMUM_COMPLAINT_WINDOW
from reprieve.domain.time import format_instant, parse_instant
from reprieve.runtime.webhooks import public_event
from reprieve.store import tables


def _impose(w: World, account: str, **fields: Any) -> dict[str, Any]:
    created = w.client.post(
        "/v1/sanctions", headers=w.headers["moderator"], json=sanction_body("facebook", w.unique(account), **fields)
    )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def _statement(w: World, sanction_id: str) -> dict[str, Any]:
    listed = w.client.get(f"/v1/sanctions/{sanction_id}/statements", headers=w.headers["auditor"])
    assert listed.status_code == 200, listed.text
    items: list[dict[str, Any]] = listed.json()["items"]
    return items[-1]


def _deliver(
    w: World, statement_id: str, delivered_at: datetime | str, channel: str = "in_app", role: str = "platform"
):  # type: ignore[no-untyped-def]
    when = delivered_at if isinstance(delivered_at, str) else format_instant(delivered_at)
    return w.client.post(
        f"/v1/statements/{statement_id}/delivery",
        headers=w.headers[role],
        json={"delivered_at": when, "channel": channel},
    )


def _complain(w: World, sanction_id: str) -> Any:
    body = {
        "sanction": sanction_id,
        "kind": "complaint",
        "channel": "api",
        "statement": "I did nothing wrong.",
        "filed_by": {"name": "Someone"},
    }
    return w.client.post("/v1/appeals", json=body, headers=w.headers["platform"])


def _receipts(w: World) -> int:
    with w.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.statement_deliveries)).scalar_one())


def _events(w: World, type_: str) -> list[dict[str, Any]]:
    items = w.client.get("/v1/events", params={"limit": 1000}, headers=w.headers["auditor"]).json()["items"]
    return [e for e in items if e["type"] == type_]


def test_a_receipt_moves_the_complaint_deadline_the_day_before_is_accepted_the_day_after_refused(world: World) -> None:
    w = world
    delivered, undelivered, late = (_impose(w, name, duration="P2Y") for name in ("ann", "ben", "cat"))
    issued_at = parse_instant(_statement(w, delivered["id"])["issued_at"])
    # Without a receipt, the window runs from the issue.
    informed = w.client.get(f"/v1/sanctions/{undelivered['id']}", headers=w.headers["auditor"]).json()["informed"]
    assert informed["informed_at"] is None and informed["source"] == "issue"
    assert informed["window_from"] == format_instant(issued_at)
    assert informed["complaint_deadline"] == format_instant(MINIMUM_COMPLAINT_WINDOW.after(issued_at))

    # The platform delivers two of them 20 days later.
    w.clock.advance(timedelta(days=20))
    told = w.clock()
    for sanction in (delivered, late):
        answer = _deliver(w, _statement(w, sanction["id"])["id"], told, channel="email")
        assert answer.status_code == 201, answer.text
        assert answer.json()["recorded"] is True
    deadline = MINIMUM_COMPLAINT_WINDOW.after(told)
    assert deadline > MINIMUM_COMPLAINT_WINDOW.after(issued_at) + timedelta(days=19)
    informed = w.client.get(f"/v1/sanctions/{delivered['id']}", headers=w.headers["auditor"]).json()["informed"]
    assert informed == {
        "informed_at": format_instant(told),
        "channel": "email",
        "statement": _statement(w, delivered["id"])["id"],
        "source": "delivery",
        "window_from": format_instant(told),
        "complaint_deadline": format_instant(deadline),
    }

    # The day before the new deadline (long after the issue's six months): accepted...
    w.clock.now = deadline - timedelta(days=1)
    accepted = _complain(w, delivered["id"])
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["deadline_at"] == format_instant(deadline)
    # ...where the statement never delivered is past its window (which ran from its issue).
    refused = _complain(w, undelivered["id"])
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "kind", refused.text
    # The day after the new deadline: refused, naming it.
    w.clock.now = deadline + timedelta(days=1)
    after = _complain(w, late["id"])
    assert after.status_code == 422, after.text
    assert after.json()["errors"][0]["field"] == "kind" and format_instant(deadline) in after.json()["detail"]


def test_the_first_receipt_counts_and_a_later_one_changes_nothing(world: World) -> None:
    w = world
    sanction = _impose(w, "dan")
    statement = _statement(w, sanction["id"])
    w.clock.advance(timedelta(hours=3))
    first_at = w.clock() - timedelta(hours=1)
    first = _deliver(w, statement["id"], first_at, channel="in_app")
    assert first.status_code == 201, first.text
    assert first.json() == {
        "statement": statement["id"],
        "sanction": sanction["id"],
        "delivered_at": format_instant(first_at),
        "channel": "in_app",
        "recorded": True,
    }
    w.clock.advance(timedelta(days=2))
    again = _deliver(w, statement["id"], w.clock(), channel="post")
    assert again.status_code == 200, again.text
    assert again.json() == {**first.json(), "recorded": False}
    assert len([e for e in _events(w, "statement.delivered") if e["data"]["id"] == statement["id"]]) == 1
    listed = _statement(w, sanction["id"])
    assert (listed["delivered_at"], listed["channel"]) == (format_instant(first_at), "in_app")
    # The statement's bytes are untouched; the receipt is told in headers beside them.
    fetched = w.client.get(f"/v1/statements/{statement['id']}", headers=w.headers["auditor"])
    assert fetched.headers["etag"] == f'"{statement["sha256"]}"'
    assert fetched.headers["reprieve-delivered-at"] == format_instant(first_at)
    assert fetched.headers["reprieve-delivery-channel"] == "in_app"


def test_a_delivery_before_the_issue_or_in_the_future_or_by_a_bad_channel_is_refused_and_writes_nothing(
    world: World,
) -> None:
    w = world
    sanction = _impose(w, "eve")
    statement = _statement(w, sanction["id"])
    issued_at = parse_instant(statement["issued_at"])
    w.clock.advance(timedelta(days=1))
    before = _receipts(w)
    for when, channel, field in [
        (issued_at - timedelta(seconds=1), "in_app", "delivered_at"),
        (w.clock() + timedelta(minutes=5), "in_app", "delivered_at"),
        ("yesterday", "in_app", "delivered_at"),
        (w.clock(), "jane@example.org", "channel"),
        (w.clock(), "In App", "channel"),
        (w.clock(), "x" * 33, "channel"),
        (w.clock(), "", "channel"),
    ]:
        answer = _deliver(w, statement["id"], when, channel=channel)
        assert answer.status_code == 422, (when, channel, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert field in json.dumps(answer.json()), answer.text
    assert _receipts(w) == before
    assert _events(w, "statement.delivered") == []
    assert _statement(w, sanction["id"])["delivered_at"] is None


def test_only_a_platform_token_of_the_statements_operator_delivers(world: World) -> None:
    w = world
    sanction = _impose(w, "fay")
    statement = _statement(w, sanction["id"])
    for role in ("moderator", "admin", "reviewer", "auditor"):
        answer = _deliver(w, statement["id"], w.clock(), role=role)
        assert answer.status_code == 403, (role, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    other = _deliver(w, statement["id"], w.clock(), role="x-admin")
    assert other.status_code in (403, 404), other.text
    missing = _deliver(w, "stm_nothing", w.clock())
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")
    assert _receipts(w) == 0


def test_another_operators_platform_token_does_not_find_the_statement(world: World) -> None:
    from api_support import bearer

    from reprieve.domain.model import Role

    w = world
    sanction = _impose(w, "gus")
    statement = _statement(w, sanction["id"])
    x_platform = bearer(w.token(Role.PLATFORM, "x")["token"])
    answer = w.client.post(
        f"/v1/statements/{statement['id']}/delivery",
        headers=x_platform,
        json={"delivered_at": format_instant(w.clock()), "channel": "in_app"},
    )
    assert answer.status_code == 404, answer.text
    assert _receipts(w) == 0


def test_a_past_as_of_does_not_see_a_later_receipt(world: World) -> None:
    w = world
    sanction = _impose(w, "hal")
    statement = _statement(w, sanction["id"])
    w.clock.advance(timedelta(days=3))
    before_receipt = w.clock()
    w.clock.advance(timedelta(days=1))
    delivered_at = w.clock() - timedelta(hours=2)
    assert _deliver(w, statement["id"], delivered_at).status_code == 201
    path = f"/v1/sanctions/{sanction['id']}"
    then = {"as_of": format_instant(before_receipt)}
    past = w.client.get(path, params=then, headers=w.headers["auditor"]).json()["informed"]
    assert past["informed_at"] is None and past["source"] == "issue"
    now = w.client.get(path, headers=w.headers["auditor"]).json()["informed"]
    assert now["informed_at"] == format_instant(delivered_at)
    (listed_then,) = w.client.get(f"{path}/statements", params=then, headers=w.headers["auditor"]).json()["items"]
    assert listed_then["delivered_at"] is None
    preview_then = w.client.get(f"{path}/statement", params=then, headers=w.headers["auditor"]).json()
    preview_now = w.client.get(f"{path}/statement", headers=w.headers["auditor"]).json()
    assert json.dumps(preview_then["redress"]) != json.dumps(preview_now["redress"])


def test_an_imported_sanctions_window_runs_from_when_its_user_was_informed(world: World) -> None:
    w = world
    starts = w.clock() - timedelta(days=300)
    informed = starts + timedelta(days=200)
    row = {
        **sanction_body("facebook", w.unique("ida"), starts_at=format_instant(starts), duration="P2Y"),
        "informed_at": format_instant(informed),
    }
    done = w.client.post("/v1/imports", headers=w.headers["platform"], json={"sanctions": [row]})
    assert done.status_code == 201, done.text
    (sanction,) = w.client.get(
        "/v1/sanctions", params={"account": row["subject"]["account"]}, headers=w.headers["auditor"]
    ).json()["items"]
    got = w.client.get(f"/v1/sanctions/{sanction['id']}", headers=w.headers["auditor"]).json()["informed"]
    deadline = MINIMUM_COMPLAINT_WINDOW.after(informed)
    assert (got["source"], got["informed_at"], got["complaint_deadline"]) == (
        "import",
        format_instant(informed),
        format_instant(deadline),
    )
    # 300 days after its start (past six months from it), within six months of the user being told.
    filed = _complain(w, sanction["id"])
    assert filed.status_code == 201, filed.text
    assert filed.json()["deadline_at"] == format_instant(deadline)


def test_the_webhook_outbox_gets_statement_issued_by_reference_only(world: World) -> None:
    w = world
    created = w.client.post(
        "/v1/webhooks",
        headers=w.headers["admin"],
        json={"url": "https://hooks.example/reprieve", "event_types": ["statement.issued", "statement.delivered"]},
    )
    assert created.status_code == 201, created.text
    sanction = _impose(w, "jo")
    statement = _statement(w, sanction["id"])
    assert _deliver(w, statement["id"], w.clock()).status_code == 201
    o, e = tables.outbox.c, tables.events.c
    with w.db.read() as conn:
        rows = conn.execute(
            select(e.seq, e.type, e.at, e.effective_at, e.operator_id, e.data)
            .join(tables.outbox, o.seq == e.seq)
            .where(o.target == created.json()["id"])
            .order_by(e.seq)
        ).all()
    payloads = [public_event(*row) for row in rows]
    assert [p["type"] for p in payloads] == ["statement.issued", "statement.delivered"]
    issued, delivered = (p["data"] for p in payloads)
    assert issued["id"] == statement["id"] and issued["sanction"] == sanction["id"]
    assert set(issued) == {"id", "operator", "sanction", "decision", "language", "format", "sha256"}
    assert delivered == {
        "id": statement["id"],
        "operator": "meta",
        "sanction": sanction["id"],
        "delivered_at": format_instant(w.clock()),
        "channel": "in_app",
    }
    # By reference: neither the text, the account's display name nor anything the user wrote.
    text = json.dumps(payloads)
    assert "Praise of ongoing violence" not in text and sanction["subject"]["account"] not in text
