"""The public appeal form at /appeal, through the app as a browser uses it (no JavaScript): the
form and its validation, the appeal code, the complaint window, CSRF, the rate limits, English and
French, and the requester's e-mail kept out of every answer but a moderator's; complaints about
content with the reference and code of a content decision's statement (issue 25 item 3)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from api_support import SETUP, Clock, bearer, reason
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from reprieve.api.app import create_app
from reprieve.domain.filters import AppealFilter
from reprieve.domain.model import AccountRef, Role
from reprieve.services import appeal_codes, appeals, catalogue, members, statements, tokens
from reprieve.services.callers import Caller
from reprieve.services.content import DecideContent, RestoreContent, decide_content, restore_content
from reprieve.services.sanctions import ImposeSanction, impose_sanction
from reprieve.store import eventlog, tables
from reprieve.store.db import Database
from reprieve.web.public import PublicLimits

EMAIL = "counsel@campaign.example"
NAME = "Counsel for the Campaign"


class Ticker:
    """The rate limiter's clock (monotonic seconds), moved by the test."""

    def __init__(self) -> None:
        self.now = 5_000.0

    def __call__(self) -> float:
        return self.now


class Page(HTMLParser):
    """The elements of a page by id, the labels by their ``for``, and the visible text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.by_id: dict[str, dict[str, str | None]] = {}
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.labels: set[str] = set()
        self.text_parts: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if attributes.get("id"):
            self.by_id[str(attributes["id"])] = {"tag": tag, **attributes}
        if tag == "label" and attributes.get("for"):
            self.labels.add(str(attributes["for"]))

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.text_parts))

    def inputs(self) -> list[dict[str, str | None]]:
        return [a for tag, a in self.tags if tag in ("input", "textarea") and a.get("type") != "hidden"]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def client(db: Database, clock: Clock, ticker: Ticker) -> Iterator[TestClient]:
    catalogue.create_operator(
        db, catalogue.CreateOperator.parse(id="meta", name="Meta Platforms"), caller=Caller(SETUP, now=clock())
    )
    catalogue.create_platform(
        db,
        catalogue.CreatePlatform.parse(id="facebook", operator="meta", name="Facebook", policy="meta"),
        caller=Caller(SETUP, now=clock()),
    )
    app = create_app(db, clock=clock)
    app.state.public_limits = PublicLimits.default(clock=ticker)
    with TestClient(app) as test_client:
        yield test_client


def suspend(db: Database, clock: Clock, account: str, **fields: Any) -> dict[str, Any]:
    fields.setdefault("duration", "P2Y")
    command = ImposeSanction.parse(
        subject=AccountRef("facebook", account), kind="suspension", reason=reason(), **fields
    )
    return impose_sanction(db, command, caller=Caller(SETUP, now=clock())).to_json()


def code_of(db: Database, sanction_id: str) -> str:
    with db.read() as conn:
        return appeal_codes.printed(appeal_codes.code_for(conn, sanction_id))


def csrf(client: TestClient, path: str = "/appeal") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def answers(sanction: str, code: str, **overrides: str) -> dict[str, str]:
    data = {
        "sanction": sanction,
        "code": code,
        "kind": "complaint",
        "name": NAME,
        "email": EMAIL,
        "relation": "representative",
        "statement": "The decision was wrong: the posts were satire.",
        "meeting_requested": "yes",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def send(client: TestClient, data: dict[str, str], *, token: str | None = None, lang: str | None = None) -> Response:
    body = dict(data, csrf_token=token if token is not None else csrf(client))
    return client.post("/appeal" + (f"?lang={lang}" if lang else ""), data=body)


def event_count(db: Database) -> int:
    with db.read() as conn:
        return eventlog.head(conn)[0]


def summary_and_field_errors(page: Page) -> tuple[list[str], dict[str, str | None]]:
    """The error summary's links, and the aria-invalid fields."""
    links = [str(a.get("href")) for tag, a in page.tags if tag == "a" and str(a.get("href", "")).startswith("#appeal-")]
    invalid = {str(a.get("id")): a.get("aria-describedby") for a in page.inputs() if a.get("aria-invalid") == "true"}
    return links, invalid


