"""Retention (issue 21, item 4): the worker purges the personal data of cases closed longer ago
than their operator's retention period (default: the longest complaint window of its platforms),
with the erasure's guarantees: an open case is left alone, what the complaint window still owes is
kept, the log verifies and a rebuild gives the same projections. The test clock moves; no sleeps."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from due_process_support import day, impose, operator_with
from sqlalchemy import select
from webhook_support import Clock, run_cycles

from reprieve.domain.time import parse_duration
from reprieve.services import appeals, notices, people
from reprieve.services.audit import rebuild_projections, verify_audit_log
from reprieve.services.callers import Caller
from reprieve.store import tables
from reprieve.store.db import Database

Snapshot = dict[str, list[tuple[Any, ...]]]


def file_appeal(db: Database, account: str, tag: str, *, filed: datetime, decided: datetime | None) -> str:
    sanction = impose(db, f"facebook/{account}", duration="P2Y", now=day(0))
    appeal = appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=sanction["id"],
            kind="reinstatement",
            filed_by={"name": f"Name {tag}", "email": f"{tag}@example.com"},
            statement=f"Statement {tag}",
            channel="api",
        ),
        caller=Caller("cli", now=filed),
    ).id
    if decided is not None:
        command = appeals.DecideAppeal.parse(outcome="denied", rationale="Grounds", reply=f"Reply {tag}")
        appeals.decide_appeal(db, appeal, command, caller=Caller("cli", now=decided))
    return appeal


def shown(db: Database, appeal: str) -> tuple[str | None, str | None, str | None]:
    view = appeals.get_appeal(db, appeal, include_contact=True)
    return view.statement, None if view.decision is None else view.decision.reply, view.filed_by.name


def erasures(db: Database) -> list[tuple[str, dict[str, Any]]]:
    e = tables.events.c
    with db.read() as conn:
        rows = conn.execute(select(e.actor, e.data).where(e.type == "person.erased").order_by(e.seq))
        return [(actor, json.loads(data)) for actor, data in rows]


def test_the_worker_purges_closed_cases_past_the_retention_and_no_other(
    db: Database, projections: Callable[[Database], Snapshot]
) -> None:
    operator_with(db, "meta", ("facebook", "meta"))
    old = file_appeal(db, "old", "old", filed=day(1), decided=day(2))
    recent = file_appeal(db, "recent", "recent", filed=day(200), decided=day(201))
    still_open = file_appeal(db, "open", "open", filed=day(200), decided=None)
    before = projections(db)

    # Day 240: the old case closed more than the complaint window (six months) ago; the others not.
    [report] = run_cycles(db, Clock(day(240)), 1, step=timedelta(0))
    assert report.purged == 1
    assert shown(db, old) == (None, None, None)
    view = appeals.get_appeal(db, old, include_contact=True)
    assert view.statement_erased and view.decision is not None and view.decision.reply_erased
    assert view.filed_by.email is None
    assert shown(db, recent) == ("Statement recent", "Reply recent", "Name recent")
    assert shown(db, still_open) == ("Statement open", None, "Name open")
    [(actor, payload)] = erasures(db)
    assert actor == "system:worker" and payload["cause"] == "retention"
    assert payload["kinds"] == ["appeal.reply", "appeal.statement", "requester.contact"]
    assert not [text for text in ("Statement old", "Reply old", "Name old", "old@") if text in json.dumps(payload)]
    with db.read() as conn:
        everything = json.dumps([list(r) for r in conn.execute(select(tables.personal_data))], default=str)
    assert "Statement old" not in everything and "Reply old" not in everything
    [report] = run_cycles(db, Clock(day(241)), 1, step=timedelta(0))  # nothing twice
    assert report.purged == 0 and len(erasures(db)) == 1

    # A shorter period: the recent case is purged too, but what its complaint window still owes
    # (the reply, the contact) is kept; the open case is still left alone.
    people.set_retention(db, "meta", parse_duration("P1M"), caller=Caller("cli", now=day(241)))
    [report] = run_cycles(db, Clock(day(242)), 1, step=timedelta(0))
    assert report.purged == 1
    assert shown(db, recent) == (None, "Reply recent", "Name recent")
    assert shown(db, still_open) == ("Statement open", None, "Name open")
    assert erasures(db)[-1][1]["kinds"] == ["appeal.statement"]

    assert verify_audit_log(db).ok
    rebuild_projections(db)
    assert projections(db) == before


def test_the_retention_is_an_operator_setting(db: Database) -> None:
    operator_with(db, "meta", ("facebook", "meta"))
    caller = Caller("cli", now=day(1))
    set_to = people.set_retention(db, "meta", parse_duration("P2Y"), caller=caller).to_json()
    assert set_to["retention"] == "P2Y" and "P6M" in set_to["default"]
    assert people.set_retention(db, "meta", None, caller=caller).to_json()["retention"] is None
    with db.read() as conn:
        types = list(conn.execute(select(tables.events.c.type).where(tables.events.c.type == "retention.set")))
    assert len(types) == 2


def test_the_worker_purges_a_notifiers_data_once_the_time_to_contest_is_over(db: Database) -> None:
    """Issue 26 (item 9): six months after their notice's decision, with no complaint open."""
    operator_with(db, "meta", ("facebook", "meta"))
    received = notices.receive_notice(
        db,
        notices.ReceiveNotice.parse(
            platform="facebook",
            about={"item": "post-1"},
            location="https://facebook.example/posts/1",
            explanation="Explanation of Nico",
            category="STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
            illegal=False,
            notifier={"kind": "individual", "name": "Nico Notifier", "email": "nico@example.org"},
            bona_fide=True,
            channel="api",
        ),
        caller=Caller("meta:platform", now=day(1)),
    )
    decided = notices.DecideCase.parse(
        notice=received.id, action="no_action", rationale="Fine.", reply="Reply to Nico", automated=False
    )
    notices.decide_case(db, decided, caller=Caller("cli", now=day(2)))
    [report] = run_cycles(db, Clock(day(150)), 1, step=timedelta(0))  # within the six months
    assert report.purged == 0
    [report] = run_cycles(db, Clock(day(240)), 1, step=timedelta(0))
    assert report.purged == 1
    view = notices.get_notice(db, received.id, caller=Caller("cli"), include_contact=True)
    assert (view.notifier.name, view.notifier.email, view.explanation) == (None, None, None)
    assert view.reply is not None and view.reply.text is None
    [(actor, payload)] = erasures(db)
    assert actor == "system:worker" and payload["cause"] == "retention" and payload["notifiers"]
    assert "Nico" not in json.dumps(payload)
    assert verify_audit_log(db).ok
