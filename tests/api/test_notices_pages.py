"""A case's notices, a page at a time (issue 26, speed: a case may gather thousands): the case
page shows 100 of them unless asked for fewer or more, oldest first, with a cursor for the next;
each e-mail a moderator's page shows is in the access log, once. Every test runs on both backends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from api_support import World
from sqlalchemy import func, select

from reprieve.store import tables

NOTICE: dict[str, Any] = {
    "platform": "facebook",
    "about": {"item": "busy-post"},
    "location": "https://facebook.example/posts/busy",
    "explanation": "This post threatens a named neighbour.",
    "category": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "illegal": False,
    "bona_fide": True,
    "channel": "api",
}


def accesses(w: World) -> int:
    with w.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.personal_data_access)).scalar_one())


def test_a_case_reads_its_notices_a_page_at_a_time_oldest_first(world: World) -> None:
    w = world
    filed = []
    for n in range(7):
        notifier = {"kind": "individual", "name": f"Notifier {n}", "email": f"n{n}@example.org"}
        answer = w.client.post("/v1/notices", json=dict(NOTICE, notifier=notifier), headers=w.headers["platform"])
        assert answer.status_code == 201, answer.text
        filed.append(answer.json()["id"])
        w.clock.advance(timedelta(seconds=1))
    case = answer.json()["case"]
    whole = w.client.get(f"/v1/cases/{case}", headers=w.headers["auditor"]).json()
    assert [n["id"] for n in whole["notices"]] == filed and whole["next_cursor"] is None and whole["count"] == 7
    pages: list[list[str]] = []
    cursor = None
    before = accesses(w)
    while True:
        query = f"?limit=3&cursor={cursor}" if cursor else "?limit=3"
        page = w.client.get(f"/v1/cases/{case}{query}", headers=w.headers["moderator"])
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["count"] == 7 and body["id"] == case
        pages.append([n["id"] for n in body["notices"]])
        assert all(n["notifier"]["email"] for n in body["notices"])  # a moderator sees them
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == [filed[0:3], filed[3:6], filed[6:7]]
    assert accesses(w) == before + 7  # each e-mail shown, once
    for bad in ("?limit=0", "?limit=1001", "?cursor=bm9wZQ", "?cursor=not%20one"):
        answer = w.client.get(f"/v1/cases/{case}{bad}", headers=w.headers["moderator"])
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
