"""Appeals: the complaint window at its edges, reinstatement requests while active, one open
appeal per sanction, decisions by people only, what each outcome does, the requester's personal
data kept out of the log, out-of-court disputes."""

from __future__ import annotations

from typing import Any

import pytest
from due_process_support import (
    MODERATOR,
    REASON,
    SETUP,
    Reporter,
    all_event_text,
    day,
    event_count,
    impose,
    operator_with,
    snapshot,
    t,
)
from sqlalchemy import select

from reprieve.domain.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from reprieve.domain.filters import AppealFilter, SanctionFilter
from reprieve.domain.model import AccountRef, Role
from reprieve.dsa.statement import Lang
from reprieve.services import appeals, reviews, sanctions, standing, transparency
from reprieve.services.audit import rebuild_projections
from reprieve.services.callers import Caller
from reprieve.services.sanctions import ImposeSanction
from reprieve.store import tables
from reprieve.store.db import Database

EMAIL = "counsel@campaign.example"
NAME = "Counsel for the Campaign"


def file(
    db: Database, sanction: str, kind: str = "complaint", *, received: str, now: str | None = None, **fields: Any
) -> appeals.AppealView:
    fields.setdefault("filed_by", {"name": NAME, "email": EMAIL, "relation": "representative"})
    return appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=sanction,
            kind=kind,
            statement=fields.pop("statement", "The decision was wrong."),
            channel=fields.pop("channel", "web"),
            received_at=received,
            **fields,
        ),
        caller=MODERATOR.at(t(now or received)),
    )


def decide(db: Database, appeal: str, outcome: str, when: str, **fields: Any) -> appeals.AppealView:
    caller = fields.pop("caller", MODERATOR)
    return appeals.decide_appeal(
        db,
        appeal,
        appeals.DecideAppeal.parse(
            outcome=outcome, rationale="Reviewed by a person.", reply="Thank you for writing to us.", **fields
        ),
        caller=caller.at(t(when)),
    )


@pytest.fixture
def meta(db: Database) -> Database:
    operator_with(db, "meta", ("facebook", "meta"), ("instagram", "meta"))
    return db


def test_the_complaint_window_the_day_before_and_the_day_after_its_deadline(meta: Database) -> None:
    db = meta
    ban = impose(db, "facebook/anna", starts_at="2024-01-10T00:00:00Z", now=t("2024-01-10T00:00:00Z"))
    # Six months after the decision: 2024-07-10. The day before is open, the day after is not.
    with pytest.raises(ValidationError, match="closed at 2024-07-10T00:00:00Z") as closed:
        file(db, ban["id"], received="2024-07-11T00:00:00Z")
    assert closed.value.field == "kind"
    inside = file(db, ban["id"], received="2024-07-09T00:00:00Z")
    assert inside.deadline_at == t("2024-07-10T00:00:00Z")
    decide(db, inside.id, "denied", "2024-07-09T12:00:00Z")
    # The very last instant of the window still counts; one second later does not.
    at_deadline = file(db, ban["id"], received="2024-07-10T00:00:00Z", now="2024-07-12T00:00:00Z", channel="letter")
    decide(db, at_deadline.id, "denied", "2024-07-12T00:00:00Z")
    with pytest.raises(ValidationError, match="closed"):  # received then, recorded after the one above
        file(db, ban["id"], received="2024-07-10T00:00:01Z", now="2024-07-12T00:00:00Z", channel="letter")
    # A reinstatement request has no window: any time while the sanction is active.
    assert file(db, ban["id"], "reinstatement", received="2025-03-01T00:00:00Z").deadline_at is None


