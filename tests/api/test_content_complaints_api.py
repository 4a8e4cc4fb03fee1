"""Complaints about content decisions over HTTP (issue 25 item 3): filed with ``content_decision``
in place of ``sanction`` within the complaint window; granted, in one transaction, the item is
restored, its strike ends and the sanction that strike made the ladder impose is lifted (a
sanction another strike caused stays), each change saying why; denied, nothing but the appeal
changes; a read as of before the grant still sees the strike (PRODUCT.md section 8). Bad input is
a 4xx problem, never a 500. Every test runs on both backends."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from api_support import World, reason
from sqlalchemy import func, select

from reprieve.domain.time import format_instant
from reprieve.services import catalogue
from reprieve.services.callers import Caller
from reprieve.store import tables

HOUR = timedelta(hours=1)
#: A platform of Meta's with its shipped policy: strikes from removals climb its ladder (a
#: warning, then restrictions), and expire after a year.
PLATFORM = "threads"


@pytest.fixture(autouse=True)
def threads(world: World) -> None:
    catalogue.create_platform(
        world.db,
        catalogue.CreatePlatform.parse(id=PLATFORM, operator="meta", name="Threads", policy="meta"),
        caller=Caller("setup", now=world.clock()),
    )


def item(item_id: str, account: str) -> dict[str, Any]:
    return {"platform": PLATFORM, "item": item_id, "account": account, "content_type": ["CONTENT_TYPE_TEXT"]} | {
        "content_date": "2024-05-30"
    }


def removal(w: World, item_id: str, account: str, **fields: Any) -> dict[str, Any]:
    body = {"item": item(item_id, account), "kind": "removal", "reason": reason(), "strike": True} | fields
    created = w.client.post("/v1/content-decisions", headers=w.headers["moderator"], json=body)
    assert created.status_code == 201, created.text
    answer: dict[str, Any] = created.json()
    return answer


def complaint(decision_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "content_decision": decision_id,
        "kind": "complaint",
        "filed_by": {"name": "Ada Author", "email": "ada@example.org"},
        "statement": "The post quotes the attack to condemn it: please put it back.",
        "channel": "api",
    } | fields


def file(w: World, body: dict[str, Any], role: str = "platform") -> Any:
    return w.client.post("/v1/appeals", headers=w.headers[role], json=body)


def decide(w: World, appeal_id: str, outcome: str, **fields: Any) -> Any:
    body = {"outcome": outcome, "rationale": "The post condemns the attack.", "reply": "We put it back."} | fields
    return w.client.post(f"/v1/appeals/{appeal_id}/decision", headers=w.headers["moderator"], json=body)


def get(w: World, url: str, **params: Any) -> dict[str, Any]:
    answer = w.client.get(url, headers=w.headers["moderator"], params=params)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def strikes(w: World, account: str, **params: Any) -> int:
    return int(get(w, f"/v1/platforms/{PLATFORM}/accounts/{account}/standing", **params)["strikes"])


def event_count(w: World) -> int:
    with w.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.events)).scalar_one())


def visible(w: World, item_id: str) -> bool:
    checked = w.client.post(
        "/v1/checks",
        headers=w.headers["auditor"],
        json={"checks": [{"platform": PLATFORM, "item": item_id, "capability": "view"}]},
    )
    assert checked.status_code == 200, checked.text
    allowed = bool(checked.json()["results"][0]["allowed"])
    seen = get(w, f"/v1/platforms/{PLATFORM}/items/{item_id}/visibility")
    assert (seen["decisions"] == []) is allowed, seen
    return allowed


def test_a_granted_complaint_restores_the_item_ends_its_strike_and_lifts_the_sanction_it_caused(
    world: World,
) -> None:
    w = world
    # Meta's ladder: the first strike a warning, the second a restriction.
    first = removal(w, "post-1", "poster")
    w.clock.advance(HOUR)
    second = removal(w, "post-2", "poster")
    warning, restriction = first["strike_record"]["sanction"], second["strike_record"]["sanction"]
    assert warning and restriction and warning != restriction
    assert strikes(w, "poster") == 2 and not visible(w, "post-1")
    w.clock.advance(HOUR)
    filed = file(w, complaint(first["id"]))
    assert filed.status_code == 201, filed.text
    appeal = filed.json()
    assert (appeal["content_decision"], appeal["sanction"], appeal["kind"], appeal["state"]) == (
        first["id"],
        None,
        "complaint",
        "open",
    )
    assert appeal["filed_by"]["name"] is None  # a platform token sees no requester
    # Six months from when its user was told (the statement issued with the decision).
    assert appeal["deadline_at"] == "2024-12-01T12:00:00Z"
    listed = get(w, "/v1/appeals", content_decision=first["id"])["items"]
    assert [a["id"] for a in listed] == [appeal["id"]]
    assert get(w, "/v1/appeals", content_decision=second["id"])["items"] == []
    # One open complaint about a decision at a time.
    again = file(w, complaint(first["id"]))
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    w.clock.advance(HOUR)
    before_grant = format_instant(w.clock() - timedelta(seconds=1))
    granted = decide(w, appeal["id"], "granted")
    assert granted.status_code == 200, granted.text
    assert (granted.json()["state"], granted.json()["content_decision"]) == ("granted", first["id"])
    # The item is restored, saying why, and visible again.
    decision = get(w, f"/v1/content-decisions/{first['id']}")
    assert decision["state"] == "restored" and decision["restored_at"] == format_instant(w.clock())
    assert visible(w, "post-1")
    # Its strike no longer counts; the ladder's warning it caused is lifted, saying why.
    assert decision["strike_record"]["counts"] is False
    assert strikes(w, "poster") == 1
    lifted = get(w, f"/v1/sanctions/{warning}")
    assert lifted["state"] == "lifted", lifted
    assert [c["type"] for c in lifted["history"]][-1] == "lifted"
    # The restriction the second strike caused stays.
    assert get(w, f"/v1/sanctions/{restriction}")["state"] == "active"
    assert get(w, f"/v1/content-decisions/{second['id']}")["strike_record"]["counts"] is True
    # As known before the grant was recorded: the strike counted, the item was removed.
    assert strikes(w, "poster", as_of=before_grant) == 2
    as_known = get(w, f"/v1/content-decisions/{first['id']}", as_of=before_grant)
    assert (as_known["state"], as_known["strike_record"]["counts"]) == ("active", True)
    # The grant is recorded as one transaction: the decision, the restoration, the lift, each
    # change saying why (its reason names the complaint).
    with w.db.read() as conn:
        rows = conn.execute(
            select(tables.events.c.type, tables.events.c.data)
            .where(tables.events.c.at == format_instant(w.clock()))
            .order_by(tables.events.c.seq)
        ).all()
    # Each decision taken on the complaint then issues its statement of reasons (issue 25).
    assert [r.type for r in rows] == [
        "appeal.decided",
        "content.restored",
        "sanction.lifted",
        "statement.issued",
        "statement.issued",
    ]
    decided_data, restored_data, lifted_data = (json.loads(r.data) for r in rows[:3])
    assert (decided_data["sanction"], decided_data["content_decision"]) == (None, first["id"])
    assert restored_data["reason"].startswith(f"Complaint {appeal['id']} granted: the item is restored")
    assert lifted_data["reason"].startswith(f"Complaint {appeal['id']} about content decision {first['id']}")
    assert (lifted_data["id"], lifted_data["appeal"]) == (warning, appeal["id"])
    issued_restoration, issued_lift = (json.loads(r.data) for r in rows[3:])
    assert (issued_restoration["content_decision"], issued_restoration.get("sanction")) == (first["id"], None)
    assert issued_lift["sanction"] == warning
    # Decided once.
    assert decide(w, appeal["id"], "denied").status_code == 409


def listed_statements(w: World, url: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = get(w, url)["items"]
    return items


def statement(w: World, statement_id: str, **params: str) -> dict[str, Any]:
    return get(w, f"/v1/statements/{statement_id}", **params)


def exported_puids(w: World) -> tuple[list[str], int]:
    """The puids of the Transparency Database export (JSON) and the CSV export's row count."""
    answer = w.client.get("/v1/transparency/statements", headers=w.headers["auditor"])
    assert answer.status_code == 200, answer.text
    rows = w.client.get("/v1/transparency/statements", params={"format": "csv"}, headers=w.headers["auditor"])
    assert rows.status_code == 200, rows.text
    return sorted(s["puid"] for s in answer.json()["statements"]), len(rows.text.splitlines())


