"""The audit page over HTTP, on SQLite and PostgreSQL: a filter it cannot read is a 400 page, never
a 500; the page reads one sentence per event, in the page's language."""

from __future__ import annotations

import re

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


@pytest.fixture
def auditor(db: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> TestClient:
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
    members.create_member(
        db,
        members.CreateMember.parse(
            email="auditor@meta.example", name="Ada", role="auditor", operator="meta", password=PASSWORD
        ),
        caller=Caller("test", now=clock.now),
    )
    command = sanctions.ImposeSanction.parse(
        subject=AccountRef.parse("facebook/bob"),
        kind="suspension",
        reason={
            "ground": "incompatible_content",
            "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
            "policy": "Fraud",
            "explanation": "Sold counterfeit tickets",
        },
    )
    sanctions.impose_sanction(db, command, caller=Caller("cli:root", now=clock.now))
    client = TestClient(create_app(db, clock=clock, group_commit=False))
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/sign-in").text)
    assert token is not None
    client.post(
        "/console/sign-in", data={"email": "auditor@meta.example", "password": PASSWORD, "csrf_token": token.group(1)}
    )
    return client


def test_bad_filters_are_400_pages_and_good_ones_read_in_words(auditor: TestClient) -> None:
    for query in ("actor=%00", "subject=a%01b", "from=2021-13-01", "to=soon", "cursor=-1", "order=up", "type=A"):
        answer = auditor.get(f"/console/audit?{query}")
        assert answer.status_code == 400, (query, answer.status_code)
        assert 'role="alert"' in answer.text
    for query in ("subject=%25", "subject=facebook/bob", "actor=ROOT", "to=9999-12-31", "type=sanction.&order=oldest"):
        assert auditor.get(f"/console/audit?{query}").status_code == 200, query
    page = auditor.get("/console/audit?subject=facebook/bob&type=sanction.").text
    assert "Sanction imposed on facebook/bob: suspension without an end date by cli:root" in page
    french = auditor.get("/console/audit?subject=facebook/bob&type=sanction.&lang=fr").text
    assert "Sanction infligée à facebook/bob : suspension sans date de fin, par cli:root" in french