def test_a_later_decision_reopens_the_window(meta: Database) -> None:
    db = meta
    ban = impose(db, "facebook/bert", starts_at="2024-01-10T00:00:00Z", now=t("2024-01-10T00:00:00Z"))
    sanctions.amend_sanction(
        db,
        ban["id"],
        sanctions.AmendSanction.parse(
            reason="longer",
            ends_at="2026-01-01T00:00:00Z",
            effective_at="2024-03-01T00:00:00Z",
            backdated_reason="Test history, entered after the fact.",
        ),
        caller=Caller("m", now=t("2024-03-01T00:00:00Z")),
    )
    assert file(db, ban["id"], received="2024-08-31T00:00:00Z").deadline_at == t("2024-09-01T00:00:00Z")
    review = reviews.open_review(db, ban["id"], panel=["a"], reason="r", caller=MODERATOR.at(t("2024-08-31T00:00:00Z")))
    reviews.file_assessment(
        db,
        review.id,
        reviews.FileAssessment.parse(risk="high", factors=[], rationale="r"),
        caller=Caller("a", names=("a",), now=t("2024-09-01T00:00:00Z")),
    )
    # An upheld review changes nothing in the term, and still counts as a decision the user is told of.
    reviews.decide_review(
        db,
        review.id,
        reviews.DecideReview.parse(outcome="uphold", rationale="r"),
        caller=MODERATOR.at(t("2024-10-01T00:00:00Z")),
    )
    appeal = appeals.list_appeals(db, AppealFilter(sanction=ban["id"])).items[0]
    decide(db, appeal.id, "denied", "2024-10-02T00:00:00Z")
    assert file(db, ban["id"], received="2025-03-31T00:00:00Z").deadline_at == t("2025-04-01T00:00:00Z")


def _imported(db: Database, account: str, *, starts_at: str, informed_at: str, now: str) -> dict[str, Any]:
    """A sanction of imported history (``POST /v1/imports``), its user informed at ``informed_at``."""
    command = ImposeSanction.parse(
        subject=AccountRef("facebook", account), kind="suspension", reason=dict(REASON), starts_at=starts_at
    )
    caller = Caller(SETUP, now=t(f"{now}T00:00:00Z"))
    assert sanctions.import_history(db, [sanctions.imported_command(command, informed_at)], caller=caller) == 1
    (found,) = sanctions.list_sanctions(
        db, SanctionFilter(platform="facebook", account=account), at=caller.instant
    ).items
    return found.to_json()


def test_a_decision_recorded_with_an_earlier_effective_at_is_told_when_recorded(meta: Database) -> None:
    db = meta
    # An imported history: a decision the user was told of then (its informed_at, issue 23).
    old = _imported(db, "cara", starts_at="2024-01-10T00:00:00Z", informed_at="2024-01-10T00:00:00Z", now="2024-09-01")
    with pytest.raises(ValidationError, match="closed at 2024-07-10T00:00:00Z"):
        file(db, old["id"], received="2024-09-02T00:00:00Z")
    # An amendment recorded on 2024-09-01 but dated back to March is told on 2024-09-01.
    sanctions.amend_sanction(
        db,
        old["id"],
        sanctions.AmendSanction.parse(
            reason="longer",
            ends_at="2026-01-01T00:00:00Z",
            effective_at="2024-03-01T00:00:00Z",
            backdated_reason="Test history, entered after the fact.",
        ),
        caller=Caller("m", now=t("2024-09-01T00:00:00Z")),
    )
    assert file(db, old["id"], received="2024-09-02T00:00:00Z").deadline_at == t("2025-03-01T00:00:00Z")
    # A review decided on 2024-10-01 and dated back to its opening day counts from 2024-10-01.
    appeal = appeals.list_appeals(db, AppealFilter(sanction=old["id"])).items[0]
    decide(db, appeal.id, "denied", "2024-09-03T00:00:00Z")
    review = reviews.open_review(db, old["id"], panel=["a"], reason="r", caller=MODERATOR.at(t("2024-09-05T00:00:00Z")))
    reviews.file_assessment(
        db,
        review.id,
        reviews.FileAssessment.parse(risk="high", factors=[], rationale="r"),
        caller=Caller("a", names=("a",), now=t("2024-09-06T00:00:00Z")),
    )
    reviews.decide_review(
        db,
        review.id,
        reviews.DecideReview.parse(
            outcome="uphold",
            rationale="r",
            effective_at="2024-09-05T00:00:00Z",
            backdated_reason="Test history, entered after the fact.",
        ),
        caller=MODERATOR.at(t("2024-10-01T00:00:00Z")),
    )
    assert file(db, old["id"], received="2025-03-31T00:00:00Z").deadline_at == t("2025-04-01T00:00:00Z")
    statement = transparency.statement_of_reasons(
        db, old["id"], language=Lang.EN, caller=Caller("test", now=t("2025-03-31T00:00:00Z"))
    )
    assert "2025-04-01" in str(statement)


