"""The console's forms forgive (issue 18): a refused form comes back as typed, with an error
summary at the top and the error beside its field, named by the field's label; the term is a
preset or a typed duration (in words or ISO 8601) or end, never a silent indefinite term; the
impose form carries the DSA's fields, so that what it imposes passes the Transparency Database's
checks; the amnesty wizard's "back" keeps the filters; the search box takes a bare handle or a
sanction's reference. Over HTTP without a browser, on SQLite only: what is tested is the pages'
handling of forms, which runs the same on both backends (the services below are tested on both)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import Clock
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from reprieve.api.app import create_app
from reprieve.domain.model import AccountRef
from reprieve.dsa.validate import problems
from reprieve.services import appeals, catalogue, members, notices, sanctions, transparency
from reprieve.services.callers import Caller
from reprieve.store import tables
from reprieve.store.db import Database, open_database

PASSWORD = "correct horse battery"
CATEGORY = "STATEMENT_CATEGORY_SCAMS_AND_FRAUD"


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(members, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    members._dummy_hash.cache_clear()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """SQLite only (see the module's docstring): these tests cost a database each."""
    database = open_database(f"sqlite:///{tmp_path / 'reprieve.db'}")
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def console(db: Database, clock: Clock) -> TestClient:
    """Operator meta with facebook (social) and a shop (app store), a moderator signed in."""
    catalogue.create_operator(
        db, catalogue.CreateOperator.parse(id="meta", name="Meta"), caller=Caller("test", now=clock.now)
    )
    catalogue.create_platform(
        db,
        catalogue.CreatePlatform.parse(id="facebook", operator="meta", name="Facebook"),
        caller=Caller("test", now=clock.now),
    )
    catalogue.create_platform(
        db,
        catalogue.CreatePlatform.parse(id="apps", operator="meta", name="Apps", kind="app_store"),
        caller=Caller("test", now=clock.now),
    )
    for role in ("moderator", "reviewer"):
        members.create_member(
            db,
            members.CreateMember.parse(
                email=f"{role}@meta.example", name=role.title(), role=role, operator="meta", password=PASSWORD
            ),
            caller=Caller("test", now=clock.now),
        )
    client = TestClient(create_app(db, clock=clock, group_commit=False))
    sign_in(client, "moderator@meta.example")
    return client


def csrf(client: TestClient, path: str = "/console") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


def sign_in(client: TestClient, email: str) -> None:
    client.post(
        "/console/sign-in",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf(client, "/console/sign-in")},
        follow_redirects=False,
    )


def count(db: Database, table: Any) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def impose_form(client: TestClient, **change: str) -> dict[str, Any]:
    return {
        "csrf_token": csrf(client),
        "confirm": "yes",
        "subject": "facebook/carol",
        "kind": "suspension",
        "scope": "facebook",
        "policy": "Fraud",
        "ground": "incompatible_content",
        "category": CATEGORY,
        "explanation": "Sold counterfeit tickets",
        "content_type": "CONTENT_TYPE_TEXT",
        "content_date": "2026-01-01",
        "facts": "Sold 40 fake tickets on 1 January",
        **change,
    }


def error_summary(page: str) -> list[str]:
    found = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert found, page[:2000]
    return [html.unescape(m) for m in re.findall(r"<li>(?:<a [^>]*>)?(.*?)(?:</a>)?</li>", found.group(0))]


def test_a_refused_impose_comes_back_as_typed_with_its_error_beside_the_field(
    console: TestClient, db: Database
) -> None:
    answer = console.post(
        "/console/sanctions",
        data=impose_form(console, duration="seven days", facts="Three reports", policy="Tickets §4"),
    )
    assert answer.status_code == 400 and count(db, tables.sanctions) == 0
    page = answer.text
    assert error_summary(page) == [
        "Duration: 'seven days' is not a duration: type, for example, 7 days, 48 hours, 2 years or P30D"
    ]
    assert 'href="#impose-duration"' in page and 'id="impose-duration-error"' in page
    assert 'aria-invalid="true"' in page and 'id="impose-action" open' in page
    # every typed value is kept
    assert 'value="seven days"' in page and ">Three reports</textarea>" in page
    assert 'value="Tickets §4"' in page and ">Sold counterfeit tickets</textarea>" in page
    assert f'<option value="{CATEGORY}" selected>' in page
    # every field at fault at once, in the page's order
    several = console.post(
        "/console/sanctions",
        data=impose_form(console, duration="2 ans", facts=" ", review_after="soon", content_type=""),
    )
    assert several.status_code == 400
    assert [line.split(":")[0] for line in error_summary(several.text)] == ["Review after", "Type of content", "Facts"]
    # a field's name as the page labels it, not as the code does
    missing = console.post("/console/sanctions", data=impose_form(console, duration="", ends_at="", term="other"))
    assert missing.status_code == 400
    assert error_summary(missing.text)[0].startswith("Duration: give a duration or an end, or choose 'Indefinite'")
    french = console.post("/console/sanctions?lang=fr", data=impose_form(console, ends_at="2020-01-01T00:00"))
    assert french.status_code == 400 and "Il y a un problème" in french.text
    assert error_summary(french.text)[0].startswith("Fin (UTC): ")  # the label, not ends_at


