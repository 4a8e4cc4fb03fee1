"""L2: the role table of PRODUCT.md section 4, on the API and in the console alike.

"admin (platforms, members, tokens, trusted flaggers, templates — and everything a moderator may
do)". An admin was refused some moderator routes (impose, amend, lift, reviews, violations) and
admitted to others (amnesties, appeal decisions). Now one rule (``reprieve.domain.roles``) admits an
admin wherever a moderator is admitted, on every route and console view; the audit log stays the
auditor's, a review panel seats whoever it names.

The matrix: every write route x every role, each request made so that it succeeds for a role
admitted (the requests of the tenancy matrix, tests/api/test_api_tenancy.py), 403 for the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import test_api_tenancy as tenancy
from api_support import Clock, World, build_world
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from reprieve.api.app import create_app
from reprieve.domain.model import AccountRef, Role
from reprieve.services import appeals, catalogue, members, notices, reviews, sanctions
from reprieve.services.callers import Caller
from reprieve.store.db import Database, open_database

IA, ADMIN, MODERATOR, REVIEWER, AUDITOR, PLATFORM = (
    Role.INSTANCE_ADMIN,
    Role.ADMIN,
    Role.MODERATOR,
    Role.REVIEWER,
    Role.AUDITOR,
    Role.PLATFORM,
)
#: What a moderator may do, and so the operator's admin, and the instance-admin (everything).
MODERATE = frozenset({IA, ADMIN, MODERATOR})
MANAGE = frozenset({IA, ADMIN})

#: PRODUCT.md section 4, route by route: who may use each write route (and the audit log).
TABLE: dict[str, frozenset[Role]] = {
    "create-operator": frozenset({IA}),
    "create-platform": MANAGE,
    "create-token": MANAGE,
    "revoke-token": MANAGE,
    "create-webhook": MANAGE,
    "delete-webhook": MANAGE,
    "disable-webhook": MANAGE,
    "enable-webhook": MANAGE,
    "redeliver": MANAGE,
    "put-account": MODERATE | {PLATFORM},  # accounts: the catalogue's people and the platforms' machines
    "link-identities": MODERATE,
    "impose": MODERATE,
    # History (backdated by nature, PRODUCT.md section 8): the platform's machines and the admin, not a moderator.
    "import": MANAGE | {PLATFORM},
    "amend": MODERATE,
    "lift": MODERATE,
    # Decisions on content (issue 24): as sanctions; a platform's machine never decides.
    "decide-content": MODERATE,
    "amend-content": MODERATE,
    "restore-content": MODERATE,
    "open-review": MODERATE,
    "open-any-review": MODERATE,  # a sanction or a content decision (issue 25)
    "open-content-review": MODERATE,
    "assess": MODERATE | {REVIEWER},  # then only a member of the panel (the service checks the seat)
    "decide-review": MODERATE | {REVIEWER},  # a moderator (so an admin) any; a reviewer one it sits on
    "file-appeal": MODERATE | {PLATFORM},  # on a user's behalf
    "decide-appeal": MODERATE,
    "attach-appeal": MODERATE,
    "record-dispute": MODERATE,
    "record-violation": MODERATE | {PLATFORM},
    # Notices (issue 26): the platform's machine files on a user's behalf (the public form has no token).
    "file-notice": frozenset({IA, PLATFORM}),
    "decide-notice": MODERATE,  # a case is decided by the people who moderate (art. 16(5))
    "create-amnesty": MODERATE,
    "revert-amnesty": MODERATE,
    "submit-statements": MODERATE,
    # The platform delivers statements to its users, and reports the receipts (issue 23).
    "deliver-statement": frozenset({IA, PLATFORM}),
    "checks": frozenset(Role),  # a POST, but a read
    "erase-person": MANAGE,  # GDPR art. 17: the operator's admin (issue 21)
    # Reads kept to one role: the audit log is the auditor's (not the admin's: see domain/roles.py).
    "events": frozenset({IA, AUDITOR}),
    "verify": frozenset({IA, AUDITOR}),
}


@pytest.fixture(scope="module")
def roles_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world for the whole matrix. SQLite only: a role check stores nothing, and the tenancy
    matrix (tests/api/test_api_tenancy.py) runs the same requests on both backends."""
    database = open_database(f"sqlite:///{tmp_path_factory.mktemp('roles') / 'reprieve.db'}")
    try:
        yield build_world(database, Clock())
    finally:
        database.dispose()


def test_the_table_covers_every_write_route() -> None:
    writes = {name for name, route in tenancy.ROUTES.items() if route.method != "GET"}
    assert writes | {"events", "verify"} == set(TABLE)


