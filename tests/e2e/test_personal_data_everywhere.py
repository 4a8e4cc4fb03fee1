"""Issue 21, must hold: one person's name, e-mail and free text, seeded through every path (the
public appeal form, the API, the console), are found where personal data lives beside the log
(``personal_data``, ``appeal_requesters``, the cached answer of an ``Idempotency-Key``) and
nowhere else: not in the event log, the webhook outbox as it would be sent, any export, or the
logs. Each seeding step is a function of its own, so that the erasure's test can seed the same
way, erase (``POST /v1/people/erase``), and assert that the person is found nowhere; the second
test does that.

Both backends (the ``db`` fixture).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from personal_search import exports, places
from reprieve.api.app import create_app
from reprieve.domain.model import AccountRef
from reprieve.services import appeal_codes, catalogue, members, tokens
from reprieve.services.audit import rebuild_projections, verify_audit_log
from reprieve.services.callers import Caller
from reprieve.services.sanctions import ImposeSanction, impose_sanction
from reprieve.store import tables
from reprieve.store.db import Database

SETUP = "test-suite"
PASSWORD = "a long enough password"
REASON = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "policy": "Community Standards",
    "explanation": "Spam",
}


@dataclass(frozen=True)
class Person:
    """The needles: a name, an e-mail and a phrase only this person wrote or was written."""

    name: str = "Zephyrine Quillfeather"
    email: str = "zephyrine.quill@example.org"
    text: str = "parrot-7f3a-of-my-neighbour"

    @property
    def needles(self) -> tuple[str, str, str]:
        return (self.name, self.email, self.text)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Installation:
    """An operator (meta, with facebook), an app, a token of each role used, a console member and
    a webhook endpoint that takes every event (so the outbox holds what would be sent)."""

    db: Database
    clock: Clock
    client: TestClient
    headers: dict[str, dict[str, str]]

    def sanction(self, account: str) -> str:
        command = ImposeSanction.parse(
            subject=AccountRef("facebook", account), kind="suspension", reason=dict(REASON), duration="P1Y"
        )
        return impose_sanction(self.db, command, caller=Caller(SETUP, now=self.clock())).id


@pytest.fixture
def installation(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Installation]:
    monkeypatch.setenv("REPRIEVE_WEBHOOK_ALLOW_NETWORKS", "127.0.0.1/32")
    clock = Clock()
    setup = Caller(SETUP, now=clock())
    catalogue.create_operator(db, catalogue.CreateOperator.parse(id="meta", name="Meta Platforms"), caller=setup)
    catalogue.create_platform(
        db, catalogue.CreatePlatform.parse(id="facebook", operator="meta", name="Facebook", policy="meta"), caller=setup
    )
    headers = {}
    for role in ("moderator", "admin", "auditor"):
        secret = tokens.create_token(
            db, tokens.CreateToken.parse(name=f"t-{role}", role=role, operator="meta"), caller=setup
        ).secret
        headers[role] = {"Authorization": f"Bearer {secret}"}
    members.create_member(
        db,
        members.CreateMember.parse(
            email="moderator@meta.example", name="Mo Derator", role="moderator", operator="meta", password=PASSWORD
        ),
        caller=setup,
    )
    with TestClient(create_app(db, clock=clock)) as client:
        hook = client.post(
            "/v1/webhooks", headers=headers["admin"], json={"url": "http://127.0.0.1:9/hook", "event_types": ["*"]}
        )
        assert hook.status_code == 201, hook.text
        yield Installation(db, clock, client, headers)


def _csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None, path
    return found.group(1)


# --- seeding, one path each (reusable by the erasure's test) ---------------------------------


def seed_by_public_form(w: Installation, person: Person, sanction_id: str) -> str:
    """The public appeal form (``/appeal``): name, e-mail and statement. Answers the appeal's id."""
    with w.db.read() as conn:
        code = appeal_codes.printed(appeal_codes.code_for(conn, sanction_id))
    public = TestClient(w.client.app)
    answer = public.post(
        "/appeal",
        data={
            "sanction": sanction_id,
            "code": code,
            "kind": "complaint",
            "name": person.name,
            "email": person.email,
            "relation": "subject",
            "statement": f"I wrote about the {person.text}, nothing else.",
            "csrf_token": _csrf(public, "/appeal"),
        },
    )
    assert answer.status_code == 201, answer.text[:500]
    found = re.search(r'id="appeal-reference">(apl_[0-9A-Z]+)<', answer.text)
    assert found is not None
    return found.group(1)