def test_a_granted_complaint_issues_a_statement_for_the_restoration_and_one_for_the_lift(world: World) -> None:
    """Issue 25: each decision taken on the complaint (the item restored, the ladder's sanction
    lifted) issues its statement of reasons in the grant's transaction, saying what it decides and
    why, naming the complaint; listed with the others and delivered as they are; never exported to
    the Transparency Database, which takes restrictions."""
    w = world
    first = removal(w, "post-s1", "stated")
    w.clock.advance(HOUR)
    second = removal(w, "post-s2", "stated")
    restriction = second["strike_record"]["sanction"]
    # The second strike's restriction is the one its complaint lifts (a restriction issues one).
    assert len(listed_statements(w, f"/v1/sanctions/{restriction}/statements")) == 1
    (own,) = listed_statements(w, f"/v1/content-decisions/{second['id']}/statements")
    w.clock.advance(HOUR)
    filed = file(w, complaint(second["id"]))
    assert filed.status_code == 201, filed.text
    appeal_id = filed.json()["id"]
    puids_before, csv_rows_before = exported_puids(w)
    w.clock.advance(HOUR)
    granted = decide(w, appeal_id, "granted", rationale="The post condemns the attack it quotes.")
    assert granted.status_code == 200, granted.text
    # The restoration's statement, after the decision's own.
    listed = listed_statements(w, f"/v1/content-decisions/{second['id']}/statements")
    assert [s["id"] for s in listed[:1]] == [own["id"]] and len(listed) == 2
    restored = statement(w, listed[1]["id"])
    assert restored["content_decision"] == second["id"] and restored["decision"] == listed[1]["decision"]
    assert (restored["decided"]["type"], restored["decided"]["lifts"]) == ("restored", True)
    assert restored["decided"]["effective_at"] == format_instant(w.clock())
    why = restored["decided"]["why"]
    assert why.startswith(f"Complaint {appeal_id} granted: the item is restored") and "condemns" in why
    assert appeal_id in restored["decided"]["text"] and "The content is restored from" in restored["decided"]["text"]
    assert restored["measure"]["kind"] == "removal"  # the measure it ends
    assert restored["redress"]["internal_complaint"]["deadline"] is None  # nothing left to complain about
    assert "nothing left to complain about" in restored["redress"]["internal_complaint"]["text"]
    french = statement(w, listed[1]["id"], lang="fr")
    assert "Le contenu est rétabli" in french["decided"]["text"] and appeal_id in french["decided"]["text"]
    # The lift's statement, after the restriction's own.
    on_sanction = listed_statements(w, f"/v1/sanctions/{restriction}/statements")
    assert len(on_sanction) == 2
    lifted = statement(w, on_sanction[1]["id"])
    assert lifted["sanction"] == restriction
    assert (lifted["decided"]["type"], lifted["decided"]["lifts"]) == ("complaint", True)
    assert lifted["decided"]["why"].startswith(f"Complaint {appeal_id} about content decision {second['id']} granted")
    assert "It lifts the measure" in lifted["decided"]["text"] and appeal_id in lifted["decided"]["text"]
    page = w.client.get(
        f"/v1/statements/{on_sanction[1]['id']}", params={"format": "html"}, headers=w.headers["auditor"]
    )
    assert page.status_code == 200 and appeal_id in page.text
    # Delivered as any other: the receipt is recorded and listed with it.
    delivered = w.client.post(
        f"/v1/statements/{listed[1]['id']}/delivery",
        headers=w.headers["platform"],
        json={"delivered_at": format_instant(w.clock()), "channel": "in-app"},
    )
    assert delivered.status_code == 201, delivered.text
    assert listed_statements(w, f"/v1/content-decisions/{second['id']}/statements")[1]["channel"] == "in-app"
    copy = w.client.get(f"/v1/statements/{on_sanction[1]['id']}/delivery-copy", headers=w.headers["platform"])
    assert copy.status_code == 200 and copy.json()["decided"]["why"] == lifted["decided"]["why"], copy.text
    # The Transparency Database takes restrictions: neither statement is exported.
    puids_after, csv_rows_after = exported_puids(w)
    assert puids_after == puids_before and csv_rows_after == csv_rows_before
    for seq in (listed[1]["decision"], on_sanction[1]["decision"]):
        assert not any(p.endswith(f"-{seq}") for p in puids_after), puids_after
    # The first decision, not complained about, keeps its one statement.
    assert len(listed_statements(w, f"/v1/content-decisions/{first['id']}/statements")) == 1


