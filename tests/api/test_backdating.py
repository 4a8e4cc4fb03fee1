"""Backdated decisions over HTTP (issue 22 item 4, PRODUCT.md section 8): a creation, an
amendment, a lift, a review's decision or an amnesty taking effect more than 24 hours before it
is recorded needs ``backdated_reason`` (422 otherwise, saying by how much), and is marked as such
in its event (by reference: the text stays out of the chain), the sanction's history, its
statement of reasons; a reason given to a decision that is not backdated is accepted and ignored.
Reported facts need none but are never in the future. Every test runs on both backends."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from api_support import World, bearer, sanction_body
from sqlalchemy import select

from reprieve.domain.model import Role
from reprieve.domain.time import format_instant
from reprieve.store import tables

WHY = "Entered late: the decision was taken by phone on the day and typed in after the weekend."


def _ago(world: World, delta: timedelta) -> str:
    return format_instant(world.clock() - delta) or ""


def _events(world: World, type_: str) -> list[dict[str, Any]]:
    items = world.client.get("/v1/events", params={"limit": 1000}, headers=world.headers["auditor"]).json()["items"]
    return [e for e in items if e["type"] == type_]


def _log_text(world: World) -> str:
    with world.db.read() as conn:
        return json.dumps([list(r) for r in conn.execute(select(tables.events))], default=str)


def _impose(world: World, account: str, **fields: Any) -> Any:
    return world.client.post(
        "/v1/sanctions", headers=world.headers["moderator"], json=sanction_body("facebook", account, **fields)
    )


def _refused_as_backdated(response: Any, by: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert f"backdated by {by}" in problem["detail"]
    assert "backdated_reason" in problem["detail"]
    assert problem["errors"][0]["field"] == "backdated_reason"


def test_a_creation_more_than_24_hours_back_needs_a_reason_and_is_marked(world: World) -> None:
    w = world
    before = len(_events(w, "sanction.imposed"))
    refused = _impose(w, "late", starts_at=_ago(w, timedelta(hours=24, seconds=1)))
    _refused_as_backdated(refused, "1 day")
    assert len(_events(w, "sanction.imposed")) == before  # nothing written

    years = _impose(w, "years", starts_at=_ago(w, timedelta(days=3 * 365 + 5, hours=2)))
    _refused_as_backdated(years, "1100 days 2 hours")

    created = _impose(w, "late", starts_at=_ago(w, timedelta(days=3)), backdated_reason=WHY)
    assert created.status_code == 201, created.text
    imposed = created.json()["history"][0]
    assert (imposed["type"], imposed["backdated"], imposed["backdated_reason"]) == ("imposed", True, WHY)
    shown = w.client.get(f"/v1/sanctions/{created.json()['id']}", headers=w.headers["moderator"]).json()
    assert shown["history"][0]["backdated"] is True and shown["history"][0]["backdated_reason"] == WHY
    # The event carries a reference; the text is beside the chain, never in it.
    data = _events(w, "sanction.imposed")[-1]["data"]
    assert set(data["backdated_reason"]) == {"ref"}
    assert WHY not in _log_text(w)


def test_exactly_24_hours_back_is_not_backdated_and_a_reason_then_is_ignored(world: World) -> None:
    w = world
    plain = _impose(w, "day", starts_at=_ago(w, timedelta(hours=24)))
    assert plain.status_code == 201, plain.text
    assert plain.json()["history"][0]["backdated"] is False
    given = _impose(w, "day2", starts_at=_ago(w, timedelta(hours=23)), backdated_reason=WHY)
    assert given.status_code == 201, given.text
    assert (given.json()["history"][0]["backdated"], given.json()["history"][0]["backdated_reason"]) == (False, None)
    assert "backdated_reason" not in _events(w, "sanction.imposed")[-1]["data"]
    blank = _impose(w, "day3", starts_at=_ago(w, timedelta(days=2)), backdated_reason="   ")
    assert blank.status_code == 422 and "backdated_reason" in blank.text


def test_an_amendment_and_a_lift_backdated_need_a_reason(world: World) -> None:
    w = world
    created = _impose(w, "changed", starts_at=_ago(w, timedelta(days=10)), backdated_reason=WHY)
    sid = created.json()["id"]
    path = f"/v1/sanctions/{sid}"
    amend = {"ends_at": format_instant(w.clock() + timedelta(days=90)), "reason": "Second offence"}
    refused = w.client.post(
        f"{path}/amend", headers=w.headers["moderator"], json={**amend, "effective_at": _ago(w, timedelta(days=5))}
    )
    _refused_as_backdated(refused, "5 days")
    just = w.client.post(
        f"{path}/amend", headers=w.headers["moderator"], json={**amend, "effective_at": _ago(w, timedelta(hours=24))}
    )
    assert just.status_code == 200, just.text
    assert just.json()["history"][-1]["backdated"] is False
    amended = w.client.post(
        f"{path}/amend",
        headers=w.headers["moderator"],
        json={**amend, "effective_at": _ago(w, timedelta(days=5)), "backdated_reason": "Decided on the 5th."},
    )
    assert amended.status_code == 200, amended.text
    change = amended.json()["history"][-1]
    assert (change["type"], change["backdated"], change["backdated_reason"]) == ("amended", True, "Decided on the 5th.")

    lift = {"reason": "Appeal granted", "effective_at": _ago(w, timedelta(days=2))}
    _refused_as_backdated(w.client.post(f"{path}/lift", headers=w.headers["moderator"], json=lift), "2 days")
    lifted = w.client.post(f"{path}/lift", headers=w.headers["moderator"], json={**lift, "backdated_reason": WHY})
    assert lifted.status_code == 200, lifted.text
    change = lifted.json()["history"][-1]
    assert (change["type"], change["backdated"], change["backdated_reason"]) == ("lifted", True, WHY)
    assert {"ref"} == set(_events(w, "sanction.lifted")[-1]["data"]["backdated_reason"])
    assert {"ref"} == set(_events(w, "sanction.amended")[-1]["data"]["backdated_reason"])


def test_a_review_decision_backdated_needs_a_reason(world: World) -> None:
    w = world
    sid = _impose(w, "reviewed", starts_at=_ago(w, timedelta(days=10)), backdated_reason=WHY).json()["id"]
    name = w.unique("expert-")
    expert = bearer(w.token(Role.REVIEWER, "meta", name=name)["token"])
    opened = w.client.post(
        f"/v1/sanctions/{sid}/reviews", headers=w.headers["moderator"], json={"panel": [name], "reason": "due"}
    )
    assert opened.status_code == 201, opened.text
    path = f"/v1/reviews/{opened.json()['id']}"
    assess = {"risk": "low", "factors": [], "rationale": "Calm."}
    assert w.client.post(f"{path}/assessments", headers=expert, json=assess).status_code == 201
    w.clock.advance(timedelta(days=3))  # the panel met three days ago; the decision is typed in now
    decision = {"outcome": "lift", "rationale": "Calm.", "effective_at": _ago(w, timedelta(days=2))}
    _refused_as_backdated(w.client.post(f"{path}/decision", headers=expert, json=decision), "2 days")
    decided = w.client.post(f"{path}/decision", headers=expert, json={**decision, "backdated_reason": WHY})
    assert decided.status_code == 200, decided.text
    assert {"ref"} == set(_events(w, "review.decided")[-1]["data"]["backdated_reason"])
    assert (decided.json()["decision"]["backdated"], decided.json()["decision"]["backdated_reason"]) == (True, WHY)
    history = w.client.get(f"/v1/sanctions/{sid}", headers=w.headers["moderator"]).json()["history"]
    assert (history[-1]["type"], history[-1]["backdated"], history[-1]["backdated_reason"]) == ("lifted", True, WHY)


def test_an_amnesty_backdated_needs_a_reason(world: World) -> None:
    w = world
    request = {"operator": "meta", "reason": "General amnesty", "effective_at": _ago(w, timedelta(days=7))}
    dry = w.client.post("/v1/amnesties", headers=w.headers["moderator"], json={**request, "dry_run": True})
    assert dry.status_code == 200, dry.text  # a dry run decides nothing
    _refused_as_backdated(w.client.post("/v1/amnesties", headers=w.headers["moderator"], json=request), "7 days")
    assert _events(w, "amnesty.started") == []
    started = w.client.post("/v1/amnesties", headers=w.headers["moderator"], json={**request, "backdated_reason": WHY})
    assert started.status_code == 202, started.text
    assert {"ref"} == set(_events(w, "amnesty.started")[-1]["data"]["backdated_reason"])
    assert WHY not in _log_text(w)
    shown = w.client.get(f"/v1/amnesties/{started.json()['id']}", headers=w.headers["auditor"]).json()
    assert (shown["backdated"], shown["backdated_reason"]) == (True, WHY)


def test_the_statement_of_reasons_says_the_decision_was_backdated_and_gives_its_date(world: World) -> None:
    w = world
    starts = w.clock() - timedelta(days=10)
    sid = _impose(w, "told", starts_at=format_instant(starts), backdated_reason=WHY).json()["id"]
    plain = _impose(w, "told-now").json()["id"]
    for lang, words in (("en", "was backdated"), ("fr", "a été antidatée")):
        statement = w.client.get(
            f"/v1/sanctions/{sid}/statement", params={"lang": lang}, headers=w.headers["moderator"]
        ).json()
        (backdated,) = statement["backdated"]
        assert backdated["change"] == "imposed"
        assert backdated["effective_at"] == format_instant(starts)
        assert words in backdated["text"] and str(starts.year) in backdated["text"]
        assert WHY not in json.dumps(statement)  # staff's reason is their record, not the user's statement
        page = w.client.get(
            f"/v1/sanctions/{sid}/statement", params={"lang": lang, "format": "html"}, headers=w.headers["moderator"]
        )
        assert words in page.text
    assert w.client.get(f"/v1/sanctions/{plain}/statement", headers=w.headers["moderator"]).json()["backdated"] == []


def test_reported_facts_need_no_reason_but_are_never_in_the_future(world: World) -> None:
    w = world
    platform = w.headers["platform"]
    report = {
        "id": w.unique("v-"),
        "platform": "facebook",
        "account": w.unique("reported"),
        "policy": "Spam",
        "severity": "low",
        "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        "facts": "A post selling counterfeit tickets.",
        "content_type": ["CONTENT_TYPE_TEXT"],
    }
    past = w.client.post(
        "/v1/violations", headers=platform, json={**report, "occurred_at": _ago(w, timedelta(days=400))}
    )
    assert past.status_code in (200, 201), past.text
    future = w.client.post(
        "/v1/violations",
        headers=platform,
        json={**report, "id": w.unique("v-"), "occurred_at": format_instant(w.clock() + timedelta(hours=1))},
    )
    assert future.status_code == 422, future.text
    assert "occurred_at" in future.text and "future" in future.text


def test_the_openapi_examples_do_not_backdate(world: World) -> None:
    schema = world.client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("SanctionCreate", "SanctionAmend", "SanctionLift"):
        for example in schema[name].get("examples", []):
            assert "starts_at" not in example and "effective_at" not in example, name
    assert "backdated_reason" in schema["SanctionCreate"]["properties"]


def test_an_appeal_decision_backdated_needs_a_reason(world: World) -> None:
    w = world
    sid = _impose(w, "appealed", starts_at=_ago(w, timedelta(days=10)), backdated_reason=WHY).json()["id"]
    filed = w.client.post(
        "/v1/appeals",
        headers=w.headers["moderator"],
        json={
            "sanction": sid,
            "kind": "complaint",
            "filed_by": {"name": "Carol", "relation": "subject"},
            "statement": "It was satire.",
            "channel": "email",
            "received_at": _ago(w, timedelta(days=6)),
        },
    )
    assert filed.status_code == 201, filed.text
    path = f"/v1/appeals/{filed.json()['id']}/decision"
    decision = {
        "outcome": "granted",
        "rationale": "Satire.",
        "reply": "Reinstated.",
        "effective_at": _ago(w, timedelta(days=4)),
    }
    _refused_as_backdated(w.client.post(path, headers=w.headers["moderator"], json=decision), "4 days")
    decided = w.client.post(path, headers=w.headers["moderator"], json={**decision, "backdated_reason": WHY})
    assert decided.status_code == 200, decided.text
    assert {"ref"} == set(_events(w, "appeal.decided")[-1]["data"]["backdated_reason"])
    history = w.client.get(f"/v1/sanctions/{sid}", headers=w.headers["moderator"]).json()["history"]
    assert (history[-1]["type"], history[-1]["backdated"], history[-1]["backdated_reason"]) == ("lifted", True, WHY)