def seed_by_api(w: Installation, person: Person, sanction_id: str, account: str) -> str:
    """The API: an appeal entered by a moderator (a letter; with an ``Idempotency-Key``, so the
    answer is cached), and the account's display name. Answers the appeal's id."""
    named = w.client.put(
        f"/v1/platforms/facebook/accounts/{account}", headers=w.headers["moderator"], json={"display_name": person.name}
    )
    assert named.status_code in (200, 201), named.text
    filed = w.client.post(
        "/v1/appeals",
        headers={**w.headers["moderator"], "Idempotency-Key": "seed-letter-1"},
        json={
            "sanction": sanction_id,
            "kind": "complaint",
            "channel": "letter",
            "statement": f"By letter: the {person.text} is mine to speak of.",
            "filed_by": {"name": person.name, "email": person.email, "relation": "subject"},
        },
    )
    assert filed.status_code == 201, filed.text
    return str(filed.json()["id"])


def seed_by_console(w: Installation, person: Person, appeal_id: str) -> None:
    """The console: a moderator reveals the e-mail and decides the appeal with a reply to the person."""
    desk = TestClient(w.client.app)
    signed = desk.post(
        "/console/sign-in",
        data={"email": "moderator@meta.example", "password": PASSWORD, "csrf_token": _csrf(desk, "/console/sign-in")},
    )
    assert signed.status_code == 200, signed.text[:300]
    revealed = desk.post(f"/console/appeals/{appeal_id}/reveal", data={"csrf_token": _csrf(desk, "/console")})
    assert revealed.status_code == 200 and person.email in revealed.text
    decided = desk.post(
        f"/console/appeals/{appeal_id}/decision",
        data={
            "outcome": "denied",
            "rationale": "The post broke the spam rule.",
            "reply": f"Dear {person.name}, about the {person.text}: the decision stands.",
            "confirm": "yes",
            "csrf_token": _csrf(desk, f"/console/appeals/{appeal_id}"),
        },
    )
    assert decided.status_code == 200 and decided.url.path == f"/console/appeals/{appeal_id}", decided.text[:300]


def seed_dispute_by_api(w: Installation, person: Person, appeal_id: str) -> None:
    """The API: an out-of-court dispute about a decided appeal, its body and summary naming the person."""
    w.clock.advance(timedelta(days=1))
    recorded = w.client.post(
        f"/v1/appeals/{appeal_id}/disputes",
        headers=w.headers["moderator"],
        json={
            "body": f"Settlement body for {person.name}",
            "submitted_at": "2024-06-02T00:00:00Z",
            "outcome": "in_favour_of_platform",
            "decided_at": "2024-06-02T00:00:00Z",
            "summary": f"The body upheld the decision on the {person.text}.",
        },
    )
    assert recorded.status_code == 201, recorded.text


def seed_everywhere(w: Installation, person: Person) -> dict[str, Any]:
    """Every path, in order; answers the sanctions and appeals made."""
    by_form, by_letter = w.sanction("seeded_a"), w.sanction("seeded_b")
    form_appeal = seed_by_public_form(w, person, by_form)
    letter_appeal = seed_by_api(w, person, by_letter, "seeded_b")
    seed_by_console(w, person, letter_appeal)
    seed_dispute_by_api(w, person, letter_appeal)
    return {"sanctions": [by_form, by_letter], "appeals": [form_appeal, letter_appeal]}


# --- the test --------------------------------------------------------------------------------

#: Where personal data lives before an erasure (docs/privacy.md, "Where it lives").
LEGITIMATE = ("table:personal_data.value[", "table:appeal_requesters.", "table:idempotency_keys.body[")


def found_everywhere(
    w: Installation, needles: tuple[str, ...], seeded: dict[str, Any], caplog: pytest.LogCaptureFixture, out: str
) -> dict[str, list[str]]:
    """Where each needle is: tables, outbox, exports, captured logs."""
    texts = exports(w.client, w.headers["auditor"], operator="meta", sanctions=seeded["sanctions"])
    texts["log"] = caplog.text + out
    return places(w.db, needles, texts=texts)