def test_a_restoration_keeps_what_was_known_before_it(world: World) -> None:
    """Item 4: restoring a decision ends its strike from then on, and a read as of an instant
    before the restoration was recorded sees the strike as it was known then."""
    w = world
    decided = removal(w, "kept-1", "keeper")
    w.clock.advance(HOUR)
    known_then = format_instant(w.clock())
    w.clock.advance(HOUR)
    restored = w.client.post(
        f"/v1/content-decisions/{decided['id']}/restore", headers=w.headers["moderator"], json={"reason": "news"}
    )
    assert restored.status_code == 200, restored.text
    assert strikes(w, "keeper") == 0
    assert strikes(w, "keeper", as_of=known_then) == 1
    then = get(w, f"/v1/content-decisions/{decided['id']}", as_of=known_then)
    assert then["strike_record"]["counts"] is True and then["strike_record"]["ends_at"] == "2025-06-01T12:00:00Z"


def test_a_denied_complaint_changes_nothing_but_the_appeal(world: World) -> None:
    w = world
    decided = removal(w, "denied-1", "denied-author")
    sanction = decided["strike_record"]["sanction"]
    filed = file(w, complaint(decided["id"]), role="moderator")
    assert filed.status_code == 201 and filed.json()["filed_by"]["name"] == "Ada Author"
    w.clock.advance(HOUR)
    count = event_count(w)
    denied = decide(w, filed.json()["id"], "denied")
    assert denied.status_code == 200 and denied.json()["state"] == "denied"
    assert event_count(w) == count + 1  # the appeal.decided event alone: no statement issued
    assert len(listed_statements(w, f"/v1/content-decisions/{decided['id']}/statements")) == 1  # its own
    assert listed_statements(w, f"/v1/sanctions/{sanction}/statements") == []  # a warning: none
    assert get(w, f"/v1/content-decisions/{decided['id']}")["state"] == "active"
    assert get(w, f"/v1/content-decisions/{decided['id']}")["strike_record"]["counts"] is True
    assert get(w, f"/v1/sanctions/{sanction}")["state"] == "active"
    assert strikes(w, "denied-author") == 1 and not visible(w, "denied-1")


