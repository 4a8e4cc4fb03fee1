"""The console over HTTP without a browser: sign-in and sessions, lock-out, CSRF, roles and tenancy,
bad input, languages, security headers. On SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from api_support import Clock
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from reprieve.api.app import create_app
from reprieve.domain.filters import SanctionFilter
from reprieve.domain.model import AccountRef
from reprieve.services import appeals, catalogue, members, sanctions
from reprieve.services.callers import Caller
from reprieve.store import tables
from reprieve.store.db import Database
from reprieve.web import security

PASSWORD = "correct horse battery"
REASON: dict[str, Any] = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "policy": "Fraud",
    "explanation": "Sold counterfeit tickets",
}


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with its smallest cost: these tests are about sessions, not about the hash's strength."""
    monkeypatch.setattr(members, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    members._dummy_hash.cache_clear()


@pytest.fixture
def console(db: Database, clock: Clock) -> TestClient:
    """Operators meta (facebook) and x (twitter), a member of each role, a sanction on each side."""
    for op, platform in (("meta", "facebook"), ("x", "twitter")):
        catalogue.create_operator(
            db, catalogue.CreateOperator.parse(id=op, name=op), caller=Caller("test", now=clock.now)
        )
        catalogue.create_platform(
            db,
            catalogue.CreatePlatform.parse(id=platform, operator=op, name=platform),
            caller=Caller("test", now=clock.now),
        )
    for role in ("moderator", "auditor", "reviewer", "admin"):
        members.create_member(
            db,
            members.CreateMember.parse(
                email=f"{role}@meta.example", name=role.title(), role=role, operator="meta", password=PASSWORD
            ),
            caller=Caller("test", now=clock.now),
        )
    members.create_member(
        db,
        members.CreateMember.parse(
            email="moderator@x.example", name="X Mod", role="moderator", operator="x", password=PASSWORD
        ),
        caller=Caller("test", now=clock.now),
    )
    return TestClient(create_app(db, clock=clock, group_commit=False))


def impose(db: Database, clock: Clock, subject: str) -> str:
    command = sanctions.ImposeSanction.parse(subject=AccountRef.parse(subject), kind="suspension", reason=REASON)
    return str(sanctions.impose_sanction(db, command, caller=Caller("test", now=clock.now)).to_json()["id"])


def csrf(client: TestClient, path: str = "/console/sign-in") -> str:
    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    return client.post(
        "/console/sign-in",
        data={"email": email, "password": password, "csrf_token": csrf(client)},
        follow_redirects=False,
    )


def count(db: Database, table: Any, *where: Any) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def test_a_page_needs_a_session_and_sign_in_opens_one(console: TestClient) -> None:
    assert (
        console.get("/console", follow_redirects=False).headers["location"].endswith("/console/sign-in?next=%2Fconsole")
    )
    answer = sign_in(console, "Moderator@Meta.example")  # e-mails are compared without case
    assert answer.status_code == 303 and answer.headers["location"] == "/console"
    session = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("reprieve_session="))
    assert "HttpOnly" in session and "SameSite=lax" in session and "Secure" not in session
    assert "<h1>Dashboard</h1>" in console.get("/console").text


def test_over_https_the_cookies_are_secure(db: Database, console: TestClient) -> None:
    client = TestClient(console.app, base_url="https://console.example")
    answer = sign_in(client, "moderator@meta.example")
    assert all("Secure" in c for c in answer.headers.get_list("set-cookie"))


