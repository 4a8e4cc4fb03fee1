"""Backdated decisions in the console (issue 22 item 4): the amend and lift forms take a
``backdated_reason``; without one, a change taking effect more than 24 hours ago comes back as
typed with the error beside that field; with one, the sanction's page and its timeline mark the
change "backdated" with its reason, in English and in French. On both backends."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from api_support import Clock
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from reprieve.api.app import create_app
from reprieve.domain.model import AccountRef
from reprieve.services import catalogue, members, sanctions
from reprieve.services.callers import Caller
from reprieve.store.db import Database

PASSWORD = "correct horse battery"
WHY = "Agreed by phone on Friday, entered on Monday."
REASON = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "policy": "Fraud",
    "explanation": "Sold counterfeit tickets",
}


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(members, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    members._dummy_hash.cache_clear()


def csrf(client: TestClient, path: str = "/console") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


@pytest.fixture
def console(db: Database, clock: Clock) -> TestClient:
    setup = Caller("test", now=clock.now)
    catalogue.create_operator(db, catalogue.CreateOperator.parse(id="meta", name="Meta"), caller=setup)
    catalogue.create_platform(
        db, catalogue.CreatePlatform.parse(id="facebook", operator="meta", name="Facebook"), caller=setup
    )
    members.create_member(
        db,
        members.CreateMember.parse(
            email="moderator@meta.example", name="Moderator", role="moderator", operator="meta", password=PASSWORD
        ),
        caller=setup,
    )
    client = TestClient(create_app(db, clock=clock, group_commit=False))
    client.post(
        "/console/sign-in",
        data={"email": "moderator@meta.example", "password": PASSWORD, "csrf_token": csrf(client, "/console/sign-in")},
        follow_redirects=False,
    )
    return client


def _sanction(db: Database, clock: Clock) -> str:
    command = sanctions.ImposeSanction.parse(
        subject=AccountRef("facebook", "carol"),
        kind="suspension",
        duration="P30D",
        starts_at=clock.now - timedelta(days=10),
        backdated_reason="Test history, entered after the fact.",
        reason=REASON,
    )
    return sanctions.impose_sanction(db, command, caller=Caller("test", now=clock.now)).id


def _local(clock: Clock, ago: timedelta) -> str:
    return (clock.now - ago).strftime("%Y-%m-%dT%H:%M")


def test_a_backdated_lift_without_a_reason_comes_back_with_the_error_beside_the_field(
    console: TestClient, db: Database, clock: Clock
) -> None:
    sid = _sanction(db, clock)
    page = console.get(f"/console/sanctions/{sid}")
    assert 'id="lift-backdated"' in page.text and 'id="amend-backdated"' in page.text  # the fields are offered
    form = {"csrf_token": csrf(console), "confirm": "yes", "reason": "Appeal granted"}
    refused = console.post(
        f"/console/sanctions/{sid}/lift", data={**form, "effective_at": _local(clock, timedelta(days=3))}
    )
    assert refused.status_code == 400
    assert 'id="lift-backdated-error"' in refused.text and "backdated by 3 days" in refused.text
    assert ">Appeal granted</textarea>" in refused.text
    assert sanctions.get_sanction(db, sid, at=clock.now).state.value == "active"  # nothing written

    lifted = console.post(
        f"/console/sanctions/{sid}/lift",
        data={**form, "effective_at": _local(clock, timedelta(days=3)), "backdated_reason": WHY},
        follow_redirects=False,
    )
    assert lifted.status_code == 303, lifted.text
    shown = console.get(f"/console/sanctions/{sid}")
    assert 'id="backdated"' in shown.text
    timeline = shown.text[shown.text.index('id="timeline"') :]
    assert "timeline-backdated" in timeline and WHY in timeline
    french = console.get(f"/console/sanctions/{sid}", headers={"Accept-Language": "fr"})
    assert "antidatée" in french.text.lower()


def test_a_backdated_amendment_from_the_form_is_marked(console: TestClient, db: Database, clock: Clock) -> None:
    sid = _sanction(db, clock)
    form = {
        "csrf_token": csrf(console),
        "confirm": "yes",
        "ends_at": (clock.now + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M"),
        "reason": "Second offence",
        "effective_at": _local(clock, timedelta(days=2)),
    }
    refused = console.post(f"/console/sanctions/{sid}/amend", data=form)
    assert refused.status_code == 400 and 'id="amend-backdated-error"' in refused.text
    amended = console.post(
        f"/console/sanctions/{sid}/amend", data={**form, "backdated_reason": WHY}, follow_redirects=False
    )
    assert amended.status_code == 303, amended.text
    change = sanctions.get_sanction(db, sid, at=clock.now).history[-1]
    assert (change.type.value, change.backdated, change.backdated_reason) == ("amended", True, WHY)
