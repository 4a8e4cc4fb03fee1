"""``reprieve demo``: the story of PRODUCT.md section 1, with its real dates, and some crowd.

Meta suspends Donald Trump on Facebook and Instagram (2021-01-07), sets a two-year term with
an expert review (2021-06-04), keeps him suspended while a panel of three experts assesses the
risk (January 2023) and his campaign's letter asks for his reinstatement (2023-01-17), and
reinstates him with two years of probation (2023-01-25). Twitter bans him for good (2021-01-08)
and lifts it in a general amnesty (2022-11-19). Amazon, Apple and Google cut Parler off (January
2021); Apple and Google let it back. Truth Social runs on its own. Decisions on content: Facebook
removes Trump's video of 6 January 2021; this week, an Instagram photo is labelled in some
countries and a satirical post removed then restored. A few thousand synthetic sanctions make
lists look real.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from reprieve.domain.amnesty import make_filter
from reprieve.domain.filters import AppealFilter, ReviewFilter, SanctionFilter
from reprieve.domain.model import AccountRef, SanctionKind, SanctionState
from reprieve.domain.reviews import ReviewState
from reprieve.domain.time import format_instant, parse_instant, to_micros
from reprieve.runtime import amnesty as amnesty_runner
from reprieve.services import Database, amnesty, appeals, catalogue, content, members, reviews, sanctions, violations
from reprieve.services.callers import PUBLIC_FORM_ACTOR, Caller
from reprieve.services.sanctions import ImposeSanction
from reprieve.services.standing import get_standing

ACTOR = "demo"
SOCIAL = ["login", "post", "comment", "message", "react", "live", "advertise", "monetize", "appeal"]

OPERATORS = [
    ("meta", "Meta Platforms, Inc."),
    ("x-corp", "X Corp. (Twitter)"),
    ("amazon", "Amazon Web Services, Inc."),
    ("apple", "Apple Inc."),
    ("google", "Google LLC"),
    ("truth-social", "Trump Media & Technology Group"),
    ("parler", "Parlement Technologies"),
]
PLATFORMS: list[tuple[str, str, str, str, list[str], str | None]] = [
    ("facebook", "meta", "Facebook", "social", SOCIAL, "meta"),
    ("instagram", "meta", "Instagram", "social", SOCIAL, "meta"),
    ("twitter", "x-corp", "Twitter", "social", SOCIAL, None),
    ("aws", "amazon", "Amazon Web Services", "hosting", ["login", "compute", "storage", "network", "appeal"], None),
    ("app-store", "apple", "App Store", "app_store", ["distribute", "update", "appeal"], None),
    ("google-play", "google", "Google Play", "app_store", ["distribute", "update", "appeal"], None),
    ("truth-social", "truth-social", "Truth Social", "social", SOCIAL, "truth-social"),
    ("parler", "parler", "Parler", "social", SOCIAL, "parler"),
]

#: Members who sign in to the console (``/console``), all with ``DEMO_PASSWORD``: a demo only.
DEMO_PASSWORD = "reprieve-demo"
DEMO_MEMBERS = [
    ("moderator@meta.example", "Mia Moderator", "moderator", "meta"),
    ("reviewer@meta.example", "Rémi Reviewer", "reviewer", "meta"),
    ("auditor@meta.example", "Ada Auditor", "auditor", "meta"),
    ("admin@meta.example", "Alex Admin", "admin", "meta"),
    ("moderator@x.example", "Xavier Moderator", "moderator", "x-corp"),
]

TRUMP_FB = AccountRef("facebook", "DonaldTrump")
TRUMP_IG = AccountRef("instagram", "realdonaldtrump")
TRUMP_TW = AccountRef("twitter", "realDonaldTrump")
TRUMP_TS = AccountRef("truth-social", "realDonaldTrump")
PARLER_AWS = AccountRef("aws", "parler")
PARLER_APPLE = AccountRef("app-store", "com.parler.parler")
PARLER_GOOGLE = AccountRef("google-play", "com.parler.parler")

CAPITOL = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "content_type": ["CONTENT_TYPE_TEXT", "CONTENT_TYPE_VIDEO"],
    "content_date": "2021-01-06",
    "source": "voluntary",
}


def t(text: str) -> datetime:
    return parse_instant(text)


def load_demo(db: Database, *, synthetic: int = 3000, progress: Callable[[str], None] = lambda _: None) -> bool:
    """Load the story; returns False (and changes nothing) if it is already there."""
    if any(operator.id == "meta" for operator in catalogue.list_operators(db)):
        return False
    start = t("2020-12-01T00:00:00Z")
    for op_id, name in OPERATORS:
        catalogue.create_operator(
            db, catalogue.CreateOperator.parse(id=op_id, name=name), caller=Caller(ACTOR, now=start)
        )
    for pid, op_id, name, kind, caps, policy in PLATFORMS:
        catalogue.create_platform(
            db,
            catalogue.CreatePlatform.parse(
                id=pid, operator=op_id, name=name, kind=kind, capabilities=caps, policy=policy
            ),
            caller=Caller(ACTOR, now=start),
        )
    for email, name, role, op_id in DEMO_MEMBERS:
        members.create_member(
            db,
            members.CreateMember.parse(email=email, name=name, role=role, operator=op_id, password=DEMO_PASSWORD),
            caller=Caller(ACTOR, now=start),
        )
    catalogue.put_account(
        db, catalogue.PutAccount.parse(TRUMP_FB, display_name="Donald J. Trump"), caller=Caller(ACTOR, now=start)
    )
    catalogue.put_account(
        db, catalogue.PutAccount.parse(TRUMP_IG, display_name="Donald J. Trump"), caller=Caller(ACTOR, now=start)
    )
    catalogue.link_identities(
        db,
        catalogue.LinkIdentities.parse(operator="meta", accounts=[TRUMP_FB, TRUMP_IG]),
        caller=Caller(ACTOR, now=start),
    )
    progress("story: Meta, Twitter, Parler and its providers")
    meta: dict[str, str] = {}
    _tell(
        [
            _capitol_video(db),
            _meta(db, meta),
            _meta_letter(db, meta),
            _twitter(db),
            _twitter_amnesty(db),
            *_parler(db),
            _violations(db),
            _truth_social(db),
        ]
    )
    progress("work left in the queues: reviews due, an open review, open appeals, a sanction starting next week")
    _tell(_present(db, datetime.now(UTC).replace(microsecond=0)))
    if synthetic:
        progress(f"adding {synthetic} synthetic sanctions")
        _synthetic(db, synthetic)
    return True


#: A strand of the story (one operator's, one account's): a generator that yields the recording
#: instant of its next step, and records that step when resumed.
Strand = Iterator[datetime]


def _tell(strands: Iterable[Strand]) -> None:
    """Record the strands' steps in the order of their recording instants across strands (the
    earlier strand first at equal instants): the log's recording instants never go backwards, and
    the demo as of T holds exactly what its story had recorded by T (PRODUCT.md section 8)."""
    due: list[tuple[datetime, int, Strand]] = []

    def resume(order: int, strand: Strand) -> None:
        when = next(strand, None)  # records the step due, if any, and says when the next one is
        if when is not None:
            heapq.heappush(due, (when, order, strand))

    for order, strand in enumerate(strands):
        resume(order, strand)
    while due:
        _when, order, strand = heapq.heappop(due)
        resume(order, strand)


def _truth_social(db: Database) -> Strand:
    yield t("2022-02-21T00:00:00Z")
    catalogue.put_account(
        db,
        catalogue.PutAccount.parse(TRUMP_TS, display_name="Donald J. Trump"),
        caller=Caller(ACTOR, now=t("2022-02-21T00:00:00Z")),
    )


def _impose(db: Database, when: str, command: ImposeSanction, actor: str) -> str:
    return sanctions.impose_sanction(db, command, caller=Caller(actor, now=t(when))).id


#: The demo's items (a platform's own ids, made up here), and the SHA-256 of each snapshot.
CAPITOL_VIDEO = "capitol-video-2021-01-06"
LABELLED_PHOTO = "wellness-photo-0042"
SATIRE_POST = "satire-post-0815"
QUOTED_CLIP = "news-clip-2024"
_SNAPSHOTS = {
    CAPITOL_VIDEO: "5f0c3a9be1d0a7b0c1e4f2d3a4b5c6d7e8f90112233445566778899aabbccdde",
    LABELLED_PHOTO: "0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5061728394a5b6c7d8e9f",
    SATIRE_POST: "f9e8d7c6b5a4938271605f4e3d2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    QUOTED_CLIP: "8d0ad12b3645e9763b93ced9eca73004640fdcd0c33324eedc582093143ce87b",
}


def _evidence(item: str) -> dict[str, str]:
    return {"reference": f"snapshots/{item}", "sha256": _SNAPSHOTS[item]}


def _capitol_video(db: Database) -> Strand:
    """6 January 2021: Facebook removes the video Trump posted while the Capitol riot went on."""
    yield t("2021-01-06T22:00:00Z")
    removed = content.decide_content(
        db,
        content.DecideContent.parse(
            item={
                "platform": "facebook",
                "item": CAPITOL_VIDEO,
                "account": TRUMP_FB.account,
                "content_type": ["CONTENT_TYPE_VIDEO"],
                "content_date": "2021-01-06",
                "language": "en",
            },
            kind="removal",
            reason=dict(
                CAPITOL,
                content_type=None,
                content_date=None,
                policy="Dangerous Individuals and Organizations",
                explanation="On balance, the video contributes to rather than diminishes the risk of ongoing "
                "violence at the US Capitol.",
                facts="A video posted during the riot at the US Capitol on 6 January 2021.",
            ),
            evidence=_evidence(CAPITOL_VIDEO),
        ),
        caller=META_MODERATOR.at(t("2021-01-06T22:00:00Z")),
    )
    yield from _capitol_video_review(db, removed.id)


#: Seats of the Oversight Board panel of case 2021-001-FB-FBR (its members are not named).
BOARD_PANEL = ("board-panel-member-1", "board-panel-member-2", "board-panel-member-3")


def _capitol_video_review(db: Database, decision_id: str) -> Strand:
    """21 January 2021: Facebook refers its decisions to the Oversight Board; on 5 May 2021 the
    Board upholds the removal of the video (case 2021-001-FB-FBR): a review of a content decision."""
    yield t("2021-01-21T15:00:00Z")
    review = reviews.open_content_review(
        db,
        decision_id,
        panel=list(BOARD_PANEL),
        reason="Referred to the Oversight Board: was the removal of the video consistent with the policies?",
        caller=META_MODERATOR.at(t("2021-01-21T15:00:00Z")),
    )
    for member, day in ((BOARD_PANEL[0], "2021-04-20"), (BOARD_PANEL[1], "2021-04-21")):
        yield t(f"{day}T12:00:00Z")
        reviews.file_assessment(
            db,
            review.id,
            reviews.FileAssessment.parse(
                risk="high",
                factors=["ongoing_violence"],
                rationale="Posted while violence was ongoing, the video praised those engaged in it.",
            ),
            caller=Caller(f"meta:{member}", names=(member,), now=t(f"{day}T12:00:00Z")),
        )
    yield t("2021-05-05T13:00:00Z")
    reviews.decide_review(
        db,
        review.id,
        reviews.DecideReview.parse(
            outcome="uphold",
            rationale="The Board upholds the removal: in the context of the riot the video created a serious "
            "risk of violence.",
        ),
        caller=META_MODERATOR.at(t("2021-05-05T13:00:00Z")),
    )


def _meta(db: Database, meta: dict[str, str]) -> Strand:
    """Meta's decisions on Trump's accounts; ``meta``: the ids its strands share (``_meta_letter``)."""
    yield t("2021-01-07T16:00:00Z")
    sid = _impose(
        db,
        "2021-01-07T16:00:00Z",
        ImposeSanction.parse(
            subject=TRUMP_FB,
            scope=["facebook", "instagram"],
            kind="suspension",
            starts_at="2021-01-07T00:00:00Z",
            reason=dict(
                CAPITOL,
                policy="Dangerous Individuals and Organizations",
                explanation="Praise of people engaged in violence at the US Capitol on 6 January 2021; "
                "suspended indefinitely and for at least the next two weeks.",
                facts="Posts and a video of 6 January 2021 praising the rioters while violence was ongoing.",
            ),
        ),
        "meta:trust-and-safety",
    )
    meta["sanction"] = sid
    yield t("2021-06-04T15:00:00Z")
    sanctions.amend_sanction(
        db,
        sid,
        sanctions.AmendSanction.parse(
            reason="Following the Oversight Board: a time-bound suspension of two years from the initial "
            "suspension, after which experts will assess whether the risk to public safety has receded.",
            ends_at="2023-01-07T00:00:00Z",
            review_at="2023-01-07T00:00:00Z",
            # The two years end when they end, and the suspension stays in force until the experts'
            # review is decided: nothing announces its end meanwhile (PRODUCT.md section 8).
            hold_until_review=True,
            effective_at="2021-06-04T00:00:00Z",
        ),
        caller=Caller("meta:trust-and-safety", now=t("2021-06-04T15:00:00Z")),
    )
    yield from _meta_review(db, sid, meta)


#: Meta's experts, as a review panel names them (token names of reviewers).
EXPERTS = ("public-safety-expert", "civil-unrest-expert", "elections-expert")
META_MODERATOR = Caller("meta:trust-and-safety")


def _meta_review(db: Database, sid: str, meta: dict[str, str]) -> Strand:
    """January 2023: experts assess the risk, the campaign's letter is put before them
    (``_meta_letter``), and Meta reinstates him with new guardrails (two years of probation with
    its heightened ladder)."""
    yield t("2023-01-09T14:00:00Z")
    review = reviews.open_review(
        db,
        sid,
        panel=list(EXPERTS),
        caller=META_MODERATOR.at(t("2023-01-09T14:00:00Z")),
        reason="Two years on: has the risk to public safety receded?",
    )
    meta["review"] = review.id
    for expert, day, factors in (
        (EXPERTS[0], "2023-01-12", ["ongoing_violence", "restrictions_on_assembly"]),
        (EXPERTS[1], "2023-01-13", ["ongoing_violence", "restrictions_on_assembly"]),
        (EXPERTS[2], "2023-01-18", ["election_period"]),
    ):
        yield t(f"{day}T16:00:00Z")
        reviews.file_assessment(
            db,
            review.id,
            reviews.FileAssessment.parse(
                risk="low",
                factors=factors,
                rationale="No instances of violence or restrictions on assembly tied to the account since the "
                "2022 midterms; the risk has sufficiently receded.",
            ),
            caller=Caller(f"meta:{expert}", names=(expert,), now=t(f"{day}T16:00:00Z")),
        )
    yield t("2023-01-25T18:00:00Z")
    reviews.decide_review(
        db,
        review.id,
        reviews.DecideReview.parse(
            outcome="lift",
            probation={"duration": "P2Y"},
            rationale="Reinstated with new guardrails: any new violation brings a suspension of one month to "
            "two years.",
            effective_at="2023-01-25T00:00:00Z",
        ),
        caller=META_MODERATOR.at(t("2023-01-25T18:00:00Z")),
    )
    yield t("2023-01-25T18:05:00Z")
    appeals.decide_appeal(
        db,
        meta["letter"],
        appeals.DecideAppeal.parse(
            outcome="granted",
            rationale="Decided with the experts' review of the suspension.",
            reply="Mr Trump's accounts are reinstated with new guardrails.",
            effective_at="2023-01-25T00:00:00Z",
        ),
        caller=META_MODERATOR.at(t("2023-01-25T18:05:00Z")),
    )


def _meta_letter(db: Database, meta: dict[str, str]) -> Strand:
    """The campaign's letter of 17 January 2023, put before the experts' review (``_meta_review``)."""
    yield t("2023-01-17T15:00:00Z")
    letter = appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=meta["sanction"],
            kind="reinstatement",
            channel="letter",
            meeting_requested=True,
            filed_by={"name": "Counsel for the Trump campaign", "relation": "representative"},
            statement="We ask that Meta reinstate President Trump's accounts and for a meeting to discuss his "
            "prompt reinstatement.",
            received_at="2023-01-17T00:00:00Z",
        ),
        caller=META_MODERATOR.at(t("2023-01-17T15:00:00Z")),
    )
    meta["letter"] = letter.id
    yield t("2023-01-17T15:05:00Z")
    appeals.attach_appeal(db, letter.id, review_id=meta["review"], caller=META_MODERATOR.at(t("2023-01-17T15:05:00Z")))


def _twitter(db: Database) -> Strand:
    yield t("2021-01-08T23:00:00Z")
    sid = _impose(
        db,
        "2021-01-08T23:00:00Z",
        ImposeSanction.parse(
            subject=TRUMP_TW,
            kind="termination",
            starts_at="2021-01-08T00:00:00Z",
            reason=dict(
                CAPITOL,
                policy="Glorification of Violence",
                explanation="Permanently suspended due to the risk of further incitement of violence.",
                facts="Two tweets of 8 January 2021 read in the context of the events of 6 January.",
            ),
        ),
        "x-corp:safety",
    )
    yield t("2022-11-19T23:00:00Z")
    sanctions.lift_sanction(
        db,
        sid,
        sanctions.LiftSanction.parse(
            reason="General amnesty for suspended accounts, except for law-breaking and egregious spam.",
            effective_at="2022-11-19T00:00:00Z",
        ),
        caller=Caller("x-corp:safety", now=t("2022-11-19T23:00:00Z")),
    )


#: Twitter accounts suspended before the "general amnesty" of November 2022: (account, policy, category).
_SUSPENDED_ON_TWITTER = (
    ("parody_account_2021", "Impersonation", "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"),
    (
        "covid_sceptic",
        "COVID-19 misleading information",
        "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
    ),
    ("angry_commenter", "Abusive behaviour", "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"),
    ("crypto_giveaway_bot", "Platform manipulation and spam", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD"),
    ("threats_account", "Violent speech", "STATEMENT_CATEGORY_VIOLENCE"),
)


def _twitter_amnesty(db: Database) -> Strand:
    """Musk's "general amnesty": every suspended account back, except law-breaking and egregious spam."""
    for i, (account, policy, category) in enumerate(_SUSPENDED_ON_TWITTER):
        yield t(f"2022-0{3 + i}-01T12:00:00Z")
        _impose(
            db,
            f"2022-0{3 + i}-01T12:00:00Z",
            ImposeSanction.parse(
                subject=AccountRef("twitter", account),
                kind="suspension",
                starts_at=f"2022-0{3 + i}-01T00:00:00Z",
                reason={
                    "ground": "incompatible_content",
                    "category": category,
                    "policy": policy,
                    "explanation": f"Repeated violations of the {policy} policy.",
                    "source": "voluntary",
                    "content_type": ["CONTENT_TYPE_TEXT"],
                    "content_date": f"2022-0{3 + i}-01",
                    "facts": f"Tweets in breach of the {policy} policy.",
                },
            ),
            "x-corp:safety",
        )
    safety = Caller("x-corp:safety")
    yield t("2022-12-07T18:00:00Z")
    started = amnesty.start(
        db,
        make_filter(
            "x-corp",
            kinds=["suspension"],
            exclude_categories=["STATEMENT_CATEGORY_VIOLENCE"],
            exclude_policies=["Platform manipulation and spam"],
        ),
        reason="General amnesty for suspended accounts, provided they have not broken the law or engaged in "
        "egregious spam.",
        effective_at=t("2022-12-08T00:00:00Z"),
        caller=safety.at(t("2022-12-07T18:00:00Z")),
    )
    amnesty_runner.run(db, started.id, now=t("2022-12-07T18:00:00Z"))


