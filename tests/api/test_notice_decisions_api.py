"""Deciding notices over HTTP (DSA arts. 16(5), 17(3)(b), 18; PRODUCT.md section 10; issue 26
items 3 and 4): a case decided with one action for all its open notices (a content decision or a
sanction made in the same call or referenced, or no action), a reply recorded for each notifier
(the decision, automation, the redress, in English and French), the statement of reasons saying
the decision was taken on a notice and naming only the notifiers disclosed, the export's
source_type, the events, and bad input refused with nothing written. Both backends."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from api_support import World, reason, sanction_body
from sqlalchemy import func, select, update

from reprieve.runtime.webhooks import public_event
from reprieve.services import people
from reprieve.services.audit import rebuild_projections
from reprieve.store import tables

NAME = "Camille Notifier-Unique"
EMAIL = "camille.notifier@example.org"
OTHER_NAME = "Dominique Second-Notifier"
OTHER_EMAIL = "dominique.second@example.org"
RATIONALE = "Rationale-7731: the post names a person and calls for violence against them."
REPLY = "Reply-5521: thank you; we removed the post you notified."
OWN_REPLY = "Reply-6642: your notice about the address was decisive."
WHY_DISCLOSED = "Disclosure-9913: the author must know who holds the copyright to contest it."


def notice(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "platform": "facebook",
        "about": {"item": "post-1"},
        "location": "https://facebook.example/posts/post-1",
        "explanation": "This post threatens my neighbour by name and address.",
        "category": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
        "illegal": True,
        "legal_ground": "Article 222-17 of the French Penal Code (threats)",
        "notifier": {"kind": "individual", "name": NAME, "email": EMAIL},
        "bona_fide": True,
        "channel": "api",
    }
    data.update(overrides)
    return data


def file(w: World, **overrides: Any) -> dict[str, Any]:
    answer = w.client.post("/v1/notices", headers=w.headers["platform"], json=notice(**overrides))
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


def content(item_id: str = "post-1", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "item": {
            "platform": "facebook",
            "item": item_id,
            "account": "author-1",
            "content_type": ["CONTENT_TYPE_TEXT"],
            "content_date": "2024-05-30",
        },
        "kind": "removal",
        "reason": reason(facts="The post was notified and read by a moderator."),
    }
    body.update(overrides)
    return body


def decide(w: World, notice_id: str, role: str = "moderator", **overrides: Any) -> Any:
    body: dict[str, Any] = {
        "action": "content_decision",
        "decision": content(),
        "rationale": RATIONALE,
        "reply": REPLY,
        "automated": False,
    }
    body.update(overrides)
    return w.client.post(f"/v1/notices/{notice_id}/decision", headers=w.headers[role], json=body)


def count(w: World, table: Any) -> int:
    with w.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def statements_of_decision(w: World, decision_id: str) -> list[dict[str, Any]]:
    listed = w.client.get(f"/v1/content-decisions/{decision_id}/statements", headers=w.headers["auditor"]).json()
    out = []
    for s in listed["items"]:
        out.append(w.client.get(f"/v1/statements/{s['id']}", headers=w.headers["auditor"]).json())
    return out


def test_a_case_is_decided_with_a_content_decision_and_a_reply_to_each_notifier(world: World) -> None:
    w = world
    first = file(w)
    second = file(w, notifier={"kind": "individual", "name": OTHER_NAME, "email": OTHER_EMAIL})
    assert first["case"] == second["case"]
    answer = decide(w, first["id"], replies={second["id"]: OWN_REPLY})
    assert answer.status_code == 200, answer.text
    case = answer.json()
    assert case["id"] == first["case"] and case["state"] == "decided"
    decided = case["decision"]
    assert decided["action"] == "content_decision" and decided["content_decision"].startswith("cd")
    assert decided["sanction"] is None and decided["automated"] is False and decided["referral"] is None
    assert [n["state"] for n in case["notices"]] == ["decided", "decided"]
    # The answer (kept for retries) holds nothing anyone wrote; the case's read does.
    for secret in (RATIONALE, REPLY, OWN_REPLY, NAME, EMAIL, OTHER_NAME, "threatens my neighbour"):
        assert secret not in answer.text
    read = w.client.get(f"/v1/cases/{case['id']}", headers=w.headers["moderator"]).json()
    assert read["decision"]["rationale"] == RATIONALE and read["decision"]["action"] == "content_decision"
    # The decision is made as its own route makes it, on a notice.
    made = w.client.get(f"/v1/content-decisions/{decided['content_decision']}", headers=w.headers["auditor"]).json()
    assert made["reason"]["source"] == "article_16"

    # Each notifier's reply: their own words, the decision, automation, the redress, in en and fr.
    h = w.headers["moderator"]
    one = w.client.get(f"/v1/notices/{first['id']}", headers=h).json()
    two = w.client.get(f"/v1/notices/{second['id']}", headers=h).json()
    assert one["reply"]["text"] == REPLY and two["reply"]["text"] == OWN_REPLY
    reply = one["reply"]
    assert reply["action"] == "content_decision" and reply["content_decision"] == decided["content_decision"]
    assert reply["automated"] is False and reply["decided_at"] == decided["decided_at"]
    assert reply["complaint_until"][:10] == "2024-12-01"  # six months after 2024-06-01
    en, fr = reply["texts"]["en"], reply["texts"]["fr"]
    assert REPLY in en and "No automated means" in en and "Article 20" in en and "Article 21" in en
    assert "court" in en and "2024-12-01" in en
    assert REPLY in fr and "Aucun moyen automatisé" in fr and "article 20" in fr and "article 21" in fr
    assert one["disclosed"] is False and one["decided_at"] == decided["decided_at"]
    # Listed as decided.
    listed = w.client.get("/v1/notices?state=decided", headers=h).json()["items"]
    assert {n["id"] for n in listed} == {first["id"], second["id"]}

    # A new notice about the item opens a new case; deciding the decided one again is a conflict.
    later = file(w)
    assert later["case"] != first["case"]
    again = decide(w, second["id"], action="no_action", decision=None)
    assert again.status_code == 409, again.text
    assert again.headers["content-type"].startswith("application/problem+json")


def test_no_action_with_a_referral_and_automation(world: World) -> None:
    w = world
    n = file(w, about={"account": "someone"})
    referral = {"authority": "Office anti-cybercriminalité", "member_state": "FR"}
    answer = decide(w, n["id"], action="no_action", decision=None, automated=True, referral=referral)
    assert answer.status_code == 200, answer.text
    decided = answer.json()["decision"]
    assert decided["action"] == "no_action" and decided["referral"] == referral and decided["automated"] is True
    reply = w.client.get(f"/v1/notices/{n['id']}", headers=w.headers["moderator"]).json()["reply"]
    assert "take no action" in reply["texts"]["en"] and "Automated means were used" in reply["texts"]["en"]
    assert "Article 18" in reply["texts"]["en"] and "aucune mesure" in reply["texts"]["fr"]


def test_a_sanction_made_on_a_notice_and_one_referenced(world: World) -> None:
    w = world
    n = file(w, about={"account": "troll-1"})
    body = sanction_body("facebook", "troll-1")
    answer = decide(w, n["id"], action="sanction", decision=body)
    assert answer.status_code == 200, answer.text
    sanction_id = answer.json()["decision"]["sanction"]
    made = w.client.get(f"/v1/sanctions/{sanction_id}", headers=w.headers["auditor"]).json()
    assert made["reason"]["source"] == "article_16"
    statements = w.client.get(f"/v1/sanctions/{sanction_id}/statements", headers=w.headers["auditor"]).json()
    issued = w.client.get(f"/v1/statements/{statements['items'][0]['id']}", headers=w.headers["auditor"]).json()
    assert issued["source"]["type"] == "article_16" and "Article 17(3)(b)" in issued["notice"]["text"]
    assert issued["notice"]["disclosed"] == [] and NAME not in json.dumps(issued)

    # A sanction made on a notice is referenced by the next case about the account.
    m = file(w, about={"account": "troll-1"})
    referenced = decide(w, m["id"], action="sanction", decision=sanction_id)
    assert referenced.status_code == 200, referenced.text
    assert referenced.json()["decision"]["sanction"] == sanction_id
    # One taken on the platform's own initiative cannot be: its statement says otherwise.
    own = w.client.post("/v1/sanctions", headers=w.headers["moderator"], json=sanction_body("facebook", "troll-2"))
    k = file(w, about={"account": "troll-2"})
    refused = decide(w, k["id"], action="sanction", decision=own.json()["id"])
    assert refused.status_code == 409, refused.text


def test_the_statement_names_only_the_disclosed_notifiers(world: World) -> None:
    w = world
    first = file(w)
    second = file(w, notifier={"kind": "entity", "name": OTHER_NAME, "email": OTHER_EMAIL})
    answer = decide(w, first["id"], disclosures={second["id"]: WHY_DISCLOSED})
    assert answer.status_code == 200, answer.text
    decision_id = answer.json()["decision"]["content_decision"]
    (statement,) = statements_of_decision(w, decision_id)
    assert statement["source"]["type"] == "article_16"
    assert statement["notice"]["disclosed"] == [OTHER_NAME] and OTHER_NAME in statement["notice"]["text"]
    text = json.dumps(statement)
    assert NAME not in text and EMAIL not in text and OTHER_EMAIL not in text and WHY_DISCLOSED not in text
    french = w.client.get(f"/v1/statements/{statement['id']}", params={"lang": "fr"}, headers=w.headers["auditor"])
    assert french.status_code == 200, french.text
    assert "Notifiée par : " + OTHER_NAME in french.json()["notice"]["text"]
    page = w.client.get(f"/v1/statements/{statement['id']}", params={"format": "html"}, headers=w.headers["auditor"])
    assert OTHER_NAME in page.text and NAME not in page.text
    h = w.headers["moderator"]
    two = w.client.get(f"/v1/notices/{second['id']}", headers=h).json()
    assert two["disclosed"] is True and two["disclosure_reason"] == WHY_DISCLOSED
    assert w.client.get(f"/v1/notices/{first['id']}", headers=h).json()["disclosed"] is False


def test_the_export_says_source_article_16_on_both_paths(world: World) -> None:
    w = world
    n = file(w)
    decision_id = decide(w, n["id"]).json()["decision"]["content_decision"]

    def export(fmt: str) -> Any:
        answer = w.client.get("/v1/transparency/statements", params={"format": fmt}, headers=w.headers["auditor"])
        assert answer.status_code == 200, answer.text
        return answer.json() if fmt == "json" else list(csv.DictReader(io.StringIO(answer.text)))

    as_json, as_csv = export("json"), export("csv")
    assert as_json["exported"] == 1, as_json["invalid"]
    (exported,) = [s for s in as_json["statements"] if s["puid"] == decision_id]
    assert exported["source_type"] == "SOURCE_ARTICLE_16" and as_json["invalid_count"] == 0
    (row,) = [r for r in as_csv if r["platform_uid"] == decision_id]
    assert row["source_type"] == "SOURCE_ARTICLE_16"
    # Without the kept export fields (the general path), the same export.
    with w.db.engine.connect().execution_options(reprieve_write=True) as conn, conn.begin():
        conn.execute(update(tables.issued_documents).values(export_fields=None))
    assert export("json") == as_json and export("csv") == as_csv


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"action": "nope"}, "action"),
        ({"rationale": "  "}, "rationale"),
        ({"rationale": None}, "rationale"),
        ({"reply": None}, "reply"),
        ({"automated": "yes"}, "automated"),
        ({"decision": None}, "decision"),
        ({"action": "no_action"}, "decision"),
        ({"decision": content("another-post")}, "decision.item"),
        ({"decision": content(kind="vaporize")}, "decision.kind"),
        ({"decision": content(reason=reason(category="NOPE"))}, "decision.reason.category"),
        ({"decision": content(automated={"decision": "fully"})}, "automated"),
        ({"action": "sanction", "decision": sanction_body("facebook", "author-1", kind="nope")}, "decision.kind"),
        ({"action": "sanction", "decision": sanction_body("twitter", "author-1")}, "decision"),
        ({"decision": "cd_nope"}, "decision"),
        ({"replies": {"ntc_nope": "x"}}, "replies"),
        ({"disclosures": {"ntc_nope": "x"}}, "disclosures"),
        ({"action": "no_action", "decision": None, "disclosures": {"ntc_x": "why"}}, "disclosures"),
        ({"referral": {"authority": "Police"}}, "referral"),
        ({"referral": {"authority": "Police", "member_state": "US"}}, "referral"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(
    world: World, change: dict[str, Any], field: str
) -> None:
    w = world
    n = file(w)
    before = count(w, tables.events), count(w, tables.personal_data)
    answer = decide(w, n["id"], **change)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert field in answer.text
    assert (count(w, tables.events), count(w, tables.personal_data)) == before
    assert w.client.get(f"/v1/notices/{n['id']}", headers=w.headers["moderator"]).json()["state"] == "open"


def test_an_anonymous_notifier_cannot_be_disclosed(world: World) -> None:
    w = world
    n = file(w, category="STATEMENT_CATEGORY_PROTECTION_OF_MINORS", notifier={"kind": "individual"})
    answer = decide(w, n["id"], disclosures={n["id"]: WHY_DISCLOSED})
    assert answer.status_code == 422 and f"disclosures.{n['id']}" in answer.text


def test_roles_and_tenancy(world: World) -> None:
    w = world
    n = file(w)
    for role in ("platform", "reviewer", "auditor"):
        assert decide(w, n["id"], role=role).status_code == 403
    assert decide(w, n["id"], role="x-moderator").status_code == 404
    assert decide(w, "ntc_unknown").status_code == 404
    assert decide(w, n["id"], role="admin").status_code == 200


def test_events_and_webhooks_carry_ids_only(world: World) -> None:
    w = world
    first = file(w)
    second = file(w, notifier={"kind": "entity", "name": OTHER_NAME, "email": OTHER_EMAIL})
    answer = decide(w, first["id"], replies={second["id"]: OWN_REPLY}, disclosures={second["id"]: WHY_DISCLOSED})
    assert answer.status_code == 200, answer.text
    with w.db.read() as conn:
        rows = list(conn.execute(select(tables.events).order_by(tables.events.c.seq)))
    told = [r for r in rows if r.type in ("case.decided", "notice.decided")]
    assert [r.type for r in told] == ["case.decided", "notice.decided", "notice.decided"]
    secrets = (NAME, EMAIL, OTHER_NAME, OTHER_EMAIL, RATIONALE, REPLY, OWN_REPLY, WHY_DISCLOSED)
    for r in rows:
        for secret in secrets:
            assert secret not in r.data, (r.type, secret)
        public = json.dumps(public_event(r.seq, r.type, r.at, r.effective_at, r.operator_id, r.data))
        for secret in secrets:
            assert secret not in public
    case = json.loads(told[0].data)
    assert case["notices"] == [first["id"], second["id"]] and case["action"] == "content_decision"
    assert set(case["rationale"]) == {"ref"}
    assert [json.loads(r.data)["disclosed"] for r in told[1:]] == [False, True]
    assert w.client.get("/v1/audit/verify", headers=w.headers["instance-admin"]).json()["ok"] is True


def test_the_decisions_rebuild_from_the_log(world: World) -> None:
    w = world
    first = file(w)
    file(w, notifier={"kind": "entity", "name": OTHER_NAME, "email": OTHER_EMAIL})
    assert decide(w, first["id"], referral={"authority": "Polizei", "member_state": "DE"}).status_code == 200
    open_one = file(w, about={"account": "someone"})

    def tables_now() -> list[list[Any]]:
        with w.db.read() as conn:
            return [
                [tuple(r) for r in conn.execute(select(table).order_by(table.c.id))]
                for table in (tables.notices, tables.notice_cases)
            ]

    before = tables_now()
    assert rebuild_projections(w.db) > 0
    assert tables_now() == before
    case = w.client.get(f"/v1/cases/{first['case']}", headers=w.headers["moderator"]).json()
    assert case["state"] == "decided" and case["decision"]["referral"]["authority"] == "Polizei"
    assert w.client.get(f"/v1/notices/{open_one['id']}", headers=w.headers["moderator"]).json()["state"] == "open"


def test_a_notice_decided_later_reads_open_at_and_as_of_before(world: World) -> None:
    w = world
    n = file(w)
    before = w.clock().isoformat().replace("+00:00", "Z")
    w.clock.advance(timedelta(hours=1))
    assert decide(w, n["id"]).status_code == 200
    w.clock.advance(timedelta(hours=1))
    later = file(w, about={"item": "post-2"})
    h = w.headers["moderator"]
    for query in ({"at": before}, {"as_of": before}):
        listed = w.client.get("/v1/notices", params=query, headers=h).json()["items"]
        assert [(x["id"], x["state"], x["reply"]) for x in listed] == [(n["id"], "open", None)]
        opened = w.client.get("/v1/notices", params={**query, "state": "open"}, headers=h).json()["items"]
        assert [x["id"] for x in opened] == [n["id"]]
        assert w.client.get("/v1/notices", params={**query, "state": "decided"}, headers=h).json()["items"] == []
        case = w.client.get(f"/v1/cases/{n['case']}", params=query, headers=h).json()
        assert (case["state"], case["decision"], case["notices"][0]["state"]) == ("open", None, "open")
        assert w.client.get(f"/v1/cases/{later['case']}", params=query, headers=h).status_code == 404
        one = w.client.get(f"/v1/notices/{n['id']}", params=query, headers=h).json()
        assert (one["state"], one["reply"], one["decided_at"]) == ("open", None, None)
        assert w.client.get(f"/v1/notices/{later['id']}", params=query, headers=h).status_code == 404
    decided = w.client.get(f"/v1/notices/{n['id']}", headers=h).json()
    assert decided["state"] == "decided" and decided["reply"]["text"] == REPLY
    now = w.client.get("/v1/notices", params={"state": "decided"}, headers=h).json()["items"]
    assert [x["id"] for x in now] == [n["id"]] and now[0]["reply"]["text"] == REPLY
    future = w.client.get("/v1/notices", params={"as_of": "2999-01-01T00:00:00Z"}, headers=h)
    assert future.status_code == 422 and "as_of" in future.text


# --- notifiers' complaints (art. 20(1)) ------------------------------------------------------


def complain(w: World, notice_id: str, role: str = "platform", **overrides: Any) -> Any:
    body: dict[str, Any] = {
        "notice": notice_id,
        "kind": "complaint",
        "filed_by": {"name": NAME, "email": EMAIL, "relation": "notifier"},
        "statement": "Statement-3391: the post is a threat; please look again.",
        "channel": "api",
    }
    body.update(overrides)
    return w.client.post("/v1/appeals", headers=w.headers[role], json=body)


def decide_appeal(w: World, appeal_id: str, outcome: str, role: str = "moderator") -> Any:
    body = {"outcome": outcome, "rationale": "Looked again.", "reply": "We looked at your notice again."}
    return w.client.post(f"/v1/appeals/{appeal_id}/decision", headers=w.headers[role], json=body)


def test_a_notifier_complains_about_no_action_and_a_grant_reopens_the_case(world: World) -> None:
    w = world
    first = file(w)
    second = file(w, notifier={"kind": "individual", "name": OTHER_NAME, "email": OTHER_EMAIL})
    # Nothing to complain about before the decision.
    assert complain(w, first["id"]).status_code == 409
    assert decide(w, first["id"], action="no_action", decision=None).status_code == 200
    filed = complain(w, first["id"])
    assert filed.status_code == 201, filed.text
    appeal = filed.json()
    assert appeal["notice"] == first["id"] and appeal["sanction"] is None and appeal["state"] == "open"
    assert appeal["deadline_at"][:10] == "2024-12-01" and appeal["filed_by"]["relation"] == "notifier"
    assert complain(w, first["id"]).status_code == 409  # one open per notice
    listed = w.client.get("/v1/appeals", params={"notice": first["id"]}, headers=w.headers["moderator"]).json()
    assert [a["id"] for a in listed["items"]] == [appeal["id"]]
    # Granted by a person: the case and its notices are open again, for a new decision.
    granted = decide_appeal(w, appeal["id"], "granted")
    assert granted.status_code == 200, granted.text
    case = w.client.get(f"/v1/cases/{first['case']}", headers=w.headers["moderator"]).json()
    assert case["state"] == "open" and case["decision"] is None
    assert [n["state"] for n in case["notices"]] == ["open", "open"] and case["notices"][1]["id"] == second["id"]
    assert w.client.get(f"/v1/notices/{first['id']}", headers=w.headers["moderator"]).json()["reply"] is None
    redecided = decide(w, second["id"])
    assert redecided.status_code == 200, redecided.text
    assert redecided.json()["decision"]["action"] == "content_decision"
    with w.db.read() as conn:
        types = [r.type for r in conn.execute(select(tables.events.c.type).order_by(tables.events.c.seq))]
    assert "case.reopened" in types
    before = rebuild_projections(w.db)
    assert before > 0 and w.client.get(f"/v1/cases/{first['case']}", headers=w.headers["auditor"]).json()["state"] == (
        "decided"
    )


def test_a_denied_complaint_changes_only_the_appeal(world: World) -> None:
    w = world
    n = file(w)
    decide(w, n["id"])
    appeal = complain(w, n["id"]).json()
    assert decide_appeal(w, appeal["id"], "partially_granted").status_code == 422
    assert decide_appeal(w, appeal["id"], "denied").status_code == 200
    assert w.client.get(f"/v1/cases/{n['case']}", headers=w.headers["moderator"]).json()["state"] == "decided"
    # Decided already; a new complaint may be filed while the window is open.
    assert decide_appeal(w, appeal["id"], "granted").status_code == 409
    assert complain(w, n["id"]).status_code == 201


def test_complaints_are_refused_out_of_time_or_of_the_wrong_shape(world: World) -> None:
    w = world
    n = file(w)
    decide(w, n["id"], action="no_action", decision=None)
    before = count(w, tables.events)
    assert complain(w, n["id"], kind="reinstatement").status_code == 422
    wrong = complain(w, n["id"], filed_by={"name": NAME, "relation": "subject"})
    assert wrong.status_code == 422 and "filed_by.relation" in wrong.text
    assert complain(w, n["id"], sanction="snc_x").status_code == 422
    assert complain(w, n["id"], role="x-admin").status_code == 404
    assert count(w, tables.events) == before
    w.clock.advance(timedelta(days=184))
    late = complain(w, n["id"])
    assert late.status_code == 422 and "notice" in late.text and "six months" in late.text


def test_an_automated_decider_cannot_decide_a_notifiers_complaint(world: World) -> None:
    w = world
    n = file(w)
    decide(w, n["id"])
    appeal = complain(w, n["id"]).json()
    assert decide_appeal(w, appeal["id"], "granted", role="platform").status_code == 403
    assert w.client.get(f"/v1/appeals/{appeal['id']}", headers=w.headers["moderator"]).json()["state"] == "open"


def test_notifiers_data_is_purged_once_the_time_to_contest_is_over(world: World) -> None:
    w = world
    done = file(w)
    contested = file(w, about={"item": "post-2"}, notifier={"kind": "entity", "name": OTHER_NAME, "email": OTHER_EMAIL})
    still_open = file(w, about={"item": "post-3"})
    decide(w, done["id"], action="no_action", decision=None)
    decide(w, contested["id"], action="no_action", decision=None)
    w.clock.advance(timedelta(days=100))
    assert complain(w, contested["id"], filed_by={"name": OTHER_NAME, "relation": "notifier"}).status_code == 201
    h = w.headers["moderator"]
    # Within the six months, nothing is purged.
    assert people.purge_decided_notices(w.db, now=w.clock()) == 0
    w.clock.advance(timedelta(days=90))  # six months and more after the decisions
    assert people.purge_decided_notices(w.db, now=w.clock()) == 1
    gone = w.client.get(f"/v1/notices/{done['id']}", headers=h).json()
    assert gone["notifier"] == {"kind": "individual", "name": None, "email": None}
    assert (gone["explanation"], gone["location"], gone["legal_ground"]) == (None, None, None)
    assert gone["state"] == "decided" and gone["reply"]["text"] is None and gone["receipt"]["text"]
    assert "Article 20" in gone["reply"]["texts"]["en"]  # the reply's own parts stay
    # A complaint is open about the other: kept; an open notice: kept.
    kept = w.client.get(f"/v1/notices/{contested['id']}", headers=h).json()
    assert kept["notifier"]["name"] == OTHER_NAME and kept["reply"]["text"] == REPLY
    assert w.client.get(f"/v1/notices/{still_open['id']}", headers=h).json()["notifier"]["name"] == NAME
    with w.db.read() as conn:
        last = conn.execute(select(tables.events).order_by(tables.events.c.seq.desc()).limit(1)).one()
    erased = json.loads(last.data)
    assert last.type == "person.erased" and erased["cause"] == "retention" and erased["notifiers"]
    assert NAME not in last.data and EMAIL not in last.data
    assert people.purge_decided_notices(w.db, now=w.clock()) == 0  # nothing left
    assert w.client.get("/v1/audit/verify", headers=w.headers["instance-admin"]).json()["ok"] is True