def test_the_complaint_window_and_bad_input(world: World) -> None:
    w = world
    decided = removal(w, "window-1", "window-author")
    sanction = w.sanction("meta")["id"]
    count = event_count(w)
    for body, status, field in (
        (complaint(decided["id"], sanction=sanction), 422, "sanction"),
        ({k: v for k, v in complaint(decided["id"]).items() if k != "content_decision"}, 422, "content_decision"),
        (complaint(decided["id"], kind="reinstatement"), 422, "kind"),
        (complaint("cd_unknown"), 404, "cd_unknown"),
        (complaint(decided["id"], content_decision="not a valid id!"), 422, "content_decision"),
        (complaint(decided["id"], partially="x"), 422, "partially"),
    ):
        answer = file(w, body)
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == "application/problem+json" and field in answer.text, answer.text
    assert "reinstatement request" in file(w, complaint(decided["id"], kind="reinstatement")).text
    # A partial grant has nothing to amend on a decision about content.
    filed = file(w, complaint(decided["id"]))
    assert filed.status_code == 201, filed.text
    partial = decide(w, filed.json()["id"], "partially_granted", ends_at=format_instant(w.clock() + HOUR))
    assert partial.status_code == 422 and "outcome" in partial.text
    probation = decide(w, filed.json()["id"], "granted", probation={"duration": "P1Y"})
    assert probation.status_code == 422 and "probation" in probation.text
    assert decide(w, filed.json()["id"], "denied").status_code == 200
    assert event_count(w) == count + 2  # the complaint and its decision: the refused ones recorded nothing
    # The window: six months from when the user was told; a letter is judged by its arrival.
    w.clock.advance(timedelta(days=190))
    late = file(w, complaint(decided["id"]))
    assert late.status_code == 422 and "complaint window closed" in late.text, late.text
    letter = file(
        w,
        complaint(decided["id"], channel="letter", received_at="2024-11-20T00:00:00Z"),
        role="moderator",
    )
    assert letter.status_code == 201, letter.text
    # A restored decision leaves nothing to complain about.
    other = removal(w, "window-2", "window-author")
    w.client.post(f"/v1/content-decisions/{other['id']}/restore", headers=w.headers["moderator"], json={"reason": "r"})
    restored = file(w, complaint(other["id"]))
    assert restored.status_code == 422 and "no decision left to complain about" in restored.text