def _parler(db: Database) -> list[Strand]:
    """Amazon, Apple and Google cut Parler off, each on its own day; Apple and Google let it back."""
    return [_parler_aws(db), _parler_apple(db), _parler_google(db)]


#: Why Parler's providers cut it off: the service itself (an app, and what it hosts).
_PARLER_HOSTING = {
    "ground": "incompatible_content",
    "category": "STATEMENT_CATEGORY_VIOLENCE",
    "source": "other_notification",
    # The service itself (an app, and what it hosts), as it stood after the riot.
    "content_type": ["CONTENT_TYPE_APP"],
    "content_date": "2021-01-08",
    "facts": "Posts calling for violence after the riot at the Capitol stayed up for days.",
}


def _parler_aws(db: Database) -> Strand:
    hosting = _PARLER_HOSTING
    yield t("2021-01-10T23:59:00Z")
    _impose(
        db,
        "2021-01-10T23:59:00Z",
        ImposeSanction.parse(
            subject=PARLER_AWS,
            kind="termination",
            starts_at="2021-01-11T00:00:00Z",
            reason=dict(
                hosting,
                policy="AWS Acceptable Use Policy",
                explanation="Hosted content that encourages and incites violence, without an effective "
                "process to identify and remove it.",
            ),
        ),
        "amazon:trust-and-safety",
    )


