"""Amnesties over content (issue 25 item 3): a filter that ``covers`` content restores the items
of the matching content decisions, each with its ``content.restored`` event naming the amnesty;
a dry run counts sanctions and content decisions apart; a filter of sanctions (the default) leaves
content alone, and one of content leaves sanctions alone. Every test runs on both backends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from api_support import World, reason

from reprieve.runtime import amnesty as amnesty_runner
from reprieve.store import eventlog


def decide(w: World, item_id: str, kind: str = "removal", **overrides: Any) -> str:
    body: dict[str, Any] = {
        "item": {
            "platform": "facebook",
            "item": item_id,
            "account": "author-1",
            "content_type": ["CONTENT_TYPE_TEXT"],
            "content_date": "2024-05-30",
        },
        "kind": kind,
        "reason": reason(),
    }
    body.update(overrides)
    answer = w.client.post("/v1/content-decisions", headers=w.headers["moderator"], json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def amnesty(w: World, **filter_: Any) -> dict[str, Any]:
    return {"operator": "meta", "filter": filter_, "reason": "General amnesty"}


def state_of(w: World, path: str) -> str:
    return str(w.client.get(path, headers=w.headers["auditor"]).json()["state"])


def run(w: World, request: dict[str, Any]) -> dict[str, Any]:
    started = w.client.post("/v1/amnesties", json=request, headers=w.headers["moderator"])
    assert started.status_code == 202, started.text
    assert amnesty_runner.join_background(60)
    shown = w.client.get(f"/v1/amnesties/{started.json()['id']}", headers=w.headers["auditor"])
    return dict(shown.json())


def test_an_amnesty_of_both_counts_and_restores_content_too(world: World) -> None:
    w = world
    removals = [decide(w, f"post-{i}") for i in range(3)]
    label = decide(w, "post-label", kind="label")
    spam = decide(w, "post-spam", reason=reason(category="STATEMENT_CATEGORY_SCAMS_AND_FRAUD"))
    sanction = w.sanction("meta")["id"]
    w.clock.advance(timedelta(minutes=1))  # in force a minute: restored, not cancelled at their start
    request = amnesty(
        w,
        covers="both",
        kinds=["suspension"],
        content_kinds=["removal"],
        exclude_categories=["STATEMENT_CATEGORY_SCAMS_AND_FRAUD"],
    )
    with w.db.read() as conn:
        before = eventlog.count_events(conn)
    dry = w.client.post("/v1/amnesties", json={**request, "dry_run": True}, headers=w.headers["moderator"])
    assert dry.status_code == 200, dry.text
    counts = dry.json()
    assert (counts["matched"], counts["sanctions_matched"], counts["content_matched"]) == (4, 1, 3)
    assert sorted(d["id"] for d in counts["content_sample"]) == sorted(removals)
    assert [s["id"] for s in counts["sample"]] == [sanction]
    with w.db.read() as conn:
        assert eventlog.count_events(conn) == before

    shown = run(w, request)
    assert (shown["state"], shown["matched"], shown["content_matched"], shown["content_restored"]) == (
        "completed",
        4,
        3,
        3,
    )
    assert (shown["lifted"], shown["skipped"], shown["filter"]["covers"]) == (1, 0, "both")
    for decision in removals:
        assert state_of(w, f"/v1/content-decisions/{decision}") == "restored"
    for left in (label, spam):
        assert state_of(w, f"/v1/content-decisions/{left}") == "active"
    assert state_of(w, f"/v1/sanctions/{sanction}") == "lifted"
    visible = w.client.get("/v1/platforms/facebook/items/post-0/visibility", headers=w.headers["auditor"]).json()
    assert visible["visible"] is True
    log = w.client.get("/v1/events", params={"limit": 1000}, headers=w.headers["auditor"]).json()["items"]
    restored = [e for e in log if e["type"] == "content.restored"]
    assert sorted(e["data"]["id"] for e in restored) == sorted(removals)
    assert {e["data"]["amnesty"] for e in restored} == {shown["id"]}
    # An amnesty's restorations issue no statement (a complaint's or a review's do: issue 25).
    first_restored = min(e["seq"] for e in restored)
    assert [e for e in log if e["type"] == "statement.issued" and e["seq"] > first_restored] == []
    for decision in removals:
        listed = w.client.get(f"/v1/content-decisions/{decision}/statements", headers=w.headers["auditor"])
        assert len(listed.json()["items"]) == 1  # the removal's own


def test_a_filter_of_sanctions_leaves_content_alone_and_the_reverse(world: World) -> None:
    w = world
    decision = decide(w, "post-a")
    sanction = w.sanction("meta")["id"]
    w.clock.advance(timedelta(minutes=1))
    dry = w.client.post("/v1/amnesties", json={**amnesty(w), "dry_run": True}, headers=w.headers["moderator"]).json()
    assert (dry["matched"], dry["content_matched"], dry["content_sample"]) == (1, 0, [])
    shown = run(w, amnesty(w))
    assert (shown["lifted"], shown["content_matched"], shown["content_restored"]) == (1, 0, 0)
    assert "covers" not in shown["filter"]  # an amnesty of sanctions records what it always did
    assert state_of(w, f"/v1/content-decisions/{decision}") == "active"
    assert state_of(w, f"/v1/sanctions/{sanction}") == "lifted"

    other = w.sanction("meta")["id"]
    w.clock.advance(timedelta(minutes=1))
    shown = run(w, amnesty(w, covers="content"))
    assert (shown["matched"], shown["lifted"], shown["content_restored"]) == (1, 0, 1)
    assert state_of(w, f"/v1/content-decisions/{decision}") == "restored"
    assert state_of(w, f"/v1/sanctions/{other}") == "active"


def test_a_content_filter_that_makes_no_sense_is_a_422(world: World) -> None:
    w = world
    for filter_ in (
        {"covers": "everything"},
        {"content_kinds": ["removal"]},  # covers sanctions only
        {"covers": "content", "kinds": ["suspension"]},
        {"covers": "both", "content_kinds": ["vanish"]},
    ):
        answer = w.client.post(
            "/v1/amnesties", json={**amnesty(w, **filter_), "dry_run": True}, headers=w.headers["moderator"]
        )
        assert answer.status_code == 422, (filter_, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