def test_behind_a_tls_proxy_the_public_address_makes_the_cookies_secure(
    console: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPRIEVE_PUBLIC_URL", "https://reprieve.example")
    security.served_over_https.cache_clear()
    try:
        answer = sign_in(console, "moderator@meta.example")  # plain http from the proxy
        assert all("Secure" in c for c in answer.headers.get_list("set-cookie"))
    finally:
        monkeypatch.undo()
        security.served_over_https.cache_clear()


def test_a_wrong_password_is_refused_and_opens_no_session(console: TestClient, db: Database) -> None:
    answer = sign_in(console, "moderator@meta.example", "not the password")
    assert answer.status_code == 401 and "Wrong e-mail or password." in answer.text
    assert "reprieve_session" not in answer.headers.get("set-cookie", "")
    assert sign_in(console, "nobody@meta.example").status_code == 401  # the same answer for no such member
    assert count(db, tables.console_sessions) == 0


def test_five_failures_start_a_back_off_that_refused_attempts_do_not_extend(console: TestClient, clock: Clock) -> None:
    for _ in range(4):
        assert sign_in(console, "auditor@meta.example", "guess").status_code == 401
    fifth = sign_in(console, "auditor@meta.example", "guess")
    assert fifth.status_code == 429 and fifth.headers["retry-after"] == "60"
    assert "wait 1 min" in fifth.text
    locked = sign_in(console, "auditor@meta.example")  # even the right password, unchecked
    assert locked.status_code == 429 and locked.headers["retry-after"] == "60"
    assert sign_in(console, "moderator@meta.example").status_code == 303  # others are not locked
    clock.advance(timedelta(seconds=30))
    assert sign_in(console, "auditor@meta.example").headers["retry-after"] == "30"  # not re-armed
    clock.advance(timedelta(seconds=30))
    assert sign_in(console, "auditor@meta.example").status_code == 303


def test_sign_out_ends_the_session(console: TestClient) -> None:
    sign_in(console, "moderator@meta.example")
    answer = console.post("/console/sign-out", data={"csrf_token": csrf(console, "/console")}, follow_redirects=False)
    assert answer.status_code == 303
    assert console.get("/console", follow_redirects=False).status_code == 303


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    console: TestClient, db: Database, clock: Clock
) -> None:
    sanction = impose(db, clock, "facebook/alice")
    refused = console.post("/console/sign-in", data={"email": "moderator@meta.example", "password": PASSWORD})
    assert refused.status_code == 403 and count(db, tables.sign_in_attempts) == 0
    sign_in(console, "moderator@meta.example")
    form = {"reason": "appeal granted", "confirm": "yes"}
    assert console.post(f"/console/sanctions/{sanction}/lift", data=form).status_code == 403
    wrong = console.post(f"/console/sanctions/{sanction}/lift", data={**form, "csrf_token": "x" * 43})
    assert wrong.status_code == 403 and "security token" in wrong.text
    assert count(db, tables.events, tables.events.c.type == "sanction.lifted") == 0
    done = console.post(
        f"/console/sanctions/{sanction}/lift",
        data={**form, "csrf_token": csrf(console, "/console")},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert count(db, tables.events, tables.events.c.type == "sanction.lifted") == 1


@pytest.mark.parametrize(
    ("email", "method", "path", "status"),
    [
        ("auditor@meta.example", "post", "/console/sanctions", 403),
        ("reviewer@meta.example", "post", "/console/sanctions/{sanction}/lift", 403),
        ("auditor@meta.example", "post", "/console/sanctions/{sanction}/amend", 403),
        ("auditor@meta.example", "get", "/console/amnesties/preview?reason=x", 403),
        ("moderator@meta.example", "get", "/console/audit", 403),
        ("auditor@meta.example", "get", "/console/audit?verify=1", 200),
        ("auditor@meta.example", "get", "/console/sanctions/{sanction}", 200),
        ("moderator@x.example", "get", "/console/sanctions/{sanction}", 404),  # another operator's
        ("moderator@x.example", "post", "/console/sanctions/{sanction}/lift", 404),
    ],
)
def test_roles_and_operators(
    console: TestClient, db: Database, clock: Clock, email: str, method: str, path: str, status: int
) -> None:
    sanction = impose(db, clock, "facebook/bob")
    sign_in(console, email)
    form = {
        "csrf_token": csrf(console, "/console"),
        "confirm": "yes",
        "reason": "r",
        "subject": "facebook/eve",
        "kind": "warning",
        "policy": "p",
        "explanation": "e",
        "category": REASON["category"],
        "ground": "incompatible_content",
        "ends_at": "2030-01-01T00:00",
    }
    target = path.format(sanction=sanction)
    answer = console.post(target, data=form) if method == "post" else console.get(target)
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")
    assert (
        count(db, tables.sanctions) == 1
        and count(db, tables.events, tables.events.c.type.in_(["sanction.lifted", "sanction.amended"])) == 0
    )


def test_a_moderator_imposes_from_the_account_page_and_the_timeline_names_her(
    console: TestClient, db: Database
) -> None:
    sign_in(console, "moderator@meta.example")
    form = {
        "csrf_token": csrf(console, "/console"),
        "confirm": "yes",
        "subject": "facebook/carol",
        "kind": "suspension",
        "duration": "P30D",
        "scope": "facebook",
        "policy": "Fraud",
        "ground": "incompatible_content",
        "category": REASON["category"],
        "explanation": "Sold fake tickets",
        # what the form proposes for the statement of reasons (the Transparency Database requires it)
        "facts": "Forty reports",
        "content_type": "CONTENT_TYPE_TEXT",
        "content_date": "2024-05-01",
    }
    answer = console.post("/console/sanctions", data=form, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/accounts/facebook/carol")
    page = console.get(answer.headers["location"]).text
    # who acted, by name (resolved outside the log, which names the member by id only)
    assert "Sanction imposed" in page and "Sold fake tickets" in page and "by Moderator</div>" in page


@pytest.mark.parametrize(
    "change",
    [{"category": "NOT_A_CATEGORY"}, {"confirm": ""}, {"duration": "thirty days"}, {"subject": "no-slash"}],
)
def test_bad_input_gets_a_4xx_page_and_changes_nothing(
    console: TestClient, db: Database, change: dict[str, str]
) -> None:
    sign_in(console, "moderator@meta.example")
    form = {
        "csrf_token": csrf(console, "/console"),
        "confirm": "yes",
        "subject": "facebook/dave",
        "kind": "warning",
        "policy": "p",
        "ground": "incompatible_content",
        "category": REASON["category"],
        "explanation": "e",
        **change,
    }
    answer = console.post("/console/sanctions", data=form)
    assert 400 <= answer.status_code < 500 and answer.headers["content-type"].startswith("text/html")
    assert count(db, tables.sanctions) == 0
    assert console.get("/console?at=yesterday").status_code == 400


def test_language_by_parameter_cookie_and_browser(console: TestClient) -> None:
    sign_in(console, "moderator@meta.example")
    french = console.get("/console?lang=fr")
    assert '<html lang="fr">' in french.text and "Tableau de bord" in french.text
    assert "reprieve_lang=fr" in french.headers["set-cookie"]
    assert "Tableau de bord" in console.get("/console").text  # remembered
    console.cookies.delete("reprieve_lang")
    assert "Tableau de bord" in console.get("/console", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).text
    assert "<h1>Dashboard</h1>" in console.get("/console", headers={"Accept-Language": "de"}).text


def test_pages_carry_a_strict_content_security_policy(console: TestClient) -> None:
    policy = console.get("/console/sign-in").headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self';" in policy and "unsafe" not in policy
    assert console.get("/console/static/console.css").headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in console.get("/openapi.json").headers
    assert console.get("/v1/sanctions").headers["content-type"] == "application/problem+json"
    assert "/console" not in str(console.get("/openapi.json").json()["paths"])


def test_a_review_opened_assessed_and_decided_through_the_console(
    console: TestClient, db: Database, clock: Clock
) -> None:
    sanction = impose(db, clock, "facebook/frank")
    sign_in(console, "moderator@meta.example")
    opened = console.post(
        f"/console/sanctions/{sanction}/reviews",
        follow_redirects=False,
        data={
            "csrf_token": csrf(console, "/console"),
            "confirm": "yes",
            "panel": "Reviewer",
            "reason": "Has it receded?",
        },
    )
    assert opened.status_code == 303
    review = opened.headers["location"].split("/")[-1].split("?")[0]
    assert 'id="assess-action"' not in console.get(f"/console/reviews/{review}").text  # not on the panel
    sign_in(console, "reviewer@meta.example")
    page = console.get(f"/console/reviews/{review}").text
    assert 'id="assess-action"' in page
    filed = console.post(
        f"/console/reviews/{review}/assessments",
        follow_redirects=False,
        data={
            "csrf_token": csrf(console, "/console"),
            "confirm": "yes",
            "risk": "low",
            "factors": "election_period",
            "rationale": "Quiet since",
        },
    )
    assert filed.status_code == 303
    again = console.post(
        f"/console/reviews/{review}/assessments",
        data={"csrf_token": csrf(console, "/console"), "confirm": "yes", "risk": "low", "rationale": "twice"},
    )
    assert again.status_code == 409  # once per reviewer
    decided = console.post(
        f"/console/reviews/{review}/decision",
        follow_redirects=False,
        data={"csrf_token": csrf(console, "/console"), "confirm": "yes", "outcome": "lift", "rationale": "Receded"},
    )
    assert decided.status_code == 303
    assert "Sanction lifted" in console.get(f"/console/sanctions/{sanction}").text
    assert count(db, tables.events, tables.events.c.type == "review.decided") == 1


def test_the_amnesty_wizard_refuses_a_wrongly_typed_count(console: TestClient, db: Database, clock: Clock) -> None:
    for name in ("gina", "hugo"):
        impose(db, clock, f"facebook/{name}")
    sign_in(console, "moderator@meta.example")
    preview = console.get("/console/amnesties/preview?platforms=facebook&reason=Clean+slate")
    assert preview.status_code == 200 and 'data-confirm-count="2"' in preview.text
    form = {
        "csrf_token": csrf(console, "/console"),
        "confirm": "yes",
        "platforms": "facebook",
        "reason": "Clean slate",
        "typed_count": "3",
    }
    assert console.post("/console/amnesties", data=form).status_code == 409
    assert count(db, tables.events, tables.events.c.type == "amnesty.started") == 0
    assert console.get("/console/amnesties/preview?platforms=facebook").status_code == 400  # no reason


def test_a_page_shown_at_an_earlier_instant_offers_no_action(console: TestClient, db: Database, clock: Clock) -> None:
    sanction = impose(db, clock, "facebook/ivan")
    sign_in(console, "moderator@meta.example")
    assert 'id="lift-action"' in console.get(f"/console/sanctions/{sanction}").text
    earlier = (clock.now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    # As it stood then (at = as_of, PRODUCT.md section 8): recorded since, the sanction was not known.
    assert console.get(f"/console/sanctions/{sanction}?at={earlier}").status_code == 404
    # As we know it now: scheduled then, and nothing to do on a past page.
    past = console.get(f"/console/sanctions/{sanction}?at={earlier}&known=now").text
    assert 'id="lift-action"' not in past and "as it stood at" in past and "scheduled" in past
    assert "as we know it now" in past


def test_the_account_page_offers_lift_and_returns_to_the_account(
    console: TestClient, db: Database, clock: Clock
) -> None:
    sanction = impose(db, clock, "facebook/judy")
    sign_in(console, "moderator@meta.example")
    page = console.get("/console/accounts/facebook/judy").text
    assert 'id="s1-lift-action"' in page and f'action="/console/sanctions/{sanction}/lift"' in page
    lifted = console.post(
        f"/console/sanctions/{sanction}/lift",
        follow_redirects=False,
        data={
            "csrf_token": csrf(console, "/console"),
            "confirm": "yes",
            "reason": "Appeal granted",
            "back": "/console/accounts/facebook/judy",
        },
    )
    assert lifted.headers["location"] == "/console/accounts/facebook/judy?done=lifted"
    assert "Appeal granted" in console.get(lifted.headers["location"]).text
    elsewhere = console.post(
        f"/console/sanctions/{impose(db, clock, 'facebook/judy')}/lift",
        follow_redirects=False,
        data={
            "csrf_token": csrf(console, "/console"),
            "confirm": "yes",
            "reason": "r",
            "back": "https://evil.example/",
        },
    )
    assert elsewhere.headers["location"].startswith("/console/sanctions/")


def test_the_appeal_queue_and_the_dashboard_show_the_appeals_open_at_the_instant_shown(
    console: TestClient, db: Database, clock: Clock
) -> None:
    start = clock.now
    person = Caller("test")
    filed = {}
    for name, day in (("first", 1), ("second", 3)):  # one open appeal a sanction: two sanctions
        sanction = impose(db, clock, f"facebook/{name}")
        clock.now = start + timedelta(days=day)
        filed[name] = appeals.file_appeal(
            db,
            appeals.FileAppeal.parse(
                sanction_id=sanction,
                kind="complaint",
                filed_by={"relation": "subject", "name": "Ivan"},
                statement=f"the {name} complaint",
                channel="api",
            ),
            caller=person.at(clock.now),
        ).id
    clock.now = start + timedelta(days=5)
    appeals.decide_appeal(
        db,
        filed["first"],
        appeals.DecideAppeal.parse(outcome="denied", rationale="r", reply="no"),
        caller=person.at(clock.now),
    )
    clock.now = start + timedelta(days=6)
    sign_in(console, "moderator@meta.example")

    def shown(at: timedelta | None) -> tuple[set[str], str]:
        query = "" if at is None else "?at=" + (start + at).strftime("%Y-%m-%dT%H:%M")
        queue = console.get(f"/console/queues/appeals{query}").text
        figure = re.search(r'id="figure-appeals">(\d+)<', console.get(f"/console{query}").text)
        assert figure is not None
        return {name for name, id_ in filed.items() if id_ in queue}, figure.group(1)

    assert shown(None) == ({"second"}, "1")  # now: the first was decided yesterday
    assert shown(timedelta(hours=12)) == (set(), "0")  # before either was received
    assert shown(timedelta(days=2)) == ({"first"}, "1")
    assert shown(timedelta(days=4)) == ({"first", "second"}, "2")  # both open then, one decided since
    assert shown(timedelta(days=5, hours=1)) == ({"second"}, "1")


def test_an_admin_disables_a_member_from_the_members_page_and_their_session_ends(
    console: TestClient, db: Database
) -> None:
    moderator = TestClient(console.app)
    sign_in(moderator, "moderator@meta.example")
    assert moderator.get("/console").status_code == 200
    assert moderator.get("/console/members").status_code == 403  # admins only
    assert "/console/members" not in moderator.get("/console").text  # nor in the menu
    sign_in(console, "admin@meta.example")
    page = console.get("/console/members")
    assert page.status_code == 200 and 'href="/console/members"' in page.text
    assert "moderator@meta.example" in page.text and "moderator@x.example" not in page.text  # Meta's only
    with db.read() as conn:
        ids = dict(conn.execute(select(tables.members.c.email, tables.members.c.id)).all())
    target, me = ids["moderator@meta.example"], ids["admin@meta.example"]
    token = csrf(console, "/console/members")
    refused = [
        console.post(f"/console/members/{target}/disable", data={"csrf_token": token}),  # no confirmation
        console.post(f"/console/members/{me}/disable", data={"csrf_token": token, "confirm": "yes"}),  # oneself
        console.post(
            f"/console/members/{ids['moderator@x.example']}/disable",  # another operator's
            data={"csrf_token": token, "confirm": "yes"},
        ),
        console.post(f"/console/members/{target}/disable", data={"confirm": "yes"}),  # no CSRF token
    ]
    assert [r.status_code for r in refused] == [400, 400, 404, 403]
    assert count(db, tables.members, tables.members.c.disabled_at.is_not(None)) == 0
    assert moderator.get("/console").status_code == 200

    done = console.post(f"/console/members/{target}/disable", data={"csrf_token": token, "confirm": "yes"})
    assert done.status_code == 200 and done.url.path == "/console/members"
    assert 'id="notice"' in done.text and "disabled since" in done.text
    assert count(db, tables.events, tables.events.c.type == "member.disabled") == 1
    gone = moderator.get("/console", follow_redirects=False)
    assert gone.status_code == 303 and "/console/sign-in" in gone.headers["location"]
    assert sign_in(moderator, "moderator@meta.example").status_code == 401  # refused, as a wrong password
    assert moderator.get("/console", follow_redirects=False).status_code == 303

    # Enabled again (behind a confirmation and the CSRF check): the moderator signs in once more.
    page = console.get("/console/members")
    assert f'action="/console/members/{target}/enable"' in page.text
    assert f'action="/console/members/{me}/enable"' not in page.text  # only a disabled member's
    refused = [
        console.post(f"/console/members/{target}/enable", data={"csrf_token": token}),  # no confirmation
        console.post(f"/console/members/{target}/enable", data={"confirm": "yes"}),  # no CSRF token
        console.post(
            f"/console/members/{ids['moderator@x.example']}/enable",  # another operator's
            data={"csrf_token": token, "confirm": "yes"},
        ),
        console.post(f"/console/members/{me}/enable", data={"csrf_token": token, "confirm": "yes"}),  # not disabled
    ]
    assert [r.status_code for r in refused] == [400, 403, 404, 409]
    assert count(db, tables.events, tables.events.c.type == "member.enabled") == 0
    again = console.post(f"/console/members/{target}/enable", data={"csrf_token": token, "confirm": "yes"})
    assert again.status_code == 200 and again.url.path == "/console/members"
    assert "enabled again" in again.text and f'action="/console/members/{target}/enable"' not in again.text
    assert count(db, tables.events, tables.events.c.type == "member.enabled") == 1
    assert sign_in(moderator, "moderator@meta.example").status_code == 303  # signed in, sent on
    assert moderator.get("/console", follow_redirects=False).status_code == 200


def test_a_member_changes_their_password_in_the_console_and_their_other_sessions_end(
    console: TestClient, db: Database
) -> None:
    assert console.get("/console/password", follow_redirects=False).status_code == 303  # signed in only
    other = TestClient(console.app)
    sign_in(other, "moderator@meta.example")
    sign_in(console, "moderator@meta.example")
    page = console.get("/console/password")
    assert page.status_code == 200 and 'href="/console/password"' in console.get("/console").text
    token = csrf(console, "/console/password")
    new = "a brand new passphrase"

    def change(current: str, new_password: str, repeat: str, **extra: str) -> Any:
        data = {"current_password": current, "new_password": new_password, "repeat_password": repeat, **extra}
        return console.post("/console/password", data=data, follow_redirects=False)

    refused = [
        change(PASSWORD, new, new),  # no CSRF token
        change("not it at all", new, new, csrf_token=token),
        change(PASSWORD, new, new + "!", csrf_token=token),
        change(PASSWORD, "short", "short", csrf_token=token),
    ]
    assert [r.status_code for r in refused] == [403, 400, 400, 400]
    assert "That is not your current password." in refused[1].text
    assert "The two new passwords differ." in refused[2].text
    assert "at least 10 characters" in refused[3].text
    assert count(db, tables.events, tables.events.c.type == "member.password_changed") == 0
    assert other.get("/console", follow_redirects=False).status_code == 200

    done = change(PASSWORD, new, new, csrf_token=token)
    assert done.status_code == 303 and done.headers["location"] == "/console/password?done=password_changed"
    assert 'id="notice"' in console.get(done.headers["location"]).text
    assert console.get("/console", follow_redirects=False).status_code == 200  # this session goes on
    assert other.get("/console", follow_redirects=False).status_code == 303  # the other one ended
    assert count(db, tables.events, tables.events.c.type == "member.password_changed") == 1
    assert sign_in(TestClient(console.app), "moderator@meta.example").status_code == 401  # the old password
    assert sign_in(TestClient(console.app), "moderator@meta.example", new).status_code == 303
    french = console.post(
        "/console/password?lang=fr",
        data={"current_password": "faux", "new_password": new, "repeat_password": new, "csrf_token": token},
    )
    assert french.status_code == 400 and "Ce n’est pas votre mot de passe actuel." in french.text


def test_a_term_that_ended_with_its_review_due_offers_only_to_open_it(
    console: TestClient, db: Database, clock: Clock
) -> None:
    command = sanctions.ImposeSanction.parse(
        subject=AccountRef.parse("facebook/jane"),
        kind="suspension",
        reason=REASON,
        starts_at=clock.now - timedelta(days=30),
        duration="P7D",
        review_after="P7D",
        backdated_reason="Test history, entered after the fact.",
    )
    ended = str(sanctions.impose_sanction(db, command, caller=Caller("test", now=clock.now)).to_json()["id"])
    plain = sanctions.ImposeSanction.parse(
        subject=AccountRef.parse("facebook/kurt"),
        kind="suspension",
        reason=REASON,
        starts_at=clock.now - timedelta(days=30),
        duration="P7D",
        backdated_reason="Test history, entered after the fact.",
    )
    expired = str(sanctions.impose_sanction(db, plain, caller=Caller("test", now=clock.now)).to_json()["id"])
    sign_in(console, "moderator@meta.example")
    queue = console.get("/console/queues/reviews").text
    assert ended in queue and expired not in queue
    page = console.get(f"/console/sanctions/{ended}").text
    assert 'id="review-action"' in page and 'id="lift-action"' not in page and 'id="amend-action"' not in page
    assert 'id="review-action"' not in console.get(f"/console/sanctions/{expired}").text
    opened = console.post(
        f"/console/sanctions/{ended}/reviews",
        follow_redirects=False,
        data={"csrf_token": csrf(console, "/console"), "confirm": "yes", "panel": "Reviewer", "reason": "End of term"},
    )
    assert opened.status_code == 303
    assert ended not in console.get("/console/queues/reviews").text


def test_a_cancelled_sanction_shows_cancelled_and_offers_no_amend_nor_lift(
    console: TestClient, db: Database, clock: Clock
) -> None:
    command = sanctions.ImposeSanction.parse(
        subject=AccountRef.parse("facebook/lena"),
        kind="suspension",
        reason=REASON,
        starts_at=clock.now + timedelta(days=7),
        duration="P7D",
        backdated_reason="Test history, entered after the fact.",
    )
    sid = sanctions.impose_sanction(db, command, caller=Caller("test", now=clock.now)).id
    sign_in(console, "moderator@meta.example")
    assert 'id="amend-action"' in console.get(f"/console/sanctions/{sid}").text  # scheduled: it may be amended
    sanctions.lift_sanction(
        db, sid, sanctions.LiftSanction.parse(reason="in error"), caller=Caller("test", now=clock.now)
    )
    page = console.get(f"/console/sanctions/{sid}").text
    assert 'state-cancelled">cancelled<' in page
    assert 'id="amend-action"' not in page and 'id="lift-action"' not in page
    assert 'id="s1-amend-action"' not in console.get("/console/accounts/facebook/lena").text


def test_a_held_term_shows_it_and_the_amend_form_releases_it(console: TestClient, db: Database, clock: Clock) -> None:
    command = sanctions.ImposeSanction.parse(
        subject=AccountRef.parse("facebook/mona"),
        kind="suspension",
        reason=REASON,
        duration="P7D",
        review_after="P7D",
        hold_until_review=True,
    )
    sid = sanctions.impose_sanction(db, command, caller=Caller("test", now=clock.now)).id
    sign_in(console, "moderator@meta.example")
    page = console.get(f"/console/sanctions/{sid}").text
    assert 'id="held-until-review"' in page and "held until its review" in page
    assert re.search(r'name="hold_until_review" value="yes" checked', page)
    assert "maintenue jusqu'à son réexamen" in html.unescape(console.get(f"/console/sanctions/{sid}?lang=fr").text)
    console.get("/console?lang=en")
    released = console.post(
        f"/console/sanctions/{sid}/amend",
        follow_redirects=False,
        data={
            "csrf_token": csrf(console, "/console"),
            "confirm": "yes",
            "reason": "The review is not needed to end it",
            "hold_shown": "yes",
            "version": str(sanctions.get_sanction(db, sid, at=clock.now).version),
        },
    )
    assert released.status_code == 303, released.text
    shown = sanctions.get_sanction(db, sid, at=clock.now)
    assert not shown.hold_until_review and shown.ends_at is not None
    assert 'id="held-until-review"' not in console.get(f"/console/sanctions/{sid}").text


def test_an_imported_sanction_shows_when_its_user_was_informed(console: TestClient, db: Database, clock: Clock) -> None:
    """PRODUCT.md section 8: imported history says when the user was informed, and the platform's statement."""
    row = sanctions.ImposeSanction.parse(
        subject=AccountRef.parse("facebook/imported"), kind="suspension", reason=REASON, starts_at="2023-03-01"
    )
    statement = {"reference": "tdb:example-0042", "issued_at": "2023-03-01T08:00:00Z"}
    command = sanctions.imported_command(row, "2023-03-01T09:30:00Z", statement)
    assert sanctions.import_sanctions(db, [command], caller=Caller("test", now=clock.now)) == 1
    imposed = impose(db, clock, "facebook/not-imported")
    assert sign_in(console, "auditor@meta.example").status_code == 303
    (found,) = sanctions.list_sanctions(db, SanctionFilter(account="facebook/imported"), at=clock.now).items
    page = console.get(f"/console/sanctions/{found.id}").text
    assert 'id="informed-at"' in page and "2023-03-01" in page and "09:30" in page
    assert "tdb:example-0042" in page
    assert 'id="informed-at"' not in console.get(f"/console/sanctions/{imposed}").text


def test_the_sanctions_list_takes_any_as_a_filter_and_refuses_a_wrong_one(
    console: TestClient, db: Database, clock: Clock
) -> None:
    """The filters' first option, "any", is an empty value: the list as if unfiltered."""
    sanction = impose(db, clock, "facebook/alice")
    sign_in(console, "moderator@meta.example")
    answer = console.get("/console/sanctions?platform=&account=&kind=&state=&category=")
    assert answer.status_code == 200 and sanction in answer.text
    chosen = console.get("/console/sanctions?platform=facebook&kind=suspension&state=active")
    assert chosen.status_code == 200 and sanction in chosen.text
    assert sanction not in console.get("/console/sanctions?kind=warning").text
    for wrong in ("kind=ban", "state=gone", "platform=Face%20book"):
        assert console.get(f"/console/sanctions?{wrong}").status_code == 400, wrong