def _parler_apple(db: Database) -> Strand:
    hosting = _PARLER_HOSTING
    yield t("2021-01-09T23:00:00Z")
    apple = _impose(
        db,
        "2021-01-09T23:00:00Z",
        ImposeSanction.parse(
            subject=PARLER_APPLE,
            kind="suspension",
            starts_at="2021-01-09T00:00:00Z",
            reason=dict(
                hosting,
                policy="App Store Review Guideline 1.1 (objectionable content)",
                explanation="Removed from the App Store until the app moderates dangerous content.",
            ),
        ),
        "apple:app-review",
    )
    yield t("2021-05-17T12:00:00Z")
    sanctions.lift_sanction(
        db,
        apple,
        sanctions.LiftSanction.parse(
            reason="Back on the App Store with improved content moderation.", effective_at="2021-05-17T00:00:00Z"
        ),
        caller=Caller("apple:app-review", now=t("2021-05-17T12:00:00Z")),
    )


def _parler_google(db: Database) -> Strand:
    hosting = _PARLER_HOSTING
    yield t("2021-01-08T23:00:00Z")
    google = _impose(
        db,
        "2021-01-08T23:00:00Z",
        ImposeSanction.parse(
            subject=PARLER_GOOGLE,
            kind="suspension",
            starts_at="2021-01-08T00:00:00Z",
            reason=dict(
                hosting,
                policy="Google Play policy on user-generated content",
                explanation="Suspended from Google Play for lack of moderation of posts inciting violence.",
            ),
        ),
        "google:play-policy",
    )
    yield t("2022-09-02T12:00:00Z")
    sanctions.lift_sanction(
        db,
        google,
        sanctions.LiftSanction.parse(
            reason="Back on Google Play with moderation meeting the policy.", effective_at="2022-09-02T00:00:00Z"
        ),
        caller=Caller("google:play-policy", now=t("2022-09-02T12:00:00Z")),
    )


