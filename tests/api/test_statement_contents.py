"""What an issued statement of reasons says (issue 23 item 2, PRODUCT.md section 8): the decision's
own date and its backdating, the issue date, the redress open ("at least until" issue + window),
category and ground in words; the appeal code only in the copy delivered to the user (a platform
token's); other languages as kept renderings of the same issue; the Transparency Database export
built from the issued statements. Every test runs on both backends (the ``db`` fixture)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from typing import Any

from api_support import World, bearer, reason, sanction_body

from reprieve.domain.model import Role
from reprieve.services import appeal_codes


def _impose(w: World, account: str, **fields: Any) -> dict[str, Any]:
    created = w.client.post(
        "/v1/sanctions", headers=w.headers["moderator"], json=sanction_body("facebook", account, **fields)
    )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def _issued(w: World, sanction_id: str) -> list[dict[str, Any]]:
    listed = w.client.get(f"/v1/sanctions/{sanction_id}/statements", headers=w.headers["auditor"])
    assert listed.status_code == 200, listed.text
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


def _get(w: World, path: str, role: str = "auditor", **params: str) -> Any:
    answer = w.client.get(path, params=params, headers=w.headers[role])
    assert answer.status_code == 200, answer.text
    return answer


def _code(w: World, sanction_id: str) -> str:
    with w.db.read() as conn:
        return appeal_codes.printed(appeal_codes.code_for(conn, sanction_id))


def test_the_page_says_the_decisions_own_date_its_backdating_and_the_redress_open(world: World) -> None:
    w = world  # the clock reads 1 June 2024
    sanction = _impose(
        w,
        "contents-a",
        starts_at="2024-05-20T08:00:00Z",
        backdated_reason="Entered after the fact.",
        reason=reason(
            category="STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
            keywords=["KEYWORD_HATE_SPEECH"],
            contractual_ground="Section 4 of the community standards",
        ),
    )
    (item,) = _issued(w, sanction["id"])
    path = f"/v1/statements/{item['id']}"
    page = _get(w, path, format="html").text
    # The decision's own date, not the day it was issued; and that it was backdated.
    assert "Taken on 20 May 2024, taking effect on that day. It was backdated: recorded on 1 June 2024." in page
    assert "Issued on 1 June 2024" in page
    # The redress open: six months (the default policy's window) from receipt, at least until issue + six months.
    assert "six months from the day you receive this statement: at least until 1 December 2024." in page
    # Category, keyword and ground in words; no constant of the Transparency Database on the page.
    assert "Illegal or harmful speech (Hate speech)" in page
    assert "Incompatible with our terms and conditions: Section 4 of the community standards" in page
    assert not re.search(r"STATEMENT_CATEGORY_|KEYWORD_|CONTENT_TYPE_|DECISION_GROUND_|[a-z]+_[a-z]+_content", page)
    # The JSON keeps each constant beside its label, each date beside its sentence.
    document = _get(w, path).json()
    assert document["decided"] == {
        "type": "imposed",
        "effective_at": "2024-05-20T08:00:00Z",
        "change": item["decision"],
        "lifts": False,
        "backdated": True,
        "recorded_at": "2024-06-01T12:00:00Z",
        "text": "Taken on 20 May 2024, taking effect on that day. It was backdated: recorded on 1 June 2024.",
    }
    assert (document["category"], document["category_label"]) == (
        "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
        "Illegal or harmful speech",
    )
    complaint = document["redress"]["internal_complaint"]
    assert (complaint["window"], complaint["deadline"]) == ("P6M", "2024-12-01T12:00:00Z")
    assert document["issued_at"] == item["issued_at"] == "2024-06-01T12:00:00Z"


def test_an_amendment_states_its_own_date_and_term(world: World) -> None:
    w = world
    sanction = _impose(w, "contents-b", duration="P30D")
    w.clock.advance(timedelta(days=3))
    amended = w.client.post(
        f"/v1/sanctions/{sanction['id']}/amend",
        headers=w.headers["moderator"],
        json={"ends_at": "2024-09-01T00:00:00Z", "effective_at": "2024-06-10T00:00:00Z", "reason": "worse"},
    )
    assert amended.status_code == 200, amended.text
    _, second = _issued(w, sanction["id"])
    document = _get(w, f"/v1/statements/{second['id']}").json()
    assert document["decided"]["type"] == "amended" and document["decided"]["effective_at"] == "2024-06-10T00:00:00Z"
    assert document["decided"]["text"] == "A change of an earlier decision, taking effect on 10 June 2024."
    assert document["duration"]["ends_at"] == "2024-09-01T00:00:00Z"
    # The window runs from this statement's issue, 4 June: at least until 4 December.
    assert document["redress"]["internal_complaint"]["deadline"] == "2024-12-04T12:00:00Z"


def test_fetched_a_year_apart_the_statement_and_its_french_rendering_are_the_same_bytes(world: World) -> None:
    w = world
    sanction = _impose(w, "contents-c")
    (item,) = _issued(w, sanction["id"])
    path = f"/v1/statements/{item['id']}"
    english = _get(w, path).content, _get(w, path, format="html").content
    french = _get(w, path, lang="fr"), _get(w, path, lang="fr", format="html")
    assert french[1].headers["content-language"] == "fr" and '<html lang="fr">' in french[1].text
    body = json.loads(french[0].content)
    # The same issue: same id, decision and instant of issue; worded in French.
    assert (body["id"], body["decision"], body["issued_at"], body["lang"]) == (
        item["id"],
        item["decision"],
        item["issued_at"],
        "fr",
    )
    assert "au moins jusqu'au 1er décembre 2024" in body["redress"]["internal_complaint"]["text"]
    assert body["category_label"] == "Risque pour la sécurité publique"

    # Later: the sanction is amended and lifted, a year passes; nothing of it reaches the issue.
    amended = w.client.post(
        f"/v1/sanctions/{sanction['id']}/amend",
        headers=w.headers["moderator"],
        json={"ends_at": "2025-01-01T00:00:00Z", "reason": "worse"},
    )
    assert amended.status_code == 200, amended.text
    lifted = w.client.post(f"/v1/sanctions/{sanction['id']}/lift", headers=w.headers["moderator"], json={"reason": "r"})
    assert lifted.status_code == 200, lifted.text
    w.clock.advance(timedelta(days=366))
    assert (_get(w, path).content, _get(w, path, format="html").content) == english
    again = _get(w, path, lang="fr"), _get(w, path, lang="fr", format="html")
    assert (again[0].content, again[1].content) == (french[0].content, french[1].content)
    assert again[0].headers["etag"] == f'"{hashlib.sha256(french[0].content).hexdigest()}"'
    # English asked by name is the issue itself.
    assert _get(w, path, lang="en").content == english[0]


def test_the_stored_text_holds_no_appeal_code_and_the_delivery_copy_does(world: World) -> None:
    w = world
    sanction = _impose(w, "contents-d")
    (item,) = _issued(w, sanction["id"])
    code = _code(w, sanction["id"])
    stored_json = _get(w, f"/v1/statements/{item['id']}").content
    stored_page = _get(w, f"/v1/statements/{item['id']}", format="html").text
    with w.db.read() as conn:
        from reprieve.store import issued

        row = issued.get(conn, item["id"])
        kept = issued.rendering(conn, item["id"], "en")  # its page, made when first asked for above
    assert row is not None and row.document is not None and kept is not None and kept.page is not None
    for text in (row.document, kept.page, stored_json.decode(), stored_page):
        assert code not in text and code.replace("-", "") not in text
    assert json.loads(stored_json)["redress"]["internal_complaint"]["code"] is None

    copy_path = f"/v1/statements/{item['id']}/delivery-copy"
    delivered = _get(w, copy_path, role="platform")
    assert delivered.headers["cache-control"] == "no-store"
    body = json.loads(delivered.content)
    assert body["redress"]["internal_complaint"]["code"] == code
    # The stored text plus the filled-in field, nothing else.
    body["redress"]["internal_complaint"]["code"] = None
    assert body == json.loads(stored_json)
    page = _get(w, copy_path, role="platform", format="html").text
    slot = '<span class="code" data-fill="appeal-code">'
    assert f"{slot}{code}</span>" in page
    assert re.sub(re.escape(slot) + r"[^<]*", slot, page) == re.sub(re.escape(slot) + r"[^<]*", slot, stored_page)
    french = _get(w, copy_path, role="platform", format="html", lang="fr").text
    assert f"{slot}{code}</span>" in french and "Code de recours" in french
    # The store is untouched by a delivery copy.
    assert _get(w, f"/v1/statements/{item['id']}").content == stored_json


def test_only_a_platform_token_gets_the_delivery_copy(world: World) -> None:
    w = world
    sanction = _impose(w, "contents-e")
    (item,) = _issued(w, sanction["id"])
    path = f"/v1/statements/{item['id']}/delivery-copy"
    for role in Role:
        if role is Role.PLATFORM:
            continue
        answer = w.client.get(path, headers=w.headers[role.value])
        assert answer.status_code == 403, (role, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert _code(w, sanction["id"]) not in answer.text
    other_platform = bearer(w.token(Role.PLATFORM, "x")["token"])
    assert w.client.get(path, headers=other_platform).status_code == 404
    bad = w.client.get(path, params={"lang": "de"}, headers=w.headers["platform"])
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


def test_the_export_row_of_an_amended_sanction_comes_from_its_issued_statements(world: World) -> None:
    w = world
    sanction = _impose(
        w,
        "contents-f",
        starts_at="2024-05-01T00:00:00Z",
        duration="P60D",
        backdated_reason="Entered after the fact.",
        reason=reason(content_type=["CONTENT_TYPE_TEXT"], content_date="2024-04-30", facts="Three posts."),
    )
    changes = [
        # A new end: a decision of its own.
        {"ends_at": "2024-08-01T00:00:00Z", "effective_at": "2024-05-20T00:00:00Z"},
        # Held until its review: the same kind, end and denials, so the sanction's columns see no
        # new restriction; the statement issued for it is a decision the export carries.
        {"hold_until_review": True, "review_at": "2024-07-25T00:00:00Z", "effective_at": "2024-05-25T00:00:00Z"},
    ]
    for change in changes:
        amended = w.client.post(
            f"/v1/sanctions/{sanction['id']}/amend",
            headers=w.headers["moderator"],
            json={**change, "reason": "r", "backdated_reason": "Entered after the fact."},
        )
        assert amended.status_code == 200, amended.text
    issued = _issued(w, sanction["id"])
    assert len(issued) == 3
    exported = w.client.get(
        "/v1/transparency/statements", params={"from": "2024-05-01", "to": "2024-06-01"}, headers=w.headers["auditor"]
    ).json()
    rows = [s for s in exported["statements"] if s["puid"].startswith(sanction["id"])]
    documents = [_get(w, f"/v1/statements/{i['id']}").json() for i in issued]
    assert [(r["puid"], r["application_date"], r.get("end_date_account_restriction")) for r in rows] == [
        (
            sanction["id"] if d["decided"]["type"] == "imposed" else f"{sanction['id']}-{d['decided']['change']}",
            d["decided"]["effective_at"][:10],
            d["duration"]["ends_at"][:10],
        )
        for d in documents
    ]
    assert [r["application_date"] for r in rows] == ["2024-05-01", "2024-05-20", "2024-05-25"]
    assert rows[0]["end_date_account_restriction"] == "2024-06-30"
    assert {r["category"] for r in rows} == {"STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"}
    assert exported["invalid_count"] == 0


def test_a_review_decision_states_its_own_date_and_that_it_lifts(world: World) -> None:
    w = world
    sanction = _impose(
        w,
        "contents-g",
        reason=reason(content_type=["CONTENT_TYPE_TEXT"], content_date="2024-05-30", facts="Three posts."),
    )
    name = w.unique("expert-")
    expert = bearer(w.token(Role.REVIEWER, "meta", name=name)["token"])
    opened = w.client.post(
        f"/v1/sanctions/{sanction['id']}/reviews",
        headers=w.headers["moderator"],
        json={"panel": [name], "reason": "due"},
    )
    assert opened.status_code == 201, opened.text
    path = f"/v1/reviews/{opened.json()['id']}"
    assess = {"risk": "low", "factors": [], "rationale": "Calm."}
    assert w.client.post(f"{path}/assessments", headers=expert, json=assess).status_code == 201
    w.clock.advance(timedelta(days=5))
    decided = w.client.post(f"{path}/decision", headers=expert, json={"outcome": "lift", "rationale": "Calm."})
    assert decided.status_code == 200, decided.text
    _, review = _issued(w, sanction["id"])
    document = _get(w, f"/v1/statements/{review['id']}").json()
    assert document["decided"]["type"] == "review" and document["decided"]["lifts"] is True
    assert document["decided"]["effective_at"] == review["issued_at"] == "2024-06-06T12:00:00Z"
    assert document["decided"]["change"] == review["decision"] + 1  # the review's event, then its lift
    assert document["decided"]["text"] == (
        "The decision of a review of this measure, taking effect on 6 June 2024. It lifts the measure."
    )
    assert document["redress"]["internal_complaint"]["deadline"] is None
    assert "nothing left to complain about" in document["redress"]["internal_complaint"]["text"]
    # A lift restricts nothing: the export carries the creation only.
    exported = w.client.get("/v1/transparency/statements", headers=w.headers["auditor"]).json()
    assert [s["puid"] for s in exported["statements"] if s["puid"].startswith(sanction["id"])] == [sanction["id"]]


def test_an_erased_statement_takes_its_renderings_with_it(world: World) -> None:
    from reprieve.store import issued
    from reprieve.store import transparency as store

    w = world
    sanction = _impose(w, "contents-h")
    (item,) = _issued(w, sanction["id"])
    path = f"/v1/statements/{item['id']}"
    french = _get(w, path, lang="fr").content
    with store.writing(w.db) as conn:
        assert issued.blank(conn, [item["id"]], now=w.clock()) == 1
        kept = issued.rendering(conn, item["id"], "fr")
    assert kept is not None and kept.document is None and kept.page is None
    assert kept.sha256 == hashlib.sha256(french).hexdigest()  # the hash survives the erasure
    for params in ({}, {"lang": "fr"}):
        gone = w.client.get(path, params=params, headers=w.headers["auditor"])
        assert gone.status_code == 410 and "erased" in gone.json()["detail"]  # Gone (issue 23 item 4)
    assert w.client.get(f"{path}/delivery-copy", headers=w.headers["platform"]).status_code == 410