# --- the form ----------------------------------------------------------------------------------


def test_the_statement_link_prefills_the_reference_and_every_input_has_a_label(client: TestClient) -> None:
    answer = client.get("/appeal?sanction=snc_01ABC")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert "reprieve_csrf" in answer.headers.get("set-cookie", "")
    page = Page(answer.text)
    assert page.by_id["appeal-sanction"]["value"] == "snc_01ABC"
    assert "Required fields are marked *" in page.text
    assert "Your e-mail address will not be published" in page.text
    ids = {str(a["id"]) for a in page.inputs()}
    assert ids == {
        "appeal-sanction",
        "appeal-code",
        "appeal-kind-complaint",
        "appeal-kind-reinstatement",
        "appeal-name",
        "appeal-email",
        "appeal-relation-subject",
        "appeal-relation-representative",
        "appeal-statement",
        "appeal-meeting",
    }
    assert ids <= page.labels
    required = {str(a["id"]) for a in page.inputs() if "required" in a}
    assert required == ids - {"appeal-meeting"}
    assert "error-summary" not in page.by_id


def test_the_form_in_french_once_chosen_stays_french(client: TestClient) -> None:
    page = Page(client.get("/appeal?lang=fr&sanction=snc_1").text)
    assert "Les champs obligatoires sont indiqués par *" in page.text
    assert "Votre adresse e-mail ne sera pas publiée" in page.text
    assert page.by_id["appeal-sanction"]["value"] == "snc_1"
    # The choice is remembered: the next page, without ?lang=, is French too.
    assert "Contester une décision" in client.get("/appeal").text
    assert "Appeal a decision" in client.get("/appeal?lang=en").text


def test_a_valid_appeal_is_filed_on_the_web_channel_and_confirmed_with_its_reference(
    client: TestClient, db: Database, clock: Clock
) -> None:
    sanction = suspend(db, clock, "trump")
    answer = send(client, answers(sanction["id"], code_of(db, sanction["id"]).lower().replace("-", " ")))
    assert answer.status_code == 201, answer.text
    reference = re.search(r'id="appeal-reference">(apl_[0-9A-Z]+)<', answer.text)
    assert reference is not None
    assert "Appeal received" in answer.text
    # The confirmation keeps nothing personal: it may be printed or shared.
    assert EMAIL not in answer.text and NAME not in answer.text
    with db.read() as conn:
        appeal = conn.execute(select(tables.appeals).where(tables.appeals.c.id == reference.group(1))).one()
        requester = conn.execute(select(tables.appeal_requesters)).one()
    assert (appeal.sanction_id, appeal.kind, appeal.channel, appeal.relation, appeal.meeting_requested) == (
        sanction["id"],
        "complaint",
        "web",
        "representative",
        True,
    )
    assert (requester.appeal_id, requester.name, requester.email) == (appeal.id, NAME, EMAIL)


def test_a_reinstatement_request_by_the_subject_without_a_meeting(
    client: TestClient, db: Database, clock: Clock
) -> None:
    sanction = suspend(db, clock, "subject")
    data = answers(sanction["id"], code_of(db, sanction["id"]), kind="reinstatement", relation="subject")
    del data["meeting_requested"]
    answer = send(client, data)
    assert answer.status_code == 201, answer.text
    with db.read() as conn:
        appeal = conn.execute(select(tables.appeals)).one()
    assert (appeal.kind, appeal.relation, appeal.meeting_requested, appeal.deadline_at) == (
        "reinstatement",
        "subject",
        False,
        None,
    )