def test_what_can_be_appealed_and_when(meta: Database) -> None:
    db = meta
    lifted = impose(db, "facebook/dora", now=t("2024-01-01T00:00:00Z"))
    sanctions.lift_sanction(
        db, lifted["id"], sanctions.LiftSanction.parse(reason="done"), caller=Caller("m", now=t("2024-01-02T00:00:00Z"))
    )
    for kind in ("complaint", "reinstatement"):
        with pytest.raises(ValidationError, match="lifted"):
            file(db, lifted["id"], kind, received="2024-01-03T00:00:00Z")
    scheduled = impose(db, "facebook/emil", starts_at="2024-03-01T00:00:00Z", now=t("2024-01-01T00:00:00Z"))
    with pytest.raises(ValidationError, match="scheduled"):
        file(db, scheduled["id"], "reinstatement", received="2024-01-02T00:00:00Z")
    with pytest.raises(ValidationError, match="future"):
        file(db, scheduled["id"], received="2024-01-03T00:00:00Z", now="2024-01-02T00:00:00Z")
    with pytest.raises(NotFoundError):
        appeals.file_appeal(
            db,
            appeals.FileAppeal.parse(
                sanction_id=scheduled["id"], kind="complaint", filed_by={"name": "x"}, statement="s", channel="web"
            ),
            caller=MODERATOR.at(t("2024-01-02T00:00:00Z")).among(["x-corp"]),
        )
    for bad, field in [
        ({"name": ""}, "filed_by.name"),
        ({"name": "x", "email": "not-an-address"}, "filed_by.email"),
        ({"name": "x", "relation": "lawyer"}, "filed_by.relation"),
    ]:
        with pytest.raises(ValidationError) as error:
            file(db, scheduled["id"], received="2024-01-02T00:00:00Z", filed_by=bad)
        assert error.value.field == field
    # Recorded after the others (the log's instants never go backwards), from 1 January on.
    expired = impose(
        db, "facebook/cleo", duration="P7D", starts_at="2024-01-01T00:00:00Z", now=t("2024-01-03T00:00:00Z")
    )
    with pytest.raises(ValidationError, match=r"reinstatement request needs an active sanction.*expired"):
        file(db, expired["id"], "reinstatement", received="2024-02-01T00:00:00Z")
    # A complaint against a sanction that ran out is still admissible: its strike still counts.
    assert file(db, expired["id"], received="2024-02-01T00:00:00Z").state == "open"


def test_one_open_appeal_per_sanction(meta: Database) -> None:
    db = meta
    ban = impose(db, "facebook/finn", now=t("2024-01-01T00:00:00Z"))
    first = file(db, ban["id"], received="2024-01-02T00:00:00Z")
    before = event_count(db)
    with pytest.raises(ConflictError, match="already has an open appeal"):
        file(db, ban["id"], "reinstatement", received="2024-01-03T00:00:00Z")
    assert event_count(db) == before
    decide(db, first.id, "denied", "2024-01-04T00:00:00Z")
    with pytest.raises(ConflictError, match="already decided"):
        decide(db, first.id, "granted", "2024-01-05T00:00:00Z")
    assert file(db, ban["id"], "reinstatement", received="2024-01-05T00:00:00Z").state == "open"


