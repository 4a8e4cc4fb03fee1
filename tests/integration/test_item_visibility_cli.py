"""``reprieve item visibility``: an item's visibility from the database, as the API gives it, and
bad input as a one-line error with a non-zero exit."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from reprieve.cli import main
from reprieve.domain.events import ContentDecided, NewEvent
from reprieve.domain.time import format_instant
from reprieve.services.item_checks import item_visibility
from reprieve.store.db import Database
from reprieve.store.uow import UnitOfWork

ITEM = "1234567890123456789"


def run(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(["--database-url", url, *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_item_visibility(
    db: Database, database_url: str, meta: str, now: datetime, capsys: pytest.CaptureFixture[str]
) -> None:
    starts = now - timedelta(days=1)
    event = ContentDecided(
        id="cd_01",
        operator="meta",
        item={
            "platform": "facebook",
            "item": ITEM,
            "account": "channel-a",
            "content_type": ["CONTENT_TYPE_VIDEO"],
            "content_date": "2024-05-01",
        },
        kind="disabling",
        starts_at=format_instant(starts) or "",
        ends_at=format_instant(now + timedelta(days=30)),
        reason={
            "ground": "incompatible_content",
            "category": "STATEMENT_CATEGORY_VIOLENCE",
            "policy": "Violence",
            "explanation": "Incitement",
        },
        automated={"detection": True, "decision": "partially"},
        territorial_scope=["DE", "FR"],
    )
    with UnitOfWork(db, actor="cli-tests", now=now) as uow:
        uow.record([NewEvent.of(event, format_instant(starts) or "", "meta")])
    at = format_instant(now + timedelta(hours=1)) or ""

    code, out, _ = run(capsys, database_url, "item", "visibility", "facebook", ITEM, "--country", "FR", "--at", at)
    assert code == 0
    assert "disabled" in out and "channel-a (good)" in out and "cd_01" in out and "DE FR" in out
    code, out, _ = run(capsys, database_url, "item", "visibility", "facebook", ITEM, "--at", at, "--json")
    assert code == 0
    expected = item_visibility(db, "facebook", ITEM, at=now + timedelta(hours=1))
    assert json.loads(out) == expected and expected["visible"] and expected["restricted_in"] == ["DE", "FR"]

    for args, message in [
        (("facebook", ITEM, "--country", "France"), "country"),
        (("nowhere", ITEM), "no platform 'nowhere'"),
        (("facebook", "has space"), "ITEM"),
        (("facebook", ITEM, "--at", "yesterday"), "--at"),
    ]:
        code, out, err = run(capsys, database_url, "item", "visibility", *args)
        assert code == 1 and out == "" and message in err and len(err.strip().splitlines()) == 1, (args, err)