def test_an_empty_term_is_never_a_silent_indefinite_term(console: TestClient, db: Database, clock: Clock) -> None:
    refused = console.post("/console/sanctions", data=impose_form(console), follow_redirects=False)
    assert refused.status_code == 400 and count(db, tables.sanctions) == 0
    chosen = console.post("/console/sanctions", data=impose_form(console, term="indefinite"), follow_redirects=False)
    assert chosen.status_code == 303
    assert (
        sanctions.get_sanction(db, chosen.headers["location"].split("sanction=")[1], at=clock.now).to_json()["ends_at"]
        is None
    )
    # a termination has no end to choose ("Other", the form's default, with nothing typed)
    ended = console.post(
        "/console/sanctions",
        data=impose_form(console, kind="termination", subject="facebook/tom", term="other"),
        follow_redirects=False,
    )
    assert ended.status_code == 303


def test_a_preset_or_a_duration_in_words_sets_the_end(console: TestClient, db: Database, clock: Clock) -> None:
    for given, days in (
        ({"term": "P7D"}, {7}),
        ({"term": "P1Y"}, {365, 366}),
        ({"duration": "48 hours"}, {2}),
        ({"duration": "1 week"}, {7}),
        ({"duration": "7 jours"}, {7}),
        ({"duration": "2 ans"}, {730, 731}),
        ({"duration": "P30D"}, {30}),
    ):
        answer = console.post("/console/sanctions", data=impose_form(console, **given), follow_redirects=False)
        assert answer.status_code == 303, error_summary(answer.text)
        sanction = sanctions.get_sanction(db, answer.headers["location"].split("sanction=")[1], at=clock.now).to_json()
        term = transparency_instant(sanction["ends_at"]) - transparency_instant(sanction["starts_at"])
        assert term.days in days and not term.seconds, (given, term)


def transparency_instant(value: str) -> Any:
    from reprieve.domain.time import parse_instant

    return parse_instant(value)


def test_denies_is_ignored_for_another_kind_than_a_restriction(console: TestClient, db: Database, clock: Clock) -> None:
    answer = console.post(
        "/console/sanctions", data=impose_form(console, term="P7D", denies="post"), follow_redirects=False
    )
    assert answer.status_code == 303
    assert (
        sanctions.get_sanction(db, answer.headers["location"].split("sanction=")[1], at=clock.now).to_json()["denies"]
        == []
    )
    page = console.get("/console/accounts/facebook/carol").text
    assert 'data-shown-for-kind="restriction"' in page  # shown by script only for a restriction


def test_what_the_console_imposes_passes_the_transparency_database_checks(console: TestClient, db: Database) -> None:
    page = console.get("/console/accounts/apps/some-app").text
    assert 'value="CONTENT_TYPE_APP" checked' in page  # the default of an app store
    assert 'value="CONTENT_TYPE_TEXT" checked' in console.get("/console/accounts/facebook/carol").text
    form = impose_form(
        console,
        term="P30D",
        subject="apps/some-app",
        scope="apps",
        content_type="CONTENT_TYPE_APP",
        content_date="2026-01-02",
        territorial_scope=["FR", "DE"],
        automated_detection="yes",
        automated_decision="partially",
    )
    assert console.post("/console/sanctions", data=form, follow_redirects=False).status_code == 303
    restriction = impose_form(console, kind="restriction", denies="post", duration="7 days")
    assert console.post("/console/sanctions", data=restriction, follow_redirects=False).status_code == 303
    exported = list(transparency.export_decisions(db, operator="meta", within=transparency.Period(None, None)))
    assert len(exported) == 2 and all(e.problems == [] and e.statement for e in exported), exported
    for item in exported:
        assert item.statement is not None and problems(item.statement) == []
    app = next(e.statement for e in exported if e.statement and e.statement["content_type"] == ["CONTENT_TYPE_APP"])
    assert app["territorial_scope"] == ["DE", "FR"] and app["automated_detection"] == "Yes"
    assert app["content_date"] == "2026-01-02"


def impose_directly(db: Database, clock: Clock, subject: str) -> str:
    reason = {"ground": "incompatible_content", "category": CATEGORY, "policy": "Fraud", "explanation": "x"}
    command = sanctions.ImposeSanction.parse(
        subject=AccountRef.parse(subject), kind="suspension", reason=reason, duration="P30D"
    )
    return str(sanctions.impose_sanction(db, command, caller=Caller("test", now=clock.now)).to_json()["id"])


