"""The reads that take ``as_of`` since issue 22 item 1's rest: the dashboard's counts, the reviews
due, and the statement of reasons (PRODUCT.md section 8). On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from api_support import World

from reprieve.domain.time import parse_instant
from reprieve.services import dashboard
from reprieve.services.callers import Caller


def test_the_reviews_due_as_known_then(world: World) -> None:
    w, h = world, world.headers["moderator"]
    created = w.sanction("meta", duration="P30D", review_at="2024-06-05T00:00:00Z")  # recorded 2024-06-01T12:00
    sid = created["id"]
    w.clock.advance(timedelta(days=19))  # 2024-06-20T12:00: a review is opened, late
    opened = w.client.post(f"/v1/sanctions/{sid}/reviews", headers=h, json={"panel": ["expert-1"], "reason": "due"})
    assert opened.status_code == 201, opened.text
    w.clock.advance(timedelta(days=1))
    w.sanction(
        "meta", duration="P30D", starts_at="2024-06-06T00:00:00Z", review_at="2024-06-07T00:00:00Z"
    )  # recorded 2024-06-21: not known on the 10th

    def due(**params: str) -> list[str]:
        answer = w.client.get("/v1/reviews", params={"state": "due", **params}, headers=h)
        assert answer.status_code == 200, answer.text
        return [item["sanction"] for item in answer.json()["items"]]

    day = "2024-06-10T00:00:00Z"
    assert sid not in due(at=day)  # as we know it now: its review is open
    assert due(at=day, as_of=day) == [sid]  # as it stood: due, no review open, nothing else known
    # On the 10th as known on the 20th: the review opened on the 20th was not open on the 10th.
    assert due(at=day, as_of="2024-06-20T12:00:00Z") == [sid]
    assert due(at="2024-06-20T12:00:00Z", as_of="2024-06-20T12:00:00Z") == []  # open then
    assert due(at="2024-06-03T00:00:00Z", as_of=day) == []  # not due yet then


def test_the_dashboard_counts_as_known_then(world: World) -> None:
    w, h = world, world.headers["moderator"]
    created = w.sanction("meta", duration="P30D")  # 2024-06-01T12:00, on facebook
    w.clock.now = datetime(2024, 6, 2, 10, 0, tzinfo=UTC)
    lifted = w.client.post(
        f"/v1/sanctions/{created['id']}/lift",
        headers=h,
        json={"reason": "a mistake", "effective_at": "2024-06-01T18:00:00Z"},
    )
    assert lifted.status_code == 200, lifted.text
    caller = Caller("test", operators=("meta",))
    at = parse_instant("2024-06-02T00:00:00Z")

    def active(as_of: datetime | None) -> dict[tuple[str, str], int]:
        rows = dashboard.active_by_kind_and_platform(w.db, at=at, caller=caller, as_of=as_of)
        return {(r.platform, r.kind.value): r.count for r in rows}

    assert active(None) == {}  # lifted at 18:00 on the 1st, as we know it now
    assert active(at) == {("facebook", "suspension"): 1}  # the lift was recorded on the 2nd
    assert active(parse_instant("2024-06-01T00:00:00Z")) == {}  # not recorded yet

    def june(as_of: datetime | None) -> tuple[int, int]:
        months = dashboard.monthly_activity(w.db, until=at, months=1, caller=caller, as_of=as_of)
        (month,) = [m for m in months if m.month == "2024-06"]
        return month.imposed, month.lifted

    assert june(None) == (1, 1)
    assert june(at) == (1, 0)
    assert june(parse_instant("2024-06-01T00:00:00Z")) == (0, 0)


def test_the_statement_as_known_then(world: World) -> None:
    w, h = world, world.headers["moderator"]
    created = w.sanction("meta", duration=None, ends_at="2024-12-01T00:00:00Z")  # 2024-06-01T12:00
    sid = created["id"]
    w.clock.advance(timedelta(days=10))
    amended = w.client.post(
        f"/v1/sanctions/{sid}/amend", headers=h, json={"reason": "longer", "ends_at": "2025-06-01T00:00:00Z"}
    )
    assert amended.status_code == 200, amended.text
    path = f"/v1/sanctions/{sid}/statement"
    now = w.client.get(path, headers=h)
    then = w.client.get(path, params={"as_of": "2024-06-05T00:00:00Z"}, headers=h)
    assert now.status_code == 200 and then.status_code == 200, then.text
    assert "2025" in json.dumps(now.json()["duration"]) and "2024" in json.dumps(then.json()["duration"])
    assert "2025" not in json.dumps(then.json()["duration"])  # the end announced then: December 2024
    assert then.json()["issued_at"] == "2024-06-05T00:00:00Z"
    before = w.client.get(path, params={"as_of": "2024-05-01T00:00:00Z"}, headers=h)
    assert before.status_code == 404 and before.headers["content-type"].startswith("application/problem+json")
    assert w.client.get(path, params={"as_of": "tomorrow"}, headers=h).status_code == 422
