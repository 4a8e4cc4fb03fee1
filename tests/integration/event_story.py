"""A fixed story that records an event of every type the services write, at fixed instants.

With a ``SequentialIds`` source its log is the same bytes on every run and backend: the head
hash pins the canonical JSON of every event kind (``test_head_hash_pinned.py``). It only calls
services that existed before the events were typed, so the same story made the old database
of ``fixtures/old_log`` (``test_old_log_rebuilds.py``), with the code of 0c85d44 (where the
amnesty runner, the worker's ``announce``, ``enable_broker`` and ``set_appeal_target`` were
still in ``services.amnesty``, ``services.worker``, ``services.broker`` and ``services.worker``).

Left out: webhook.redelivery_requested (its delivery id comes from the outbox, not the log), and
the secrets of tokens and webhooks, which the log never holds anyway.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from reprieve.domain.amnesty import make_filter
from reprieve.domain.deliveries import Receipt
from reprieve.domain.model import AccountRef
from reprieve.domain.time import parse_duration
from reprieve.runtime import amnesty as amnesty_runner
from reprieve.runtime import worker
from reprieve.services import (
    amnesty,
    appeal_targets,
    appeals,
    catalogue,
    content,
    deliveries,
    evidence,
    members,
    notices,
    people,
    publishing,
    reviews,
    sanctions,
    statements,
    tokens,
    violations,
    webhooks,
)
from reprieve.services.callers import Caller
from reprieve.services.sanctions import ImposeSanction
from reprieve.store.db import Database

ACTOR = "story"
MODERATOR = Caller("meta:moderator")


def t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def reason(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ground": "incompatible_content",
        "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
        "policy": "Dangerous individuals and organisations",
        "explanation": "Praise of ongoing violence on the platform",
        "facts": "Posts of 2021-01-06",
        "content_type": ["CONTENT_TYPE_TEXT"],
        "source": "voluntary",
    }
    base.update(overrides)
    return base


def tell(db: Database) -> None:
    """Record the story in ``db`` (migrated, empty)."""
    start = t("2021-01-01T00:00:00Z")
    catalogue.create_operator(
        db, catalogue.CreateOperator.parse(id="meta", name="Meta Platforms"), caller=Caller(ACTOR, now=start)
    )
    catalogue.create_operator(
        db, catalogue.CreateOperator.parse(id="x", name="X Corp"), caller=Caller(ACTOR, now=start)
    )
    catalogue.create_platform(
        db,
        catalogue.CreatePlatform.parse(id="facebook", operator="meta", name="Facebook", policy="meta"),
        caller=Caller(ACTOR, now=start),
    )
    catalogue.create_platform(
        db,
        catalogue.CreatePlatform.parse(id="instagram", operator="meta", name="Instagram"),
        caller=Caller(ACTOR, now=start),
    )
    catalogue.create_platform(
        db, catalogue.CreatePlatform.parse(id="twitter", operator="x", name="Twitter"), caller=Caller(ACTOR, now=start)
    )
    alice_fb, alice_ig = AccountRef("facebook", "alice"), AccountRef("instagram", "alice")
    catalogue.put_account(
        db, catalogue.PutAccount.parse(alice_fb, display_name="Alice"), caller=Caller(ACTOR, now=start)
    )
    catalogue.put_account(
        db,
        catalogue.PutAccount.parse(alice_fb, display_name="Alice A."),
        caller=Caller(ACTOR, now=start + timedelta(hours=1)),
    )
    catalogue.put_account(
        db, catalogue.PutAccount.parse(alice_ig), caller=Caller(ACTOR, now=start + timedelta(hours=1))
    )
    catalogue.link_identities(
        db,
        catalogue.LinkIdentities.parse(operator="meta", accounts=[alice_fb, alice_ig]),
        caller=Caller(ACTOR, now=start + timedelta(hours=2)),
    )

    # A suspension, amended, reviewed (with assessments), appealed, and lifted on review with probation.
    suspended = sanctions.impose_sanction(
        db,
        ImposeSanction.parse(
            subject=alice_fb, scope=["facebook", "instagram"], kind="suspension", reason=reason(), duration="P30D"
        ),
        caller=Caller("meta:moderator", now=t("2021-01-07T16:00:00Z")),
    ).to_json()["id"]
    sanctions.amend_sanction(
        db,
        suspended,
        sanctions.AmendSanction.parse(
            reason="Two years, with a review",
            ends_at="2023-01-07T00:00:00Z",
            review_at="2022-12-07T00:00:00Z",
            effective_at="2021-01-08T00:00:00Z",
        ),
        caller=Caller("meta:moderator", now=t("2021-01-08T10:00:00Z")),
    )
    review = reviews.open_review(
        db,
        suspended,
        panel=["expert-a", "expert-b"],
        caller=MODERATOR.at(t("2021-02-01T10:00:00Z")),
        reason="Has it receded?",
    )
    for expert, day in (("expert-a", "2021-02-02"), ("expert-b", "2021-02-03")):
        reviews.file_assessment(
            db,
            review.id,
            reviews.FileAssessment.parse(risk="low", factors=["election_period"], rationale="The risk has receded."),
            caller=Caller(f"meta:{expert}", names=(expert,), now=t(f"{day}T10:00:00Z")),
        )
    letter = appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=suspended,
            kind="reinstatement",
            channel="letter",
            filed_by={"name": "Counsel", "relation": "representative"},
            statement="Please reinstate.",
            received_at="2021-02-04T00:00:00Z",
        ),
        caller=MODERATOR.at(t("2021-02-04T10:00:00Z")),
    )
    appeals.attach_appeal(db, letter.id, review_id=review.id, caller=MODERATOR.at(t("2021-02-04T10:05:00Z")))
    reviews.decide_review(
        db,
        review.id,
        reviews.DecideReview.parse(
            outcome="lift",
            probation={"duration": "P1Y"},
            rationale="Reinstated on probation.",
            effective_at="2021-02-05T00:00:00Z",
        ),
        caller=MODERATOR.at(t("2021-02-05T10:00:00Z")),
    )
    appeals.decide_appeal(
        db,
        letter.id,
        appeals.DecideAppeal.parse(
            outcome="granted",
            rationale="Decided with the review.",
            reply="Reinstated.",
            effective_at="2021-02-05T00:00:00Z",
        ),
        caller=MODERATOR.at(t("2021-02-05T10:05:00Z")),
    )
    dispute = appeals.record_dispute(
        db,
        letter.id,
        appeals.RecordDispute.parse(body="An ODS body", submitted_at="2021-02-06T00:00:00Z"),
        caller=MODERATOR.at(t("2021-02-06T10:00:00Z")),
    )
    appeals.record_dispute(
        db,
        letter.id,
        appeals.RecordDispute.parse(
            body="An ODS body",
            submitted_at="2021-02-06T00:00:00Z",
            outcome="in_favour_of_platform",
            decided_at="2021-02-07T00:00:00Z",
            summary="Upheld.",
            dispute_id=dispute.disputes[0].id,
        ),
        caller=MODERATOR.at(t("2021-02-07T10:00:00Z")),
    )

    # A ban, lifted; a warning; an appeal denied.
    banned = sanctions.impose_sanction(
        db,
        ImposeSanction.parse(
            subject=AccountRef("twitter", "bob"),
            kind="termination",
            reason=reason(category="STATEMENT_CATEGORY_VIOLENCE"),
        ),
        caller=Caller("x:safety", now=t("2021-01-08T23:00:00Z")),
    ).to_json()["id"]
    sanctions.lift_sanction(
        db,
        banned,
        sanctions.LiftSanction.parse(reason="Amnesty"),
        caller=Caller("x:safety", now=t("2021-03-01T00:00:00Z")),
    )
    warned = sanctions.impose_sanction(
        db,
        ImposeSanction.parse(
            subject=AccountRef("facebook", "carol"),
            kind="warning",
            reason=reason(category="STATEMENT_CATEGORY_SCAMS_AND_FRAUD"),
        ),
        caller=Caller("meta:moderator", now=t("2021-03-02T00:00:00Z")),
    ).to_json()["id"]
    denied = appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=warned,
            kind="complaint",
            channel="web",
            filed_by={"name": "Carol", "relation": "subject"},
            statement="Not spam.",
        ),
        caller=MODERATOR.at(t("2021-03-03T00:00:00Z")),
    )
    appeals.decide_appeal(
        db,
        denied.id,
        appeals.DecideAppeal.parse(outcome="denied", rationale="It was spam.", reply="Kept."),
        caller=MODERATOR.at(t("2021-03-04T00:00:00Z")),
    )

    # Violations through Meta's ladder (the single path), then a bulk import.
    for i, (severity, when) in enumerate(
        (("low", "2021-04-01T09:00:00Z"), ("moderate", "2021-04-02T09:00:00Z"), ("severe", "2021-04-03T09:00:00Z"))
    ):
        violations.record_violation(
            db,
            violations.RecordViolation.parse(
                id=f"fb-{i}",
                platform="facebook",
                account="dave",
                policy="Spam",
                severity=severity,
                category="STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
                facts="Spam.",
                occurred_at=when,
                content_type=["CONTENT_TYPE_TEXT"],
                keywords=["KEYWORD_PHISHING"],
            ),
            caller=Caller("meta:integrity").at(t(when) + timedelta(minutes=2)),
        )
    sanctions.import_sanctions(
        db,
        (
            ImposeSanction.parse(
                subject=AccountRef("twitter", f"user{i}"),
                kind="suspension",
                starts_at=f"2021-05-0{i + 1}T00:00:00Z",
                reason=reason(category="STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", policy="Abuse"),
            )
            for i in range(4)
        ),
        caller=Caller("x:import", now=t("2021-06-01T00:00:00Z")),
        batch_size=3,
    )

    # An amnesty of Twitter's suspensions, then its revert.
    x_safety = Caller("x:safety")
    started = amnesty.start(
        db,
        make_filter("x", kinds=["suspension"]),
        reason="General amnesty",
        caller=x_safety.at(t("2021-07-01T00:00:00Z")),
    )
    amnesty_runner.run(db, started.id, now=t("2021-07-01T00:00:00Z"))
    amnesty.revert(db, started.id, reason="Undone", caller=x_safety.at(t("2021-07-02T00:00:00Z")))
    amnesty_runner.run(db, started.id, now=t("2021-07-02T00:00:00Z"))

    # The console, tokens, webhooks, the broker and the worker's settings: recorded, not projected.
    member = members.create_member(
        db,
        members.CreateMember.parse(
            email="mia@meta.example", name="Mia", role="moderator", operator="meta", password="a long passphrase 1"
        ),
        caller=Caller(ACTOR, now=t("2021-08-01T00:00:00Z")),
    )
    members.disable_member(db, member.id, caller=Caller(ACTOR, now=t("2021-08-02T00:00:00Z")))
    members.enable_member(db, member.id, caller=Caller(ACTOR, now=t("2021-08-03T00:00:00Z")))
    members.reset_password(
        db, member.id, password="another long passphrase 2", caller=Caller(ACTOR, now=t("2021-08-04T00:00:00Z"))
    )
    token = tokens.create_token(
        db,
        tokens.CreateToken.parse(name="ci", role="moderator", operator="meta", expires_in="P90D"),
        caller=Caller(ACTOR, now=t("2021-08-05T00:00:00Z")),
    )
    tokens.revoke_token(db, token.id, caller=Caller(ACTOR, now=t("2021-08-06T00:00:00Z")))
    hook = webhooks.create_webhook(
        db,
        webhooks.CreateWebhook(
            operator="meta",
            url="https://hooks.example/reprieve",
            event_types=["sanction.imposed"],
            secret="a fixed secret of the story",
        ),
        caller=Caller(ACTOR, now=t("2021-08-07T00:00:00Z")),
        resolver=None,
    )
    webhooks.set_webhook_state(db, hook.id, active=False, caller=Caller(ACTOR, now=t("2021-08-08T00:00:00Z")))
    webhooks.set_webhook_state(db, hook.id, active=True, caller=Caller(ACTOR, now=t("2021-08-09T00:00:00Z")))
    webhooks.delete_webhook(db, hook.id, caller=Caller(ACTOR, now=t("2021-08-10T00:00:00Z")))
    publishing.enable_broker(db, actor=ACTOR, now=t("2021-08-11T00:00:00Z"))
    appeal_targets.set_appeal_target(
        db, "meta", parse_duration("P7D"), caller=Caller(ACTOR, now=t("2021-08-12T00:00:00Z"))
    )
    # A sanction that starts later, comes up for review and is appealed, for the worker to announce.
    scheduled = sanctions.impose_sanction(
        db,
        ImposeSanction.parse(
            subject=AccountRef("instagram", "erin"),
            kind="suspension",
            reason=reason(),
            starts_at="2021-09-01T00:00:00Z",
            duration="P10D",
            review_at="2021-09-05T00:00:00Z",
        ),
        caller=Caller("meta:moderator", now=t("2021-08-13T00:00:00Z")),
    ).to_json()["id"]
    appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=scheduled,
            kind="complaint",
            channel="email",
            filed_by={"name": "Erin", "relation": "subject"},
            statement="Too harsh.",
        ),
        caller=MODERATOR.at(t("2021-09-02T00:00:00Z")),
    )
    # A decision giving effect to an authority's order (DSA art. 9, issue 23): the art. 9(5)
    # information instead of a statement of reasons.
    sanctions.impose_sanction(
        db,
        ImposeSanction.parse(
            subject=AccountRef("facebook", "frank"),
            kind="suspension",
            reason=reason(),
            duration="P30D",
            order={
                "authority": "Arcom",
                "member_state": "FR",
                "reference": "2021/42-OR",
                "received_at": "2021-08-13T12:00:00Z",
            },
        ),
        caller=Caller("meta:moderator", now=t("2021-08-14T00:00:00Z")),
    )
    # Decisions on content (issue 24): a post disabled in Germany, then removed everywhere, with its
    # statements of reasons; a photo labelled, then restored; both with evidence, beside the log.
    post = {
        "platform": "facebook",
        "item": "1346913502285590530",
        "account": "carol",
        "content_type": ["CONTENT_TYPE_TEXT"],
        "content_date": "2021-08-14",
        "language": "de",
    }
    content_reason = {k: v for k, v in reason().items() if k != "content_type"}
    disabled = content.decide_content(
        db,
        content.DecideContent.parse(
            item=post,
            kind="disabling",
            territorial_scope=["DE"],
            reason=content_reason,
            evidence={"reference": "snapshots/1346913502285590530", "sha256": "9f" * 32},
        ),
        caller=MODERATOR.at(t("2021-08-15T00:00:00Z")),
    )
    content.amend_content(
        db,
        disabled.id,
        content.AmendContent.parse(reason="Illegal in more places than thought", kind="removal", territorial_scope=[]),
        caller=MODERATOR.at(t("2021-08-16T00:00:00Z")),
    )
    photo = {**post, "item": "photo-0001", "content_type": ["CONTENT_TYPE_IMAGE"], "language": None}
    labelled = content.decide_content(
        db,
        content.DecideContent.parse(
            item={k: v for k, v in photo.items() if v is not None},
            kind="label",
            reason=content_reason,
            evidence={"reference": "snapshots/photo-0001", "sha256": "4e" * 32},
        ),
        caller=MODERATOR.at(t("2021-08-17T00:00:00Z")),
    )
    content.restore_content(
        db,
        labelled.id,
        content.RestoreContent.parse(reason="The label was put on the wrong photo"),
        caller=MODERATOR.at(t("2021-08-18T00:00:00Z")),
    )
    # A removal that counts as a strike (issue 25): its violation names it, and Meta's ladder imposes
    # what the strike count says, each decision with its own statement.
    struck = content.decide_content(
        db,
        content.DecideContent.parse(
            item={**post, "item": "1346913502285590531"}, kind="removal", reason=content_reason, strike=True
        ),
        caller=MODERATOR.at(t("2021-08-19T00:00:00Z")),
    )
    # A complaint about that removal (issue 25 item 3), granted: the post restored, its strike
    # removed and the sanction the strike made the ladder impose lifted, in one transaction.
    complaint = appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=None,
            content_decision_id=struck.id,
            kind="complaint",
            filed_by={"name": "Carol", "relation": "subject"},
            statement="The post reports the news; it praises nothing.",
            channel="web",
        ),
        caller=Caller("system:public-form", now=t("2021-08-20T00:00:00Z")),
    )
    appeals.decide_appeal(
        db,
        complaint.id,
        appeals.DecideAppeal.parse(outcome="granted", rationale="News reporting.", reply="Your post is back."),
        caller=MODERATOR.at(t("2021-08-21T00:00:00Z")),
    )
    # Notices (issue 26): two about the same post form one case; the second's notifier stays
    # anonymous (a child sexual abuse offence, art. 16(2)(c)).
    for notifier, category in (
        ({"kind": "individual", "name": "Nora Notifier", "email": "nora@example.org"}, "STATEMENT_CATEGORY_VIOLENCE"),
        ({"kind": "individual"}, "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"),
    ):
        notices.receive_notice(
            db,
            notices.ReceiveNotice.parse(
                platform="facebook",
                about={"item": "1346913502285590531"},
                location="https://facebook.example/posts/1346913502285590531",
                explanation="The post is illegal, as explained here.",
                category=category,
                illegal=True,
                legal_ground="A law of the member state",
                notifier=notifier,
                bona_fide=True,
                channel="api",
            ),
            caller=Caller("meta:platform", now=t("2021-08-20T00:00:00Z")),
        )
    # The case is decided with no action (the post was removed already), a suspected offence
    # referred to the authorities (art. 18): ``case.decided`` and a ``notice.decided`` per notice.
    notices.decide_case(
        db,
        notices.DecideCase.parse(
            notice=notices.list_notices(db, notices.ListNotices(), caller=Caller(ACTOR)).items[0].id,
            action="no_action",
            rationale="The post is removed already.",
            reply="The post you notified was removed already.",
            automated=False,
            referral={"authority": "Bundeskriminalamt", "member_state": "DE"},
        ),
        caller=MODERATOR.at(t("2021-08-22T00:00:00Z")),
    )
    # Nora complains about "no action" (art. 20(1)); the complaint is granted and the case reopens.
    nora = appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=None,
            notice_id=notices.list_notices(db, notices.ListNotices(), caller=Caller(ACTOR)).items[0].id,
            kind="complaint",
            filed_by={"name": "Nora Notifier", "relation": "notifier"},
            statement="The post was shared again before it was removed.",
            channel="web",
        ),
        caller=Caller("system:public-form", now=t("2021-08-23T00:00:00Z")),
    )
    appeals.decide_appeal(
        db,
        nora.id,
        appeals.DecideAppeal.parse(outcome="granted", rationale="Shared copies.", reply="We look again."),
        caller=MODERATOR.at(t("2021-08-24T00:00:00Z")),
    )
    # What time has done by 2023: sanctions started and ended, reviews due, appeals overdue, probations over.
    worker.announce(db, now=t("2023-06-01T00:00:00Z"), owner="story")
    # Personal data (issue 21): an operator's retention period, and an erasure recorded without the data.
    people.set_retention(db, "meta", parse_duration("P1Y"), caller=Caller(ACTOR, now=t("2023-06-02T00:00:00Z")))
    people.erase_person(
        db,
        people.ErasePerson.parse(operator="meta", account="facebook/alice"),
        caller=Caller(ACTOR, now=t("2023-06-03T00:00:00Z")),
    )
    # The platform reports that a statement of reasons reached its user (issue 23): the first receipt counts.
    issued = statements.statements_of(db, scheduled, caller=Caller(ACTOR))[0]
    deliveries.record_delivery(
        db, issued.id, Receipt(t("2021-08-14T00:00:00Z"), "in_app"), caller=Caller(ACTOR, now=t("2023-06-04T00:00:00Z"))
    )
    # The worker forgets the evidence of both content decisions, their year past and no complaint possible.
    evidence.forget_expired_evidence(db, now=t("2023-06-05T00:00:00Z"))