#: Violations Meta's systems report, each with what the statement of reasons needs about the
#: content: (id, account, policy, severity, category, content types, keywords, occurred at).
_META_VIOLATIONS: tuple[tuple[str, str, str, str, str, list[str], list[str], str], ...] = (
    (
        "fb-2023-0001",
        "facebook/spam_pages_network",
        "Spam",
        "low",
        "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        ["CONTENT_TYPE_TEXT"],
        ["KEYWORD_PHISHING"],
        "2023-03-02T09:15:00Z",
    ),
    (
        "fb-2023-0002",
        "facebook/spam_pages_network",
        "Spam",
        "moderate",
        "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        ["CONTENT_TYPE_TEXT", "CONTENT_TYPE_IMAGE"],
        ["KEYWORD_PHISHING"],
        "2023-03-20T14:40:00Z",
    ),
    (
        "fb-2023-0003",
        "facebook/spam_pages_network",
        "Spam",
        "moderate",
        "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        ["CONTENT_TYPE_TEXT"],
        [],
        "2023-04-11T08:05:00Z",
    ),
    (
        "ig-2023-0001",
        "instagram/clip_reuploader",
        "Intellectual Property",
        "moderate",
        "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
        ["CONTENT_TYPE_VIDEO"],
        ["KEYWORD_COPYRIGHT_INFRINGEMENT"],
        "2023-05-05T19:30:00Z",
    ),
    (
        "ig-2023-0002",
        "instagram/clip_reuploader",
        "Intellectual Property",
        "high",
        "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
        ["CONTENT_TYPE_VIDEO", "CONTENT_TYPE_AUDIO"],
        ["KEYWORD_COPYRIGHT_INFRINGEMENT"],
        "2023-05-28T21:10:00Z",
    ),
    (
        "fb-2023-0004",
        "facebook/militia_recruiter",
        "Dangerous Individuals and Organizations",
        "severe",
        "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
        ["CONTENT_TYPE_TEXT", "CONTENT_TYPE_IMAGE"],
        ["KEYWORD_ILLEGAL_ORGANIZATIONS"],
        "2023-06-14T07:45:00Z",
    ),
)