def test_an_empty_form_lists_every_error_at_the_top_and_beside_its_field_and_records_nothing(
    client: TestClient, db: Database
) -> None:
    before = event_count(db)
    answer = send(client, {"statement": "   "})
    assert answer.status_code == 422
    page = Page(answer.text)
    summary = page.by_id["error-summary"]
    assert summary["role"] == "alert" and summary["tabindex"] == "-1" and "autofocus" in summary
    links, invalid = summary_and_field_errors(page)
    assert links == [
        "#appeal-sanction",
        "#appeal-code",
        "#appeal-kind-complaint",
        "#appeal-statement",
        "#appeal-name",
        "#appeal-email",
        "#appeal-relation-subject",
    ]
    for field in ("sanction", "code", "name", "email", "statement"):
        assert f"appeal-{field}-error" in str(invalid[f"appeal-{field}"])
        assert f"appeal-{field}-error" in page.by_id
    for group in ("kind", "relation"):
        assert f"appeal-{group}-error" in page.by_id
    assert "Enter the appeal code" in page.text and "Choose what you are asking for" in page.text
    assert event_count(db) == before


def test_what_was_typed_is_kept_and_a_bad_email_or_overlong_text_is_named(
    client: TestClient, db: Database, clock: Clock
) -> None:
    sanction = suspend(db, clock, "kept")
    before = event_count(db)
    data = answers(sanction["id"], "ABCDE-FGHIJ", email="not-an-address", statement="x" * 20_001, name="N" * 201)
    answer = send(client, data)
    assert answer.status_code == 422
    page = Page(answer.text)
    assert page.by_id["appeal-email"]["value"] == "not-an-address"
    assert page.by_id["appeal-code"]["value"] == "ABCDE-FGHIJ"
    assert "checked" in page.by_id["appeal-relation-representative"]
    assert "Enter an e-mail address in the right format" in page.text
    assert "Your statement must be 20,000 characters or fewer" in page.text
    assert "Your name must be 200 characters or fewer" in page.text
    # Field errors come first: the code is not even checked yet.
    assert "do not match" not in page.text
    assert event_count(db) == before


def test_a_wrong_code_and_an_unknown_reference_get_the_same_answer(
    client: TestClient, db: Database, clock: Clock
) -> None:
    sanction = suspend(db, clock, "guarded")
    other = suspend(db, clock, "other")
    before = event_count(db)
    pages = []
    for reference, code in (
        (sanction["id"], "AAAAA-AAAAA"),
        (sanction["id"], code_of(db, other["id"])),  # a real code, of another sanction
        ("snc_00000000000000000000000000", code_of(db, sanction["id"])),
    ):
        answer = send(client, answers(reference, code))
        assert answer.status_code == 422
        page = Page(answer.text)
        links, invalid = summary_and_field_errors(page)
        assert links == ["#appeal-code"] and list(invalid) == ["appeal-code"]
        pages.append(page.text.replace(reference, "REF").replace(code, "CODE"))
    assert pages[0] == pages[1] == pages[2]
    assert "The reference and the appeal code do not match a decision" in pages[0]
    assert event_count(db) == before


def test_a_closed_complaint_window_says_its_deadline_in_the_requesters_language(
    client: TestClient, db: Database, clock: Clock
) -> None:
    sanction = suspend(db, clock, "late", duration="P5Y")  # imposed 2024-06-01T12:00:00Z
    clock.advance(timedelta(days=400))
    code = code_of(db, sanction["id"])
    before = event_count(db)
    answer = send(client, answers(sanction["id"], code))
    assert answer.status_code == 422
    page = Page(answer.text)
    assert "The time to contest this decision ended on 1 December 2024, 12:00 UTC" in page.text
    assert summary_and_field_errors(page)[0] == ["#appeal-kind-complaint"]
    french = Page(send(client, answers(sanction["id"], code), lang="fr").text)
    assert "Le délai pour contester cette décision a expiré le 1er décembre 2024 à 12 h 00 UTC" in french.text
    assert event_count(db) == before
    # A reinstatement request is still open to them.
    assert send(client, answers(sanction["id"], code, kind="reinstatement")).status_code == 201