def test_the_tenancy_matrix_says_the_same_and_admin_may_whatever_a_moderator_may() -> None:
    for name, route in tenancy.ROUTES.items():
        if name in TABLE:
            assert route.roles == TABLE[name], name
        if MODERATOR in route.roles:
            assert ADMIN in route.roles, name


@pytest.mark.parametrize("name", sorted(TABLE))
def test_every_write_route_by_every_role(roles_world: World, name: str) -> None:
    route = tenancy.ROUTES[name]
    for role in Role:
        answer = route.call(roles_world, roles_world.headers[role.value], "meta")
        if role in TABLE[name]:
            assert answer.status_code == route.success, (role, answer.text)
        else:
            assert answer.status_code == 403, (role, answer.text)
            assert answer.json()["type"] == "https://reprieve.dev/problems/forbidden"


def test_an_admins_decisions_are_recorded_as_the_admins(roles_world: World) -> None:
    w = roles_world
    admin = w.headers[ADMIN.value]
    sanction = w.sanction("meta")["id"]
    appeal = appeals.file_appeal(
        w.db,
        appeals.FileAppeal.parse(
            sanction_id=sanction, kind="complaint", filed_by={"name": "Someone"}, statement="s", channel="web"
        ),
        caller=Caller("setup", now=w.clock()),
    )
    decided = w.client.post(
        f"/v1/appeals/{appeal.id}/decision",
        headers=admin,
        json={"outcome": "denied", "rationale": "r", "reply": "no"},
    )
    assert decided.status_code == 200, decided.text
    lifted = w.client.post(f"/v1/sanctions/{sanction}/lift", headers=admin, json={"reason": "r"})
    assert lifted.status_code == 200, lifted.text
    events = w.client.get("/v1/events", params={"operator": "meta", "limit": 1000}, headers=w.headers[AUDITOR.value])
    mine = [
        e
        for e in events.json()["items"]
        if e["type"] in ("appeal.decided", "sanction.lifted")
        and (e["data"].get("appeal") == appeal.id or e["data"].get("id") in (appeal.id, sanction))
    ]
    # the log names the admin's token by id (issue 21), and the reader by its name, beside it
    assert len(mine) == 2 and all(e["actor"].startswith("token:tok_") for e in mine), mine
    assert all(e["actor_name"].startswith("admin") for e in mine), mine


# --- the console: the same rule for members ---------------------------------------------------