def test_a_persons_data_lives_beside_the_log_and_nowhere_else(
    installation: Installation, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    w, person = installation, Person()
    with caplog.at_level(logging.DEBUG):
        seeded = seed_everywhere(w, person)
        sanction = seeded["sanctions"][1]
        found = found_everywhere(w, (*person.needles, sanction, "/v1/appeals"), seeded, caplog, "")
    captured = capsys.readouterr()
    assert caplog.records, "the request log was captured"
    # The search sees into each place: the sanction's id is in the log, the outbox and the exports,
    # the request log names the routes.
    where = found[sanction]
    for place in ("table:events.data[", "outbox:", "export:transparency/statements.json", "export:events"):
        assert any(p.startswith(place) for p in where), (place, where)
    assert "log" in found["/v1/appeals"]
    for needle in person.needles:
        assert needle not in captured.out + captured.err, needle
    assert [p for n in person.needles for p in found[n] if not p.startswith(LEGITIMATE)] == []
    for appeal in seeded["appeals"]:  # an auditor reads the appeal's texts, never who filed it
        read = w.client.get(f"/v1/appeals/{appeal}", headers=w.headers["auditor"])
        assert read.status_code == 200 and person.email not in read.text
        assert read.json()["filed_by"] == {"relation": "subject", "name": None, "email": None}
    # ... and each needle is where it should be, through each path.
    assert any(p.startswith("table:appeal_requesters.email[") for p in found[person.email])
    assert any(p.startswith("table:appeal_requesters.name[") for p in found[person.name])
    assert any(p.startswith("table:personal_data.value[") for p in found[person.name])  # display name, reply
    # two statements (the form's, the letter's), the console's reply, the dispute's summary
    assert len([p for p in found[person.text] if p.startswith("table:personal_data.value[")]) == 4
    assert any(p.startswith("table:idempotency_keys.body[") for p in found[person.email])
    assert len([p for p in found[person.email] if p.startswith("table:appeal_requesters.email[")]) == 2


# --- and after the person asks to be erased --------------------------------------------------


def _projections(db: Database) -> dict[str, list[str]]:
    with db.read() as conn:
        return {
            t.name: sorted(json.dumps(list(r), default=str) for r in conn.execute(select(t)))
            for t in tables.PROJECTIONS
        }


def _erase(w: Installation, **key: str) -> Any:
    return w.client.post("/v1/people/erase", headers=w.headers["admin"], json={"operator": "meta", **key})


def test_once_erased_a_person_is_found_nowhere_and_the_log_still_verifies(
    installation: Installation, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    w, person = installation, Person()
    with caplog.at_level(logging.DEBUG):
        seeded = seed_everywhere(w, person)
        form_appeal = seeded["appeals"][0]

        # The form's appeal is still open: the erasure is refused, names it, and changes nothing.
        before = _projections(w.db)
        refused = _erase(w, email=person.email)
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert form_appeal in refused.json()["detail"]
        assert _projections(w.db) == before

        decided = w.client.post(
            f"/v1/appeals/{form_appeal}/decision",
            headers=w.headers["moderator"],
            json={"outcome": "denied", "rationale": "The post broke the spam rule.", "reply": "It stands."},
        )
        assert decided.status_code == 200, decided.text

        # While the decisions can still be contested, what they owe is kept, and the answer says until when.
        first = _erase(w, email=person.email)
        assert first.status_code == 200, first.text
        assert first.json()["erased"] and first.json()["kept"]
        assert all(k["why"] and k["until"] for k in first.json()["kept"])

        # Once the complaint windows have run, the rest goes; the display name is erased by account.
        w.clock.advance(timedelta(days=400))
        rest = _erase(w, email=person.email)
        assert rest.status_code == 200, rest.text
        assert rest.json()["kept"] == []
        named = _erase(w, account="facebook/seeded_b")
        assert named.status_code == 200 and named.json()["erased"], named.text

        found = found_everywhere(w, person.needles, seeded, caplog, "")
    captured = capsys.readouterr()
    assert {n: found[n] for n in person.needles} == {n: [] for n in person.needles}
    for needle in person.needles:
        assert needle not in captured.out + captured.err, needle

    # The chain is whole, and a rebuild from it gives the projections as they are.
    assert verify_audit_log(w.db).ok
    after = _projections(w.db)
    rebuild_projections(w.db)
    assert _projections(w.db) == after
    for appeal in seeded["appeals"]:
        read = w.client.get(f"/v1/appeals/{appeal}", headers=w.headers["moderator"]).json()
        assert read["statement"] is None and read["filed_by"]["name"] is None and read["filed_by"]["email"] is None