def test_one_open_appeal_per_decision_and_no_reinstatement_of_a_decision_that_ran_out(
    client: TestClient, db: Database, clock: Clock
) -> None:
    sanction = suspend(db, clock, "twice")
    code = code_of(db, sanction["id"])
    assert send(client, answers(sanction["id"], code)).status_code == 201
    again = send(client, answers(sanction["id"], code))
    assert again.status_code == 422
    assert "An appeal against this decision is already being examined" in Page(again.text).text
    short = suspend(db, clock, "short", duration="P1D")
    clock.advance(timedelta(days=2))
    expired = send(client, answers(short["id"], code_of(db, short["id"]), kind="reinstatement"))
    assert expired.status_code == 422
    assert "This decision is no longer in force" in Page(expired.text).text


# --- CSRF and rate limits -----------------------------------------------------------------------


def test_a_filing_without_the_forms_token_is_refused_and_records_nothing(
    client: TestClient, db: Database, clock: Clock
) -> None:
    sanction = suspend(db, clock, "csrf")
    data = answers(sanction["id"], code_of(db, sanction["id"]))
    csrf(client)  # the browser holds the cookie
    before = event_count(db)
    refused = client.post("/appeal", data=data)
    assert refused.status_code == 403
    assert 'href="/appeal"' in refused.text  # back to the form, not to the console's sign-in
    assert client.post("/appeal", data=dict(data, csrf_token="x" * 43)).status_code == 403
    stranger = TestClient(client.app)  # no cookie: a token copied from elsewhere is not enough
    assert stranger.post("/appeal", data=dict(data, csrf_token=csrf(client))).status_code == 403
    assert event_count(db) == before
    assert send(client, data).status_code == 201


def test_five_filings_per_ten_minutes_then_429_with_retry_after(
    client: TestClient, db: Database, clock: Clock, ticker: Ticker
) -> None:
    sanction = suspend(db, clock, "flood")
    token = csrf(client)
    for _ in range(5):
        assert send(client, answers(sanction["id"], "WRONG-CODE0"), token=token).status_code == 422
    ticker.now += 60
    before = event_count(db)
    refused = send(client, answers(sanction["id"], code_of(db, sanction["id"])), token=token)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "540"
    assert "Too many requests" in refused.text and "9 minutes" in refused.text
    assert event_count(db) == before
    ticker.now += 540
    assert send(client, answers(sanction["id"], code_of(db, sanction["id"])), token=token).status_code == 201


def test_thirty_page_loads_a_minute(client: TestClient, ticker: Ticker) -> None:
    for _ in range(30):
        assert client.get("/appeal").status_code == 200
    refused = client.get("/appeal?lang=fr")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert "Trop de requêtes" in refused.text and "une minute" in refused.text
    ticker.now += 60
    assert client.get("/appeal").status_code == 200


# --- the requester's e-mail --------------------------------------------------------------------


