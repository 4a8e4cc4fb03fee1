"""The HTTP API of DSA transparency: statements of reasons, the export (streamed), submissions and
the report; bad input answers 4xx problem+json, another operator's sanction 404."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime

import pytest
from dsa_support import impose_golden
from fake_tdb import TOKEN, fake_database
from fastapi.testclient import TestClient

from reprieve.api.app import create_app
from reprieve.dsa import tdb
from reprieve.dsa.submit import TdbSettings
from reprieve.runtime.worker import Worker
from reprieve.services import tokens
from reprieve.services.callers import Caller
from reprieve.store.db import Database

PROBLEM = "application/problem+json"


@pytest.fixture
def api(db: Database, meta: str, x_corp: str, now: datetime) -> Iterator[TestClient]:
    with TestClient(create_app(db, clock=lambda: now)) as client:
        yield client


def bearer(db: Database, now: datetime, role: str, operator: str | None = "meta") -> dict[str, str]:
    made = tokens.create_token(
        db,
        tokens.CreateToken.parse(name=f"dsa-{role}-{operator}", role=role, operator=operator),
        caller=Caller("t", now=now),
    )
    return {"Authorization": f"Bearer {made.secret}"}


@pytest.fixture
def golden(db: Database, meta: str, now: datetime) -> dict[str, str]:
    return impose_golden(db, now)


def test_statement_json_and_html(api: TestClient, db: Database, now: datetime, golden: dict[str, str]) -> None:
    auditor = bearer(db, now, "auditor")
    answer = api.get(f"/v1/sanctions/{golden['suspension']}/statement", params={"lang": "fr"}, headers=auditor)
    assert answer.status_code == 200 and answer.json()["title"] == "Exposé des motifs"
    page = api.get(f"/v1/sanctions/{golden['suspension']}/statement", params={"format": "html"}, headers=auditor)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Statement of reasons" in page.text


def test_statement_refusals(api: TestClient, db: Database, now: datetime, golden: dict[str, str]) -> None:
    path = f"/v1/sanctions/{golden['suspension']}/statement"
    bad_lang = api.get(path, params={"lang": "de"}, headers=bearer(db, now, "auditor"))
    assert bad_lang.status_code == 422 and bad_lang.headers["content-type"] == PROBLEM
    other = api.get(path, headers=bearer(db, now, "auditor", "x"))
    assert other.status_code == 404 and other.headers["content-type"] == PROBLEM
    assert api.get(path).status_code == 401


def test_export_streams_csv_in_the_daily_dump_layout_and_json(
    api: TestClient, db: Database, now: datetime, golden: dict[str, str]
) -> None:
    auditor = bearer(db, now, "auditor")
    answer = api.get("/v1/transparency/statements", params={"format": "csv"}, headers=auditor)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert list(rows[0]) == list(tdb.CSV_COLUMNS)
    assert sorted(r["platform_uid"] for r in rows) == sorted(
        golden[k] for k in ("suspension", "termination", "restriction")
    )
    data = api.get(
        "/v1/transparency/statements", params={"from": "2024-05-01", "to": "2024-06-01"}, headers=auditor
    ).json()
    assert [s["puid"] for s in data["statements"]] == [golden["termination"]]
    # Another operator's token sees its own (empty) export, never Meta's.
    assert api.get("/v1/transparency/statements", headers=bearer(db, now, "auditor", "x")).json()["statements"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"from": "2024-06-01", "to": "2024-05-01"}, "to"),
        ({"format": "xml"}, None),
        ({"operator": "x"}, None),
    ],
)
def test_export_refusals(
    api: TestClient, db: Database, now: datetime, params: dict[str, str], field: str | None
) -> None:
    answer = api.get("/v1/transparency/statements", params=params, headers=bearer(db, now, "auditor"))
    assert answer.status_code in (404, 422) and answer.headers["content-type"] == PROBLEM
    if field:
        assert field in json.dumps(answer.json())
    admin = api.get("/v1/transparency/statements", headers=bearer(db, now, "instance-admin", None))
    assert admin.status_code == 422  # an instance-admin names the operator


def test_report_in_three_formats(api: TestClient, db: Database, now: datetime, golden: dict[str, str]) -> None:
    auditor = bearer(db, now, "auditor")
    period = {"from": "2024-01-01", "to": "2024-07-01"}
    report = api.get("/v1/transparency/report", params=period, headers=auditor).json()
    assert report["sanctions"]["total"] == 4 and report["sanctions"]["by_kind"]["warning"] == 1
    text = api.get("/v1/transparency/report", params={**period, "format": "csv"}, headers=auditor).text
    assert "sanctions,total,4" in text
    page = api.get("/v1/transparency/report", params={**period, "format": "html"}, headers=auditor)
    assert page.headers["content-type"].startswith("text/html") and "<svg" in page.text
    missing = api.get("/v1/transparency/report", headers=auditor)
    assert missing.status_code == 422 and missing.headers["content-type"] == PROBLEM


def test_submission_through_the_api(api: TestClient, db: Database, now: datetime, golden: dict[str, str]) -> None:
    """POST records a run (202) that the worker runs; GET follows it. The endpoint and the token
    are configuration: a body naming them is refused."""
    with fake_database() as (fake, base):
        off = api.post("/v1/transparency/submissions", json={}, headers=bearer(db, now, "moderator"))
        assert off.status_code == 409 and "REPRIEVE_TDB_URL" in off.json()["detail"]
        api.app.state.tdb = TdbSettings(base, {"REPRIEVE_TDB_TOKEN_META": TOKEN})  # type: ignore[attr-defined]
        refused = api.post("/v1/transparency/submissions", json={}, headers=bearer(db, now, "auditor"))
        assert refused.status_code == 403
        bad = api.post(
            "/v1/transparency/submissions", json={"endpoint": base, "token": TOKEN}, headers=bearer(db, now, "admin")
        )
        assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
        requested = api.post("/v1/transparency/submissions", json={}, headers=bearer(db, now, "moderator"))
        assert requested.status_code == 202, requested.text
        run = requested.json()
        assert run["state"] == "queued" and run["endpoint"] == base and fake.posts == []

        async def work() -> None:
            async with Worker(db, clock=lambda: now, tdb=api.app.state.tdb) as worker:  # type: ignore[attr-defined]
                assert (await worker.cycle()).submissions == 1
                await worker.settle()

        asyncio.run(work())
        assert sorted(fake.stored) == sorted(golden[k] for k in ("suspension", "termination", "restriction"))
        followed = api.get(f"/v1/transparency/submissions/{run['id']}", headers=bearer(db, now, "auditor")).json()
        assert followed["state"] == "done" and followed["progress"]["accepted"] == 3
        assert followed["statements"] == {"accepted": 3} and TOKEN not in json.dumps(followed)
        counts = api.get("/v1/transparency/submissions", headers=bearer(db, now, "auditor")).json()
        assert counts["states"] == {"accepted": 3} and [r["id"] for r in counts["runs"]] == [run["id"]]
        other = api.get(f"/v1/transparency/submissions/{run['id']}", headers=bearer(db, now, "auditor", "x"))
        assert other.status_code == 404