def test_amend_lift_and_review_forms_come_back_as_typed(console: TestClient, db: Database, clock: Clock) -> None:
    sanction = impose_directly(db, clock, "facebook/judy")
    amend = console.post(
        f"/console/sanctions/{sanction}/amend",
        data={
            "csrf_token": csrf(console),
            "confirm": "yes",
            "ends_at": "2000-01-01T00:00",
            "reason": "Shorter, as agreed",
            "back": "/console/accounts/facebook/judy",
        },
    )
    assert amend.status_code == 400 and error_summary(amend.text)[0].startswith("New end (UTC): ")
    assert ">Shorter, as agreed</textarea>" in amend.text and 'value="2000-01-01T00:00"' in amend.text
    # sent from the account's page, it comes back there, its summary linking to that sanction's field
    assert "<h1>facebook/judy" in amend.text and 'href="#s1-amend-ends"' in amend.text
    assert 'id="s1-amend-ends-error"' in amend.text and 'id="s1-amend-action" open' in amend.text
    assert 'name="back" value="/console/accounts/facebook/judy"' in amend.text
    lift = console.post(
        f"/console/sanctions/{sanction}/lift", data={"csrf_token": csrf(console), "reason": "Appeal granted"}
    )
    assert lift.status_code == 400 and ">Appeal granted</textarea>" in lift.text
    assert error_summary(lift.text) == ["Confirmation: tick the confirmation box to go ahead"]
    assert 'href="#lift-confirm"' in lift.text
    review = console.post(
        f"/console/sanctions/{sanction}/reviews",
        data={
            "csrf_token": csrf(console),
            "confirm": "yes",
            "panel": "Reviewer, Reviewer",
            "reason": "Has it receded?",
        },
    )
    assert 400 <= review.status_code < 500 and ">Has it receded?</textarea>" in review.text
    assert 'value="Reviewer, Reviewer"' in review.text and 'id="review-action" open' in review.text
    assert count(db, tables.reviews) == 0


def test_review_and_appeal_decisions_come_back_as_typed(console: TestClient, db: Database, clock: Clock) -> None:
    sanction = impose_directly(db, clock, "facebook/frank")
    opened = console.post(
        f"/console/sanctions/{sanction}/reviews",
        follow_redirects=False,
        data={"csrf_token": csrf(console), "confirm": "yes", "panel": "Reviewer", "reason": "Has it receded?"},
    )
    review = opened.headers["location"].split("/")[-1].split("?")[0]
    sign_in(console, "reviewer@meta.example")
    assess = console.post(
        f"/console/reviews/{review}/assessments",
        data={
            "csrf_token": csrf(console),
            "confirm": "yes",
            "risk": "low",
            "factors": "election_period",
            "rationale": " ",
        },
    )
    assert assess.status_code == 400 and error_summary(assess.text)[0].startswith("Rationale: ")
    assert 'value="election_period" checked' in assess.text and '<option value="low" selected>' in assess.text
    decide = console.post(
        f"/console/reviews/{review}/decision",
        data={
            "csrf_token": csrf(console),
            "confirm": "yes",
            "outcome": "reduce",
            "probation": "forever",
            "rationale": "Still a risk",
        },
    )
    assert decide.status_code == 400 and error_summary(decide.text)[0].startswith("Probation: 'forever' is not")
    assert ">Still a risk</textarea>" in decide.text and 'id="decide-action" open' in decide.text
    filed = console.post(
        f"/console/reviews/{review}/assessments",
        follow_redirects=False,
        data={"csrf_token": csrf(console), "confirm": "yes", "risk": "low", "rationale": "Quiet since"},
    )
    assert filed.status_code == 303
    decided = console.post(
        f"/console/reviews/{review}/decision",
        follow_redirects=False,
        data={"csrf_token": csrf(console), "confirm": "yes", "outcome": "lift", "rationale": "Receded"},
    )
    assert decided.status_code == 303, error_summary(decided.text)
    # an appeal
    sign_in(console, "moderator@meta.example")
    appeal = appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=impose_directly(db, clock, "facebook/gina"),
            kind="complaint",
            filed_by={"relation": "subject", "name": "Gina"},
            statement="Not me",
            channel="api",
        ),
        caller=Caller("test", now=clock.now),
    )
    refused = console.post(
        f"/console/appeals/{appeal.id}/decision",
        data={
            "csrf_token": csrf(console),
            "confirm": "yes",
            "outcome": "partially_granted",
            "ends_at": "1999-01-01T00:00",
            "rationale": "Half right",
            "reply": "We shortened it",
        },
    )
    assert 400 <= refused.status_code < 500 and ">We shortened it</textarea>" in refused.text
    assert ">Half right</textarea>" in refused.text
    assert error_summary(refused.text)[0].startswith("New end, for a partial grant (UTC): ")