@pytest.mark.parametrize("role", [Role.PLATFORM, Role.REVIEWER, Role.AUDITOR])
def test_only_a_person_decides(meta: Database, role: Role) -> None:
    db = meta
    ban = impose(db, "facebook/gus", now=t("2024-01-01T00:00:00Z"))
    appeal = file(db, ban["id"], received="2024-01-02T00:00:00Z")
    before = event_count(db)
    with pytest.raises(ForbiddenError, match="decided by a person"):
        decide(db, appeal.id, "granted", "2024-01-03T00:00:00Z", caller=Caller("machine", role=role))
    assert event_count(db) == before
    assert (
        decide(db, appeal.id, "granted", "2024-01-03T00:00:00Z", caller=Caller("admin", role=Role.ADMIN)).state
        == "granted"
    )


def test_each_outcome_and_the_handling_time(meta: Database) -> None:
    db = meta
    granted = impose(db, "facebook/hugo", now=t("2024-01-01T00:00:00Z"))
    appeal = file(db, granted["id"], received="2024-01-02T00:00:00Z")
    result = decide(db, appeal.id, "granted", "2024-01-03T06:00:00Z")
    assert result.decision is not None and result.decision.handling_seconds == 30 * 3600
    assert sanctions.get_sanction(db, granted["id"], at=t("2024-01-04T00:00:00Z")).to_json()["state"] == "lifted"
    assert f'"appeal":"{appeal.id}"' in all_event_text(db).replace(" ", "")

    # Ten days later, and the next ten days after (the log is told in order).
    partial = impose(db, "facebook/iris", duration="P1Y", now=t("2024-01-11T00:00:00Z"))
    appeal = file(db, partial["id"], received="2024-01-12T00:00:00Z")
    with pytest.raises(ValidationError, match="says how the sanction changes"):
        decide(db, appeal.id, "partially_granted", "2024-01-13T00:00:00Z")
    with pytest.raises(ValidationError, match="only a partial grant"):
        decide(db, appeal.id, "denied", "2024-01-13T00:00:00Z", ends_at="2024-02-01T00:00:00Z")
    decide(
        db,
        appeal.id,
        "partially_granted",
        "2024-01-13T00:00:00Z",
        kind="restriction",
        denies=["live"],
        ends_at="2024-02-01T00:00:00Z",
    )
    amended = sanctions.get_sanction(db, partial["id"], at=t("2024-01-14T00:00:00Z")).to_json()
    assert (amended["kind"], amended["denies"], amended["ends_at"]) == ("restriction", ["live"], "2024-02-01T00:00:00Z")

    denied = impose(db, "facebook/jack", now=t("2024-01-21T00:00:00Z"))
    appeal = file(db, denied["id"], received="2024-01-22T00:00:00Z")
    assert decide(db, appeal.id, "denied", "2024-01-23T00:00:00Z").state == "denied"
    assert sanctions.get_sanction(db, denied["id"], at=t("2024-01-24T00:00:00Z")).to_json()["state"] == "active"
    listed = appeals.list_appeals(db, AppealFilter(state="denied")).items
    assert [a.id for a in listed] == [appeal.id]


def test_a_sanction_granted_away_before_it_starts_never_takes_effect(meta: Database) -> None:
    db = meta
    ban = impose(db, "facebook/kurt", starts_at="2024-03-01T00:00:00Z", duration="P30D", now=t("2024-02-01T00:00:00Z"))
    appeal = file(db, ban["id"], received="2024-02-02T00:00:00Z")
    decide(db, appeal.id, "granted", "2024-02-03T00:00:00Z")
    after = sanctions.get_sanction(db, ban["id"], at=t("2024-03-02T00:00:00Z")).to_json()
    assert (after["state"], after["lifted_at"]) == ("cancelled", "2024-03-01T00:00:00Z")  # issue 22
    result = standing.get_standing(db, AccountRef("facebook", "kurt"), at=t("2024-03-02T00:00:00Z")).to_json()
    assert (result["status"], result["strikes"]) == ("good", 0)