PASSWORD = "correct horse battery"
REASON: dict[str, Any] = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "policy": "Fraud",
    "explanation": "Sold counterfeit tickets",
}


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """The console's role checks store nothing of their own: SQLite only."""
    database = open_database(f"sqlite:///{tmp_path / 'reprieve.db'}")
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def console(sqlite_db: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    db = sqlite_db
    monkeypatch.setattr(members, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    members._dummy_hash.cache_clear()
    catalogue.create_operator(
        db, catalogue.CreateOperator.parse(id="meta", name="Meta"), caller=Caller("test", now=clock.now)
    )
    catalogue.create_platform(
        db,
        catalogue.CreatePlatform.parse(id="facebook", operator="meta", name="Facebook"),
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
    return TestClient(create_app(db, clock=clock, group_commit=False))


def csrf(client: TestClient, path: str = "/console") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


def impose(db: Database, clock: Clock, subject: str) -> str:
    command = sanctions.ImposeSanction.parse(
        subject=AccountRef.parse(subject), kind="suspension", duration="P30D", reason=REASON
    )
    return str(sanctions.impose_sanction(db, command, caller=Caller("test", now=clock.now)).to_json()["id"])


def notice_case(db: Database, clock: Clock, about: str) -> str:
    """The case of a notice about the account ``about``, open."""
    command = notices.ReceiveNotice.parse(
        platform="facebook",
        about={"account": f"{about}-{clock.now.timestamp():.0f}"},
        location="https://facebook.example/someone",
        explanation="Spam.",
        category="STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        illegal=False,
        notifier={"kind": "entity", "name": "Notifier", "email": "notifier@example.org"},
        bona_fide=True,
        channel="api",
    )
    return notices.receive_notice(db, command, caller=Caller("test", now=clock.now)).case


def console_requests(db: Database, clock: Clock, member_name: str) -> dict[str, tuple[str, str, dict[str, str]]]:
    """Every kind of console action a moderator may take, set up to succeed: name -> (method, path, form)."""
    lift_me, amend_me, review_me, appeal_on, open_on = (
        impose(db, clock, f"facebook/{member_name}-{clock.now.timestamp():.0f}-{i}") for i in range(5)
    )
    review = reviews.open_review(db, review_me, panel=[member_name], reason="r", caller=Caller("t", now=clock.now))
    appeal = appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=appeal_on, kind="complaint", filed_by={"name": "Someone"}, statement="s", channel="web"
        ),
        caller=Caller("t", now=clock.now),
    )
    sanction_form = {
        "confirm": "yes",
        "subject": f"facebook/{member_name}-new",
        "kind": "warning",
        "policy": "p",
        "ground": "incompatible_content",
        "category": REASON["category"],
        "explanation": "e",
    }
    return {
        "impose": ("post", "/console/sanctions", sanction_form),
        "amend": (
            "post",
            f"/console/sanctions/{amend_me}/amend",
            {"confirm": "yes", "reason": "r", "ends_at": "2030-01-01T00:00"},
        ),
        "lift": ("post", f"/console/sanctions/{lift_me}/lift", {"confirm": "yes", "reason": "r"}),
        "open-review": (
            "post",
            f"/console/sanctions/{open_on}/reviews",
            {"confirm": "yes", "panel": "someone", "reason": "r"},
        ),
        "assess": (
            "post",
            f"/console/reviews/{review.id}/assessments",
            {"confirm": "yes", "risk": "low", "rationale": "r"},
        ),
        "decide-appeal": (
            "post",
            f"/console/appeals/{appeal.id}/decision",
            {"outcome": "denied", "rationale": "r", "reply": "no", "confirm": "yes"},
        ),
        "amnesty-preview": ("get", "/console/amnesties/preview?reason=x", {}),
        "decide-case": (
            "post",
            f"/console/cases/{notice_case(db, clock, member_name)}/decision",
            {"action": "no_action", "rationale": "r", "reply": "r", "confirm": "yes"},
        ),
    }


@pytest.mark.parametrize(
    "email", ["admin@meta.example", "moderator@meta.example", "reviewer@meta.example", "auditor@meta.example"]
)
def test_console_actions_by_role(console: TestClient, sqlite_db: Database, clock: Clock, email: str) -> None:
    db = sqlite_db
    answer = console.post(
        "/console/sign-in",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf(console, "/console/sign-in")},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    role = Role(email.split("@")[0])
    name = {"admin": "Admin", "moderator": "Moderator", "reviewer": "Reviewer", "auditor": "Auditor"}[role.value]
    for action, (method, path, form) in console_requests(db, clock, name).items():
        if method == "get":
            answer = console.get(path)
        else:
            answer = console.post(path, data={**form, "csrf_token": csrf(console)}, follow_redirects=False)
        allowed = role in MODERATE or (action == "assess" and role is REVIEWER)
        if allowed:
            assert answer.status_code in (200, 303), (action, answer.status_code, answer.text[:2000])
        else:
            assert answer.status_code == 403, (action, answer.status_code)
    audit = console.get("/console/audit")
    assert audit.status_code == (200 if role is AUDITOR else 403)


@pytest.mark.parametrize(
    "email", ["admin@meta.example", "moderator@meta.example", "reviewer@meta.example", "auditor@meta.example"]
)
def test_every_member_reads_the_notices_and_a_case_and_moderators_its_notifiers(
    console: TestClient, sqlite_db: Database, clock: Clock, email: str
) -> None:
    """As ``GET /v1/notices`` and ``/v1/cases/{id}`` (readers): the list and the case page for every
    member; the notifier's name and e-mail on the case page for moderators (and so admins) only."""
    command = notices.ReceiveNotice.parse(
        platform="facebook",
        about={"item": "post-1"},
        location="https://facebook.example/post-1",
        explanation="Threats.",
        category="STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
        illegal=True,
        legal_ground="A law",
        notifier={"kind": "individual", "name": "Notifier Name", "email": "notifier@example.org"},
        bona_fide=True,
        channel="api",
    )
    notice = notices.receive_notice(sqlite_db, command, caller=Caller("test", now=clock.now))
    answer = console.post(
        "/console/sign-in",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf(console, "/console/sign-in")},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    role = Role(email.split("@")[0])
    listed = console.get("/console/notices")
    assert listed.status_code == 200 and notice.id in listed.text and "notifier@example.org" not in listed.text
    case = console.get(f"/console/cases/{notice.case}")
    assert case.status_code == 200
    assert ("notifier@example.org" in case.text) is (role in MODERATE)


def test_one_rule_for_the_api_and_the_console() -> None:
    from reprieve.domain.roles import admitted

    assert admitted(MODERATOR) == MODERATE
    assert admitted(ADMIN) == MANAGE
    for role in (REVIEWER, AUDITOR, PLATFORM):
        assert admitted(role) == {IA, role}
