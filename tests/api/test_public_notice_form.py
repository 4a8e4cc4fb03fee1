"""The public notice form at /notice (DSA art. 16), through the app as a browser uses it (no
JavaScript): every input labelled, the privacy information (GDPR art. 13), validation with errors
tied to their fields, the art. 16(2)(c) exception, the receipt with the reference and the status
code, the status lookup, CSRF, the rate limits in the database, English and French, and the
notifier's data kept out of the receipt page and the event log."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from api_support import SETUP, Clock
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from test_public_appeal_form import Page, Ticker

from reprieve.api.app import create_app
from reprieve.services import catalogue, notices
from reprieve.services.callers import Caller
from reprieve.store import eventlog, tables
from reprieve.store.db import Database
from reprieve.web.notice_form import NoticeLimits

NAME = "Sam Formfiller"
EMAIL = "sam.formfiller@example.org"
EXPLANATION = "The video shows my address and threatens me."
LOCATION = "https://facebook.example/videos/987"


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def client(db: Database, ticker: Ticker) -> Iterator[TestClient]:
    clock = Clock()
    catalogue.create_operator(
        db, catalogue.CreateOperator.parse(id="meta", name="Meta Platforms"), caller=Caller(SETUP, now=clock())
    )
    catalogue.create_platform(
        db,
        catalogue.CreatePlatform.parse(id="facebook", operator="meta", name="Facebook"),
        caller=Caller(SETUP, now=clock()),
    )
    app = create_app(db, clock=clock)
    app.state.notice_limits = NoticeLimits.default(clock=ticker)
    with TestClient(app) as test_client:
        yield test_client


def csrf(client: TestClient, path: str = "/notice") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def answers(**overrides: str | None) -> dict[str, str]:
    data: dict[str, str | None] = {
        "platform": "facebook",
        "about_kind": "item",
        "about_id": "987",
        "location": LOCATION,
        "category": "STATEMENT_CATEGORY_CYBER_VIOLENCE",
        "illegal": "yes",
        "legal_ground": "Article 222-17 of the French Penal Code",
        "explanation": EXPLANATION,
        "notifier_kind": "individual",
        "name": NAME,
        "email": EMAIL,
        "bona_fide": "yes",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def send(client: TestClient, data: dict[str, str], *, lang: str | None = None, path: str = "/notice") -> Response:
    body = dict(data, csrf_token=csrf(client))
    return client.post(path + (f"?lang={lang}" if lang else ""), data=body)


def event_count(db: Database) -> int:
    with db.read() as conn:
        return eventlog.head(conn)[0]


def test_every_input_has_a_label_and_the_privacy_information_is_shown(client: TestClient) -> None:
    answer = client.get("/notice?platform=facebook&item=987&location=https://facebook.example/videos/987")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    page = Page(answer.text)
    ids = {str(a["id"]) for a in page.inputs()} | {"notice-platform", "notice-category"}
    assert ids <= page.labels
    assert page.by_id["notice-about_id"]["value"] == "987" and page.by_id["notice-location"]["value"] == LOCATION
    assert "checked" in page.by_id["notice-about_kind-item"]
    for heading in ("How we use your personal data", "Who processes it", "Why", "How long", "Your rights"):
        assert heading in page.text
    assert "child sexual abuse" in page.text


def test_a_notice_is_received_with_its_receipt_and_looked_up_by_its_code(client: TestClient, db: Database) -> None:
    answer = send(client, answers())
    assert answer.status_code == 201, answer.text
    page = Page(answer.text)
    reference = re.search(r"ntc_[0-9A-Z]{26}", answer.text)
    assert reference is not None
    code = re.search(r"[A-Z2-7]{5}-[A-Z2-7]{5}", answer.text)
    assert code is not None and "Your notice has been received" in page.text
    assert f"Its reference is {reference.group(0)}" in page.text
    for secret in (NAME, EMAIL, EXPLANATION, LOCATION):
        assert secret not in answer.text
    with db.read() as conn:
        notice = conn.execute(select(tables.notices)).one()
        events = [r.data for r in conn.execute(select(tables.events.c.data))]
    assert (notice.id, notice.channel, notice.receipt_language) == (reference.group(0), "web", "en")
    assert not any(secret in data for data in events for secret in (NAME, EMAIL, EXPLANATION, LOCATION))

    status = send(client, {"reference": reference.group(0), "code": code.group(0).lower()}, path="/notice/status")
    assert status.status_code == 200, status.text
    assert "It is being examined" in Page(status.text).text
    wrong = send(client, {"reference": reference.group(0), "code": "AAAAA-AAAAA"}, path="/notice/status")
    unknown = send(client, {"reference": "ntc_nope", "code": code.group(0)}, path="/notice/status")
    assert wrong.status_code == unknown.status_code == 422
    assert Page(wrong.text).by_id["notice-code"].get("aria-invalid") == "true"


def test_errors_are_tied_to_their_fields_and_nothing_is_written(client: TestClient, db: Database) -> None:
    before = event_count(db)
    answer = send(client, answers(name="", email="", legal_ground="", bona_fide=None, location="ftp://x"))
    assert answer.status_code == 422
    page = Page(answer.text)
    links = [str(a.get("href")) for tag, a in page.tags if tag == "a" and str(a.get("href", "")).startswith("#notice-")]
    assert links == ["#notice-location", "#notice-legal_ground", "#notice-name", "#notice-email", "#notice-bona_fide"]
    for field in ("location", "legal_ground", "name", "email", "bona_fide"):
        element = page.by_id[f"notice-{field}"]
        assert element.get("aria-invalid") == "true"
        assert f"notice-{field}-error" in str(element.get("aria-describedby"))
    assert page.by_id["notice-explanation"].get("aria-invalid") is None
    assert EXPLANATION in answer.text  # what was typed is kept
    assert event_count(db) == before


def test_a_child_sexual_abuse_notice_may_be_anonymous(client: TestClient, db: Database) -> None:
    answer = send(client, answers(name="", email="", category="STATEMENT_CATEGORY_PROTECTION_OF_MINORS"))
    assert answer.status_code == 201, answer.text
    with db.read() as conn:
        assert conn.execute(select(tables.notice_notifiers.c.name, tables.notice_notifiers.c.email)).one() == (
            None,
            None,
        )


def test_in_french_with_a_french_receipt(client: TestClient, db: Database) -> None:
    form = Page(client.get("/notice?lang=fr").text)
    assert "Comment nous utilisons vos données personnelles" in form.text
    answer = send(client, answers())
    assert answer.status_code == 201
    text = Page(answer.text).text
    assert "Votre notification a été reçue" in text and "Accusé de réception" in text
    with db.read() as conn:
        assert conn.execute(select(tables.notices.c.receipt_language)).scalar() == "fr"


def test_a_post_without_the_csrf_token_is_refused(client: TestClient, db: Database) -> None:
    client.get("/notice")
    answer = client.post("/notice", data=answers())
    assert answer.status_code == 403
    assert event_count(db) == 2  # the operator and the platform, and nothing else


def test_filings_are_limited_per_address_in_the_database(client: TestClient, ticker: Ticker) -> None:
    for _ in range(5):
        assert send(client, answers(about_id="")).status_code == 422  # every attempt counts
    limited = send(client, answers())
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    ticker.now += 601
    assert send(client, answers()).status_code == 201


def test_the_status_lookup_shows_the_reply_once_decided(client: TestClient, db: Database) -> None:
    answer = send(client, answers())
    reference = re.search(r"ntc_[0-9A-Z]{26}", answer.text)
    code = re.search(r"[A-Z2-7]{5}-[A-Z2-7]{5}", answer.text)
    assert reference is not None and code is not None
    own = "We read the video you reported: it does not show your address."
    command = notices.DecideCase.parse(
        notice=reference.group(0), action="no_action", rationale="No address shown.", reply=own, automated=False
    )
    notices.decide_case(db, command, caller=Caller("moderator-1", now=Clock()()))
    looked_up = {"reference": reference.group(0), "code": code.group(0)}
    english = Page(send(client, looked_up, path="/notice/status").text).text
    assert "A decision has been taken on it." in english and own in english
    assert "No automated means were used" in english and "Article 20" in english and "Article 21" in english
    french = send(client, looked_up, path="/notice/status", lang="fr")
    assert french.status_code == 200, french.text
    assert own in Page(french.text).text and "Aucun moyen automatisé" in Page(french.text).text


def test_a_notifier_contests_the_decision_on_the_status_page(client: TestClient, db: Database) -> None:
    answer = send(client, answers())
    reference = re.search(r"ntc_[0-9A-Z]{26}", answer.text)
    code = re.search(r"[A-Z2-7]{5}-[A-Z2-7]{5}", answer.text)
    assert reference is not None and code is not None
    looked_up = {"reference": reference.group(0), "code": code.group(0)}
    # Open: nothing to contest yet.
    assert "Contest this decision" not in Page(send(client, looked_up, path="/notice/status").text).text
    command = notices.DecideCase.parse(
        notice=reference.group(0), action="no_action", rationale="No address.", reply="No action.", automated=False
    )
    notices.decide_case(db, command, caller=Caller("moderator-1", now=Clock()()))
    page = send(client, looked_up, path="/notice/status")
    assert "Contest this decision" in Page(page.text).text and 'action="/notice/contest"' in page.text
    assert "Contester cette décision" in Page(send(client, looked_up, path="/notice/status", lang="fr").text).text

    missing = send(client, {**looked_up, "name": "", "statement": " "}, path="/notice/contest")
    assert missing.status_code == 422
    assert Page(missing.text).by_id["notice-name"].get("aria-invalid") == "true"
    wrong = send(client, {**looked_up, "code": "AAAAA-AAAAA", "name": NAME, "statement": "x"}, path="/notice/contest")
    assert wrong.status_code == 422
    contest = {**looked_up, "name": NAME, "email": EMAIL, "statement": "The video does show my address."}
    filed = send(client, contest, path="/notice/contest")
    assert filed.status_code == 201, filed.text
    appeal = re.search(r"apl_[0-9A-Z]{26}", filed.text)
    assert appeal is not None and NAME not in filed.text
    with db.read() as conn:
        row = conn.execute(select(tables.appeals).where(tables.appeals.c.id == appeal.group(0))).one()
    assert (row.notice_id, row.kind, row.relation, row.channel) == (reference.group(0), "complaint", "notifier", "web")
    again = send(client, contest, path="/notice/contest", lang="fr")
    assert again.status_code == 422 and "déjà en cours d'examen" in Page(again.text).text