def test_the_amnesty_filters_come_back_refused_and_from_the_preview(
    console: TestClient, db: Database, clock: Clock
) -> None:
    impose_directly(db, clock, "facebook/gina")
    refused = console.get(
        "/console/amnesties/preview?platforms=facebook&kinds=suspension&exclude_policies=Spam"
        "&started_before=yesterday&reason=Clean+slate"
    )
    assert refused.status_code == 400 and error_summary(refused.text)[0].startswith("Started before (UTC): ")
    assert 'value="facebook" checked' in refused.text and 'value="suspension" checked' in refused.text
    assert ">Clean slate</textarea>" in refused.text and 'value="Spam"' in refused.text
    no_reason = console.get("/console/amnesties/preview?platforms=facebook")
    assert no_reason.status_code == 400 and error_summary(no_reason.text)[0].startswith("Reason: ")
    preview = console.get("/console/amnesties/preview?platforms=facebook&kinds=suspension&reason=Clean+slate")
    back = re.search(r'<a href="([^"]+)" id="amnesty-back"', preview.text)
    assert back
    again = console.get(html.unescape(back.group(1))).text
    assert 'value="facebook" checked' in again and ">Clean slate</textarea>" in again
    wrong = console.post(
        "/console/amnesties",
        data={
            "csrf_token": csrf(console),
            "confirm": "yes",
            "platforms": "facebook",
            "reason": "Clean slate",
            "typed_count": "3",
        },
    )
    assert (
        wrong.status_code == 409
        and 'value="3"' in wrong.text
        and error_summary(wrong.text)[0].startswith("Number of sanctions: type the number")
    )


def test_the_search_box_takes_a_handle_or_a_sanction_reference(console: TestClient, db: Database, clock: Clock) -> None:
    sanction = impose_directly(db, clock, "facebook/DonaldTrump")
    handle = console.get("/console/accounts?q=DonaldTrump")
    assert handle.status_code == 200
    assert 'href="/console/accounts/facebook/DonaldTrump"' in handle.text  # recorded
    assert 'href="/console/accounts/apps/DonaldTrump"' in handle.text  # not recorded, can be opened
    opened = console.get(f"/console/accounts?q={sanction}", follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == f"/console/sanctions/{sanction}"
    full = console.get("/console/accounts?q=facebook/DonaldTrump", follow_redirects=False)
    assert full.headers["location"] == "/console/accounts/facebook/DonaldTrump"
    nothing = console.get("/console/accounts?q=two+words")
    assert nothing.status_code == 200 and 'id="search-nothing"' in nothing.text


def test_a_notifiers_complaint_shows_and_is_decided_in_the_console(
    console: TestClient, db: Database, clock: Clock
) -> None:
    """Issue 26: the appeal page and the queue name the notice; granted or denied, no partial grant."""
    received = notices.receive_notice(
        db,
        notices.ReceiveNotice.parse(
            platform="facebook",
            about={"item": "post-1"},
            location="https://facebook.example/posts/1",
            explanation="Spam, fifty times over.",
            category=CATEGORY,
            illegal=False,
            notifier={"kind": "individual", "name": "Nia Notifier", "email": "nia@example.org"},
            bona_fide=True,
            channel="api",
        ),
        caller=Caller("meta:platform", now=clock.now),
    )
    command = notices.DecideCase.parse(
        notice=received.id, action="no_action", rationale="Not spam.", reply="No action.", automated=False
    )
    notices.decide_case(db, command, caller=Caller("moderator-1", now=clock.now))
    appeal = appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=None,
            notice_id=received.id,
            kind="complaint",
            filed_by={"name": "Nia Notifier", "relation": "notifier"},
            statement="It is spam.",
            channel="web",
        ),
        caller=Caller("system:public-form", now=clock.now),
    )
    queue = console.get("/console/queues/appeals")
    assert queue.status_code == 200 and received.id in queue.text
    page = console.get(f"/console/appeals/{appeal.id}")
    assert page.status_code == 200, page.text[:2000]
    assert received.id in page.text and "the notifier" in page.text
    assert 'value="partially_granted"' not in page.text
    decided = console.post(
        f"/console/appeals/{appeal.id}/decision",
        data={
            "csrf_token": csrf(console),
            "confirm": "yes",
            "outcome": "granted",
            "rationale": "Spam indeed.",
            "reply": "We look again.",
        },
        follow_redirects=False,
    )
    assert decided.status_code in (302, 303), error_summary(decided.text)
    assert notices.get_case(db, received.case, caller=Caller("test")).state.value == "open"