def test_the_email_appears_in_no_answer_event_log_line_or_page_but_a_moderators(
    client: TestClient, db: Database, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    sanction = suspend(db, clock, "private")
    with caplog.at_level(logging.DEBUG):
        answer = send(client, answers(sanction["id"], code_of(db, sanction["id"])))
    assert answer.status_code == 201
    assert caplog.records and EMAIL not in caplog.text and NAME not in caplog.text
    appeal_id = re.search(r'id="appeal-reference">(apl_[0-9A-Z]+)<', answer.text).group(1)  # type: ignore[union-attr]
    with db.read() as conn:
        events = [e.to_dict() for e in eventlog.read_events(conn, limit=10_000)]
    assert EMAIL not in json.dumps(events) and NAME not in json.dumps(events)
    filed = [e for e in events if e["type"] == "appeal.filed"]
    assert filed[0]["actor"] == "system:public-form" and filed[0]["data"]["channel"] == "web"

    headers = {
        role: bearer(
            tokens.create_token(
                db,
                tokens.CreateToken.parse(name=f"t-{role.value}", role=role.value, operator="meta"),
                caller=Caller(SETUP, now=clock()),
            ).secret
        )
        for role in (Role.REVIEWER, Role.AUDITOR, Role.PLATFORM, Role.MODERATOR)
    }
    for role in (Role.REVIEWER, Role.AUDITOR, Role.PLATFORM):
        for path in (
            "/v1/appeals",
            f"/v1/appeals/{appeal_id}",
            "/v1/events?limit=1000",
            f"/v1/sanctions/{sanction['id']}",
        ):
            seen = client.get(path, headers=headers[role])
            assert seen.status_code in (200, 403), (role, path, seen.text)
            assert EMAIL not in seen.text and NAME not in seen.text, (role, path)
    for path in ("/appeal", f"/appeal?sanction={sanction['id']}"):
        assert EMAIL not in client.get(path).text
    # The people who answer the appeal see who to answer.
    moderator = client.get(f"/v1/appeals/{appeal_id}", headers=headers[Role.MODERATOR]).json()
    assert moderator["filed_by"] == {"relation": "representative", "name": NAME, "email": EMAIL}


def test_in_the_console_the_email_is_shown_only_to_a_moderator_who_reveals_it_and_that_is_recorded(
    client: TestClient, db: Database, clock: Clock
) -> None:
    sanction = suspend(db, clock, "console")
    answer = send(client, answers(sanction["id"], code_of(db, sanction["id"])))
    appeal_id = re.search(r'id="appeal-reference">(apl_[0-9A-Z]+)<', answer.text).group(1)  # type: ignore[union-attr]
    password = "a long enough password"
    pages = (
        f"/console/appeals/{appeal_id}",
        "/console/queues/appeals",
        f"/console/sanctions/{sanction['id']}",
        "/console/accounts/facebook/console",
        "/console/audit",
        "/console",
    )
    ids = {}
    for role in ("moderator", "reviewer", "auditor"):
        ids[role] = members.create_member(
            db,
            members.CreateMember.parse(
                email=f"{role}@meta.example", name=f"A {role}", role=role, operator="meta", password=password
            ),
            caller=Caller(SETUP, now=clock()),
        ).id
        desk = TestClient(client.app)
        signed = desk.post(
            "/console/sign-in",
            data={
                "email": f"{role}@meta.example",
                "password": password,
                "csrf_token": csrf(desk, "/console/sign-in"),
            },
        )
        assert signed.status_code == 200 and signed.url.path == "/console", signed.text
        for path in pages:
            seen = desk.get(path)
            assert seen.status_code in (200, 403), (role, path, seen.status_code)
            assert EMAIL not in seen.text, (role, path)  # behind the button, for everyone
            assert (NAME in seen.text) == (role == "moderator" and path == pages[0]), (role, path)
        revealed = desk.post(f"/console/appeals/{appeal_id}/reveal", data={"csrf_token": csrf(desk, "/console")})
        assert revealed.status_code == (200 if role == "moderator" else 403), (role, revealed.status_code)
        assert (EMAIL in revealed.text) == (role == "moderator"), role
        without_token = desk.post(f"/console/appeals/{appeal_id}/reveal", data={})
        assert without_token.status_code == 403 and EMAIL not in without_token.text
    with db.read() as conn:
        rows = conn.execute(select(tables.personal_data_access)).mappings().all()
        requester = conn.execute(select(tables.appeals.c.requester).where(tables.appeals.c.id == appeal_id)).scalar()
    assert [(r["actor"], r["via"], r["appeal_id"], r["subject"], r["fields"], r["operator_id"]) for r in rows] == [
        (f"member:{ids['moderator']}", "console", appeal_id, requester, "email", "meta")
    ]
    assert EMAIL not in json.dumps([dict(r) for r in rows])


def test_the_statement_from_the_form_is_kept_beside_the_log_and_read_back(
    client: TestClient, db: Database, clock: Clock
) -> None:
    statement = "Statement 3c9e: I wrote about my neighbour, not about anyone here."
    sanction = suspend(db, clock, "statement")
    answer = send(client, answers(sanction["id"], code_of(db, sanction["id"]), statement=statement))
    assert answer.status_code == 201, answer.text
    appeal_id = re.search(r'id="appeal-reference">(apl_[0-9A-Z]+)<', answer.text).group(1)  # type: ignore[union-attr]
    with db.read() as conn:
        data = "\n".join(conn.execute(select(tables.events.c.data)).scalars())
        kept = conn.execute(select(tables.personal_data.c.kind, tables.personal_data.c.value)).all()
    assert statement not in data and ("appeal.statement", statement) in kept
    moderator = bearer(
        tokens.create_token(
            db,
            tokens.CreateToken.parse(name="t-mod", role="moderator", operator="meta"),
            caller=Caller(SETUP, now=clock()),
        ).secret
    )
    assert client.get(f"/v1/appeals/{appeal_id}", headers=moderator).json()["statement"] == statement


# --- complaints about content (issue 25 item 3) ---------------------------------------------


def content_removal(db: Database, clock: Clock, item: str) -> str:
    command = DecideContent.parse(
        item={
            "platform": "facebook",
            "item": item,
            "account": "poster",
            "content_type": ["CONTENT_TYPE_TEXT"],
            "content_date": "2024-05-30",
        },
        kind="removal",
        reason=reason(),
        strike=True,
    )
    return decide_content(db, command, caller=Caller(SETUP, now=clock())).id


def code_of_decision(db: Database, decision_id: str) -> str:
    with db.read() as conn:
        return appeal_codes.printed(appeal_codes.code_for(conn, decision_id))


def test_a_complaint_about_content_is_filed_with_the_code_of_its_statement(
    client: TestClient, db: Database, clock: Clock
) -> None:
    decision = content_removal(db, clock, "post-1")
    # The statement's link fills the reference in; the delivered copy prints the code.
    page = Page(client.get(f"/appeal?content_decision={decision}").text)
    assert page.by_id["appeal-sanction"]["value"] == decision
    with db.read() as conn:
        docs = tables.issued_documents.c
        statement = conn.execute(select(docs.id).where(docs.sanction_id == decision)).scalar_one()
    copy = statements.delivery_copy(db, statement, caller=Caller(SETUP, now=clock()))
    code = code_of_decision(db, decision)
    assert code in copy.page and f'"code":"{code}"' in copy.document
    # A wrong code: the same answer as an unknown reference, nothing recorded.
    before = event_count(db)
    wrong = send(client, answers(decision, "AAAAA-AAAAA"))
    assert wrong.status_code == 422 and "do not match a decision" in Page(wrong.text).text
    # A reinstatement request is for an account.
    refused = send(client, answers(decision, code, kind="reinstatement"))
    assert refused.status_code == 422
    assert "contested with a complaint" in Page(refused.text).text and event_count(db) == before
    filed = send(client, answers(decision, code.lower().replace("-", "")))
    assert filed.status_code == 201, filed.text
    listed = appeals.list_appeals(db, AppealFilter(content_decision=decision)).items
    assert [(a.content_decision, a.sanction, a.kind.value, a.channel.value) for a in listed] == [
        (decision, None, "complaint", "web")
    ]
    assert listed[0].id in Page(filed.text).text


def test_a_closed_window_and_restored_content_are_said_in_french(
    client: TestClient, db: Database, clock: Clock
) -> None:
    late = content_removal(db, clock, "post-2")
    restored = content_removal(db, clock, "post-3")
    clock.advance(timedelta(days=1))
    restore_content(db, restored, RestoreContent.parse(reason="put back"), caller=Caller(SETUP, now=clock()))
    gone = send(client, answers(restored, code_of_decision(db, restored)), lang="fr")
    assert gone.status_code == 422 and "Votre contenu a été rétabli" in Page(gone.text).text
    clock.advance(timedelta(days=200))
    closed = send(client, answers(late, code_of_decision(db, late)), lang="fr")
    assert closed.status_code == 422
    assert "Le délai pour contester cette décision a expiré le 1er décembre 2024" in Page(closed.text).text
