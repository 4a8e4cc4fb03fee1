"""A term held until its review (issue 22, PRODUCT.md section 8): Meta's "two years, then experts
assess", the worker announcing no end while it is held, and the projections rebuilt alike."""

from __future__ import annotations

import json

from due_process_support import MODERATOR, impose, operator_with, t
from sqlalchemy import select

from reprieve.domain.model import AccountRef, Role
from reprieve.runtime import worker
from reprieve.services import reviews, sanctions, standing
from reprieve.services.audit import rebuild_projections
from reprieve.services.callers import Caller
from reprieve.store import tables
from reprieve.store.db import Database

EXPERT = Caller("expert (tok_expert)", names=("expert", "tok_expert"), role=Role.REVIEWER)


def _announced(db: Database) -> list[tuple[str, str, str]]:
    e = tables.events.c
    with db.read() as conn:
        rows = conn.execute(
            select(e.type, e.data, e.effective_at).where(e.type.in_(("sanction.ended", "review.due"))).order_by(e.seq)
        )
        return [(kind, json.loads(data)["sanction"], effective) for kind, data, effective in rows]


def _decide(db: Database, sanction: str, when: str, outcome: str, **fields: str) -> None:
    review = reviews.open_review(db, sanction, panel=["expert"], reason="due", caller=MODERATOR.at(t(when)))
    reviews.file_assessment(
        db,
        review.id,
        reviews.FileAssessment.parse(risk="low", factors=[], rationale="calm"),
        caller=EXPERT.at(t(when)),
    )
    reviews.decide_review(
        db,
        review.id,
        reviews.DecideReview.parse(outcome=outcome, rationale="decided", **fields),  # type: ignore[arg-type]
        caller=MODERATOR.at(t(when)),
    )


def _status(db: Database, when: str) -> tuple[str, str | None]:
    answer = standing.get_standing(db, AccountRef("facebook", "DonaldTrump"), at=t(when)).to_json()
    return answer["status"], answer["until"]


def _spans(db: Database) -> list[tuple[object, ...]]:
    sp = tables.sanction_spans.c
    with db.read() as conn:
        return [tuple(r) for r in conn.execute(select(tables.sanction_spans).order_by(sp.sanction_id, sp.platform_id))]


def test_two_years_then_held_until_the_experts_decide(db: Database) -> None:
    operator_with(db, "meta", ("facebook", "meta"), ("instagram", "meta"))
    ban = impose(
        db,
        "facebook/DonaldTrump",
        scope=["facebook", "instagram"],
        starts_at="2021-01-07T00:00:00Z",
        duration="P2Y",
        review_after="P2Y",
        hold_until_review=True,
        now=t("2021-01-07T16:00:00Z"),
    )
    sid = ban["id"]
    assert _status(db, "2022-06-01T00:00:00Z") == ("suspended", None)  # no end announced while held
    assert _status(db, "2023-01-20T00:00:00Z") == ("suspended", None)  # in force past its two years
    assert sanctions.get_sanction(db, sid, at=t("2023-01-20T00:00:00Z")).pending_review
    # The worker announces the review due, and no end.
    worker.announce(db, now=t("2023-01-20T00:00:00Z"), owner="w")
    assert _announced(db) == [("review.due", sid, "2023-01-07T00:00:00Z")]

    _decide(db, sid, "2023-01-25T00:00:00Z", "uphold", next_review_at="2024-01-25T00:00:00Z")
    assert _status(db, "2023-12-01T00:00:00Z") == ("suspended", None)  # held to the next review
    worker.announce(db, now=t("2024-01-20T00:00:00Z"), owner="w")
    assert [a[0] for a in _announced(db)] == ["review.due"]

    _decide(db, sid, "2024-01-30T00:00:00Z", "uphold")  # no next review: it ends at the decision
    assert _status(db, "2024-01-29T23:59:59Z") == ("suspended", "2024-01-30T00:00:00Z")
    assert _status(db, "2024-01-30T00:00:00Z") == ("good", None)
    worker.announce(db, now=t("2024-02-01T00:00:00Z"), owner="w")
    assert _announced(db)[-1] == ("sanction.ended", sid, "2024-01-30T00:00:00Z")

    # The projections rebuilt from the log are the same (the events carry the hold).
    before = _spans(db)
    rebuild_projections(db)
    assert _spans(db) == before


def test_a_held_term_lifted_by_its_review_ends_without_an_end_announced(db: Database) -> None:
    operator_with(db, "meta", ("facebook", "meta"))
    ban = impose(
        db,
        "facebook/DonaldTrump",
        starts_at="2021-01-07T00:00:00Z",
        ends_at="2023-01-07T00:00:00Z",
        review_at="2023-01-07T00:00:00Z",
        hold_until_review=True,
        now=t("2021-01-07T16:00:00Z"),
    )
    _decide(db, ban["id"], "2023-01-25T00:00:00Z", "lift")
    assert _status(db, "2023-01-24T00:00:00Z") == ("suspended", "2023-01-25T00:00:00Z")
    assert _status(db, "2023-01-25T00:00:00Z") == ("good", None)
    worker.announce(db, now=t("2023-02-01T00:00:00Z"), owner="w")
    assert [a[0] for a in _announced(db)] == ["review.due"]