def test_a_granted_complaint_takes_the_strike_away_even_after_the_sanction_ran_out(meta: Database) -> None:
    db = meta
    # Each report recorded when it occurred, before the complaint of 20 January (the log's order).
    first = day(0, "2024-01-01T00:00:00Z")
    answer = Reporter(db, "facebook").report("kate", first, severity="moderate", now=first)
    for i in (1, 2):
        when = day(i, "2024-01-01T00:00:00Z")
        Reporter(db, "facebook").report("kate", when, id=f"other-{i}", now=when)
    fourth = day(3, "2024-01-01T00:00:00Z")
    restriction = Reporter(db, "facebook").report("kate", fourth, id="fourth", now=fourth)
    assert restriction["sanction"]["ends_at"] == "2024-01-05T00:00:00Z"  # a day's restriction
    count = standing.get_standing(db, AccountRef("facebook", "kate"), at=t("2024-02-01T00:00:00Z")).to_json()["strikes"]
    assert count == 4
    appeal = file(db, restriction["sanction"]["id"], received="2024-01-20T00:00:00Z")
    result = decide(db, appeal.id, "granted", "2024-01-21T00:00:00Z")
    assert result.state == "granted"
    assert (
        sanctions.get_sanction(db, restriction["sanction"]["id"], at=t("2024-02-01T00:00:00Z")).to_json()["state"]
        == "expired"
    )
    after = standing.get_standing(db, AccountRef("facebook", "kate"), at=t("2024-02-01T00:00:00Z")).to_json()["strikes"]
    assert after == 3
    before_grant = standing.get_standing(db, AccountRef("facebook", "kate"), at=t("2024-01-20T00:00:00Z")).to_json()[
        "strikes"
    ]
    assert before_grant == 4  # computed: the strike counted until the grant took effect
    assert answer["strike"]["count"] == 1


def test_the_requesters_contact_details_never_reach_the_log(meta: Database) -> None:
    db = meta
    ban = impose(db, "facebook/DonaldTrump", starts_at="2021-01-07T00:00:00Z", now=t("2021-01-07T00:00:00Z"))
    letter = file(
        db,
        ban["id"],
        "reinstatement",
        received="2023-01-17T00:00:00Z",
        now="2023-01-18T00:00:00Z",
        channel="letter",
        meeting_requested=True,
        statement="We ask for a meeting to discuss his prompt reinstatement.",
    )
    assert letter.filed_by.to_json() == {"relation": "representative", "name": NAME, "email": EMAIL}
    assert (letter.channel, letter.meeting_requested, letter.received_at) == (
        "letter",
        True,
        t("2023-01-17T00:00:00Z"),
    )
    decide(db, letter.id, "granted", "2023-01-25T00:00:00Z")
    appeals.record_dispute(
        db,
        letter.id,
        appeals.RecordDispute.parse(body="Appeals Centre Europe", submitted_at="2023-02-01T00:00:00Z"),
        caller=MODERATOR.at(t("2023-02-02T00:00:00Z")),
    )
    log = all_event_text(db)
    assert EMAIL not in log and NAME not in log and "counsel@" not in log
    private = appeals.get_appeal(db, letter.id)  # without include_contact: as an auditor sees it
    assert private.filed_by.to_json() == {"relation": "representative", "name": None, "email": None}
    assert appeals.list_appeals(db, AppealFilter()).items[0].filed_by.email is None
    with db.read() as conn:
        stored = conn.execute(select(tables.appeal_requesters.c.email)).scalars().all()
    assert stored == [EMAIL]


