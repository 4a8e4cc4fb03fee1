"""Decisions on content over HTTP (PRODUCT.md section 9, issue 24 item 1): decided, listed, read
at an instant and as known at another, amended and restored with ``If-Match``; an item keeps its
author; bad input is a 422 naming the field and writes nothing; tenancy and roles as sanctions;
evidence kept beside the log, never in it. Every test runs on both backends."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from api_support import World, reason
from sqlalchemy import func, select

from reprieve.domain.time import format_instant
from reprieve.store import tables

SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
WHY = "Entered late: the moderator decided on the phone and typed it in after the weekend."


def item(item_id: str, account: str = "author-1", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "platform": "facebook",
        "item": item_id,
        "account": account,
        "content_type": ["CONTENT_TYPE_TEXT"],
        "content_date": "2024-05-30",
    }
    data.update(overrides)
    return data


def decide_body(item_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"item": item(item_id), "kind": "removal", "reason": reason()}
    body.update(overrides)
    return body


def decide(w: World, item_id: str, role: str = "moderator", **overrides: Any) -> Any:
    return w.client.post("/v1/content-decisions", headers=w.headers[role], json=decide_body(item_id, **overrides))


def event_count(w: World) -> int:
    with w.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.events)).scalar_one())


def ago(w: World, delta: timedelta) -> str:
    return format_instant(w.clock() - delta) or ""


def test_decide_read_amend_restore(world: World) -> None:
    w, h = world, world.headers["moderator"]
    created = decide(
        w,
        "1346913502285590530",
        kind="disabling",
        territorial_scope=["FR", "DE"],
        duration="P30D",
        strike=True,
        automated={"detection": True, "decision": "partially"},
        evidence={"reference": "snapshots/2024/1346913502285590530", "sha256": SHA},
    )
    assert created.status_code == 201, created.text
    d = created.json()
    assert d["id"].startswith("cd_") and d["operator"] == "meta"
    assert d["item"] == {**item("1346913502285590530"), "language": None}
    assert (d["kind"], d["territorial_scope"], d["restricts"]) == (
        "disabling",
        ["DE", "FR"],
        ["interact", "monetize", "view"],
    )
    assert (d["state"], d["strike"], d["backdated"]) == ("active", True, False)
    assert d["starts_at"] == format_instant(w.clock()) and d["ends_at"] == format_instant(
        w.clock() + timedelta(days=30)
    )
    # The reason's content type, date and scope are the item's and the decision's.
    assert d["reason"]["content_type"] == ["CONTENT_TYPE_TEXT"] and d["reason"]["content_date"] == "2024-05-30"
    assert d["reason"]["territorial_scope"] == ["DE", "FR"]
    assert d["evidence"]["reference"] == "snapshots/2024/1346913502285590530" and d["evidence"]["sha256"] == SHA
    assert created.headers["etag"] == f'"{d["version"]}"'
    # The author was registered on first use, as a sanction's subject is.
    assert w.client.get("/v1/platforms/facebook/accounts/author-1/standing", headers=h).json()["status"] == "good"

    shown = w.client.get(f"/v1/content-decisions/{d['id']}", headers=w.headers["auditor"])
    assert shown.status_code == 200 and shown.json() == d and shown.headers["etag"] == f'"{d["version"]}"'

    w.clock.advance(timedelta(days=1))
    amended = w.client.post(
        f"/v1/content-decisions/{d['id']}/amend",
        headers={**h, "If-Match": f'"{d["version"]}"'},
        json={"kind": "demotion", "ends_at": None, "territorial_scope": [], "reason": "Milder on a second look"},
    )
    assert amended.status_code == 200, amended.text
    a = amended.json()
    assert (a["kind"], a["ends_at"], a["territorial_scope"], a["restricts"]) == ("demotion", None, [], [])
    assert [c["type"] for c in a["changes"]] == ["decided", "amended"] and a["version"] > d["version"]
    # At an instant before the amendment, the first term.
    then = w.client.get(f"/v1/content-decisions/{d['id']}", params={"at": d["starts_at"]}, headers=h).json()
    assert (then["kind"], then["territorial_scope"]) == ("disabling", ["DE", "FR"])

    restored = w.client.post(
        f"/v1/content-decisions/{d['id']}/restore",
        headers={**h, "If-Match": f'"{a["version"]}"'},
        json={"reason": "Restored after the author's complaint"},
    )
    assert restored.status_code == 200, restored.text
    r = restored.json()
    assert (r["state"], r["restored_at"]) == ("restored", format_instant(w.clock()))
    again = w.client.post(f"/v1/content-decisions/{d['id']}/restore", headers=h, json={"reason": "Twice"})
    assert again.status_code == 409 and "not active" in again.json()["detail"]
    assert again.headers["content-type"] == "application/problem+json"


def test_if_match_refuses_a_stale_version_and_writes_nothing(world: World) -> None:
    w, h = world, world.headers["moderator"]
    d = decide(w, "item-412").json()
    stale = {**h, "If-Match": f'"{d["version"] - 1}"'}
    before = event_count(w)
    amended = w.client.post(
        f"/v1/content-decisions/{d['id']}/amend", headers=stale, json={"kind": "label", "reason": "r"}
    )
    assert amended.status_code == 412, amended.text
    assert amended.headers["content-type"] == "application/problem+json"
    restored = w.client.post(f"/v1/content-decisions/{d['id']}/restore", headers=stale, json={"reason": "r"})
    assert restored.status_code == 412
    assert event_count(w) == before
    malformed = w.client.post(
        f"/v1/content-decisions/{d['id']}/restore", headers={**h, "If-Match": "v1"}, json={"reason": "r"}
    )
    assert malformed.status_code == 422


def test_a_change_of_a_decision_that_is_not_active_is_a_conflict(world: World) -> None:
    w, h = world, world.headers["moderator"]
    d = decide(w, "item-expiring", duration="P1D").json()
    w.clock.advance(timedelta(days=2))
    amended = w.client.post(
        f"/v1/content-decisions/{d['id']}/amend", headers=h, json={"kind": "label", "reason": "too late"}
    )
    assert amended.status_code == 409 and "expired" in amended.json()["detail"]
    restored = w.client.post(f"/v1/content-decisions/{d['id']}/restore", headers=h, json={"reason": "too late"})
    assert restored.status_code == 409


def test_an_item_keeps_its_first_author(world: World) -> None:
    w = world
    first = decide(w, "shared-item", item=item("shared-item", account="alice"))
    assert first.status_code == 201
    before = event_count(w)
    other = decide(w, "shared-item", item=item("shared-item", account="mallory"), kind="label")
    assert other.status_code == 409, other.text
    assert "'alice'" in other.json()["detail"] and other.json()["type"].endswith("/conflict")
    assert event_count(w) == before  # not even mallory's account was registered
    same = decide(w, "shared-item", item=item("shared-item", account="alice"), kind="label")
    assert same.status_code == 201


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "deletion"}, "kind"),
        ({"kind": "other"}, "kind_other"),
        ({"kind": "removal", "kind_other": "something"}, "kind_other"),
        ({"territorial_scope": ["US"]}, "territorial_scope"),
        ({"item": item("x", content_type=["VIDEO"])}, "item.content_type"),
        ({"item": item("x", content_type=[])}, "item.content_type"),
        ({"item": item("x", content_date="2024-02-30")}, "item.content_date"),
        ({"item": item("x", content_date="yesterday")}, "item.content_date"),
        ({"item": item("x", language="English")}, "item.language"),
        ({"item": item("has space")}, "item.item"),
        ({"starts_at": "2024-06-02T00:00:00Z", "ends_at": "2024-06-01T23:00:00Z"}, "ends_at"),
        ({"ends_at": "2024-07-01T00:00:00Z", "duration": "P1D"}, "ends_at"),
        ({"territorial_scope": ["FR"], "reason": reason(territorial_scope=["DE"])}, "reason.territorial_scope"),
        ({"reason": reason(content_type=["CONTENT_TYPE_VIDEO"])}, "reason.content_type"),
        ({"reason": reason(content_date="2020-01-01")}, "reason.content_date"),
        ({"reason": reason(category="STATEMENT_CATEGORY_NOPE")}, "reason.category"),
        ({"evidence": {"reference": "has a space", "sha256": SHA}}, "evidence.reference"),
        ({"evidence": {"reference": "ref", "sha256": SHA.upper()}}, "evidence.sha256"),
        ({"strike": "yes"}, "strike"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(
    world: World, overrides: dict[str, Any], field: str
) -> None:
    w = world
    before = event_count(w)
    answer = decide(w, "x", **overrides)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    fields = [e["field"] for e in problem.get("errors") or []]
    assert (
        any(f == field or f.endswith(f".{field}") or f.startswith(f"{field}") for f in fields)
        or field in (problem["detail"])
    ), (field, problem)
    assert event_count(w) == before


def test_an_amendment_must_change_something_and_end_after_it_takes_effect(world: World) -> None:
    w, h = world, world.headers["moderator"]
    d = decide(w, "item-amend-422").json()
    path = f"/v1/content-decisions/{d['id']}/amend"
    assert w.client.post(path, headers=h, json={"reason": "nothing"}).status_code == 422
    early = w.client.post(path, headers=h, json={"ends_at": ago(w, timedelta(hours=1)), "reason": "r"})
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "ends_at"
    other = w.client.post(path, headers=h, json={"kind": "other", "reason": "r"})
    assert other.status_code == 422
    assert w.client.post(path, headers=h, json={"territorial_scope": ["XX"], "reason": "r"}).status_code == 422


def test_tenancy_and_roles(world: World) -> None:
    w = world
    d = decide(w, "meta-item").json()
    x = w.headers["x-moderator"]
    assert w.client.get(f"/v1/content-decisions/{d['id']}", headers=x).status_code == 404
    assert (
        w.client.post(f"/v1/content-decisions/{d['id']}/amend", headers=x, json={"kind": "label", "reason": "r"})
    ).status_code == 404
    assert w.client.post(f"/v1/content-decisions/{d['id']}/restore", headers=x, json={"reason": "r"}).status_code == 404
    # Another operator's platform does not exist for x's moderator.
    refused = decide(w, "meta-item-2", role="x-moderator")
    assert refused.status_code == 404 and "facebook" in refused.json()["detail"]
    assert w.client.get("/v1/content-decisions", headers=x).json()["items"] == []
    twitter = w.client.post(
        "/v1/content-decisions", headers=x, json=decide_body("tweet-1", item=item("tweet-1", platform="twitter"))
    )
    assert twitter.status_code == 201
    listed = w.client.get("/v1/content-decisions", headers=w.headers["auditor"]).json()["items"]
    assert [i["id"] for i in listed] == [d["id"]]

    # A platform token never decides, but reads, without the evidence.
    before = event_count(w)
    assert decide(w, "by-platform", role="platform").status_code == 403
    assert (
        w.client.post(
            f"/v1/content-decisions/{d['id']}/restore", headers=w.headers["platform"], json={"reason": "r"}
        ).status_code
        == 403
    )
    assert (
        w.client.post(
            f"/v1/content-decisions/{d['id']}/amend",
            headers=w.headers["platform"],
            json={"kind": "label", "reason": "r"},
        ).status_code
        == 403
    )
    assert decide(w, "by-reviewer", role="reviewer").status_code == 403
    assert decide(w, "by-auditor", role="auditor").status_code == 403
    assert event_count(w) == before
    with_evidence = decide(w, "evidenced", evidence={"reference": "snap-1", "sha256": SHA}).json()
    read = w.client.get(f"/v1/content-decisions/{with_evidence['id']}", headers=w.headers["platform"])
    assert read.status_code == 200 and read.json()["evidence"] is None
    audited = w.client.get(f"/v1/content-decisions/{with_evidence['id']}", headers=w.headers["auditor"]).json()
    assert audited["evidence"]["sha256"] == SHA
    for role in ("admin", "instance-admin"):
        assert decide(w, f"by-{role}", role=role).status_code == 201


def test_as_of_shows_what_was_known_then(world: World) -> None:
    w, h = world, world.headers["moderator"]
    d = decide(w, "item-as-of", duration="P30D").json()
    first_known = w.clock()
    w.clock.advance(timedelta(days=2))
    w.client.post(
        f"/v1/content-decisions/{d['id']}/amend",
        headers=h,
        json={"ends_at": None, "kind": "disabling", "territorial_scope": ["FR"], "reason": "Indefinite, in France"},
    )
    w.clock.advance(timedelta(hours=1))
    path = f"/v1/content-decisions/{d['id']}"
    now = w.client.get(path, headers=h).json()
    # the amendment's event follows the creation's and its statement.issued
    assert (now["kind"], now["ends_at"], now["version"]) == ("disabling", None, d["version"] + 2)
    then = w.client.get(path, params={"as_of": format_instant(first_known)}, headers=h).json()
    assert (then["kind"], then["ends_at"], then["version"]) == ("removal", d["ends_at"], d["version"])
    assert [c["type"] for c in then["changes"]] == ["decided"]
    before = w.client.get(path, params={"as_of": format_instant(first_known - timedelta(seconds=1))}, headers=h)
    assert before.status_code == 404
    listed = w.client.get(
        "/v1/content-decisions",
        params={"as_of": format_instant(first_known), "item": "item-as-of", "kind": "removal"},
        headers=h,
    ).json()["items"]
    assert [i["id"] for i in listed] == [d["id"]]
    assert (
        w.client.get("/v1/content-decisions", params={"item": "item-as-of", "kind": "removal"}, headers=h).json()[
            "items"
        ]
        == []
    )
    future = w.client.get(path, params={"as_of": format_instant(w.clock() + timedelta(days=1))}, headers=h)
    assert future.status_code == 422


def test_backdating_needs_a_reason_kept_outside_the_log(world: World) -> None:
    w, h = world, world.headers["moderator"]
    before = event_count(w)
    refused = decide(w, "late-item", starts_at=ago(w, timedelta(hours=24, seconds=1)))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "backdated_reason"
    assert "backdated by 1 day" in refused.json()["detail"]
    assert event_count(w) == before
    exactly = decide(w, "day-item", starts_at=ago(w, timedelta(hours=24)), backdated_reason=WHY)
    assert exactly.status_code == 201 and exactly.json()["backdated"] is False
    assert exactly.json()["changes"][0]["backdated_reason"] is None  # ignored: not backdated
    created = decide(w, "late-item", starts_at=ago(w, timedelta(days=3)), duration="P30D", backdated_reason=WHY)
    assert created.status_code == 201, created.text
    d = created.json()
    assert d["backdated"] is True and d["changes"][0]["backdated_reason"] == WHY
    assert w.client.get(f"/v1/content-decisions/{d['id']}", headers=h).json()["changes"][0]["backdated_reason"] == WHY
    path = f"/v1/content-decisions/{d['id']}/amend"
    late_amend = {"kind": "label", "reason": "r", "effective_at": ago(w, timedelta(days=2))}
    assert w.client.post(path, headers=h, json=late_amend).status_code == 422
    amended = w.client.post(path, headers=h, json={**late_amend, "backdated_reason": WHY})
    assert amended.status_code == 200 and amended.json()["changes"][-1]["backdated"] is True
    restore = {"reason": "r", "effective_at": ago(w, timedelta(days=1, hours=1))}
    assert w.client.post(f"/v1/content-decisions/{d['id']}/restore", headers=h, json=restore).status_code == 422
    restored = w.client.post(
        f"/v1/content-decisions/{d['id']}/restore", headers=h, json={**restore, "backdated_reason": WHY}
    )
    assert restored.status_code == 200 and restored.json()["changes"][-1]["backdated_reason"] == WHY
    events = w.client.get("/v1/events", params={"limit": 1000}, headers=w.headers["auditor"]).json()["items"]
    content_events = [e for e in events if e["type"].startswith("content.") and e["data"]["id"] == d["id"]]
    assert [set(e["data"]["backdated_reason"]) for e in content_events] == [{"ref"}] * 3
    with w.db.read() as conn:
        log = json.dumps([list(r) for r in conn.execute(select(tables.events))], default=str)
    assert WHY not in log


def test_evidence_is_kept_beside_the_log_never_in_it(world: World) -> None:
    w = world
    reference = "https://snapshots.example/facebook/evidence-item-0001"
    d = decide(w, "evidence-item", evidence={"reference": reference, "sha256": SHA}).json()
    with w.db.read() as conn:
        kept = conn.execute(select(tables.content_evidence)).all()
        log = json.dumps([list(r) for r in conn.execute(select(tables.events))], default=str)
    assert [(r.decision_id, r.reference, r.sha256, r.forgotten_at) for r in kept] == [(d["id"], reference, SHA, None)]
    assert reference not in log and SHA not in log
    assert d["evidence"]["recorded_at"] == format_instant(w.clock())


def test_list_filters_and_pages(world: World) -> None:
    w, h = world, world.headers["moderator"]
    ids = []
    for n in range(5):
        body = {"item": item(f"page-{n}", account="bob" if n % 2 else "carol")}
        if n == 4:
            body["kind"] = "label"
        ids.append(decide(w, f"page-{n}", **body).json()["id"])
    w.clock.advance(timedelta(minutes=1))  # restored at its start, it would be cancelled
    w.client.post(f"/v1/content-decisions/{ids[0]}/restore", headers=h, json={"reason": "r"})

    def listed(**params: Any) -> list[str]:
        answer = w.client.get("/v1/content-decisions", params=params, headers=h)
        assert answer.status_code == 200, answer.text
        return [i["id"] for i in answer.json()["items"]]

    def by_id(*chosen: str) -> list[str]:  # a list is in id order (ids made at one instant: any order)
        return sorted(chosen)

    assert listed() == by_id(*ids)
    assert listed(account="bob") == by_id(ids[1], ids[3])
    assert listed(account="facebook/carol") == by_id(ids[0], ids[2], ids[4])
    assert listed(item="page-2") == [ids[2]]
    assert listed(kind="label") == [ids[4]]
    assert listed(state="active") == by_id(*ids[1:])
    assert listed(state="restored") == [ids[0]]
    assert listed(platform="instagram") == []
    assert listed(state="scheduled", at="2020-01-01T00:00:00Z") == by_id(*ids)
    first = w.client.get("/v1/content-decisions", params={"limit": 2}, headers=h).json()
    assert [i["id"] for i in first["items"]] == by_id(*ids)[:2] and first["next_cursor"]
    second = w.client.get("/v1/content-decisions", params={"limit": 2, "cursor": first["next_cursor"]}, headers=h)
    assert [i["id"] for i in second.json()["items"]] == by_id(*ids)[2:4]
    paged_active = w.client.get("/v1/content-decisions", params={"limit": 2, "state": "active"}, headers=h).json()
    assert [i["id"] for i in paged_active["items"]] == by_id(*ids[1:])[:2] and paged_active["next_cursor"]
    rest = w.client.get(
        "/v1/content-decisions",
        params={"limit": 2, "state": "active", "cursor": paged_active["next_cursor"]},
        headers=h,
    ).json()
    assert [i["id"] for i in rest["items"]] == by_id(*ids[1:])[2:] and rest["next_cursor"] is None
    assert w.client.get("/v1/content-decisions", params={"cursor": "!!"}, headers=h).status_code == 422
    assert w.client.get("/v1/content-decisions", params={"state": "gone"}, headers=h).status_code == 422
    assert w.client.get("/v1/content-decisions/cd_nope", headers=h).status_code == 404


def test_an_idempotency_key_replays_the_first_answer(world: World) -> None:
    w = world
    headers = {**w.headers["moderator"], "Idempotency-Key": "decide-once"}
    body = decide_body("idempotent-item")
    first = w.client.post("/v1/content-decisions", headers=headers, json=body)
    count = event_count(w)
    again = w.client.post("/v1/content-decisions", headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and event_count(w) == count


def test_a_strike_from_content_over_http(world: World) -> None:
    """Issue 25 item 1: a decision that counts as a strike says what its strike became; the
    standing counts it; a violation naming an item is one decision and one strike; a restoration
    ends the strike; bad input is a 4xx, never a 500."""
    w, h = world, world.headers["moderator"]
    created = w.client.post(
        "/v1/content-decisions",
        headers=h,
        json=decide_body("struck-1", item=item("struck-1", "striker"), strike=True, severity="high"),
    )
    assert created.status_code == 201, created.text
    record = created.json()["strike_record"]
    assert (record["count"], record["ladder"], record["counts"]) == (1, "standard", True)
    read = w.client.get(f"/v1/content-decisions/{created.json()['id']}", headers=h).json()
    assert read["strike_record"] == record
    standing_url = "/v1/platforms/facebook/accounts/striker/standing"
    assert w.client.get(standing_url, headers=h).json()["strikes"] == 1
    # A report naming an item: one content decision, one strike more, the answer names the decision.
    report = {
        "id": "report-on-item-1",
        "platform": "facebook",
        "account": "striker",
        "policy": "Dangerous individuals and organisations",
        "severity": "moderate",
        "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
        "item": {"item": "struck-2", "content_type": ["CONTENT_TYPE_TEXT"], "content_date": "2024-05-30"},
    }
    answered = w.client.post("/v1/violations", headers=w.headers["platform"], json=report)
    assert answered.status_code == 201, answered.text
    body = answered.json()
    assert body["strike"]["count"] == 2 and body["content_decision"] is not None
    again = w.client.post("/v1/violations", headers=w.headers["platform"], json=report)
    assert again.status_code == 200 and again.json()["content_decision"] == body["content_decision"]
    decision = w.client.get(f"/v1/content-decisions/{body['content_decision']}", headers=h).json()
    assert (decision["kind"], decision["strike"]) == ("removal", True)
    assert decision["strike_record"]["violation"] == body["id"]
    assert w.client.get(standing_url, headers=h).json()["strikes"] == 2
    # The item keeps its author: another's report on it is a 409, and records nothing.
    before = event_count(w)
    other = dict(report, id="report-on-item-2", account="someone-else")
    refused = w.client.post("/v1/violations", headers=w.headers["platform"], json=other)
    assert refused.status_code == 409 and refused.headers["content-type"] == "application/problem+json"
    assert event_count(w) == before
    # Bad input: 422 naming the field.
    for bad, field in (
        ({"kind": "removal"}, "kind"),
        ({"item": {"item": "x", "content_type": ["CONTENT_TYPE_OTHER"], "content_date": "2024-05-30"}}, "item"),
    ):
        sent = {k: v for k, v in report.items() if k != "item"} | bad | {"id": w.unique("bad")}
        answer = w.client.post("/v1/violations", headers=w.headers["platform"], json=sent)
        assert answer.status_code == 422 and field in answer.text, answer.text
    severity_alone = decide(w, "struck-3", item=item("struck-3", "striker"), severity="high")
    assert severity_alone.status_code == 422 and "severity" in severity_alone.text
    # A restoration ends the strike.
    restored = w.client.post(
        f"/v1/content-decisions/{created.json()['id']}/restore", headers=h, json={"reason": "newsworthy"}
    )
    assert restored.status_code == 200, restored.text
    assert restored.json()["strike_record"]["counts"] is False
    assert w.client.get(standing_url, headers=h).json()["strikes"] == 1
