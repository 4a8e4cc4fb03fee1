"""A review's panel by reference (issue 21): the names the moderator typed go to personal_data
(kind ``review.panel``, subject ``review:<id>``), the event carries ``{"ref": ...}`` per entry,
reading the review shows the names as before, and an erased entry reads as erased and seats nobody."""

from __future__ import annotations

import json

import pytest
from due_process_support import MODERATOR, impose, operator_with, t
from sqlalchemy import select

from reprieve.domain.errors import ForbiddenError
from reprieve.domain.model import Role
from reprieve.domain.personal import ERASED_NAME
from reprieve.services import reviews
from reprieve.services.audit import rebuild_projections, verify_audit_log
from reprieve.services.callers import Caller
from reprieve.store import personal, tables
from reprieve.store.db import Database

PANEL = ("Dr Erika Expert", "Prof Paul Panel")


def expert(name: str) -> Caller:
    return Caller(f"token:tok_{PANEL.index(name)}", names=(name,), role=Role.REVIEWER)


def test_the_panel_is_referenced_read_back_and_erased(db: Database) -> None:
    operator_with(db, "meta", ("facebook", "meta"))
    ban = impose(
        db, "facebook/someone", scope=["facebook"], starts_at="2021-01-07T00:00:00Z", now=t("2021-01-07T16:00:00Z")
    )
    review = reviews.open_review(
        db, ban["id"], panel=list(PANEL), reason="Still a risk?", caller=MODERATOR.at(t("2021-02-01T00:00:00Z"))
    )
    assert review.panel == PANEL
    reviews.file_assessment(
        db,
        review.id,
        reviews.FileAssessment.parse(risk="low", factors=[], rationale="calm"),
        caller=expert(PANEL[0]).at(t("2021-02-02T00:00:00Z")),
    )
    shown = reviews.get_review(db, review.id)
    assert shown.panel == PANEL and [a.reviewer for a in shown.assessments] == [PANEL[0]]

    e = tables.events.c
    with db.read() as conn:
        data = conn.execute(select(e.data).where(e.type == "review.opened")).scalar_one()
        everything = " ".join(conn.execute(select(e.data)).scalars())
        rows = conn.execute(select(tables.personal_data).where(tables.personal_data.c.kind == "review.panel")).all()
        projected = conn.execute(select(tables.reviews.c.panel)).scalar_one()
    assert [name for name in PANEL if name in everything] == [], everything
    assert [set(entry) for entry in json.loads(data)["panel"]] == [{"ref"}, {"ref"}]
    assert {(r.subject, r.value) for r in rows} == {(f"review:{review.id}", name) for name in PANEL}
    assert all(name not in projected for name in PANEL)

    with db.engine.begin() as conn:
        personal.erase_subject(conn, operator="meta", subject=f"review:{review.id}", now_us=1, by="cli")
    erased = reviews.get_review(db, review.id)
    assert erased.panel == (ERASED_NAME, ERASED_NAME) and [a.reviewer for a in erased.assessments] == [ERASED_NAME]
    with pytest.raises(ForbiddenError):
        reviews.file_assessment(
            db,
            review.id,
            reviews.FileAssessment.parse(risk="low", factors=[], rationale="calm"),
            caller=expert(PANEL[1]).at(t("2021-02-03T00:00:00Z")),
        )
    assert verify_audit_log(db).ok
    before = reviews.get_review(db, review.id)
    rebuild_projections(db)
    assert reviews.get_review(db, review.id) == before