def test_an_appeal_before_the_panel_and_an_out_of_court_dispute(meta: Database) -> None:
    db = meta
    ban = impose(db, "facebook/lena", review_after="P1M", now=t("2024-01-01T00:00:00Z"))
    other = impose(db, "facebook/mona", now=t("2024-01-01T00:00:00Z"))
    review = reviews.open_review(
        db, ban["id"], panel=["a", "b"], reason="due", caller=MODERATOR.at(t("2024-02-02T00:00:00Z"))
    )
    appeal = file(db, ban["id"], "reinstatement", received="2024-02-03T00:00:00Z", meeting_requested=True)
    wrong = file(db, other["id"], received="2024-02-03T00:00:00Z")
    with pytest.raises(ValidationError, match="is of sanction"):
        appeals.attach_appeal(db, wrong.id, review_id=review.id, caller=MODERATOR.at(t("2024-02-04T00:00:00Z")))
    attached = appeals.attach_appeal(db, appeal.id, review_id=review.id, caller=MODERATOR.at(t("2024-02-04T00:00:00Z")))
    assert attached.review == review.id
    seen = reviews.get_review(db, review.id)
    assert seen.appeals == (appeal.id,)
    assert any(e.event == "appeal received" and "meeting requested" in e.detail for e in seen.timeline)
    decide(db, appeal.id, "denied", "2024-02-10T00:00:00Z")
    disputed = appeals.record_dispute(
        db,
        appeal.id,
        appeals.RecordDispute.parse(body="User Rights ODS", submitted_at="2024-02-15T00:00:00Z"),
        caller=MODERATOR.at(t("2024-02-16T00:00:00Z")),
    )
    dispute = disputed.disputes[0]
    assert (dispute.body, dispute.outcome, dispute.decided_at) == ("User Rights ODS", "pending", None)
    with pytest.raises(ValidationError, match="decided_at"):
        appeals.record_dispute(
            db,
            appeal.id,
            appeals.RecordDispute.parse(
                body="User Rights ODS", submitted_at="2024-02-15T00:00:00Z", outcome="settled", dispute_id=dispute.id
            ),
            caller=MODERATOR.at(t("2024-03-01T00:00:00Z")),
        )
    with pytest.raises(ForbiddenError):
        appeals.record_dispute(
            db,
            appeal.id,
            appeals.RecordDispute.parse(body="x", submitted_at="2024-02-15T00:00:00Z"),
            caller=Caller("p", role=Role.PLATFORM, now=t("2024-03-01T00:00:00Z")),
        )
    updated = appeals.record_dispute(
        db,
        appeal.id,
        appeals.RecordDispute.parse(
            body="User Rights ODS",
            submitted_at="2024-02-15T00:00:00Z",
            outcome="in_favour_of_requester",
            decided_at="2024-03-01T00:00:00Z",
            summary="Reinstate.",
            dispute_id=dispute.id,
        ),
        caller=MODERATOR.at(t("2024-03-02T00:00:00Z")),
    )
    assert [(d.id, d.outcome) for d in updated.disputes] == [(dispute.id, "in_favour_of_requester")]


def test_rebuilding_the_projections_reproduces_appeals_and_keeps_the_contacts(meta: Database) -> None:
    db = meta
    for i, outcome in enumerate(("granted", "denied", None)):
        month = f"2024-0{i + 1}"  # one after the other: the log's instants never go backwards
        ban = impose(db, f"facebook/n{i}", now=t(f"{month}-01T00:00:00Z"))
        appeal = file(
            db, ban["id"], received=f"{month}-02T00:00:00Z", filed_by={"name": f"N {i}", "email": f"n{i}@example.com"}
        )
        if outcome:
            decide(db, appeal.id, outcome, f"{month}-03T00:00:00Z")
            appeals.record_dispute(
                db,
                appeal.id,
                appeals.RecordDispute.parse(body="ODS", submitted_at=f"{month}-04T00:00:00Z"),
                caller=MODERATOR.at(t(f"{month}-05T00:00:00Z")),
            )
    before = snapshot(db)
    assert len(before["appeals"]) == 3 and len(before["appeal_disputes"]) == 2
    rebuild_projections(db)
    assert snapshot(db) == before
    listed = appeals.list_appeals(db, AppealFilter(), include_contact=True).items
    assert sorted(a.filed_by.email or "" for a in listed) == [f"n{i}@example.com" for i in range(3)]