def _violations(db: Database) -> Strand:
    """Violations through Meta's ladder: a warning, then feature limits, then a termination."""
    integrity = Caller("meta:integrity")
    for vid, account, policy, severity, category, content_type, keywords, occurred in _META_VIOLATIONS:
        platform, _, name = account.partition("/")
        yield t(occurred) + timedelta(minutes=2)
        violations.record_violation(
            db,
            violations.RecordViolation.parse(
                id=vid,
                platform=platform,
                account=name,
                policy=policy,
                severity=severity,
                category=category,
                facts=f"Content found in breach of the {policy} policy.",
                occurred_at=occurred,
                content_type=content_type,
                keywords=keywords,
            ),
            caller=integrity.at(t(occurred) + timedelta(minutes=2)),
        )


SYNTHETIC_PLATFORMS = ["facebook", "instagram", "twitter", "truth-social", "parler"]
SYNTHETIC_CATEGORIES = [
    ("STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "Fraud and Deception"),
    ("STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", "Hateful Conduct"),
    ("STATEMENT_CATEGORY_VIOLENCE", "Violence and Incitement"),
    ("STATEMENT_CATEGORY_CYBER_VIOLENCE", "Bullying and Harassment"),
    ("STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS", "Intellectual Property"),
    ("STATEMENT_CATEGORY_OTHER_VIOLATION_TC", "Spam"),
    ("STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS", "Civic Integrity"),
]

SYNTHETIC_CONTENT_TYPES = ["CONTENT_TYPE_TEXT", "CONTENT_TYPE_IMAGE", "CONTENT_TYPE_VIDEO"]


def _synthetic(db: Database, count: int) -> None:
    rng = random.Random(2021)
    now = datetime.now(UTC).replace(microsecond=0)
    first = t("2020-06-01T00:00:00Z")
    span_days = (now - first).days

    def commands() -> Iterator[ImposeSanction]:
        for _n in range(count):
            platform = rng.choice(SYNTHETIC_PLATFORMS)
            category, policy = rng.choice(SYNTHETIC_CATEGORIES)
            kind = rng.choices(["warning", "restriction", "suspension", "termination"], [30, 25, 35, 10])[0]
            starts = first + timedelta(days=rng.randrange(span_days), seconds=rng.randrange(86_400))
            duration = None
            if kind in ("restriction", "suspension") and rng.random() < 0.85:
                duration = rng.choice(["PT48H", "P1D", "P3D", "P7D", "P30D", "P90D", "P1Y"])
            scope = [platform]
            if platform in ("facebook", "instagram") and rng.random() < 0.3:
                scope = ["facebook", "instagram"]
            command = ImposeSanction.parse(
                subject=AccountRef(platform, f"user{rng.randrange(10**7):07d}"),
                scope=scope,
                kind=kind,
                starts_at=starts,
                duration=duration,
                denies=rng.sample(["post", "comment", "live", "advertise", "monetize"], 2)
                if kind == "restriction"
                else (),
                reason={
                    "ground": "incompatible_content",
                    "category": category,
                    "policy": policy,
                    "explanation": f"{policy}: content removed and account sanctioned.",
                    "source": rng.choice(["voluntary", "article_16", "trusted_flagger"]),
                    # From what was drawn already, so that the draws (and the demo's data) stay as they were.
                    "content_type": [SYNTHETIC_CONTENT_TYPES[len(policy) % len(SYNTHETIC_CONTENT_TYPES)]],
                    "content_date": starts.date().isoformat(),
                    "facts": f"Content reported under the {policy} policy and found in breach of it.",
                },
                automated={
                    "detection": rng.random() < 0.7,
                    "decision": rng.choice(["not_automated", "partially", "fully"]),
                },
            )
            # History: its user was informed when it started (``reprieve sanction import --informed-at-start``).
            yield sanctions.imported_command(command, None, informed_at_start=True)

    sanctions.import_sanctions(db, commands(), caller=Caller("demo:synthetic", now=now), batch_size=5000)
    # Lift one in thirty, the way appeals and reviews do, each while it was in force: so that every
    # state shows up in lists, and lifts are spread over the years as impositions are.
    imported = _synthetic_sanctions(db, now)
    for item in rng.sample(imported, min(len(imported), max(1, count // 30))):
        start = parse_instant(item["starts_at"])
        end = min(parse_instant(item["ends_at"]), now) if item["ends_at"] else now
        if end - start < timedelta(hours=2):
            continue
        sanctions.lift_sanction(
            db,
            item["id"],
            sanctions.LiftSanction.parse(
                reason="Appeal granted: the content did not break the rule.",
                effective_at=start + (end - start) * rng.uniform(0.1, 0.9),
                # Synthetic history, lifted while it was in force: recorded now, backdated (PRODUCT.md section 8).
                backdated_reason="Synthetic history: the appeal was granted while the sanction was in force.",
            ),
            caller=Caller("demo:synthetic", now=now),
        )


def _synthetic_sanctions(db: Database, now: datetime) -> list[dict[str, Any]]:
    """The synthetic sanctions that are not warnings (a warning is not lifted), as they stand ``now``."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = sanctions.list_sanctions(db, SanctionFilter(), at=now, limit=1000, cursor=cursor)
        found += [
            s.to_json()
            for s in page.items
            if s.subject.account.startswith("user") and s.kind is not SanctionKind.WARNING and s.lifted_at is None
        ]
        cursor = str(page.next_cursor) if page.next_cursor else None
        if not cursor:
            return found


#: Sanctions of Meta in the present, for the queues: (account, kind, policy, category, days since
#: the start, days to the end or None, days to the review or None). Relative to the load.
_PRESENT = (
    (
        "facebook/miracle_cures_page",
        "suspension",
        "Misinformation about health",
        "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
        60,
        None,
        -1,
    ),
    (
        "instagram/ticket_resale_bot",
        "suspension",
        "Fraud and Deception",
        "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        45,
        45,
        -1,
    ),
    (
        "facebook/harassment_group_admin",
        "suspension",
        "Bullying and Harassment",
        "STATEMENT_CATEGORY_CYBER_VIOLENCE",
        40,
        None,
        -3,
    ),
    (
        "facebook/satire_weekly",
        "restriction",
        "Hateful Conduct",
        "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
        10,
        20,
        None,
    ),
    (
        "instagram/crypto_signals_vip",
        "termination",
        "Fraud and Deception",
        "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
        90,
        None,
        None,
    ),
    ("facebook/ad_fraud_ring", "suspension", "Fraud and Deception", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", -7, 37, None),
)

#: The reviewer of ``DEMO_MEMBERS`` as a panel names them (a panel names members by name or id).
DEMO_REVIEWER = "Rémi Reviewer"


def _present(db: Database, now: datetime) -> list[Strand]:
    """Work left to do at load time, for ``moderator@meta.example`` and ``reviewer@meta.example``:
    two sanctions whose review fell due yesterday, a review open before a panel of the demo's
    reviewer, a complaint and a reinstatement request filed this week, and a sanction starting next
    week. Created with the story, once: a second ``reprieve demo`` changes nothing. Strands told
    in the order of their instants (``_tell``); a later one finds the sanctions of earlier ones in
    ``ids``."""
    ids: dict[str, str] = {}
    return [
        *(_present_sanction(db, now, ids, *present) for present in _PRESENT),
        _present_review(db, now, ids),
        _present_reinstatement(db, now, ids),
        _present_complaint(db, now, ids),
        _present_label(db, now),
        _present_restored(db, now),
        _present_complaint_granted(db, now),
    ]


def _present_sanction(
    db: Database,
    now: datetime,
    ids: dict[str, str],
    account: str,
    kind: str,
    policy: str,
    category: str,
    since: int,
    until: int | None,
    review: int | None,
) -> Strand:
    start = now - timedelta(days=since)
    decided = min(start, now - timedelta(hours=1))
    platform, _, name = account.partition("/")
    yield decided
    result = sanctions.impose_sanction(
        db,
        ImposeSanction.parse(
            subject=AccountRef(platform, name),
            kind=kind,
            starts_at=start,
            ends_at=now + timedelta(days=until) if until is not None else None,
            review_at=(now + timedelta(days=review)).replace(hour=9, minute=0, second=0)
            if review is not None
            else None,
            denies=["post", "comment", "live"] if kind == "restriction" else (),
            reason={
                "ground": "incompatible_content",
                "category": category,
                "policy": policy,
                "explanation": f"Repeated breaches of the {policy} policy.",
                "source": "voluntary",
                "content_type": ["CONTENT_TYPE_TEXT", "CONTENT_TYPE_IMAGE"],
                "content_date": (decided - timedelta(days=1)).date().isoformat(),
                "facts": f"Posts found in breach of the {policy} policy.",
            },
        ),
        caller=Caller("meta:trust-and-safety", now=decided),
    )
    ids[account] = result.id


def _present_review(db: Database, now: datetime, ids: dict[str, str]) -> Strand:
    yield now - timedelta(days=2)
    reviews.open_review(
        db,
        ids["facebook/harassment_group_admin"],
        panel=[DEMO_REVIEWER],
        caller=META_MODERATOR.at(now - timedelta(days=2)),
        reason="Due for review: has the harassment stopped?",
    )


def _present_reinstatement(db: Database, now: datetime, ids: dict[str, str]) -> Strand:
    yield now - timedelta(days=4, hours=-2)
    appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=ids["instagram/crypto_signals_vip"],
            kind="reinstatement",
            channel="email",
            filed_by={"name": "Sam Signals", "email": "sam@signals.example", "relation": "subject"},
            statement="I have closed the paid group and ask for my account back.",
            received_at=now - timedelta(days=4),
        ),
        caller=META_MODERATOR.at(now - timedelta(days=4, hours=-2)),
    )


def _present_complaint(db: Database, now: datetime, ids: dict[str, str]) -> Strand:
    yield now - timedelta(days=2)
    appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=ids["facebook/satire_weekly"],
            kind="complaint",
            channel="web",
            filed_by={"name": "Satire Weekly", "email": "editor@satire.example", "relation": "subject"},
            statement="The post was satire, not hate speech: please read it in context.",
        ),
        caller=META_MODERATOR.at(now - timedelta(days=2)),
    )


def _present_label(db: Database, now: datetime) -> Strand:
    """This week: a photo on Instagram labelled as false health information where it was reported."""
    decided = now - timedelta(days=3)
    yield decided
    content.decide_content(
        db,
        content.DecideContent.parse(
            item={
                "platform": "instagram",
                "item": LABELLED_PHOTO,
                "account": "wellness_tips_daily",
                "content_type": ["CONTENT_TYPE_IMAGE", "CONTENT_TYPE_TEXT"],
                "content_date": (decided - timedelta(days=1)).date().isoformat(),
                "language": "de",
            },
            kind="label",
            territorial_scope=["AT", "DE", "FR"],
            duration="P90D",
            reason={
                "ground": "incompatible_content",
                "category": "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
                "policy": "Misinformation",
                "explanation": "The photo's claim that a herbal tea cures measles is false; labelled with a link "
                "to health authorities' information where it was reported.",
                "facts": "A photo captioned as a cure for measles, reported by users in Austria, Germany and France.",
                "source": "voluntary",
            },
            evidence=_evidence(LABELLED_PHOTO),
        ),
        caller=META_MODERATOR.at(decided),
    )


def _present_restored(db: Database, now: datetime) -> Strand:
    """This week: a satirical post removed as hate speech, then restored on a second look."""
    decided = now - timedelta(days=5)
    yield decided
    removed = content.decide_content(
        db,
        content.DecideContent.parse(
            item={
                "platform": "facebook",
                "item": SATIRE_POST,
                "account": "satire_weekly",
                "content_type": ["CONTENT_TYPE_TEXT", "CONTENT_TYPE_IMAGE"],
                "content_date": (decided - timedelta(days=1)).date().isoformat(),
                "language": "fr",
            },
            kind="removal",
            reason={
                "ground": "incompatible_content",
                "category": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
                "policy": "Hateful Conduct",
                "explanation": "The post was found to attack a group of people for their religion.",
                "facts": "A cartoon and its caption, reported by users as hate speech.",
                "source": "voluntary",
            },
            automated={"detection": True, "decision": "partially"},
            evidence=_evidence(SATIRE_POST),
        ),
        caller=META_MODERATOR.at(decided),
    )
    yield now - timedelta(days=1)
    content.restore_content(
        db,
        removed.id,
        content.RestoreContent.parse(
            reason="Restored on a second look: the cartoon satirises the attackers, not a religion."
        ),
        caller=META_MODERATOR.at(now - timedelta(days=1)),
    )


def _present_complaint_granted(db: Database, now: datetime) -> Strand:
    """This week: a news clip removed as glorifying violence, a strike that brought Meta's first
    step (a warning); its author complains on the public form, and the complaint is granted: the
    clip is restored, its strike removed and the warning lifted, each saying why."""
    decided = now - timedelta(days=6)
    yield decided
    removed = content.decide_content(
        db,
        content.DecideContent.parse(
            item={
                "platform": "facebook",
                "item": QUOTED_CLIP,
                "account": "eu_newsdesk",
                "content_type": ["CONTENT_TYPE_VIDEO"],
                "content_date": (decided - timedelta(days=1)).date().isoformat(),
                "language": "en",
            },
            kind="removal",
            strike=True,
            reason={
                "ground": "incompatible_content",
                "category": "STATEMENT_CATEGORY_VIOLENCE",
                "policy": "Violence and Incitement",
                "explanation": "The clip was found to glorify an attack.",
                "facts": "A video of an attack, flagged by the classifier for violent content.",
                "source": "voluntary",
            },
            automated={"detection": True, "decision": "partially"},
            evidence=_evidence(QUOTED_CLIP),
        ),
        caller=META_MODERATOR.at(decided),
    )
    filed_at = now - timedelta(days=4)
    yield filed_at
    complaint = appeals.file_appeal(
        db,
        appeals.FileAppeal.parse(
            sanction_id=None,
            content_decision_id=removed.id,
            kind="complaint",
            channel="web",
            filed_by={"name": "EU Newsdesk", "email": "desk@newsdesk.example", "relation": "subject"},
            statement="The clip is news reporting on the attack, with our commentary condemning it.",
        ),
        caller=Caller(PUBLIC_FORM_ACTOR).at(filed_at),
    )
    granted_at = now - timedelta(days=2)
    yield granted_at
    appeals.decide_appeal(
        db,
        complaint.id,
        appeals.DecideAppeal.parse(
            outcome="granted",
            rationale="News reporting that condemns the attack is allowed under the policy's exceptions.",
            reply="We looked again: your clip is back, its strike removed and the warning lifted.",
        ),
        caller=META_MODERATOR.at(granted_at),
    )


STORY_INSTANTS = [
    ("2021-01-06T12:00:00Z", "the day before"),
    ("2021-01-12T00:00:00Z", "after the Capitol riot"),
    ("2022-06-01T00:00:00Z", "mid-2022"),
    ("2022-12-01T00:00:00Z", "after Twitter's amnesty"),
    ("2023-01-10T00:00:00Z", "two years on, experts assessing"),
    ("2023-02-01T00:00:00Z", "after Meta's reinstatement"),
]


def tell_story(db: Database, echo: Callable[[str], None], *, synthetic: int | None = None) -> None:
    """Print what the demo holds (``synthetic``: the count just loaded, None if it was there
    already), the standing of the story's accounts at its turning points, the work in the
    queues, and how to sign in to the console."""
    if synthetic is not None:
        echo(
            "Loaded: the story Reprieve was born from (Meta, Twitter, Parler and its providers, Truth Social) with "
            f"its real dates, {synthetic:,} synthetic sanctions from 2020 on, and work left in the queues."
        )
        echo("")
    refs = [TRUMP_FB, TRUMP_IG, TRUMP_TW, TRUMP_TS, PARLER_AWS, PARLER_APPLE, PARLER_GOOGLE]
    width = max(len(str(r)) for r in refs)
    echo("Standing of the story's accounts at its turning points:")
    echo("")
    header = "".ljust(width) + "  " + "  ".join(when[:10] for when, _ in STORY_INSTANTS)
    echo(header)
    for ref in refs:
        cells = []
        for when, _ in STORY_INSTANTS:
            cells.append(get_standing(db, ref, at=t(when)).status.value.ljust(10))
        echo(str(ref).ljust(width) + "  " + "  ".join(cells))
    echo("")
    _tell_due_process(db, echo)
    _tell_content(db, echo)
    echo("")
    echo("Try: reprieve standing facebook/DonaldTrump --at 2022-06-01T00:00:00Z")
    echo("     reprieve sanction list --account facebook/DonaldTrump")
    echo("     reprieve review list --state decided")
    echo("     reprieve appeal list --kind reinstatement")
    echo("     reprieve content list --platform facebook")
    echo("     reprieve audit verify")
    echo("")
    _tell_work(db, echo)
    echo("")
    echo("Console: http://127.0.0.1:8000/console (or the port you serve on): `make run` serves it once the demo")
    echo(f"is loaded; after `reprieve demo`, start it with `reprieve serve`. Password {DEMO_PASSWORD!r} for each:")
    for email, name, role, op_id in DEMO_MEMBERS:
        echo(f"     {email:<26} {name}, {role} of {op_id}{_ROLE_HINTS.get(email, '')}")


_ROLE_HINTS = {
    "moderator@meta.example": ": the queues (j/k to move, Enter to open), decide",
    "reviewer@meta.example": ": on the panel of the open review: assess it, then decide",
}


def _tell_work(db: Database, echo: Callable[[str], None]) -> None:
    """What waits in Meta's queues now (it changes as the demo is used)."""
    now = datetime.now(UTC)
    due = reviews.list_reviews(db, ReviewFilter(state=ReviewState.DUE, operator="meta"), at=now, limit=1000)
    opened = reviews.list_reviews(db, ReviewFilter(state=ReviewState.OPEN, operator="meta"), at=now, limit=1000)
    waiting = appeals.list_appeals(db, AppealFilter(state="open", operator="meta"), limit=1000).items
    kinds = sorted({a.kind.value for a in waiting})
    scheduled = sanctions.list_sanctions(
        db, SanctionFilter(operator="meta", state=SanctionState.SCHEDULED), at=now, limit=1000
    ).items
    echo(
        f"In Meta's queues now: {_count(len(due.items), 'review')} due and {len(opened.items)} open, "
        f"{_count(len(waiting), 'appeal')} open"
        + (f" ({', '.join(kinds)})" if kinds else "")
        + f", {_count(len(scheduled), 'sanction')} not started yet."
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _tell_content(db: Database, echo: Callable[[str], None]) -> None:
    """The story's decisions on content as they stand now (the console shows each item's page)."""
    decided = content.list_content_decisions(db, content.ListContent(), at=datetime.now(UTC), limit=1000).items
    told = []
    for decision in sorted(decided, key=lambda d: d.starts_at):
        where = f" in {', '.join(decision.territorial_scope)}" if decision.territorial_scope else ""
        told.append(
            f"{decision.item.platform}/{decision.item.item} ({decision.kind.value}{where}, {decision.state.value})"
        )
    if told:
        echo(f"Decisions on content: {'; '.join(told)}")


def _tell_due_process(db: Database, echo: Callable[[str], None]) -> None:
    """Meta's expert review of January 2023 and the campaign's letter, as recorded."""
    decided = reviews.list_reviews(
        db, ReviewFilter(state=ReviewState.DECIDED, operator="meta"), at=t("2023-02-01T00:00:00Z")
    ).items
    for review in (r.to_json() for r in decided):
        risks = ", ".join(f"{n} {risk}" for risk, n in review["risk"].items() if n)
        probation = (review["decision"] or {}).get("probation")
        echo(
            f"Meta's expert review: a panel of {len(review['panel'])} assessed the risk ({risks}); "
            f"decided to {review['outcome']} on {review['decided_at'][:10]}"
            + (f", with probation until {probation['until'][:10]}" if probation else "")
        )
    story = appeals.list_appeals(db, AppealFilter(operator="meta", kind="reinstatement", at=to_micros(t("2023-02-01"))))
    for appeal in story.items:
        meeting = ", meeting requested" if appeal.meeting_requested else ""
        echo(
            f"Reinstatement request by a {appeal.filed_by.relation.value} ({appeal.channel.value}, received "
            f"{(format_instant(appeal.received_at) or '')[:10]}{meeting}): {appeal.state.value}"
        )
